"""The offender-table contract: columns, types, and validation that reports every problem at once.

One row per defendant per case. Column names are the contract; extra columns pass through.
The role columns (:data:`ROLE_COLUMNS`: principal, ringleader, number of charges) are optional:
when absent they are filled with :data:`ROLE_DEFAULTS`. Validation collects each problem (column,
row numbers, bad values, what is allowed) and raises a single :class:`DataValidationError`.
Legally impossible rows are errors unless ``on_illegal="drop"``, in which case they are removed
and reported.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd

from ccmodels import law
from ccmodels.data.columns import (
    _ROLE_TYPES,
    BOOL_COLUMNS,
    CATEGORIES,
    CHAIN_COLUMNS,
    OPTIONAL,
    REQUIRED,
    ROLE_COLUMNS,
    ROLE_DEFAULTS,
    TARGETS,
    TRAITS,
    VALUE_CHAINS,
)
from ccmodels.data.problems import DataValidationError, Problem, ValidationReport, _rows
from ccmodels.data.rules import anomalies as legal_anomalies
from ccmodels.data.rules import legal_problems, range_problems

__all__ = [
    "BOOL_COLUMNS",
    "CHAIN_COLUMNS",
    "ROLE_COLUMNS",
    "ROLE_DEFAULTS",
    "TARGETS",
    "TRAITS",
    "VALUE_CHAINS",
    "DataValidationError",
    "Problem",
    "ValidationReport",
    "validate",
]


def _coerce_bool(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Accept bool, 0/1 and 'true'/'false' strings; return the coerced column and a bad mask."""
    if pd.api.types.is_bool_dtype(s) and not s.isna().any():
        return s.astype(bool), np.zeros(len(s), dtype=bool)
    mapping = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}
    text = s.astype("string").str.strip().str.lower()
    mapped = text.map(lambda v: mapping.get(v) if isinstance(v, str) else None)
    bad = mapped.isna().to_numpy()
    return mapped.fillna(False).astype(bool), bad


def _coerce_number(s: pd.Series, integer: bool) -> tuple[pd.Series, np.ndarray]:
    num = pd.to_numeric(s, errors="coerce")
    bad = num.isna().to_numpy() | ~np.isfinite(num.to_numpy(dtype=float, na_value=np.nan))
    if integer:
        vals = num.to_numpy(dtype=float, na_value=np.nan)
        bad |= np.where(np.isfinite(vals), vals != np.round(vals), False)
        return pd.Series(np.where(bad, 0, vals).astype(np.int64), index=s.index), bad
    return num.astype(float), bad


