"""Draws, predictions and the parts of a fit file made from them (prior, predictive draws,
derived tables): the NumPy side of every model, mixed into :class:`ccmodels.models.base.Model`.

Predictions evaluate :func:`ccmodels.params.linear` on posterior (or prior) draws, with the
out-of-sample rules of :func:`ccmodels.params.extend`.
"""

from __future__ import annotations

import json
import warnings
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from ccmodels import __version__, params
from ccmodels.data.schema import CHAIN_COLUMNS, TRAITS
from ccmodels.models import design, persistence, sampling
from ccmodels.models.design import Design

__all__ = ["Draws", "Predictive"]

PRIOR_DRAWS = 500
PREDICTIVE_DRAWS = 500
#: posterior draws (at most) behind the derived tables: their means and 95% intervals move by
#: under a tenth of a posterior sd from 1,000 draws to all
SUMMARY_DRAWS = 1000
#: Fit files grow with the groups, not rows x draws: the replicated outcomes stored for the
#: fitted rows (prior and posterior predictive) hold at most this many values each (fewer
#: draws for many rows, never under 20), and the derived tables are computed from at most
#: ``SUMMARY_BUDGET`` row-draw values (never fewer than 100 draws).
PREDICTIVE_BUDGET = 20_000_000
SUMMARY_BUDGET = 50_000_000


