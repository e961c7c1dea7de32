"""Value-chain composition of cases: the share of cases that carry each chain, by year.

Unit: one row per case. For each value chain ``c``, ``chain_c ~ Bernoulli(logit^-1(vc_c))``
with ``vc_c`` a linear predictor of :mod:`ccmodels.params` (intercept and year walk, drift
optional). Chains overlap (a case may carry several or none), so the shares do not sum to one
and each chain has its own walk; the walks are independent a priori.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr
from pymc_extras.prior import Prior
from scipy.special import expit

from ccmodels.data.schema import CHAIN_COLUMNS, VALUE_CHAINS
from ccmodels.models import blocks
from ccmodels.models.base import Draws, Model
from ccmodels.models.design import Design
from ccmodels.models.summaries import group_summary

__all__ = ["ValueChainModel"]


class ValueChainModel(Model):
    """Share of cases carrying each value chain, by year (one logit walk per chain)."""

    model_type = "value_chain"
    unit = "case"
    description = "cases (one row per case, with its value-chain flags)"

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        return blocks.linear_priors(Prior("Normal", mu=-1.0, sigma=1.5), sigma_year=0.5, drift=0.5)

    @classmethod
    def default_effects(cls) -> dict[str, Any]:
        # a binary outcome per chain: the non-centred walk avoids the funnel
        return super().default_effects() | {
            "chain": False,
            "article": False,
            "traits": [],
            "year_centered": False,
        }

    def _add_likelihood(self, d: Design) -> None:
        for c, col in zip(VALUE_CHAINS, CHAIN_COLUMNS, strict=True):
            eta = self.predictor(f"vc_{c}", d)
            y = d.rows[col].to_numpy(bool).astype(np.int64)
            pm.Bernoulli(f"vc_{c}_obs", logit_p=eta, observed=y, dims="row")

    def _shares(self, draws: Draws, d: Design, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {c: expit(self.eta(f"vc_{c}", draws, d, rng)) for c in VALUE_CHAINS}

    def simulate_outcomes(
        self, draws: Draws, d: Design, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        p = self._shares(draws, d, rng)
        return {
            col: (rng.random(p[c].shape) < p[c]).astype(float)
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

    def derived(self) -> dict[str, pd.DataFrame]:
        """The share of cases carrying each chain, by year, against the observed shares."""
        d = self._fitted_design()
        p = self._shares(self.draws(), d, np.random.default_rng(0))
        return {
            f"share_by_year_{c}": group_summary(p[c], d.rows, d.rows[col].to_numpy(float), "year")
            for c, col in zip(VALUE_CHAINS, CHAIN_COLUMNS, strict=True)
        }
