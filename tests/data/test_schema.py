"""The data contract: every simulated table passes; each kind of corruption is named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccmodels.data import DataValidationError, read_table, validate, write_table
from ccmodels.simulate import Scenario, simulate

SC = Scenario.default()


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return simulate(SC, 11).offenders


@given(seed=st.integers(0, 2**31 - 1))
def test_validator_accepts_every_simulated_table(seed):
    pop = simulate(SC, seed)
    rep = validate(pop.offenders)
    assert len(rep.data) == len(pop.offenders)
    assert len(rep.dropped) == 0


def _custodial_row(df: pd.DataFrame, term_max: float = 36) -> int:
    m = (df["sentence_type"] == "fixed_term") & (df["term_months"] <= term_max)
    return int(np.flatnonzero(m.to_numpy())[0])


CORRUPTIONS = {
    "missing": ("term_months", lambda d, i: d.drop(columns="term_months")),
    "wrong_type": (
        "year",
        lambda d, i: d.assign(year=d["year"].astype(object).where(d.index != i, "twenty")),
    ),
    "negative": (
        "term_months",
        lambda d, i: d.assign(term_months=d["term_months"].where(d.index != i, -3.0)),
    ),
    "unknown_article": (
        "article",
        lambda d, i: d.assign(article=d["article"].astype(str).where(d.index != i, "999")),
    ),
    "bad_bool": (
        "probation",
        lambda d, i: d.assign(probation=d["probation"].astype(object).where(d.index != i, "maybe")),
    ),
    "unknown_sentence": (
        "sentence_type",
        lambda d, i: d.assign(
            sentence_type=d["sentence_type"].astype(str).where(d.index != i, "death")
        ),
    ),
}


@given(kind=st.sampled_from(sorted(CORRUPTIONS)), pick=st.integers(0, 10_000))
def test_validator_rejects_each_corruption_naming_the_column(table, kind, pick):
    col, corrupt = CORRUPTIONS[kind]
    i = pick % len(table)
    with pytest.raises(DataValidationError) as err:
        validate(corrupt(table.copy(), i))
    msg = str(err.value)
    assert f"column '{col}'" in msg
    if kind != "missing":
        assert f"rows {i}" in msg or f"rows {i}," in msg or f", {i}" in msg


def test_probation_with_60_months_is_illegal_and_droppable(table):
    d = table.copy()
    i = _custodial_row(d)
    d.loc[i, ["term_months", "probation", "probation_months"]] = [60.0, True, 60.0]
    with pytest.raises(DataValidationError, match="probation with a term over 36 months"):
        validate(d)
    rep = validate(d, on_illegal="drop")
    assert len(rep.data) == len(d) - 1
    assert "over 36 months" in rep.dropped["reason"].iloc[0]


def test_recidivist_probation_and_term_above_maximum(table):
    d = table.copy()
    i = _custodial_row(d)
    d.loc[i, ["recidivist", "probation", "probation_months"]] = [True, True, 36.0]
    j = int(np.flatnonzero((d["article"] == "285-2").to_numpy() & (d.index != i))[0])
    d.loc[j, ["sentence_type", "term_months", "probation", "probation_months"]] = [
        "fixed_term",
        100.0,
        False,
        0.0,
    ]
    with pytest.raises(DataValidationError) as err:
        validate(d)
    msg = str(err.value)
    assert "probation for a recidivist" in msg and f"rows {i}" in msg
    assert "above the statutory maximum" in msg and f"rows {j}" in msg


def test_every_problem_reported_at_once(table):
    d = table.drop(columns=["fine_yuan"]).copy()
    d["year"] = d["year"].astype(object)
    d.loc[3, "year"] = "x"
    with pytest.raises(DataValidationError) as err:
        validate(d)
    assert len(err.value.problems) == 2


def test_empty_table(table):
    with pytest.raises(DataValidationError, match="empty"):
        validate(table.iloc[:0])


def test_read_write_roundtrip_and_no_overwrite(tmp_path, table):
    for ext in ("csv", "parquet"):
        p = tmp_path / f"t.{ext}"
        write_table(table, p)
        back = validate(read_table(p)).data
        pd.testing.assert_series_equal(back["term_months"], table["term_months"], check_names=False)
        with pytest.raises(FileExistsError):
            write_table(table, p)
    with pytest.raises(ValueError, match="unsupported"):
        write_table(table, tmp_path / "t.xlsx")
