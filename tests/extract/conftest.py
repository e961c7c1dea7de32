"""Builders of synthetic judgments and the real sample, shared by the extraction tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ccmodels.extract import ExtractionResult, extract_judgments, parse_judgment

SAMPLE = Path("/work/shared/data/judgments/cjo_sample.jsonl")

HEADER_ONE = "被告人张某某，男，1990年1月2日出生，汉族，初中文化，住福州市。"
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


def build_judgment(
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


def only_row(fd: str) -> dict:
    rows = parse_judgment(fd, "doc")
    assert len(rows) == 1
    return rows[0]


@pytest.fixture
def judgment() -> Callable[..., str]:
    """``judgment(header, reasoning, verdict, facts=..., articles=...)``: a judgment text."""
    return build_judgment


@pytest.fixture
def header_one() -> str:
    """The header entry of the single defendant 张某某."""
    return HEADER_ONE


@pytest.fixture
def one() -> Callable[[str], dict]:
    """``one(fd)``: the only row of a single-defendant judgment."""
    return only_row


@pytest.fixture
def three() -> Callable[[str], list[dict]]:
    """``three(reasoning)``: the rows of a judgment of three defendants (王某甲, 李某乙, 陈某丙)."""

    def rows(reasoning: str) -> list[dict]:
        return parse_judgment(build_judgment(HEADER_THREE, reasoning, VERDICT_THREE), "d")

    return rows


@pytest.fixture
def write_jsonl() -> Callable[[Path, list[str]], Path]:
    """``write_jsonl(path, lines)``: a JSON-lines file of the given lines."""

    def write(path: Path, lines: list[str]) -> Path:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def sample_path() -> Path:
    """The shared sample of 381 judgments (tests using it skip when it is not available)."""
    if not SAMPLE.exists():
        pytest.skip("cjo_sample.jsonl not available")
    return SAMPLE


@pytest.fixture(scope="session")
def sample(sample_path: Path) -> tuple[ExtractionResult, float]:
    """The extraction of the sample and the seconds it took."""
    start = time.perf_counter()
    res = extract_judgments(sample_path, progress=False)
    return res, time.perf_counter() - start
