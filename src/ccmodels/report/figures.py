"""Figures of the report: greyscale-safe, labelled with units, sized for a page.

Every function returns a matplotlib ``Figure``; :func:`to_png` renders it and closes it.
Series are told apart by marker, line style and hatching as well as by grey level, so the
figures read the same printed in black and white. Plain figures are made without pyplot
(``matplotlib.figure.Figure``: no global state, Agg canvas). Rank plots, predictive checks,
the forest plot and the Pareto-k plot are drawn by arviz-plots (matplotlib backend), whose
figures come from pyplot and are closed through it by :func:`to_png`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, ParamSpec

import matplotlib as mpl
import numpy as np
import pandas as pd
import xarray as xr
from cycler import cycler
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

__all__ = [
    "categories",
    "counts_by_year",
    "forest",
    "khat",
    "ppc_by_group",
    "ppc_hist",
    "rank",
    "to_png",
    "trend",
]

WIDTH, HEIGHT, DPI = 7.0, 3.4, 110
RC: dict[Any, Any] = {
    # Charge names in real data are Chinese: matplotlib falls back along this list to the first
    # installed font that has the glyph (e.g. Debian's fonts-noto-cjk or fonts-wqy-microhei).
    "font.family": ["sans-serif"],
    "font.sans-serif": [
        "DejaVu Sans",
        "Noto Sans CJK SC",
        "WenQuanYi Micro Hei",
        "Source Han Sans SC",
        "SimHei",
        "Arial Unicode MS",
    ],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "0.88",
    "grid.linestyle": ":",
    "legend.frameon": False,
    "axes.prop_cycle": cycler(color=["black", "0.45", "0.25", "0.6"])
    + cycler(linestyle=["-", "--", "-.", ":"]),
    "figure.dpi": DPI,
}
MEAN_STYLE = {"color": "black", "marker": "o", "linestyle": "-", "markersize": 5}
OBS_STYLE = {
    "color": "black",
    "marker": "s",
    "markerfacecolor": "white",
    "linestyle": "--",
    "markersize": 6,
}
BAND = "0.82"
MONTH_TICKS = (1, 2, 3, 6, 12, 24, 36, 60, 120, 180, 240)
YUAN_TICKS = tuple(m * 10**k for k in range(2, 9) for m in (1, 2, 5))
P = ParamSpec("P")


def styled[**P](fn: Callable[P, Figure]) -> Callable[P, Figure]:
    """Run a plotting function under the report's rc settings."""

    @wraps(fn)
    def inner(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with mpl.rc_context(RC):
            return fn(*args, **kwargs)

    return inner


def to_png(fig: Figure, dpi: int = DPI) -> bytes:
    """Render a figure to PNG bytes and close it."""
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)  # a no-op for figures made without pyplot
    return buf.getvalue()


def _axes(n: int = 1, width: float = WIDTH, height: float = HEIGHT) -> tuple[Figure, list[Any]]:
    fig = Figure(figsize=(width, height), layout="constrained")
    axs = fig.subplots(1, n, squeeze=False)[0]
    return fig, list(axs)


def _legend(ax: Any, loc: str = "best", outside: bool = False) -> None:
    """Legend with the posterior first, then its interval, then the observed values;
    ``outside`` puts it under the axes, where it cannot hide data."""
    handles, labels = ax.get_legend_handles_labels()
    rank = [0 if lab.startswith("posterior") else 1 if "interval" in lab else 2 for lab in labels]
    order = sorted(range(len(labels)), key=lambda i: (rank[i], i))
    hs, ls = [handles[i] for i in order], [labels[i] for i in order]
    if outside:
        ax.figure.legend(hs, ls, loc="outside lower center", ncols=len(hs))
    else:
        ax.legend(hs, ls, loc=loc)


def _value_axis(ax: Any, axis: str, percent: bool, money: bool) -> None:
    target = ax.yaxis if axis == "y" else ax.xaxis
    if percent:
        target.set_major_formatter(PercentFormatter(1.0, decimals=0))
    elif money:
        target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


GREYS = ("black", "0.45", "0.2", "0.6")
STYLES = ("-", "--", "-.", ":")


def _pc_figure(pc: Any) -> Figure:
    """The matplotlib figure of an arviz-plots ``PlotCollection``."""
    fig: Figure = pc.viz["figure"].item()
    return fig


def _pc_axes(pc: Any, var: str) -> Any:
    """The axes of variable ``var`` in a ``PlotCollection`` faceted by variable."""
    return pc.viz["plot"][var].item()


