"""Parameter recovery: compare a posterior with the simulator's truth, element by element.

Truth and posterior share one parameterisation (:mod:`ccmodels.params`): the truth is
expressed on the fit's coords by the same conventions (:func:`ccmodels.params.on_coords`,
the identity when the fit covers every level) and compared parameter by parameter over every
parameter the model declares. Nothing is re-centred or recomputed to match.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import xarray as xr

from ccmodels import params
from ccmodels.models.base import Draws

__all__ = ["aligned_truth", "chance_coverage", "recovery_table", "truth_params"]


def _options(fit: xr.DataTree) -> list[str]:
    """The parameter options of the fitted model, as the model itself states them."""
    from ccmodels.models.registry import MODELS

    config = json.loads(fit.attrs["config_json"])
    return MODELS[fit.attrs["model_type"]].from_config(config).options()


def aligned_truth(truth: xr.Dataset, fit: xr.DataTree) -> xr.Dataset:
    """The true values of every parameter the fitted model declares, on the fit's coords.

    Raises
    ------
    KeyError
        If the truth lacks a parameter of the model (e.g. a scale the scenario does not set).
    """
    coords = params.coords_of(fit)
    declared = params.model_parameters(fit.attrs["model_type"], coords, _options(fit))
    t = params.on_coords(truth, coords)
    missing = [p.name for p in declared if p.name not in t]
    if missing:
        raise KeyError(f"the truth has no value for {missing}: set them in the scenario")
    return t[[p.name for p in declared]]


def truth_params(truth: xr.Dataset, fit: xr.DataTree) -> Draws:
    """Aligned truth as a one-sample draws dict (for a model's numpy predictions)."""
    t = aligned_truth(truth, fit)
    return Draws(
        {str(k): np.asarray(v.values)[None, ...] for k, v in t.data_vars.items()},
        params.coords_of(fit),
    )


def recovery_table(
    truth: xr.Dataset, fit: xr.DataTree, probs: tuple[float, ...] = (0.9, 0.999)
) -> pd.DataFrame:
    """One line per parameter element: truth, posterior mean, and whether each central
    interval in ``probs`` contains the truth (columns ``inside_90``, ``inside_99.9``)."""
    t = aligned_truth(truth, fit)
    posterior = fit["posterior"].to_dataset()
    rows = []
    for name, tv in t.data_vars.items():
        draws = posterior[name].stack(sample=("chain", "draw"))
        for idx in np.ndindex(tv.shape):
            sel = dict(zip(tv.dims, idx, strict=True))
            true = float(tv.isel(sel).values)
            d = np.asarray(draws.isel(sel).values, dtype=float)
            label = str(name) + (
                "[" + ",".join(str(tv[dim].values[i]) for dim, i in sel.items()) + "]"
                if sel
                else ""
            )
            rec = {
                "parameter": label,
                "true": true,
                "mean": float(d.mean()),
                "sd": float(d.std()),
                "quantile_of_truth": float((d < true).mean()),
            }
            for pr in probs:
                lo, hi = np.quantile(d, [(1 - pr) / 2, 1 - (1 - pr) / 2])
                rec[f"inside_{pr * 100:g}"] = bool(lo <= true <= hi)
            rows.append(rec)
    return pd.DataFrame(rows).set_index("parameter")


def chance_coverage(
    truth: xr.Dataset,
    fit: xr.DataTree,
    prob: float = 0.9,
    n: int = 2000,
    seed: int = 0,
    scalars: bool = False,
) -> np.ndarray:
    """The share of elements inside their central ``prob`` intervals that a calibrated
    posterior gives by chance: for ``n`` posterior draws taken as if each were the truth, the
    share of that draw's elements (those of :func:`recovery_table`) inside the intervals.

    The elements of one fit are correlated (year effects share the intercept and the walk,
    effects of one block share their scale), so this spread is wider than Binomial(k, prob)
    and its low quantiles are the coverage a single fit reaches by chance. ``scalars=True``
    counts the scalar parameters only (intercepts, scales, drifts).
    """
    t = aligned_truth(truth, fit)
    if scalars:
        t = t[[k for k, v in t.data_vars.items() if v.ndim == 0]]
    post = fit["posterior"].to_dataset()
    cols = []
    for name, tv in t.data_vars.items():
        d = post[name].stack(sample=("chain", "draw")).transpose("sample", *tv.dims)
        cols.append(np.asarray(d.values, dtype=float).reshape(d.shape[0], -1))
    x = np.concatenate(cols, axis=1)
    lo, hi = np.quantile(x, [(1 - prob) / 2, 1 - (1 - prob) / 2], axis=0)
    pick = np.random.default_rng(seed).choice(x.shape[0], size=min(n, x.shape[0]), replace=False)
    return ((x[pick] >= lo) & (x[pick] <= hi)).mean(axis=1)
