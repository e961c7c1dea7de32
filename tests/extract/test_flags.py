"""Court-found flags: per defendant, claims the court accepts or rejects, negations, fallbacks."""

from __future__ import annotations

import pytest

from ccmodels.data.schema import TRAITS
from ccmodels.extract import FLAG_COLUMNS, parse_judgment


def test_flags_are_the_court_found_traits_and_attempt():
    assert set(FLAG_COLUMNS) == (set(TRAITS) - {"female"}) | {"attempted"}


def test_flags_are_per_defendant(three):
    reasoning = (
        "被告人王某甲在共同犯罪中起主要作用，系主犯；被告人李某乙、陈某丙起次要作用，系从犯，"
        "依法应当从轻处罚。被告人陈某丙有自首情节，可以从轻处罚。被告人王某甲、李某乙到案后"
        "如实供述自己的罪行，系坦白。被告人王某甲曾因故意犯罪被判处有期徒刑，刑罚执行完毕后五年内"
        "再犯应当判处有期徒刑以上刑罚之罪，系累犯，应当从重处罚。被告人李某乙已退赔被害人全部"
        "经济损失，取得被害人谅解，可以酌情从轻处罚。三被告人均自愿认罪认罚。"
    )
    rows = three(reasoning)
    flags = {r["name"]: r for r in rows}
    assert [flags[n]["accessory"] for n in ("王某甲", "李某乙", "陈某丙")] == [False, True, True]
    assert [flags[n]["surrender"] for n in ("王某甲", "李某乙", "陈某丙")] == [False, False, True]
    assert [flags[n]["confession"] for n in ("王某甲", "李某乙", "陈某丙")] == [True, True, False]
    assert [flags[n]["recidivist"] for n in ("王某甲", "李某乙", "陈某丙")] == [True, False, False]
    assert [flags[n]["restitution"] for n in ("王某甲", "李某乙", "陈某丙")] == [False, True, False]
    assert all(r["plea_leniency"] for r in rows)


def test_two_of_three_means_the_two_just_named(three):
    reasoning = (
        "被告人李某乙、陈某丙的家属已代为退赔被害人损失，取得被害人谅解，可酌情从轻处罚。"
        "被告人李某乙、陈某丙的辩护人关于二被告人已赔偿获谅解的辩护意见与查明事实相符，"
        "本院予以采纳。"
    )
    rows = three(reasoning)
    assert [r["restitution"] for r in rows] == [False, True, True]


# --- claims the court rejects ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reasoning", "flag"),
    [
        (
            "对辩护人提出被告人张某某具有自首情节的意见，经查，被告人张某某系被公安民警抓获，"
            "不符合自首的规定，对该辩护意见本院不予采纳。",
            "surrender",
        ),
        ("辩护人提出被告人张某某在共同犯罪中起次要作用的辩护意见，本院不予采纳。", "accessory"),
        (
            "关于辩护人提出被告人张某某系从犯的辩护意见，经查，被告人张某某积极参与，"
            "并非起次要作用，故该辩护意见本院不予采纳。",
            "accessory",
        ),
        ("被告人张某某虽主动投案，但未如实供述，不构成自首。", "surrender"),
        ("被告人张某某截止结案只赔偿了被害人小部分损失，不宜对其从轻处罚。", "restitution"),
        ("被告人张某某犯罪对象为未成年人，酌情从重处罚。", "juvenile"),
    ],
)
def test_rejected_or_negated_claims_are_false(judgment, header_one, one, reasoning, flag):
    verdict = "被告人张某某犯盗窃罪，判处有期徒刑一年。"
    assert one(judgment(header_one, reasoning, verdict))[flag] is False


@pytest.mark.parametrize(
    ("reasoning", "flag"),
    [
        ("辩护人提出被告人张某某有自首情节的辩护意见，经查属实，本院予以采纳。", "surrender"),
        ("被告人张某某犯罪时未满十八周岁，依法应当从轻处罚。", "juvenile"),
        ("被告人张某某已着手实行犯罪，由于意志以外的原因而未得逞，系犯罪未遂。", "attempted"),
        ("被告人张某某系又聋又哑的人，依法可以从轻处罚。", "disability"),
    ],
)
def test_accepted_findings_are_true(judgment, header_one, one, reasoning, flag):
    verdict = "被告人张某某犯盗窃罪，判处有期徒刑一年。"
    assert one(judgment(header_one, reasoning, verdict))[flag] is True


def test_confession_at_trial_only_is_not_tanbai(judgment, header_one, one):
    verdict = "被告人张某某犯盗窃罪，判处有期徒刑一年。"
    row = one(judgment(header_one, "被告人张某某当庭自愿认罪，可酌情从轻处罚。", verdict))
    assert row["confession"] is False
    row = one(judgment(header_one, "被告人张某某庭审中能如实供述，可酌情从轻处罚。", verdict))
    assert row["confession"] is False


