"""The small base every model builds on, whatever its unit (offender, case or year).

A model is configured by priors, effects and sampler settings (:mod:`.config`), selects its
rows from the input (:mod:`.design`), builds a PyMC model whose parameters are those
:mod:`ccmodels.params` declares, samples it (:mod:`.sampling`) and returns an
``xarray.DataTree`` that stands alone (:mod:`.persistence`): posterior, sample stats, prior and
prior predictive, posterior predictive, observed and constant data, the fitted rows, the
model's derived tables and attrs (model type, version, config JSON, seed, id hash).

Out-of-sample rules (``predict``): those of :mod:`ccmodels.params` for new years and levels; a
new case gets a fresh case effect; a trait the model did not use contributes nothing.
"""

from __future__ import annotations

import dataclasses
import json
import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from pymc_extras.prior import Prior

from ccmodels import params
from ccmodels.data.schema import TRAITS
from ccmodels.models import blocks, design, persistence, sampling
from ccmodels.models.config import (
    DEFAULT_EFFECTS,
    DEFAULT_SAMPLER,
    FitFileError,
    ModelConfigError,
    check_keys,
    check_sampler_installed,
    check_trend_effects,
    config_id,
    merge_priors,
    merge_sampler,
)
from ccmodels.models.datapack import DataPack
from ccmodels.models.design import Design
from ccmodels.models.predictive import Draws, Predictive
from ccmodels.util import progress_enabled

__all__ = ["DEFAULT_EFFECTS", "Draws", "FitFileError", "Model", "ModelConfigError", "OutcomeModel"]


