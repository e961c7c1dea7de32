"""The generative model of each outcome, written once (NumPy; no PyMC).

The simulator (:func:`ccmodels.simulate.simulate`), every model's replicates and predictions,
and the sentencing pipeline draw their outcomes here, from linear predictors they compute
themselves (:func:`ccmodels.params.linear`) and random numbers they draw from their own
streams. A generator takes the random numbers it needs, or the stream it draws them from, in
the one order written here; arrays broadcast, so one call serves one population (rows) or a
posterior (draws, rows).

Per offender ``i`` of case ``k``:

- disposition: exempt, fine only (where the article allows it) or custodial, a multinomial
  logit against custodial with the case effect on both logits
  (:func:`disposition_probabilities`, :func:`disposition`);
- term: ``log term = eta + u_k + sigma * noise``, censored at :func:`term_bounds` (the
  detention minimum; the article's maximum, or the art. 69 cap for a sentence combined for
  several charges) (:func:`term`; its mean :func:`censored_lognormal_mean`); a custodial
  term under 6 months is detention (:func:`sentence_type_codes`);
- probation: Bernoulli-logit among the eligible, ``log(term / 12)`` a covariate
  (:func:`log_term_covariate`, :func:`probation`);
- fine: ``log amount = eta + u_k + sigma * z``, censored below at the statutory minimum
  (:func:`fine_amount`; its mean :func:`censored_below_lognormal_mean`).

Per case and year: group size (:func:`group_sizes`: ``1 + NegBin`` or zero-truncated NegBin;
mean :func:`mean_group_size`), cases per year (:func:`negbin`) and value-chain flags
(:func:`chain_flags`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import expit, ndtr

from ccmodels import law

__all__ = [
    "REF_TERM_MONTHS",
    "case_effects",
    "censored_below_lognormal_mean",
    "censored_lognormal_mean",
    "chain_flags",
    "disposition",
    "disposition_probabilities",
    "fine_amount",
    "group_sizes",
    "log_term_covariate",
    "mean_group_size",
    "negbin",
    "probation",
    "sentence_type_codes",
    "table_term_bounds",
    "term",
    "term_bounds",
    "ztnb",
]

#: the probation model's term covariate is ``log(term / REF_TERM_MONTHS)`` (0 without a term)
REF_TERM_MONTHS = 12.0
#: the group-size families: ``1 + NegBin(mu, alpha)`` or ``NegBin(mu, alpha)`` given ``n >= 1``
GROUP_SIZE_FAMILIES = ("shifted", "ztnb")


# --------------------------------------------------------------------------- counts
def negbin(rng: np.random.Generator, mean: npt.ArrayLike, alpha: npt.ArrayLike) -> np.ndarray:
    """NB with mean ``mean`` and shape ``alpha`` (variance ``mean + mean² / alpha``), as a
    gamma-Poisson mixture: one gamma then one Poisson draw per element, in that order."""
    m = np.asarray(mean, dtype=float)
    a = np.broadcast_to(np.asarray(alpha, dtype=float), m.shape)
    return rng.poisson(rng.gamma(a, m / a))


def ztnb(rng: np.random.Generator, mean: npt.ArrayLike, alpha: npt.ArrayLike) -> np.ndarray:
    """Zero-truncated NB (mean ``mean``, shape ``alpha`` before truncation), by inversion of
    its CDF above ``P(0)``: exact, and no rejection loop however likely 0 is."""
    from scipy.stats import nbinom

    m, a = np.broadcast_arrays(np.asarray(mean, float), np.asarray(alpha, float))
    p = a / (a + m)
    p0 = np.exp(a * np.log(p))
    u = p0 + rng.random(m.shape) * (1.0 - p0)
    out = nbinom.ppf(np.minimum(u, np.nextafter(1.0, 0.0)), a, p)
    return np.maximum(np.nan_to_num(out, nan=1.0, posinf=1.0), 1).astype(np.int64)


def _check_family(family: str) -> None:
    if family not in GROUP_SIZE_FAMILIES:
        raise ValueError(
            f"group-size family must be one of {', '.join(GROUP_SIZE_FAMILIES)}, got {family!r}"
        )


def group_sizes(
    rng: np.random.Generator, family: str, mu: npt.ArrayLike, alpha: npt.ArrayLike
) -> np.ndarray:
    """Defendants per case (int64): ``1 + NegBin(mu, alpha)`` (``"shifted"``) or the
    zero-truncated ``NegBin(mu, alpha)`` (``"ztnb"``)."""
    _check_family(family)
    if family == "shifted":
        return (1 + negbin(rng, mu, alpha)).astype(np.int64)
    return ztnb(rng, mu, alpha)


def mean_group_size(family: str, mu: npt.ArrayLike, alpha: npt.ArrayLike) -> np.ndarray:
    """Expected defendants per case of :func:`group_sizes`."""
    _check_family(family)
    m, a = np.asarray(mu, float), np.asarray(alpha, float)
    if family == "shifted":
        return 1.0 + m
    return m / -np.expm1(a * (np.log(a) - np.log(a + m)))


def chain_flags(u: npt.ArrayLike, p: npt.ArrayLike) -> np.ndarray:
    """Value-chain flags: each chain present independently with its probability ``p`` (cases
    can have several or none), from uniforms ``u`` of the same shape."""
    return np.asarray(u) < np.asarray(p)


def case_effects(rng: np.random.Generator, sigma: npt.ArrayLike, n_cases: int) -> np.ndarray:
    """One ``Normal(0, sigma²)`` effect per case, shape ``sigma.shape + (n_cases,)`` (a draw
    of ``sigma`` per leading element)."""
    s = np.asarray(sigma, dtype=float)
    return rng.normal(0.0, 1.0, (*s.shape, n_cases)) * s[..., None]


# --------------------------------------------------------------------------- disposition
def disposition_probabilities(
    lp_exempt: npt.ArrayLike, lp_fine_only: npt.ArrayLike, fine_only_ok: npt.ArrayLike = True
) -> tuple[np.ndarray, np.ndarray]:
    """P(exempt) and P(fine only) of the multinomial logit against a custodial sentence, 0 for
    fine only where the article forbids it (``fine_only_ok`` false); P(custodial) is the
    rest."""
    lp_fo = np.where(fine_only_ok, lp_fine_only, -np.inf)
    log_den = np.logaddexp(0.0, np.logaddexp(lp_exempt, lp_fo))
    return np.exp(np.asarray(lp_exempt) - log_den), np.exp(lp_fo - log_den)


def disposition(
    u: npt.ArrayLike, p_exempt: npt.ArrayLike, p_fine_only: npt.ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Exempt and fine-only flags from one uniform ``u`` per offender."""
    u = np.asarray(u)
    exempt = u < p_exempt
    fine_only = ~exempt & (u < np.asarray(p_exempt) + p_fine_only)
    return exempt, fine_only


