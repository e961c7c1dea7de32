"""Case effects shared by co-defendants: the rows' case codes and a Gauss-Hermite rule.

For offender i of case k a model's linear predictor gains ``u_k ~ Normal(0, sigma_case)``.
Fitting integrates ``u_k`` out of every case (:mod:`ccmodels.models.likelihoods`); means over a
fresh ``u`` (predictions of new cases) are taken there too (``logit_cells.mean_sigmoid``) or in
closed form (the normal models).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["GH_NODES", "case_design", "gh_rule"]

#: Gauss-Hermite nodes of :func:`gh_rule` by default.
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
