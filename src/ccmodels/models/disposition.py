"""Disposition of convicted offenders: exempt, fine only or a custodial sentence.

Unit: every convicted offender except those sentenced to control (管制), which no model of the
package covers yet (they are counted and left out with a warning). Categories:

- ``exempt``: exempted from criminal punishment (免予刑事处罚, art. 37);
- ``fine_only``: a fine alone (单处罚金), possible only where the article's lowest tier reads
  并处或者单处罚金 (:func:`ccmodels.law.fine_only_allowed`; not 285-1 or 286, which carry no
  fine at all): elsewhere its probability is 0;
- ``custodial``: detention or a fixed term (suspended or not). Which of the two is the term's
  doing, not a separate choice: detention is a term of 1-6 months (art. 42), a fixed term one
  of 6 months or more, so the sentence model (the term) tells them apart, and the sentencing
  pipeline (:class:`ccmodels.models.pipeline.SentencingPipeline`) reports all four.

Model: a multinomial logit against the custodial sentence, ``log P(exempt) / P(custodial) =
eta_exempt + u`` and ``log P(fine only) / P(custodial) = eta_fine_only + u``, each ``eta`` a
linear predictor (year walk, value chains, article, traits; prefixes ``disp_exempt`` and
``disp_fine_only``) and ``u ~ Normal(0, disp_sigma_case)`` a case effect shared by the
co-defendants of a case and by both logits: a court's leniency towards the case
(:mod:`ccmodels.models.case_effect`). Both predictors' article effects sum to zero over every
article of the contract (the fine-only intercept is the average over them, although 285-1 and
286 never reach that category). Every block is non-centred: exemption and fine-only sentences
are rare (a few percent), so the data inform each effect weakly.

The simulator draws the disposition from the same predictors (``[disposition]`` of a
scenario), through :mod:`ccmodels.params`.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from pymc_extras.prior import Prior

from ccmodels import law
from ccmodels.models import blocks, case_effect
from ccmodels.models.base import Draws, Model
from ccmodels.models.design import Design
from ccmodels.models.summaries import group_summary

__all__ = [
    "CATEGORIES",
    "DispositionModel",
    "category_logp",
    "distinct_lone_rows",
    "probabilities",
]

#: the categories, in the order of the codes (0 is the reference)
CATEGORIES = ("custodial", "exempt", "fine_only")
_CODE = {"fixed_term": 0, "detention": 0, "exempt": 1, "fine_only": 2}
_NEVER = -1e4  # a logit whose exponential is exactly 0 in float64


def probabilities(lp_exempt: Any, lp_fine_only: Any, fine_only_ok: Any) -> tuple[Any, Any]:
    """P(exempt) and P(fine only) of the multinomial logit (NumPy), 0 for fine only where the
    article forbids it; P(custodial) is the rest."""
    lp_fo = np.where(fine_only_ok, lp_fine_only, -np.inf)
    log_den = np.logaddexp(0.0, np.logaddexp(lp_exempt, lp_fo))
    return np.exp(lp_exempt - log_den), np.exp(lp_fo - log_den)


def distinct_lone_rows(
    x: np.ndarray, y: np.ndarray, alone: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One representative of each distinct (covariate row, outcome) among the lone rows.

    ``x`` holds every input of the likelihood (the design matrix and the fine-only rule):
    rows alike in it and in ``y`` have the same likelihood, so their case-effect integral is
    computed once. Returns ``rep`` (row indices of the representatives) and ``inv`` (each
    row's position in ``rep``; 0 for rows in shared cases, which are not integrated)."""
    idx = np.flatnonzero(alone)
    inv = np.zeros(len(y), dtype=np.int64)
    if idx.size == 0:
        return idx.astype(np.int64), inv
    key = np.column_stack([x[idx], y[idx]])
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inv[idx] = np.ravel(inverse)
    return idx[first].astype(np.int64), inv


