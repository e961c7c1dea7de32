"""The defendant's role (principal, ringleader) and the number of charges combined."""

from __future__ import annotations

import pytest

from ccmodels.data.schema import ROLE_COLUMNS
from ccmodels.extract import COLUMNS, parse_judgment
from ccmodels.extract.flags import ROLE_FLAGS
from ccmodels.extract.verdict import combined_charges

VERDICT_ONE = "被告人张某某犯盗窃罪，判处有期徒刑一年。"


def test_role_columns_are_the_contract_columns():
    assert set(ROLE_FLAGS) | {"n_charges"} == set(ROLE_COLUMNS)
    assert set(ROLE_COLUMNS) <= set(COLUMNS)


# --- principal ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reasoning",
    [
        "被告人张某某在共同犯罪中起主要作用，系主犯，应当按照其所参与的全部犯罪处罚。",
        "被告人张某某在犯罪过程中起主要作用，根据《中华人民共和国刑法》第二十六条之规定，应认定为主犯。",
        "在共同犯罪中，被告人张某某积极实施犯罪，起主要作用。",
        "公诉机关认为被告人张某某系主犯的意见，与查明的事实相符，本院予以采纳。",
        "被告人张某某系主犯之一，应当从重处罚。",
    ],
)
def test_principal_found_by_the_court(judgment, header_one, one, reasoning):
    row = one(judgment(header_one, reasoning, VERDICT_ONE))
    assert row["principal"] is True
    assert row["ringleader"] is False


@pytest.mark.parametrize(
    "reasoning",
    [
        "本案系共同犯罪，但不区分主从犯。",
        "两被告人在共同犯罪中地位作用相当，不宜区分主犯、从犯。",
        "被告人张某某在共同犯罪中不起主要作用，不认定为主犯。",
        "辩护人提出被告人张某某并非主犯的意见，本院予以采纳。",
        "公诉机关认为被告人张某某系主犯，经查，被告人张某某起次要作用，系从犯。",
        "被告人张某某听从主犯李某（另案处理）的安排，参与盗窃，起次要作用，系从犯。",
        "被告人张某某与主犯相比作用较小，可酌情从轻处罚。",
        "被告人张某某伙同他人盗窃，其行为已构成盗窃罪。",
    ],
)
def test_no_principal_without_a_finding(judgment, header_one, one, reasoning):
    assert one(judgment(header_one, reasoning, VERDICT_ONE))["principal"] is False


def test_principal_is_per_defendant(three):
    rows = three(
        "被告人王某甲在共同犯罪中起主要作用，系主犯；被告人李某乙、陈某丙起次要作用，系从犯，"
        "依法应当从轻处罚。"
    )
    assert [r["principal"] for r in rows] == [True, False, False]
    assert [r["accessory"] for r in rows] == [False, True, True]


def test_everyone_principal(three):
    rows = three("在共同犯罪中，三被告人均起主要作用，均系主犯。")
    assert all(r["principal"] for r in rows)


def test_citation_of_article_26_is_a_fallback_for_one_defendant(judgment, header_one, one):
    fd = judgment(
        header_one,
        "被告人张某某伙同他人盗窃，其行为已构成盗窃罪。",
        VERDICT_ONE,
        articles="第二百六十四条、第二十五条第一款、第二十六条第一款、第四款",
    )
    assert one(fd)["principal"] is True


# --- ringleader ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reasoning",
    [
        "被告人张某某系犯罪集团的首要分子，应当按照集团所犯的全部罪行处罚。",
        "被告人张某某组织、领导犯罪集团进行犯罪活动，系首要分子。",
        "该诈骗集团以被告人张某某为首，被告人张某某系首要分子。",
        "被告人张某某系黑社会性质组织的组织者、领导者，应当按照其所组织、领导的组织所犯的全部罪行处罚。",
    ],
)
def test_ringleader_of_a_criminal_group(judgment, header_one, one, reasoning):
    row = one(judgment(header_one, reasoning, VERDICT_ONE))
    assert row["ringleader"] is True
    assert row["principal"] is True  # art. 26: who leads a criminal group is a principal


@pytest.mark.parametrize(
    "reasoning",
    [
        # The ringleader of a mob crime is not the ringleader of a criminal group (art. 74).
        "被告人张某某在聚众斗殴中起组织、策划、指挥作用，系首要分子，应予严惩。",
        "被告人张某某不是犯罪集团的首要分子，辩护人的该项辩护意见本院予以采纳。",
        "本案不构成犯罪集团，被告人张某某系首要分子的指控不能成立。",
        "关于被告人张某某是否系犯罪集团首要分子的问题，本院将在量刑时综合考虑。",
    ],
)
def test_no_ringleader_of_a_criminal_group(judgment, header_one, one, reasoning):
    assert one(judgment(header_one, reasoning, VERDICT_ONE))["ringleader"] is False


