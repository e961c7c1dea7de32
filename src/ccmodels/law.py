"""Statutory sentencing rules for the cyber articles of the PRC Criminal Law, as data.

The rules are a table (:data:`ARTICLE_RULES`) of tiers per article, plus the general-part rules
that bound every sentence (detention 1-6 months, fixed term 6-180 months, the art. 69 caps on a
sentence combined for several crimes, probation eligibility and period ranges, minimum fines).
Everything is vectorised over NumPy arrays so that the simulator and the validator apply exactly
the same rules.

Items that the domain reference marks as unverified are parameters of :class:`LawConfig` with
documented defaults rather than hard-coded facts.

References
----------
PRC Criminal Law arts. 42, 45, 52-53, 65, 69-74, 285-287-2 (Amendments VII, VIII and IX); SPC
2000 Provisions on property penalties art. 2 (minimum fine 1,000 yuan; 500 for juveniles).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "ARTICLES",
    "ARTICLE_RULES",
    "COMBINATION_RULES",
    "FINE_RULES",
    "SENTENCE_TYPES",
    "ArticleRule",
    "CombinationRule",
    "LawConfig",
    "Tier",
    "article_codes",
    "article_exists",
    "article_in_force_from",
    "combination_rule",
    "combined_term_cap",
    "custodial_range",
    "fine_allowed",
    "fine_minimum",
    "fine_only_allowed",
    "fine_required",
    "fine_rule",
    "fine_rule_known",
    "max_term",
    "probation_eligible",
    "probation_period_bounds",
    "sentence_type_codes",
    "term_bounds",
    "term_cap",
    "tier_index",
]

FineRule = Literal["none", "with_custody", "with_custody_or_alone", "optional"]

#: The fine forms of the statutes (罚金的适用方式; domain reference A2), by rule name.
FINE_RULES: dict[str, str] = {
    "none": "no fine for a natural person (285-1, 286)",
    "with_custody": "并处罚金: a fine must be added to the custodial sentence; not alone",
    "with_custody_or_alone": (
        "并处或者单处罚金: a fine is always imposed, with the custodial sentence or alone (单处)"
    ),
    "optional": "可以并处罚金: the court may add a fine (no tier of the contract's articles)",
}
#: The rules under which every offender not exempted from punishment (art. 37) is fined.
FINE_REQUIRED_RULES: tuple[str, ...] = ("with_custody", "with_custody_or_alone")

#: Article codes of the data contract, in their canonical order.
ARTICLES: tuple[str, ...] = ("285-1", "285-2", "285-3", "286", "286-1", "287-1", "287-2", "other")
#: Sentence types of the data contract.
SENTENCE_TYPES: tuple[str, ...] = ("fixed_term", "detention", "control", "fine_only", "exempt")

DETENTION_MONTHS = (1.0, 6.0)  # Art. 42 (拘役)
FIXED_TERM_MONTHS = (6.0, 180.0)  # Art. 45 (有期徒刑)
PROBATION_MAX_TERM = 36.0  # Art. 72: 拘役 or fixed term <= 3 years
AMENDMENT_VII = dt.date(2009, 2, 28)
AMENDMENT_VIII = dt.date(2011, 5, 1)
AMENDMENT_IX = dt.date(2015, 11, 1)


@dataclass(frozen=True)
class Tier:
    """One sentencing tier of an article: custodial range in months and the fine rule.

    ``fine`` is one of :data:`FINE_RULES`; the default is the compound form 并处或者单处罚金 of
    every ≤3-year tier of arts. 285(2)-287-2 and of fraud and theft (arts. 264, 266).
    """

    max_months: float
    min_months: float = 0.0
    detention_ok: bool = True
    control_ok: bool = False
    fine: FineRule = "with_custody_or_alone"


@dataclass(frozen=True)
class ArticleRule:
    """Tiers of one article and the date it came into force."""

    tiers: tuple[Tier, ...]
    in_force_from: dt.date = dt.date(1997, 10, 1)


def _default_rules(control_286_1: bool) -> dict[str, ArticleRule]:
    low_3y = Tier(max_months=36.0)
    return {
        "285-1": ArticleRule((Tier(max_months=36.0, fine="none"),)),
        "285-2": ArticleRule(
            (
                low_3y,
                Tier(min_months=36.0, max_months=84.0, detention_ok=False, fine="with_custody"),
            ),
            in_force_from=AMENDMENT_VII,
        ),
        "285-3": ArticleRule(
            (
                low_3y,
                Tier(min_months=36.0, max_months=84.0, detention_ok=False, fine="with_custody"),
            ),
            in_force_from=AMENDMENT_VII,
        ),
        "286": ArticleRule(
            (
                Tier(max_months=60.0, fine="none"),
                Tier(min_months=60.0, max_months=180.0, detention_ok=False, fine="none"),
            )
        ),
        "286-1": ArticleRule(
            (Tier(max_months=36.0, control_ok=control_286_1),), in_force_from=AMENDMENT_IX
        ),
        "287-1": ArticleRule((low_3y,), in_force_from=AMENDMENT_IX),
        "287-2": ArticleRule((low_3y,), in_force_from=AMENDMENT_IX),
        # Fraud or theft committed by computer is convicted under arts. 264/266 (via art. 287);
        # their widest fixed-term range reaches the art. 45 maximum.
        "other": ArticleRule(
            (
                Tier(max_months=36.0, control_ok=True),
                Tier(min_months=36.0, max_months=120.0, detention_ok=False, fine="with_custody"),
                Tier(min_months=120.0, max_months=180.0, detention_ok=False, fine="with_custody"),
            )
        ),
    }


@dataclass(frozen=True)
class LawConfig:
    """Parameters for the rules the domain reference marks as unverified.

    Parameters
    ----------
    control_286_1 : bool
        Whether 286-1 allows 管制 (control). Default True (unverified in the reference).
    fine_min : float
        Minimum fine in yuan where the article sets no amount (SPC 2000 art. 2). Default 1000.
    fine_min_juvenile : float
        Minimum fine for juveniles. Default 500.
    """

    control_286_1: bool = True
    fine_min: float = 1000.0
    fine_min_juvenile: float = 500.0
    rules: dict[str, ArticleRule] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.rules:
            object.__setattr__(self, "rules", _default_rules(self.control_286_1))


DEFAULT_LAW = LawConfig()
ARTICLE_RULES: dict[str, ArticleRule] = DEFAULT_LAW.rules


@dataclass(frozen=True)
class CombinationRule:
    """Art. 69 caps on the sentence executed for several crimes, from a date on.

    The combined term lies between the highest single term and the sum of the terms, and never
    above these caps. Arts. 70 and 71 (a crime found, or committed, after an earlier judgment)
    combine the new sentence with the earlier one by the same rule.

    Attributes
    ----------
    in_force_from : datetime.date
        First day the rule applies.
    fixed_term_max : float
        Cap (months) on a combined fixed term whose terms sum to less than ``long_sum``.
    fixed_term_max_long : float
        Cap (months) when the terms sum to ``long_sum`` or more.
    long_sum : float
        Sum of the fixed terms (months) from which ``fixed_term_max_long`` applies.
    detention_max : float
        Cap (months) on combined detention (拘役).
    control_max : float
        Cap (months) on combined control (管制); the data contract records no control term.
    """

    in_force_from: dt.date
    fixed_term_max: float
    fixed_term_max_long: float
    long_sum: float = float("inf")
    detention_max: float = 12.0
    control_max: float = 36.0


#: Art. 69 regimes, oldest first. CL 1997: fixed term at most 20 years whatever the sum
#: (text quoted at http://www.lawask.net/a3085499.html). Amendment VIII (adopted 2011-02-25, in
#: force 2011-05-01, http://m.jizihe.com/page/2014/0305/1123652.shtml): at most 20 years when the
#: terms sum to under 35 years, 25 years when they sum to 35 years or more (text quoted at
#: http://mjcqgs.cn/15-188343-0.html and http://www.nblhn64.com/Article/ArtView.asp?newid=1666148).
#: Detention at most 1 year and control at most 3 years under both.
COMBINATION_RULES: tuple[CombinationRule, ...] = (
    CombinationRule(dt.date(1997, 10, 1), fixed_term_max=240.0, fixed_term_max_long=240.0),
    CombinationRule(
        AMENDMENT_VIII, fixed_term_max=240.0, fixed_term_max_long=300.0, long_sum=420.0
    ),
)


_ARTICLE_INDEX = pd.Index(ARTICLES)


_SENTENCE_TYPE_INDEX = pd.Index(SENTENCE_TYPES)


def sentence_type_codes(sentence_type: npt.ArrayLike) -> np.ndarray:
    """Integer codes (positions in :data:`SENTENCE_TYPES`) of sentence types, -1 for any other
    label; integers pass through. The law's functions take either form."""
    arr = np.asarray(sentence_type)
    if np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.intp)
    codes = _SENTENCE_TYPE_INDEX.get_indexer(arr.ravel().astype(object))
    return np.asarray(codes, dtype=np.intp).reshape(arr.shape)