class Model(Predictive, ABC):
    """Base of all models. Subclasses set the unit, priors, likelihood and predictions."""

    model_type: ClassVar[str]
    description: ClassVar[str]
    #: "offender", "case" or "year": which rows of the input form the unit (see design.UNITS)
    unit: ClassVar[str] = "offender"
    #: Sampler settings that differ from DEFAULT_SAMPLER for this model (with the reason).
    sampler_defaults: ClassVar[dict[str, Any]] = {}
    #: Rows per level from which "auto" centres a block (else design.AUTO_CENTER_MIN_ROWS)
    auto_center_min_rows: ClassVar[dict[str, int]] = {}
    trait_candidates: ClassVar[tuple[str, ...]] = TRAITS
    #: whether the effects ``year_damping`` (a damped trend of the year walk) and
    #: ``year_local_trend`` (its drift walks) are available
    damped_trend: ClassVar[bool] = False

    def __init__(
        self,
        priors: Mapping[str, Any] | None = None,
        effects: Mapping[str, Any] | None = None,
        sampler: Mapping[str, Any] | None = None,
    ) -> None:
        self.priors: dict[str, Prior] = merge_priors(self.default_priors(), priors, self.model_type)
        defaults = self.default_effects()
        check_keys(effects or {}, list(defaults), "effect", f"{self.model_type} model: ")
        self.effects: dict[str, Any] = self.check_effects(defaults | dict(effects or {}))
        check_trend_effects(self.model_type, self.effects, self.damped_trend)
        check_keys(self.effects.get("traits", []), TRAITS, "trait")
        self.sampler: dict[str, Any] = merge_sampler(
            DEFAULT_SAMPLER | self.sampler_defaults | self.effect_sampler_defaults(), sampler
        )
        self.model: pm.Model | None = None
        self.design: Design | None = None
        self.idata: xr.DataTree | None = None
        #: the data of the model being built (:mod:`ccmodels.models.datapack`)
        self.pack: DataPack

    # ------------------------------------------------------------------ configuration
    def check_effects(self, effects: dict[str, Any]) -> dict[str, Any]:
        """Check and normalise the model's own effects (hook: raise ModelConfigError naming
        the effect and its allowed values); by default the effects as given."""
        return effects

    def effect_sampler_defaults(self) -> dict[str, Any]:
        """Sampler settings that the model's effects call for (hook), under the user's own."""
        return {}

    @classmethod
    @abstractmethod
    def default_priors(cls) -> dict[str, Prior]:
        """Default priors, by key."""

    @classmethod
    def default_effects(cls) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, list) else v) for k, v in DEFAULT_EFFECTS.items()}

    @property
    def config(self) -> dict[str, Any]:
        """JSON-serialisable configuration: model type, priors, effects, sampler."""
        return {
            "model": self.model_type,
            "priors": {k: p.to_dict() for k, p in sorted(self.priors.items())},
            "effects": self.effects,
            "sampler": self.sampler,
        }

    @property
    def id(self) -> str:
        """Hash of the model type and the model-defining config (priors and effects)."""
        return config_id(self.config)

    def options(self) -> list[str]:
        """The parameter options that are on (see :func:`ccmodels.params.model_parameters`)."""
        return [
            k for k in ("year_drift", "year_damping", "year_local_trend") if self.effects.get(k)
        ]

    # ------------------------------------------------------------------ data
    def select(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The rows of the unit table that this model fits (default: all)."""
        return rows

    def prepare(self, data: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
        """Validate the input, form the unit rows and select the model's rows."""
        rows = self.select(design.UNITS[self.unit](data, source)).reset_index(drop=True)
        if len(rows) == 0:
            msg = f"the {self.model_type} model found no rows to fit: {self.description}"
            raise ValueError(msg)
        return rows

    def make_design(
        self, rows: pd.DataFrame, coords: Mapping[str, list[Any]] | None = None
    ) -> Design:
        """Index arrays and covariates; ``coords=None`` derives the levels from ``rows``."""
        if coords is None:
            levels = params.MODELS[self.model_type].linear[0].article_levels()
            coords = design.level_coords(
                rows, self.effects, self.model_type, levels, self.trait_candidates
            )
        d = design.make_design(rows, coords, self.effects)
        d.extra = self.extra_design(d.rows, d.coords)
        d.dims = d.extra.pop("_coords", {})
        return d

    def extra_design(self, rows: pd.DataFrame, coords: dict[str, list[Any]]) -> dict[str, Any]:
        """Model-specific arrays (``"_coords"``: further dims, e.g. ``case``)."""
        return {}

    # ------------------------------------------------------------------ model graph
    def predictor_values(
        self, prefix: str, d: Design, priors: Mapping[str, Prior] | None = None
    ) -> dict[str, Any]:
        pri = priors or self.priors
        c = self.centring(prefix, d, pri)
        return blocks.predictor_values(prefix, pri, d.coords, c, self.pack)

    def centring(
        self, prefix: str, d: Design, priors: Mapping[str, Prior] | None = None
    ) -> blocks.Centring:
        """The parameterisation of each block of ``prefix`` on the design ``d``
        (:func:`ccmodels.models.design.centring` with this model's effects, row limits and
        scales)."""
        pri = priors or self.priors
        return design.centring(
            d,
            self.block_effects(prefix),
            self.auto_center_min_rows,
            self.outcome_scales(d, pri, prefix),
            self.model_type,
        )

    def outcome_scales(
        self, d: Design, priors: Mapping[str, Prior], prefix: str | None = None
    ) -> tuple[float, float] | None:
        """(noise, typical step) for partially centred blocks (``year_centered`` or
        ``article_centered = "partial"``) of the predictor ``prefix``: the spread of one
        row's outcome about its year's level (for a binary outcome, the inverse square root of
        the information one row carries about its logit) and the prior mean of
        ``sigma_year``. None (hook default): the model does not offer them."""
        return None

    def block_effects(self, prefix: str) -> Mapping[str, Any]:
        """The effects that parameterise the blocks of ``prefix`` (hook: one per predictor)."""
        return self.effects

    def predictor(
        self,
        prefix: str,
        d: Design,
        row: str | None = "row",
        priors: Mapping[str, Prior] | None = None,
        rows: np.ndarray | None = None,
    ) -> Any:
        """The linear predictor of ``prefix`` on the current model (covariates as pm.Data),
        with the blocks its declaration admits (:class:`ccmodels.params.LinearSpec`); of the
        design rows ``rows`` only if given (e.g. one per distinct covariate pattern, dim
        ``row``; ``row=None``: data without dims), the blocks' parameterisation still decided
        on all rows of ``d``."""
        spec = params.linear_spec(prefix)
        d = dataclasses.replace(d, coords=spec.on(d.coords), x=d.x.only(spec.dims))
        x = d.x if rows is None else d.x.subset(rows)

        tag = f"{prefix}_{row or 'pattern'}"

        def data(name: str, a: np.ndarray | None, dims: tuple[str | None, ...]) -> Any:
            return None if a is None else self.pack(f"{tag}_{name}", a)

        xd = params.LinearData(
            x.n,
            data("year_idx", x.year_idx, (row,)),
            data("chains", x.chains, (row, "value_chain")),
            data("article_idx", x.art_idx, (row,)),
            data("traits", x.traits, (row, "trait")),
        )
        return params.linear(self.predictor_values(prefix, d, priors), prefix, xd)

    def pattern_predictor(
        self, prefix: str, d: Design, rows: np.ndarray, priors: Mapping[str, Prior] | None = None
    ) -> Any:
        """The linear predictor of ``prefix`` on the design rows ``rows`` (one per distinct
        covariate pattern) as one product ``X @ theta`` with ``X`` in the model's data: two
        dense products per gradient instead of a gather per block, the blocks'
        parameterisation decided on all rows of ``d``."""
        spec = params.linear_spec(prefix)
        d = dataclasses.replace(d, coords=spec.on(d.coords), x=d.x.only(spec.dims))
        theta, _ = self.coefficients(prefix, d, priors, matrix=False)
        x = d.x.subset(rows).matrix(d.coords)
        return pt.dot(self.pack(f"{prefix}_pattern_x", x), theta)

    def coefficients(
        self,
        prefix: str,
        d: Design,
        priors: Mapping[str, Prior] | None = None,
        matrix: bool = True,
    ) -> tuple[Any, np.ndarray]:
        """The same predictor as ``X @ theta``: the stacked coefficients and the design matrix
        (for models that work with sufficient statistics of ``X``)."""
        values = self.predictor_values(prefix, d, priors)
        theta = pt.concatenate([pt.atleast_1d(values[n]) for n in params.stack_names(prefix, d.x)])
        return theta, (d.x.matrix(d.coords) if matrix else np.zeros((0, 0)))

    @abstractmethod
    def _add_likelihood(self, d: Design) -> None:
        """Add the linear predictor(s) and the likelihood to the current model."""

    def _build(self, rows: pd.DataFrame) -> tuple[pm.Model, Design]:
        d = self.make_design(rows)
        coords = dict(d.coords) | {"row": list(range(len(rows)))} | d.dims
        with pm.Model(coords=coords) as model:
            self.pack = DataPack()
            self._add_likelihood(d)
            self.pack.finish()
        return model, d

    def build(self, data: pd.DataFrame) -> pm.Model:
        """Build (without sampling) the PyMC model on the input table."""
        self.model, self.design = self._build(self.prepare(data))
        return self.model

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        data: pd.DataFrame,
        *,
        draws: int | None = None,
        tune: int | None = None,
        chains: int | None = None,
        seed: int = 0,
        sampler: str | None = None,
        progress: bool | None = None,
        loo: bool = False,
    ) -> xr.DataTree:
        """Sample the posterior.

        Parameters
        ----------
        data : pandas.DataFrame
            The input table (validated against the data contract first).
        draws, tune, chains, sampler : optional
            Override the config's sampler settings for this fit only (sampler: nutpie, the
            default, pymc or numpyro).
        seed : int
            Random seed; the same seed and sampler reproduce the fit exactly.
        progress : bool, optional
            Progress bar; default on when on a terminal (``CCMODELS_PROGRESS=0`` turns it off).
        loo : bool
            Compute the pointwise log-likelihood after sampling (for LOO).

        Returns
        -------
        xarray.DataTree
            Groups posterior, sample_stats, prior, prior_predictive, posterior_predictive,
            observed_data, constant_data, fit_data, derived (trend tables) and, with
            ``loo=True``, log_likelihood; attrs: model type, version, config, seed, id.
        """
        given = {"draws": draws, "tune": tune, "chains": chains, "sampler": sampler}
        s = merge_sampler(self.sampler, {k: v for k, v in given.items() if v is not None})
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ModelConfigError(f"seed must be a non-negative integer, got {seed!r}")
        check_sampler_installed(s["sampler"])
        model = self.build(data)
        self._check_sampler(s)
        idata = sampling.sample(model, s, int(seed), progress_enabled(progress))
        self.idata = self._finish(idata, int(seed), s, loo)
        return self.idata

    def _check_sampler(self, s: Mapping[str, Any]) -> None:
        """Refuse a sampler this model cannot use (hook; by default every sampler is fine)."""

    def compute_log_likelihood(self) -> xr.DataTree:
        """Add the pointwise log-likelihood to the fit (for a fit made without ``loo=True``)."""
        idata = self._require_fit()
        if self.model is None:
            self.build(persistence.fitted_rows(idata))
        assert self.model is not None
        return sampling.log_likelihood(idata, self.model)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike[str], overwrite: bool = False) -> os.PathLike[str]:
        """Write the fit to NetCDF (atomically); refuse to overwrite unless asked."""
        return persistence.save_fit(self._require_fit(), path, overwrite)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        if config.get("model", cls.model_type) != cls.model_type:
            raise ModelConfigError(
                f"config is for a {config.get('model')!r} model, not {cls.model_type!r}"
            )
        return cls(config.get("priors"), config.get("effects"), config.get("sampler"))

    @classmethod
    def from_datatree(cls, dt: xr.DataTree, source: str = "fit") -> Self:
        """Rebuild a fitted model from its DataTree, with the checks of
        :func:`ccmodels.models.persistence.check_fit` and this class's own id."""
        kind = persistence.check_fit(dt, source)
        if kind != cls.model_type:
            raise FitFileError(
                f"{source}: holds a {kind!r} model, not {cls.model_type!r}; load it with the "
                "matching class (ccmodels.models.load_fit picks it for you)"
            )
        self = cls.from_config(json.loads(dt.attrs["config_json"]))
        if self.id != dt.attrs["id"]:
            raise FitFileError(
                f"{source}: its config hashes to {self.id} under this model definition, not the "
                f"stored id {dt.attrs['id']}; refit"
            )
        self.idata = dt
        rows = persistence.fitted_rows(dt)
        self.design = self.make_design(rows, self.fitted_coords())
        return self

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Self:
        """Rebuild a fitted model from a file written by :meth:`save`; raises
        :class:`FitFileError` if the file is for another model type, was written by another
        ccmodels version, or its config does not hash to its stored id."""
        return cls.from_datatree(persistence.read_fit(path), str(path))


OutcomeModel = Model  #: the offender-level models' base (the unit is a class attribute)
