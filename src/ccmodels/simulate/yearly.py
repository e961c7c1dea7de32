"""Yearly growth quantities of a world, drawn without a row per case.

:func:`ccmodels.simulate.simulate` builds a case table; a projection of case volume, group size
and value-chain composition needs only yearly numbers, and a posterior world to 2030 can hold
millions of cases. :func:`draw_yearly` draws those numbers from the same generative model
(the same walks, from the same streams: :func:`.latent.yearly_latent`), vectorised over
the years, at a cost that does not depend on the number of cases:

- cases per year ``N_t ~ NegBin(e^{log_rate_t}, dispersion)``: the very draw ``simulate``
  makes (same stream), so a world's yearly counts are those of its population;
- the cases' value-chain patterns (16 combinations of four independent Bernoulli flags) as
  ``Multinomial(N_t, pi_t)``; the chain shares follow from the pattern counts ``M_tk``;
- the group size of a case of pattern ``k`` is ``1 + NegBin(mu_tk, alpha_tk)`` (shifted) or
  zero-truncated ``NegBin(mu_tk, alpha_tk)``:
  - offenders: a sum of ``M`` independent ``NegBin(mu, alpha)`` is ``NegBin(M mu, M alpha)``
    (same success probability), so the shifted family's yearly offenders are
    ``N_t + sum_k NegBin(M_tk mu_tk, M_tk alpha_tk)``, one draw per pattern. The
    zero-truncated family has no such closed form: its sizes are drawn case by case, in
    chunks (cost grows with the cases; the shifted family is the default);
  - cases with 3 or more defendants: ``Binomial(M_tk, P(n >= 3))`` per pattern;
  - the largest case: ``P(max <= x) = prod_k F_k(x)^{M_tk}``, inverted at one uniform per year
    by bisection on the integers (``log F`` from the survival function, exact in the tail).

Each quantity is exact in distribution given the year's latent state and pattern counts;
given those counts, the offenders, the share of large cases and the largest case are drawn
independently of one another (in a population they come from the same cases).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import nbinom

from ccmodels import params
from ccmodels.outcomes import group_sizes, negbin, ztnb
from ccmodels.simulate.latent import streams, yearly_latent
from ccmodels.simulate.scenario import Scenario

__all__ = ["PATTERNS", "YearlyDraw", "draw_yearly", "largest", "poisson_big"]

#: the 16 value-chain patterns (rows) over the four chains (columns), 0/1
PATTERNS = ((np.arange(16)[:, None] >> np.arange(4)[None, :]) & 1).astype(float)
#: Poisson means above this are drawn as rounded normals (numpy's Poisson stops near 9e18;
#: the discreteness of a count this large is below double precision anyway)
_BIG = 1e15
#: cases drawn per chunk for the zero-truncated family
_CHUNK = 2_000_000
#: years with at most this many cases get their group sizes case by case (the joint law of
#: offenders, large cases and the largest case); above, the closed forms
EXACT_CASES = 20_000


@dataclass(frozen=True)
class YearlyDraw:
    """One world's yearly quantities (arrays over the scenario's years; ``chain_share`` year x
    chain) and what the largest case needs (``counts``, ``mu``, ``alpha``: year x pattern;
    ``u``: one uniform per year), inverted for many worlds at once by :func:`largest`."""

    cases: np.ndarray
    offenders: np.ndarray
    share_3plus: np.ndarray
    chain_share: np.ndarray
    counts: np.ndarray
    mu: np.ndarray
    alpha: np.ndarray
    u: np.ndarray
    family: str
    top: np.ndarray


def poisson_big(rng: np.random.Generator, lam: np.ndarray) -> np.ndarray:
    """Poisson draws, as rounded normals where the mean is above :data:`_BIG`."""
    lam = np.asarray(lam, float)
    small = np.where(lam <= _BIG, lam, 0.0)
    out = rng.poisson(small).astype(float)
    big = lam > _BIG
    if big.any():
        out[big] = np.round(rng.normal(lam[big], np.sqrt(lam[big])))
    return out


def _negbin_big(rng: np.random.Generator, mean: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """:func:`ccmodels.outcomes.negbin` (the same stream use), safe for any finite mean."""
    mean = np.asarray(mean, float)
    alpha = np.broadcast_to(np.asarray(alpha, float), mean.shape)
    if np.all(mean * (1.0 + 10.0 / alpha) <= _BIG):
        return negbin(rng, mean, alpha).astype(float)
    return poisson_big(rng, rng.gamma(alpha, mean / alpha))


def draw_yearly(sc: Scenario, seed: int) -> YearlyDraw:
    """Draw one world's yearly quantities from scenario ``sc`` with seed ``seed`` (the seed a
    population of the same world would be simulated with)."""
    rng = streams(int(seed))
    years = sc.year_values()
    n_years = len(years)
    lat = yearly_latent(sc, rng, ())
    rate = np.exp(np.minimum(lat.log_rate, 700.0))
    cases = _negbin_big(rng["volume"], rate, np.full(n_years, sc.volume.dispersion))
    p = lat.chain_p  # (year, chain)
    pi = np.prod(np.where(PATTERNS[None, :, :] > 0, p[:, None, :], 1.0 - p[:, None, :]), axis=2)
    pi = pi / pi.sum(axis=1, keepdims=True)
    g = rng["chains"]
    if cases.max() < 2.0**62:
        counts = g.multinomial(cases.astype(np.int64), pi).astype(float)
    else:
        counts = np.stack([_multinomial(g, cases[t], pi[t]) for t in range(n_years)])
    chain_share = np.divide(
        counts @ PATTERNS,
        cases[:, None],
        out=np.full((n_years, 4), np.nan),
        where=cases[:, None] > 0,
    )
    x = params.LinearData(
        n_years * 16, np.repeat(np.arange(n_years), 16), np.tile(PATTERNS, (n_years, 1)), None, None
    )
    mu = np.exp(_size_predictor(sc, lat.latent, "size_mu", x)).reshape(n_years, 16)
    alpha = np.exp(_size_predictor(sc, lat.latent, "size_alpha", x)).reshape(n_years, 16)
    gs = rng["group_size"]
    family = sc.group_size.family
    exact = cases <= EXACT_CASES
    offenders = np.zeros(n_years)
    n_big = np.zeros(n_years)
    top = np.full(n_years, np.nan)
    if exact.any():  # case by case: the joint law of the year's sizes
        sizes = _sizes(
            gs,
            np.repeat(mu[exact].ravel(), counts[exact].ravel().astype(np.int64)),
            np.repeat(alpha[exact].ravel(), counts[exact].ravel().astype(np.int64)),
            family,
        )
        yr = np.repeat(np.flatnonzero(exact), cases[exact].astype(np.int64))
        offenders[exact] = np.bincount(yr, sizes, n_years)[exact]
        n_big[exact] = np.bincount(yr, sizes >= 3, n_years)[exact]
        mx = np.zeros(n_years)
        np.maximum.at(mx, yr, sizes)
        top[exact] = np.where(cases[exact] > 0, mx[exact], np.nan)
    many = ~exact
    if many.any():  # closed forms, one draw per pattern
        on = (counts > 0) & many[:, None]
        if family == "shifted":
            extra = np.zeros_like(mu)
            lam = gs.gamma(np.where(on, counts * alpha, 1.0), np.where(on, mu / alpha, 0.0))
            extra[on] = poisson_big(gs, lam[on])
            offenders[many] = (cases + extra.sum(axis=1))[many]
        else:
            offenders[many] = _ztnb_sums(gs, np.where(on, counts, 0.0), mu, alpha)[many]
        hits = np.zeros_like(mu)
        hits[on] = _binomial(gs, counts[on], _p_big(mu, alpha, family)[on])
        n_big[many] = hits.sum(axis=1)[many]
    share = np.divide(n_big, cases, out=np.full(n_years, np.nan), where=cases > 0)
    u = gs.random(n_years)
    return YearlyDraw(cases, offenders, share, chain_share, counts, mu, alpha, u, family, top)


def _size_predictor(sc: Scenario, latent: Any, prefix: str, rows: params.LinearData) -> np.ndarray:
    """A group-size predictor of the scenario's truth (as :func:`.population._predictor` on
    :func:`ccmodels.params.truth`, without building the truth Dataset)."""
    spec = params.linear_spec(prefix)
    got = params.predictor_truth(sc, spec, latent.get(f"year_effect/{spec.field}"))
    values = {k: np.asarray(v.values) for k, v in got.items()}
    return np.asarray(params.linear(values, prefix, rows.only(spec.dims)), dtype=float)


def _sizes(g: np.random.Generator, mu: np.ndarray, alpha: np.ndarray, family: str) -> np.ndarray:
    """One group size per case."""
    return group_sizes(g, family, mu, alpha).astype(float)


def _p_big(mu: np.ndarray, alpha: np.ndarray, family: str) -> np.ndarray:
    """P(n >= 3) of a group size."""
    q = alpha / (alpha + mu)
    if family == "shifted":
        return nbinom.sf(1, alpha, q)
    return nbinom.sf(2, alpha, q) / -np.expm1(alpha * np.log(q))


def _multinomial(g: np.random.Generator, n: float, pi: np.ndarray) -> np.ndarray:
    """Multinomial counts of ``n`` (any size: as conditional binomials)."""
    out = np.zeros(pi.size)
    left, rest = float(n), 1.0
    for k in range(pi.size - 1):
        if left <= 0 or rest <= 0:
            break
        share = min(max(pi[k] / rest, 0.0), 1.0)
        out[k] = _binomial(g, np.array([left]), np.array([share]))[0]
        left -= out[k]
        rest -= pi[k]
    out[-1] = max(left, 0.0)
    return out


def _binomial(g: np.random.Generator, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Binomial draws for counts of any size (numpy's take int64; beyond 2^62, normal)."""
    n = np.asarray(n, float)
    p = np.clip(np.asarray(p, float), 0.0, 1.0)
    ok = n < 2.0**62
    out = np.empty(n.shape)
    out[ok] = g.binomial(n[ok].astype(np.int64), p[ok])
    if (~ok).any():
        m, s = n[~ok] * p[~ok], np.sqrt(n[~ok] * p[~ok] * (1 - p[~ok]))
        out[~ok] = np.clip(np.round(g.normal(m, s)), 0, n[~ok])
    return out