_FIXED, _DETENTION, _EXEMPT = (
    SENTENCE_TYPES.index(k) for k in ("fixed_term", "detention", "exempt")
)


def article_codes(article: npt.ArrayLike) -> np.ndarray:
    """Integer codes (positions in :data:`ARTICLES`) of article labels; integers pass through.

    Raises
    ------
    ValueError
        Naming the unknown articles and the allowed ones.
    """
    arr = np.asarray(article)
    if np.issubdtype(arr.dtype, np.integer):
        if arr.size and (arr.min() < 0 or arr.max() >= len(ARTICLES)):
            raise ValueError(f"article codes must be in 0..{len(ARTICLES) - 1}")
        return arr.astype(np.intp)
    codes = np.asarray(_ARTICLE_INDEX.get_indexer(arr.ravel().astype(str)))
    if (codes < 0).any():
        bad = sorted(set(arr.ravel()[codes < 0].astype(str).tolist()))
        raise ValueError(f"unknown article(s) {bad}; allowed: {list(ARTICLES)}")
    return codes.astype(np.intp).reshape(arr.shape)


def _table(law: LawConfig, fn: Callable[[ArticleRule], float | bool]) -> np.ndarray:
    return np.array([fn(law.rules[a]) for a in ARTICLES])


def max_term(article: npt.ArrayLike, law: LawConfig = DEFAULT_LAW) -> np.ndarray:
    """Statutory maximum custodial term (months) of each article, over all its tiers."""
    table = _table(law, lambda r: max(t.max_months for t in r.tiers)).astype(float)
    return table[article_codes(article)]


