"""Fines: the log amount of the fines the law requires (Normal, censored at the minimum).

Unit: offenders whose sentence the law requires to carry a fine
(:func:`ccmodels.law.fine_required`: the tier's rule is 并处 or 并处或者单处 and the offender is
not exempted from punishment) and who were fined. The tiers of the contract's articles either
forbid a fine (285-1, 286) or require one, so the law leaves no choice of whether to fine and the
model has no any-fine part (domain reference A2); an offender whom the law requires to be fined
but who has no fine is a legal anomaly (``ccmodels check-data`` lists them) and is left out;
so are unfined offenders under ``"other"``, which in real data may be a crime without a fine.

The log amount is censored below at the statutory minimum (1,000 yuan; 500 for juveniles): a
fine at the minimum reads "at most this", as a court whose assessment is lower imposes the
minimum. Recorded amounts are taken as exact: courts round fines to round sums (1,000, 2,000,
5,000, 10,000 yuan ...), which moves a log amount by at most half the log-distance to the next
round sum, a symmetric error that the residual scale ``fine_amount_sigma`` absorbs (the report's
predictive check of the amount distribution shows whether it does).

Co-defendants share a case effect ``u ~ Normal(0, fine_amount_sigma_case)`` on the log
amount, integrated out as in the sentence model
(:mod:`ccmodels.models.likelihoods.censored_normal`: within a case the uncensored log amounts
are jointly normal with compound-symmetric covariance; one amount at the minimum adds an exact
normal CDF, several a one-dimensional integral by adaptive quadrature), so the fit samples no
latent intercepts; the LOO unit is the case. Predicted means average over a fresh case effect.

Parameters are prefixed ``fine_amount_`` (year walk, chain, article and trait effects),
``fine_amount_sigma`` and ``fine_amount_sigma_case``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr
from pymc_extras.prior import Prior

from ccmodels import law, outcomes
from ccmodels.models import blocks, case_effect
from ccmodels.models.base import Draws, Model
from ccmodels.models.design import Design, log_outcome_scales
from ccmodels.models.likelihoods import censored_normal as cn
from ccmodels.models.summaries import group_summary

__all__ = ["FineModel", "required"]


def required(rows: pd.DataFrame) -> np.ndarray:
    """Whether the law requires each offender's sentence to carry a fine."""
    return law.fine_required(
        rows["article"].astype(str).to_numpy(),
        rows["sentence_type"].astype(str).to_numpy(),
        rows["term_months"].to_numpy(float),
    )


