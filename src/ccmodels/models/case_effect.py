"""Case effects shared by co-defendants: the rows' case codes, and means over a fresh case
effect (for predictions of new cases).

For offender i of case k a model's linear predictor gains ``u_k ~ Normal(0, sigma_case)``.
Fitting integrates ``u_k`` out of every case (:mod:`ccmodels.models.likelihoods`); a new case
(prediction) gets a fresh ``u``, whose expectation :func:`marginal_mean` takes by Gauss-Hermite
quadrature (:data:`GH_NODES` nodes: for a logit outcome within 3e-11 at ``sigma_case`` 1, 7e-8
at 1.5 and 4e-6 at 2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["GH_NODES", "case_design", "gh_rule", "marginal_mean"]

#: Gauss-Hermite nodes for the case effects of lone offenders and for predicted means.
GH_NODES = 24


def gh_rule(n: int = GH_NODES) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and log weights for ``E[f(Z)]``, ``Z ~ Normal(0, 1)``."""
    x, w = np.polynomial.hermite.hermgauss(n)
    return np.sqrt(2.0) * x, np.log(w / np.sqrt(np.pi))


def case_design(rows: pd.DataFrame) -> dict[str, Any]:
    """Case codes of the modelled rows: ``case_all`` (every row, for simulation) and
    ``alone`` (the row is its case's only modelled offender). Rows without a ``case_id``
    column are each a case of their own."""
    if "case_id" in rows:
        codes, ids = pd.factorize(rows["case_id"].astype(str), sort=False)
    else:
        codes, ids = np.arange(len(rows)), np.arange(len(rows)).astype(str)
    size = np.bincount(codes, minlength=len(ids))
    return {"case_all": codes.astype(np.int64), "alone": size[codes] == 1}


def marginal_mean(
    f: Callable[[np.ndarray], np.ndarray], sigma: np.ndarray, nodes: int = GH_NODES
) -> np.ndarray:
    """``E[f(u)]`` over a fresh case effect ``u ~ Normal(0, sigma)`` (NumPy): ``f`` maps a
    shift of shape (samples, 1) to values (samples, rows); ``sigma`` has shape (samples,)."""
    x, logw = gh_rule(nodes)
    s = np.asarray(sigma, dtype=float).reshape(-1, 1)
    out: np.ndarray | None = None
    for xi, wi in zip(x, np.exp(logw), strict=True):
        v = wi * f(s * xi)
        out = v if out is None else out + v
    assert out is not None
    return out
