"""Reading CSV offender tables in UTF-8 (with or without BOM), GB18030/GBK, or a given encoding."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from ccmodels.cli import app
from ccmodels.data import DataValidationError, read_table, validate
from ccmodels.simulate import Scenario, simulate

COURT = "北京市海淀区人民法院"
runner = CliRunner()


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    o = simulate(Scenario.default(), 1).offenders.head(6).copy()
    o["case_id"] = o["case_id"].astype(str)
    o["court"] = COURT
    # case_id first, so a BOM would land in the name the contract requires
    return o[["case_id", *[c for c in o.columns if c != "case_id"]]].reset_index(drop=True)


def _csv(df: pd.DataFrame, path, encoding: str):
    df.to_csv(path, index=False, encoding=encoding)
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_detected_encodings_read_back_equal(tmp_path, table, encoding):
    p = _csv(table, tmp_path / f"t-{encoding}.csv", encoding)
    raw = p.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    if encoding in ("gb18030", "gbk"):
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")  # the detection really has to fall back
    back = read_table(p)
    assert list(back.columns) == list(table.columns)
    assert back.columns[0] == "case_id"
    assert (back["court"] == COURT).all()
    reference = read_table(_csv(table, tmp_path / "reference.csv", "utf-8"))
    pd.testing.assert_frame_equal(back, reference)
    assert list(back["case_id"]) == list(table["case_id"])
    pd.testing.assert_series_equal(back["term_months"], table["term_months"])
    validate(back)


def test_explicit_encoding_is_used_as_given(tmp_path, table):
    p = _csv(table, tmp_path / "t.csv", "gbk")
    assert (read_table(p, encoding="gbk")["court"] == COURT).all()
    assert (read_table(p, encoding="GB18030")["court"] == COURT).all()
    # latin-1 decodes any bytes: used as given, the Chinese text comes back garbled
    assert not (read_table(p, encoding="latin-1")["court"] == COURT).any()
    bom = _csv(table, tmp_path / "bom.csv", "utf-8-sig")
    assert read_table(bom, encoding="utf-8").columns[0] == "case_id"


def _undecodable(tmp_path, table):
    """A UTF-8 table with one byte (0xff) that is valid in neither UTF-8 nor GB18030."""
    p = _csv(table, tmp_path / "broken.csv", "utf-8")
    raw = p.read_bytes()
    i = raw.index(COURT.encode("utf-8"), raw.index(b"\n"))
    p.write_bytes(raw[:i] + b"\xff" + raw[i:])
    return p, i, raw[:i].count(b"\n") + 1


def test_undecodable_file_names_file_position_encodings_and_fix(tmp_path, table):
    p, offset, line = _undecodable(tmp_path, table)
    with pytest.raises(DataValidationError) as err:
        read_table(p)
    msg = str(err.value)
    assert str(p) in msg
    assert f"utf-8-sig failed at byte offset {offset}, line {line}" in msg
    assert f"gb18030 failed at byte offset {offset}, line {line}" in msg
    assert "re-save the file as UTF-8" in msg and "encoding=" in msg and "--encoding ENC" in msg


def test_decoding_error_with_explicit_encoding(tmp_path, table):
    p = _csv(table, tmp_path / "t.csv", "gbk")
    with pytest.raises(DataValidationError) as err:
        read_table(p, encoding="utf-8")
    msg = str(err.value)
    assert str(p) in msg and "utf-8 failed at byte offset" in msg
    assert "gb18030 failed" not in msg and "re-save the file as UTF-8" in msg


@pytest.mark.parametrize("name", ["gbk2312", "base64"])
def test_unknown_encoding_names_typical_values(tmp_path, table, name):
    p = _csv(table, tmp_path / "t.csv", "utf-8")
    with pytest.raises(ValueError, match=f"unknown text encoding '{name}'") as err:
        read_table(p, encoding=name)
    assert not isinstance(err.value, LookupError)
    assert "utf-8, utf-8-sig, gb18030, gbk" in str(err.value)


def test_parquet_ignores_encoding(tmp_path, table):
    p = tmp_path / "t.parquet"
    table.to_parquet(p, index=False)
    assert (read_table(p, encoding="no-such-codec")["court"] == COURT).all()


def test_cli_check_data_gbk_and_undecodable(tmp_path, table):
    gbk = _csv(table, tmp_path / "gbk.csv", "gbk")
    r = runner.invoke(app, ["check-data", str(gbk)])
    assert r.exit_code == 0, r.output
    assert "OK" in r.output
    r = runner.invoke(app, ["check-data", str(gbk), "--encoding", "gbk"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["check-data", str(gbk), "--encoding", "utf-8"])
    assert r.exit_code == 1 and "utf-8 failed at byte offset" in r.output

    p, offset, _ = _undecodable(tmp_path, table)
    r = runner.invoke(app, ["check-data", str(p)])
    assert r.exit_code == 1
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "Traceback" not in r.output
    assert str(p) in r.output and f"byte offset {offset}" in r.output
    assert "re-save the file as UTF-8" in r.output and "--encoding ENC" in r.output

    r = runner.invoke(app, ["check-data", str(gbk), "--encoding", "gbk2312"])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "unknown text encoding 'gbk2312'" in r.output


def test_cli_fit_reads_data_with_encoding(tmp_path, table):
    from pathlib import Path

    spec = Path(__file__).resolve().parents[2] / "models" / "sentence.toml"
    p, _, _ = _undecodable(tmp_path, table)
    out = tmp_path / "fit.nc"
    r = runner.invoke(app, ["fit", str(spec), "--data", str(p), "--out", str(out)])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "re-save the file as UTF-8" in r.output and not out.exists()
    r = runner.invoke(
        app, ["fit", str(spec), "--data", str(p), "--out", str(out), "--encoding", "nope"]
    )
    assert r.exit_code == 1 and "unknown text encoding 'nope'" in r.output
