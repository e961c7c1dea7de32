"""The censored terms of the normal models: ``L_k = log ∫ Normal(u; m_k, v_k) prod_j
Phi(a_j + c_j u)^w_j du`` per case, value and gradient in one compiled pass.

The rule follows the case's sharpness (:func:`probit_rule`): the split Gauss-Hermite rule of
:func:`.kernels._case` where it is within 1e-6 nats, two-sided Gauss-Legendre beyond.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ccmodels.models.likelihoods.cases import _max_terms
from ccmodels.models.likelihoods.kernels import (
    _HALF_LOG_2PI,
    _LW6,
    _LW8,
    _LW16,
    _T6,
    _T8,
    _T16,
    _case,
    _logf,
    _place,
)

__all__ = [
    "GL_DROP",
    "GL_NODES",
    "PROBIT_S6",
    "PROBIT_S8",
    "PROBIT_S16",
    "logf_many",
    "probit_cases",
    "probit_rule",
]

#: Sharp cases of censored terms (:func:`probit_cases` for a sharpness beyond
#: :data:`PROBIT_S16`): two-sided Gauss-Legendre with :data:`GL_NODES` nodes a side,
#: out to where the log-integrand has fallen :data:`GL_DROP` nats below its mode. A case of up
#: to 150 terms censored at one bound is then a prior tail cut by a steep wall, which the
#: split Gauss-Hermite rule resolves to 1e-3 nats only; this rule, on smooth monotone pieces
#: either side of the mode, to 1e-6.
GL_DROP = 40.0
GL_NODES = 24
_GL_X, _GL_W = np.polynomial.legendre.leggauss(GL_NODES)
_END_STEPS = 8


@numba.njit(cache=True)
def _end(
    link: int,
    mk: float,
    vk: float,
    a: np.ndarray,
    c: np.ndarray,
    w: np.ndarray,
    j0: int,
    j1: int,
    u: float,
    target: float,
    start: float,
) -> float:  # pragma: no cover - compiled
    """The point beyond ``u`` (on ``start``'s side) where the log-integrand falls to
    ``target``: Newton from ``start`` (the Laplace guess), never crossing the mode."""
    side = 1.0 if start > u else -1.0
    e = start
    for _ in range(_END_STEPS):
        f = -0.5 * (e - mk) ** 2 / vk
        g = -(e - mk) / vk
        for j in range(j0, j1):
            lf, sl, _cv = _logf(link, a[j] + c[j] * e)
            f += w[j] * lf
            g += w[j] * c[j] * sl
        if g == 0.0:
            break
        e_new = e - (f - target) / g
        if side * (e_new - u) <= 0.0:
            break
        e = e_new
    return e


@numba.njit(cache=True)
def _case_gl(
    link: int,
    mk: float,
    vk: float,
    a: np.ndarray,
    c: np.ndarray,
    w: np.ndarray,
    j0: int,
    j1: int,
    lam: np.ndarray,
    lw: np.ndarray,
    us: np.ndarray,
    da: np.ndarray,
    dc: np.ndarray,
) -> tuple[float, float, float]:  # pragma: no cover - compiled
    """:func:`_case` with the two-sided Gauss-Legendre rule (:data:`GL_DROP`)."""
    nq = GL_NODES
    if j1 == j0:
        for i in range(2 * nq):
            lw[i] = 0.0
            us[i] = mk
        lw[0] = 1.0
        return 0.0, 0.0, 0.0
    u, _l, _r = _place(link, mk, vk, a, c, w, j0, j1)
    f0 = -0.5 * (u - mk) ** 2 / vk
    curv = 1.0 / vk
    for j in range(j0, j1):
        lf, _sl, cv = _logf(link, a[j] + c[j] * u)
        f0 += w[j] * lf
        curv += w[j] * c[j] * c[j] * cv
    reach = math.sqrt(2.0 * GL_DROP / curv)
    lo = _end(link, mk, vk, a, c, w, j0, j1, u, f0 - GL_DROP, u - reach)
    hi = _end(link, mk, vk, a, c, w, j0, j1, u, f0 - GL_DROP, u + reach)
    top = -np.inf
    for side in range(2):
        q0, q1 = (lo, u) if side == 0 else (u, hi)
        half = 0.5 * (q1 - q0)
        mid = 0.5 * (q1 + q0)
        lhalf = math.log(half)
        for q in range(nq):
            i = side * nq + q
            uq = mid + half * _GL_X[q]
            fq = -0.5 * (uq - mk) ** 2 / vk
            for j in range(j0, j1):
                lf, sl, _cv = _logf(link, a[j] + c[j] * uq)
                fq += w[j] * lf
                lam[j - j0, i] = sl
            us[i] = uq
            lw[i] = math.log(_GL_W[q]) + lhalf + fq
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


@numba.njit(cache=True)
def logf_many(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """``log Phi`` and its slope at each of ``z``, as the kernels compute them."""
    f = np.empty(z.size)
    lam = np.empty(z.size)
    for i in range(z.size):
        f[i], lam[i], _cv = _logf(1, z[i])
    return f, lam


#: The rule of a censored-normal case (:func:`probit_cases`) follows its sharpness
#: ``s = r n^(1/4)``, with ``r = sqrt(v) max|c_j|`` (the prior's sd against the narrowest
#: term's width) and ``n = sum w_j`` (its terms): the split Gauss-Hermite rule of :func:`_case`
#: with 6 nodes a side up to :data:`PROBIT_S6`, 8 up to :data:`PROBIT_S8`, 16 up to
#: :data:`PROBIT_S16` (and ``r <= 1``), the Gauss-Legendre rule beyond. Measured against the
#: Gauss-Legendre rule over 2 to 500 terms, ``r`` 0.3 to 2, outcomes alike and mixed, terms
#: alike and spread: each within 3e-7 nats on its side of the thresholds (the test
#: ``test_probit_rules_hold_at_their_thresholds`` keeps it so); typical cases of the sentence
#: and fine models (``r`` about 0.6, 2 to 6 terms) take 6 nodes, a quarter of the
#: Gauss-Legendre rule's cost.
PROBIT_S6 = 1.0
PROBIT_S8 = 1.4
PROBIT_S16 = 2.5


@numba.njit(cache=True)
def probit_rule(
    v: float, c: np.ndarray, w: np.ndarray, j0: int, j1: int
) -> int:  # pragma: no cover - compiled
    """Nodes a side of the split Gauss-Hermite rule for a censored-normal case (6, 8 or 16),
    or 0 for the Gauss-Legendre rule (see :data:`PROBIT_S6`)."""
    cmax = 0.0
    n = 0.0
    for j in range(j0, j1):
        cmax = max(cmax, abs(c[j]))
        n += w[j]
    r = math.sqrt(v) * cmax
    s = r * math.sqrt(math.sqrt(max(n, 1.0)))
    if s <= PROBIT_S6:
        return 6
    if s <= PROBIT_S8:
        return 8
    if s <= PROBIT_S16 and r <= 1.0:
        return 16
    return 0


@numba.njit(cache=True)
def probit_cases(
    m: np.ndarray, v: np.ndarray, a: np.ndarray, c: np.ndarray, w: np.ndarray, start: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """``L_k`` with ``F`` the normal CDF and multiplicities ``w``, by the rule
    :func:`probit_rule` picks; returns (L, dL/dm, dL/dv) (cases) and (dL/da, dL/dc) (terms)."""
    n_cases = start.size - 1
    mx = _max_terms(start)
    lam = np.empty((mx, 2 * GL_NODES))
    lw = np.empty(2 * GL_NODES)
    us = np.empty(2 * GL_NODES)
    ll = np.empty(n_cases)
    dm = np.empty(n_cases)
    dv = np.empty(n_cases)
    da = np.zeros(a.size)
    dc = np.zeros(a.size)
    for k in range(n_cases):
        j0, j1 = start[k], start[k + 1]
        nodes = probit_rule(v[k], c, w, j0, j1)
        if nodes == 0:
            ll[k], dm[k], dv[k] = _case_gl(1, m[k], v[k], a, c, w, j0, j1, lam, lw, us, da, dc)
            continue
        if nodes == 6:
            tq, lwq = _T6, _LW6
        elif nodes == 8:
            tq, lwq = _T8, _LW8
        else:
            tq, lwq = _T16, _LW16
        ll[k], dm[k], dv[k] = _case(1, m[k], v[k], a, c, w, j0, j1, tq, lwq, lam, lw, us, da, dc)
    return ll, dm, dv, da, dc
