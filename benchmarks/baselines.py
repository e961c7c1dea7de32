"""The probation and disposition likelihoods as the package had them before the case effects
were integrated out of every case (``git show 139c2fc:src/ccmodels/models/probation.py``,
``.../disposition.py`` and ``.../case_effect.py``), for benchmarks against the current models.

The case effect ``u_k ~ Normal(0, sigma_case)`` shared by the modelled offenders of case k is
treated in two ways, by the number of modelled offenders in the case:

- a case with one modelled offender: ``u_k`` is integrated out of its single outcome by
  24-node Gauss-Hermite quadrature (:func:`integrated_logp`, a weighted sum of probabilities);
- a case with several: ``u_k = sigma_case * z_k`` with ``z_k ~ Normal(0, 1)`` sampled
  (non-centred), one latent ``prefix_case_z`` per such case (dim ``case``).

The linear predictor is computed on every row (``Model.predictor``), not once per covariate
pattern; the disposition model integrates each distinct lone row once, as it did. The sampler
defaults are the old ones (probation: 2,000 draws, target_accept 0.95; disposition:
target_accept 0.95). Only the likelihood differs from the current classes: the data go through
the model's data pack (:mod:`ccmodels.models.datapack`) as every current model's do, and
predictions, replicates, LOO and summaries are inherited (they use the posterior's population
parameters and the case effects' conditional draws of the current code; ``prefix_case_z`` is
left unused there).

    from baselines import SampledProbation, SampledDisposition
    SampledProbation().fit(offenders)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from ccmodels.models import DispositionModel, ProbationModel
from ccmodels.models.case_effect import GH_NODES, gh_rule
from ccmodels.models.design import Design

__all__ = [
    "SampledDisposition",
    "SampledProbation",
    "category_logp",
    "distinct_lone_rows",
    "integrated_logp",
    "shared_cases",
]

_NEVER = -1e4  # a logit whose exponential is exactly 0 in float64 (as disposition.py)


def shared_cases(rows: pd.DataFrame) -> dict[str, Any]:
    """``shared`` (each row's index among the cases with several modelled offenders, -1 when
    alone) and the ``case`` coords of those cases (the old ``case_design``'s extra outputs)."""
    if "case_id" in rows:
        codes, ids = pd.factorize(rows["case_id"].astype(str), sort=False)
    else:
        codes, ids = np.arange(len(rows)), np.arange(len(rows)).astype(str)
    size = np.bincount(codes, minlength=len(ids))
    multi = np.flatnonzero(size > 1)
    pos = np.full(len(ids), -1, dtype=np.int64)
    pos[multi] = np.arange(len(multi))
    return {"shared": pos[codes], "_coords": {"case": [str(ids[i]) for i in multi]}}


def case_shift(model: Any, sigma: Any, extra: dict[str, Any]) -> Any:
    """``u_k`` of each row in a shared case (0 for lone rows), creating ``prefix_case_z``."""
    shared = extra["shared"]
    if not np.any(shared >= 0):
        return pt.zeros(len(shared))
    z = pm.Normal(f"{model.prefix}_case_z", 0.0, 1.0, dims="case")
    idx = model.pack(f"{model.prefix}_shared", shared)
    return pt.where(idx >= 0, sigma * z[pt.maximum(idx, 0)], 0.0)


def integrated_logp(
    prob_at: Callable[[Any], Any], sigma: Any, alone: Any, nodes: int = GH_NODES
) -> Any:
    """Per-row log-likelihood with the lone rows' case effects integrated out.

    ``prob_at(shift)`` gives the probability (rows, Q) of each row's observed outcome with
    ``shift`` (rows, Q) added to its linear predictor(s). Lone rows (``alone`` > 0) are
    evaluated at ``sigma * node`` and averaged with the Gauss-Hermite weights; the other rows
    at shift 0 in every column, which the weights (summing to 1) leave as they are."""
    x, logw = gh_rule(nodes)
    scale = pt.where(alone > 0, sigma, 0.0)
    shift = scale[:, None] * x[None, :]
    return pt.log(pt.dot(prob_at(shift), np.exp(logw)))


def distinct_lone_rows(
    x: np.ndarray, y: np.ndarray, alone: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One representative of each distinct (covariate row, outcome) among the lone rows:
    ``rep`` (row indices) and ``inv`` (each row's position in ``rep``; 0 for rows in shared
    cases)."""
    idx = np.flatnonzero(alone)
    inv = np.zeros(len(y), dtype=np.int64)
    if idx.size == 0:
        return idx.astype(np.int64), inv
    key = np.column_stack([x[idx], y[idx]])
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inv[idx] = np.ravel(inverse)
    return idx[first].astype(np.int64), inv


def category_logp(
    value: Any, l_ex: Any, l_fo: Any, tau: Any, alone: Any, rep: Any, inv: Any, n_rep: int
) -> Any:
    """Per-row log P(observed category) of the disposition model (the old ``category_logp``):
    the integral over a lone row's ``u`` is that of a binary logit at ``c = log(e^a + e^b)``,
    once per distinct lone row (``rep``, ``inv`` as packed tensors, ``n_rep`` of them); rows
    in shared cases (their effect already in the logits) are evaluated at ``u = 0``."""
    c = pt.logaddexp(l_ex, l_fo)
    log_share = pt.switch(pt.eq(value, 1), l_ex - c, pt.switch(pt.eq(value, 2), l_fo - c, 0.0))
    sign = pt.switch(pt.eq(value, 0), -1.0, 1.0)
    at_zero = -pt.softplus(-sign * c)  # log sigmoid(sign * c)
    if n_rep == 0:
        return log_share + at_zero
    s_r, c_r = sign[rep][:, None], c[rep][:, None]
    integral = integrated_logp(lambda shift: pt.sigmoid(s_r * (c_r + shift)), tau, pt.ones(n_rep))
    return log_share + pt.where(alone > 0, integral[inv], at_zero)


class SampledProbation(ProbationModel):
    """ProbationModel with the old likelihood: a sampled ``z`` per case with several eligible
    offenders, 24-node Gauss-Hermite for lone offenders; 2,000 draws, target_accept 0.95."""

    sampler_defaults: ClassVar[dict[str, Any]] = {"draws": 2000, "target_accept": 0.95}

    def extra_design(self, rows: pd.DataFrame, coords: dict[str, list[Any]]) -> dict[str, Any]:
        return super().extra_design(rows, coords) | shared_cases(rows)

    def _add_likelihood(self, d: Design) -> None:
        eta = self.predictor(self.prefix, d)
        b = self.priors["log_term"].create_variable("prob_log_term")
        tau = self.priors["sigma_case"].create_variable("prob_sigma_case")
        x = self.pack("prob_log_term_x", d.extra["log_term"])
        logit = eta + b * x + case_shift(self, tau, d.extra)
        alone = self.pack("prob_alone", d.extra["alone"].astype(float))
        sign = 2.0 * self.pack("prob_y", d.extra["y"].astype(float)) - 1.0

        def at(shift: Any) -> Any:  # P(observed outcome)
            return pt.sigmoid(sign[:, None] * (logit[:, None] + shift))

        pm.Potential("probation_loglik", integrated_logp(at, tau, alone).sum())


class SampledDisposition(DispositionModel):
    """DispositionModel with the old likelihood: a sampled ``z`` per case with several
    modelled offenders, 24-node Gauss-Hermite once per distinct lone row; target_accept
    0.95."""

    sampler_defaults: ClassVar[dict[str, Any]] = {"target_accept": 0.95}

    def extra_design(self, rows: pd.DataFrame, coords: dict[str, list[Any]]) -> dict[str, Any]:
        return super().extra_design(rows, coords) | shared_cases(rows)

    def _add_likelihood(self, d: Design) -> None:
        tau = self.priors["sigma_case"].create_variable("disp_sigma_case")
        u = case_shift(self, tau, d.extra)
        l_ex = self.predictor("disp_exempt", d) + u
        ok_np = d.extra["fine_only_ok"]
        ok = self.pack("disp_fine_only_ok", ok_np.astype(float))
        l_fo = pt.where(ok > 0, self.predictor("disp_fine_only", d) + u, _NEVER)
        alone_np = d.extra["alone"]
        # rows alike in every input of the likelihood (the fine-only rule too: it follows the
        # article even when the model has no article effect)
        inputs = np.column_stack([d.x.matrix(d.coords), ok_np])
        rep, inv = distinct_lone_rows(inputs, d.extra["y"], alone_np)
        value = self.pack("disp_y", d.extra["y"])
        alone = self.pack("disp_alone", alone_np.astype(float))
        rep_t = self.pack("disp_lone_rep", rep) if rep.size else None
        inv_t = self.pack("disp_lone_inv", inv) if rep.size else None
        ll = category_logp(value, l_ex, l_fo, tau, alone, rep_t, inv_t, int(rep.size))
        pm.Potential("disposition_loglik", ll.sum())
