"""Rules applied to sentences: the tier a sentence falls in and its fine rule, probation
eligibility and period, the art. 69 caps and the custodial ranges."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ccmodels.law.statutes import (
    _DETENTION,
    _EXEMPT,
    _FIXED,
    ARTICLES,
    COMBINATION_RULES,
    DEFAULT_LAW,
    DETENTION_MONTHS,
    FINE_REQUIRED_RULES,
    FINE_RULES,
    FIXED_TERM_MONTHS,
    PROBATION_MAX_TERM,
    CombinationRule,
    LawConfig,
    article_codes,
    sentence_type_codes,
    term_bounds,
)


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