def category_logp(
    value: Any,
    l_ex: Any,
    l_fo: Any,
    tau: Any,
    alone: np.ndarray,
    distinct: tuple[np.ndarray, np.ndarray] | None = None,
) -> Any:
    """Per-row log P(observed category) (PyTensor), the lone rows' case effects integrated out.

    The case effect ``u`` shifts both logits alike, so with ``c = log(e^a + e^b)`` (``a``, ``b``
    the exempt and fine-only logits) ``P(custodial | u) = sigmoid(-(c + u))`` and
    ``P(exempt | u) = e^(a - c) sigmoid(c + u)`` (fine only likewise with ``b``): the integral
    over ``u`` is that of a binary logit at ``c``, one sigmoid per node instead of a softmax
    over three categories (:func:`ccmodels.models.case_effect.integrated_logp`), and it is
    computed once per distinct lone row (``distinct``, from :func:`distinct_lone_rows`; every
    lone row on its own when None). Rows in shared cases (their effect is in the logits) are
    evaluated at ``u = 0``.
    """
    c = pt.logaddexp(l_ex, l_fo)
    log_share = pt.switch(pt.eq(value, 1), l_ex - c, pt.switch(pt.eq(value, 2), l_fo - c, 0.0))
    sign = pt.switch(pt.eq(value, 0), -1.0, 1.0)
    at_zero = -pt.softplus(-sign * c)  # log sigmoid(sign * c)
    n = len(alone)
    rep, inv = distinct or distinct_lone_rows(np.arange(n)[:, None], np.zeros(n), alone)
    if rep.size == 0:
        return log_share + at_zero
    s_r, c_r = sign[rep][:, None], c[rep][:, None]
    integral = case_effect.integrated_logp(
        lambda shift: pt.sigmoid(s_r * (c_r + shift)), tau, np.ones(rep.size, dtype=bool)
    )
    return log_share + pt.where(alone, integral[inv], at_zero)


