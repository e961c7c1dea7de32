"""Diagnostic figures of the report: predictive checks, rank plots and Pareto k, drawn by
arviz-plots (matplotlib backend)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ccmodels.report.style import (
    GREYS,
    HEIGHT,
    RC,
    STYLES,
    WIDTH,
    _pc_axes,
    _pc_figure,
    _predictive_tree,
    _value_axis,
    styled,
)

__all__ = ["khat", "ppc_by_group", "ppc_hist", "rank"]


@styled
def ppc_hist(
    observed: np.ndarray,
    replicated: Sequence[np.ndarray],
    xlabel: str,
    title: str,
    *,
    what: str = "posterior",
    log_ticks: Sequence[float] | None = None,
) -> Figure:
    """Histograms (as step lines on shared bins) of replicated data sets over the observed,
    drawn by arviz-plots' :func:`~arviz_plots.plot_ppc_dist` (``kind="hist"``).

    Replicated data sets may differ in length (e.g. only the fined offenders of each): they
    are padded with NaN, which the histograms leave out. With ``log_ticks`` the values are
    logs and the axis is labelled at those original values.
    """
    import arviz_plots as azp

    observed = np.asarray(observed, float)
    reps = [np.asarray(r, float) for r in replicated if len(r)]
    pooled = np.concatenate([observed, *reps])
    pooled = pooled[np.isfinite(pooled)]
    lo, hi = np.quantile(pooled, [0.002, 0.998]) if pooled.size else (0.0, 1.0)
    finite_obs = observed[np.isfinite(observed)]
    if finite_obs.size:
        lo, hi = min(lo, float(finite_obs.min())), max(hi, float(finite_obs.max()))
    if hi <= lo:
        hi = lo + 1.0
    width = max([observed.size, *(r.size for r in reps)])

    def padded(v: np.ndarray) -> np.ndarray:
        out = np.full(width, np.nan)
        out[: v.size] = np.where(np.isfinite(v), v, np.nan)
        return out

    rep = np.stack([padded(r) for r in reps]) if reps else padded(observed)[None]
    hist = {"bins": 30, "range": (float(lo), float(hi))}
    pc = azp.plot_ppc_dist(
        _predictive_tree(padded(observed), rep, "obs"),
        kind="hist",
        num_samples=rep.shape[0],
        backend="matplotlib",
        stats={"predictive_dist": hist, "observed_dist": hist},
        visuals={
            "predictive_dist": {"color": "0.6", "alpha": 0.6, "width": 0.7, "linestyle": "-"}
            if reps
            else False,
            "observed_dist": {"color": "black", "width": 2.2, "linestyle": "-"},
            "title": False,
            "remove_axis": False,
        },
        figure_kwargs={"figsize": (WIDTH, HEIGHT), "layout": "constrained"},
    )
    fig = _pc_figure(pc)
    ax = _pc_axes(pc, "y")
    ax.set_xlim(lo - 0.02 * (hi - lo), hi + 0.02 * (hi - lo))
    ax.set_ylim(bottom=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    if log_ticks is not None:
        ticks = [t for t in log_ticks if lo <= np.log(t) <= hi]
        while len(ticks) > 9:
            ticks = ticks[::2]
        ax.set_xticks(np.log(ticks), [f"{t:,.0f}" if t >= 1 else f"{t:g}" for t in ticks])
    handles = [Line2D([], [], color="black", linewidth=2.2)]
    names = ["observed"]
    if reps:
        handles.insert(0, Line2D([], [], color="0.6", linewidth=0.7))
        names.insert(0, f"replicated under the {what} ({len(reps)} draws)")
    fig.legend(handles, names, loc="outside lower center", ncols=2)
    ax.set_title(title)
    return fig


@styled
def ppc_by_group(
    groups: Sequence[Any],
    observed: np.ndarray,
    replicated: np.ndarray,
    ylabel: str,
    title: str,
    *,
    what: str = "posterior",
    percent: bool = False,
    money: bool = False,
    xlabel: str = "judgment year",
) -> Figure:
    """A statistic per group: replicated 50% and 95% intervals (thick and thin bars) and
    median (dash), observed (filled diamond). ``replicated`` has shape (draws, groups).

    Drawn by arviz-plots' :func:`~arviz_plots.plot_ppc_interval` (equal-tailed intervals),
    each group taking the place of one observation.
    """
    import arviz_plots as azp

    pc = azp.plot_ppc_interval(
        _predictive_tree(observed, replicated, "group"),
        backend="matplotlib",
        point_estimate="median",
        ci_kind="eti",
        ci_probs=(0.5, 0.95),
        visuals={
            "trunk": {"color": "0.55", "width": 1.5, "alpha": 1.0, "linestyle": "-"},
            "twig": {"color": "0.3", "width": 6, "linestyle": "-"},
            "prediction_markers": {"color": "white", "marker": "_", "size": 196, "width": 1.5},
            "observed_markers": {"color": "black", "marker": "D", "size": 36, "zorder": 3},
            "xlabel": False,
            "ylabel": False,
        },
        figure_kwargs={"figsize": (WIDTH, HEIGHT), "layout": "constrained"},
    )
    fig = _pc_figure(pc)
    ax = _pc_axes(pc, "y")
    x = np.arange(len(groups), dtype=float)
    ax.set_xticks(x, [str(g) for g in groups])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _value_axis(ax, "y", percent, money)
    handles = [
        Line2D([], [], color="0.55", linewidth=1.5),
        Line2D([], [], color="0.3", linewidth=6),
        Line2D([], [], color="black", marker="D", linestyle="none", markersize=6),
    ]
    names = [f"{what} predictive 95%", f"{what} predictive 50%", "observed"]
    fig.legend(handles, names, loc="outside lower center", ncols=3)
    ax.set_title(title)
    return fig


@styled
def rank(ds: xr.Dataset, title: str) -> Figure:
    """Rank plots per chain (arviz-plots' :func:`~arviz_plots.plot_rank`) of a few scalar
    parameters (variables of ``ds``, dimensions chain and draw).

    Each draw is ranked among all chains' draws; each chain (one grey and line style each)
    shows the ECDF of its fractional ranks minus the uniform CDF, which stays near the zero
    line when the chains sample the same distribution. Each panel gives the p-value of
    arviz-plots' multi-chain uniformity test (at level α); dots mark the ranks where a chain
    departs most when the test rejects. (arviz-plots draws rank plots as these Δ-ECDFs, not
    as per-bin histograms.)
    """
    import arviz_plots as azp

    names = [str(n) for n in ds.data_vars]
    ncols = 2 if len(names) > 1 else 1
    nrows = (len(names) + ncols - 1) // ncols
    n_chains = int(ds.sizes["chain"])
    pc = azp.plot_rank(
        xr.DataTree.from_dict({"posterior": ds}),
        backend="matplotlib",
        col_wrap=ncols,
        aes={"color": ["chain"], "linestyle": ["chain"]},
        color=[GREYS[c % 4] for c in range(n_chains)],
        linestyle=[STYLES[c % 4] for c in range(n_chains)],
        visuals={
            "ecdf_lines": {"width": 1.2},
            "title": {"size": 9},
            "xlabel": {"text": "fractional rank among all chains' draws", "size": 8},
            "remove_axis": False,
        },
        figure_kwargs={
            "figsize": (WIDTH, 2.3 * nrows + 0.9),
            "sharex": False,
            "layout": "constrained",
        },
    )
    fig = _pc_figure(pc)
    for name in names:
        ax = _pc_axes(pc, name)
        ax.axhline(0.0, color="0.5", linewidth=0.8, zorder=1)
        ax.grid(False)
    pc.add_legend("chain", loc="outside lower center", ncols=min(n_chains, 8), fontsize=7)
    fig.supylabel("ECDF of ranks minus uniform", fontsize=9)
    fig.suptitle(title, fontsize=10)
    return fig


def khat(elpd: Any, good_k: float, unit: str, title: str) -> Figure:
    """Pareto k per observation (arviz-plots) with the good / 0.7 / 1 thresholds marked."""
    import arviz_plots as azp

    with mpl.rc_context(RC):
        pc = azp.plot_khat(
            elpd,
            backend="matplotlib",
            color="black",
            marker="+",
            figure_kwargs={"figsize": (WIDTH, HEIGHT)},
        )
        fig = _pc_figure(pc)
        ax = pc.viz["plot"].item()
        k = np.asarray(elpd.pareto_k).ravel()
        top = max(1.1, float(np.nanmax(k)) + 0.1) if k.size else 1.1
        for v, ls, lab in (
            (good_k, "--", f"good below {good_k:.2f}"),
            (0.7, "-.", "0.7"),
            (1.0, ":", "1 (very bad above)"),
        ):
            ax.axhline(v, color="0.35", linestyle=ls, linewidth=1)
            ax.text(ax.get_xlim()[1], v, f" {lab}", va="center", ha="left", fontsize=8)
        ax.set_ylim(min(-0.3, float(np.nanmin(k)) - 0.05) if k.size else -0.3, top)
        ax.set_xlabel(f"{unit} (index)")
        ax.set_ylabel("Pareto shape k")
        ax.set_title(title)
    return fig
