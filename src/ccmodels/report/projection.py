"""The report's projection section: a projection written by :func:`ccmodels.project.project`
(possibly a stacked combination of trend families), with the leave-future-out comparison that
chose the weights and published figures drawn beside it as context.

It is not a fit, so it has no convergence verdict: it is set after the fits' sections, in the
contents but not in the overview table of fits.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ccmodels.report import figures as fg
from ccmodels.report.core import Block, FigureRef, ModelReport, Paragraph, Section, _slug
from ccmodels.report.published import PublishedFigure
from ccmodels.report.text import fmt, make_table, pct

__all__ = ["COMPARISON_COLUMNS", "projection_report", "read_comparison", "read_projection"]

#: the columns of a leave-future-out comparison table (``ccmodels lfo``, ``compare_lfo``)
COMPARISON_COLUMNS = ("elpd_lfo", "se", "elpd_diff", "se_diff", "weight")
_QUANTITIES = {
    "cases": ("cases per year", {"log": True}),
    "offenders": ("defendants per year", {"log": True}),
    "mean_group_size": ("mean defendants per case", {}),
    "max_group_size": ("largest case (defendants)", {"log": True}),
    "share_3plus": ("share of cases with 3+ defendants", {"percent": True}),
}


def read_projection(path: str | os.PathLike[str]) -> xr.Dataset:
    """A projection file written by ``ccmodels project`` (or ``project(...).to_netcdf``)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such projection file")
    try:
        ds = xr.load_dataset(p, engine="h5netcdf")
    except (OSError, ValueError) as exc:
        raise ValueError(f"{p}: not a projection file (NetCDF): {exc}") from None
    missing = [v for v in ("cases", "observed") if v not in ds.variables]
    if missing or set(ds["cases"].dims) != {"draw", "year"}:
        raise ValueError(
            f"{p}: not a projection written by ccmodels project (missing {missing or 'dims'})"
        )
    return ds


