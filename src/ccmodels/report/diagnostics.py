"""Convergence verdicts, parameter tables and PSIS-LOO summaries from a fit's DataTree.

Thresholds (domain.md C2; Vehtari et al. 2021): a fit is **ok** when the rank-normalised split
R-hat is below 1.01, bulk and tail ESS are at least 400, there is no divergent transition and
E-BFMI exceeds 0.3 in every chain. It **fails** when R-hat exceeds 1.05, divergences exceed 1%
of the draws, or an ESS is below 100; otherwise it is a **warn**. The non-centred ``_z``
innovations are left out: they duplicate the diagnostics of the parameters built from them.

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

from ccmodels.report.core import Verdict

__all__ = [
    "THRESHOLDS",
    "Convergence",
    "LooSummary",
    "compare_loo",
    "convergence",
    "loo_summary",
    "parameter_names",
    "parameter_table",
    "pointwise_log_likelihood",
]

THRESHOLDS: dict[str, float] = {
    "rhat_ok": 1.01,
    "rhat_fail": 1.05,
    "ess_ok": 400.0,
    "ess_fail": 100.0,
    "divergence_fail_share": 0.01,
    "ebfmi_ok": 0.3,
}


@dataclass
class Convergence:
    """Convergence summary of a fit with a verdict in words and the remedies."""

    rhat_max: float | None
    ess_bulk_min: float | None
    ess_tail_min: float | None
    divergences: int
    n_draws: int
    ebfmi: list[float] | None
    worst_rhat: str | None
    worst_ess_bulk: str | None = None
    worst_ess_tail: str | None = None
    worst_ess: str | None = None
    verdict: Verdict = "ok"
    problems: list[str] = field(default_factory=list)
    remedies: list[str] = field(default_factory=list)

    @property
    def ebfmi_min(self) -> float | None:
        return min(self.ebfmi) if self.ebfmi else None

    @property
    def remedy(self) -> str | None:
        return "; ".join(self.remedies) if self.remedies else None


def parameter_names(dt: xr.DataTree) -> list[str]:
    """Posterior variables except the non-centred ``_z`` innovations."""
    return [str(v) for v in dt["posterior"].data_vars if not str(v).endswith("_z")]


def _diag_table(dt: xr.DataTree) -> pd.DataFrame:
    s = az.summary(dt, var_names=parameter_names(dt), kind="diagnostics", round_to="none")
    return pd.DataFrame(s).astype(float)


def ebfmi(dt: xr.DataTree) -> list[float] | None:
    """E-BFMI per chain from ``sample_stats.energy``; None when the sampler stored no energy."""
    if "sample_stats" not in dt.children or "energy" not in dt["sample_stats"].data_vars:
        return None
    vals = np.asarray(az.bfmi(dt)["energy"].values, dtype=float).ravel()
    return [float(v) for v in vals]


def convergence(dt: xr.DataTree) -> Convergence:
    """Max R-hat, min bulk/tail ESS, divergences and E-BFMI per chain, with a verdict.

    Returns
    -------
    Convergence
        ``verdict`` is ``"ok"``, ``"warn"`` or ``"fail"``; ``problems`` say what missed which
        threshold and ``remedies`` what to do about it.
    """
    s = _diag_table(dt)
    post = dt["posterior"]
    n_draws = int(post.sizes["chain"] * post.sizes["draw"])
    ss = dt["sample_stats"] if "sample_stats" in dt.children else None
    div = int(ss["diverging"].sum()) if ss is not None and "diverging" in ss.data_vars else 0

    def pick(col: str, fn: Any) -> tuple[float | None, str | None]:
        v = s[col].dropna() if col in s else pd.Series(dtype=float)
        if v.empty:
            return None, None
        key = v.idxmax() if fn is max else v.idxmin()
        return float(v[key]), str(key)

    rhat, worst_r = pick("r_hat", max)
    bulk, worst_b = pick("ess_bulk", min)
    tail, worst_t = pick("ess_tail", min)
    c = Convergence(rhat, bulk, tail, div, n_draws, ebfmi(dt), worst_r, worst_b, worst_t)
    ess_vals = [(v, w) for v, w in ((bulk, worst_b), (tail, worst_t)) if v is not None]
    ess_min, c.worst_ess = min(ess_vals) if ess_vals else (None, None)
    _judge(c, ess_min)
    return c


def _judge(c: Convergence, ess_min: float | None) -> None:
    t = THRESHOLDS
    fail, warn = False, False
    if c.rhat_max is not None and c.rhat_max >= t["rhat_ok"]:
        fail |= c.rhat_max > t["rhat_fail"]
        warn = True
        c.problems.append(
            f"max R-hat {c.rhat_max:.3f} ({c.worst_rhat}) is not below {t['rhat_ok']}"
            + (f" and exceeds {t['rhat_fail']}" if c.rhat_max > t["rhat_fail"] else "")
        )
        c.remedies.append(
            f"R-hat > {t['rhat_ok']}: run longer chains (more draws and tune) and look at the "
            "rank plots; if it persists, reparameterise the worst parameter"
        )
    if ess_min is not None and ess_min < t["ess_ok"]:
        fail |= ess_min < t["ess_fail"]
        warn = True
        c.problems.append(
            f"min ESS {ess_min:.0f} ({c.worst_ess}) is below {t['ess_ok']:.0f}"
            + (f" (below {t['ess_fail']:.0f}: fail)" if ess_min < t["ess_fail"] else "")
        )
        c.remedies.append(
            f"ESS < {t['ess_ok']:.0f}: increase tune/draws (e.g. tune=1000, draws=1000 with 4 "
            "chains) or reparameterise to reduce autocorrelation"
        )
    if c.divergences > 0:
        share = c.divergences / max(c.n_draws, 1)
        fail |= share > t["divergence_fail_share"]
        warn = True
        c.problems.append(
            f"{c.divergences} divergent transitions ({100 * share:.1f}% of {c.n_draws} draws)"
        )
        c.remedies.append(
            "divergences: raise target_accept (e.g. 0.95 or 0.99) or reparameterise "
            "(non-centred group effects, tighter priors on scales)"
        )
    if c.ebfmi is not None and c.ebfmi_min is not None and c.ebfmi_min <= t["ebfmi_ok"]:
        warn = True
        low = [i for i, v in enumerate(c.ebfmi) if v <= t["ebfmi_ok"]]
        c.problems.append(f"E-BFMI {c.ebfmi_min:.2f} <= {t['ebfmi_ok']} in chain(s) {low}")
        c.remedies.append(
            "E-BFMI <= 0.3: the sampler explores the energy distribution poorly; lengthen "
            "warm-up (tune) and reparameterise heavy-tailed or funnel-shaped parameters"
        )
    c.verdict = "fail" if fail else "warn" if warn else "ok"


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
