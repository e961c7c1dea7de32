"""Value-chain composition of cases: the share of cases that carry each chain, by year.

Unit: one row per case. For each value chain ``c``, ``chain_c ~ Bernoulli(logit^-1(vc_c))``
with ``vc_c`` a linear predictor of :mod:`ccmodels.params` (intercept and year walk, drift
optional). Chains overlap (a case may carry several or none), so the shares do not sum to one
and each chain has its own walk. The walks are independent a priori unless the effect
``walk_correlation`` is on: then the chains' yearly steps are jointly normal,
``step_t = drift + sigma * (L z_t)`` with ``L`` the Cholesky factor of ``vc_walk_corr``
(prior ``LKJCorr(eta=2)``: mildly towards independence) and ``z_t`` standard normal; each
chain's walk keeps its own scale and drift. Projections (through the simulator's
``chains.walk_corr``) carry the correlation into new years; :meth:`predict` on new years
continues each walk with independent steps (each chain's own law is the same).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from pymc_extras.prior import Prior
from scipy.special import expit

from ccmodels import outcomes
from ccmodels.data.schema import CHAIN_COLUMNS, VALUE_CHAINS
from ccmodels.models import blocks
from ccmodels.models.base import Draws, ModelConfigError
from ccmodels.models.design import Design
from ccmodels.models.growth import GrowthModel
from ccmodels.models.summaries import group_summary

__all__ = ["ValueChainModel"]


class ValueChainModel(GrowthModel):
    """Share of cases carrying each value chain, by year (one logit walk per chain)."""

    model_type = "value_chain"
    unit = "case"
    description = "cases (one row per case, with its value-chain flags)"

    damped_trend = True

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        return blocks.linear_priors(
            Prior("Normal", mu=-1.0, sigma=1.5), sigma_year=0.5, drift=0.5
        ) | {
            # a damped trend's yearly decay of each chain's drift (effect year_damping; one
            # factor per chain): see blocks.DAMPING_PRIOR for the reasons
            "year_damping": blocks.DAMPING_PRIOR.deepcopy(),
            # a local linear trend's yearly change of each chain's drift (effect
            # year_local_trend; one walk per chain): see blocks.DRIFT_WALK_PRIOR
            "sigma_drift": blocks.DRIFT_WALK_PRIOR.deepcopy(),
        }

    @classmethod
    def default_effects(cls) -> dict[str, Any]:
        # a binary outcome per chain: the non-centred walk avoids the funnel
        return super().default_effects() | {
            "chain": False,
            "article": False,
            "traits": [],
            "year_centered": False,
            "walk_correlation": False,
        }

    def options(self) -> list[str]:
        return super().options() + (["walk_correlation"] if self._correlated() else [])

    def check_effects(self, effects: dict[str, Any]) -> dict[str, Any]:
        value = effects.get("walk_correlation")
        if not isinstance(value, bool):
            raise ModelConfigError(
                f"effect 'walk_correlation' must be true or false, got {value!r}"
            )
        for trend in ("year_damping", "year_local_trend"):
            if value and effects.get(trend):
                raise ModelConfigError(
                    f"value_chain model: effects 'walk_correlation' and {trend!r} cannot be "
                    "combined (the correlated walks keep a constant drift); turn one off"
                )
        return effects

    def _correlated(self) -> bool:
        return bool(self.effects["walk_correlation"])

    def extra_design(self, rows: pd.DataFrame, coords: dict[str, list[Any]]) -> dict[str, Any]:
        if not self._correlated() or "year" not in coords:
            return {}
        chains = list(VALUE_CHAINS)
        return {"_coords": {"value_chain": chains, "value_chain_to": chains}}

    def _joint_walks(self) -> dict[str, Any]:
        """The chains' year walks with correlated non-centred steps (see the module)."""
        out: dict[str, Any] = {}
        sig, drift = [], []
        for c in VALUE_CHAINS:
            p = f"vc_{c}"
            out[f"{p}_sigma_year"] = self.priors["sigma_year"].create_variable(f"{p}_sigma_year")
            sig.append(out[f"{p}_sigma_year"])
            if self.effects.get("year_drift"):
                name = f"{p}_year_drift"
                out[name] = self.priors["year_drift"].create_variable(name)
                drift.append(out[name])
            else:
                drift.append(pt.zeros(()))
        # PyMC's LKJCorr value is the lower Cholesky factor of the correlation matrix
        chol = pm.LKJCorr("vc_walk_corr_raw", n=len(VALUE_CHAINS), eta=2.0)
        pm.Deterministic("vc_walk_corr", chol @ chol.T, dims=("value_chain", "value_chain_to"))
        z = pm.Normal("vc_walk_z", 0.0, 1.0, dims=("year_step", "value_chain"))
        steps = pt.stack(drift) + pt.stack(sig) * (z @ chol.T)
        walk = pt.concatenate([pt.zeros((1, len(VALUE_CHAINS))), pt.cumsum(steps, axis=0)])
        walk = walk - walk.mean(axis=0)
        for j, c in enumerate(VALUE_CHAINS):
            name = f"vc_{c}_year_effect"
            out[name] = pm.Deterministic(name, walk[:, j], dims="year")
        return out

    def predictor_values(
        self, prefix: str, d: Design, priors: Mapping[str, Prior] | None = None
    ) -> dict[str, Any]:
        if not self._correlated() or "year" not in d.coords:
            return super().predictor_values(prefix, d, priors)
        rest = dataclasses.replace(
            d, coords={k: v for k, v in d.coords.items() if k != "year"}, x=d.x.only(())
        )
        own = {k: v for k, v in self._walks.items() if k.startswith(f"{prefix}_")}
        return super().predictor_values(prefix, rest, priors) | own

    def _add_likelihood(self, d: Design) -> None:
        self._walks = self._joint_walks() if self._correlated() and "year" in d.coords else {}
        for c, col in zip(VALUE_CHAINS, CHAIN_COLUMNS, strict=True):
            eta = self.predictor(f"vc_{c}", d)
            y = d.rows[col].to_numpy(bool).astype(np.int64)
            self.observe(f"vc_{c}_obs", _bernoulli_logit, [eta], y, d.rows)

    def _shares(self, draws: Draws, d: Design, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {c: expit(self.eta(f"vc_{c}", draws, d, rng)) for c in VALUE_CHAINS}

    def simulate_outcomes(
        self, draws: Draws, d: Design, rng: np.random.Generator, conditional: bool = False
    ) -> dict[str, np.ndarray]:
        p = self._shares(draws, d, rng)
        return {
            col: outcomes.chain_flags(rng.random(p[c].shape), p[c]).astype(float)
            for c, col in zip(VALUE_CHAINS, CHAIN_COLUMNS, strict=True)
        }

    def predict(self, new_data: pd.DataFrame, kind: str = "mean", seed: int = 0) -> xr.DataArray:
        """Probability (``kind="mean"``) or replicated flag (``"predictive"``) of each chain
        for new cases: dims (chain, draw, row, value_chain)."""
        d = self.new_design(new_data)
        rng = np.random.default_rng(seed)
        if kind == "mean":
            parts = self._shares(self.draws(), d, rng)
            vals = [parts[c] for c in VALUE_CHAINS]
        elif kind == "predictive":
            rep = self.simulate_outcomes(self.draws(), d, rng)
            vals = [rep[col] for col in CHAIN_COLUMNS]
        else:
            raise ValueError(f"kind must be 'mean' or 'predictive', got {kind!r}")
        das = [self._as_draws(v, "chain_share") for v in vals]
        return xr.concat(das, dim=pd.Index(list(VALUE_CHAINS), name="value_chain"))

    def log_density(self, new_data: pd.DataFrame, seed: int = 0) -> np.ndarray:
        """log p(the chain flags of all cases in ``new_data`` (an offender table, as for
        ``fit``) | one posterior draw), one value per draw (chains x draws flattened), each
        chain's walk continued past the fitted years by the draw (``seed``; independent steps,
        as :meth:`predict`). For leave-future-out scoring."""
        d = self.new_design(self.prepare(new_data))
        rng = np.random.default_rng(seed)
        draws = self.draws()
        total: np.ndarray | float = 0.0
        for c, col in zip(VALUE_CHAINS, CHAIN_COLUMNS, strict=True):
            eta = self.eta(f"vc_{c}", draws, d, rng)
            y = d.rows[col].to_numpy(bool)[None, :]
            # log expit(eta) for a flag, log expit(-eta) otherwise
            total = total - np.logaddexp(0.0, np.where(y, -eta, eta)).sum(axis=1)
        return np.asarray(total, float)

    def derived(self) -> dict[str, pd.DataFrame]:
        """The share of cases carrying each chain, by year, against the observed shares."""
        d = self._fitted_design()
        p = self._shares(self.draws(), d, np.random.default_rng(0))
        return {
            f"share_by_year_{c}": group_summary(p[c], d.rows, d.rows[col].to_numpy(float), "year")
            for c, col in zip(VALUE_CHAINS, CHAIN_COLUMNS, strict=True)
        }


def _bernoulli_logit(value: Any, eta: Any) -> Any:
    """log Bernoulli(value | logit p = eta)."""
    return pm.logp(pm.Bernoulli.dist(logit_p=eta), value)
