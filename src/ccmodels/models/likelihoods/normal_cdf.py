"""``log Phi`` for the compiled kernels: a table interpolated by cubic Hermite polynomials.

The censored-normal cases (:mod:`.probit`) evaluate ``log Phi`` and its slope some twenty
times a term in every gradient; from the table they cost a sixth of ``erfc``, ``log`` and
``exp``. :func:`.kernels._logf` uses it inside ``[LPHI_LO, LPHI_HI)`` and closed forms outside.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from scipy.special import log_ndtr

__all__ = ["LPHI_H", "LPHI_HI", "LPHI_LO"]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _lphi_table(lo: float, hi: float, h: float) -> np.ndarray:
    """``log Phi``, its slope ``lambda`` (the inverse Mills ratio) and the slope's derivative
    at ``lo, lo + h, ...`` up to ``hi``: the nodes of :func:`_lphi`."""
    z = lo + h * np.arange(round((hi - lo) / h) + 2)
    f = log_ndtr(z)
    lam = np.exp(-0.5 * z * z - _HALF_LOG_2PI - f)
    return np.ascontiguousarray(np.stack([f, lam, -lam * (z + lam)], axis=1))


#: ``log Phi(z)`` for ``LPHI_LO <= z < LPHI_HI`` is interpolated in a table of spacing
#: ``LPHI_H`` (cubic Hermite on the value and its slope, and on the slope and its derivative):
#: within 3e-11 of ``scipy.special.log_ndtr`` in the value and 1e-10 in the slope, at a sixth
#: of the cost of ``erfc``, ``log`` and ``exp`` (the censored-normal cases evaluate it some
#: twenty times a term per gradient). Outside, the closed forms.
LPHI_LO, LPHI_HI, LPHI_H = -30.0, 9.0, 1.0 / 64.0
_LPHI = _lphi_table(LPHI_LO, LPHI_HI, LPHI_H)
_LPHI_INV = 1.0 / LPHI_H


@numba.njit(cache=True, inline="always")
def _lphi(z: float) -> tuple[float, float]:  # pragma: no cover - compiled
    """``log Phi(z)`` and its slope, from the table (``LPHI_LO <= z < LPHI_HI``)."""
    x = (z - LPHI_LO) * _LPHI_INV
    i = int(x)
    t = x - i
    t2 = t * t
    t3 = t2 * t
    h00 = 2.0 * t3 - 3.0 * t2 + 1.0
    h10 = (t3 - 2.0 * t2 + t) * LPHI_H
    h01 = 3.0 * t2 - 2.0 * t3
    h11 = (t3 - t2) * LPHI_H
    f = h00 * _LPHI[i, 0] + h10 * _LPHI[i, 1] + h01 * _LPHI[i + 1, 0] + h11 * _LPHI[i + 1, 1]
    lam = h00 * _LPHI[i, 1] + h10 * _LPHI[i, 2] + h01 * _LPHI[i + 1, 1] + h11 * _LPHI[i + 1, 2]
    return f, lam
