"""Convergence verdicts, parameter tables and PSIS-LOO summaries from a fit's DataTree.

The convergence rule (thresholds, verdict, worst parameters) is
:mod:`ccmodels.models.convergence`, the one the CLI and the demo apply too; it is re-exported
here for the report.

Pareto k bins (Vehtari et al. 2024, loo >= 2.7): good below ``min(1 - 1/log10(S), 0.7)`` for
``S`` posterior draws; ok from there to 0.7 (only possible when ``S < 2200``; loo calls it bad,
the estimate is noisier); bad from 0.7 to 1; very bad above 1.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from ccmodels.models.convergence import (
    THRESHOLDS,
    Convergence,
    convergence,
    ebfmi,
    parameter_names,
)

__all__ = [
    "THRESHOLDS",
    "Convergence",
    "LooSummary",
    "compare_loo",
    "convergence",
    "ebfmi",
    "loo_summary",
    "parameter_names",
    "parameter_table",
    "pointwise_log_likelihood",
    "worst_rhat_draws",
]


def parameter_table(dt: xr.DataTree, prob: float = 0.95) -> pd.DataFrame:
    """Posterior mean, sd, central ``prob`` interval, R-hat and ESS of every parameter except
    the ``_z`` innovations; index ``name[coord]``."""
    s = az.summary(
        dt,
        var_names=parameter_names(dt),
        ci_prob=prob,
        ci_kind="eti",
        round_to="none",
    )
    df = pd.DataFrame(s)
    lo = next(c for c in df.columns if str(c).endswith("_lb"))
    hi = next(c for c in df.columns if str(c).endswith("_ub"))
    out = df.rename(columns={lo: "lower", hi: "upper"})
    cols = ["mean", "sd", "lower", "upper", "r_hat", "ess_bulk", "ess_tail"]
    return out[cols].astype(float)


@dataclass
class LooSummary:
    """PSIS-LOO estimate and Pareto-k bins (``None`` fields with ``error`` when unavailable)."""

    elpd: float | None = None
    se: float | None = None
    p_loo: float | None = None
    n_obs: int = 0
    n_samples: int = 0
    unit: str = "observation"
    good_k: float | None = None
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    elpd_data: Any = None

    def to_json(self) -> dict[str, Any]:
        return {
            "elpd": self.elpd,
            "se": self.se,
            "p_loo": self.p_loo,
            "n_obs": self.n_obs,
            "unit": self.unit,
            "good_k_threshold": self.good_k,
            "pareto_k": dict(self.counts),
            "error": self.error,
        }


def pointwise_log_likelihood(dt: xr.DataTree) -> xr.DataArray:
    """The pointwise log-likelihood as one (chain, draw, obs) array.

    A single variable is used as it is. Several variables (parts of a multi-part likelihood,
    e.g. a hurdle) whose observations are indexed by fitted row are summed per
    row, so that LOO leaves out one offender with all of their outcomes.
    """
    ds = dt["log_likelihood"].to_dataset()
    names = list(ds.data_vars)
    if not names:
        raise ValueError("the log_likelihood group is empty")
    if len(names) == 1:
        da = ds[names[0]]
        extra = [d for d in da.dims if d not in ("chain", "draw")]
        if len(extra) > 1:
            da = da.stack(obs=extra)
        return da
    parts = []
    for n in names:
        da = ds[n]
        dims = [d for d in da.dims if d not in ("chain", "draw")]
        if len(dims) != 1 or not np.issubdtype(da[dims[0]].dtype, np.integer):
            raise ValueError(
                f"cannot combine log-likelihood variables {names}: {n!r} is not indexed by "
                "fitted row"
            )
        parts.append(da.rename({dims[0]: "row"}))
    rows = np.unique(np.concatenate([p["row"].values for p in parts]))
    total = sum(p.reindex(row=rows, fill_value=0.0) for p in parts)
    assert isinstance(total, xr.DataArray)
    return total


def _unit_of(da: xr.DataArray) -> str:
    dims = [d for d in da.dims if d not in ("chain", "draw")]
    name = str(dims[0]) if dims else "observation"
    return {"row": "offender", "case": "case"}.get(name, re.sub(r"_", " ", name))


def loo_summary(dt: xr.DataTree) -> LooSummary:
    """PSIS-LOO of a fit with a ``log_likelihood`` group, with Pareto-k counts per bin."""
    ll = pointwise_log_likelihood(dt).rename("obs")
    tree = xr.DataTree.from_dict(
        {"posterior": dt["posterior"].to_dataset(), "log_likelihood": ll.to_dataset()}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # high Pareto k: reported in the bins
        res = az.loo(tree, var_name="obs")
    k = np.asarray(res.pareto_k).ravel()
    good = float(res.good_k)
    counts = {
        "good": int(np.sum(k <= good)),
        "ok": int(np.sum((k > good) & (k <= 0.7))),
        "bad": int(np.sum((k > 0.7) & (k <= 1.0))),
        "very_bad": int(np.sum(k > 1.0)),
    }
    return LooSummary(
        elpd=_f(res.elpd),
        se=_f(res.se),
        p_loo=_f(res.p),
        n_obs=int(k.size),
        n_samples=int(res.n_samples),
        unit=_unit_of(ll),
        good_k=good,
        counts=counts,
        elpd_data=res,
    )


def compare_loo(fits: Mapping[str, xr.DataTree]) -> pd.DataFrame:
    """PSIS-LOO comparison of fits of the same rows (e.g. the two group-size families): one
    line per fit, best first, with ELPD, its difference to the best and that difference's
    standard error (arviz ``compare``), the effective number of parameters and the Pareto-k
    counts (good: below the sample-size threshold; ok: up to 0.7; bad: up to 1; very bad)."""
    if len(fits) < 2:
        raise ValueError("compare_loo needs at least two fits")
    summaries = {name: loo_summary(dt) for name, dt in fits.items()}
    n_obs = {s.n_obs for s in summaries.values()}
    if len(n_obs) > 1:
        raise ValueError(f"the fits have different numbers of observations {sorted(n_obs)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        cmp = az.compare({n: s.elpd_data for n, s in summaries.items()})
    rows = []
    for name in cmp.index:
        s = summaries[str(name)]
        rows.append(
            {
                "fit": str(name),
                "elpd_loo": s.elpd,
                "se": s.se,
                "elpd_diff": float(cmp.loc[name, "elpd_diff"]),
                "dse": float(cmp.loc[name, "dse"]),
                "p_loo": s.p_loo,
                **{f"k_{k}": v for k, v in s.counts.items()},
            }
        )
    return pd.DataFrame(rows).set_index("fit")


def _f(x: Any) -> float | None:
    v = float(x)
    return v if math.isfinite(v) else None


def worst_rhat_draws(dt: xr.DataTree, k: int) -> xr.Dataset | None:
    """The draws of the ``k`` parameters (elements) with the highest R-hat, for rank plots."""
    rh = az.rhat(dt, var_names=parameter_names(dt))
    rh_ds = rh.to_dataset() if isinstance(rh, xr.DataTree) else rh
    post = dt["posterior"].to_dataset()
    found: list[tuple[float, str, dict[str, Any]]] = []
    for name, da in rh_ds.data_vars.items():
        vals = np.asarray(da.values, dtype=float)
        for idx in np.ndindex(vals.shape):
            sel = {str(d): da[d].values[i] for d, i in zip(da.dims, idx, strict=True)}
            label = str(name) + (f"[{', '.join(str(v) for v in sel.values())}]" if sel else "")
            v = float(vals[idx])
            found.append((v if math.isfinite(v) else -1.0, label, {"name": name, "isel": idx}))
    if not found:
        return None
    found.sort(key=lambda r: (-r[0], r[1]))
    out = {}
    for _, label, info in found[:k]:
        da = post[info["name"]]
        extra = [d for d in da.dims if d not in ("chain", "draw")]
        out[label] = da.isel(dict(zip(extra, info["isel"], strict=True))).drop_vars(
            extra, errors="ignore"
        )
    return xr.Dataset(out)
