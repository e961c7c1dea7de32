"""The small base shared by the outcome models: config, design, fit, predict, save and load.

A model is configured by priors (``pymc_extras.prior.Prior`` objects, defaults merged with the
user's), effects (which blocks to include) and sampler settings (kept apart from priors). It
selects its unit of analysis from an offender table (validated against the data contract),
builds a PyMC model with named dims, samples it (nutpie by default), and returns an
``xarray.DataTree`` carrying the posterior, sample stats, observed and constant data, the fitted
rows and attrs (model type, package version, config JSON, seed, id hash). ``save`` writes NetCDF;
``load`` rebuilds the model from the file and refuses a file whose id or version does not match.

Out-of-sample rules (used by ``predict``)
-----------------------------------------
- a new year after (before) the fitted range continues the random walk forward (backward) with
  fresh innovations of the posterior ``sigma_year``, one path per draw;
- an article not in the fitted data gets a fresh draw from ``Normal(0, sigma_article)``;
- a new case gets a fresh case effect from ``Normal(0, sigma_case)`` (for means it is integrated
  out analytically);
- a trait the model did not use (no variation in the fitted data) contributes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
import pymc as pm
import pytensor
import pytensor.tensor as pt
import xarray as xr
from pymc_extras.prior import Prior

from ccmodels import __version__, law
from ccmodels.data.schema import CHAIN_COLUMNS, TRAITS, VALUE_CHAINS, validate
from ccmodels.models import blocks
from ccmodels.util import did_you_mean, progress_enabled

__all__ = [
    "SAMPLERS",
    "Design",
    "FitFileError",
    "ModelConfigError",
    "OutcomeModel",
    "fitted_rows",
]

SAMPLERS = ("nutpie", "pymc", "numpyro")
DEFAULT_SAMPLER: dict[str, Any] = {
    "sampler": "nutpie",
    "draws": 1000,
    "tune": 1000,
    "chains": 4,
    "target_accept": 0.9,
    # nutpie's mass-matrix adaptation: "low_rank" learns the main posterior correlations
    # (intercept against year and article effects), several times the ESS of "diag" here.
    "adaptation": "low_rank",
}
AUTO_CENTER_MIN_ROWS = 50
DEFAULT_EFFECTS: dict[str, Any] = {
    "year": True,
    # "auto": centred when every year has at least AUTO_CENTER_MIN_ROWS rows (then the data
    # pin each year's effect and the non-centred form would couple sigma_year with every
    # innovation), non-centred otherwise (a funnel appears when years hold little data).
    "year_centered": "auto",
    "chain": True,
    "article": True,
    "article_column": "article",
    "article_centered": "auto",
    # "auto": centred when every value chain has at least AUTO_CENTER_MIN_ROWS rows; with
    # fewer, the four-level scale reaches near zero and the centred form has a funnel there.
    "chain_centered": "auto",
    "traits": list(TRAITS),
}


class ModelConfigError(ValueError):
    """A model spec or config is invalid (unknown keys, bad priors, unknown sampler)."""


class FitFileError(ValueError):
    """A saved fit cannot be loaded by this model or this version of ccmodels."""


@dataclass
class Design:
    """Arrays for one model's unit of analysis (rows of the offender table)."""

    rows: pd.DataFrame
    coords: dict[str, list[Any]]
    year: np.ndarray  # calendar year per row
    year_idx: np.ndarray
    art_idx: np.ndarray  # -1 for an article outside the coords (new level)
    chains: np.ndarray  # (n, n_chains) float
    traits: np.ndarray  # (n, n_traits) float
    extra: dict[str, np.ndarray] = field(default_factory=dict)


def _prior_from(value: Any, key: str) -> Prior:
    if isinstance(value, Prior):
        return value
    if isinstance(value, Mapping):
        try:
            return Prior.from_dict(dict(value))
        except Exception as exc:
            raise ModelConfigError(
                f"prior {key!r}: cannot build a Prior from {value}: {exc}"
            ) from None
    raise ModelConfigError(f"prior {key!r}: expected a Prior or a dict, got {type(value).__name__}")


