"""Half-range Gauss-Hermite rules: nodes and weights for ``∫_0^∞ exp(-t²/2) f(t) dt``.

A case's integrand over its effect ``u`` is log-concave but often lopsided: a prior tail on one
side, a steep wall on the other (co-defendants all granted probation, say, at a large case
scale). One Gauss-Hermite rule at the mode's curvature resolves such a shape badly (errors of
1e-3 nats at ``sigma_case`` 3). The split rule of :mod:`.kernels` integrates each side of the
mode with its own scale, by the rule here: Gaussian quadrature for the weight ``exp(-t²/2)`` on
the half line, exact for polynomials of degree ``2N - 1``. Its recurrence coefficients come from
the discretised Stieltjes procedure (Gautschi 2004, §2.2) on 4,000 Gauss-Legendre points over
[0, 14] (the weight is below 1e-42 beyond), stable in double precision for the sizes used.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy.special import roots_legendre

__all__ = ["half_range_rule"]


@cache
def _legendre() -> tuple[np.ndarray, np.ndarray]:
    """The 4,000 Gauss-Legendre points on [-1, 1] (SciPy's asymptotic formulas: NumPy's
    ``leggauss`` takes seconds at this size)."""
    return roots_legendre(4000)


@cache
def half_range_rule(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``t`` (> 0) and weights ``w`` of the ``n``-point rule for ``exp(-t²/2)`` on
    ``[0, ∞)``: ``sum(w * f(t)) ≈ ∫_0^∞ exp(-t²/2) f(t) dt``.

    Examples
    --------
    >>> t, w = half_range_rule(8)
    >>> bool(abs(w.sum() - np.sqrt(np.pi / 2)) < 1e-10)
    True
    """
    if not 1 <= n <= 40:
        raise ValueError(f"rule size must be in 1..40, got {n}")
    x, wx = _legendre()
    top = 14.0
    t = 0.5 * top * (x + 1.0)
    wt = 0.5 * top * wx * np.exp(-0.5 * t * t)
    alpha, beta = np.zeros(n), np.zeros(n)
    p_prev, p = np.zeros_like(t), np.ones_like(t)
    norm_prev = 1.0
    for k in range(n):
        norm = float(np.sum(wt * p * p))
        alpha[k] = float(np.sum(wt * t * p * p)) / norm
        beta[k] = norm / norm_prev if k else norm
        p_prev, p = p, (t - alpha[k]) * p - (beta[k] if k else 0.0) * p_prev
        norm_prev = norm
    jacobi = np.diag(alpha) + np.diag(np.sqrt(beta[1:]), 1) + np.diag(np.sqrt(beta[1:]), -1)
    nodes, vecs = np.linalg.eigh(jacobi)
    return nodes, beta[0] * vecs[0] ** 2