def _predictive_tree(observed: np.ndarray, replicated: np.ndarray, dim: str) -> xr.DataTree:
    """Observed values (``dim``) and replicated ones (draw, ``dim``) as the ``observed_data``
    and ``posterior_predictive`` groups arviz-plots reads, under one variable ``y``.

    The draws may come from the prior or the posterior: arviz-plots only needs the layout.
    """
    pred = xr.Dataset({"y": (("chain", "draw", dim), np.asarray(replicated, float)[None])})
    obs = xr.Dataset({"y": ((dim,), np.asarray(observed, float))})
    return xr.DataTree.from_dict({"posterior_predictive": pred, "observed_data": obs})


@styled
def counts_by_year(table: pd.DataFrame, unit: str) -> Figure:
    """Grouped bars of cases and ``unit`` rows per year (columns ``cases``, ``rows``)."""
    fig, (ax,) = _axes()
    x = np.arange(len(table))
    w = 0.38
    ax.bar(x - w / 2, table["cases"], w, color="0.55", edgecolor="black", label="cases")
    ax.bar(x + w / 2, table["rows"], w, color="white", edgecolor="black", hatch="///", label=unit)
    ax.set_xticks(x, [str(y) for y in table.index])
    ax.set_xlabel("judgment year")
    ax.set_ylabel("count per year")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left")
    ax.set_title(f"Cases and {unit} per year (data fitted)")
    return fig


@styled
def trend(
    df: pd.DataFrame,
    ylabel: str,
    title: str,
    *,
    percent: bool = False,
    money: bool = False,
    observed_label: str = "observed",
) -> Figure:
    """Posterior mean by year with its 95% interval (band and whiskers), observed overlaid."""
    fig, (ax,) = _axes()
    x = np.asarray(df.index, dtype=int)
    mean, lo, hi = (df[c].to_numpy(float) for c in ("mean", "lower", "upper"))
    ax.fill_between(x, lo, hi, color=BAND, linewidth=0, label="95% interval")
    ax.errorbar(x, mean, yerr=[mean - lo, hi - mean], capsize=3, label="posterior", **MEAN_STYLE)
    if "observed" in df:
        ax.plot(x, df["observed"].to_numpy(float), label=observed_label, **OBS_STYLE)
    ax.set_xticks(x, [str(v) for v in x])
    ax.set_xlabel("judgment year")
    ax.set_ylabel(ylabel)
    top = np.nanmax(
        np.concatenate([hi, df["observed"].to_numpy(float)]) if "observed" in df else hi
    )
    ax.set_ylim(0, top * 1.08 if np.isfinite(top) and top > 0 else None)
    _value_axis(ax, "y", percent, money)
    _legend(ax)
    ax.set_title(title)
    return fig


@styled
def categories(
    df: pd.DataFrame,
    xlabel: str,
    title: str,
    *,
    percent: bool = False,
    observed_label: str = "observed",
) -> Figure:
    """Posterior means with 95% intervals for categories (rows of ``df``), observed overlaid."""
    n = len(df)
    fig, (ax,) = _axes(height=max(2.2, 0.5 * n + 1.2))
    y = np.arange(n)[::-1].astype(float)
    mean, lo, hi = (df[c].to_numpy(float) for c in ("mean", "lower", "upper"))
    ax.errorbar(
        mean,
        y + 0.12,
        xerr=[mean - lo, hi - mean],
        capsize=3,
        label="posterior (95% interval)",
        **(MEAN_STYLE | {"linestyle": "none"}),
    )
    if "observed" in df:
        ax.plot(
            df["observed"].to_numpy(float),
            y - 0.12,
            label=observed_label,
            **(OBS_STYLE | {"linestyle": "none"}),
        )
    labels = [f"{k} (n={int(n_)})" if "n" in df else str(k) for k, n_ in _with_n(df)]
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel(xlabel)
    _value_axis(ax, "x", percent, False)
    _legend(ax, outside=True)
    ax.set_title(title)
    return fig


def _with_n(df: pd.DataFrame) -> list[tuple[Any, Any]]:
    ns = df["n"] if "n" in df else pd.Series(0, index=df.index)
    return list(zip(df.index, ns, strict=True))


