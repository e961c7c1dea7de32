"""Leave-future-out cross-validation and stacking of yearly count models.

A projection is judged by what happens next, so its models are compared the way they will be
used (Bürkner, Gabry & Vehtari 2020): fit on the first ``L`` years, score the log predictive
density of year ``L + 1``, for every ``L`` from ``min_train`` to the last year but one (exact
refits). The sum over ``L`` is the model's ``elpd_lfo``.

Every window is fitted on the same graph, compiled once: the rows of the years after ``L``
stay in the model without their outcomes (``observed_until`` of the growth models; weight 0
in the likelihood), and year ``L + 1`` is scored from its posterior year effects. The walks'
law over the first ``L + 1`` years is the same as in a fit on them alone; only the intercept's prior is
centred on the walk's mean over all the years rather than over the first ``L``, which its
scale (2 on the log scale) leaves immaterial (on the demo's series the two give elpd_lfo
within 0.05 of each other, -10.07 against -10.10 for the damped trend and -10.17 against
-10.22 for the constant drift).

When no model dominates, :func:`stacking_weights` combines their predictive distributions
(Yao, Vehtari, Simpson & Gelman 2018): the weights on the simplex that maximise the summed log
of the weighted predictive densities of the held-out years. With few held-out years those
weights are mostly 0 or 1; :func:`pseudo_bma_weights` (pseudo-BMA+, the same paper) carries
the uncertainty of the scores into the weights.

Models: :class:`~ccmodels.models.CaseVolumeModel` (rows ``year``, ``cases``) and
:class:`~ccmodels.models.GroupSizeModel` and :class:`~ccmodels.models.ValueChainModel` (an
offender table). The predictive density of a new year is the posterior mean of the joint
density of its rows (the year's count; all of its cases' group sizes or chain flags), the walks continued into the year by :func:`ccmodels.params.extend`
(``log_density`` of the model).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special

from ccmodels.util import expected_warnings, progress_bar

__all__ = [
    "LFO_MODELS",
    "LFOResult",
    "compare_lfo",
    "lfo",
    "pseudo_bma_weights",
    "stacking_weights",
]


@dataclass(frozen=True)
class LFOResult:
    """One model's leave-future-out scores: ``years`` predicted, their log predictive
    densities ``lpd`` and the total ``elpd`` with its standard error ``se``."""

    years: np.ndarray
    lpd: np.ndarray

    @property
    def elpd(self) -> float:
        return float(self.lpd.sum())

    @property
    def se(self) -> float:
        return float(np.sqrt(self.lpd.size * self.lpd.var(ddof=1))) if self.lpd.size > 1 else 0.0


#: the models leave-future-out can score: each has ``log_density(rows, seed)``
LFO_MODELS = ("case_volume", "group_size", "value_chain")


def _lpd_next(m: Any, rows: pd.DataFrame, seed: int) -> float:
    """log p(the new year's rows | data) of a fitted model: the log of the posterior mean of
    their joint density (the year's walk continued by each draw)."""
    lp = m.log_density(rows, seed)
    return float(special.logsumexp(lp) - np.log(lp.size))


def lfo(
    make: Callable[[], Any],
    rows: pd.DataFrame,
    min_train: int = 3,
    seed: int = 0,
    progress: bool | None = None,
    **fit: Any,
) -> LFOResult:
    """Exact 1-step-ahead leave-future-out scores of the model ``make()`` makes, on ``rows``
    with a ``year`` column (case volume: yearly rows ``year``, ``cases``, or an offender
    table; group size and value chains: an offender table): fit on the years before each year from the ``min_train``-th on,
    score that year's rows jointly; ``fit`` goes to each fit (draws, chains, ...)."""
    kind = getattr(make(), "model_type", None)
    if kind not in LFO_MODELS:
        raise ValueError(f"lfo scores {', '.join(LFO_MODELS)} models; make() gives a {kind} model")
    if kind == "case_volume" and not {"year", "cases"} <= set(rows.columns):
        raise ValueError(
            f"lfo needs yearly rows with columns 'year' and 'cases'; got {list(rows.columns)}"
        )
    if "year" not in rows.columns:
        raise ValueError(f"lfo needs a 'year' column; got {list(rows.columns)}")
    years = np.sort(pd.unique(rows["year"].to_numpy(int)))
    n = len(years)
    if isinstance(min_train, bool) or not isinstance(min_train, int) or not 2 <= min_train < n:
        raise ValueError(
            f"min_train must be an integer from 2 to {n - 1} (years - 1), got {min_train!r}"
        )
    year = rows["year"].to_numpy(int)
    lpd = []
    steps = range(min_train, n)
    for L in progress_bar(steps, "leave-future-out", progress, total=len(steps)):
        m = make()
        # every window on one graph: the later years stay in the model, unobserved
        m.observed_until = int(years[L - 1])
        with expected_warnings():
            m.fit(rows, seed=seed, progress=False, loo=False, **fit)
        lpd.append(_lpd_next(m, rows[year == years[L]], seed))
    return LFOResult(years[min_train:], np.asarray(lpd))


def stacking_weights(lpd: np.ndarray) -> np.ndarray:
    """Stacking weights of models from their pointwise log predictive densities ``lpd``
    (points x models): ``argmax_w sum_i log sum_k w_k exp(lpd_ik)`` on the simplex."""
    lpd = np.asarray(lpd, float)
    k = lpd.shape[1]
    if k == 1:
        return np.ones(1)

    def neg(z: np.ndarray) -> float:
        w = special.log_softmax(np.concatenate([[0.0], z]))
        return -float(special.logsumexp(lpd + w[None, :], axis=1).sum())

    res = optimize.minimize(neg, np.zeros(k - 1), method="BFGS")
    return np.exp(special.log_softmax(np.concatenate([[0.0], res.x])))


def pseudo_bma_weights(lpd: np.ndarray, draws: int = 1000, seed: int = 0) -> np.ndarray:
    """Pseudo-BMA+ weights (Yao et al. 2018): ``softmax(elpd)`` averaged over Bayesian
    bootstrap replicates of the pointwise ``lpd`` (points x models), which accounts for the
    uncertainty of ``elpd`` and so gives less extreme weights than stacking when the
    held-out points are few (``draws`` replicates, ``seed`` fixed: reproducible)."""
    lpd = np.asarray(lpd, float)
    n, k = lpd.shape
    if k == 1:
        return np.ones(1)
    alpha = np.random.default_rng(seed).dirichlet(np.ones(n), size=draws)  # (draws, n)
    elpd = n * alpha @ lpd  # (draws, k)
    return np.exp(special.log_softmax(elpd, axis=1)).mean(axis=0)


def compare_lfo(
    models: Mapping[str, Callable[[], Any]],
    rows: pd.DataFrame,
    min_train: int = 3,
    seed: int = 0,
    progress: bool | None = None,
    **fit: Any,
) -> pd.DataFrame:
    """Leave-future-out comparison of several models on the same rows: ``elpd_lfo``, its
    standard error, the difference to the best with its standard error, the stacking
    ``weight`` and the pseudo-BMA+ weight ``bb_weight`` (:func:`pseudo_bma_weights`); best
    first."""
    res = {k: lfo(make, rows, min_train, seed, progress, **fit) for k, make in models.items()}
    names = list(res)
    lpd = np.column_stack([res[k].lpd for k in names])
    w = stacking_weights(lpd)
    best = int(np.argmax(lpd.sum(0)))
    diff = lpd - lpd[:, [best]]
    out = pd.DataFrame(
        {
            "elpd_lfo": lpd.sum(0),
            "se": [res[k].se for k in names],
            "elpd_diff": diff.sum(0),
            "se_diff": np.sqrt(lpd.shape[0] * diff.var(0, ddof=1)) if lpd.shape[0] > 1 else 0.0,
            "weight": w,
            "bb_weight": pseudo_bma_weights(lpd, seed=seed),
        },
        index=pd.Index(names, name="model"),
    )
    return out.sort_values("elpd_lfo", ascending=False)
