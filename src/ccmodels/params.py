"""The one parameterisation shared by the priors, the simulator and the posteriors.

Each model's parameters are declared here once: name, dims and the Scenario field each maps to.
The model graphs create exactly these variables (plus sampling auxiliaries whose names end in
one of :data:`AUXILIARY`), the simulator reports its truth in them, and any draw of them (prior
or posterior) turns back into a Scenario whose simulated truth is that draw
(:mod:`ccmodels.draws`, a layer above this one and the simulator's).

Conventions (one for all consumers)
-----------------------------------
A linear predictor with prefix ``p`` is ``p_intercept + p_year_effect[year] + chains @ p_chain
+ p_article[article] + traits @ p_beta``, where

- ``p_year_effect`` sums to zero over the ``year`` coords (the intercept is the average over
  years); its steps are ``Normal(p_year_drift, p_sigma_year)`` (drift 0 unless the model has
  the ``year_drift`` option);
- ``p_article`` sums to zero over the ``article`` coords: every article of the data contract
  that the model's unit admits by law (all of them; for the fine parts, those whose article
  allows a fine for individuals), whether or not the data hold it. The intercept is the
  unweighted average over those articles. (Levels of another grouping column, e.g. charges in
  real data, are the levels present in the data.) ``p_sigma_article`` is their pooling scale;
- ``p_chain`` (value-chain membership flags) and ``p_beta`` (offender traits) are plain
  coefficients against "no chain" and "no trait"; ``p_sigma_chain`` pools the chains.

The linear predictor itself is defined once, by :func:`linear`: the same function evaluates it
on PyTensor variables (the model graph) and on NumPy draws of shape ``(sample, ...)``
(prediction, projection and the simulator).

Out-of-sample rules (NumPy side, :func:`extend`): a year after (before) the covered years
continues the walk forward (backward) with steps ``Normal(drift, sigma_year)`` (a damped trend:
the drift of step ``k`` from the first year is ``drift * year_damping**k``; a local linear
trend: the drift walks on from the last fitted step's with steps ``Normal(0, sigma_drift)``,
and backward keeps the first step's); a level of the
grouping column without an effect gets a fresh ``Normal(0, sigma_article)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd
import xarray as xr

from ccmodels import law
from ccmodels.data.schema import CHAIN_COLUMNS, TRAITS, VALUE_CHAINS
from ccmodels.fields import (
    BREAK_SHIFTS,
    FIELD_CODECS,
    break_covariates,
)

if TYPE_CHECKING:
    from ccmodels.simulate.scenario import Scenario


class HasLatent(Protocol):
    """A simulated population (or its latent part): realised process quantities by name."""

    @property
    def latent(self) -> Mapping[str, Any]: ...


__all__ = [
    "AUXILIARY",
    "BREAK_SHIFTS",
    "LinearData",
    "LinearSpec",
    "ModelParams",
    "Param",
    "break_covariates",
    "coords_of",
    "extend",
    "linear",
    "linear_data",
    "model_parameters",
    "on_coords",
    "truth",
]

#: Name endings of sampling auxiliaries (non-centred innovations, raw pieces): not parameters.
AUXILIARY = ("_z", "_raw", "_year_step", "_rich")

#: block -> (suffix, dims, Scenario Predictor field) of its parameters
BLOCK_PARAMS: dict[str, tuple[tuple[str, tuple[str, ...], str], ...]] = {
    "intercept": (("intercept", (), "intercept"),),
    "year": (("year_effect", ("year",), "year_effect"), ("sigma_year", (), "sigma_year")),
    "drift": (("year_drift", (), "year_drift"),),
    "damping": (("year_damping", (), "year_damping"),),
    "drift_walk": (
        ("sigma_drift", (), "sigma_drift"),
        ("year_slope", ("year_step",), "drift_path"),
    ),
    "chain": (("chain", ("value_chain",), "chain"), ("sigma_chain", (), "sigma_chain")),
    "article": (("article", ("article",), "article"), ("sigma_article", (), "sigma_article")),
    "trait": (("beta", ("trait",), "traits"),),
}
#: coords dim that switches a block on
BLOCK_DIM = {"year": "year", "chain": "value_chain", "article": "article", "trait": "trait"}


@dataclass(frozen=True)
class Param:
    """One parameter: its variable name, dims and the Scenario field (dotted path) it maps to."""

    name: str
    dims: tuple[str, ...]
    field: str


@dataclass(frozen=True)
class LinearSpec:
    """A linear predictor: its prefix, the Scenario predictor it maps to (dotted path), the
    articles its unit admits (``"all"``, or ``"fine"``: those allowing a fine) and the blocks
    (coords dims) it can have at most (a model's effects switch them off further)."""

    prefix: str
    field: str
    articles: str = "all"
    dims: tuple[str, ...] = ("year", "value_chain", "article", "trait")

    def article_levels(self) -> list[str]:
        if "article" not in self.dims:
            return []
        if self.articles == "fine":
            return [a for a in law.ARTICLES if law.fine_allowed(np.array([a]))[0]]
        return list(law.ARTICLES)

    def on(self, coords: Mapping[str, Any]) -> dict[str, Any]:
        """The coords of this predictor's blocks among ``coords``."""
        return {k: v for k, v in coords.items() if k in self.dims}


@dataclass(frozen=True)
class ModelParams:
    """The parameters of one model type: its linear predictors and its other parameters.

    ``options`` maps an option name (a model effect that is true, e.g. ``student_t``) to the
    extra parameters it adds.
    """

    model: str
    linear: tuple[LinearSpec, ...]
    extra: tuple[Param, ...] = ()
    options: Mapping[str, tuple[Param, ...]] | None = None


MODELS: dict[str, ModelParams] = {
    "sentence": ModelParams(
        "sentence",
        (LinearSpec("term", "sentence"),),
        (
            Param("term_sigma", (), "sentence.sigma"),
            Param("term_sigma_case", (), "sentence.sigma_case"),
        ),
        {"student_t": (Param("term_nu", (), "sentence.nu"),)},
    ),
    "disposition": ModelParams(
        "disposition",
        (
            LinearSpec("disp_exempt", "disposition.exempt"),
            LinearSpec("disp_fine_only", "disposition.fine_only"),
        ),
        (Param("disp_sigma_case", (), "disposition.sigma_case"),),
    ),
    "probation": ModelParams(
        "probation",
        (LinearSpec("prob", "probation"),),
        (
            Param("prob_log_term", (), "probation.log_term"),
            Param("prob_sigma_case", (), "probation.sigma_case"),
        ),
    ),
    "fine": ModelParams(
        "fine",
        (LinearSpec("fine_amount", "fine.amount", "fine"),),
        (
            Param("fine_amount_sigma", (), "fine.sigma"),
            Param("fine_amount_sigma_case", (), "fine.sigma_case"),
        ),
    ),
    "group_size": ModelParams(
        "group_size",
        (
            LinearSpec("size_mu", "group_size.mu", dims=("year", "value_chain")),
            LinearSpec("size_alpha", "group_size.alpha", dims=("year",)),
        ),
    ),
    "case_volume": ModelParams(
        "case_volume",
        (LinearSpec("volume", "volume.log_rate", dims=("year",)),),
        (Param("volume_dispersion", (), "volume.dispersion"),),
        # known breaks (effect ``breaks``): shifts of the log rate or of its drift at dates
        {"breaks": (Param("volume_break", ("break",), "volume.breaks"),)},
    ),
    "value_chain": ModelParams(
        "value_chain",
        tuple(LinearSpec(f"vc_{c}", f"chains.logit.{c}", dims=("year",)) for c in VALUE_CHAINS),
        (),
        # correlated walks (effect ``walk_correlation``): the correlation of the chains' steps
        {
            "walk_correlation": (
                Param("vc_walk_corr", ("value_chain", "value_chain_to"), "chains.walk_corr"),
            )
        },
    ),
}
#: the models of the growth of cases (volume, group size, value-chain composition)
GROWTH_MODELS = ("group_size", "case_volume", "value_chain")
#: the models of the sentences (offender level)
OUTCOME_MODELS = ("disposition", "sentence", "probation", "fine")


def register(spec: ModelParams) -> ModelParams:
    """Declare the parameters of a further model type (case- or year-level models)."""
    MODELS[spec.model] = spec
    return spec


def linear_spec(prefix: str) -> LinearSpec:
    for m in MODELS.values():
        for s in m.linear:
            if s.prefix == prefix:
                return s
    raise KeyError(f"no linear predictor with prefix {prefix!r}")


def blocks_on(
    coords: Mapping[str, Any], drift: bool = False, damped: bool = False, local: bool = False
) -> list[str]:
    """The blocks a linear predictor has on these coords."""
    on = ["intercept"] + [b for b, dim in BLOCK_DIM.items() if dim in coords]
    if drift and "year" in on:
        on.insert(2, "drift")
        if damped:
            on.insert(3, "damping")
        if local:
            on.insert(3, "drift_walk")
    return on


def linear_parameters(
    prefix: str,
    coords: Mapping[str, Any],
    drift: bool = False,
    damped: bool = False,
    local: bool = False,
) -> list[Param]:
    """The parameters of one linear predictor on these coords."""
    field = linear_spec(prefix).field
    return [
        Param(f"{prefix}_{suffix}", dims, f"{field}.{attr}")
        for block in blocks_on(coords, drift, damped, local)
        for suffix, dims, attr in BLOCK_PARAMS[block]
    ]


def model_parameters(
    model: str, coords: Mapping[str, Any], options: Iterable[str] = ()
) -> list[Param]:
    """Every parameter a model of this type has on these coords with these options (a model
    effect that is on: ``year_drift``, ``year_damping``, ``year_local_trend``,
    ``student_t``)."""
    spec = MODELS[model]
    opts = set(options)
    out = [
        p
        for s in spec.linear
        for p in linear_parameters(
            s.prefix,
            s.on(coords),
            "year_drift" in opts,
            "year_damping" in opts,
            "year_local_trend" in opts,
        )
    ]
    out += list(spec.extra)
    for name, extra in (spec.options or {}).items():
        if name in opts:
            out += list(extra)
    return out


# --------------------------------------------------------------------------- the predictor
@dataclass(frozen=True)
class LinearData:
    """Row covariates of a linear predictor, indexed on a set of coords.

    ``year_idx`` and ``art_idx`` index the ``year`` and ``article`` coords (``-1``: a level
    outside them); ``chains`` and ``traits`` are (rows, levels) 0/1 matrices over the
    ``value_chain`` and ``trait`` coords. A block whose coords are absent is ``None``.
    """

    n: int
    year_idx: np.ndarray | None = None
    chains: np.ndarray | None = None
    art_idx: np.ndarray | None = None
    traits: np.ndarray | None = None

    def only(self, dims: Sequence[str]) -> LinearData:
        """The same rows without the blocks outside ``dims``."""
        return LinearData(
            self.n,
            self.year_idx if "year" in dims else None,
            self.chains if "value_chain" in dims else None,
            self.art_idx if "article" in dims else None,
            self.traits if "trait" in dims else None,
        )

    def subset(self, m: np.ndarray) -> LinearData:
        def s(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[m]

        return LinearData(
            int(np.count_nonzero(m) if m.dtype == bool else len(m)),
            s(self.year_idx),
            s(self.chains),
            s(self.art_idx),
            s(self.traits),
        )

    def distinct(self, *extra: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows with the same covariates (and the same ``extra`` values): ``(first, inverse)``
        with ``rows == first[inverse]`` in covariate terms, so that a function of the linear
        predictor need be computed once per distinct row (``f(eta[:, first])[:, inverse]``)."""
        parts = [
            a.reshape(self.n, -1)
            for a in (self.year_idx, self.chains, self.art_idx, self.traits, *extra)
            if a is not None
        ]
        if not parts:
            return np.zeros(min(self.n, 1), np.int64), np.zeros(self.n, np.int64)
        key = np.hstack([np.asarray(p, dtype=float) for p in parts])
        _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
        return first, inverse.reshape(-1)

    def matrix(self, coords: Mapping[str, Sequence[Any]]) -> np.ndarray:
        """The same predictor as a design matrix ``X`` (rows, coefficients): intercept, year
        one-hot, chain flags, article one-hot, traits, matching :func:`stack`."""
        cols = [np.ones((self.n, 1))]
        if self.year_idx is not None:
            cols.append(np.eye(len(coords["year"]))[self.year_idx])
        if self.chains is not None:
            cols.append(self.chains)
        if self.art_idx is not None:
            cols.append(np.eye(len(coords["article"]))[self.art_idx])
        if self.traits is not None:
            cols.append(self.traits)
        return np.hstack(cols)


def linear_data(
    rows: pd.DataFrame, coords: Mapping[str, Sequence[Any]], article_column: str = "article"
) -> LinearData:
    """Index a table's rows on ``coords`` (the blocks present in ``coords`` only)."""
    n = len(rows)
    year_idx = chains = art_idx = traits = None
    if "year" in coords:
        pos = {int(y): i for i, y in enumerate(coords["year"])}
        year_idx = np.array([pos.get(int(y), -1) for y in rows["year"]], dtype=np.int64)
    if "value_chain" in coords:
        cols = [CHAIN_COLUMNS[VALUE_CHAINS.index(c)] for c in coords["value_chain"]]
        chains = rows[cols].to_numpy(dtype=float).reshape(n, len(cols))
    if "article" in coords:
        apos = {str(a): i for i, a in enumerate(coords["article"])}
        vals = rows[article_column].astype(str).to_numpy()
        art_idx = np.array([apos.get(a, -1) for a in vals], dtype=np.int64)
    if "trait" in coords:
        tcols = list(coords["trait"])
        traits = rows[tcols].to_numpy(dtype=float).reshape(n, len(tcols))
    return LinearData(n, year_idx, chains, art_idx, traits)


def linear(values: Mapping[str, Any], prefix: str, x: LinearData) -> Any:
    """The linear predictor, evaluated on whatever ``values`` hold.

    ``values`` maps parameter names to PyTensor variables (the model graph: result (rows,)) or to
    NumPy draws with a leading sample axis (result (samples, rows)), or to single values
    (result (rows,)). The one definition of the predictor: every consumer calls it.
    """
    eta = values[f"{prefix}_intercept"][..., None]
    blocks = 0
    if x.year_idx is not None:
        eta = eta + values[f"{prefix}_year_effect"][..., x.year_idx]
        blocks += 1
    if x.chains is not None:
        eta = eta + values[f"{prefix}_chain"] @ x.chains.T
        blocks += 1
    if x.art_idx is not None:
        eta = eta + values[f"{prefix}_article"][..., x.art_idx]
        blocks += 1
    if x.traits is not None:
        eta = eta + values[f"{prefix}_beta"] @ x.traits.T
        blocks += 1
    # the rows' length comes from the covariates (a graph's data may change length later);
    # an intercept alone is spread over the n rows
    return eta + np.zeros(x.n) if not blocks else eta


def stack_names(prefix: str, x: LinearData) -> list[str]:
    """Names of the coefficient blocks of :meth:`LinearData.matrix`, in column order."""
    names = [f"{prefix}_intercept"]
    for attr, suffix in (
        ("year_idx", "year_effect"),
        ("chains", "chain"),
        ("art_idx", "article"),
        ("traits", "beta"),
    ):
        if getattr(x, attr) is not None:
            names.append(f"{prefix}_{suffix}")
    return names


def extend(
    values: Mapping[str, np.ndarray],
    prefix: str,
    coords: Mapping[str, Sequence[Any]],
    new_coords: Mapping[str, Sequence[Any]],
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Draws of one predictor's effects re-expressed on ``new_coords`` by the out-of-sample
    rules (see the module docstring). Draws have a leading sample axis."""
    out = dict(values)
    name = f"{prefix}_year_effect"
    if "year" in new_coords and name in values:
        old = [int(y) for y in coords["year"]]
        eff = np.asarray(values[name], dtype=float)
        s = eff.shape[0]
        sig = np.asarray(values[f"{prefix}_sigma_year"], dtype=float).reshape(s, 1)
        drift = np.asarray(values.get(f"{prefix}_year_drift", np.zeros(s)), float).reshape(s, 1)
        phi = np.asarray(values.get(f"{prefix}_year_damping", np.ones(s)), float).reshape(s, 1)
        new = [int(y) for y in new_coords["year"]]
        n_hi = max(max(new) - old[-1], 0)
        n_lo = max(old[0] - min(new), 0)
        # the step into year old[-1] + j is the walk's step number len(old) - 2 + j
        gain = phi ** (len(old) - 2 + np.arange(1, n_hi + 1))[None, :]
        z_hi, z_lo = rng.normal(0, 1, (s, n_hi)), rng.normal(0, 1, (s, n_lo))
        fwd_drift, bwd_drift = np.asarray(drift * gain, float), np.asarray(drift, float)
        slope = values.get(f"{prefix}_year_slope")
        if slope is not None:  # a local trend: the drift walks on from the last fitted step
            slope = np.asarray(slope, float).reshape(s, -1)
            sd = np.asarray(values[f"{prefix}_sigma_drift"], float).reshape(s, 1)
            walk = np.cumsum(rng.normal(0, 1, (s, n_hi)), axis=1)
            fwd_drift, bwd_drift = slope[:, -1:] + sd * walk, slope[:, :1]
        fwd = eff[:, -1:] + np.cumsum(fwd_drift + sig * z_hi, 1)
        bwd = eff[:, :1] - np.cumsum(bwd_drift + sig * z_lo, 1)
        full = np.concatenate([bwd[:, ::-1], eff, fwd], axis=1)
        out[name] = full[:, [y - (old[0] - n_lo) for y in new]]
    name = f"{prefix}_article"
    if "article" in new_coords and name in values:
        art = np.asarray(values[name], dtype=float)
        pos = {str(a): i for i, a in enumerate(coords["article"])}
        fresh = [a for a in new_coords["article"] if str(a) not in pos]
        sig_a = np.asarray(values[f"{prefix}_sigma_article"], dtype=float).reshape(-1, 1)
        extra = rng.normal(0, 1, (art.shape[0], len(fresh))) * sig_a
        full = np.concatenate([art, extra], axis=1)
        pos |= {a: len(pos) + i for i, a in enumerate(fresh)}
        out[name] = full[:, [pos[str(a)] for a in new_coords["article"]]]
    for dim, suffix in (("value_chain", "chain"), ("trait", "beta")):
        name = f"{prefix}_{suffix}"
        if dim in new_coords and name in values:
            pos = {str(a): i for i, a in enumerate(coords[dim])}
            arr = np.asarray(values[name], dtype=float)
            cols = [
                arr[:, pos[str(k)]] if str(k) in pos else np.zeros(len(arr))
                for k in new_coords[dim]
            ]
            out[name] = np.stack(cols, axis=1).reshape(len(arr), len(cols))
    return out


# --------------------------------------------------------------------------- truth
def field_value(obj: Any, path: str) -> Any:
    """The value at a dotted path of a Scenario (``"fine.amount.intercept"``)."""
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def full_coords(scenario: Scenario, spec: LinearSpec) -> dict[str, list[Any]]:
    """The coords of a linear predictor's truth: the scenario's years, the articles its unit
    admits, every value chain and trait."""
    return spec.on(
        {
            "year": [int(y) for y in scenario.year_values()],
            "value_chain": list(VALUE_CHAINS),
            "article": spec.article_levels(),
            "trait": list(TRAITS),
        }
    )


def predictor_truth(
    scenario: Scenario,
    spec: LinearSpec,
    year_values: np.ndarray | None = None,
    slope_values: np.ndarray | None = None,
) -> dict[str, xr.DataArray]:
    """One predictor's parameters in the conventions above, on :func:`full_coords` (its own
    blocks only).

    ``year_values`` are the realised (uncentred) year effects of the scenario years (the
    simulator draws those the scenario leaves to its walk); by default the scenario's own.
    ``slope_values``: the realised drift of each year's step (a local trend's walk), by default
    the scenario's own (:meth:`Predictor.drift_vector` without innovations).
    """
    pred = scenario.predictor(spec.field)
    c = full_coords(scenario, spec)
    years = np.asarray(c["year"])
    yv = pred.year_vector(years) if year_values is None else np.asarray(year_values, float)
    av = np.array([pred.article.get(a, 0.0) for a in c.get("article", [])])
    a_mean = float(av.mean()) if len(av) else 0.0
    p = spec.prefix
    out = {
        f"{p}_intercept": xr.DataArray(pred.intercept + yv.mean() + a_mean),
        f"{p}_year_effect": xr.DataArray(yv - yv.mean(), dims="year", coords={"year": years}),
        f"{p}_year_drift": xr.DataArray(float(pred.year_drift)),
        f"{p}_year_damping": xr.DataArray(float(pred.year_damping)),
        f"{p}_sigma_drift": xr.DataArray(float(pred.sigma_drift)),
    }
    if len(years) > 1:
        sv = pred.drift_vector(years) if slope_values is None else np.asarray(slope_values)
        out[f"{p}_year_slope"] = xr.DataArray(
            np.asarray(sv, float)[-(len(years) - 1) :],
            dims="year_step",
            coords={"year_step": years[1:]},
        )
    if "value_chain" in c:
        out[f"{p}_chain"] = xr.DataArray(
            [pred.chain.get(k, 0.0) for k in VALUE_CHAINS],
            dims="value_chain",
            coords={"value_chain": c["value_chain"]},
        )
    if "article" in c:
        out[f"{p}_article"] = xr.DataArray(
            av - a_mean, dims="article", coords={"article": c["article"]}
        )
    if "trait" in c:
        out[f"{p}_beta"] = xr.DataArray(
            [pred.traits.get(t, 0.0) for t in TRAITS], dims="trait", coords={"trait": c["trait"]}
        )
    for scale, dim in (
        ("sigma_year", "year"),
        ("sigma_chain", "value_chain"),
        ("sigma_article", "article"),
    ):
        if dim in c and getattr(pred, scale) is not None:
            out[f"{p}_{scale}"] = xr.DataArray(float(getattr(pred, scale)))
    return out


def truth(
    scenario: Scenario,
    population: HasLatent | None = None,
    models: Sequence[str] | None = None,
) -> xr.Dataset:
    """The truth Dataset of a scenario (and of the population simulated from it).

    Outcome-model parameters in the conventions above on the full coords (see
    :func:`full_coords`; :func:`on_coords` expresses them on a fit's coords), plus the
    realised process quantities the population carries (yearly log case rate, chain shares,
    group-size mean and shape). Article effects share one ``article`` coord: a predictor whose
    unit does not admit an article (the fine parts: 285-1, 286) has NaN there. Without a
    population, year effects that the scenario leaves
    to its walk are not defined and are an error. ``models`` restricts the parameters to
    those models' (default: all).
    """
    latent: Mapping[str, Any] = population.latent if population is not None else {}
    d: dict[str, xr.DataArray] = {}
    models = (*OUTCOME_MODELS, *GROWTH_MODELS) if models is None else tuple(models)
    for spec in (s for m in models for s in MODELS[m].linear):
        d |= predictor_truth(
            scenario,
            spec,
            latent.get(f"year_effect/{spec.field}"),
            latent.get(f"year_slope/{spec.field}"),
        )
    for m in models:
        spec_m = MODELS[m]
        for prm in (*spec_m.extra, *(q for qs in (spec_m.options or {}).values() for q in qs)):
            value = field_value(scenario, prm.field)
            if prm.field in FIELD_CODECS:
                da = FIELD_CODECS[prm.field][0](value)
                if da is not None:
                    d[prm.name] = da
            elif value is not None:
                d[prm.name] = xr.DataArray(float(value))
    years = scenario.year_values()
    yc = {"year": years}
    for key, name, dims in (
        ("log_rate", "volume_log_rate", ("year",)),
        ("chain_share", "chain_share", ("year", "value_chain")),
    ):
        if key in latent:
            coords = yc | ({"value_chain": list(VALUE_CHAINS)} if len(dims) > 1 else {})
            d[name] = xr.DataArray(latent[key], dims=dims, coords=coords)
    return xr.Dataset(d)


def coords_of(fit: xr.DataTree | xr.Dataset) -> dict[str, list[Any]]:
    """The level coords (year, value_chain, article, trait) of a fit's posterior or prior."""
    if isinstance(fit, xr.DataTree):
        group = "posterior" if "posterior" in fit.children else "prior"
        ds = fit[group].to_dataset()
    else:
        ds = fit
    return {
        k: [v.item() if hasattr(v, "item") else v for v in ds[k].values]
        for k in ("year", "value_chain", "article", "trait")
        if k in ds.coords
    }


def on_coords(truth_ds: xr.Dataset, coords: Mapping[str, Sequence[Any]]) -> xr.Dataset:
    """The truth expressed on other coords by the same conventions: year and article effects
    summed to zero over the given levels (the intercept takes their mean), everything else
    selected on them. The identity when the coords are those of the truth."""
    out: dict[str, xr.DataArray] = {}
    for name, da in truth_ds.data_vars.items():
        if "year_step" in da.dims and "year" in coords:  # a step per year after the first
            have_s = [int(v) for v in da["year_step"].values]
            want_s = [int(v) for v in list(coords["year"])[1:]]
            if sorted(set(want_s) - set(have_s)):
                raise ValueError(f"{name}: the truth has no value for year steps {want_s}")
            da = da.isel(year_step=[have_s.index(w) for w in want_s])
        for dim in (d for d in ("year", "value_chain", "article", "trait") if d in da.dims):
            if dim not in coords:
                continue
            have = [str(v) for v in da[dim].values]
            want = [str(v) for v in coords[dim]]
            missing = sorted(set(want) - set(have))
            if missing:
                raise ValueError(f"{name}: the truth has no value for {dim} {missing}")
            da = da.isel({dim: [have.index(w) for w in want]})
        out[str(name)] = da
    for name in list(out):
        if not name.endswith("_intercept"):
            continue
        p = name[: -len("_intercept")]
        for dim, suffix in (("year", "year_effect"), ("article", "article")):
            eff = f"{p}_{suffix}"
            if dim in coords and eff in out:
                mean = float(out[eff].mean())
                out[eff] = out[eff] - mean
                out[name] = out[name] + mean
    return xr.Dataset(out, attrs=truth_ds.attrs)
