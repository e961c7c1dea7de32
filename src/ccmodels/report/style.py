"""The report's figure style: sizes, greyscale cycles and markers, axes helpers and PNG
rendering (:func:`to_png`)."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec

import matplotlib as mpl
import numpy as np
import xarray as xr
from cycler import cycler
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

__all__ = ["DPI", "HEIGHT", "WIDTH", "styled", "to_png"]

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
