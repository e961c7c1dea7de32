"""The offender-table contract: columns, types, and validation that reports every problem at once.

One row per defendant per case. Column names are the contract; extra columns pass through.
The role columns (:data:`ROLE_COLUMNS`: principal, ringleader, number of charges) are optional:
when absent they are filled with :data:`ROLE_DEFAULTS`. Validation collects each problem (column,
row numbers, bad values, what is allowed) and raises a single :class:`DataValidationError`.
Legally impossible rows are errors unless ``on_illegal="drop"``, in which case they are removed
and reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from ccmodels import law

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

VALUE_CHAINS: tuple[str, ...] = (
    "real_assets",
    "virtual_assets",
    "internet_resources",
    "gov_systems",
)
CHAIN_COLUMNS: tuple[str, ...] = tuple(f"chain_{c}" for c in VALUE_CHAINS)
TRAITS: tuple[str, ...] = (
    "female",
    "juvenile",
    "disability",
    "accessory",
    "surrender",
    "confession",
    "recidivist",
    "restitution",
    "plea_leniency",
)
TARGETS: tuple[str, ...] = (
    "commercial",
    "gaming",
    "public_system",
    "government",
    "other",
    "unknown",
)
BOOL_COLUMNS: tuple[str, ...] = (*CHAIN_COLUMNS, *TRAITS, "probation")
#: Optional columns on the defendant's role and the number of crimes combined: ``principal``
#: (主犯, art. 26), ``ringleader`` (犯罪集团的首要分子, arts. 26 and 97; never eligible for
#: probation, art. 74) and ``n_charges`` (crimes whose sentences the executed sentence combines,
#: art. 69; 1 for a single crime).
ROLE_COLUMNS: tuple[str, ...] = ("principal", "ringleader", "n_charges")
#: Values given to absent role columns: not a principal, not a ringleader, one charge.
ROLE_DEFAULTS: dict[str, bool | int] = {"principal": False, "ringleader": False, "n_charges": 1}
_ROLE_TYPES: dict[str, str] = {"principal": "bool", "ringleader": "bool", "n_charges": "int"}

REQUIRED: dict[str, str] = {
    "case_id": "str",
    "defendant": "int",
    "year": "int",
    "article": "category",
    **{c: "bool" for c in CHAIN_COLUMNS},
    "target": "category",
    **{t: "bool" for t in TRAITS},
    "sentence_type": "category",
    "term_months": "float",
    "probation": "bool",
    "probation_months": "float",
    "fine_yuan": "float",
}
OPTIONAL: dict[str, str] = {"court": "str", "province": "str", "age": "float"}
CATEGORIES: dict[str, tuple[str, ...]] = {
    "article": law.ARTICLES,
    "target": TARGETS,
    "sentence_type": law.SENTENCE_TYPES,
}
_MAX_ROWS_SHOWN = 10


@dataclass(frozen=True)
class Problem:
    """One validation problem: which column, which rows, which values, and what is allowed."""

    column: str
    message: str
    rows: tuple[int, ...] = ()
    values: tuple[object, ...] = ()
    allowed: str = ""
    legal: bool = False  # a legal impossibility (droppable with on_illegal="drop")

    def __str__(self) -> str:
        parts = [f"column '{self.column}': {self.message}"]
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:_MAX_ROWS_SHOWN])
            more = f" (+{len(self.rows) - _MAX_ROWS_SHOWN} more)" if len(self.rows) > 10 else ""
            parts.append(f"rows {shown}{more}")
        if self.values:
            plain = [v.item() if isinstance(v, np.generic) else v for v in self.values]
            vals = ", ".join(repr(v) for v in list(dict.fromkeys(plain))[:_MAX_ROWS_SHOWN])
            parts.append(f"values {vals}")
        if self.allowed:
            parts.append(f"allowed: {self.allowed}")
        return "; ".join(parts)


class DataValidationError(ValueError):
    """Raised with every problem found in an offender table."""

    def __init__(self, problems: Sequence[Problem], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        where = f" in {source}" if source else ""
        lines = [f"{len(self.problems)} problem(s){where}:"]
        lines += [f"  - {p}" for p in self.problems]
        lines.append("Row numbers are 0-based positions in the table (header excluded).")
        super().__init__("\n".join(lines))

    @classmethod
    def of(cls, message: str, source: str | None = None) -> DataValidationError:
        """One problem, as a message."""
        return cls([message], source)  # type: ignore[list-item]


@dataclass
class ValidationReport:
    """What validation did: the cleaned table, the rows dropped for legal impossibilities and
    the legal anomalies kept (rows the law does not allow but courts do write, e.g. a missing
    required fine; row numbers are positions in the input table)."""

    data: pd.DataFrame
    dropped: pd.DataFrame = field(default_factory=pd.DataFrame)
    problems: list[Problem] = field(default_factory=list)
    anomalies: list[Problem] = field(default_factory=list)


def _rows(mask: np.ndarray | pd.Series) -> tuple[int, ...]:
    return tuple(int(i) for i in np.flatnonzero(np.asarray(mask, dtype=bool)))


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

    problems += _range_problems(out)
    if problems:
        raise DataValidationError(problems, source)

    legal = _legal_problems(out, law_config)
    anomalies = _anomalies(out, law_config)
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


def _anomalies(d: pd.DataFrame, cfg: law.LawConfig) -> list[Problem]:
    """Rows the law does not allow but that real judgments contain: kept unless strict."""
    st = d["sentence_type"].astype(str).to_numpy()
    need = law.fine_required(
        d["article"].astype(str).to_numpy(), st, d["term_months"].to_numpy(float), cfg
    )
    art = d["article"].astype(str).to_numpy()
    missing = need & (d["fine_yuan"].to_numpy(float) <= 0) & (st != "fine_only")
    missing &= law.fine_rule_known(art)  # "other" may be any crime, some without a fine
    if not missing.any():
        return []
    rules = law.fine_rule(art, st, d["term_months"].to_numpy(float), cfg)
    return [
        Problem(
            "fine_yuan",
            "legal anomaly: a fine the law requires is missing",
            _rows(missing),
            tuple(f"{a} {r}" for a, r in zip(art[missing], rules[missing], strict=True)),
            "> 0 under 并处 (with_custody) and 并处或者单处 (with_custody_or_alone) tiers "
            "unless exempt (article 'other' is not checked: it may be a crime without a fine)",
            legal=True,
        )
    ]


def _range_problems(d: pd.DataFrame) -> list[Problem]:
    problems: list[Problem] = []
    for col in ("term_months", "probation_months", "fine_yuan"):
        neg = (d[col] < 0).to_numpy()
        if neg.any():
            problems.append(Problem(col, "negative", _rows(neg), tuple(d.loc[neg, col]), ">= 0"))
    bad_year = ~d["year"].between(1997, 2100).to_numpy()
    if bad_year.any():
        problems.append(
            Problem(
                "year", "out of range", _rows(bad_year), tuple(d.loc[bad_year, "year"]), "1997-2100"
            )
        )
    few = (d["n_charges"] < 1).to_numpy()
    if few.any():
        problems.append(
            Problem(
                "n_charges",
                "fewer than one charge",
                _rows(few),
                tuple(d.loc[few, "n_charges"]),
                "integers >= 1 (1 for a single crime)",
            )
        )
    lone = (d["ringleader"] & ~d["principal"]).to_numpy()
    if lone.any():
        problems.append(
            Problem(
                "ringleader",
                "a ringleader who is not a principal",
                _rows(lone),
                (),
                "ringleader implies principal (art. 26: who leads a criminal group is a principal)",
            )
        )
    neg_def = (d["defendant"] < 0).to_numpy()
    if neg_def.any():
        problems.append(Problem("defendant", "negative index", _rows(neg_def), (), ">= 0"))
    dup = d.duplicated(["case_id", "defendant"], keep=False).to_numpy()
    if dup.any():
        problems.append(
            Problem("defendant", "duplicated (case_id, defendant)", _rows(dup), (), "unique pairs")
        )
    # Case-level columns must agree between co-defendants.
    for col in ("year", *CHAIN_COLUMNS, "target"):
        n = d.groupby("case_id", observed=True)[col].transform("nunique").to_numpy()
        incons = n > 1
        if incons.any():
            problems.append(
                Problem(
                    col,
                    "differs between defendants of the same case",
                    _rows(incons),
                    (),
                    "one value per case_id",
                )
            )
    return problems


def _legal_problems(d: pd.DataFrame, cfg: law.LawConfig) -> list[Problem]:
    p: list[Problem] = []
    st = d["sentence_type"].astype(str).to_numpy()
    term = d["term_months"].to_numpy(dtype=float)
    art = d["article"].astype(str).to_numpy()
    prob = d["probation"].to_numpy(dtype=bool)
    pm = d["probation_months"].to_numpy(dtype=float)
    fine = d["fine_yuan"].to_numpy(dtype=float)
    rec = d["recidivist"].to_numpy(dtype=bool)
    lead = d["ringleader"].to_numpy(dtype=bool)
    juv = d["juvenile"].to_numpy(dtype=bool)
    n_ch = d["n_charges"].to_numpy(dtype=np.int64)
    year = d["year"].to_numpy()
    single = n_ch < 2

    def add(mask: np.ndarray, col: str, msg: str, values: np.ndarray | None, allowed: str) -> None:
        if mask.any():
            vals = tuple(values[mask]) if values is not None else ()
            p.append(Problem(col, msg, _rows(mask), vals, allowed, legal=True))

    # Together the two checks below bound each term by law.term_cap: the general range of the
    # sentence type (art. 69 caps for several charges), and the article's own maximum for one.
    lo, hi = law.custodial_range(st, n_ch, year)
    custodial = np.isin(st, ["fixed_term", "detention"])
    eps = 1e-9
    add(
        custodial & ((term < lo - eps) | (term > hi + eps)),
        "term_months",
        "outside the range of the sentence type",
        term,
        "detention 1-6 months, fixed_term 6-180 months; combined for n_charges >= 2 (art. 69): "
        "detention up to 12, fixed_term up to 300 from 2011 (240 before)",
    )
    add(
        ~custodial & (term != 0),
        "term_months",
        "custodial term given for a non-custodial sentence",
        term,
        "0 for control, fine_only and exempt",
    )
    add(
        custodial & single & (term > law.max_term(art, cfg) + eps),
        "term_months",
        "above the statutory maximum for the article (single charge)",
        term,
        ", ".join(
            f"{a}: {m:g}"
            for a, m in zip(law.ARTICLES, law.max_term(list(law.ARTICLES), cfg), strict=True)
        )
        + "; a sentence combined for n_charges >= 2 may reach the art. 69 cap",
    )
    add(
        prob & custodial & (term > law.PROBATION_MAX_TERM),
        "probation",
        "probation with a term over 36 months",
        term,
        "terms <= 36 months or detention",
    )
    add(
        prob & rec,
        "probation",
        "probation for a recidivist",
        None,
        "no probation for recidivists (art. 74)",
    )
    add(
        prob & lead,
        "probation",
        "probation for a ringleader of a criminal group",
        None,
        "no probation for ringleaders of criminal groups (art. 74)",
    )
    add(
        prob & ~custodial,
        "probation",
        "probation without a custodial sentence",
        st.astype(object),
        "detention or fixed_term",
    )
    plo, phi = law.probation_period_bounds(st, term)
    with np.errstate(invalid="ignore"):
        bad_period = prob & custodial & ((pm < plo - eps) | (pm > phi + eps))
    add(
        bad_period,
        "probation_months",
        "probation period outside the art. 73 range",
        pm,
        "detention: max(term, 2)-12; fixed_term: max(term, 12)-60",
    )
    add(~prob & (pm != 0), "probation_months", "probation period without probation", pm, "0")
    add(
        (st == "fine_only") & (fine <= 0),
        "fine_yuan",
        "fine_only sentence without a fine",
        fine,
        "> 0",
    )
    add(
        (fine > 0) & ~law.fine_allowed(art, cfg),
        "fine_yuan",
        "fine under an article with no fine for individuals",
        art.astype(object),
        "no fine under 285-1 and 286",
    )
    add(
        (fine > 0) & (fine < law.fine_minimum(juv, cfg) - eps),
        "fine_yuan",
        "below the minimum fine",
        fine,
        f">= {cfg.fine_min:g} (juveniles {cfg.fine_min_juvenile:g})",
    )
    exists = law.article_exists_in_year(art, d["year"].to_numpy(), cfg)
    add(
        ~exists,
        "article",
        "article not in force in that year",
        art.astype(object),
        "285-2/285-3 from 2009-02-28; 286-1, 287-1, 287-2 from 2015-11-01",
    )
    return p
