"""Case-effect integrals as compiled kernels: value and gradient in one pass.

For case ``k`` with terms ``j`` (its modelled offenders, or its censored terms)::

    L_k = log ∫ Normal(u; m_k, v_k) prod_j F(a_j + c_j u) ** w_j du

with ``F`` the logistic function (the logit models: ``a_j = s_j eta_j``, ``c_j = s_j``,
``s_j = ±1`` the outcome's sign) or the standard normal CDF (censored terms of the normal models,
given the case's uncensored terms), and ``w_j`` a multiplicity (co-defendants alike in every
input). The log-integrand is strictly concave.

The rule (:func:`_case`), per case: the mode by safeguarded Newton (bracketed; never leaves the
interval where the slope changes sign); on each side of it a scale matched to the integrand's
fall at three Laplace standard deviations (a lopsided integrand, a prior tail on one side and a
wall on the other, gets a scale per side); each side integrated by the half-range
Gauss-Hermite rule (:mod:`.rules`) in that scale, 6 nodes a side when the prior's sd is at most
:data:`NARROW`, 8 up to :data:`WIDE`, 16 beyond. Within 1e-6 nats of adaptive brute-force quadrature for cases of 1 to
269 terms, prior sd 0.05 to 3, all outcomes alike or mixed (``tests/models/test_likelihoods.py``).
The nodes are placed from the parameters but the gradient is that of the rule with its nodes
held fixed: any placement gives the integral to the rule's accuracy, so the two gradients agree
to it too.

The rule's callers: :mod:`.cases` (the cases of the logit models), :mod:`.probit` (those of
the censored-normal models),
:mod:`.lone` (lone offenders and a logit model's whole likelihood), :mod:`.conditional`
(conditional draws of case effects).

Lone offenders of the logit models (a case of one term, ``m = 0``, ``v = tau²``) are many and
alike: :func:`.lone.logistic_lone` tabulates ``g(x) = log ∫ Normal(u; 0, tau²) sigmoid(x + u) du``,
its slope and its ``tau``-derivative on a grid of spacing :data:`GRID` over the range of the
rows' ``x`` (16-node rule at each grid point) and interpolates each row by cubic Hermite
polynomials: within 1e-8 nats (``|g''''| <= 1/8``, error ``<= h⁴ / 384 / 8``), a few
arithmetic operations a row whatever the number of rows.

A division by zero (a scale underflowing to 0 on a sampler's trajectory) raises, and nutpie
rejects the step; the JAX callbacks (:mod:`.ops`) turn it into NaN outputs, which numpyro
rejects. (NumPy's error model instead gave finite log densities with infinite gradients there,
and a disposition fit at 10x the study's size no longer finished in 10 minutes.)
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ccmodels.models.likelihoods.normal_cdf import LPHI_HI, LPHI_LO, _lphi
from ccmodels.models.likelihoods.rules import half_range_rule

__all__ = ["GRID", "NARROW", "SPREAD", "WIDE"]

#: Prior sd above which the 16-node rule (a side) replaces the 8-node one.
WIDE = 1.25
#: Spacing of the lone offenders' table.
GRID = 1.0 / 16.0
#: Distance from the mode, in Laplace standard deviations, at which each side's scale is matched.
SPREAD = 3.0
#: Prior sd up to which 6 nodes a side suffice (within 1e-8 nats there, against 1e-6 for 8).
NARROW = 0.6
_T6, _W6 = half_range_rule(6)
_T8, _W8 = half_range_rule(8)
_T16, _W16 = half_range_rule(16)
_LW6 = np.log(_W6) + 0.5 * _T6 * _T6
_LW8 = np.log(_W8) + 0.5 * _T8 * _T8
_LW16 = np.log(_W16) + 0.5 * _T16 * _T16
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_MAX_NEWTON = 60


@numba.njit(cache=True, inline="always")
def _logf(link: int, z: float) -> tuple[float, float, float]:  # pragma: no cover - compiled
    """log F(z), its slope and minus its curvature, for F logistic (0) or normal CDF (1)."""
    if link == 0:
        if z >= 0.0:
            e = math.exp(-z)
            s = e / (1.0 + e)  # sigmoid(-z)
            return -math.log1p(e), s, s * (1.0 - s)
        e = math.exp(z)
        s = 1.0 / (1.0 + e)
        return z - math.log1p(e), s, s * (1.0 - s)
    if LPHI_LO <= z < LPHI_HI:
        lphi, lam = _lphi(z)
        return lphi, lam, lam * (z + lam)
    if z < LPHI_LO:
        r = 1.0 / (z * z)
        lphi = (
            -0.5 * z * z
            - math.log(-z)
            - _HALF_LOG_2PI
            + math.log1p(r * (-1.0 + r * (3.0 + r * (-15.0 + 105.0 * r))))
        )
    else:
        lphi = math.log(0.5 * math.erfc(-z / math.sqrt(2.0)))
    lam = math.exp(-0.5 * z * z - _HALF_LOG_2PI - lphi)
    return lphi, lam, lam * (z + lam)


@numba.njit(cache=True, inline="always")
def _safe_step(
    u: float, g: float, curv: float, lo: float, hi: float, dx: float, dx_old: float
) -> tuple[float, float, float, bool]:  # pragma: no cover - compiled
    """One step towards the root of the decreasing slope ``g`` (Newton safeguarded by
    bisection, as ``rtsafe`` of Press et al. 2007, §9.4): bisect once the root is bracketed
    and Newton would leave the bracket or is not halving the step. Returns (u, dx, dx_old,
    converged)."""
    step = g / curv
    bracketed = lo > -np.inf and hi < np.inf
    un = u + step
    if bracketed and ((un - hi) * (un - lo) >= 0.0 or abs(2.0 * step) > abs(dx_old)):
        dx_old = dx
        dx = 0.5 * (hi - lo)
        un = lo + dx
    else:
        dx_old = dx
        dx = step
    return un, dx, dx_old, abs(un - u) <= 1e-11 * (1.0 + abs(u))


@numba.njit(cache=True)
def _place(
    link: int,
    mk: float,
    vk: float,
    a: np.ndarray,
    c: np.ndarray,
    w: np.ndarray,
    j0: int,
    j1: int,
) -> tuple[float, float, float]:  # pragma: no cover - compiled
    """The mode of one case's log-integrand and a scale for each side of it (left, right)."""
    u = mk
    lo, hi = -np.inf, np.inf
    dx = dx_old = np.inf
    f0 = 0.0
    curv = 1.0 / vk
    for _ in range(_MAX_NEWTON):
        # Newton on the (decreasing) slope, kept inside its sign-change bracket
        g = -(u - mk) / vk
        curv = 1.0 / vk
        f0 = -0.5 * (u - mk) ** 2 / vk
        for j in range(j0, j1):
            lf, sl, cv = _logf(link, a[j] + c[j] * u)
            f0 += w[j] * lf
            g += w[j] * c[j] * sl
            curv += w[j] * c[j] * c[j] * cv
        if g > 0.0:
            lo = u
        elif g < 0.0:
            hi = u
        else:
            break
        u, dx, dx_old, done = _safe_step(u, g, curv, lo, hi, dx, dx_old)
        if done:
            break
    s0 = 1.0 / math.sqrt(curv)
    # a scale per side, matched to the fall at SPREAD Laplace sds
    left = _side_scale(link, mk, vk, a, c, w, j0, j1, u, f0, u - SPREAD * s0, s0)
    right = _side_scale(link, mk, vk, a, c, w, j0, j1, u, f0, u + SPREAD * s0, s0)
    return u, left, right


