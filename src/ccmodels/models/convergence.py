"""The convergence rule of a fit, the one the CLI, the demo and the report apply.

Thresholds (Vehtari et al. 2021): a fit is **ok** when the rank-normalised split R-hat is below
1.01, bulk and tail ESS are at least 400, there is no divergent transition, E-BFMI exceeds 0.3
in every chain, and no chain spends more than half its draws at the sampler's maximum tree depth
(such a chain is stuck: its step size fell to about 0 in warm-up, or it crawls). It **fails**
when R-hat exceeds 1.05, divergences exceed 1% of the draws, or an ESS is below 100; otherwise
it is a **warn**. The sampling auxiliaries (non-centred innovations and the like,
:data:`ccmodels.params.AUXILIARY`) are left out: they duplicate the diagnostics of the
parameters built from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from ccmodels.params import AUXILIARY

__all__ = [
    "THRESHOLDS",
    "Convergence",
    "Verdict",
    "convergence",
    "diagnostics",
    "ebfmi",
    "parameter_names",
    "tree_depth",
]

Verdict = Literal["ok", "warn", "fail"]

THRESHOLDS: dict[str, float] = {
    "rhat_ok": 1.01,
    "rhat_fail": 1.05,
    "ess_ok": 400.0,
    "ess_fail": 100.0,
    "divergence_fail_share": 0.01,
    "ebfmi_ok": 0.3,
    "maxdepth_share": 0.5,
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
    #: per chain, the share of draws at the maximum tree depth and the final step size
    maxdepth_share: list[float] | None = None
    step_size: list[float] | None = None
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
    """Posterior variables except the sampling auxiliaries (:data:`ccmodels.params.AUXILIARY`,
    e.g. the non-centred ``_z`` innovations, whose diagnostics duplicate their parameters')."""
    return [str(v) for v in dt["posterior"].data_vars if not str(v).endswith(AUXILIARY)]


def _diag_table(dt: xr.DataTree) -> pd.DataFrame:
    s = az.summary(dt, var_names=parameter_names(dt), kind="diagnostics", round_to="none")
    return pd.DataFrame(s).astype(float)


def ebfmi(dt: xr.DataTree) -> list[float] | None:
    """E-BFMI per chain from ``sample_stats.energy``; None when the sampler stored no energy."""
    if "sample_stats" not in dt.children or "energy" not in dt["sample_stats"].data_vars:
        return None
    vals = np.asarray(az.bfmi(dt)["energy"].values, dtype=float).ravel()
    return [float(v) for v in vals]


def tree_depth(dt: xr.DataTree) -> tuple[list[float] | None, list[float] | None]:
    """Per chain, the share of draws that reached the maximum tree depth (nutpie's
    ``maxdepth_reached``, PyMC's ``reached_max_treedepth``) and the last step size; None when
    the sampler stored neither."""
    if "sample_stats" not in dt.children:
        return None, None
    ss = dt["sample_stats"]
    name = next((n for n in ("maxdepth_reached", "reached_max_treedepth") if n in ss), None)
    share = [float(v) for v in ss[name].astype(float).mean("draw").values.ravel()] if name else None
    step = (
        [float(v) for v in np.ravel(ss["step_size"].isel(draw=-1).to_numpy())]
        if "step_size" in ss
        else None
    )
    return share, step


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
    c.maxdepth_share, c.step_size = tree_depth(dt)
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
    if c.maxdepth_share is not None:
        stuck = [i for i, v in enumerate(c.maxdepth_share) if v > t["maxdepth_share"]]
        if stuck:
            warn = True
            steps = c.step_size or []
            said = ", ".join(
                f"chain {i}: {100 * c.maxdepth_share[i]:.0f}% of draws"
                + (f", step size {steps[i]:.2g}" if i < len(steps) else "")
                for i in stuck
            )
            c.problems.append(f"chain(s) at the maximum tree depth ({said})")
            c.remedies.append(
                "a chain at the maximum tree depth is stuck or crawling (a warm-up trajectory "
                "can leave it where a pooling scale is near 0 and its step size falls to 0): "
                "refit with another seed; if it recurs, lengthen tune or raise target_accept"
            )
    c.verdict = "fail" if fail else "warn" if warn else "ok"


def diagnostics(dt: xr.DataTree) -> dict[str, Any]:
    """:func:`convergence` as a plain dict (for tables and JSON): max R-hat, min bulk and tail
    ESS, divergences, the worst parameters and the verdict."""
    c = convergence(dt)
    return {
        "rhat_max": c.rhat_max,
        "ess_bulk_min": c.ess_bulk_min,
        "ess_tail_min": c.ess_tail_min,
        "divergences": c.divergences,
        "worst_rhat": c.worst_rhat,
        "worst_ess": c.worst_ess_bulk,
        "verdict": c.verdict,
    }
