"""The statutes as data: articles, their tiers and fine forms, the general-part ranges, the
art. 69 regimes, and the codes of articles and sentence types."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

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
