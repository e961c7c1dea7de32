"""Defendants per case: shifted or zero-truncated negative binomial, by year and value chain.

Unit: one row per case (``n_defendants >= 1``). ``log mu = size_mu`` (intercept, year walk,
value-chain effects) and ``log alpha = size_alpha`` (intercept, year walk) are the two linear
predictors of :mod:`ccmodels.params`; the family (effect ``family``) is

- ``"shifted"`` (default): ``n - 1 ~ NegBin(mu, alpha)``; mean ``1 + mu``;
- ``"ztnb"``: ``n ~ NegBin(mu, alpha)`` given ``n >= 1``; mean ``mu / (1 - P0)``, with
  ``P0 = (alpha / (alpha + mu)) ** alpha``.

Both log-probabilities are written out in closed form (no ``pm.Truncated``), so that every
sampler backend runs them. The simulator draws group sizes the same way
(:func:`ccmodels.outcomes.group_sizes`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytensor.tensor as pt
import xarray as xr
from pymc_extras.prior import Prior
from scipy import stats

from ccmodels import outcomes
from ccmodels.models import blocks
from ccmodels.models.base import Draws, ModelConfigError
from ccmodels.models.design import Design
from ccmodels.models.growth import GrowthModel, check_counts, yearly_check

__all__ = ["FAMILIES", "GroupSizeModel", "nb_logp", "ztnb_logp"]

FAMILIES = outcomes.GROUP_SIZE_FAMILIES


def nb_logp(y: Any, mu: Any, alpha: Any) -> Any:
    """log NegBin(y | mean mu, shape alpha), closed form (PyTensor or NumPy-free graph)."""
    return (
        pt.gammaln(y + alpha)
        - pt.gammaln(alpha)
        - pt.gammaln(y + 1)
        + alpha * (pt.log(alpha) - pt.log(alpha + mu))
        + y * (pt.log(mu) - pt.log(alpha + mu))
    )


def ztnb_logp(y: Any, mu: Any, alpha: Any) -> Any:
    """log of the zero-truncated NegBin: ``nb_logp - log(1 - P0)``."""
    log_p0 = alpha * (pt.log(alpha) - pt.log(alpha + mu))
    return nb_logp(y, mu, alpha) - pt.log1mexp(log_p0)


class GroupSizeModel(GrowthModel):
    """Defendants per case (shifted or zero-truncated negative binomial)."""

    model_type = "group_size"
    unit = "case"
    description = "cases (one row per case, with its number of defendants)"
    #: the shape's year walk is weakly informed: a smaller step avoids rare divergences
    sampler_defaults: ClassVar[dict[str, Any]] = {"target_accept": 0.95}
    damped_trend = True

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        return blocks.linear_priors(
            Prior("Normal", mu=-1.0, sigma=1.5), sigma_year=0.5, drift=0.5
        ) | {
            # log shape: Normal(0, 2) spans near-geometric to near-Poisson tails
            "alpha_intercept": Prior("Normal", mu=0.0, sigma=2.0),
            "alpha_sigma_year": Prior("HalfNormal", sigma=0.3),
            "alpha_year_drift": Prior("Normal", mu=0.0, sigma=0.3),
            # a damped trend's yearly decay of the walks' drifts (effect year_damping; both
            # the mean's and the shape's walk): see blocks.DAMPING_PRIOR for the reasons
            "year_damping": blocks.DAMPING_PRIOR.deepcopy(),
            # a local linear trend's yearly change of the walks' drifts (effect
            # year_local_trend; both walks): see blocks.DRIFT_WALK_PRIOR for the reasons
            "sigma_drift": blocks.DRIFT_WALK_PRIOR.deepcopy(),
        }

    @classmethod
    def default_effects(cls) -> dict[str, Any]:
        return super().default_effects() | {
            "article": False,
            "traits": [],
            "family": "shifted",
            # non-centred walks: most cases have one defendant, so even a year of hundreds of
            # cases informs log mu (and still less log alpha) weakly, and the centred walk
            # had a funnel at small sigma_year (3 divergences, ESS 155 on 10 years of data)
            "year_centered": False,
            "chain_centered": False,
        }

    def check_effects(self, effects: dict[str, Any]) -> dict[str, Any]:
        if effects["family"] not in FAMILIES:
            raise ModelConfigError(
                f"group_size model: effect 'family' must be one of {', '.join(FAMILIES)}, "
                f"got {effects['family']!r}"
            )
        return effects

    @property
    def family(self) -> str:
        return str(self.effects["family"])

    def select(self, rows: pd.DataFrame) -> pd.DataFrame:
        check_counts(rows, "n_defendants", 1, "defendants per case")
        return rows

    def _alpha_priors(self) -> dict[str, Prior]:
        p = self.priors
        return p | {
            "intercept": p["alpha_intercept"],
            "sigma_year": p["alpha_sigma_year"],
            "year_drift": p["alpha_year_drift"],
        }

    def _add_likelihood(self, d: Design) -> None:
        mu = pt.exp(self.predictor("size_mu", d))
        alpha = pt.exp(self.predictor("size_alpha", d, priors=self._alpha_priors()))
        y = d.rows["n_defendants"].to_numpy(np.int64)
        if self.family == "shifted":
            self.observe("size_obs", nb_logp, [mu, alpha], y - 1, d.rows)
        else:
            self.observe("size_obs", ztnb_logp, [mu, alpha], y, d.rows)

    # ------------------------------------------------------------------ predictions
    def _parts(self, draws: Draws, d: Design, rng: np.random.Generator) -> tuple[Any, Any]:
        mu = np.exp(self.eta("size_mu", draws, d, rng))
        return mu, np.exp(self.eta("size_alpha", draws, d, rng))

    def simulate_outcomes(
        self, draws: Draws, d: Design, rng: np.random.Generator, conditional: bool = False
    ) -> dict[str, np.ndarray]:
        mu, alpha = self._parts(draws, d, rng)
        n = outcomes.group_sizes(rng, self.family, mu, alpha)
        return {"n_defendants": np.asarray(n, dtype=float)}

    def mean_size(self, mu: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        """Expected defendants per case given ``mu`` and ``alpha``."""
        return outcomes.mean_group_size(self.family, mu, alpha)

    def predict(self, new_data: pd.DataFrame, kind: str = "mean", seed: int = 0) -> xr.DataArray:
        """Defendants per case for new cases: the expected number (``kind="mean"``) or a
        replicated one (``"predictive"``)."""
        d = self.new_design(new_data)
        rng = np.random.default_rng(seed)
        if kind == "mean":
            vals = self.mean_size(*self._parts(self.draws(), d, rng))
        elif kind == "predictive":
            vals = self.simulate_outcomes(self.draws(), d, rng)["n_defendants"]
        else:
            raise ValueError(f"kind must be 'mean' or 'predictive', got {kind!r}")
        return self._as_draws(vals, "n_defendants")

    def log_density(self, new_data: pd.DataFrame, seed: int = 0) -> np.ndarray:
        """log p(the group sizes of all cases in ``new_data`` (an offender table, as for
        ``fit``) | one posterior draw), one value per draw (chains x draws flattened): the
        cases of a year share its year effects, continued past the fitted years by the draw's
        walk (``seed``). For leave-future-out scoring."""
        d = self.new_design(self.prepare(new_data))
        mu, alpha = self._parts(self.draws(), d, np.random.default_rng(seed))
        n = d.rows["n_defendants"].to_numpy(float)[None, :]
        if self.family == "shifted":
            lp = stats.nbinom.logpmf(n - 1, alpha, alpha / (alpha + mu))
        else:
            p = alpha / (alpha + mu)
            lp = stats.nbinom.logpmf(n, alpha, p) - np.log(-np.expm1(alpha * np.log(p)))
        return np.asarray(lp.sum(axis=1), float)

    def derived(self) -> dict[str, pd.DataFrame]:
        """Posterior predictive checks by year: the largest case and the share of cases with
        3 or more defendants, replicated against the observed."""
        rep = np.asarray(self._require_fit()["posterior_predictive"]["n_defendants"].to_numpy())
        d = self._fitted_design()
        obs, year = d.rows["n_defendants"].to_numpy(float), d.year
        return {
            "max_by_year": yearly_check(rep, obs, year, lambda r: r.max(axis=1), "max"),
            "share_3plus_by_year": yearly_check(
                rep, obs, year, lambda r: (r >= 3).mean(axis=1), "share_3plus"
            ),
            "mean_by_year": yearly_check(rep, obs, year, lambda r: r.mean(axis=1), "mean"),
        }