def term_bounds(
    article: npt.ArrayLike, law: LawConfig = DEFAULT_LAW
) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest custodial term (months) any sentence under the article may carry.

    The lower bound is the detention minimum (1 month): mitigating factors (arts. 17, 19, 27, 67)
    license sentences below a tier's floor, so the tier floors are not hard bounds.
    """
    hi = max_term(article, law)
    return np.full_like(hi, DETENTION_MONTHS[0]), hi


def article_in_force_from(article: str, law: LawConfig = DEFAULT_LAW) -> dt.date:
    """Date from which an article exists (285-2/285-3: 2009-02-28; 286-1, 287-1/2: 2015-11-01)."""
    article_codes([article])
    return law.rules[article].in_force_from


def article_exists(
    article: npt.ArrayLike, date: npt.ArrayLike, law: LawConfig = DEFAULT_LAW
) -> np.ndarray:
    """Whether each article was in force on each date (dates as datetime64 or ISO strings)."""
    codes = article_codes(article)
    d = np.asarray(date, dtype="datetime64[D]")
    start = np.array(
        [np.datetime64(law.rules[a].in_force_from, "D") for a in ARTICLES], dtype="datetime64[D]"
    )
    return np.asarray(d >= start[codes])


def article_exists_in_year(
    article: npt.ArrayLike, year: npt.ArrayLike, law: LawConfig = DEFAULT_LAW
) -> np.ndarray:
    """Whether each article was in force at some point of each year (used when no date is known)."""
    y = np.asarray(year).astype(int)
    last_day = np.array([f"{int(v)}-12-31" for v in y.ravel()], dtype="datetime64[D]")
    return article_exists(article, last_day.reshape(y.shape), law)


def fine_allowed(article: npt.ArrayLike, law: LawConfig = DEFAULT_LAW) -> np.ndarray:
    """Whether a natural person may be fined under the article (no: 285-1 and 286)."""
    table = _table(law, lambda r: any(t.fine != "none" for t in r.tiers)).astype(bool)
    return table[article_codes(article)]


def fine_only_allowed(article: npt.ArrayLike, law: LawConfig = DEFAULT_LAW) -> np.ndarray:
    """Whether a fine may be imposed alone (单处罚金) under the article's lowest tier."""
    table = _table(law, lambda r: r.tiers[0].fine == "with_custody_or_alone").astype(bool)
    return table[article_codes(article)]


