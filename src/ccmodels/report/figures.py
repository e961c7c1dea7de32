"""Figures of the report: greyscale-safe, labelled with units, sized for a page.

Every function returns a matplotlib ``Figure``; :func:`to_png` renders it and closes it.
Series are told apart by marker, line style and hatching as well as by grey level, so the
figures read the same printed in black and white. Plain figures are made without pyplot
(``matplotlib.figure.Figure``: no global state, Agg canvas). Rank plots, predictive checks,
the forest plot and the Pareto-k plot are drawn by arviz-plots (matplotlib backend), whose
figures come from pyplot and are closed through it by :func:`to_png`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ccmodels.report.checks_figures import khat, ppc_by_group, ppc_hist, rank
from ccmodels.report.style import (
    BAND,
    MEAN_STYLE,
    MONTH_TICKS,
    OBS_STYLE,
    RC,
    WIDTH,
    YUAN_TICKS,
    _axes,
    _legend,
    _pc_figure,
    _value_axis,
    styled,
    to_png,
)

__all__ = [
    "MONTH_TICKS",
    "YUAN_TICKS",
    "categories",
    "counts_by_year",
    "fan",
    "forest",
    "khat",
    "ppc_by_group",
    "ppc_hist",
    "rank",
    "to_png",
    "trend",
]


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
