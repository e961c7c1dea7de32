"""Whole judgments and files: the fields of a row, failures, and the real sample."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ccmodels.extract import COLUMNS, extract_judgments, parse_judgment


def test_single_defendant_fields(judgment, header_one, one):
    fd = judgment(
        header_one,
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


def test_life_sentence_is_a_failure_not_a_number(tmp_path, judgment, header_one):
    fd = judgment(header_one, "罪行极其严重。", "被告人张某某犯贩卖毒品罪，判处无期徒刑。")
    assert parse_judgment(fd, "doc") == []
    path = tmp_path / "life.jsonl"
    path.write_text(json.dumps({"text_id": "life", "fd": fd}, ensure_ascii=False) + "\n", "utf-8")
    res = extract_judgments(path, progress=False)
    assert len(res.offenders) == 0
    assert res.failures["doc_id"].tolist() == ["life"]
    assert "无期徒刑" in res.failures["reason"].iat[0]


def test_malformed_lines_are_reported_with_line_numbers(
    tmp_path, judgment, header_one, write_jsonl
):
    good = judgment(header_one, "罪名成立。", "被告人张某某犯盗窃罪，判处有期徒刑一年。")
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


# --- the real sample ---------------------------------------------------------------------------


def test_every_document_yields_a_defendant_or_a_failure(sample, sample_path):
    res, seconds = sample
    ids = {json.loads(line)["text_id"] for line in sample_path.read_text("utf-8").splitlines()}
    assert len(ids) == 381
    covered = set(res.offenders["doc_id"]) | set(res.failures["doc_id"].dropna())
    assert covered == ids
    assert seconds < 5.0


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