def _budget(rows: int, most: int, budget: int, least: int) -> int:
    """Draws to keep of ``rows`` rows: ``most`` unless that exceeds ``budget`` values."""
    return int(min(most, max(least, budget // max(rows, 1))))


class Draws(dict[str, np.ndarray]):
    """Parameter draws (sample, ...) by name, with the level coords they are on."""

    def __init__(self, values: Mapping[str, np.ndarray], coords: Mapping[str, list[Any]]):
        super().__init__(values)
        self.coords = dict(coords)


class Predictive:
    """Draws and predictions of a fitted model (a part of :class:`~ccmodels.models.base.Model`)."""

    model_type: ClassVar[str]
    description: ClassVar[str]
    #: Whether ``simulate_outcomes`` takes ``conditional`` (case effects drawn given the data
    #: for replicates of the fitted rows).
    conditional_replicates: ClassVar[bool] = False
    effects: dict[str, Any]
    idata: xr.DataTree | None
    design: Design | None
    model: pm.Model | None

    @property
    def config(self) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def id(self) -> str:
        raise NotImplementedError

    def _build(self, rows: pd.DataFrame) -> tuple[pm.Model, Design]:
        raise NotImplementedError

    def prepare(self, data: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
        raise NotImplementedError

    def make_design(
        self, rows: pd.DataFrame, coords: Mapping[str, list[Any]] | None = None
    ) -> Design:
        raise NotImplementedError

    def compute_log_likelihood(self) -> xr.DataTree:
        raise NotImplementedError

    def _require_fit(self) -> xr.DataTree:
        if self.idata is None:
            raise RuntimeError(f"the {self.model_type} model is not fitted: call fit() or load()")
        return self.idata

    def _finish(
        self, idata: xr.DataTree, seed: int, s: Mapping[str, Any], loo: bool
    ) -> xr.DataTree:
        assert self.design is not None and self.model is not None
        ss = idata["sample_stats"].to_dataset()
        drop = [v for v in ss.data_vars if ss[v].dtype == object]
        if drop:
            idata["sample_stats"] = xr.DataTree(ss.drop_vars(drop))
        idata["fit_data"] = xr.DataTree(persistence.frame_to_dataset(self.design.rows))
        idata.attrs.update(
            model_type=self.model_type,
            ccmodels_version=__version__,
            config_json=json.dumps(self.config | {"sampler": dict(s)}, sort_keys=True, default=str),
            seed=seed,
            id=self.id,
            sampler=s["sampler"],
            description=self.description,
        )
        self.idata = idata
        with warnings.catch_warnings():
            # already said when the model was built on these rows
            warnings.filterwarnings("ignore", message=".*do not vary in the.*")
            prior = self.prior(draws=PRIOR_DRAWS, seed=seed)
        idata["prior"] = xr.DataTree(prior)
        n_rows = len(self.design.rows)
        keep = _budget(n_rows, PREDICTIVE_DRAWS, PREDICTIVE_BUDGET, 20)
        n_post = idata["posterior"].sizes["chain"] * idata["posterior"].sizes["draw"]
        thin = max(1, n_post // keep)
        rng = np.random.default_rng(seed + 1)
        pri_draws = self._as_draws_of(prior, self.design.coords, max(1, PRIOR_DRAWS // keep))
        pri = self.simulate_outcomes(pri_draws, self.design, rng)
        idata["prior_predictive"] = xr.DataTree(_sample_row(pri))
        idata["posterior_predictive"] = xr.DataTree(self.sample_posterior_predictive(seed, thin))
        idata["derived"] = persistence.derived_tables(self.derived())
        if loo:
            self.compute_log_likelihood()
        return idata

    def derived(self) -> dict[str, pd.DataFrame]:
        """The derived tables a report shows (by year, value chain, ...), computed at fit time
        so that a fit file stands alone (hook; default none)."""
        return {}

    # ------------------------------------------------------------------ draws and prediction
    def fitted_coords(self) -> dict[str, list[Any]]:
        return params.coords_of(self._require_fit())

    @staticmethod
    def _as_draws_of(ds: xr.Dataset, coords: Mapping[str, list[Any]], thin: int = 1) -> Draws:
        st = ds.stack(sample=("chain", "draw")).transpose("sample", ...)
        return Draws(
            {str(k): np.asarray(v.values)[::thin] for k, v in st.data_vars.items()}, coords
        )

    def summary_draws(self) -> Draws:
        """Posterior draws thinned to at most :data:`SUMMARY_DRAWS` (fewer for many rows:
        :data:`SUMMARY_BUDGET`), for derived tables."""
        post = self._require_fit()["posterior"]
        n = post.sizes["chain"] * post.sizes["draw"]
        rows = len(self.design.rows) if self.design is not None else 0
        keep = _budget(rows, SUMMARY_DRAWS, SUMMARY_BUDGET, 100)
        return self.draws(thin=max(1, -(-n // keep)))

    def draws(self, thin: int = 1) -> Draws:
        """Posterior draws stacked to (sample, ...) arrays, by variable name."""
        post = self._require_fit()["posterior"].to_dataset()
        return self._as_draws_of(post, self.fitted_coords(), thin)

    def prior(
        self, data: pd.DataFrame | None = None, draws: int = PRIOR_DRAWS, seed: int = 0
    ) -> xr.Dataset:
        """Prior draws of the parameters (chain, draw, ...) on the coords of ``data`` (default:
        the fitted rows). The model's state (its design and fit) is left as it is."""
        if data is None and self.model is not None and self.design is not None:
            # the model built on the fitted rows has the same parameters: no second build
            return sampling.prior_draws(self.model, draws, seed)
        rows = self.prepare(data) if data is not None else self._fitted_design().rows
        return self._prior_on(rows, draws, seed)[0]

    def _prior_on(self, rows: pd.DataFrame, draws: int, seed: int) -> tuple[xr.Dataset, Design]:
        model, d = self._build(rows)
        return sampling.prior_draws(model, draws, seed), d

    def eta(
        self,
        prefix: str,
        draws: Draws,
        d: Design,
        rng: np.random.Generator,
        rows: np.ndarray | None = None,
    ) -> np.ndarray:
        """The linear predictor (samples, rows) from draws, with the out-of-sample rules
        (of the design rows ``rows`` only, if given). Computed once per distinct covariate
        pattern and spread to the rows."""
        vals = params.extend(draws, prefix, draws.coords, d.coords, rng)
        x = (d.x if rows is None else d.x.subset(rows)).only(params.linear_spec(prefix).dims)
        first, inverse = x.distinct()
        return np.asarray(params.linear(vals, prefix, x.subset(first)))[:, inverse]

    def new_design(self, new_data: pd.DataFrame) -> Design:
        """Design for new rows on the fitted coords, extended to new years and levels."""
        rows = new_data.reset_index(drop=True).copy()
        for c in ("female", *TRAITS, *CHAIN_COLUMNS):
            if c in rows and rows[c].dtype != bool:
                rows[c] = rows[c].astype(bool)
        coords = design.extended_coords(self.fitted_coords(), rows, self.effects)
        return self.make_design(rows, coords)

    def _fitted_design(self) -> Design:
        if self.design is None:
            raise RuntimeError(f"the {self.model_type} model is not fitted: call fit() or load()")
        return self.design

    @abstractmethod
    def predict(self, new_data: pd.DataFrame, kind: str = "mean", seed: int = 0) -> xr.DataArray:
        """Posterior draws for new rows: ``kind="mean"`` expected outcome, ``"predictive"``
        a replicated outcome."""

    @abstractmethod
    def simulate_outcomes(
        self, draws: Draws, d: Design, rng: np.random.Generator, conditional: bool = False
    ) -> dict[str, np.ndarray]:
        """Replicated outcomes (samples, rows) given parameter draws (for predictive checks).
        ``conditional``: the rows are the fitted ones, whose case effects (where the model has
        them) are drawn from their conditional distribution given the data rather than
        afresh."""

    def sample_posterior_predictive(self, seed: int = 0, thin: int = 1) -> xr.Dataset:
        """Replicated outcomes of the fitted rows under the posterior, dims (sample, row);
        with :attr:`conditional_replicates`, their case effects drawn given the data."""
        args = (self.draws(thin), self._fitted_design(), np.random.default_rng(seed))
        if self.conditional_replicates:
            return _sample_row(self.simulate_outcomes(*args, conditional=True))
        return _sample_row(self.simulate_outcomes(*args))

    def _per_case(self, ll: np.ndarray, name: str, case_ids: list[str]) -> xr.Dataset:
        """(samples, cases) log-likelihood values as a (chain, draw, case) Dataset."""
        post = self._require_fit()["posterior"]
        n_c, n_d = post.sizes["chain"], post.sizes["draw"]
        return xr.Dataset(
            {name: (("chain", "draw", "case"), ll.reshape(n_c, n_d, -1))},
            coords={"chain": post["chain"].values, "draw": post["draw"].values, "case": case_ids},
        )

    def sample_prior_predictive(
        self, data: pd.DataFrame, draws: int = 200, seed: int = 0
    ) -> xr.Dataset:
        """Replicated outcomes of the rows of ``data`` under the prior, dims (sample, row).
        The model's state (its design and fit) is left as it is."""
        prior, d = self._prior_on(self.prepare(data), draws, seed)
        out = self.simulate_outcomes(
            self._as_draws_of(prior, d.coords), d, np.random.default_rng(seed + 1)
        )
        return _sample_row(out)

    def _as_draws(self, vals: np.ndarray, name: str) -> xr.DataArray:
        """(samples, rows) values as a (chain, draw, row) DataArray shaped like the fit."""
        post = self._require_fit()["posterior"]
        n_c, n_d = post.sizes["chain"], post.sizes["draw"]
        return xr.DataArray(
            vals.reshape(n_c, n_d, -1),
            dims=("chain", "draw", "row"),
            coords={"chain": np.arange(n_c), "draw": np.arange(n_d)},
            name=name,
        )


def _sample_row(out: Mapping[str, np.ndarray]) -> xr.Dataset:
    return xr.Dataset({k: (("sample", "row"), v) for k, v in out.items()})