def test_police_recovery_is_not_restitution(judgment, header_one, one):
    facts = "经审理查明，被告人张某某盗窃手机一部（已返还被害人）。赃款已被公安机关追缴。"
    verdict = "被告人张某某犯盗窃罪，判处有期徒刑一年。"
    assert one(judgment(header_one, "罪名成立。", verdict, facts=facts))["restitution"] is False


def test_environmental_repair_is_restitution(judgment, header_one, one):
    verdict = "被告人张某某犯滥伐林木罪，判处有期徒刑六个月，缓刑一年。"
    for reasoning in (
        "被告人张某某与村民委员会已达成生态修复协议，可酌情从轻处罚。",
        "案发后，被告人张某某补种了所滥伐林木造成的损失，可以酌情从轻处罚。",
    ):
        assert one(judgment(header_one, reasoning, verdict))["restitution"] is True
    ordered = "责令被告人张某某补种林木一百株。"
    assert one(judgment(header_one, ordered, verdict))["restitution"] is False


def test_debt_repaid_by_family_is_restitution(judgment, header_one, one):
    reasoning = (
        "被告人张某某经发卡银行两次催收后超过三个月仍不归还，系恶意透支。"
        "被告人张某某庭审中自愿认罪，其亲属代其将所欠款项全部还清，对其酌情从轻处罚。"
    )
    verdict = "被告人张某某犯信用卡诈骗罪，判处有期徒刑一年。"
    assert one(judgment(header_one, reasoning, verdict))["restitution"] is True


def test_pointer_to_the_facts_is_not_a_claim(judgment, header_one):
    header = header_one + " 被告人李某乙，女，1985年4月2日出生，汉族。"
    facts = (
        "经审理查明，被告人张某某、李某乙共同开设赌场，抽头渔利15.5万余元。"
        "针对本笔事实，李某乙已在本院退缴赃款5.2万元。"
    )
    verdict = (
        "一、被告人张某某犯开设赌场罪，判处有期徒刑十个月。 "
        "二、被告人李某乙犯开设赌场罪，判处拘役六个月，缓刑六个月。"
    )
    rows = parse_judgment(judgment(header, "二被告人构成开设赌场罪。", verdict, facts), "d")
    assert [r["restitution"] for r in rows] == [False, True]


def test_plea_leniency_claimed_only_by_the_defence_is_false(judgment, header_one, one):
    facts = (
        "经审理查明，被告人张某某盗窃。 被告人张某某的辩护人对指控的事实无异议。在量刑方面，"
        "辩护人的主要辩护意见为，被告人张某某到案后如实供述、认罪认罚，建议从轻处罚。"
    )
    verdict = "被告人张某某犯盗窃罪，判处有期徒刑六个月。"
    row = one(judgment(header_one, "罪名成立。", verdict, facts=facts))
    assert row["plea_leniency"] is False
    # The prosecution's statement of 认罪认罚 is procedural and counts.
    facts = (
        "经审理查明，被告人张某某盗窃。 针对上述事实，公诉机关提交了被告人的供述与辩解等证据。"
        "据此公诉机关认为，被告人张某某的行为构成盗窃罪。被告人张某某认罪认罚，建议判处拘役四个月。"
    )
    assert one(judgment(header_one, "罪名成立。", verdict, facts=facts))["plea_leniency"] is True


@pytest.mark.parametrize(
    ("reasoning", "facts", "expected"),
    [
        # Only an at-trial admission, credited as a discretionary factor: 67(3) is not 坦白.
        ("被告人张某某在开庭审理中认罪态度好，有悔罪表现，可酌情予以从轻处罚。", "", False),
        # The same, but the facts find an admission after arrest.
        (
            "被告人张某某庭审中自愿认罪，对其酌情从轻处罚。",
            "被告人张某某被传唤到案，其归案后对犯罪事实供认不讳。",
            True,
        ),
        # 自愿认罪 not limited to the trial, with 67(3) cited.
        ("被告人张某某自愿认罪，可从轻处罚。", "", True),
        # 如实供述 plus an at-trial 自愿认罪.
        ("被告人张某某能如实供述自己的罪行并当庭自愿认罪，可以从轻处罚。", "", True),
    ],
)
def test_article_67_3_and_at_trial_admissions(
    judgment, header_one, one, reasoning, facts, expected
):
    verdict = "被告人张某某犯盗窃罪，判处拘役一个月。"
    fd = judgment(
        header_one,
        reasoning,
        verdict,
        facts="经审理查明，被告人张某某盗窃。" + facts,
        articles="第二百六十四条、第六十七条第三款",
    )
    assert one(fd)["confession"] is expected
