"""Sentences from the 判决如下 section: combined terms, sentence types, appeals, several defendants."""

from __future__ import annotations

import pytest

from ccmodels import law
from ccmodels.extract.verdict import CYBER_ARTICLES


def test_cyber_articles_are_contract_articles():
    assert set(CYBER_ARTICLES.values()) <= set(law.ARTICLES) - {"other"}


def test_combined_sentence_takes_decided_term_and_fine(judgment, header_one, one):
    fd = judgment(
        header_one,
        "被告人张某某一人犯数罪，依法应数罪并罚。",
        "被告人张某某犯开设赌场罪，判处有期徒刑十个月，并处罚金人民币二万元；"
        "犯非法持有枪支罪，判处有期徒刑一年，数罪并罚，决定执行有期徒刑一年六个月，"
        "并处罚金人民币二万元。（刑期从判决执行之日起计算。）",
    )
    row = one(fd)
    assert row["term_months"] == 18.0
    assert row["fine_yuan"] == 20000.0
    assert row["charges"] == "开设赌场罪;非法持有枪支罪"


def test_combination_with_earlier_sentence(judgment, header_one, one):
    fd = judgment(
        header_one,
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
def test_sentence_types(judgment, header_one, one, verdict, kind, term, fine):
    row = one(judgment(header_one, "公诉机关指控的罪名成立。", verdict))
    assert (row["sentence_type"], row["term_months"], row["fine_yuan"]) == (kind, term, fine)
    assert row["probation"] is False


def test_appeal_skips_quashed_items(judgment, one):
    fd = judgment(
        "上诉人（原审被告人）张某某，男，1990年1月2日出生。",
        "上诉人张某某如实供述，原判量刑不当。",
        "一、撤销福州市鼓楼区人民法院（2018）闽0102刑初1号刑事判决，即被告人张某某犯盗窃罪，"
        "判处有期徒刑一年，并处罚金人民币一万元。 二、上诉人（原审被告人）张某某犯盗窃罪，"
        "判处有期徒刑八个月，缓刑一年，并处罚金人民币五千元。",
    )
    row = one(fd)
    assert (row["term_months"], row["probation_months"], row["fine_yuan"]) == (8.0, 12.0, 5000.0)


def test_one_row_per_defendant_in_header_order(three):
    rows = three("三被告人构成盗窃罪。")
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
