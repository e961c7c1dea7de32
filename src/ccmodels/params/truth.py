"""The truth of a Scenario in the models' parameters (:func:`truth`), and parameters on a
fit's coords (:func:`coords_of`, :func:`on_coords`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import xarray as xr

from ccmodels.data.schema import TRAITS, VALUE_CHAINS
from ccmodels.fields import (
    FIELD_CODECS,
)
from ccmodels.params.registry import AUXILIARY, GROWTH_MODELS, MODELS, OUTCOME_MODELS, LinearSpec

if TYPE_CHECKING:
    from ccmodels.simulate.scenario import Scenario


class HasLatent(Protocol):
    """A simulated population (or its latent part): realised process quantities by name."""

    @property
    def latent(self) -> Mapping[str, Any]: ...


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


def parameter_samples(group: xr.Dataset) -> xr.Dataset:
    """A posterior (or prior) group's parameters, the sampling auxiliaries
    (:data:`~ccmodels.params.registry.AUXILIARY`) left out, stacked to one ``sample`` dim."""
    keep = [v for v in group.data_vars if not str(v).endswith(AUXILIARY)]
    return group[keep].stack(sample=("chain", "draw"))


def pick_samples(total: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` of ``total`` samples at random: without replacement while there are enough."""
    return rng.choice(total, size=n, replace=n > total)