class DispositionModel(Model):
    """Exempt / fine only / custodial among convicted offenders (multinomial logit)."""

    model_type = "disposition"
    prefix = "disp"
    description = (
        "convicted offenders: exempt, fine only (where the article allows it) or custodial"
    )

    #: Rare categories inform the scales weakly: a smaller step keeps the funnel at bay.
    sampler_defaults: ClassVar[dict[str, Any]] = {"target_accept": 0.95}

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        # intercepts: logit against custodial; -3 is about 5%, the prior's 95% reaches 0.3-60%
        return blocks.linear_priors(
            Prior("Normal", mu=-3.0, sigma=1.5), sigma_year=0.3, drift=0.3
        ) | {"sigma_case": Prior("HalfNormal", sigma=0.5)}

    @classmethod
    def default_effects(cls) -> dict[str, Any]:
        return super().default_effects() | {
            "year_centered": False,
            "article_centered": False,
            "chain_centered": False,
        }

    def select(self, data: pd.DataFrame) -> pd.DataFrame:
        st = data["sentence_type"].astype(str)
        control = int((st == "control").sum())
        if control:
            warnings.warn(
                f"{control} offender(s) sentenced to control (管制) are left out: the "
                "disposition model covers exempt, fine only and custodial sentences",
                UserWarning,
                stacklevel=3,
            )
        rows = data[st.isin(list(_CODE)).to_numpy()].reset_index(drop=True)
        bad = (
            rows["sentence_type"].astype(str) == "fine_only"
        ).to_numpy() & ~law.fine_only_allowed(rows["article"].astype(str).to_numpy())
        if bad.any():
            raise ValueError(
                f"column 'sentence_type': {int(bad.sum())} fine_only sentence(s) under an "
                "article that allows no fine alone (285-1, 286); `ccmodels check-data "
                "--drop-illegal` lists and drops them"
            )
        return rows

    def extra_design(self, rows: pd.DataFrame, coords: dict[str, list[Any]]) -> dict[str, Any]:
        st = rows["sentence_type"].astype(str) if "sentence_type" in rows else None
        y = (
            st.map(_CODE).fillna(0).to_numpy(np.int64)
            if st is not None
            else np.zeros(len(rows), np.int64)
        )
        ok = law.fine_only_allowed(rows["article"].astype(str).to_numpy())
        return {"y": y, "fine_only_ok": ok} | case_effect.case_design(rows)

    def _add_likelihood(self, d: Design) -> None:
        tau = self.priors["sigma_case"].create_variable("disp_sigma_case")
        u = case_effect.case_shift(self.prefix, tau, d.extra)
        l_ex = self.predictor("disp_exempt", d) + u
        ok = d.extra["fine_only_ok"]
        l_fo = pt.where(ok, self.predictor("disp_fine_only", d) + u, _NEVER)
        alone = d.extra["alone"]
        # rows alike in every input of the likelihood (the fine-only rule too: it follows the
        # article even when the model has no article effect)
        inputs = np.column_stack([d.x.matrix(d.coords), ok])
        distinct = distinct_lone_rows(inputs, d.extra["y"], alone)

        def logp(value: Any, l_ex: Any, l_fo: Any, tau: Any) -> Any:
            return category_logp(value, l_ex, l_fo, tau, alone, distinct)

        pm.CustomDist(
            "disposition_obs", l_ex, l_fo, tau, logp=logp, observed=d.extra["y"], dims="row"
        )

    # ------------------------------------------------------------------ predictions
    def _logits(
        self, params: Draws, d: Design, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.eta("disp_exempt", params, d, rng), self.eta("disp_fine_only", params, d, rng)

    def category_probabilities(
        self, params: Draws, d: Design, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """P(category) (samples, rows) of each category, averaged over a fresh case effect."""
        l_ex, l_fo = self._logits(params, d, rng)
        ok = d.extra["fine_only_ok"][None, :]
        sig = params["disp_sigma_case"]
        p_ex = case_effect.marginal_mean(lambda u: probabilities(l_ex + u, l_fo + u, ok)[0], sig)
        p_fo = case_effect.marginal_mean(lambda u: probabilities(l_ex + u, l_fo + u, ok)[1], sig)
        return {"custodial": 1.0 - p_ex - p_fo, "exempt": p_ex, "fine_only": p_fo}

    def predict(self, new_data: pd.DataFrame, kind: str = "mean", seed: int = 0) -> xr.Dataset:  # type: ignore[override]
        """Per new offender: the probability of each category (``kind="mean"``, a fresh case
        effect averaged over) or replicated 0/1 indicators (``kind="predictive"``, one fresh
        case effect per ``case_id``), as a Dataset of (chain, draw, row) arrays."""
        d = self.new_design(new_data)
        rng = np.random.default_rng(seed)
        if kind == "mean":
            out = self.category_probabilities(self.draws(), d, rng)
        elif kind == "predictive":
            sim = self.simulate_outcomes(self.draws(), d, rng)
            out = {"custodial": 1.0 - sim["exempt"] - sim["fine_only"]} | sim
        else:
            raise ValueError(f"kind must be 'mean' or 'predictive', got {kind!r}")
        return xr.Dataset({k: self._as_draws(v, k) for k, v in out.items()})

    def simulate_outcomes(
        self, params: Draws, d: Design, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        l_ex, l_fo = self._logits(params, d, rng)
        case = d.extra["case_all"]
        n_cases = int(case.max()) + 1 if len(case) else 0
        u = rng.normal(0.0, 1.0, (l_ex.shape[0], n_cases))
        u = (u * np.asarray(params["disp_sigma_case"])[:, None])[:, case]
        p_ex, p_fo = probabilities(l_ex + u, l_fo + u, d.extra["fine_only_ok"][None, :])
        r = rng.random(p_ex.shape)
        exempt = r < p_ex
        fine_only = ~exempt & (r < p_ex + p_fo)
        return {"exempt": exempt.astype(float), "fine_only": fine_only.astype(float)}

    # ------------------------------------------------------------------ summaries
    def derived(self) -> dict[str, pd.DataFrame]:
        """Share exempt and share fined only, by year and by value chain."""
        return {
            f"{cat}_share_by_{by}": self.share_by(cat, by)
            for cat in ("exempt", "fine_only")
            for by in ("year", "value_chain")
        }

    def share_by(
        self, category: str = "fine_only", by: str = "year", prob: float = 0.95
    ) -> pd.DataFrame:
        """Posterior of the share of the fitted offenders in ``category``, by year, value chain,
        a column or ``"all"``, with the observed share."""
        if category not in CATEGORIES:
            raise ValueError(f"category must be one of {', '.join(CATEGORIES)}, got {category!r}")
        d = self._fitted_design()
        p = self.category_probabilities(self.draws(), d, np.random.default_rng(0))[category]
        obs = (d.extra["y"] == CATEGORIES.index(category)).astype(float)
        return group_summary(p, d.rows, obs, by, prob)