def tier_index(
    article: npt.ArrayLike,
    sentence_type: npt.ArrayLike,
    term_months: npt.ArrayLike,
    law: LawConfig = DEFAULT_LAW,
) -> np.ndarray:
    """The tier (position in the article's tiers) a sentence falls in.

    A fixed term above a higher tier's floor is in that tier (a term exactly at the floor, e.g.
    36 months, stays in the tier below); detention, control, fine-only and exempt sentences are
    in the lowest tier. Mitigated sentences below a tier's floor cannot be told apart from
    the tier below; the fine rules of the cyber articles do not differ between such tiers.
    """
    codes, st, term = np.broadcast_arrays(
        article_codes(article),
        sentence_type_codes(sentence_type),
        np.asarray(term_months, dtype=float),
    )
    depth = max(len(law.rules[a].tiers) for a in ARTICLES)
    floors = np.full((len(ARTICLES), depth), np.inf)
    for i, a in enumerate(ARTICLES):
        for k, t in enumerate(law.rules[a].tiers[1:], start=1):
            floors[i, k] = t.min_months
    above = (term[..., None] > floors[codes]) & (st == _FIXED)[..., None]
    return np.asarray(above.sum(axis=-1), dtype=np.intp)


def fine_rule(
    article: npt.ArrayLike,
    sentence_type: npt.ArrayLike,
    term_months: npt.ArrayLike,
    law: LawConfig = DEFAULT_LAW,
) -> np.ndarray:
    """The fine rule (:data:`FINE_RULES`) of each sentence's tier; ``"none"`` when exempt.

    Exemption from punishment (免予刑事处罚, art. 37) imposes no penalty, so no fine.
    """
    names = np.asarray(list(FINE_RULES), dtype=object)
    return np.asarray(
        names[_fine_rule_codes(article, sentence_type, term_months, law)], dtype=object
    )


def _fine_rule_codes(
    article: npt.ArrayLike,
    sentence_type: npt.ArrayLike,
    term_months: npt.ArrayLike,
    law: LawConfig = DEFAULT_LAW,
) -> np.ndarray:
    """:func:`fine_rule` as positions in :data:`FINE_RULES`."""
    codes, st = np.broadcast_arrays(article_codes(article), sentence_type_codes(sentence_type))
    tier = tier_index(codes, st, term_months, law)
    depth = max(len(law.rules[a].tiers) for a in ARTICLES)
    names = list(FINE_RULES)
    rules = np.zeros((len(ARTICLES), depth), dtype=np.intp)
    for i, a in enumerate(ARTICLES):
        tiers = law.rules[a].tiers
        for k in range(depth):
            rules[i, k] = names.index(tiers[min(k, len(tiers) - 1)].fine)
    return np.where(st == _EXEMPT, names.index("none"), rules[codes, tier])


def fine_rule_known(article: npt.ArrayLike) -> np.ndarray:
    """Whether the article code alone fixes the crime, and so its fine rule: every cyber
    article, not ``"other"``. In the simulator ``"other"`` is fraud or theft committed by
    computer (art. 287), whose tiers :data:`ARTICLE_RULES` gives; in real data it is any other
    crime, some of which carry no fine (e.g. 故意伤害, 交通肇事), so a missing fine there is not
    evidence of an error."""
    return article_codes(article) != ARTICLES.index("other")