@styled
def forest(df: pd.DataFrame, xlabel: str, title: str, *, percent: bool = True) -> Figure:
    """Forest plot of effects (columns ame/mean, lower, upper; index the labels) around 0.

    ``df`` holds summaries, not draws: arviz-plots' :func:`~arviz_plots.plot_forest` draws
    them as given (precomputed point estimates and 95% intervals), laid out on a one-draw
    Dataset of the means with the labels as its coordinate.
    """
    import arviz_plots as azp

    col = "ame" if "ame" in df else "mean"
    n = len(df)
    if "n_with_trait" in df:
        labels = [f"{k} (n={int(v)})" for k, v in df["n_with_trait"].items()]
    else:
        labels = [str(k) for k in df.index]
    coords = {"label": labels}
    mean = xr.DataArray(df[col].to_numpy(float), dims="label", coords=coords)
    interval = xr.DataArray(
        df[["lower", "upper"]].to_numpy(float),
        dims=("label", "ci_bound"),
        coords=coords | {"ci_bound": ["lower", "upper"]},
    )
    post = xr.Dataset({"effect": mean.expand_dims(chain=1, draw=1)})
    label_width = min(3.0, max(1.0, 0.07 * max((len(t) for t in labels), default=1) + 0.3))
    pc = azp.plot_forest(
        xr.DataTree.from_dict({"posterior": post}),
        backend="matplotlib",
        combined=True,
        labels=["label"],
        stats={
            "twig": xr.Dataset({"effect": interval}),
            "point_estimate": xr.Dataset({"effect": mean}),
        },
        visuals={
            "trunk": False,
            "twig": {"color": "black", "width": 1.3, "linestyle": "-"},
            "point_estimate": {"color": "black", "facecolor": "black", "marker": "o", "size": 30},
            "labels": {"size": 9},
            "ticklabels": False,
        },
        figure_kwargs={
            "figsize": (WIDTH, max(2.2, 0.38 * n + 1.2)),
            "width_ratios": [label_width, WIDTH - label_width],
            "layout": "constrained",
        },
    )
    fig = _pc_figure(pc)
    ax_labels = pc.viz["plot"].sel(column="labels").item()
    ax = pc.viz["plot"].sel(column="forest").item()
    ax_labels.set_axis_off()
    ax.axvline(0.0, color="0.4", linestyle="--", linewidth=1, zorder=1)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel(xlabel)
    if percent:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:+.0f}"))
    fig.suptitle(title, fontsize=RC["axes.titlesize"])
    return fig


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


@styled
def fan(
    years: np.ndarray,
    draws: np.ndarray,
    observed: np.ndarray | None,
    last_fitted: int,
    ylabel: str,
    title: str,
    *,
    percent: bool = False,
    log: bool = False,
    published: Sequence[tuple[int, int, float, str]] = (),
) -> Figure:
    """A projection fan: median (line) with 50% and 90% bands of ``draws`` (draws, years),
    observed values (open squares); a dotted line after the last fitted year. ``published``
    figures (first year, last year, value, label) are drawn as black diamonds (a period as a
    segment between two), numbered by their label."""
    fig, (ax,) = _axes()
    x = np.asarray(years, dtype=int)
    q = np.nanquantile(np.asarray(draws, float), [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    ax.fill_between(x, q[0], q[4], color="0.87", linewidth=0, label="90% interval")
    ax.fill_between(x, q[1], q[3], color="0.65", linewidth=0, label="50% interval")
    ax.plot(x, q[2], color="black", linewidth=1.5, label="median")
    if observed is not None and np.isfinite(observed).any():
        ax.plot(x, observed, label="observed", **(OBS_STYLE | {"linestyle": "none"}))
    for i, (a, b, v, lab) in enumerate(published):
        ax.plot(
            [a, b] if b > a else [a],
            [v, v] if b > a else [v],
            color="black",
            marker="D",
            markersize=5,
            linestyle="-",
            linewidth=2,
            label="published" if i == 0 else None,
        )
        ax.annotate(lab, (b, v), textcoords="offset points", xytext=(5, 3), fontsize="small")
    ax.axvline(last_fitted + 0.5, color="0.35", linestyle=":", linewidth=1)
    ax.text(
        last_fitted + 0.6,
        0.98,
        "projected",
        transform=ax.get_xaxis_transform(),
        va="top",
        fontsize="small",
        color="0.35",
    )
    if log:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("judgment year")
    ax.set_ylabel(ylabel)
    _value_axis(ax, "y", percent, False)
    ax.legend(loc="upper left")
    ax.set_title(title)
    return fig