def read_comparison(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A leave-future-out comparison table written by ``ccmodels lfo`` (CSV)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such comparison file")
    df = pd.read_csv(p, index_col=0)
    missing = [c for c in COMPARISON_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(
            f"{p}: not a comparison table from ccmodels lfo: missing column(s) {missing} "
            f"(columns: {', '.join(map(str, df.columns))})"
        )
    return df


def _figure(name: str, fig: Any, title: str, caption: str) -> FigureRef:
    return FigureRef(_slug(f"projection_{name}"), title, caption, fg.to_png(fig))


def _mixture_text(ds: xr.Dataset) -> list[str]:
    out = []
    for v in ds.data_vars:
        if str(v).endswith("_fit") and "sources" in ds[v].attrs:
            kind = str(v).removesuffix("_fit").replace("_", " ")
            srcs = str(ds[v].attrs["sources"]).split(", ")
            ws = str(ds[v].attrs["weights"]).split(", ")
            used = np.bincount(ds[v].values.astype(int), minlength=len(srcs))
            parts = [
                f"{Path(s).name} (weight {w}, {n} worlds)"
                for s, w, n in zip(srcs, ws, used, strict=True)
            ]
            out.append(f"{kind}: a mixture of {', '.join(parts)}")
    return out


def projection_report(
    ds: xr.Dataset,
    source: str,
    comparison: pd.DataFrame | None = None,
    published: Sequence[PublishedFigure] = (),
) -> ModelReport:
    """The projection's part of the report (see the module docstring)."""
    years = ds["year"].values.astype(int)
    observed = ds["observed"].values.astype(bool)
    last = int(years[observed].max()) if observed.any() else int(years[0]) - 1
    horizon = int(years.max())
    n = int(ds.sizes["draw"])
    mixture = _mixture_text(ds)
    blocks: list[Block] = [
        Paragraph(
            f"{n} worlds projected to {horizon}, each from one posterior draw of every growth "
            "fit: parameter, state (the walks' future steps) and count uncertainty all "
            "propagate, so the intervals widen with the horizon. Left of the dotted line, "
            "the fitted years.",
            items=tuple(mixture),
        )
    ]
    numbered = {f: i for i, f in enumerate(published, start=1)}
    summary: dict[str, Any] = {"horizon": horizon, "draws": n, "last_fitted": last}
    for var, (label, kw) in _QUANTITIES.items():
        if var not in ds or not np.isfinite(ds[var].values).any():
            continue
        obs = ds[f"observed_{var}"].values if f"observed_{var}" in ds else None
        pub = [
            (f.first, f.last, f.value, f"[{numbered[f]}]") for f in published if f.quantity == var
        ]
        note = "; black diamonds: published figures (numbered as in the list below)" if pub else ""
        blocks.append(
            _fan_figure(
                var,
                f"Projection of {label}",
                label,
                years,
                ds[var].values,
                obs,
                last,
                n,
                note,
                published=pub,
                **kw,
            )
        )
        q = np.nanquantile(ds[var].values, [0.05, 0.5, 0.95], axis=0)
        summary[var] = {
            int(y): {"median": q[1, i], "q05": q[0, i], "q95": q[2, i]} for i, y in enumerate(years)
        }
    blocks += _chain_fans(ds, years, last, n)
    rows = []
    for i, y in enumerate(years):
        cells = [str(y), "fitted" if observed[i] else "projected"]
        for var in ("cases", "mean_group_size", "max_group_size", "share_3plus"):
            if var in summary:
                s = summary[var][int(y)]
                g = pct if var == "share_3plus" else fmt
                cells.append(f"{g(s['median'])} [{g(s['q05'])}, {g(s['q95'])}]")
        rows.append(tuple(cells))
    cols = [
        c for c in ("cases", "mean_group_size", "max_group_size", "share_3plus") if c in summary
    ]
    blocks.append(
        make_table(
            "Projection by year: median [90% interval]",
            ("year", "", *(_QUANTITIES[c][0] for c in cols)),
            rows,
            (False, False, *([True] * len(cols))),
        )
    )
    sections = [Section("projection-trajectories", "projection", "Projected trajectories", blocks)]
    if published:
        items = tuple(
            f"[{numbered[p]}] {p.quantity.replace('_', ' ')}, {p.span}: {p.value:,.4g}. "
            f"{p.source}" + (f" ({p.note})" if p.note else "")
            for p in published
        )
        sections[0].blocks.append(
            Paragraph("Published figures drawn as context (not fitted):", "note", items)
        )
        summary["published"] = [p.model_dump() for p in published]
    if comparison is not None:
        sections.append(_comparison_section(comparison))
        summary["comparison"] = {
            str(k): {c: float(r[c]) for c in COMPARISON_COLUMNS} for k, r in comparison.iterrows()
        }
    return ModelReport(
        label="projection",
        model_type="projection",
        title=f"Projection to {horizon}",
        source=source,
        sections=sections,
        summary=summary,
    )


def _fan_figure(
    name: str,
    title: str,
    label: str,
    years: np.ndarray,
    draws: np.ndarray,
    obs: np.ndarray | None,
    last: int,
    n: int,
    note: str,
    **kw: Any,
) -> FigureRef:
    """The fan chart of one projected quantity, with its caption (``note`` added to it)."""
    return _figure(
        name,
        fg.fan(years, draws, obs, last, label, f"{label}: fitted and projected", **kw),
        title,
        f"Median (line), 50% and 90% intervals (dark and light bands) over {n} "
        f"projected worlds; open squares: the data{note}.",
    )


def _chain_fans(ds: xr.Dataset, years: np.ndarray, last: int, n: int) -> list[Block]:
    """A fan chart of the share of cases carrying each value chain (where the projection
    holds a value-chain fit's shares)."""
    if "chain_share" not in ds or not np.isfinite(ds["chain_share"].values).any():
        return []
    obs = ds["observed_chain_share"].values if "observed_chain_share" in ds else None
    out: list[Block] = []
    for j, chain in enumerate(ds["value_chain"].values):
        label = f"share of cases: {str(chain).replace('_', ' ')}"
        out.append(
            _fan_figure(
                f"share_{chain}",
                f"Projection of the {label}",
                label,
                years,
                ds["chain_share"].values[:, :, j],
                None if obs is None else obs[:, j],
                last,
                n,
                " (chains overlap: the shares need not sum to 100%)",
                percent=True,
            )
        )
    return out


def _comparison_section(cmp: pd.DataFrame) -> Section:
    best = str(cmp["elpd_lfo"].idxmax())
    text = (
        "Trend families compared by exact leave-future-out cross-validation (Bürkner, Gabry & "
        "Vehtari 2020): each model is fitted on the first L years and scored on year L + 1, "
        "for every L from the first training window; elpd_lfo sums those log predictive "
        "densities. Stacking weights (Yao et al. 2018) combine the families' predictive "
        f"distributions; the best single family is {best}."
    )
    bb = "bb_weight" in cmp.columns
    rows = [
        (
            str(k),
            fmt(r["elpd_lfo"]),
            fmt(r["se"]),
            fmt(r["elpd_diff"]),
            fmt(r["se_diff"]),
            f"{r['weight']:.2f}",
            *([f"{r['bb_weight']:.2f}"] if bb else []),
        )
        for k, r in cmp.iterrows()
    ]
    weak = (cmp["elpd_diff"].abs() < 2 * cmp["se_diff"].fillna(0)).sum() > 1
    note = (
        "No family is ahead by more than twice the standard error of the difference. With "
        "few held-out years the stacking weights are mostly 0 or 1; the pseudo-BMA+ weights "
        "(Bayesian bootstrap of the scores) carry their uncertainty."
        if weak
        else "One family is ahead by more than twice the standard error of the difference."
    )
    return Section(
        "projection-comparison",
        "comparison",
        "Trend families: leave-future-out comparison",
        [
            Paragraph(text),
            make_table(
                "Leave-future-out comparison (best first)",
                (
                    "model",
                    "elpd_lfo",
                    "SE",
                    "elpd_diff",
                    "SE diff",
                    "stacking weight",
                    *(["pseudo-BMA+ weight"] if bb else []),
                ),
                rows,
                (False, True, True, True, True, True, *([True] if bb else [])),
            ),
            Paragraph(note, "note"),
        ],
    )