def fine_required(
    article: npt.ArrayLike,
    sentence_type: npt.ArrayLike,
    term_months: npt.ArrayLike,
    law: LawConfig = DEFAULT_LAW,
) -> np.ndarray:
    """Whether the law requires a fine for the sentence: its tier's rule is 并处 or 并处或者单处
    (:data:`FINE_REQUIRED_RULES`) and the offender is not exempted from punishment."""
    required = np.isin(
        np.arange(len(FINE_RULES)), [list(FINE_RULES).index(r) for r in FINE_REQUIRED_RULES]
    )
    return required[_fine_rule_codes(article, sentence_type, term_months, law)]


def fine_minimum(juvenile: npt.ArrayLike, law: LawConfig = DEFAULT_LAW) -> np.ndarray:
    """Minimum fine in yuan: 1,000, or 500 for juveniles (SPC 2000 art. 2)."""
    j = np.asarray(juvenile, dtype=bool)
    return np.where(j, law.fine_min_juvenile, law.fine_min)


def probation_eligible(
    sentence_type: npt.ArrayLike,
    term_months: npt.ArrayLike,
    recidivist: npt.ArrayLike,
    ringleader: npt.ArrayLike = False,
) -> np.ndarray:
    """Probation eligibility (arts. 72, 74).

    Parameters
    ----------
    sentence_type : array_like of str or int
        Sentence types (:data:`SENTENCE_TYPES`, or their codes).
    term_months : array_like of float
        Executed custodial term in months (the combined term for several crimes).
    recidivist : array_like of bool
        累犯 (art. 65).
    ringleader : array_like of bool, optional
        Ringleader of a criminal group (犯罪集团的首要分子, art. 97). Default False.

    Returns
    -------
    numpy.ndarray of bool
        True for detention or a fixed term of at most 36 months (art. 72), unless the offender
        is a recidivist or a ringleader of a criminal group (art. 74).
    """
    st = sentence_type_codes(sentence_type)
    term = np.asarray(term_months, dtype=float)
    rec = np.asarray(recidivist, dtype=bool)
    lead = np.asarray(ringleader, dtype=bool)
    custodial_ok = (st == _DETENTION) | ((st == _FIXED) & (term <= PROBATION_MAX_TERM))
    return np.asarray(custodial_ok & ~rec & ~lead)