def _ztnb_sums(
    g: np.random.Generator, counts: np.ndarray, mu: np.ndarray, alpha: np.ndarray
) -> np.ndarray:
    """Yearly sums of zero-truncated group sizes, drawn case by case in chunks."""
    total = np.zeros(counts.shape[0])
    for (t, k), m in np.ndenumerate(counts):
        left = int(m)
        while left > 0:
            n = min(left, _CHUNK)
            total[t] += float(ztnb(g, np.full(n, mu[t, k]), np.full(n, alpha[t, k])).sum())
            left -= n
    return total


def _log_cdf_size(x: np.ndarray, mu: np.ndarray, alpha: np.ndarray, family: str) -> np.ndarray:
    """log P(n <= x) of a group size (x >= 1), from the survival function."""
    q = alpha / (alpha + mu)
    if family == "shifted":
        return np.log1p(-nbinom.sf(x - 1, alpha, q))
    p0 = np.exp(alpha * np.log(q))
    return np.log1p(-nbinom.sf(x, alpha, q) / (1.0 - p0))


def largest(draws: list[YearlyDraw]) -> np.ndarray:
    """The largest case of every world and year (draws x years; NaN in a year without cases),
    by bisection on ``sum_k M_k log F_k(x) >= log u`` over all worlds at once."""
    counts = np.stack([d.counts for d in draws])  # (D, Y, K)
    mu = np.stack([d.mu for d in draws])
    alpha = np.stack([d.alpha for d in draws])
    logu = np.log(np.stack([d.u for d in draws]))
    todo = np.isnan(np.stack([d.top for d in draws])) & (counts.sum(axis=-1) > 0)
    logu = np.where(todo, logu, -np.inf)  # years already known (or empty) stop at once
    fam = {d.family for d in draws}
    family = fam.pop() if len(fam) == 1 else "shifted"

    def enough(x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            lf = _log_cdf_size(x[..., None], mu, alpha, family)
            tot: Any = np.where(counts > 0, counts * lf, 0.0).sum(axis=-1)
        return tot >= logu

    lo = np.zeros(logu.shape)  # P(max <= lo) < u (max >= 1)
    hi = np.ones(logu.shape)
    while True:  # doubling until the upper end holds
        short = ~enough(hi)
        if not short.any() or hi.max() > 1e15:
            break
        lo = np.where(short, hi, lo)
        hi = np.where(short, hi * 2.0, hi)
    while np.any(hi - lo > 1):
        mid = np.floor((lo + hi) / 2.0)
        ok = enough(mid)
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
    known = np.stack([d.top for d in draws])
    out = np.where(np.isnan(known), hi, known)
    return np.where(counts.sum(axis=-1) > 0, out, np.nan)