def validate(
    df: pd.DataFrame,
    *,
    on_illegal: Literal["raise", "drop"] = "raise",
    strict: bool = False,
    source: str | None = None,
    law_config: law.LawConfig = law.DEFAULT_LAW,
) -> ValidationReport:
    """Check an offender table against the data contract and the statutory rules.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per defendant per case (see the data contract in the README).
    on_illegal : {"raise", "drop"}
        Legal impossibilities (probation with a term over 36 months, probation for a recidivist
        or a ringleader of a criminal group, a single-charge term above the statutory maximum for
        the article, a combined term above the art. 69 cap, an article not yet in force) raise by
        default; ``"drop"`` removes those rows and reports them in ``ValidationReport.dropped``.
    strict : bool
        Legal anomalies (a fine the law requires but the row lacks: 并处 or 并处或者单处 under
        the sentence's tier, not exempt; under the cyber articles only, as ``"other"`` may be
        a crime without a fine, see :func:`ccmodels.law.fine_rule_known`) are kept by default, since courts do err, and listed
        in ``ValidationReport.anomalies``; ``strict=True`` treats them as legal impossibilities
        (raised, or dropped with ``on_illegal="drop"``).
    source : str, optional
        File name to cite in error messages.
    law_config : LawConfig
        Statutory parameters.

    Returns
    -------
    ValidationReport
        The typed table (categories, bools, ints, floats) and any dropped rows. Absent role
        columns (:data:`ROLE_COLUMNS`) are added with their defaults (:data:`ROLE_DEFAULTS`).

    Raises
    ------
    DataValidationError
        Listing every problem found: missing columns, wrong types, values outside the allowed
        set or range (``n_charges`` below 1, a ringleader who is not a principal), and (unless
        dropped) legal impossibilities.
    """
    if on_illegal not in ("raise", "drop"):
        raise ValueError(f"on_illegal must be 'raise' or 'drop', got {on_illegal!r}")
    problems: list[Problem] = []
    if len(df) == 0:
        raise DataValidationError([Problem("*", "the table is empty (no rows)")], source)
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        problems += [
            Problem(c, f"required column is missing (expected type {REQUIRED[c]})") for c in missing
        ]
    out = df.reset_index(drop=True).copy()
    for col, default in ROLE_DEFAULTS.items():
        if col not in out.columns:
            out[col] = default
    bad_any = np.zeros(len(out), dtype=bool)

    for col, kind in {**REQUIRED, **_ROLE_TYPES, **OPTIONAL}.items():
        if col not in out.columns:
            continue
        s = out[col]
        if kind == "bool":
            out[col], bad = _coerce_bool(s)
            if bad.any():
                problems.append(
                    Problem(col, "not a boolean", _rows(bad), tuple(s[bad]), "true/false or 1/0")
                )
        elif kind in ("int", "float"):
            if kind == "float" and col in OPTIONAL and s.isna().all():
                continue
            vals, bad = _coerce_number(s, integer=kind == "int")
            if col in OPTIONAL:
                bad &= s.notna().to_numpy()
            out[col] = vals
            if bad.any():
                problems.append(
                    Problem(
                        col, f"not a finite {kind}", _rows(bad), tuple(s[bad]), f"{kind} values"
                    )
                )
        elif kind == "category":
            allowed = CATEGORIES[col]
            text = s.astype("string")
            bad = ~text.isin(allowed).fillna(False).to_numpy()
            if bad.any():
                problems.append(
                    Problem(col, "unknown category", _rows(bad), tuple(s[bad]), ", ".join(allowed))
                )
            out[col] = pd.Categorical(text.where(~bad, None), categories=list(allowed))
        else:  # str
            bad = s.isna().to_numpy() if col == "case_id" else np.zeros(len(s), dtype=bool)
            if bad.any():
                problems.append(Problem(col, "missing value", _rows(bad)))
            out[col] = s.astype("string")
        bad_any |= np.asarray(bad, dtype=bool)

    if problems:
        raise DataValidationError(problems, source)

    problems += range_problems(out)
    if problems:
        raise DataValidationError(problems, source)

    legal = legal_problems(out, law_config)
    anomalies = legal_anomalies(out, law_config)
    if strict:
        legal, anomalies = legal + anomalies, []
    if legal and on_illegal == "raise":
        raise DataValidationError(
            [*legal, Problem("*", "pass on_illegal='drop' (CLI: --drop-illegal) to drop them")],
            source,
        )
    dropped = pd.DataFrame(columns=out.columns)
    if legal:
        drop = np.zeros(len(out), dtype=bool)
        for p in legal:
            drop[list(p.rows)] = True
        dropped = out[drop].assign(reason="")
        reasons: dict[int, list[str]] = {int(i): [] for i in np.flatnonzero(drop)}
        for p in legal:
            for r in p.rows:
                reasons[r].append(f"{p.column}: {p.message}")
        dropped["reason"] = ["; ".join(reasons[int(i)]) for i in np.flatnonzero(drop)]
        anomalies = _without_rows(anomalies, drop)
        out = out[~drop].reset_index(drop=True)
        if len(out) == 0:
            raise DataValidationError([Problem("*", "every row is legally impossible")], source)
    return ValidationReport(out, dropped, legal, anomalies)


def _without_rows(problems: list[Problem], drop: np.ndarray) -> list[Problem]:
    """The problems restricted to rows that are kept (a dropped row is not also an anomaly)."""
    out = []
    for p in problems:
        keep = [k for k, r in enumerate(p.rows) if not drop[r]]
        if keep:
            values = tuple(p.values[k] for k in keep) if p.values else ()
            out.append(replace(p, rows=tuple(p.rows[k] for k in keep), values=values))
    return out