def probation_period_bounds(
    sentence_type: npt.ArrayLike, term_months: npt.ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Allowed probation period in months (art. 73).

    Detention: at least the term and 2 months, at most 12. Fixed term: at least the term and
    12 months, at most 60. Other sentence types have no probation (NaN bounds).
    """
    st = sentence_type_codes(sentence_type)
    term = np.asarray(term_months, dtype=float)
    det = st == _DETENTION
    fix = st == _FIXED
    lo = np.where(det, np.maximum(term, 2.0), np.where(fix, np.maximum(term, 12.0), np.nan))
    hi = np.where(det, 12.0, np.where(fix, 60.0, np.nan))
    return lo, hi


def combination_rule(year: int | None = None) -> CombinationRule:
    """The art. 69 regime that applies to a judgment of a given year.

    Parameters
    ----------
    year : int, optional
        Judgment year; by default the current regime.

    Returns
    -------
    CombinationRule
        The most recent rule in force at some point of the year. A 2011 judgment may apply the
        Amendment VIII caps (to crimes committed from 2011-05-01), so its outer cap is theirs.
    """
    if year is None:
        return COMBINATION_RULES[-1]
    rules = [r for r in COMBINATION_RULES if r.in_force_from.year <= int(year)]
    return rules[-1] if rules else COMBINATION_RULES[0]


def combined_term_cap(
    sentence_type: npt.ArrayLike,
    year: npt.ArrayLike | None = None,
    sum_months: npt.ArrayLike | None = None,
) -> np.ndarray:
    """Highest term (months) art. 69 allows for a sentence combined for several crimes.

    Parameters
    ----------
    sentence_type : array_like of str
        Type of the executed sentence.
    year : array_like of int, optional
        Judgment year of each row (see :func:`combination_rule`); by default the current rule.
    sum_months : array_like of float, optional
        Sum of the terms combined. When given, a fixed term is capped at 240 months below a
        35-year sum and at 300 months from it, and no combined term exceeds the sum itself;
        when unknown, the outer cap of the regime (300 months from 2011, 240 before) is
        returned.

    Returns
    -------
    numpy.ndarray of float
        Fixed term: as above; detention: 12; other types: 0 (the contract records no term).
    """
    st = np.asarray(sentence_type, dtype=object)
    if year is None:
        idx = np.full(st.shape, len(COMBINATION_RULES) - 1)
    else:
        starts = np.array([r.in_force_from.year for r in COMBINATION_RULES])
        years = np.broadcast_to(np.asarray(year).astype(int), st.shape)
        idx = np.clip(np.searchsorted(starts, years, side="right") - 1, 0, None)

    def field(name: str) -> np.ndarray:
        return np.array([getattr(r, name) for r in COMBINATION_RULES], dtype=float)[idx]

    high = field("fixed_term_max_long")
    det = field("detention_max")
    if sum_months is None:
        fixed = high
    else:
        total = np.asarray(sum_months, dtype=float)
        long_sum = field("long_sum")
        fixed = np.minimum(np.where(total >= long_sum, high, field("fixed_term_max")), total)
        det = np.minimum(det, total)
    out = np.select([st == "fixed_term", st == "detention"], [fixed, det], 0.0)
    return np.asarray(out, dtype=float)


def custodial_range(
    sentence_type: npt.ArrayLike,
    n_charges: npt.ArrayLike | None = None,
    year: npt.ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """General-part range of the custodial term for each sentence type (months).

    Parameters
    ----------
    sentence_type : array_like of str
        Sentence types.
    n_charges : array_like of int, optional
        Number of crimes combined in the executed sentence. With two or more, the upper bound
        is the art. 69 cap (:func:`combined_term_cap`, outer cap as the sum of the terms is not
        known). By default every row is a single charge.
    year : array_like of int, optional
        Judgment years, for the art. 69 regime.

    Returns
    -------
    lo, hi : numpy.ndarray of float
        Detention 1-6 (combined: up to 12), fixed term 6-180 (combined: up to 240 before 2011,
        300 from 2011); other types carry no custodial term (0-0).
    """
    st = np.asarray(sentence_type, dtype=object)
    lo = np.select([st == "detention", st == "fixed_term"], [DETENTION_MONTHS[0], 6.0], 0.0)
    hi = np.select(
        [st == "detention", st == "fixed_term"], [DETENTION_MONTHS[1], FIXED_TERM_MONTHS[1]], 0.0
    )
    hi = np.asarray(hi, dtype=float)
    if n_charges is not None:
        combined = np.broadcast_to(np.asarray(n_charges), st.shape) >= 2
        hi = np.where(combined, combined_term_cap(st, year), hi)
    return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)


def term_cap(
    article: npt.ArrayLike,
    n_charges: npt.ArrayLike = 1,
    sentence_type: npt.ArrayLike = "fixed_term",
    year: npt.ArrayLike | None = None,
    law: LawConfig = DEFAULT_LAW,
) -> np.ndarray:
    """Highest legal custodial term (months) of each row.

    Parameters
    ----------
    article : array_like of str or int
        Article of the row (for several charges: the article recorded in the contract).
    n_charges : array_like of int
        Number of crimes combined in the executed sentence (default 1).
    sentence_type : array_like of str
        Sentence type (default ``"fixed_term"``).
    year : array_like of int, optional
        Judgment year, for the art. 69 regime.
    law : LawConfig
        Statutory parameters.

    Returns
    -------
    numpy.ndarray of float
        One charge: the article's maximum (:func:`term_bounds`), within the general range of
        the sentence type (detention 6). Two or more: the art. 69 cap, 300 months for a fixed
        term from 2011 (240 before) and 12 for detention. The contract does not record the
        sum of the combined terms, so the outer cap is used: a combined term up to 300 months
        is legal whichever article is recorded. Non-custodial types: 0.
    """
    art_hi = term_bounds(article, law)[1]
    st = np.broadcast_to(np.asarray(sentence_type, dtype=object), art_hi.shape)
    n = np.broadcast_to(np.asarray(n_charges), art_hi.shape)
    single_hi = custodial_range(st)[1]
    combined_hi = combined_term_cap(st, year)
    return np.asarray(np.where(n >= 2, combined_hi, np.minimum(single_hi, art_hi)), dtype=float)