def sentence_type_codes(
    exempt: npt.ArrayLike, fine_only: npt.ArrayLike, term: npt.ArrayLike
) -> np.ndarray:
    """Codes of :data:`ccmodels.law.SENTENCE_TYPES`: exempt, fine only, or by the custodial
    term detention (under 6 months) or fixed term."""
    ex, fo = np.asarray(exempt, bool), np.asarray(fine_only, bool)
    code = {k: law.SENTENCE_TYPES.index(k) for k in law.SENTENCE_TYPES}
    return np.select(
        [ex, fo, ~ex & ~fo & (np.asarray(term) < law.FIXED_TERM_MONTHS[0])],
        [code["exempt"], code["fine_only"], code["detention"]],
        code["fixed_term"],
    )


# --------------------------------------------------------------------------- term
def term_bounds(
    article: npt.ArrayLike,
    n_charges: npt.ArrayLike | None = None,
    year: npt.ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The bounds (months) at which a custodial term is censored: the detention minimum
    (1 month), and the article's maximum or, for a sentence combined for two or more charges,
    the art. 69 cap of the judgment year (300 months from 2011, 240 before)."""
    lo, hi = law.term_bounds(article)
    if n_charges is not None:
        several = np.broadcast_to(np.asarray(n_charges), hi.shape) >= 2
        if several.any():
            cap = law.combined_term_cap(np.full(hi.shape, "fixed_term"), year)
            hi = np.where(several, cap, hi)
    return lo, np.asarray(hi, dtype=float)


def table_term_bounds(rows: Any) -> tuple[np.ndarray, np.ndarray]:
    """:func:`term_bounds` of a table's rows: columns ``article``, ``year`` and, when present,
    ``n_charges`` (a table without it holds single charges)."""
    n_charges = rows["n_charges"].to_numpy() if "n_charges" in rows else None
    return term_bounds(rows["article"].astype(str).to_numpy(), n_charges, rows["year"].to_numpy())


def term(
    noise: npt.ArrayLike,
    eta: npt.ArrayLike,
    sigma: npt.ArrayLike,
    lo: npt.ArrayLike,
    hi: npt.ArrayLike,
) -> tuple[np.ndarray, np.ndarray]:
    """Custodial terms (months) ``exp(eta + sigma * noise)`` censored at ``lo`` and ``hi``
    (``eta`` with the case effect), and the censoring code (+1 at the upper bound, -1 at the
    lower, 0 inside). The log term is capped just above ``log(hi)`` first, so heavy-tailed
    draws do not overflow."""
    hi = np.asarray(hi, dtype=float)
    z = np.minimum(np.asarray(eta) + np.asarray(sigma) * np.asarray(noise), np.log(hi) + 1.0)
    raw = np.exp(z)
    censored = np.where(raw >= hi, 1, np.where(raw <= lo, -1, 0)).astype(np.int8)
    return np.clip(raw, lo, hi), censored


def censored_lognormal_mean(mu: Any, s: Any, lo: Any, hi: Any) -> np.ndarray:
    """``E[min(max(exp(Z), lo), hi)]`` for ``Z ~ Normal(mu, s²)``."""
    a = (np.log(lo) - mu) / s
    b = (np.log(hi) - mu) / s
    return np.asarray(
        lo * ndtr(a) + hi * ndtr(-b) + np.exp(mu + s**2 / 2) * (ndtr(b - s) - ndtr(a - s))
    )


# --------------------------------------------------------------------------- probation
def log_term_covariate(term: npt.ArrayLike) -> np.ndarray:
    """``log(term / 12 months)``, 0 without a custodial term."""
    t = np.asarray(term, dtype=float)
    return np.log(np.where(t > 0, t, REF_TERM_MONTHS) / REF_TERM_MONTHS)


def probation(u: npt.ArrayLike, logit: npt.ArrayLike, eligible: npt.ArrayLike) -> np.ndarray:
    """Probation flags: eligible offenders with ``u < sigmoid(logit)`` (``logit`` with the
    case effect), from one uniform per offender."""
    return np.asarray(eligible, bool) & (np.asarray(u) < expit(logit))


# --------------------------------------------------------------------------- fine
def fine_amount(
    z: npt.ArrayLike, eta: npt.ArrayLike, sigma: npt.ArrayLike, floor: npt.ArrayLike
) -> np.ndarray:
    """Fine amounts (yuan) ``exp(eta + sigma * z)`` censored below at the statutory minimum
    ``floor`` (``eta`` with the case effect)."""
    return np.maximum(np.exp(np.asarray(eta) + np.asarray(sigma) * np.asarray(z)), floor)


def censored_below_lognormal_mean(mu: Any, s: Any, floor: Any) -> np.ndarray:
    """``E[max(exp(Z), floor)]`` for ``Z ~ Normal(mu, s²)``."""
    a = (np.log(floor) - mu) / s
    return np.asarray(floor * ndtr(a) + np.exp(mu + s**2 / 2) * ndtr(s - a))
