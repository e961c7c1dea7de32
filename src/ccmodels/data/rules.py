"""The row rules of validation: ranges of values and what the law allows (impossible rows,
and anomalies courts do write)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccmodels import law
from ccmodels.data.columns import (
    CHAIN_COLUMNS,
)
from ccmodels.data.problems import Problem, _rows

__all__ = ["anomalies", "legal_problems", "range_problems"]


def anomalies(d: pd.DataFrame, cfg: law.LawConfig) -> list[Problem]:
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


def range_problems(d: pd.DataFrame) -> list[Problem]:
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


def legal_problems(d: pd.DataFrame, cfg: law.LawConfig) -> list[Problem]:
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
