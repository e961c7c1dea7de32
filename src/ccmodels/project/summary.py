"""Summaries of projected worlds: yearly quantities of a population (:func:`summarise`), the
observed values of the fitted years, and the median and interval table (:func:`table`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from ccmodels.data.schema import CHAIN_COLUMNS
from ccmodels.simulate import Population

if TYPE_CHECKING:
    from ccmodels.project import Fit

__all__ = ["summarise", "table"]


_SCALARS = (
    "cases",
    "offenders",
    "mean_group_size",
    "max_group_size",
    "share_3plus",
    "mean_term",
    "probation_share",
)
_OUTCOME_VARS = {"mean_term": "sentence", "probation_share": "probation"}


def summarise(pop: Population, years: np.ndarray) -> dict[str, np.ndarray]:
    """The yearly summaries of one population (see the module docstring); the outcome
    summaries are NaN when the population has no offender table (``cases_only``)."""
    cases, off = pop.cases, pop.offenders
    cy = cases["year"].to_numpy(int)
    n = cases["n_defendants"].to_numpy(float)
    has_off = len(off.columns) > 0
    if has_off:
        oy = off["year"].to_numpy(int)
        term = off["term_months"].to_numpy(float)
        prob = off["probation"].to_numpy(bool)
    out: dict[str, list[Any]] = {k: [] for k in _SCALARS}
    out["chain_share"] = []
    flags = cases[list(CHAIN_COLUMNS)].to_numpy(float)
    for y in years:
        m = cy == y
        k = int(m.sum())
        out["cases"].append(k)
        out["offenders"].append(float(n[m].sum()))
        out["mean_group_size"].append(float(n[m].mean()) if k else np.nan)
        out["max_group_size"].append(float(n[m].max()) if k else np.nan)
        out["share_3plus"].append(float((n[m] >= 3).mean()) if k else np.nan)
        c = (oy == y) & (term > 0) if has_off else np.zeros(0, bool)
        out["mean_term"].append(float(term[c].mean()) if c.any() else np.nan)
        out["probation_share"].append(float(prob[c].mean()) if c.any() else np.nan)
        out["chain_share"].append(
            flags[m].mean(axis=0) if k else np.full(len(CHAIN_COLUMNS), np.nan)
        )
    return {k: np.asarray(v, dtype=float) for k, v in out.items()}


def _observed(trees: list[Fit], years: np.ndarray) -> dict[str, np.ndarray]:
    """The data's own yearly values, from the fits' rows (NaN outside the fitted years)."""
    from ccmodels.models.persistence import fitted_rows

    out: dict[str, np.ndarray] = {}
    for tree, _, _ in trees:
        kind = tree.attrs["model_type"]
        rows: pd.DataFrame = fitted_rows(tree)
        if kind == "case_volume":
            s = rows.set_index("year")["cases"]
            out["observed_cases"] = s.reindex(years).to_numpy(float)
        elif kind == "group_size":
            g = rows.groupby("year")["n_defendants"]
            out["observed_mean_group_size"] = g.mean().reindex(years).to_numpy(float)
            out["observed_max_group_size"] = g.max().reindex(years).to_numpy(float)
            share = rows.assign(big=rows["n_defendants"] >= 3).groupby("year")["big"].mean()
            out["observed_share_3plus"] = share.reindex(years).to_numpy(float)
        elif kind == "value_chain":
            g = rows.groupby("year")[list(CHAIN_COLUMNS)].mean().reindex(years)
            out["observed_chain_share"] = g.to_numpy(float)
    return out


def table(ds: xr.Dataset, prob: float = 0.9) -> pd.DataFrame:
    """A printable table of a projection: median and central ``prob`` interval by year."""
    lo, hi = (1 - prob) / 2, 1 - (1 - prob) / 2
    cols = {}
    for k in _SCALARS:
        if k in ds:
            q = ds[k].quantile([0.5, lo, hi], dim="draw").values
            cols[k] = [f"{m:,.3g} [{a:,.3g}, {b:,.3g}]" for m, a, b in q.T]
    df = pd.DataFrame(cols, index=pd.Index(ds["year"].values, name="year"))
    df.insert(0, "", np.where(ds["observed"].values, "fitted", "projected"))
    return df
