"""The judgment-text extractor: numerals, sentences, per-defendant flags, failures, rules."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest

from ccmodels.data.judgments import (
    COLUMNS,
    accuracy_table,
    chinese_number,
    disagreements,
    extract_judgments,
    load_chain_rules,
    parse_duration_months,
    parse_fine_yuan,
    parse_judgment,
)

SAMPLE = Path("/work/shared/data/judgments/cjo_sample.jsonl")
LABELS = Path(__file__).with_name("judgment_labels.csv")
HOLDOUT = Path(__file__).with_name("judgment_labels_holdout.csv")

needs_sample = pytest.mark.skipif(not SAMPLE.exists(), reason="cjo_sample.jsonl not available")


def judgment(
    header: str,
    reasoning: str,
    verdict: str,
    facts: str = "经审理查明，被告人盗窃。",
    articles: str = "第二百六十四条",
) -> str:
    """A minimal but realistic first-instance judgment (``articles``: the Criminal Law basis)."""
    return (
        "福建省福州市鼓楼区人民法院 刑事判决书 （2018）闽0102刑初389号 "
        "公诉机关福州市鼓楼区人民检察院。 "
        f"{header} "
        "福州市鼓楼区人民检察院以鼓检公诉刑诉（2018）410号起诉书指控被告人犯盗窃罪，"
        "于2018年5月2日向本院提起公诉。本院依法组成合议庭，公开开庭审理了本案。现已审理终结。 "
        f"{facts} "
        f"本院认为，{reasoning}依照《中华人民共和国刑法》{articles}之规定，判决如下： "
        f"{verdict} "
        "如不服本判决，可在接到判决书的第二日起十日内，通过本院或者直接向福建省福州市中级人民法院"
        "提出上诉。 审判员张某 二〇一八年六月六日 书记员李某"
    )


def one(fd: str) -> dict:
    rows = parse_judgment(fd, "doc")
    assert len(rows) == 1
    return rows[0]


# --- numerals and durations ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("一年六个月", 18.0),
        ("有期徒刑一年零六个月", 18.0),
        ("拘役四个月十五日", 4.5),
        ("拘役一个月零十五天", 1.5),
        ("有期徒刑十年三个月", 123.0),
        ("缓刑二年", 24.0),
        ("六个月", 6.0),
    ],
)
def test_durations(text, months):
    assert parse_duration_months(text) == pytest.approx(months)


@pytest.mark.parametrize(
    ("text", "yuan"),
    [
        ("人民币五千元", 5000.0),
        ("并处罚金人民币五千元", 5000.0),
        ("罚金1.5万元", 15000.0),
        ("并处罚金二万元", 20000.0),
        ("罚金人民币2，000元", 2000.0),
        ("罚金人民币壹仟元", 1000.0),
        ("罚金人民币一万二千元", 12000.0),
        ("并处罚金九万元人民币", 90000.0),
        ("并处没收个人财产一万元", 0.0),
    ],
)
def test_fines(text, yuan):
    assert parse_fine_yuan(text) == pytest.approx(yuan)


def test_chinese_number_rejects_text():
    assert chinese_number("两") == 2
    with pytest.raises(ValueError):
        chinese_number("盗窃")


# --- sentences ---------------------------------------------------------------------------------

HEADER_ONE = "被告人张某某，男，1990年1月2日出生，汉族，初中文化，住福州市。"


def test_single_defendant_fields():
    fd = judgment(
        HEADER_ONE,
        "被告人张某某到案后如实供述自己的罪行，系坦白，依法可以从轻处罚。",
        "被告人张某某犯盗窃罪，判处有期徒刑一年六个月，缓刑二年，并处罚金人民币五千元。"
        "（缓刑考验期限，从判决确定之日起计算。）",
    )
    row = one(fd)
    assert list(row) == list(COLUMNS)
    assert row["case_id"] == "（2018）闽0102刑初389号"
    assert row["year"] == 2018
    assert row["court"] == "福建省福州市鼓楼区人民法院"
    assert row["province"] == "福建省"
    assert str(row["judgment_date"]) == "2018-06-06"
    assert row["female"] is False
    assert str(row["birth_date"]) == "1990-01-02"
    assert row["age"] == pytest.approx(28.4, abs=0.1)
    assert (row["ethnicity"], row["education"]) == ("汉族", "初中")
    assert row["charges"] == "盗窃罪"
    assert row["article"] == "other"
    assert row["sentence_type"] == "fixed_term"
    assert row["term_months"] == 18.0
    assert row["probation"] is True
    assert row["probation_months"] == 24.0
    assert row["fine_yuan"] == 5000.0
    assert row["confession"] is True
    assert row["surrender"] is False


def test_combined_sentence_takes_decided_term_and_fine():
    fd = judgment(
        HEADER_ONE,
        "被告人张某某一人犯数罪，依法应数罪并罚。",
        "被告人张某某犯开设赌场罪，判处有期徒刑十个月，并处罚金人民币二万元；"
        "犯非法持有枪支罪，判处有期徒刑一年，数罪并罚，决定执行有期徒刑一年六个月，"
        "并处罚金人民币二万元。（刑期从判决执行之日起计算。）",
    )
    row = one(fd)
    assert row["term_months"] == 18.0
    assert row["fine_yuan"] == 20000.0
    assert row["charges"] == "开设赌场罪;非法持有枪支罪"


def test_combination_with_earlier_sentence():
    fd = judgment(
        HEADER_ONE,
        "被告人张某某在刑罚执行完毕以前又犯新罪，应当数罪并罚。",
        "被告人张某某犯盗窃罪，判处有期徒刑七个月，并处罚金人民币二千元；与前罪没有执行的"
        "有期徒刑一年四个月又十五天，并处罚金人民币七千元并罚，决定执行有期徒刑二年，"
        "并处罚金人民币九千元。",
    )
    row = one(fd)
    assert (row["term_months"], row["fine_yuan"]) == (24.0, 9000.0)
    assert row["charges"] == "盗窃罪"  # the earlier crime is not a conviction of this judgment


@pytest.mark.parametrize(
    ("verdict", "kind", "term", "fine"),
    [
        (
            "被告人张某某犯危险驾驶罪，判处拘役四个月十五日，并处罚金人民币三千元。",
            "detention",
            4.5,
            3e3,
        ),
        ("被告人张某某犯盗窃罪，判处罚金人民币五千元（罚金已缴纳）。", "fine_only", 0.0, 5e3),
        ("被告人张某某犯滥伐林木罪，免予刑事处罚。", "exempt", 0.0, 0.0),
        ("被告人张某某犯寻衅滋事罪，判处管制一年。", "control", 0.0, 0.0),
        ("被告人张某某犯盗窃罪，判处有期徒刑八个月，罚金1.5万元。", "fixed_term", 8.0, 1.5e4),
        (
            "被告人张某某犯贩卖毒品罪，判处有期徒刑十五年，并处没收个人财产一万元。",
            "fixed_term",
            180,
            0,
        ),
    ],
)
def test_sentence_types(verdict, kind, term, fine):
    row = one(judgment(HEADER_ONE, "公诉机关指控的罪名成立。", verdict))
    assert (row["sentence_type"], row["term_months"], row["fine_yuan"]) == (kind, term, fine)
    assert row["probation"] is False


def test_appeal_skips_quashed_items():
    fd = judgment(
        "上诉人（原审被告人）张某某，男，1990年1月2日出生。",
        "上诉人张某某如实供述，原判量刑不当。",
        "一、撤销福州市鼓楼区人民法院（2018）闽0102刑初1号刑事判决，即被告人张某某犯盗窃罪，"
        "判处有期徒刑一年，并处罚金人民币一万元。 二、上诉人（原审被告人）张某某犯盗窃罪，"
        "判处有期徒刑八个月，缓刑一年，并处罚金人民币五千元。",
    )
    row = one(fd)
    assert (row["term_months"], row["probation_months"], row["fine_yuan"]) == (8.0, 12.0, 5000.0)


def test_life_sentence_is_a_failure_not_a_number(tmp_path):
    fd = judgment(HEADER_ONE, "罪行极其严重。", "被告人张某某犯贩卖毒品罪，判处无期徒刑。")
    assert parse_judgment(fd, "doc") == []
    path = tmp_path / "life.jsonl"
    path.write_text(json.dumps({"text_id": "life", "fd": fd}, ensure_ascii=False) + "\n", "utf-8")
    res = extract_judgments(path, progress=False)
    assert len(res.offenders) == 0
    assert res.failures["doc_id"].tolist() == ["life"]
    assert "无期徒刑" in res.failures["reason"].iat[0]


# --- several defendants ----------------------------------------------------------------------

HEADER_THREE = (
    "被告人王某甲，男，1980年3月1日出生，汉族。 辩护人赵某，律师。 "
    "被告人李某乙，女，1985年4月2日出生，回族，小学文化。 "
    "被告人陈某丙（曾用名陈某某），男，1999年5月3日出生，汉族，高中文化。"
)
VERDICT_THREE = (
    "一、被告人陈某丙犯盗窃罪，判处拘役五个月，并处罚金人民币一千元。 "
    "二、被告人王某甲犯盗窃罪，判处有期徒刑二年，并处罚金人民币五千元。 "
    "三、被告人李某乙犯盗窃罪，判处有期徒刑一年，缓刑一年六个月，并处罚金人民币三千元。 "
    "四、责令被告人王某甲、李某乙、陈某丙退赔被害人经济损失。"
)


def test_one_row_per_defendant_in_header_order():
    rows = parse_judgment(judgment(HEADER_THREE, "三被告人构成盗窃罪。", VERDICT_THREE), "d")
    assert [(r["defendant"], r["name"]) for r in rows] == [
        (0, "王某甲"),
        (1, "李某乙"),
        (2, "陈某丙"),
    ]
    assert [r["term_months"] for r in rows] == [24.0, 12.0, 5.0]
    assert [r["sentence_type"] for r in rows] == ["fixed_term", "fixed_term", "detention"]
    assert [r["probation_months"] for r in rows] == [0.0, 18.0, 0.0]
    assert [r["fine_yuan"] for r in rows] == [5000.0, 3000.0, 1000.0]
    assert [r["female"] for r in rows] == [False, True, False]
    assert [r["ethnicity"] for r in rows] == ["汉族", "回族", "汉族"]
    assert all(r["restitution"] is False for r in rows)  # 责令退赔 is an order, not restitution


def test_flags_are_per_defendant():
    reasoning = (
        "被告人王某甲在共同犯罪中起主要作用，系主犯；被告人李某乙、陈某丙起次要作用，系从犯，"
        "依法应当从轻处罚。被告人陈某丙有自首情节，可以从轻处罚。被告人王某甲、李某乙到案后"
        "如实供述自己的罪行，系坦白。被告人王某甲曾因故意犯罪被判处有期徒刑，刑罚执行完毕后五年内"
        "再犯应当判处有期徒刑以上刑罚之罪，系累犯，应当从重处罚。被告人李某乙已退赔被害人全部"
        "经济损失，取得被害人谅解，可以酌情从轻处罚。三被告人均自愿认罪认罚。"
    )
    rows = parse_judgment(judgment(HEADER_THREE, reasoning, VERDICT_THREE), "d")
    flags = {r["name"]: r for r in rows}
    assert [flags[n]["accessory"] for n in ("王某甲", "李某乙", "陈某丙")] == [False, True, True]
    assert [flags[n]["surrender"] for n in ("王某甲", "李某乙", "陈某丙")] == [False, False, True]
    assert [flags[n]["confession"] for n in ("王某甲", "李某乙", "陈某丙")] == [True, True, False]
    assert [flags[n]["recidivist"] for n in ("王某甲", "李某乙", "陈某丙")] == [True, False, False]
    assert [flags[n]["restitution"] for n in ("王某甲", "李某乙", "陈某丙")] == [False, True, False]
    assert all(r["plea_leniency"] for r in rows)


def test_two_of_three_means_the_two_just_named():
    reasoning = (
        "被告人李某乙、陈某丙的家属已代为退赔被害人损失，取得被害人谅解，可酌情从轻处罚。"
        "被告人李某乙、陈某丙的辩护人关于二被告人已赔偿获谅解的辩护意见与查明事实相符，"
        "本院予以采纳。"
    )
    rows = parse_judgment(judgment(HEADER_THREE, reasoning, VERDICT_THREE), "d")
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
def test_rejected_or_negated_claims_are_false(reasoning, flag):
    verdict = "被告人张某某犯盗窃罪，判处有期徒刑一年。"
    assert one(judgment(HEADER_ONE, reasoning, verdict))[flag] is False


@pytest.mark.parametrize(
    ("reasoning", "flag"),
    [
        ("辩护人提出被告人张某某有自首情节的辩护意见，经查属实，本院予以采纳。", "surrender"),
        ("被告人张某某犯罪时未满十八周岁，依法应当从轻处罚。", "juvenile"),
        ("被告人张某某已着手实行犯罪，由于意志以外的原因而未得逞，系犯罪未遂。", "attempted"),
        ("被告人张某某系又聋又哑的人，依法可以从轻处罚。", "disability"),
    ],
)
def test_accepted_findings_are_true(reasoning, flag):
    verdict = "被告人张某某犯盗窃罪，判处有期徒刑一年。"
    assert one(judgment(HEADER_ONE, reasoning, verdict))[flag] is True


def test_confession_at_trial_only_is_not_tanbai():
    verdict = "被告人张某某犯盗窃罪，判处有期徒刑一年。"
    row = one(judgment(HEADER_ONE, "被告人张某某当庭自愿认罪，可酌情从轻处罚。", verdict))
    assert row["confession"] is False
    row = one(judgment(HEADER_ONE, "被告人张某某庭审中能如实供述，可酌情从轻处罚。", verdict))
    assert row["confession"] is False


def test_police_recovery_is_not_restitution():
    facts = "经审理查明，被告人张某某盗窃手机一部（已返还被害人）。赃款已被公安机关追缴。"
    verdict = "被告人张某某犯盗窃罪，判处有期徒刑一年。"
    assert one(judgment(HEADER_ONE, "罪名成立。", verdict, facts=facts))["restitution"] is False


def test_environmental_repair_is_restitution():
    verdict = "被告人张某某犯滥伐林木罪，判处有期徒刑六个月，缓刑一年。"
    for reasoning in (
        "被告人张某某与村民委员会已达成生态修复协议，可酌情从轻处罚。",
        "案发后，被告人张某某补种了所滥伐林木造成的损失，可以酌情从轻处罚。",
    ):
        assert one(judgment(HEADER_ONE, reasoning, verdict))["restitution"] is True
    ordered = "责令被告人张某某补种林木一百株。"
    assert one(judgment(HEADER_ONE, ordered, verdict))["restitution"] is False


def test_debt_repaid_by_family_is_restitution():
    reasoning = (
        "被告人张某某经发卡银行两次催收后超过三个月仍不归还，系恶意透支。"
        "被告人张某某庭审中自愿认罪，其亲属代其将所欠款项全部还清，对其酌情从轻处罚。"
    )
    verdict = "被告人张某某犯信用卡诈骗罪，判处有期徒刑一年。"
    assert one(judgment(HEADER_ONE, reasoning, verdict))["restitution"] is True


def test_pointer_to_the_facts_is_not_a_claim():
    header = HEADER_ONE + " 被告人李某乙，女，1985年4月2日出生，汉族。"
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


def test_plea_leniency_claimed_only_by_the_defence_is_false():
    facts = (
        "经审理查明，被告人张某某盗窃。 被告人张某某的辩护人对指控的事实无异议。在量刑方面，"
        "辩护人的主要辩护意见为，被告人张某某到案后如实供述、认罪认罚，建议从轻处罚。"
    )
    verdict = "被告人张某某犯盗窃罪，判处有期徒刑六个月。"
    row = one(judgment(HEADER_ONE, "罪名成立。", verdict, facts=facts))
    assert row["plea_leniency"] is False
    # The prosecution's statement of 认罪认罚 is procedural and counts.
    facts = (
        "经审理查明，被告人张某某盗窃。 针对上述事实，公诉机关提交了被告人的供述与辩解等证据。"
        "据此公诉机关认为，被告人张某某的行为构成盗窃罪。被告人张某某认罪认罚，建议判处拘役四个月。"
    )
    assert one(judgment(HEADER_ONE, "罪名成立。", verdict, facts=facts))["plea_leniency"] is True


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
def test_article_67_3_and_at_trial_admissions(reasoning, facts, expected):
    verdict = "被告人张某某犯盗窃罪，判处拘役一个月。"
    fd = judgment(
        HEADER_ONE,
        reasoning,
        verdict,
        facts="经审理查明，被告人张某某盗窃。" + facts,
        articles="第二百六十四条、第六十七条第三款",
    )
    assert one(fd)["confession"] is expected


# --- files, failures, rules --------------------------------------------------------------------


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_malformed_lines_are_reported_with_line_numbers(tmp_path):
    good = judgment(HEADER_ONE, "罪名成立。", "被告人张某某犯盗窃罪，判处有期徒刑一年。")
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            json.dumps({"text_id": "a", "fd": good}, ensure_ascii=False),
            '{"text_id": "b", "fd": "unterminated',
            "",
            json.dumps({"text_id": "c"}),
            "[1, 2]",
            json.dumps({"text_id": "d", "fd": "无关文字"}, ensure_ascii=False),
            json.dumps({"text_id": "e", "fd": good}, ensure_ascii=False),
        ],
    )
    res = extract_judgments(path, progress=False)
    assert res.offenders["doc_id"].tolist() == ["a", "e"]
    fail = res.failures.set_index("line")
    assert fail.index.tolist() == [2, 4, 5, 6]
    assert fail.loc[2, "reason"].startswith("malformed JSON")
    assert fail.loc[4, "doc_id"] == "c"
    assert fail.loc[6, "doc_id"] == "d"
    assert list(res.failures.columns) == ["line", "doc_id", "reason"]
    assert "failures: 4" in res.coverage_text()


def test_rule_table_is_overridable(tmp_path):
    facts = "经审理查明，被告人张某某利用木马程序盗取被害人的游戏账号及游戏装备后出售。"
    fd = judgment(HEADER_ONE, "罪名成立。", "被告人张某某犯盗窃罪，判处有期徒刑一年。", facts=facts)
    default = one(fd)
    assert default["chain_virtual_assets"] is True
    assert default["target"] == "gaming"
    assert default["chain_gov_systems"] is False

    custom = tmp_path / "rules.toml"
    custom.write_text(
        '[settings]\nrequire_context = false\n\n[chains.gov_systems]\nkeywords = ["木马"]\n\n'
        '[targets.government]\nkeywords = ["游戏"]\n',
        encoding="utf-8",
    )
    rows = parse_judgment(fd, "doc", rules=custom)
    assert rows[0]["chain_gov_systems"] is True
    assert rows[0]["chain_virtual_assets"] is False  # not in the custom table
    assert rows[0]["target"] == "government"

    path = write_jsonl(tmp_path / "one.jsonl", [json.dumps({"text_id": "x", "fd": fd})])
    assert (
        extract_judgments(path, progress=False, rules=custom).offenders["chain_gov_systems"].all()
    )


def test_no_context_means_no_chain():
    facts = "经审理查明，被告人张某某在超市盗窃现金人民币五百元及银行卡一张。"
    row = one(judgment(HEADER_ONE, "罪名成立。", "被告人张某某犯盗窃罪，判处拘役三个月。", facts))
    assert not any(row[c] for c in COLUMNS if c.startswith("chain_"))
    assert row["target"] == "unknown"


def test_bad_rule_table_is_rejected(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[chains.crypto]\nkeywords = ["币"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown chain"):
        load_chain_rules(bad)


# --- the real sample ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    start = time.perf_counter()
    res = extract_judgments(SAMPLE, progress=False)
    return res, time.perf_counter() - start


@needs_sample
def test_every_document_yields_a_defendant_or_a_failure(sample):
    res, seconds = sample
    ids = {json.loads(line)["text_id"] for line in SAMPLE.read_text("utf-8").splitlines()}
    assert len(ids) == 381
    covered = set(res.offenders["doc_id"]) | set(res.failures["doc_id"].dropna())
    assert covered == ids
    assert seconds < 5.0


@needs_sample
def test_sample_table_types_and_values(sample):
    res, _ = sample
    df = res.offenders
    expected = list(COLUMNS)
    expected.insert(expected.index("charges") + 1, "charge")
    assert list(df.columns) == expected
    assert not df.duplicated(["doc_id", "defendant"]).any()
    assert df["sentence_type"].notna().all()
    assert (df["term_months"] >= 0).all() and (df["fine_yuan"] >= 0).all()
    assert (df.loc[~df["probation"], "probation_months"] == 0).all()
    assert (df.loc[df["surrender"], "confession"] == False).all()  # noqa: E712
    assert pd.api.types.is_datetime64_any_dtype(df["judgment_date"])
    assert df["court"].notna().mean() > 0.99 and df["province"].notna().mean() > 0.99
    for col in ("year", "court", "case_id", "chain_real_assets", "target"):
        assert (df.groupby("doc_id")[col].nunique(dropna=False) <= 1).all()
    cov = res.coverage
    assert cov.loc["sentence_type", "share"] == 1.0
    assert "defendants:" in res.coverage_text()


@needs_sample
@pytest.mark.parametrize(
    "labels",
    [
        # Documents 1-90, used while developing the extractor.
        pytest.param(LABELS, id="development"),
        # Documents 91-175, labelled independently (see LABELLING.md): a check on overfitting.
        pytest.param(HOLDOUT, id="holdout"),
    ],
)
def test_accuracy_against_hand_labels(sample, labels):
    if not labels.exists():
        pytest.skip(f"no hand labels: {labels.name}")
    res, _ = sample
    table = accuracy_table(labels, res)
    assert (table["matched"] == table["n"]).all(), disagreements(labels, res)
    for field in ("sentence_type", "term_months", "probation", "probation_months", "fine_yuan"):
        assert table.loc[field, "accuracy"] >= 0.98, (field, disagreements(labels, res))
    flags = [
        f
        for f in (
            "surrender",
            "confession",
            "accessory",
            "recidivist",
            "juvenile",
            "restitution",
            "plea_leniency",
            "attempted",
        )
        if f in table.index
    ]
    for field in flags:
        assert table.loc[field, "accuracy"] >= 0.95, (field, disagreements(labels, res))
