"""Lone offenders of the logit models: the integral ``g(x) = log ∫ Normal(u; 0, tau²)
sigmoid(x + u) du`` tabulated on a grid and interpolated (see :mod:`.kernels`), the direct
Gauss-Hermite rule for narrow priors, and a logit model's whole integrated likelihood
(:func:`logit_cells_loglik`: lone cells and cases in one call)."""

from __future__ import annotations

import math

import numba
import numpy as np

from ccmodels.models.likelihoods.cases import logistic_cases
from ccmodels.models.likelihoods.kernels import _LW16, _T16, GRID, WIDE, _case

#: Gauss-Hermite rules (in the prior's scale) for lone terms at ``tau <= WIDE``:
#: ``sigmoid(x + tau z)`` is entire in ``z``; the rule's size grows with ``tau`` so that it is
#: within 1e-9 nats (measured against 100 nodes over x in [-30, 30]): 8 nodes up to 0.3, 12 up
#: to 0.5, 16 up to 0.7, 20 up to 1, 24 up to 1.25.
_GH_TAU = np.array([0.3, 0.5, 0.7, 1.0, np.inf])
_GH_SIZES = (8, 12, 16, 20, 24)
_GH_Z = np.zeros((5, 24))
_GH_P = np.zeros((5, 24))
for _i, _n in enumerate(_GH_SIZES):
    _x, _w = np.polynomial.hermite.hermgauss(_n)
    _GH_Z[_i, :_n] = np.sqrt(2.0) * _x
    _GH_P[_i, :_n] = _w / np.sqrt(np.pi)

__all__ = ["logistic_lone", "logistic_lone_direct", "logit_cells_loglik"]


@numba.njit(cache=True)
def _gh_nodes(tau: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """The prior-scale rule for ``tau``: nodes ``z``, weights ``p`` and ``exp(-tau z)``."""
    k = 0
    while tau > _GH_TAU[k]:
        k += 1
    n = _GH_SIZES[k]
    z = _GH_Z[k, :n].copy()
    return z, _GH_P[k, :n].copy(), np.exp(-tau * z)


@numba.njit(cache=True)
def _lone_gh(
    x: float, z: np.ndarray, p: np.ndarray, ez: np.ndarray
) -> tuple[float, float, float, float]:  # pragma: no cover - compiled
    """g, dg/dx, dg/dtau and d²g/dx dtau of one lone term by the prior-scale rule
    (``exp(-(x + tau z)) = exp(-x) exp(-tau z)``: one exp a term, a division a node)."""
    ex = math.exp(-x)
    s0 = 0.0
    s1x = 0.0
    s1t = 0.0
    s2 = 0.0
    for q in range(z.size):
        sg = 1.0 / (1.0 + ex * ez[q])
        d1 = sg * (1.0 - sg)
        pq = p[q]
        zq = z[q]
        s0 += pq * sg
        s1x += pq * d1
        s1t += pq * zq * d1
        s2 += pq * zq * d1 * (1.0 - 2.0 * sg)
    gx = s1x / s0
    gt = s1t / s0
    return math.log(s0), gx, gt, s2 / s0 - gx * gt


@numba.njit(cache=True)
def _lone_point(
    x: float,
    tau: float,
    z: np.ndarray,
    p: np.ndarray,
    ez: np.ndarray,
    lam: np.ndarray,
    lw: np.ndarray,
    us: np.ndarray,
    a1: np.ndarray,
    one: np.ndarray,
    da: np.ndarray,
    dc: np.ndarray,
) -> tuple[float, float, float, float]:  # pragma: no cover - compiled
    """g(x), dg/dx, dg/dtau and d²g/dx dtau for one lone term: the prior-scale rule where
    ``tau <= WIDE`` and the probability is not tiny, else the split rule (16 nodes a side)."""
    if tau <= WIDE and x > -30.0:
        return _lone_gh(x, z, p, ez)
    a1[0] = x
    v = tau * tau
    g, _dm, dv = _case(0, 0.0, v, a1, one, one, 0, 1, _T16, _LW16, lam, lw, us, da, dc)
    gx = da[0]
    gt = 2.0 * tau * dv
    # d/dtau of E[sigmoid(-(x + u))] under the node weights: the covariance of the slope with
    # the tau-score (u² / tau³ - 1 / tau) of the prior
    cov = 0.0
    for i in range(2 * _T16.size):
        cov += lw[i] * lam[0, i] * (us[i] * us[i] / (v * tau) - 1.0 / tau)
    return g, gx, gt, cov - gx * gt


@numba.njit(cache=True)
def _lone_scratch() -> tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray
]:  # pragma: no cover - compiled
    return (
        np.empty((1, 32)),
        np.empty(32),
        np.empty(32),
        np.empty(1),
        np.ones(1),
        np.zeros(1),
        np.zeros(1),
    )


