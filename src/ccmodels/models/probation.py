"""Probation (缓刑) among the offenders the law makes eligible: Bernoulli-logit.

Unit: offenders sentenced to detention or to a fixed term of at most 36 months who are not
recidivists nor ringleaders of a criminal group (arts. 72, 74; ``law.probation_eligible``). Ineligible offenders carry no
information about the court's discretion and are left out; predictions for them are 0.

``logit P(probation) = eta + b * log(term / 12 months) + u_case``, with eta the shared linear
predictor (year walk, value chains, article, traits except recidivism, which is constant in the
unit) and ``u_case ~ Normal(0, prob_sigma_case)`` shared by the eligible co-defendants of a case.
The case effect is integrated out of every case, lone offenders and co-defendants alike
(:mod:`ccmodels.models.likelihoods.logit_cells`: lone offenders as binomial cells of one
covariate pattern, log term and outcome; each multi-offender case by adaptive quadrature), so
the posterior holds the population parameters only, whatever the number of cases; LOO leaves
out one case at a time. Only cases with several eligible offenders inform ``prob_sigma_case``;
its prior (``HalfNormal(0.5)`` on the logit scale) speaks where they are few. Predicted
probabilities for new offenders average over a fresh case effect; replicates of the fitted
offenders use case effects drawn from their conditional distribution given each case's
outcomes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr
from pymc_extras.prior import Prior

from ccmodels import law, outcomes
from ccmodels import params as P
from ccmodels.data.schema import TRAITS
from ccmodels.models import blocks, case_effect
from ccmodels.models.base import Draws, Model
from ccmodels.models.design import Design, binary_outcome_scales
from ccmodels.models.likelihoods import logit_cells as lc
from ccmodels.models.summaries import group_summary, interval

__all__ = ["ProbationModel"]

#: Offenders (at most) over which the traits' average marginal effects are averaged.
AME_ROWS = 4000


def eligible(rows: pd.DataFrame) -> np.ndarray:
    """``law.probation_eligible`` of each row (ringleaders, art. 74, where the column is given)."""
    return law.probation_eligible(
        rows["sentence_type"].astype(str).to_numpy(),
        rows["term_months"].to_numpy(float),
        rows["recidivist"].to_numpy(bool),
        rows["ringleader"].to_numpy(bool) if "ringleader" in rows else False,
    )


class ProbationModel(Model):
    """Probability of probation among eligible offenders."""

    conditional_replicates = True
    model_type = "probation"
    prefix = "prob"
    description = (
        "offenders eligible for probation (detention or a fixed term <= 36 months, not recidivist)"
    )

    #: The default sampler settings (1,000 draws, target_accept 0.9): with the case effects
    #: integrated out and the blocks centred by their information, cai2017 populations fit
    #: without divergences there (benchmarks/results/robustness.json).
    sampler_defaults: ClassVar[dict[str, Any]] = {}

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        return blocks.linear_priors(
            Prior("Normal", mu=0.0, sigma=1.5), sigma_year=0.3, drift=0.3
        ) | {
            "log_term": Prior("Normal", mu=0.0, sigma=1.0),
            "sigma_case": Prior("HalfNormal", sigma=0.5),
        }

    #: recidivists are never eligible (art. 74), so the trait cannot vary among the rows
    trait_candidates: ClassVar[tuple[str, ...]] = tuple(t for t in TRAITS if t != "recidivist")

    @classmethod
    def default_effects(cls) -> dict[str, Any]:
        # A binary outcome informs a group's effect by about p (1 - p) a row: at the study's
        # size weakly, and the non-centred form avoids the funnel (partial centring diverged
        # on 3 of 6 cai2017 fits there, non-centred on none); "auto" centres a block from
        # 2,000 eligible rows a level (national scale), where the data pin each effect.
        # "partial" is allowed too (noise from the probation rate: see outcome_scales).
        return super().default_effects() | {
            "year_centered": "auto",
            "article_centered": "auto",
            "chain_centered": "auto",
        }

    auto_center_min_rows: ClassVar[dict[str, int]] = {"year": 2000, "article": 2000, "chain": 2000}

    def outcome_scales(
        self, d: Design, priors: Mapping[str, Prior], prefix: str | None = None
    ) -> tuple[float, float] | None:
        """The noise of one row on the logit scale (``1 / sqrt(p (1 - p))`` at the observed
        probation rate) and the prior mean of sigma_year."""
        return binary_outcome_scales(d.extra["y"], priors)

    def select(self, data: pd.DataFrame) -> pd.DataFrame:
        return data[eligible(data)].reset_index(drop=True)

    def extra_design(self, rows: pd.DataFrame, coords: dict[str, list[Any]]) -> dict[str, Any]:
        term = rows["term_months"].to_numpy(float)
        elig = eligible(rows)
        x = outcomes.log_term_covariate(term)
        y = rows["probation"].to_numpy(int) if "probation" in rows else np.zeros(len(rows), int)
        return {"log_term": x, "eligible": elig, "y": y} | case_effect.case_design(rows)

    def structure(self, d: Design) -> tuple[np.ndarray, np.ndarray, lc.LogitCells]:
        """Distinct covariate patterns (``first``, each row's ``pattern``) and the cells and
        case terms of the design's rows (computed once per design)."""
        if "_cells" not in d.extra:
            first, pattern = d.x.distinct()
            key = np.column_stack([pattern, d.extra["log_term"], d.extra["y"]])
            case = d.rows["case_id"] if "case_id" in d.rows else np.arange(len(d.rows))
            d.extra["_cells"] = (first, pattern, lc.logit_cells(case, key))
        return d.extra["_cells"]

    def _add_likelihood(self, d: Design) -> None:
        first, pattern, cells = self.structure(d)
        eta = self.pattern_predictor(self.prefix, d, first)
        b = self.priors["log_term"].create_variable("prob_log_term")
        tau = self.priors["sigma_case"].create_variable("prob_sigma_case")
        sign = 2.0 * d.extra["y"] - 1.0
        ll = lc.cell_loglik(
            self.pack, "prob", cells, pattern, eta, sign, tau, d.extra["log_term"], b
        )
        pm.Potential("probation_loglik", ll)

    def _cell_logits(self, params: Draws, d: Design) -> tuple[np.ndarray, np.ndarray]:
        """Draws of the logits of the lone cells and of the case terms (no case effect)."""
        first, pattern, cells = self.structure(d)
        eta = self.eta(self.prefix, params, d, np.random.default_rng(0), rows=first)
        b = np.asarray(params["prob_log_term"])[:, None]
        x = d.extra["log_term"]

        def at(keys: np.ndarray) -> np.ndarray:
            return eta[:, pattern[keys]] + b * x[keys][None, :]

        return at(cells.cell_key), at(cells.term_key)

    def compute_log_likelihood(self) -> xr.DataTree:
        """Per-case log-likelihood (the case effect integrated out), group ``log_likelihood``
        (variable ``probation_obs``, dim ``case``): LOO leaves out one case at a time."""
        idata = self._require_fit()
        if "log_likelihood" in idata.children:
            return idata
        d = self._fitted_design()
        cells = self.structure(d)[2]
        params = self.draws()
        lp_cell, lp_term = self._cell_logits(params, d)
        sign = 2.0 * d.extra["y"] - 1.0
        ll = lc.per_case_loglik(cells, lp_cell, lp_term, sign, params["prob_sigma_case"])
        idata["log_likelihood"] = xr.DataTree(self._per_case(ll, "probation_obs", cells.case_ids))
        return idata

    def case_effects(self, params: Draws, d: Design, rng: np.random.Generator) -> np.ndarray:
        """Draws (samples, rows) of each fitted offender's case effect from its conditional
        distribution given the outcomes of its case (NumPy; no refit)."""
        cells = self.structure(d)[2]
        lp_cell, lp_term = self._cell_logits(params, d)
        sign = 2.0 * d.extra["y"] - 1.0
        tau = np.asarray(params["prob_sigma_case"])
        u = lc.draw_case_effects(cells, lp_cell, lp_term, sign, tau, rng)
        return u[:, cells.row_case]

    # ------------------------------------------------------------------ predictions
    def _logit(self, params: Draws, d: Design, rng: np.random.Generator) -> np.ndarray:
        # the linear predictor once per distinct covariate pattern, then gathered
        first, pattern = d.x.distinct()
        eta = self.eta(self.prefix, params, d, rng, rows=first)[:, pattern]
        return eta + np.asarray(params["prob_log_term"])[:, None] * d.extra["log_term"][None]

    def _prob(self, params: Draws, d: Design, rng: np.random.Generator) -> np.ndarray:
        """P(probation) averaged over a fresh case effect (0 where ineligible)."""
        lp = self._logit(params, d, rng)
        p = lc.mean_sigmoid(lp, np.asarray(params["prob_sigma_case"]))
        return np.where(d.extra["eligible"][None, :], p, 0.0)

    def predict(self, new_data: pd.DataFrame, kind: str = "mean", seed: int = 0) -> xr.DataArray:
        """P(probation) for new offenders (0 where the law forbids it), averaged over a fresh
        case effect, or replicated outcomes with ``kind="predictive"`` (co-defendants, rows
        with the same ``case_id``, share one fresh case effect)."""
        d = self.new_design(new_data)
        rng = np.random.default_rng(seed)
        if kind == "predictive":
            p = self.simulate_outcomes(self.draws(), d, rng)["probation"]
        elif kind == "mean":
            p = self._prob(self.draws(), d, rng)
        else:
            raise ValueError(f"kind must be 'mean' or 'predictive', got {kind!r}")
        return self._as_draws(p, "probation")

    def simulate_outcomes(
        self, params: Draws, d: Design, rng: np.random.Generator, conditional: bool = False
    ) -> dict[str, np.ndarray]:
        """Replicated outcomes; with ``conditional`` (the fitted offenders) each case's effect
        is drawn from its conditional distribution given the case's outcomes, else afresh."""
        lp = self._logit(params, d, rng)
        if conditional:
            u = self.case_effects(params, d, rng)
        else:
            case = d.extra["case_all"]
            n_cases = int(case.max()) + 1 if len(case) else 0
            u = outcomes.case_effects(rng, params["prob_sigma_case"], n_cases)[:, case]
        flags = outcomes.probation(rng.random(lp.shape), lp + u, d.extra["eligible"][None, :])
        return {"probation": flags.astype(float)}

    # ------------------------------------------------------------------ summaries
    def derived(self) -> dict[str, pd.DataFrame]:
        """Probation rate by year and by value chain, and the traits' marginal effects."""
        out = {f"probability_by_{by}": self.probability_by(by) for by in ("year", "value_chain")}
        return out | {"marginal_effects": self.marginal_effects()}

    def probability_by(self, by: str = "year", prob: float = 0.95) -> pd.DataFrame:
        """Posterior of the probation rate among the fitted (eligible) offenders, by year,
        value chain, a trait column or ``"all"``, with the observed rate."""
        d = self._design()
        p = self._prob(self.summary_draws(), d, np.random.default_rng(0))
        return group_summary(p, d.rows, d.rows["probation"].to_numpy(float), by, prob)

    def marginal_effects(self, prob: float = 0.95) -> pd.DataFrame:
        """Average marginal effect of each trait: mean over the fitted offenders of
        P(probation | trait) - P(probation | no trait), with interval and P(effect > 0). With
        more than :data:`AME_ROWS` fitted offenders the mean is over that many drawn at random
        (seed 0): the average over a few thousand offenders is known far more precisely than
        the effect itself."""
        d = self._design()
        n_with = {t: int(d.rows[t].sum()) for t in d.coords.get("trait", [])}
        if len(d.rows) > AME_ROWS:
            keep = np.zeros(len(d.rows), bool)
            keep[np.random.default_rng(0).choice(len(d.rows), AME_ROWS, replace=False)] = True
            d = d.subset(keep)
        params = self.summary_draws()
        rng = np.random.default_rng(0)
        out = []
        for j, t in enumerate(d.coords.get("trait", [])):
            assert d.x.traits is not None
            hi, lo = d.x.traits.copy(), d.x.traits.copy()
            hi[:, j], lo[:, j] = 1.0, 0.0
            d_hi = replace(d, x=P.LinearData(d.x.n, d.x.year_idx, d.x.chains, d.x.art_idx, hi))
            d_lo = replace(d, x=P.LinearData(d.x.n, d.x.year_idx, d.x.chains, d.x.art_idx, lo))
            diff = (self._prob(params, d_hi, rng) - self._prob(params, d_lo, rng)).mean(axis=1)
            a, b = interval(diff, prob)
            out.append(
                {
                    "trait": t,
                    "ame": float(diff.mean()),
                    "lower": a,
                    "upper": b,
                    "p_positive": float((diff > 0).mean()),
                    "n_with_trait": n_with[t],
                }
            )
        cols = ["trait", "ame", "lower", "upper", "p_positive", "n_with_trait"]
        return pd.DataFrame(out, columns=cols).set_index("trait")

    def _design(self) -> Design:
        if self.design is None:
            raise RuntimeError("the probation model is not fitted: call fit() or load()")
        return self.design
