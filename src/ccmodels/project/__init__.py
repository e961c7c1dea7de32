"""Projection: the simulator driven forward by posterior draws.

``project(fits, to=2030, draws=1000, seed=0)`` takes fits (files, DataTrees or fitted models)
of the growth models (case volume, group size, value chains) and, optionally, the outcome
models (sentence, probation, fine). For each of ``draws`` projected worlds it takes one
posterior draw from every fit (independently: the fits are separate posteriors), turns them
into one Scenario (:func:`ccmodels.draws.scenario_from_draw`: the fitted years get the draw's
year effects, later years continue each walk with the draw's drift and scale) and simulates a
population over the fitted years and the projected ones with :func:`ccmodels.simulate.simulate`.
Parameter uncertainty (the draws), state uncertainty (the walks' future steps) and process
uncertainty (the counts themselves) all propagate.

Growth fits alone need no rows: each world's yearly quantities are drawn exactly from the same
model by :func:`ccmodels.simulate.yearly.draw_yearly` (cost independent of the number of
cases; no world is refused for its size). With an outcome fit the worlds are simulated as
populations (the mean term needs offenders), bounded by ``max_offenders``. Whatever no fit holds (e.g. the article mix,
offender traits) comes from ``base`` (default: the cai2017 scenario).

The summaries by (draw, year): ``cases``, ``offenders``, ``mean_group_size``,
``max_group_size``, ``share_3plus`` (cases with 3 or more defendants), ``chain_share``
(value_chain) and, with outcome fits, ``mean_term`` (months, custodial sentences) and
``probation_share`` (among custodial sentences). The ``observed`` coordinate marks the fitted
years; ``observed_*`` variables hold the data's own values where a fit carries them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import xarray as xr

from ccmodels import params
from ccmodels.data.schema import VALUE_CHAINS
from ccmodels.draws import scenario_from_draw
from ccmodels.models.persistence import fit_tree
from ccmodels.project.summary import _OUTCOME_VARS, _SCALARS, _observed, summarise, table
from ccmodels.simulate import Population, Scenario, simulate
from ccmodels.simulate.population import PopulationTooLarge
from ccmodels.simulate.yearly import draw_yearly, largest
from ccmodels.util import progress_bar

__all__ = ["ProjectionError", "project", "project_populations", "summarise", "table"]

#: default guard on the offenders of one projected world (see ``project_populations``)
MAX_OFFENDERS = 3_000_000

FitLike = xr.DataTree | str | os.PathLike[str] | Any
#: (tree, source, weight) of one fit given to a projection
Fit = tuple[xr.DataTree, str, float]


class ProjectionError(ValueError):
    """Inputs a projection cannot use; the message names the input and the fix."""


def _tree(fit: FitLike) -> tuple[xr.DataTree, str]:
    try:
        return fit_tree(fit)
    except ValueError as exc:  # FitFileError included: one error type for a projection
        raise ProjectionError(str(exc)) from None


def _fits(fits: FitLike | Sequence[FitLike], weights: Sequence[float] | None = None) -> list[Fit]:
    """(tree, source, weight) of every fit. Several fits of one model type are allowed with
    ``weights`` (one per fit): a projected world takes its draw of that model from one of them,
    chosen in proportion to the weights (a stacked combination)."""
    items = [fits] if isinstance(fits, xr.DataTree | str | os.PathLike) else list(fits)
    if not items:
        raise ProjectionError("no fits given")
    if weights is None:
        w = [1.0] * len(items)
    else:
        w = list(weights)
        if len(w) != len(items):
            raise ProjectionError(
                f"weights: {len(w)} given for {len(items)} fits; give one weight per fit"
            )
        for i, x in enumerate(w):
            if (
                isinstance(x, bool)
                or not isinstance(x, int | float | np.number)
                or not np.isfinite(x)
                or x < 0
            ):
                raise ProjectionError(
                    f"weights: entry {i} is {x!r}; weights are finite numbers >= 0"
                )
    out = [(*_tree(f), float(x)) for f, x in zip(items, w, strict=True)]
    seen: dict[str, list[str]] = {}
    for tree, src, _ in out:
        kind = str(tree.attrs.get("model_type"))
        if kind not in params.MODELS:
            raise ProjectionError(f"{src}: not a ccmodels fit (model_type {kind!r})")
        if "posterior" not in tree.children:
            raise ProjectionError(f"{src}: the fit has no posterior group")
        seen.setdefault(kind, []).append(src)
    for kind, srcs in seen.items():
        if len(srcs) > 1 and weights is None:
            raise ProjectionError(
                f"{len(srcs)} {kind} fits given ({', '.join(srcs)}): give one, or weights "
                "(one per fit, e.g. the stacking weights of ccmodels.validate.compare_lfo) "
                "to project their combination"
            )
        if kind in params.OUTCOME_MODELS and len(srcs) > 1:
            raise ProjectionError(
                f"{len(srcs)} {kind} fits given ({', '.join(srcs)}): combinations are for the "
                "growth models; give one"
            )
        total = sum(x for t, _, x in out if str(t.attrs.get("model_type")) == kind)
        if not total > 0:
            raise ProjectionError(f"weights: the {kind} fits' weights sum to 0")
    return out


def _years(trees: list[Fit], to: int) -> tuple[int, int]:
    firsts, lasts = [], []
    for tree, _, _ in trees:
        yrs = params.coords_of(tree).get("year")
        if yrs:
            firsts.append(int(min(yrs)))
            lasts.append(int(max(yrs)))
    if not lasts:
        raise ProjectionError("none of the fits has a year effect to project")
    if isinstance(to, bool) or not isinstance(to, int | np.integer):
        raise ProjectionError(f"the horizon must be a year (an integer), got {to!r}")
    if to < max(lasts):
        raise ProjectionError(
            f"the horizon {to} is before the data's last year {max(lasts)}: project to "
            f"{max(lasts)} or later"
        )
    return min(firsts), int(to)


def _base(base: Scenario | None, first: int, to: int) -> Scenario:
    sc = base if base is not None else Scenario.default()
    try:
        return sc.replace(years=(first, to))
    except ValueError as exc:
        raise ProjectionError(f"the base scenario cannot cover {first}-{to}: {exc}") from None


def _draw_scenarios(
    trees: list[Fit], n: int, rng: np.random.Generator, base: Scenario
) -> tuple[Iterator[Scenario], dict[str, np.ndarray]]:
    """The scenarios of ``n`` worlds, each from one posterior draw of every model; where a
    model has several fits, the fit of each world drawn by weight (the returned components)."""
    groups: dict[str, list[tuple[xr.Dataset, float]]] = {}
    for tree, _, w in trees:
        groups.setdefault(str(tree.attrs["model_type"]), []).append(
            (params.parameter_samples(tree["posterior"].to_dataset()), w)
        )
    comps: dict[str, np.ndarray] = {}
    chosen: list[list[tuple[xr.Dataset, np.ndarray]]] = []
    for kind, members in groups.items():
        comp = np.zeros(n, dtype=int)
        if len(members) > 1:
            share = np.array([x for _, x in members])
            comp = rng.choice(len(members), size=n, p=share / share.sum())
            comps[kind] = comp
        picks = [params.pick_samples(st.sizes["sample"], n, rng) for st, _ in members]
        chosen.append([(members[int(comp[i])][0], picks[int(comp[i])]) for i in range(n)])

    def gen() -> Iterator[Scenario]:
        for i in range(n):
            ones = [
                st.isel(sample=int(idx[i])).drop_vars(["sample", "chain", "draw"])
                for st, idx in (g[i] for g in chosen)
            ]
            yield scenario_from_draw(ones, base)

    return gen(), comps


def project_populations(
    fits: FitLike | Sequence[FitLike],
    to: int,
    draws: int = 1000,
    seed: int = 0,
    base: Scenario | None = None,
    progress: bool | None = None,
    max_offenders: int = MAX_OFFENDERS,
    weights: Sequence[float] | None = None,
) -> Iterator[Population]:
    """The projected case populations themselves, one per draw (see the module docstring).
    Without outcome fits the populations hold the case table only (``offenders`` empty: see
    ``simulate(cases_only=True)``); ``max_offenders`` bounds the rows of each world;
    ``weights`` as in :func:`project`."""
    trees = _fits(fits, weights)
    first, last = _years(trees, to)
    pops, _ = _populations(trees, first, last, draws, seed, base, progress, max_offenders)
    yield from pops


def _populations(
    trees: list[Fit],
    first: int,
    last: int,
    draws: int,
    seed: int,
    base: Scenario | None,
    progress: bool | None,
    max_offenders: int,
) -> tuple[Iterator[Population], dict[str, np.ndarray]]:
    pairs, comps = _worlds(trees, first, last, draws, seed, base)
    # offender tables only when an outcome fit asks for them
    kinds = {str(t.attrs["model_type"]) for t, _, _ in trees}
    cases_only = not kinds & set(params.OUTCOME_MODELS)

    def gen() -> Iterator[Population]:
        bar = progress_bar(pairs, "projecting", progress, total=int(draws))
        for i, (sc, s) in enumerate(bar):
            try:
                yield simulate(sc, s, max_rows=max_offenders, cases_only=cases_only)
            except PopulationTooLarge as exc:
                raise ProjectionError(
                    f"projected world {i} (of {draws}): {exc}. The walks of "
                    f"{last - first + 1} years take some draws this far; project to a nearer "
                    "year, or raise max_offenders (memory: about 1 GB per 3 million offenders)"
                ) from None

    return gen(), comps


def _worlds(
    trees: list[Fit],
    first: int,
    last: int,
    draws: int,
    seed: int,
    base: Scenario | None,
) -> tuple[Iterator[tuple[Scenario, int]], dict[str, np.ndarray]]:
    """(scenario, simulation seed) of every projected world, one posterior draw of every
    model; and, for a model given as several weighted fits, the fit each world took."""
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 1:
        raise ProjectionError(f"draws must be a positive integer, got {draws!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ProjectionError(f"seed must be a non-negative integer, got {seed!r}")
    sc0 = _base(base, first, last)
    pick_seq, sim_seq = np.random.SeedSequence(int(seed)).spawn(2)
    sim_seeds = sim_seq.generate_state(int(draws), dtype=np.uint32)
    scenarios, comps = _draw_scenarios(trees, int(draws), np.random.default_rng(pick_seq), sc0)
    pairs = ((sc, int(s)) for sc, s in zip(scenarios, sim_seeds, strict=True))
    return pairs, comps


def _yearly_rows(
    trees: list[Fit],
    first: int,
    last: int,
    draws: int,
    seed: int,
    base: Scenario | None,
    progress: bool | None,
) -> tuple[list[dict[str, np.ndarray]], dict[str, np.ndarray]]:
    """The growth summaries of every world from :func:`ccmodels.simulate.yearly.draw_yearly`:
    no case table, whatever a world's size."""
    worlds, comps = _worlds(trees, first, last, draws, seed, base)
    got = [
        draw_yearly(sc, s)
        for sc, s in progress_bar(worlds, "projecting", progress, total=int(draws))
    ]
    top = largest(got)
    nan = np.full(last - first + 1, np.nan)
    rows = []
    for d, mx in zip(got, top, strict=True):
        mean = np.divide(d.offenders, d.cases, out=nan.copy(), where=d.cases > 0)
        rows.append(
            {
                "cases": d.cases,
                "offenders": d.offenders,
                "mean_group_size": mean,
                "max_group_size": mx,
                "share_3plus": d.share_3plus,
                "mean_term": nan,
                "probation_share": nan,
                "chain_share": d.chain_share,
            }
        )
    return rows, comps


