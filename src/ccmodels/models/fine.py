"""Fines: a hurdle model. Part 1, any fine (logit); part 2, log amount (Normal, censored).

Unit: offenders whose article allows a fine for individuals (not 285-1 or 286) and who were not
exempted from punishment. Part 1 uses those not sentenced to a fine alone (a fine-only sentence
is a fine by definition); part 2 uses every fined offender, with the log amount censored below
at the statutory minimum (1,000 yuan; 500 for juveniles): a fine at the minimum reads "at most
this", as a court whose assessment is lower imposes the minimum.

Parameters are prefixed ``fine_any_`` and ``fine_amount_`` (each with its own year walk, chain,
article and trait effects) and ``fine_amount_sigma``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr
from pymc_extras.prior import Prior
from scipy.special import expit, ndtr

from ccmodels import law
from ccmodels.models import blocks
from ccmodels.models.base import Draws, Model
from ccmodels.models.design import Design
from ccmodels.models.summaries import group_summary

__all__ = ["FineModel", "censored_below_lognormal_mean"]


def censored_below_lognormal_mean(mu: np.ndarray, s: Any, floor: np.ndarray) -> np.ndarray:
    """E[max(exp(Z), floor)] for Z ~ Normal(mu, s)."""
    a = (np.log(floor) - mu) / s
    return floor * ndtr(a) + np.exp(mu + s**2 / 2) * ndtr(s - a)


class FineModel(Model):
    """Hurdle model of fines in yuan."""

    model_type = "fine"
    prefix = "fine"
    description = "offenders whose article allows a fine (not 285-1, 286) and who were not exempted"

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        return blocks.linear_priors(
            Prior("Normal", mu=0.0, sigma=1.5), sigma_year=0.5, drift=0.5
        ) | {
            "amount_intercept": Prior("Normal", mu=9.0, sigma=2.0),
            "sigma": Prior("HalfNormal", sigma=1.5),
        }

    @classmethod
    def default_effects(cls) -> dict[str, Any]:
        # "auto" article centring applies to the amount part only (see _article_centered).
        return super().default_effects() | {"article_centered": "auto", "chain_centered": False}

    def block_effects(self, prefix: str) -> Mapping[str, Any]:
        # The any-fine part is binary: it informs the article and year effects weakly, and
        # the non-centred form avoids the funnel (divergences at small sigma_year were seen
        # with a centred walk on about 4,000 rows). The log amount informs well-represented
        # articles and years strongly, where the centred form mixes better.
        effects = self.effects
        if prefix == "fine_any":
            effects = effects | {
                k: False for k in ("article_centered", "year_centered") if effects[k] == "auto"
            }
        return effects

    # Two linear predictors with weakly informed group scales: a smaller step size and
    # nutpie's diagonal adaptation avoid the few divergences seen with the defaults
    # (target_accept 0.9, low-rank adaptation) in the recovery runs.
    sampler_defaults: ClassVar[dict[str, Any]] = {"target_accept": 0.95, "adaptation": "diag"}

    def select(self, data: pd.DataFrame) -> pd.DataFrame:
        ok = law.fine_allowed(data["article"].astype(str).to_numpy())
        ok &= data["sentence_type"].astype(str).to_numpy() != "exempt"
        return data[ok].reset_index(drop=True)

    def extra_design(self, rows: pd.DataFrame, coords: dict[str, list[Any]]) -> dict[str, Any]:
        fine = rows["fine_yuan"].to_numpy(float)
        fine_only = rows["sentence_type"].astype(str).to_numpy() == "fine_only"
        floor = law.fine_minimum(rows["juvenile"].to_numpy(bool))
        fined = fine > 0
        return {
            "fine_only": fine_only,
            "fined": fined,
            "floor": floor,
            "_coords": {
                "any_row": list(np.flatnonzero(~fine_only)),
                "fined_row": list(np.flatnonzero(fined)),
            },
        }

    def _add_likelihood(self, d: Design) -> None:
        any_rows = ~d.extra["fine_only"]
        fined = d.extra["fined"]
        if not fined.any():
            raise ValueError("the fine model found no fined offenders in the data")
        d_any, d_amt = d.subset(any_rows), d.subset(fined)
        eta_any = self.predictor("fine_any", d_any, row="any_row")
        pm.Bernoulli(
            "fine_any_obs",
            logit_p=eta_any,
            observed=d_any.extra["fined"].astype(int),
            dims="any_row",
        )
        amount_priors = self.priors | {"intercept": self.priors["amount_intercept"]}
        eta_amt = self.predictor("fine_amount", d_amt, row="fined_row", priors=amount_priors)
        sigma = self.priors["sigma"].create_variable("fine_amount_sigma")
        y = np.log(d_amt.rows["fine_yuan"].to_numpy(float))
        lower = np.log(d_amt.extra["floor"])
        # A fine at the statutory minimum is censored ("at most this"); pm.Censored needs
        # observations exactly at the bound.
        y = np.where(y <= lower + 1e-9, lower, y)
        pm.Censored(
            "fine_amount_obs",
            pm.Normal.dist(eta_amt, sigma),
            lower=lower,
            upper=None,
            observed=y,
            dims="fined_row",
        )

    # ------------------------------------------------------------------ predictions
    def _parts(
        self, params: Draws, d: Design, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        p_any = expit(self.eta("fine_any", params, d, rng))
        p_any = np.where(d.extra["fine_only"][None, :], 1.0, p_any)
        mu = self.eta("fine_amount", params, d, rng)
        return p_any, mu

    def _mean(self, params: Draws, d: Design, rng: np.random.Generator) -> np.ndarray:
        p_any, mu = self._parts(params, d, rng)
        s = np.asarray(params["fine_amount_sigma"])[:, None]
        return p_any * censored_below_lognormal_mean(mu, s, d.extra["floor"][None, :])

    def predict(self, new_data: pd.DataFrame, kind: str = "mean", seed: int = 0) -> xr.DataArray:
        """Expected fine (yuan, zeros included) for new offenders, or replicated fines with
        ``kind="predictive"``. Offenders whose article allows no fine get 0."""
        d = self.new_design(new_data)
        rng = np.random.default_rng(seed)
        params = self.draws()
        if kind == "mean":
            v = self._mean(params, d, rng)
        elif kind == "predictive":
            v = self.simulate_outcomes(params, d, rng)["fine_yuan"]
        else:
            raise ValueError(f"kind must be 'mean' or 'predictive', got {kind!r}")
        allowed = law.fine_allowed(d.rows["article"].astype(str).to_numpy())
        return self._as_draws(np.where(allowed[None, :], v, 0.0), "fine_yuan")

    def simulate_outcomes(
        self, params: Draws, d: Design, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        p_any, mu = self._parts(params, d, rng)
        s = np.asarray(params["fine_amount_sigma"])[:, None]
        amount = np.maximum(np.exp(mu + s * rng.normal(0, 1, mu.shape)), d.extra["floor"][None])
        fined = rng.random(p_any.shape) < p_any
        return {"fine_yuan": np.where(fined, amount, 0.0), "fined": fined.astype(float)}

    # ------------------------------------------------------------------ summaries
    def derived(self) -> dict[str, pd.DataFrame]:
        """Mean fine and share fined by year."""
        return {
            "mean_fine_by_year": self.mean_fine_by("year"),
            "fine_probability_by_year": self.fine_probability_by("year"),
        }

    def mean_fine_by(self, by: str = "year", prob: float = 0.95) -> pd.DataFrame:
        """Posterior of the mean fine (yuan, zeros included) of the fitted offenders, by year,
        value chain or a column, with the observed mean."""
        d = self.design
        if d is None:
            raise RuntimeError("the fine model is not fitted: call fit() or load()")
        e = self._mean(self.draws(), d, np.random.default_rng(0))
        return group_summary(e, d.rows, d.rows["fine_yuan"].to_numpy(float), by, prob)

    def fine_probability_by(self, by: str = "year", prob: float = 0.95) -> pd.DataFrame:
        """Posterior of the share fined among the fitted offenders, by year or a column."""
        d = self.design
        if d is None:
            raise RuntimeError("the fine model is not fitted: call fit() or load()")
        p_any, _ = self._parts(self.draws(), d, np.random.default_rng(0))
        return group_summary(p_any, d.rows, d.extra["fined"].astype(float), by, prob)
