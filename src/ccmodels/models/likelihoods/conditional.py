"""Conditional draws of case effects from the integrals of :mod:`.kernels`: given the linear
predictor, each case's effect is drawn from its conditional posterior (lone offenders by their
table, cases by inverting their distribution on a grid around the mode); used for prediction
and the report, after sampling, without a refit."""

from __future__ import annotations

import math

import numba
import numpy as np

from ccmodels.models.likelihoods.cases import _FAST_LIMIT, _eval_points, _max_terms
from ccmodels.models.likelihoods.kernels import _logf, _place

#: Points of the grid on which :func:`sample_logistic_cases` inverts a case's distribution.
_SAMPLE_POINTS = 65
#: Reach of that grid on either side of the mode, in that side's scale.
_SAMPLE_REACH = 7.0

__all__ = ["sample_cases", "sample_logistic_cases", "sample_lone"]


@numba.njit(cache=True)
def sample_lone(
    x: np.ndarray, tau: np.ndarray, rng: np.random.Generator
) -> np.ndarray:  # pragma: no cover - compiled
    """Draws (samples, rows) of lone offenders' case effects from their conditional
    distributions ``Normal(u; 0, tau_s²) sigmoid(x_sr + u)`` (``x``: the outcome's signed
    logit): exact rejection sampling from the prior, accepting with probability
    ``sigmoid(x + u)`` (the expected number of proposals is 1 / P(outcome))."""
    n_s, n = x.shape
    out = np.empty((n_s, n))
    for s in range(n_s):
        for i in range(n):
            for _ in range(1_000_000):
                u = tau[s] * rng.standard_normal()
                if rng.random() * (1.0 + math.exp(-(x[s, i] + u))) <= 1.0:
                    break
            out[s, i] = u
    return out


@numba.njit(cache=True)
def sample_cases(
    a: np.ndarray, c: np.ndarray, w: np.ndarray, start: np.ndarray, tau: np.ndarray, q: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled
    """:func:`sample_logistic_cases` for each sample ``s`` (``a``: (samples, terms), ``tau``:
    (samples,), ``q``: (samples, cases))."""
    out = np.empty(q.shape)
    for s in range(a.shape[0]):
        out[s] = sample_logistic_cases(a[s], c, w, start, tau[s], q[s])
    return out


@numba.njit(cache=True)
def sample_logistic_cases(
    a: np.ndarray, c: np.ndarray, w: np.ndarray, start: np.ndarray, tau: float, q: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled
    """One draw of each case's effect from its conditional distribution
    ``Normal(u; 0, tau²) prod_j sigmoid(a_j + c_j u) ** w_j`` (normalised), at the quantile
    ``q[k]``: the distribution function on a grid of :data:`_SAMPLE_POINTS` points over
    :data:`_SAMPLE_REACH` side scales either side of the mode (trapezoids), inverted by linear
    interpolation."""
    n_cases = start.size - 1
    out = np.empty(n_cases)
    v = tau * tau
    n_pts = _SAMPLE_POINTS
    half = n_pts // 2
    xs = np.empty(n_pts)
    lh = np.empty(n_pts)
    cdf = np.empty(n_pts)
    e0, e1, prod, logacc = np.empty(n_pts), np.empty(n_pts), np.empty(n_pts), np.empty(n_pts)
    lam = np.empty((_max_terms(start), n_pts))
    ea = np.empty(a.size)
    pos = np.empty(a.size, np.int64)
    unit = True
    for j in range(a.size):
        ea[j] = math.exp(-min(max(a[j], -_FAST_LIMIT), _FAST_LIMIT))
        pos[j] = 0 if c[j] > 0.0 else 1
        unit = unit and abs(c[j]) == 1.0
    for k in range(n_cases):
        j0, j1 = start[k], start[k + 1]
        u, s_left, s_right = _place(0, 0.0, v, a, c, w, j0, j1)
        reach = 0.0
        for i in range(n_pts):
            if i < half:
                xs[i] = u - s_left * _SAMPLE_REACH * (half - i) / half
            else:
                xs[i] = u + s_right * _SAMPLE_REACH * (i - half) / half
            reach = max(reach, abs(xs[i]))
        bound = 0.0
        for j in range(j0, j1):
            bound = max(bound, abs(a[j]))
        if unit and bound + reach <= _FAST_LIMIT:
            _eval_points(v, pos, w, ea, j0, j1, xs, n_pts, e0, e1, prod, logacc, lam, lh)
        else:
            for i in range(n_pts):
                f = -0.5 * xs[i] * xs[i] / v
                for j in range(j0, j1):
                    f += w[j] * _logf(0, a[j] + c[j] * xs[i])[0]
                lh[i] = f
        top = lh.max()
        cdf[0] = 0.0
        for i in range(1, n_pts):
            cdf[i] = cdf[i - 1] + 0.5 * (math.exp(lh[i] - top) + math.exp(lh[i - 1] - top)) * (
                xs[i] - xs[i - 1]
            )
        target = q[k] * cdf[-1]
        i = 1
        while i < n_pts - 1 and cdf[i] < target:
            i += 1
        width = cdf[i] - cdf[i - 1]
        frac = (target - cdf[i - 1]) / width if width > 0.0 else 0.5
        out[k] = xs[i - 1] + frac * (xs[i] - xs[i - 1])
    return out
