"""Draws to Scenarios: the way back from a prior or posterior draw to the simulator.

The parameters and their conventions are :mod:`ccmodels.params`; this module sits above it and
above the simulator's Scenario, which it builds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from ccmodels.data.schema import VALUE_CHAINS
from ccmodels.fields import FIELD_CODECS
from ccmodels.params import MODELS, parameter_samples, pick_samples

if TYPE_CHECKING:
    from ccmodels.simulate.scenario import Scenario

__all__ = ["scenario_draws", "scenario_from_draw"]


def _set(tree: dict[str, Any], path: str, value: Any) -> None:
    *head, last = path.split(".")
    for part in head:
        tree = tree[part]
    tree[last] = value


def _general_form(data: dict[str, Any], base: Scenario, path: str) -> None:
    """Put the predictor at ``path`` of a scenario dict in the general form (the readable
    trends and rates it replaces are cleared). The volume's scale is folded into its rate: a
    draw of the log rate is the log expected count itself."""
    head, _, rest = path.partition(".")
    if head == "volume" and data["volume"]["log_rate"] is None:
        data["volume"] |= {
            "log_rate": base.predictor(path).model_dump(),
            "log_rate_start": None,
            "drift": 0.0,
            "sd": 0.0,
        }
    if head == "volume":
        data["volume"]["scale"] = 1.0
    elif head == "group_size" and data["group_size"][rest] is None:
        data["group_size"] |= {rest: base.predictor(path).model_dump(), f"log_{rest}": None}
    elif head == "chains" and data["chains"]["logit"] is None:
        data["chains"] = {
            "logit": {c: base.predictor(f"chains.logit.{c}").model_dump() for c in VALUE_CHAINS},
            "rw_sd": 0.0,
            "walk_corr": data["chains"].get("walk_corr"),
        }


def scenario_from_draw(draw: xr.Dataset | Sequence[xr.Dataset], base: Scenario) -> Scenario:
    """The Scenario whose truth is ``draw``.

    ``draw`` holds one draw (no chain/draw dims) of any models' parameters. Year effects become
    explicit per-year values (the scenario's years outside them follow the walk with the
    draw's ``sigma_year`` and drift), scales are kept for out-of-sample use, the article, chain
    and trait effects present in the draw replace the base's, and everything the draw does not
    hold (volume, chains, traits, article mix, other models) comes from ``base``. A sequence of
    draws (of different models' parameters, e.g. one per fit) is applied in turn, the Scenario
    checked once at the end.
    """
    from ccmodels.simulate.scenario import Scenario

    data = base.model_dump()
    for one in [draw] if isinstance(draw, xr.Dataset) else draw:
        _apply_draw(data, one, base)
    return Scenario.from_dict(data, source=f"{base.name} (from a draw)")


def _apply_draw(data: dict[str, Any], draw: xr.Dataset, base: Scenario) -> None:
    """Write one draw's parameters into a scenario dict (see :func:`scenario_from_draw`)."""
    names = {str(v) for v in draw.data_vars}
    for spec in (s for m in MODELS.values() for s in m.linear):
        p = spec.prefix
        if f"{p}_intercept" not in names:
            continue
        _general_form(data, base, spec.field)
        node = data
        for part in spec.field.split("."):
            node = node[part]
        node["intercept"] = float(draw[f"{p}_intercept"])
        if f"{p}_year_effect" in names:
            ye = draw[f"{p}_year_effect"]
            node["year_effect"] = {
                int(y): float(v) for y, v in zip(ye["year"].values, ye.values, strict=True)
            }
            node["year_slope"], node["year_dev"] = 0.0, None
            # the fitted walk's own trend continues it: no drift (damping) unless the draw
            # has one, whatever the base's
            node["year_drift"], node["year_damping"] = 0.0, 1.0
            node["sigma_drift"], node["drift_path"] = 0.0, None
        for suffix, dim, attr in (
            ("chain", "value_chain", "chain"),
            ("article", "article", "article"),
            ("beta", "trait", "traits"),
        ):
            if f"{p}_{suffix}" in names:
                da = draw[f"{p}_{suffix}"]
                # NaN: a level the predictor's unit does not admit (see truth)
                node[attr] = dict(node[attr]) | {
                    str(k): float(v)
                    for k, v in zip(da[dim].values, da.values, strict=True)
                    if np.isfinite(v)
                }
        for scale in (
            "sigma_year",
            "year_drift",
            "year_damping",
            "sigma_drift",
            "sigma_chain",
            "sigma_article",
        ):
            if f"{p}_{scale}" in names:
                node[scale] = float(draw[f"{p}_{scale}"])
        if f"{p}_year_slope" in names:  # a local trend: the fitted drift path, walked on
            sl = draw[f"{p}_year_slope"]
            node["drift_path"] = {
                int(y): float(v) for y, v in zip(sl["year_step"].values, sl.values, strict=True)
            }
    for m in MODELS.values():
        for prm in (*m.extra, *(q for qs in (m.options or {}).values() for q in qs)):
            if prm.name not in names:
                continue
            if prm.field in FIELD_CODECS:
                _set(data, prm.field, FIELD_CODECS[prm.field][1](draw[prm.name]))
            else:
                _set(data, prm.field, float(draw[prm.name]))


def scenario_draws(
    fit: xr.DataTree,
    n: int,
    seed: int,
    base: Scenario | None = None,
    group: str = "posterior",
) -> list[Scenario]:
    """``n`` Scenarios from ``n`` draws of a fit's ``posterior`` (or ``prior``) group, picked
    at random with ``seed`` (without replacement while there are enough draws)."""
    from ccmodels.simulate.scenario import Scenario

    if group not in fit.children:
        raise ValueError(f"the fit has no {group!r} group; groups: {', '.join(fit.children)}")
    if not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    base = base if base is not None else Scenario.default()
    st = parameter_samples(fit[group].to_dataset())
    idx = pick_samples(st.sizes["sample"], n, np.random.default_rng(seed))
    return [
        scenario_from_draw(st.isel(sample=int(i)).drop_vars(["sample", "chain", "draw"]), base)
        for i in idx
    ]
