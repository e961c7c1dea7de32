"""Figures of the report: greyscale-safe, labelled with units, sized for a page.

Every function returns a matplotlib ``Figure``; :func:`to_png` renders it and closes it.
Series are told apart by marker, line style and hatching as well as by grey level, so the
figures read the same printed in black and white. Plain figures are made without pyplot
(``matplotlib.figure.Figure``: no global state, Agg canvas); the Pareto-k plot comes from
arviz-plots and is closed through pyplot after rendering.
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
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter
from scipy.stats import binom, rankdata

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
    """Forest plot of effects (columns ame/mean, lower, upper; index the labels) around 0."""
    col = "ame" if "ame" in df else "mean"
    n = len(df)
    fig, (ax,) = _axes(height=max(2.2, 0.38 * n + 1.2))
    y = np.arange(n)[::-1].astype(float)
    mean, lo, hi = (df[c].to_numpy(float) for c in (col, "lower", "upper"))
    ax.axvline(0.0, color="0.4", linestyle="--", linewidth=1)
    ax.errorbar(
        mean,
        y,
        xerr=[mean - lo, hi - mean],
        capsize=3,
        label="mean (95% interval)",
        **(MEAN_STYLE | {"linestyle": "none"}),
    )
    if "n_with_trait" in df:
        labels = [f"{k} (n={int(v)})" for k, v in df["n_with_trait"].items()]
    else:
        labels = [str(k) for k in df.index]
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel(xlabel)
    if percent:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:+.0f}"))
    ax.set_title(title)
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
    """Histograms (as step lines on shared bins) of replicated data sets over the observed.

    With ``log_ticks`` the values are logs and the axis is labelled at those original values.
    """
    fig, (ax,) = _axes()
    pooled = np.concatenate([observed, *replicated]) if replicated else observed
    pooled = pooled[np.isfinite(pooled)]
    lo, hi = np.quantile(pooled, [0.002, 0.998]) if pooled.size else (0.0, 1.0)
    lo, hi = min(lo, float(np.min(observed))), max(hi, float(np.max(observed)))
    if hi <= lo:
        hi = lo + 1.0
    bins = np.linspace(lo, hi, 31)
    for i, rep in enumerate(replicated):
        if not len(rep):
            continue
        dens, _ = np.histogram(rep, bins=bins, density=True)
        ax.stairs(
            dens,
            bins,
            color="0.6",
            linewidth=0.7,
            alpha=0.6,
            label=f"replicated under the {what} ({len(replicated)} draws)" if i == 0 else None,
        )
    dens, _ = np.histogram(observed, bins=bins, density=True)
    ax.stairs(dens, bins, color="black", linewidth=2.2, label="observed")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    if log_ticks is not None:
        ticks = [t for t in log_ticks if lo <= np.log(t) <= hi]
        while len(ticks) > 9:
            ticks = ticks[::2]
        ax.set_xticks(np.log(ticks), [f"{t:,.0f}" if t >= 1 else f"{t:g}" for t in ticks])
    fig.legend(loc="outside lower center", ncols=2)
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
    median (dash), observed (filled diamond). ``replicated`` has shape (draws, groups)."""
    fig, (ax,) = _axes()
    x = np.arange(len(groups), dtype=float)
    q = np.nanquantile(replicated, [0.025, 0.25, 0.5, 0.75, 0.975], axis=0)
    ax.vlines(x, q[0], q[4], color="0.55", linewidth=1.5, label=f"{what} predictive 95%")
    ax.vlines(x, q[1], q[3], color="0.3", linewidth=6, label=f"{what} predictive 50%")
    ax.plot(x, q[2], linestyle="none", marker="_", markersize=14, color="white")
    ax.plot(
        x, observed, linestyle="none", marker="D", color="black", markersize=6, label="observed"
    )
    ax.set_xticks(x, [str(g) for g in groups])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _value_axis(ax, "y", percent, money)
    fig.legend(loc="outside lower center", ncols=3)
    ax.set_title(title)
    return fig


@styled
def rank(ds: xr.Dataset, title: str) -> Figure:
    """Rank histograms per chain (Vehtari et al. 2021) of a few scalar parameters.

    Each draw is ranked among all chains' draws; each chain (one line style each) counts its
    draws per rank bin. The grey band is the central 95% range of a bin count under uniform
    ranks, the thin line its expectation.
    """
    names = [str(n) for n in ds.data_vars]
    ncols = 2 if len(names) > 1 else 1
    nrows = (len(names) + ncols - 1) // ncols
    fig = Figure(figsize=(WIDTH, 2.1 * nrows + 0.7), layout="constrained")
    axs = fig.subplots(nrows, ncols, squeeze=False).ravel()
    styles = ["-", "--", "-.", ":"]
    greys = ["black", "0.45", "0.2", "0.6"]
    for ax, name in zip(axs, names, strict=False):
        x = np.asarray(ds[name].transpose("chain", "draw").values, float)
        n_chains, n_draws = x.shape
        ranks = rankdata(x.ravel()).reshape(x.shape) / x.size
        nb = int(min(20, max(5, n_draws // 10)))
        edges = np.linspace(0.0, 1.0, nb + 1)
        lo, hi = binom.ppf([0.025, 0.975], n_draws, 1.0 / nb)
        ax.axhspan(lo, hi, color=BAND, linewidth=0)
        ax.axhline(n_draws / nb, color="0.5", linewidth=0.8)
        for c in range(n_chains):
            counts, _ = np.histogram(ranks[c], bins=edges)
            ax.stairs(
                counts,
                edges,
                color=greys[c % 4],
                linestyle=styles[c % 4],
                linewidth=1.4,
                label=f"chain {c}",
            )
        ax.set_title(name, fontsize=9)
        ax.set_xlim(0, 1)
        ax.set_ylim(bottom=0)
        ax.grid(False)
    for ax in axs[len(names) :]:
        ax.set_visible(False)
    axs[0].legend(loc="lower left", ncols=2, fontsize=7)
    fig.supxlabel("rank of the draw among all chains' draws (fraction)", fontsize=9)
    fig.supylabel("draws per rank bin", fontsize=9)
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
        fig: Figure = pc.viz["figure"].item()
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
