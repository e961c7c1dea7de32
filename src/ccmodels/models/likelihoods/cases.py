"""The case integrals of the logit models, one compiled pass per gradient:
a fast path for well-behaved logistic cases, Gauss-Hermite in the prior's scale for small cases
at a narrow prior, the adaptive rule of :mod:`.kernels` otherwise (see its docstring for the
rule and its accuracy)."""

from __future__ import annotations

import math

import numba
import numpy as np

from ccmodels.models.likelihoods.kernels import (
    _HALF_LOG_2PI,
    _LW6,
    _LW8,
    _LW16,
    _MAX_NEWTON,
    _T6,
    _T8,
    _T16,
    NARROW,
    SPREAD,
    WIDE,
    _case,
    _safe_step,
)

#: Largest |exponent| the logistic fast path lets a term reach (else the case goes the slow
#: way): a factor of a product of sigmoids is then at least exp(-30) = 9e-14, so a product of
#: :data:`_BLOCK` factors cannot underflow before it is folded into a log.
_FAST_LIMIT = 30.0
_BLOCK = 16

__all__ = ["SMALL_TERMS", "logistic_cases"]


@numba.njit(cache=True)
def _eval_points(
    v: float,
    pos: np.ndarray,
    w: np.ndarray,
    ea: np.ndarray,
    j0: int,
    j1: int,
    pts: np.ndarray,
    k_pts: int,
    e0: np.ndarray,
    e1: np.ndarray,
    prod: np.ndarray,
    logacc: np.ndarray,
    lam: np.ndarray,
    f: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """The log-integrand at ``pts[:k_pts]`` (into ``f``) and each term's slope
    ``sigmoid(-(a + c u))`` there (into ``lam[term, point]``), for logistic terms with
    ``c = ±1`` and ``m = 0``. The points are the inner loop: for a term, its factor at every
    point is a multiply and a division (``exp(-(a + c u)) = exp(-a) exp(-c u)``), independent
    across points (so the compiler vectorises them), and the products of factors are folded
    into logs every :data:`_BLOCK` terms."""
    for k in range(k_pts):
        e0[k] = math.exp(-pts[k])
        e1[k] = 1.0 / e0[k]
        prod[k] = 1.0
        logacc[k] = 0.0
    count = 0
    for jj in range(j1 - j0):
        j = j0 + jj
        e = ea[j]
        ee = e0 if pos[j] == 0 else e1
        row = lam[jj]
        if w[j] == 1.0:
            for k in range(k_pts):
                x = e * ee[k]
                r = 1.0 / (1.0 + x)
                row[k] = x * r
                prod[k] *= r
        else:
            for k in range(k_pts):
                x = e * ee[k]
                r = 1.0 / (1.0 + x)
                row[k] = x * r
                logacc[k] += w[j] * math.log(r)
        count += 1
        if count == _BLOCK:
            for k in range(k_pts):
                logacc[k] += math.log(prod[k])
                prod[k] = 1.0
            count = 0
    for k in range(k_pts):
        f[k] = -0.5 * pts[k] * pts[k] / v + logacc[k] + math.log(prod[k])


@numba.njit(cache=True)
def _logistic_case_fast(
    v: float,
    a: np.ndarray,
    pos: np.ndarray,
    w: np.ndarray,
    ea: np.ndarray,
    j0: int,
    j1: int,
    tq: np.ndarray,
    lwq: np.ndarray,
    lam: np.ndarray,
    scratch: np.ndarray,
    da: np.ndarray,
) -> tuple[bool, float, float]:  # pragma: no cover - compiled
    """:func:`_case` for logistic terms with ``c = ±1`` (``pos``: 0 where ``c = 1``, 1 where
    ``c = -1``) and ``m = 0``, without a log or an exp per term and point
    (:func:`_eval_points`). ``lam`` is (terms, 2 * nodes); ``scratch`` (7, 2 * nodes).
    Returns (False, ...) when a term's exponent could leave :data:`_FAST_LIMIT` (the caller
    then uses ``_case``)."""
    nq = tq.size
    n = j1 - j0
    bound = 0.0
    for j in range(j0, j1):
        bound = max(bound, abs(a[j]))
    if bound > _FAST_LIMIT:
        return False, 0.0, 0.0
    pts, e0, e1, prod = scratch[0], scratch[1], scratch[2], scratch[3]
    logacc, f, pi = scratch[4], scratch[5], scratch[6]
    u = 0.0
    lo, hi = -np.inf, np.inf
    dx = dx_old = np.inf
    curv = 1.0 / v
    for _ in range(_MAX_NEWTON):
        if abs(u) + bound > _FAST_LIMIT:
            return False, 0.0, 0.0
        em = math.exp(-u)
        ep = 1.0 / em
        g = -u / v
        curv = 1.0 / v
        for jj in range(n):
            j = j0 + jj
            x = ea[j] * (em if pos[j] == 0 else ep)
            r = 1.0 / (1.0 + x)
            sl = w[j] * x * r
            g += sl if pos[j] == 0 else -sl
            curv += sl * r
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
    # the mode and one point either side: a scale per side from the fall there
    pts[0] = u
    pts[1] = u - SPREAD * s0
    pts[2] = u + SPREAD * s0
    if max(abs(pts[1]), abs(pts[2])) + bound > _FAST_LIMIT:
        return False, 0.0, 0.0
    _eval_points(v, pos, w, ea, j0, j1, pts, 3, e0, e1, prod, logacc, lam, f)
    s_left = SPREAD * s0 / math.sqrt(2.0 * max(f[0] - f[1], 1e-6))
    s_right = SPREAD * s0 / math.sqrt(2.0 * max(f[0] - f[2], 1e-6))
    if abs(u) + max(s_left, s_right) * tq[-1] + bound > _FAST_LIMIT:
        return False, 0.0, 0.0
    for q in range(nq):
        pts[q] = u - s_left * tq[q]
        pts[nq + q] = u + s_right * tq[q]
    _eval_points(v, pos, w, ea, j0, j1, pts, 2 * nq, e0, e1, prod, logacc, lam, f)
    ll_left, ll_right = math.log(s_left), math.log(s_right)
    top = -np.inf
    for i in range(2 * nq):
        f[i] += lwq[i % nq] + (ll_left if i < nq else ll_right)
        top = max(top, f[i])
    tot = 0.0
    for i in range(2 * nq):
        pi[i] = math.exp(f[i] - top)
        tot += pi[i]
    dv = 0.0
    for i in range(2 * nq):
        pi[i] /= tot
        dv += pi[i] * pts[i] * pts[i]
    for jj in range(n):
        row = lam[jj]
        sa = 0.0
        for i in range(2 * nq):
            sa += pi[i] * row[i]
        da[j0 + jj] = w[j0 + jj] * sa
    ll = top + math.log(tot) - _HALF_LOG_2PI - 0.5 * math.log(v)
    return True, ll, 0.5 * dv / (v * v) - 0.5 / v


#: Small cases at a narrow prior (at most :data:`SMALL_TERMS` terms at ``tau <= NARROW``, or
#: two at ``tau <= 1``) go by Gauss-Hermite in the prior's scale: ``prod_j sigmoid(a_j + c_j
#: tau z)`` is entire in ``z`` and such a case is weakly informed, so 16 (24) nodes give it
#: within 1e-9 nats (measured against 120 nodes over 300 random cases per size and scale),
#: with no mode to find and ``exp(-tau z)`` shared by every case.
SMALL_TERMS = 4
_GS_X, _GS_W = np.polynomial.hermite.hermgauss(16)
_GS_Z = np.sqrt(2.0) * _GS_X
_GS_P = _GS_W / np.sqrt(np.pi)
_GL24_X, _GL24_W = np.polynomial.hermite.hermgauss(24)
_GP_Z = np.sqrt(2.0) * _GL24_X
_GP_P = _GL24_W / np.sqrt(np.pi)


@numba.njit(cache=True)
def _small_case(
    tau: float,
    pos: np.ndarray,
    w: np.ndarray,
    ea: np.ndarray,
    j0: int,
    j1: int,
    z: np.ndarray,
    p: np.ndarray,
    e0: np.ndarray,
    e1: np.ndarray,
    lam: np.ndarray,
    prods: np.ndarray,
    da: np.ndarray,
) -> tuple[float, float]:  # pragma: no cover - compiled
    """A small case by the prior-scale rule (nodes ``z``, weights ``p``, ``e0 = exp(-tau z)``,
    ``e1 = 1 / e0``): returns (L, dL/dtau) and writes dL/da."""
    nq = z.size
    n = j1 - j0
    for q in range(nq):
        prods[q] = 1.0
    for jj in range(n):
        j = j0 + jj
        e = ea[j]
        ee = e0 if pos[j] == 0 else e1
        row = lam[jj]
        for q in range(nq):
            x = e * ee[q]
            r = 1.0 / (1.0 + x)
            row[q] = x * r
            prods[q] *= r if w[j] == 1.0 else r ** w[j]
    total = 0.0
    for q in range(nq):
        prods[q] *= p[q]
        total += prods[q]
    dtau = 0.0
    for jj in range(n):
        j = j0 + jj
        row = lam[jj]
        acc = 0.0
        accz = 0.0
        for q in range(nq):
            t = prods[q] * row[q]
            acc += t
            accz += t * z[q]
        da[j] = w[j] * acc / total
        dtau += (w[j] if pos[j] == 0 else -w[j]) * accz / total
    return math.log(total), dtau


@numba.njit(cache=True)
def _rule(sd: float) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    if sd <= NARROW:
        return _T6, _LW6
    if sd <= WIDE:
        return _T8, _LW8
    return _T16, _LW16


@numba.njit(cache=True)
def _max_terms(start: np.ndarray) -> int:  # pragma: no cover - compiled
    out = 1
    for k in range(start.size - 1):
        out = max(out, start[k + 1] - start[k])
    return out


@numba.njit(cache=True)
def logistic_cases(
    a: np.ndarray, c: np.ndarray, w: np.ndarray, start: np.ndarray, tau: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """``L_k`` with ``F`` logistic, ``m = 0``, ``v = tau²``, terms of case ``k`` at
    ``start[k]:start[k + 1]``; returns (L (cases), dL/da (terms), dL/dtau (cases))."""
    n_cases = start.size - 1
    v = tau * tau
    tq, lwq = _rule(tau)
    m = _max_terms(start)
    lam = np.empty((m, 2 * tq.size))
    lw = np.empty(2 * tq.size)
    us = np.empty(2 * tq.size)
    ll = np.empty(n_cases)
    dtau = np.empty(n_cases)
    da = np.zeros(a.size)
    dc = np.zeros(a.size)
    ea = np.empty(a.size)
    pos = np.empty(a.size, np.int64)
    unit = True
    for j in range(a.size):
        ea[j] = math.exp(-min(max(a[j], -_FAST_LIMIT), _FAST_LIMIT))
        pos[j] = 0 if c[j] > 0.0 else 1
        unit = unit and abs(c[j]) == 1.0
    scratch = np.empty((7, 2 * tq.size))
    # the prior-scale rule for small cases: its nodes (and their exponentials) are shared
    zs, ps = (_GS_Z, _GS_P) if tau <= NARROW else (_GP_Z, _GP_P)
    es0 = np.exp(-tau * zs)
    es1 = 1.0 / es0
    lam_s = np.empty((SMALL_TERMS, zs.size))
    prods = np.empty(zs.size)
    small_max = SMALL_TERMS if tau <= NARROW else (2 if tau <= 1.0 else 0)
    for k in range(n_cases):
        ok = False
        j0, j1 = start[k], start[k + 1]
        if unit and j1 - j0 <= small_max:
            bound = 0.0
            for j in range(j0, j1):
                bound = max(bound, abs(a[j]))
            if bound + tau * zs[-1] <= _FAST_LIMIT:
                lk, dt = _small_case(tau, pos, w, ea, j0, j1, zs, ps, es0, es1, lam_s, prods, da)
                ll[k] = lk
                dtau[k] = dt
                continue
        if unit:
            ok, lk, dv = _logistic_case_fast(
                v, a, pos, w, ea, start[k], start[k + 1], tq, lwq, lam, scratch, da
            )
        if not ok:
            lk, _dm, dv = _case(
                0, 0.0, v, a, c, w, start[k], start[k + 1], tq, lwq, lam, lw, us, da, dc
            )
        ll[k] = lk
        dtau[k] = 2.0 * tau * dv
    return ll, da, dtau