class FineModel(Model):
    """Log amount (yuan) of the fines the law requires, censored at the statutory minimum."""

    model_type = "fine"
    prefix = "fine"
    description = (
        "fined offenders whose sentence the law requires to carry a fine (not 285-1, 286, exempt)"
    )

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        return blocks.linear_priors(
            Prior("Normal", mu=9.0, sigma=2.0),
            sigma_year=0.5,
            drift=0.5,
            pooling=blocks.POOLING_GAMMA,
        ) | {
            "sigma": Prior("HalfNormal", sigma=1.5),
            # boundary-avoiding (see sampler_defaults): the case effect carries the court and
            # the judge, which differ between cases; a scale of exactly 0 is not in view
            "sigma_case": blocks.POOLING_GAMMA,
        }

    @classmethod
    def default_effects(cls) -> dict[str, Any]:
        return super().default_effects() | {
            "article_centered": "partial",
            "chain_centered": "auto",
        }

    def outcome_scales(
        self, d: Design, priors: Mapping[str, Prior], prefix: str | None = None
    ) -> tuple[float, float] | None:
        """The spread of log amounts about their year's mean, and the prior mean of
        sigma_year (for ``"partial"`` centring)."""
        return log_outcome_scales(d, priors)

    #: The default sampler settings, as the sentence model. The case scale has the
    #: boundary-avoiding Gamma(2, 6) prior: with HalfNormal(0.5), at the study's size (24-40%
    #: of the fined offenders share their case, residual sd about 1, so an intra-case
    #: correlation near 0.1 that the data barely tell from 0) its posterior reached 0, where the log
    #: scale has a long tail; it mixed at about 0.25 bulk ESS per draw and the largest R-hat of
    #: cai2017 seeds 0-9 came out 1.009-1.011 on 3 of 10 at 1,000 draws. With the Gamma prior
    #: the same ten fits gave R-hat <= 1.0050 and bulk ESS >= 935 at 1,000 draws.
    #: target_accept 0.95: at 0.9, refits of cai2017 seeds 0 and 6 at the study's size with
    #: sampler seeds 0-4 and 6 diverged in 7 of 12 (1-3 each; nutpie's divergence points show
    #: trajectories from ordinary draws diving towards sigma_article of 1e-3 to 1e-4), at 0.95
    #: in none, for about 0.1 s more sampling.
    sampler_defaults: ClassVar[dict[str, Any]] = {"target_accept": 0.95}
    #: Years are centred from 20 fines (log sd about 1 fixes a year's level to about 0.2,
    #: finer than the steps, sigma_year about 0.6): on cai2017 seed 9 (42 fines in its
    #: smallest year), with the Gamma pooling priors, 3 divergences non-centred, 0 centred.
    #: Chains are centred from 300 fines per chain, as in the sentence model: at 10x the study's
    #: size (560-2,000 per chain) the non-centred chains mixed slowly (bulk ESS 602 against
    #: 1,862 centred, cai2017 seed 0); at the study's size (24-289) they stay non-centred.
    auto_center_min_rows: ClassVar[dict[str, int]] = {"year": 20, "chain": 300}

    def select(self, data: pd.DataFrame) -> pd.DataFrame:
        need = required(data)
        fined = data["fine_yuan"].to_numpy(float) > 0
        known = law.fine_rule_known(data["article"].astype(str).to_numpy())
        missing = int(np.count_nonzero(need & ~fined & known))
        if missing:
            warnings.warn(
                f"{missing} offender(s) whom the law requires to be fined have no fine (legal "
                "anomalies: `ccmodels check-data` lists their rows); the fine model leaves "
                "them out",
                UserWarning,
                stacklevel=3,
            )
        return data[need & fined].reset_index(drop=True)

    def extra_design(self, rows: pd.DataFrame, coords: dict[str, list[Any]]) -> dict[str, Any]:
        floor = law.fine_minimum(rows["juvenile"].to_numpy(bool))
        fine = rows["fine_yuan"].to_numpy(float)
        # A fine at the statutory minimum is censored ("at most this"); rows without a fine
        # (new offenders to predict for) are treated alike, and never enter a likelihood.
        y = np.log(np.maximum(fine, floor))
        cens = np.where(y <= np.log(floor) + 1e-9, -1, 0)
        cd = case_effect.case_design(rows)
        case = cd["case_all"]
        ids = rows["case_id"].astype(str).unique() if "case_id" in rows else np.arange(len(rows))
        return {
            "floor": floor,
            "y": y,
            "cens": cens,
            "log_lo": np.log(floor),
            "log_hi": np.full(len(rows), np.inf),
            "case": case,
            "_coords": {"case": [str(i) for i in ids]},
        }

    def _add_likelihood(self, d: Design) -> None:
        beta, x = self.coefficients("fine_amount", d)
        sigma = self.priors["sigma"].create_variable("fine_amount_sigma")
        tau = self.priors["sigma_case"].create_variable("fine_amount_sigma_case")
        e = d.extra
        data = cn.censored_data(x, e["y"], e["cens"], e["case"], e["log_lo"], e["log_hi"])
        pm.Potential(
            "fine_amount_loglik", cn.loglik(beta, sigma, tau, data, self.pack, "fine_amount")
        )

    def compute_log_likelihood(self) -> xr.DataTree:
        """Per-case log-likelihood (the case effect integrated out), group ``log_likelihood``
        (variable ``fine_amount_obs``, dim ``case``)."""
        idata = self._require_fit()
        if "log_likelihood" in idata.children:
            return idata
        d = self._fitted_design()
        p = self.draws()
        eta = self.eta("fine_amount", p, d, np.random.default_rng(0))
        ll = cn.per_case_loglik(eta, p["fine_amount_sigma"], p["fine_amount_sigma_case"], d.extra)
        idata["log_likelihood"] = xr.DataTree(self._per_case(ll, "fine_amount_obs", d.dims["case"]))
        return idata

    # ------------------------------------------------------------------ predictions
    def _mean(self, params: Draws, d: Design, rng: np.random.Generator) -> np.ndarray:
        # once per distinct row: the same covariates and minimum give the same mean
        floor = d.extra["floor"]
        first, inv = d.x.distinct(floor)
        mu = self.eta("fine_amount", params, d, rng, rows=first)
        s2 = np.asarray(params["fine_amount_sigma"]) ** 2
        s = np.sqrt(s2 + np.asarray(params["fine_amount_sigma_case"]) ** 2)[:, None]
        return outcomes.censored_below_lognormal_mean(mu, s, floor[None, first])[:, inv]

    def predict(self, new_data: pd.DataFrame, kind: str = "mean", seed: int = 0) -> xr.DataArray:
        """Expected fine (yuan) for new offenders, or replicated fines with
        ``kind="predictive"``. Offenders whose sentence the law does not require to carry a
        fine (285-1, 286, exempt) get 0."""
        d = self.new_design(new_data)
        rng = np.random.default_rng(seed)
        params = self.draws()
        if kind == "mean":
            v = self._mean(params, d, rng)
        elif kind == "predictive":
            v = self.simulate_outcomes(params, d, rng)["fine_yuan"]
        else:
            raise ValueError(f"kind must be 'mean' or 'predictive', got {kind!r}")
        return self._as_draws(np.where(required(d.rows)[None, :], v, 0.0), "fine_yuan")

    def simulate_outcomes(
        self, params: Draws, d: Design, rng: np.random.Generator, conditional: bool = False
    ) -> dict[str, np.ndarray]:
        mu = self.eta("fine_amount", params, d, rng)
        s = np.asarray(params["fine_amount_sigma"])[:, None]
        case = d.extra["case"]
        n_cases = int(case.max()) + 1 if len(case) else 0
        u = outcomes.case_effects(rng, params["fine_amount_sigma_case"], n_cases)
        z = rng.normal(0, 1, mu.shape)
        return {"fine_yuan": outcomes.fine_amount(z, mu + u[:, case], s, d.extra["floor"][None])}

    # ------------------------------------------------------------------ summaries
    def derived(self) -> dict[str, pd.DataFrame]:
        """Mean fine by year."""
        return {"mean_fine_by_year": self.mean_fine_by("year")}

    def mean_fine_by(self, by: str = "year", prob: float = 0.95) -> pd.DataFrame:
        """Posterior of the mean fine (yuan) of the fitted (fined) offenders, by year, value
        chain or a column, with the observed mean."""
        d = self.design
        if d is None:
            raise RuntimeError("the fine model is not fitted: call fit() or load()")
        e = self._mean(self.summary_draws(), d, np.random.default_rng(0))
        return group_summary(e, d.rows, d.rows["fine_yuan"].to_numpy(float), by, prob)
