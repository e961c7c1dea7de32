"""Report figures drawn by arviz-plots: rank plots, predictive checks and the forest plot.

Synthetic draws only (no model is fitted): each figure is a matplotlib ``Figure`` with drawn
artists and its titles, and renders to PNG without leaving pyplot figures open.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from matplotlib.figure import Figure

from ccmodels.report import figures as fg

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240611)


def drawn(ax: Any) -> int:
    """Lines and collections drawn on an axes."""
    return len(ax.lines) + len(ax.collections)


def span(values: Any) -> tuple[float, float]:
    """Smallest and largest of a line's x or y data."""
    v = np.asarray(values, float)
    return float(v.min()), float(v.max())


def check_png(fig: Figure) -> None:
    before = set(plt.get_fignums())
    png = fg.to_png(fig)
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) > 1000
    assert set(plt.get_fignums()) <= before  # the figure is closed after rendering


def posterior(rng: np.random.Generator, names: list[str], shift: float = 0.0) -> xr.Dataset:
    """Draws of scalar parameters, 4 chains x 200 draws; the last chain of the last one off."""
    offset = np.array([0.0, 0.0, 0.0, shift])[:, None]
    data = {n: (("chain", "draw"), rng.normal(size=(4, 200))) for n in names}
    data[names[-1]] = (("chain", "draw"), rng.normal(size=(4, 200)) + offset)
    return xr.Dataset(data, coords={"chain": np.arange(4), "draw": np.arange(200)})


@pytest.mark.parametrize("names", [["alpha", "sigma"], ["alpha", "beta[recidivist]", "sigma"]])
def test_rank(rng: np.random.Generator, names: list[str]) -> None:
    ds = posterior(rng, names, shift=0.6)
    fig = fg.rank(ds, "Rank plots of the least converged parameters")
    assert isinstance(fig, Figure)
    assert fig.get_suptitle() == "Rank plots of the least converged parameters"
    used = [ax for ax in fig.axes if ax.get_title()]
    assert sorted(ax.get_title() for ax in used) == sorted(names)
    for ax in used:
        # one Δ-ECDF line per chain, plus the zero reference line
        assert len(ax.lines) >= 5
        assert drawn(ax) > 0
    assert fig.legends, "chains are told apart in a legend"
    check_png(fig)


def test_ppc_hist(rng: np.random.Generator) -> None:
    y = np.log(rng.lognormal(2.5, 0.8, 300))
    reps = [np.log(rng.lognormal(2.5, 0.85, 300)) for _ in range(20)]
    fig = fg.ppc_hist(
        y,
        reps,
        "prison term (months, log scale)",
        "Prison term: observed and posterior predictive",
        log_ticks=fg.MONTH_TICKS,
    )
    assert isinstance(fig, Figure)
    (ax,) = [a for a in fig.axes if a.get_visible() and a.axison]
    assert ax.get_title() == "Prison term: observed and posterior predictive"
    assert ax.get_xlabel() == "prison term (months, log scale)"
    assert len(ax.lines) == 21  # 20 replicated step lines and the observed one
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels and all(lab.replace(",", "").isdigit() for lab in labels)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "replicated under the posterior (20 draws)",
        "observed",
    ]
    check_png(fig)


def test_ppc_hist_ragged_and_empty(rng: np.random.Generator) -> None:
    """Replicates of different lengths (fined offenders only), empty ones, none at all."""
    y = np.log(rng.lognormal(8, 1, 250))
    reps = [np.log(rng.lognormal(8, 1, int(rng.integers(200, 320)))) for _ in range(10)]
    fig = fg.ppc_hist(y, [*reps, np.array([])], "fine (yuan, log)", "Fines", what="prior")
    ax = next(a for a in fig.axes if a.get_title() == "Fines")
    assert len(ax.lines) == 11
    assert "prior (10 draws)" in fig.legends[0].get_texts()[0].get_text()
    check_png(fig)

    fig = fg.ppc_hist(y, [], "fine (yuan, log)", "Fines, observed only")
    ax = next(a for a in fig.axes if a.get_title() == "Fines, observed only")
    assert drawn(ax) >= 1
    check_png(fig)


def test_ppc_by_group(rng: np.random.Generator) -> None:
    years = [2016, 2017, 2018, 2019]
    obs = np.array([0.3, 0.4, 0.5, 0.45])
    rep = obs + rng.normal(0.0, 0.05, (300, 4))
    fig = fg.ppc_by_group(years, obs, rep, "probation rate", "Probation rate by year", percent=True)
    assert isinstance(fig, Figure)
    ax = next(a for a in fig.axes if a.get_title() == "Probation rate by year")
    assert drawn(ax) > 0
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(y) for y in years]
    assert ax.get_xlabel() == "judgment year"
    assert ax.get_ylabel() == "probation rate"
    # the thin bar spans the replicated 95% interval of each group
    lo, hi = np.quantile(rep, [0.025, 0.975], axis=0)
    spans = sorted(span(ln.get_ydata()) for ln in ax.lines if ln.get_linewidth() == 1.5)
    assert np.allclose(spans, sorted(zip(lo, hi, strict=True)), atol=0.01)
    check_png(fig)


@pytest.mark.parametrize("with_n", [True, False])
def test_forest(with_n: bool) -> None:
    df = pd.DataFrame(
        {
            "ame": [0.05, -0.02, 0.12],
            "lower": [0.01, -0.06, 0.05],
            "upper": [0.09, 0.01, 0.20],
            "n_with_trait": [120, 40, 300],
        },
        index=["recidivist", "juvenile", "confessed"],
    )
    if not with_n:
        df = df.drop(columns="n_with_trait").rename(columns={"ame": "mean"})
    fig = fg.forest(df, "effect (percentage points)", "Average marginal effects")
    assert isinstance(fig, Figure)
    assert fig.get_suptitle() == "Average marginal effects"
    ax = next(a for a in fig.axes if a.get_xlabel() == "effect (percentage points)")
    assert drawn(ax) > 0
    # each interval spans lower..upper
    spans = [span(ln.get_xdata()) for ln in ax.lines]
    spans = sorted(s for s in spans if s[0] != s[1])  # the zero line is vertical
    assert np.allclose(spans, sorted(zip(df["lower"], df["upper"], strict=True)))
    texts = {t.get_text() for a in fig.axes for t in a.texts}
    expected = {"recidivist (n=120)", "juvenile (n=40)", "confessed (n=300)"}
    assert texts == (expected if with_n else {"recidivist", "juvenile", "confessed"})
    fig.canvas.draw()
    assert ax.xaxis.get_major_formatter()(0.05, 0) == "+5"
    check_png(fig)