@numba.njit(cache=True, inline="always")
def _side_scale(
    link: int,
    mk: float,
    vk: float,
    a: np.ndarray,
    c: np.ndarray,
    w: np.ndarray,
    j0: int,
    j1: int,
    u: float,
    f0: float,
    e: float,
    s0: float,
) -> float:  # pragma: no cover - compiled
    fe = -0.5 * (e - mk) ** 2 / vk
    for j in range(j0, j1):
        fe += w[j] * _logf(link, a[j] + c[j] * e)[0]
    drop = max(f0 - fe, 1e-6)
    return SPREAD * s0 / math.sqrt(2.0 * drop)


@numba.njit(cache=True)
def _case(
    link: int,
    mk: float,
    vk: float,
    a: np.ndarray,
    c: np.ndarray,
    w: np.ndarray,
    j0: int,
    j1: int,
    tq: np.ndarray,
    lwq: np.ndarray,
    lam: np.ndarray,
    lw: np.ndarray,
    us: np.ndarray,
    da: np.ndarray,
    dc: np.ndarray,
) -> tuple[float, float, float]:  # pragma: no cover - compiled
    """One case: returns (L, dL/dm, dL/dv) and writes dL/da, dL/dc of its terms; leaves the
    nodes in ``us`` and their normalised weights in ``lw``."""
    nq = tq.size
    if j1 == j0:
        for i in range(2 * nq):
            lw[i] = 0.0
            us[i] = mk
        lw[0] = 1.0
        return 0.0, 0.0, 0.0
    u, s_left, s_right = _place(link, mk, vk, a, c, w, j0, j1)
    top = -np.inf
    for side in range(2):
        sgn = -1.0 if side == 0 else 1.0
        sc = s_left if side == 0 else s_right
        lsc = math.log(sc)
        for q in range(nq):
            i = side * nq + q
            uq = u + sgn * sc * tq[q]
            fq = -0.5 * (uq - mk) ** 2 / vk
            for j in range(j0, j1):
                lf, sl, _cv = _logf(link, a[j] + c[j] * uq)
                fq += w[j] * lf
                lam[j - j0, i] = sl
            us[i] = uq
            lw[i] = lwq[q] + lsc + fq
            top = max(top, lw[i])
    tot = 0.0
    for i in range(2 * nq):
        lw[i] = math.exp(lw[i] - top)
        tot += lw[i]
    dm = 0.0
    dv = 0.0
    for i in range(2 * nq):
        lw[i] /= tot
        r = us[i] - mk
        dm += lw[i] * r
        dv += lw[i] * r * r
    for j in range(j0, j1):
        sa = 0.0
        sc_ = 0.0
        for i in range(2 * nq):
            p = lw[i] * lam[j - j0, i]
            sa += p
            sc_ += p * us[i]
        da[j] = w[j] * sa
        dc[j] = w[j] * sc_
    ll = top + math.log(tot) - _HALF_LOG_2PI - 0.5 * math.log(vk)
    return ll, dm / vk, 0.5 * dv / (vk * vk) - 0.5 / vk