def project(
    fits: FitLike | Sequence[FitLike],
    to: int,
    draws: int = 1000,
    seed: int = 0,
    base: Scenario | None = None,
    progress: bool | None = None,
    max_offenders: int = MAX_OFFENDERS,
    weights: Sequence[float] | None = None,
) -> xr.Dataset:
    """Project case volume, group size and value-chain composition (and, with outcome fits,
    mean prison term and probation share) to the year ``to``: an ``xarray.Dataset`` over
    (draw, year), the fitted years beside the projected ones (see the module docstring).
    The same fits, horizon, draws and seed give the same numbers.

    ``weights`` (one per fit) lets a growth model be given as several fits, e.g. the constant
    and the damped trend of case volume with their stacking weights from
    :func:`ccmodels.validate.compare_lfo`: each world takes its draw of that model from one of
    the fits, chosen in proportion to the weights, so the projection is the weighted mixture
    of their predictive distributions. The variable ``<model>_fit`` (draw) records which fit
    each world took (its ``sources`` attribute names them, ``weights`` gives the weights)."""
    trees = _fits(fits, weights)
    first, last = _years(trees, to)
    years = np.arange(first, last + 1)
    kinds = {str(t.attrs["model_type"]) for t, _, _ in trees}
    if kinds & set(params.OUTCOME_MODELS):
        pops, comps = _populations(trees, first, last, draws, seed, base, progress, max_offenders)
        rows = [summarise(p, years) for p in pops]
    else:
        rows, comps = _yearly_rows(trees, first, last, draws, seed, base, progress)
    fitted = sorted({int(y) for t, _, _ in trees for y in params.coords_of(t).get("year", [])})
    coords = {
        "draw": np.arange(len(rows)),
        "year": years,
        "observed": ("year", np.isin(years, fitted)),
        "value_chain": list(VALUE_CHAINS),
    }
    data: dict[str, Any] = {}
    for k in _SCALARS:
        if k in _OUTCOME_VARS and _OUTCOME_VARS[k] not in kinds:
            continue
        data[k] = (("draw", "year"), np.stack([r[k] for r in rows]))
    data["chain_share"] = (
        ("draw", "year", "value_chain"),
        np.stack([r["chain_share"] for r in rows]),
    )
    ds = xr.Dataset(data, coords=coords)
    for name, values in _observed(trees, years).items():
        ds[name] = ("year", values) if values.ndim == 1 else (("year", "value_chain"), values)
    for kind, comp in comps.items():
        members = [(src, w) for t, src, w in trees if t.attrs["model_type"] == kind]
        total = sum(w for _, w in members)
        ds[f"{kind}_fit"] = xr.DataArray(
            comp,
            dims="draw",
            attrs={
                "sources": ", ".join(src for src, _ in members),
                "weights": ", ".join(f"{w / total:.3g}" for _, w in members),
            },
        )
    ds.attrs.update(
        horizon=int(last), draws=len(rows), seed=int(seed), fits=",".join(sorted(kinds))
    )
    return ds