def test_ringleader_is_per_defendant(three):
    rows = three(
        "被告人王某甲系该犯罪集团的首要分子；被告人李某乙积极参加，亦系主犯；被告人陈某丙"
        "起次要作用，系从犯。"
    )
    assert [r["ringleader"] for r in rows] == [True, False, False]
    assert [r["principal"] for r in rows] == [True, True, False]


# --- number of charges --------------------------------------------------------------------------


def test_several_crimes_combined(judgment, header_one, one):
    fd = judgment(
        header_one,
        "被告人张某某一人犯数罪，依法应数罪并罚。",
        "被告人张某某犯开设赌场罪，判处有期徒刑十个月，并处罚金人民币二万元；犯非法持有枪支罪，"
        "判处有期徒刑一年；犯盗窃罪，判处拘役三个月，数罪并罚，决定执行有期徒刑一年八个月，"
        "并处罚金人民币二万元。",
    )
    row = one(fd)
    assert row["n_charges"] == 3
    assert row["term_months"] == 20.0


def test_one_crime_is_one_charge(judgment, header_one, one):
    fd = judgment(
        header_one, "被告人张某某构成盗窃罪。", "被告人张某某犯盗窃罪，判处有期徒刑一年。"
    )
    assert one(fd)["n_charges"] == 1


@pytest.mark.parametrize(
    "verdict",
    [
        "被告人张某某犯诈骗罪，判处有期徒刑一年四个月；与前罪寻衅滋事罪判处的刑罚一年二个月合并执行，"
        "决定执行有期徒刑二年。",
        "被告人张某某犯盗窃罪，判处有期徒刑八个月；原犯盗窃罪被判处有期徒刑八个月；"
        "决定执行有期徒刑一年。",
        "被告人张某某犯集资诈骗罪，判处有期徒刑十五年；连同前判有期徒刑十五年，决定执行有期徒刑十九年。",
        "被告人张某某犯挪用公款罪，判处有期徒刑一年。撤销本院对被告人张某某宣告的缓刑，原判有期徒刑"
        "二年，缓刑二年。数罪并罚，决定合并执行有期徒刑二年六个月。",
    ],
)
def test_earlier_sentence_joined_counts_as_one_more(judgment, header_one, one, verdict):
    fd = judgment(header_one, "被告人张某某在判决宣告以后又发现漏罪，应当数罪并罚。", verdict)
    row = one(fd)
    assert row["n_charges"] == 2
    assert len(row["charges"].split(";")) == 1


def test_charges_per_defendant(judgment):
    header = (
        "被告人王某甲，男，1980年3月1日出生，汉族。 被告人李某乙，女，1985年4月2日出生，回族。 "
        "被告人陈某丙，男，1999年5月3日出生，汉族。"
    )
    verdict = (
        "一、被告人王某甲犯盗窃罪，判处有期徒刑二年，犯诈骗罪，判处有期徒刑一年，决定执行有期徒刑"
        "二年六个月。 二、被告人李某乙犯盗窃罪，判处有期徒刑一年。 三、被告人陈某丙犯盗窃罪，"
        "判处拘役五个月。"
    )
    rows = parse_judgment(judgment(header, "各被告人均构成犯罪。", verdict), "d")
    assert [r["n_charges"] for r in rows] == [2, 1, 1]


def test_combined_charges_counts_distinct_charges():
    seg = "被告人甲犯盗窃罪，判处有期徒刑一年；犯盗窃罪，判处有期徒刑六个月；决定执行有期徒刑一年三个月。"
    assert combined_charges(seg, ["盗窃罪", "盗窃罪"]) == 2  # a combined sentence counts two
    assert combined_charges("被告人甲犯盗窃罪，判处有期徒刑一年。", []) == 1


@pytest.mark.parametrize(
    ("reasoning", "group"),
    [
        ("本案系诈骗犯罪集团，被告人张某某系首要分子。", True),
        ("本案不属于诈骗犯罪集团，被告人张某某系首要分子。", False),
        ("被告人张某某纠集多人，尚未形成犯罪集团，其在聚众斗殴中系首要分子。", False),
    ],
)
def test_a_denied_criminal_group_has_no_ringleader(judgment, header_one, one, reasoning, group):
    row = one(judgment(header_one, reasoning, VERDICT_ONE))
    assert row["ringleader"] is group
