"""Numerals, durations and fine amounts."""

from __future__ import annotations

import pytest

from ccmodels.extract import chinese_number, parse_duration_months, parse_fine_yuan


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
