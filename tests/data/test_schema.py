"""The data contract: every simulated table passes; each kind of corruption is named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccmodels.data import DataValidationError, read_table, validate, write_table
from ccmodels.data.schema import ROLE_COLUMNS, ROLE_DEFAULTS, TRAITS
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


# --- roles and combined sentences (arts. 26, 69, 74) ------------------------------------------


def _row_without_probation(df: pd.DataFrame) -> int:
    m = (df["sentence_type"] == "fixed_term") & ~df["probation"]
    return int(np.flatnonzero(m.to_numpy())[0])


def _probation_row(df: pd.DataFrame) -> int:
    return int(np.flatnonzero(df["probation"].to_numpy())[0])


def test_missing_role_columns_are_filled_with_defaults(table):
    table = table.drop(columns=list(ROLE_COLUMNS))  # the simulator writes them
    data = validate(table).data
    assert not data["principal"].any() and not data["ringleader"].any()
    assert (data["n_charges"] == 1).all() and data["n_charges"].dtype == np.int64
    assert {k: v for k, v in ROLE_DEFAULTS.items()} == {
        "principal": False,
        "ringleader": False,
        "n_charges": 1,
    }
    assert not set(ROLE_COLUMNS) & set(TRAITS)


def test_combined_term_above_180_months_needs_several_charges(table):
    d = table.copy()
    i = _row_without_probation(d)
    d.loc[i, "term_months"] = 200.0
    d["n_charges"] = 1
    d.loc[i, "n_charges"] = 2
    rep = validate(d)
    assert len(rep.dropped) == 0 and rep.data.loc[i, "term_months"] == 200.0
    d.loc[i, "n_charges"] = 1
    with pytest.raises(DataValidationError) as err:
        validate(d)
    msg = str(err.value)
    assert "above the statutory maximum for the article" in msg and f"rows {i}" in msg
    assert "outside the range of the sentence type" in msg
    rep = validate(d, on_illegal="drop")
    assert len(rep.data) == len(d) - 1
    assert "above the statutory maximum" in rep.dropped["reason"].iloc[0]


def test_combined_term_above_the_art_69_cap_is_rejected(table):
    d = table.copy()
    i = _row_without_probation(d)
    d["n_charges"] = 1
    d.loc[i, ["term_months", "n_charges"]] = [310.0, 3]
    with pytest.raises(DataValidationError) as err:
        validate(d)
    msg = str(err.value)
    assert "column 'term_months': outside the range" in msg and f"rows {i}" in msg
    assert "art. 69" in msg


def test_probation_for_a_ringleader_is_illegal_and_droppable(table):
    d = table.copy()
    i = _probation_row(d)
    d["principal"] = False
    d["ringleader"] = False
    d.loc[i, ["principal", "ringleader"]] = [True, True]
    with pytest.raises(DataValidationError) as err:
        validate(d)
    msg = str(err.value)
    assert "probation for a ringleader of a criminal group" in msg and f"rows {i}" in msg
    assert "art. 74" in msg
    rep = validate(d, on_illegal="drop")
    assert len(rep.data) == len(d) - 1
    assert rep.dropped["ringleader"].tolist() == [True]
    assert "ringleader" in rep.dropped["reason"].iloc[0]
    # Without probation a ringleader is a legal row.
    d.loc[i, ["probation", "probation_months"]] = [False, 0.0]
    assert len(validate(d).data) == len(d)


def test_ringleader_must_be_a_principal(table):
    d = table.copy()
    i = _row_without_probation(d)
    d["ringleader"] = False
    d.loc[i, "ringleader"] = True
    with pytest.raises(DataValidationError) as err:
        validate(d, on_illegal="drop")  # an inconsistent record, not a droppable sentence
    msg = str(err.value)
    assert "column 'ringleader': a ringleader who is not a principal" in msg
    assert f"rows {i}" in msg and "implies principal" in msg


@pytest.mark.parametrize("bad", [0, -1, 1.5, "two", None])
def test_n_charges_must_be_an_integer_of_at_least_one(table, bad):
    d = table.copy()
    d["n_charges"] = pd.Series([1] * len(d), dtype=object)
    d.loc[4, "n_charges"] = bad
    with pytest.raises(DataValidationError) as err:
        validate(d)
    msg = str(err.value)
    assert "column 'n_charges'" in msg and "rows 4" in msg


def test_role_columns_accept_text_booleans(table):
    d = table.copy()
    d["principal"] = "false"
    d["ringleader"] = "0"
    d["n_charges"] = "1"
    d.loc[2, ["principal", "n_charges"]] = ["true", "2"]
    data = validate(d).data
    assert data.loc[2, "principal"] and data.loc[2, "n_charges"] == 2
    assert data["principal"].sum() == 1


def _required_fine_row(d: pd.DataFrame) -> int:
    from ccmodels import law

    need = law.fine_required(
        d["article"].astype(str).to_numpy(),
        d["sentence_type"].astype(str).to_numpy(),
        d["term_months"].to_numpy(float),
    )
    known = law.fine_rule_known(d["article"].astype(str).to_numpy())
    return int(np.flatnonzero(need & known & (d["sentence_type"] == "fixed_term").to_numpy())[0])


def test_a_missing_required_fine_is_a_kept_anomaly_unless_strict(table):
    assert validate(table).anomalies == []
    d = table.copy()
    i = _required_fine_row(d)
    assert str(d.loc[i, "article"]) != "other"
    d.loc[i, "fine_yuan"] = 0.0
    rep = validate(d)  # kept by default: courts do err
    assert len(rep.data) == len(d) and len(rep.dropped) == 0
    (a,) = rep.anomalies
    assert a.column == "fine_yuan" and a.rows == (i,)
    assert "a fine the law requires is missing" in str(a)
    assert str(d.loc[i, "article"]) in str(a)
    with pytest.raises(DataValidationError) as err:
        validate(d, strict=True)
    assert "a fine the law requires is missing" in str(err.value) and f"rows {i}" in str(err.value)
    rep = validate(d, strict=True, on_illegal="drop")
    assert len(rep.data) == len(d) - 1 and rep.anomalies == []
    assert "fine the law requires" in rep.dropped["reason"].iloc[0]
    # "other" may be a crime without a fine: not an anomaly
    j = int(
        np.flatnonzero(
            (d["article"] == "other").to_numpy()
            & (d["fine_yuan"] > 0).to_numpy()
            & (d["sentence_type"] == "fixed_term").to_numpy()  # a fine-only sentence needs its fine
        )[0]
    )
    e = d.copy()
    e.loc[j, "fine_yuan"] = 0.0
    assert [a.rows for a in validate(e).anomalies] == [(i,)]
    # an exempt offender owes no fine
    d.loc[i, ["sentence_type", "term_months", "probation", "probation_months"]] = [
        "exempt",
        0.0,
        False,
        0.0,
    ]
    assert validate(d, strict=True).anomalies == []


def test_a_dropped_row_is_not_also_a_kept_anomaly(table):
    d = table.copy()
    i = _required_fine_row(d)
    cyber_probation = d["probation"].to_numpy() & (d["article"] != "other").to_numpy()
    j = int(np.flatnonzero(cyber_probation & law_fine_required(d) & (np.arange(len(d)) != i))[0])
    d.loc[[i, j], "fine_yuan"] = 0.0
    d.loc[j, "recidivist"] = True  # a legal impossibility too: dropped
    need = law_fine_required(d)
    assert need[i] and need[j] and str(d.loc[j, "article"]) != "other"
    rep = validate(d, on_illegal="drop")
    assert rep.dropped.index.tolist() == [j]
    assert [a.rows for a in rep.anomalies] == [(i,)]
    assert len(rep.anomalies[0].values) == 1


def law_fine_required(d: pd.DataFrame) -> np.ndarray:
    from ccmodels import law

    return law.fine_required(
        d["article"].astype(str).to_numpy(),
        d["sentence_type"].astype(str).to_numpy(),
        d["term_months"].to_numpy(float),
    )