@numba.njit(cache=True)
def logistic_lone_direct(
    x: np.ndarray, tau: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """g, dg/dx and dg/dtau of each ``x``, each term by its own rule (no table). The
    prior-scale rule's loop is written out here rather than called per term: a call per term
    cost more than the rule itself (78 against 31 ns a term)."""
    n = x.size
    lam, lw, us, a1, one, da, dc = _lone_scratch()
    z, p, ez = _gh_nodes(tau)
    g = np.empty(n)
    gx = np.empty(n)
    gt = np.empty(n)
    gh = tau <= WIDE
    for i in range(n):
        if gh and x[i] > -30.0:
            ex = math.exp(-x[i])
            s0 = 0.0
            s1x = 0.0
            s1t = 0.0
            for q in range(z.size):
                sg = 1.0 / (1.0 + ex * ez[q])
                d1 = sg * (1.0 - sg)
                s0 += p[q] * sg
                s1x += p[q] * d1
                s1t += p[q] * z[q] * d1
            g[i] = math.log(s0)
            gx[i] = s1x / s0
            gt[i] = s1t / s0
        else:
            g[i], gx[i], gt[i], _ = _lone_point(x[i], tau, z, p, ez, lam, lw, us, a1, one, da, dc)
    return g, gx, gt


@numba.njit(cache=True)
def logistic_lone(
    x: np.ndarray, tau: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """g, dg/dx and dg/dtau of each ``x`` (lone terms): from a cubic Hermite table over the
    range of ``x`` where it has fewer points than there are terms, else directly."""
    n = x.size
    if n == 0:
        return np.empty(0), np.empty(0), np.empty(0)
    lo_x = x.min()
    hi_x = x.max()
    g0 = math.floor(lo_x / GRID)
    if not np.isfinite(lo_x) or not np.isfinite(hi_x):
        return logistic_lone_direct(x, tau)
    npts = int(math.ceil(hi_x / GRID) - g0) + 2
    if 4 * npts >= n:
        return logistic_lone_direct(x, tau)
    lam, lw, us, a1, one, da, dc = _lone_scratch()
    z, p, ez = _gh_nodes(tau)
    tg = np.empty(npts)
    tx = np.empty(npts)
    tt = np.empty(npts)
    txt = np.empty(npts)
    x0 = g0 * GRID
    for k in range(npts):
        tg[k], tx[k], tt[k], txt[k] = _lone_point(
            x0 + k * GRID, tau, z, p, ez, lam, lw, us, a1, one, da, dc
        )
    g = np.empty(n)
    gx = np.empty(n)
    gt = np.empty(n)
    h = GRID
    for i in range(n):
        r = (x[i] - x0) / h
        k = min(max(math.floor(r), 0), npts - 2)
        t = r - k
        t2 = t * t
        t3 = t2 * t
        h00 = 2.0 * t3 - 3.0 * t2 + 1.0
        h10 = t3 - 2.0 * t2 + t
        h01 = -2.0 * t3 + 3.0 * t2
        h11 = t3 - t2
        g[i] = h00 * tg[k] + h10 * h * tx[k] + h01 * tg[k + 1] + h11 * h * tx[k + 1]
        gt[i] = h00 * tt[k] + h10 * h * txt[k] + h01 * tt[k + 1] + h11 * h * txt[k + 1]
        d00 = 6.0 * t2 - 6.0 * t
        d10 = 3.0 * t2 - 4.0 * t + 1.0
        d11 = 3.0 * t2 - 2.0 * t
        gx[i] = (d00 * (tg[k] - tg[k + 1])) / h + d10 * tx[k] + d11 * tx[k + 1]
    return g, gx, gt


@numba.njit(cache=True)
def logit_cells_loglik(
    lp_pat: np.ndarray,
    b: float,
    tau: float,
    cell_pat: np.ndarray,
    cell_off: np.ndarray,
    cell_sign: np.ndarray,
    cell_count: np.ndarray,
    term_pat: np.ndarray,
    term_off: np.ndarray,
    term_sign: np.ndarray,
    term_w: np.ndarray,
    start: np.ndarray,
) -> tuple[float, np.ndarray, float, float]:  # pragma: no cover - compiled
    """The integrated log-likelihood of a logit model's lone cells and case terms
    (:mod:`.logit_cells`) and its gradient, in one pass. A cell's or term's logit is
    ``lp_pat[pattern] + b * offset``; lone cells count ``count`` times; each case's terms
    (``start``) are integrated together. Returns (total, d/d lp_pat, d/d b, d/d tau)."""
    d_lp = np.zeros(lp_pat.size)
    d_b = 0.0
    d_tau = 0.0
    total = 0.0
    n_c = cell_pat.size
    if n_c:
        x = np.empty(n_c)
        for i in range(n_c):
            x[i] = cell_sign[i] * (lp_pat[cell_pat[i]] + b * cell_off[i])
        g, gx, gt = logistic_lone(x, tau)
        for i in range(n_c):
            n = cell_count[i]
            total += n * g[i]
            dx = n * gx[i] * cell_sign[i]
            d_lp[cell_pat[i]] += dx
            d_b += dx * cell_off[i]
            d_tau += n * gt[i]
    n_t = term_pat.size
    if n_t:
        a = np.empty(n_t)
        for j in range(n_t):
            a[j] = term_sign[j] * (lp_pat[term_pat[j]] + b * term_off[j])
        ll, da, dt = logistic_cases(a, term_sign, term_w, start, tau)
        for k in range(ll.size):
            total += ll[k]
            d_tau += dt[k]
        for j in range(n_t):
            dx = da[j] * term_sign[j]
            d_lp[term_pat[j]] += dx
            d_b += dx * term_off[j]
    return total, d_lp, d_b, d_tau