class OutcomeModel(ABC):
    """Base of the outcome models. Subclasses define the unit, priors and likelihood."""

    model_type: ClassVar[str]
    prefix: ClassVar[str]
    description: ClassVar[str]
    #: Sampler settings that differ from DEFAULT_SAMPLER for this model (with the reason).
    sampler_defaults: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        priors: Mapping[str, Any] | None = None,
        effects: Mapping[str, Any] | None = None,
        sampler: Mapping[str, Any] | None = None,
    ) -> None:
        defaults = self.default_priors()
        unknown = [k for k in (priors or {}) if k not in defaults]
        if unknown:
            raise ModelConfigError(
                "; ".join(
                    f"unknown prior {k!r}{did_you_mean(k, list(defaults))} for the "
                    f"{self.model_type} model; allowed: {', '.join(defaults)}"
                    for k in unknown
                )
            )
        self.priors: dict[str, Prior] = defaults | {
            k: _prior_from(v, k) for k, v in (priors or {}).items()
        }
        eff_defaults = self.default_effects()
        bad = [k for k in (effects or {}) if k not in eff_defaults]
        if bad:
            raise ModelConfigError(
                "; ".join(
                    f"unknown effect {k!r}{did_you_mean(k, list(eff_defaults))}; "
                    f"allowed: {', '.join(eff_defaults)}"
                    for k in bad
                )
            )
        self.effects: dict[str, Any] = eff_defaults | dict(effects or {})
        bad_traits = [t for t in self.effects["traits"] if t not in TRAITS]
        if bad_traits:
            raise ModelConfigError(
                f"unknown trait(s) {bad_traits}"
                f"{did_you_mean(bad_traits[0], list(TRAITS))}; allowed: {', '.join(TRAITS)}"
            )
        bad_s = [k for k in (sampler or {}) if k not in DEFAULT_SAMPLER]
        if bad_s:
            raise ModelConfigError(
                f"unknown sampler setting(s) {bad_s}"
                f"{did_you_mean(bad_s[0], list(DEFAULT_SAMPLER))}; "
                f"allowed: {', '.join(DEFAULT_SAMPLER)}"
            )
        self.sampler: dict[str, Any] = DEFAULT_SAMPLER | self.sampler_defaults | dict(sampler or {})
        if self.sampler["sampler"] not in SAMPLERS:
            raise ModelConfigError(
                f"unknown sampler {self.sampler['sampler']!r}; allowed: {', '.join(SAMPLERS)}"
            )
        self.model: pm.Model | None = None
        self.design: Design | None = None
        self.idata: xr.DataTree | None = None

    # ------------------------------------------------------------------ configuration
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
        cfg = self.config
        key = json.dumps(
            {"model": cfg["model"], "priors": cfg["priors"], "effects": cfg["effects"]},
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    # ------------------------------------------------------------------ data
    @abstractmethod
    def select(self, data: pd.DataFrame) -> pd.DataFrame:
        """The rows that form this model's unit of analysis."""

    def prepare(self, data: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
        """Validate against the data contract, then select the unit of analysis."""
        rep = validate(data, source=source)
        rows = self.select(rep.data)
        if len(rows) == 0:
            raise ValueError(
                f"the {self.model_type} model found no rows to fit: {self.unit_description()}"
            )
        return rows

    def unit_description(self) -> str:
        return self.description

    def make_design(self, rows: pd.DataFrame, coords: dict[str, list[Any]] | None = None) -> Design:
        """Index arrays and covariates; ``coords=None`` derives the levels from ``rows``."""
        year = rows["year"].to_numpy(dtype=int)
        gcol = str(self.effects["article_column"])
        if gcol not in rows.columns:
            raise ValueError(
                f"the {self.model_type} model groups by column {gcol!r} "
                f"(effects.article_column), which the data do not have"
            )
        art = rows[gcol].astype(str).to_numpy()
        if coords is None:
            coords = {}
            if self.effects["year"]:
                if year.min() == year.max():
                    raise ValueError(
                        f"the {self.model_type} model has a year effect but the data hold a "
                        f"single year ({year.min()}, {len(rows)} rows); give at least two "
                        "years or set effects.year = false"
                    )
                years_all = list(range(int(year.min()), int(year.max()) + 1))
                coords["year"] = years_all
                coords["year_step"] = years_all[1:]
            if self.effects["chain"]:
                vary = [
                    c
                    for c, col in zip(VALUE_CHAINS, CHAIN_COLUMNS, strict=True)
                    if rows[col].nunique() > 1
                ]
                if vary:
                    coords["value_chain"] = vary
            if self.effects["article"]:
                present = (
                    [a for a in law.ARTICLES if a in set(art)]
                    if gcol == "article"
                    else sorted(set(art))
                )
                if len(present) > 1:
                    coords["article"] = present
            traits = [t for t in self.effects["traits"] if t in self.trait_candidates()]
            vary_t = [t for t in traits if rows[t].nunique() > 1]
            dropped = sorted(set(traits) - set(vary_t))
            if dropped:
                warnings.warn(
                    f"{self.model_type} model: trait(s) {dropped} do not vary in the "
                    f"{len(rows)} rows fitted and are left out",
                    stacklevel=3,
                )
            if vary_t:
                coords["trait"] = vary_t
            coords |= self.extra_coords(rows)
        years: list[Any] | None = coords.get("year")
        year_idx = (
            np.asarray(year - years[0], dtype=np.int64) if years else np.zeros(len(rows), int)
        )
        arts = coords.get("article", [])
        art_pos = {a: i for i, a in enumerate(arts)}
        art_idx = np.array([art_pos.get(a, -1) for a in art], dtype=np.int64)
        chain_cols = [f"chain_{c}" for c in coords.get("value_chain", [])]
        chains = rows[chain_cols].to_numpy(dtype=float).reshape(len(rows), len(chain_cols))
        tcols = coords.get("trait", [])
        traits_m = rows[tcols].to_numpy(dtype=float).reshape(len(rows), len(tcols))
        d = Design(rows, coords, year, year_idx, art_idx, chains, traits_m)
        d.extra = self.extra_design(rows, coords)
        return d

    def trait_candidates(self) -> tuple[str, ...]:
        return TRAITS

    def extra_coords(self, rows: pd.DataFrame) -> dict[str, list[Any]]:
        return {}

    def extra_design(self, rows: pd.DataFrame, coords: dict[str, list[Any]]) -> dict[str, Any]:
        return {}

    # ------------------------------------------------------------------ model graph
    def linear_predictor(self, prefix: str, d: Design, row: str = "row") -> pt.TensorVariable:
        """Intercept + year walk + value chains + article + traits, on the current model."""
        eta = blocks.intercept(prefix, self.priors)
        if "year" in d.coords:
            yi = pm.Data(f"{prefix}_year_idx", d.year_idx, dims=row)
            eta = eta + blocks.year_effect(
                prefix,
                self.priors,
                yi,
                centered=self._year_centered(d),
            )
        if "value_chain" in d.coords:
            ch = pm.Data(f"{prefix}_chains", d.chains, dims=(row, "value_chain"))
            eta = eta + blocks.chain_effect(
                prefix, self.priors, ch, centered=self._chain_centered(d)
            )
        if "article" in d.coords:
            ai = pm.Data(f"{prefix}_article_idx", d.art_idx, dims=row)
            eta = eta + blocks.article_effect(
                prefix, self.priors, ai, centered=self._article_centered(prefix, d)
            )
        if "trait" in d.coords:
            tr = pm.Data(f"{prefix}_traits", d.traits, dims=(row, "trait"))
            eta = eta + blocks.trait_effect(prefix, self.priors, tr)
        return eta

    def _year_centered(self, d: Design) -> bool:
        value = self.effects["year_centered"]
        if value == "auto":
            counts = np.bincount(d.year_idx, minlength=len(d.coords["year"]))
            return bool(counts.min() >= AUTO_CENTER_MIN_ROWS)
        return bool(value)

    def _chain_centered(self, d: Design) -> bool:
        value = self.effects["chain_centered"]
        if value == "auto":
            return bool(d.chains.sum(axis=0).min() >= AUTO_CENTER_MIN_ROWS)
        return bool(value)

    def _article_centered(self, prefix: str, d: Design) -> bool | np.ndarray:
        """Per-level centring of the article effect ("auto": centred for levels with at least
        AUTO_CENTER_MIN_ROWS rows); the mask is kept as constant data for later alignment."""
        value = self.effects["article_centered"]
        if value == "auto":
            counts = np.bincount(d.art_idx, minlength=len(d.coords["article"]))
            mask = counts >= AUTO_CENTER_MIN_ROWS
            pm.Data(f"{prefix}_article_centred", mask.astype(np.int8), dims="article")
            return mask
        return bool(value)

    def coefficients(self, prefix: str, d: Design) -> tuple[pt.TensorVariable, np.ndarray]:
        """The linear predictor as ``X @ beta``: the same variables as
        :meth:`linear_predictor`, stacked into one coefficient vector, with the matching
        (rows, coefficients) design matrix: intercept, year one-hot, chain flags, article
        one-hot, traits. Lets a model work with sufficient statistics of ``X``."""
        n = len(d.rows)
        parts: list[pt.TensorVariable] = [pt.atleast_1d(blocks.intercept(prefix, self.priors))]
        cols: list[np.ndarray] = [np.ones((n, 1))]
        if "year" in d.coords:
            t = len(d.coords["year"])
            parts.append(
                blocks.year_effect(
                    prefix,
                    self.priors,
                    np.arange(t),
                    centered=self._year_centered(d),
                )
            )
            cols.append(np.eye(t)[d.year_idx])
        if "value_chain" in d.coords:
            c = len(d.coords["value_chain"])
            parts.append(
                blocks.chain_effect(
                    prefix, self.priors, np.eye(c), centered=self._chain_centered(d)
                )
            )
            cols.append(d.chains)
        if "article" in d.coords:
            a = len(d.coords["article"])
            parts.append(
                blocks.article_effect(
                    prefix,
                    self.priors,
                    np.arange(a),
                    centered=self._article_centered(prefix, d),
                )
            )
            cols.append(np.eye(a)[d.art_idx])
        if "trait" in d.coords:
            k = len(d.coords["trait"])
            parts.append(blocks.trait_effect(prefix, self.priors, np.eye(k)))
            cols.append(d.traits)
        return pt.concatenate(parts), np.hstack(cols)

    @abstractmethod
    def _add_likelihood(self, d: Design) -> None:
        """Add the linear predictor(s) and the likelihood to the current model."""

    def build(self, data: pd.DataFrame) -> pm.Model:
        """Build (without sampling) the PyMC model on an offender table."""
        rows = self.prepare(data)
        self.design = self.make_design(rows)
        coords = dict(self.design.coords) | {"row": list(range(len(rows)))}
        coords |= self.design.extra.get("_coords", {})
        with pm.Model(coords=coords) as model:
            self._add_likelihood(self.design)
        self.model = model
        return model

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
            Offender table (validated against the data contract first).
        draws, tune, chains : int, optional
            Override the sampler settings of the config (defaults 1000, 1000, 4).
        seed : int
            Random seed; the same seed and sampler reproduce the fit exactly.
        sampler : {"nutpie", "pymc", "numpyro"}, optional
            NUTS implementation; nutpie is the default.
        progress : bool, optional
            Progress bar; default on when on a terminal (``CCMODELS_PROGRESS=0`` turns it off).
        loo : bool
            Compute the pointwise log-likelihood after sampling (for LOO).

        Returns
        -------
        xarray.DataTree
            Groups posterior, sample_stats, observed_data, constant_data, fit_data (the rows
            fitted) and, with ``loo=True``, log_likelihood; attrs with model type, version,
            config JSON, seed and id.
        """
        s = dict(self.sampler)
        for k, v in (("draws", draws), ("tune", tune), ("chains", chains), ("sampler", sampler)):
            if v is not None:
                s[k] = v
        if s["sampler"] not in SAMPLERS:
            raise ModelConfigError(f"unknown sampler {s['sampler']!r}; allowed: {SAMPLERS}")
        self.sampler = s
        model = self.build(data)
        show = progress_enabled(progress)
        if s["sampler"] == "nutpie":
            idata = _sample_nutpie(model, s, int(seed), show)
        else:
            idata = _sample_pm(model, s, int(seed), show)
        if loo:
            pm.compute_log_likelihood(idata, model=model, progressbar=False)
        self.idata = self._finish(idata, seed)
        return self.idata

    def _finish(self, idata: xr.DataTree, seed: int) -> xr.DataTree:
        assert self.design is not None
        ss = idata["sample_stats"].to_dataset()
        drop = [v for v in ss.data_vars if ss[v].dtype == object]
        if drop:
            idata["sample_stats"] = xr.DataTree(ss.drop_vars(drop))
        idata["fit_data"] = xr.DataTree(_frame_to_dataset(self.design.rows))
        idata.attrs.update(
            model_type=self.model_type,
            ccmodels_version=__version__,
            config_json=json.dumps(self.config, sort_keys=True, default=str),
            seed=int(seed),
            id=self.id,
            sampler=self.sampler["sampler"],
        )
        return idata

    def compute_log_likelihood(self) -> xr.DataTree:
        """Add the pointwise log-likelihood to the fit (for a fit made without ``loo=True``)."""
        idata = self._require_fit()
        if self.model is None:
            self.build(fitted_rows(idata))
        if "log_likelihood" not in idata.children:
            pm.compute_log_likelihood(idata, model=self.model, progressbar=False)
        return idata

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

    def _require_fit(self) -> xr.DataTree:
        if self.idata is None:
            raise RuntimeError(f"the {self.model_type} model is not fitted: call fit() or load()")
        return self.idata

    # ------------------------------------------------------------------ draws as arrays
    def draws(self, thin: int = 1) -> dict[str, np.ndarray]:
        """Posterior draws stacked to (sample, ...) arrays, by variable name."""
        post = self._require_fit()["posterior"].to_dataset()
        st = post.stack(sample=("chain", "draw")).transpose("sample", ...)
        return {str(k): np.asarray(v.values)[::thin] for k, v in st.data_vars.items()}

    def linear_numpy(
        self,
        prefix: str,
        params: Mapping[str, np.ndarray],
        d: Design,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """The linear predictor (samples, rows) from draws, with the out-of-sample rules."""
        n_s = len(params[f"{prefix}_intercept"])
        eta = np.repeat(np.asarray(params[f"{prefix}_intercept"])[:, None], len(d.rows), axis=1)
        if "year" in d.coords:
            years = np.asarray(d.coords["year"])
            eff = np.asarray(params[f"{prefix}_year_effect"])  # (S, T)
            sig = np.asarray(params[f"{prefix}_sigma_year"])
            lo_y, hi_y = int(years[0]), int(years[-1])
            need_hi = max(int(d.year.max()) - hi_y, 0)
            need_lo = max(lo_y - int(d.year.min()), 0)
            fwd = eff[:, -1:] + np.cumsum(rng.normal(0, 1, (n_s, need_hi)) * sig[:, None], 1)
            bwd = eff[:, :1] - np.cumsum(rng.normal(0, 1, (n_s, need_lo)) * sig[:, None], 1)
            full = np.concatenate([bwd[:, ::-1], eff, fwd], axis=1)
            idx = d.year - (lo_y - need_lo)
            eta = eta + full[:, idx]
        if "value_chain" in d.coords:
            eta = eta + np.asarray(params[f"{prefix}_chain"]) @ d.chains.T
        if "article" in d.coords:
            art = np.asarray(params[f"{prefix}_article"])  # (S, A)
            new = d.art_idx < 0
            vals = art[:, np.where(new, 0, d.art_idx)]
            if new.any():
                sig_a = np.asarray(params[f"{prefix}_sigma_article"])
                codes, inv = np.unique(
                    d.rows[self.effects["article_column"]].astype(str).to_numpy()[new],
                    return_inverse=True,
                )
                fresh = rng.normal(0, 1, (n_s, len(codes))) * sig_a[:, None]
                vals[:, new] = fresh[:, inv]
            eta = eta + vals
        if "trait" in d.coords:
            eta = eta + np.asarray(params[f"{prefix}_beta"]) @ d.traits.T
        return eta

    def new_design(self, new_data: pd.DataFrame) -> Design:
        """Design for new rows with the fitted coords (new years and levels allowed)."""
        idata = self._require_fit()
        post = idata["posterior"].to_dataset()
        coords = {
            k: list(post[k].values)
            for k in ("year", "year_step", "value_chain", "article", "trait")
            if k in post.coords
        }
        coords |= {k: list(post[k].values) for k in self.extra_coords_names() if k in post.coords}
        rows = new_data.reset_index(drop=True)
        for c in ("female", *TRAITS, *CHAIN_COLUMNS):
            if c in rows and rows[c].dtype != bool:
                rows[c] = rows[c].astype(bool)
        return self.make_design(rows, coords)

    def extra_coords_names(self) -> tuple[str, ...]:
        return ()

    @abstractmethod
    def predict(self, new_data: pd.DataFrame, kind: str = "mean", seed: int = 0) -> xr.DataArray:
        """Posterior draws for new rows: ``kind="mean"`` expected outcome, ``"predictive"``
        a replicated outcome."""

    @abstractmethod
    def simulate_outcomes(
        self, params: Mapping[str, np.ndarray], d: Design, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """Replicated outcomes (samples, rows) given parameter draws (for predictive checks)."""

    def sample_posterior_predictive(self, seed: int = 0, thin: int = 1) -> xr.Dataset:
        """Replicated outcomes of the fitted rows under the posterior, dims (sample, row)."""
        idata = self._require_fit()
        d = self.make_design(fitted_rows(idata), self.new_design_coords())
        out = self.simulate_outcomes(self.draws(thin), d, np.random.default_rng(seed))
        return xr.Dataset({k: (("sample", "row"), v) for k, v in out.items()})

    def sample_prior_predictive(
        self, data: pd.DataFrame, draws: int = 200, seed: int = 0
    ) -> xr.Dataset:
        """Replicated outcomes of the rows of ``data`` under the prior, dims (sample, row)."""
        model = self.build(data)
        assert self.design is not None
        names = [v.name for v in model.free_RVs + model.deterministics]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning)
            prior = pm.sample_prior_predictive(
                draws=draws, model=model, var_names=names, random_seed=seed
            )
        ds = prior["prior"].to_dataset().stack(sample=("chain", "draw")).transpose("sample", ...)
        params = {k: np.asarray(v.values) for k, v in ds.data_vars.items()}
        out = self.simulate_outcomes(params, self.design, np.random.default_rng(seed + 1))
        return xr.Dataset({k: (("sample", "row"), v) for k, v in out.items()})

    def new_design_coords(self) -> dict[str, list[Any]]:
        post = self._require_fit()["posterior"].to_dataset()
        names = ("year", "year_step", "value_chain", "article", "trait", *self.extra_coords_names())
        return {k: list(post[k].values) for k in names if k in post.coords}

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike[str], overwrite: bool = False) -> Path:
        """Write the fit to NetCDF (atomically); refuse to overwrite unless asked."""
        idata = self._require_fit()
        p = Path(path)
        if p.exists() and not overwrite:
            raise FileExistsError(f"{p} exists; pass overwrite=True (CLI: --force) to replace it")
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, suffix=".nc.tmp")
        os.close(fd)
        try:
            idata.to_netcdf(tmp, engine="h5netcdf")
            os.replace(tmp, p)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return p

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        if config.get("model", cls.model_type) != cls.model_type:
            raise ModelConfigError(
                f"config is for a {config.get('model')!r} model, not {cls.model_type!r}"
            )
        return cls(config.get("priors"), config.get("effects"), config.get("sampler"))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Self:
        """Rebuild a fitted model from a file written by :meth:`save`.

        Raises
        ------
        FitFileError
            If the file is for another model type, was written by another ccmodels version, or
            its config does not hash to its stored id.
        """
        p = Path(path)
        if not p.exists():
            raise FileNotFoundError(f"{p}: no such fit file")
        with xr.open_datatree(p, engine="h5netcdf") as f:
            idata = f.load()
        attrs = idata.attrs
        for key in ("model_type", "ccmodels_version", "config_json", "id"):
            if key not in attrs:
                raise FitFileError(f"{p}: not a ccmodels fit (attribute {key!r} missing)")
        if attrs["model_type"] != cls.model_type:
            raise FitFileError(
                f"{p}: holds a {attrs['model_type']!r} model, not {cls.model_type!r}; load it "
                f"with the matching class (ccmodels.models.load_fit picks it for you)"
            )
        if attrs["ccmodels_version"] != __version__:
            raise FitFileError(
                f"{p}: written by ccmodels {attrs['ccmodels_version']}, this is {__version__}; "
                "refit with this version"
            )
        self = cls.from_config(json.loads(attrs["config_json"]))
        if self.id != attrs["id"]:
            raise FitFileError(
                f"{p}: its config hashes to {self.id}, not the stored id {attrs['id']}: the "
                "file was altered or written by a different model definition; refit"
            )
        self.idata = idata
        self.design = self.make_design(fitted_rows(idata), self.new_design_coords())
        return self


def _frame_to_dataset(df: pd.DataFrame) -> xr.Dataset:
    data = {}
    for c in df.columns:
        s = df[c]
        if (
            isinstance(s.dtype, pd.CategoricalDtype)
            or s.dtype == object
            or pd.api.types.is_string_dtype(s)
        ):
            data[c] = ("row", s.astype(str).to_numpy().astype("U"))
        elif pd.api.types.is_datetime64_any_dtype(s):
            data[c] = ("row", s.to_numpy().astype("datetime64[ns]"))
        else:
            data[c] = ("row", s.to_numpy())
    return xr.Dataset(data, coords={"row": np.arange(len(df))})


def _sample_pm(model: pm.Model, s: Mapping[str, Any], seed: int, show: bool) -> xr.DataTree:
    """Sample with ``pm.sample``: PyMC's own NUTS or numpyro."""
    kwargs: dict[str, Any] = {
        "draws": int(s["draws"]),
        "tune": int(s["tune"]),
        "chains": int(s["chains"]),
        "random_seed": seed,
        "progressbar": show,
        "model": model,
        "nuts_sampler": s["sampler"],
        "compute_convergence_checks": False,
        "target_accept": float(s["target_accept"]),
        # pm.sample's own core count can come out as 1 (it assumes half the CPUs are
        # hyper-threads); ask for one process per chain up to the machine's cores.
        "cores": min(int(s["chains"]), os.cpu_count() or 1),
    }
    if s["sampler"] == "numpyro":
        import jax

        # JAX defaults to float32, in which the sufficient-statistics likelihood loses its
        # precision (differences of large sums).
        jax.config.update("jax_enable_x64", True)
        kwargs["nuts_sampler_kwargs"] = {"chain_method": "sequential"}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*samples per chain.*")
        warnings.filterwarnings("ignore", category=FutureWarning)
        return pm.sample(**kwargs)


def _sample_nutpie(model: pm.Model, s: Mapping[str, Any], seed: int, show: bool) -> xr.DataTree:
    """Compile the model for nutpie and sample it (nutpie's own API, as ``pm.sample`` does,
    without ``pm.sample``'s step-method assignment, which costs half a second here)."""
    import nutpie
    from pymc.backends.arviz import patch_nutpie_idata

    # fastmath off: with it, a function compiled afresh and the same function loaded from
    # PyTensor's numba cache round differently, so one seed gave different draws on the first
    # fit on a machine and on later ones; without it the draws are the same, at no cost in
    # speed here. Freezing the model's data into constants doubles the numba compile time
    # here for no gain in sampling speed.
    with pytensor.config.change_flags(numba__fastmath=False):
        compiled = nutpie.compile_pymc_model(model, backend="numba", freeze_model=False)
    chains = int(s["chains"])
    start = time.time()
    idata = nutpie.sample(
        compiled,
        draws=int(s["draws"]),
        tune=int(s["tune"]),
        chains=chains,
        cores=min(chains, os.cpu_count() or 1),
        seed=seed,
        save_warmup=False,
        progress_bar=show,
        target_accept=float(s["target_accept"]),
        adaptation=str(s["adaptation"]),
    )
    patch_nutpie_idata(idata, model, sampling_time=time.time() - start)
    return idata


def fitted_rows(idata: xr.DataTree) -> pd.DataFrame:
    """The rows a fit was made on (its ``fit_data`` group) as a DataFrame."""
    return _dataset_to_frame(idata["fit_data"].to_dataset())


def _dataset_to_frame(ds: xr.Dataset) -> pd.DataFrame:
    df = pd.DataFrame({k: np.asarray(v.values) for k, v in ds.data_vars.items()})
    for c in ("article", "sentence_type", "target"):
        if c in df:
            df[c] = df[c].astype(str)
    return df
