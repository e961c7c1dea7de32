"""Report sections of the growth models (group size, case volume, value chains): the yearly
estimates against the data and posterior predictive checks (for group size: the yearly largest
case and the share of cases with 3 or more defendants).

The report reads files only: projections of these quantities (fan charts) are the projection
part's (:mod:`ccmodels.report.projection`), from a projection file given to the report
(``ccmodels project``, then ``ccmodels report --projection``), not simulated here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ccmodels.data.schema import CHAIN_COLUMNS, VALUE_CHAINS
from ccmodels.report import figures as fg
from ccmodels.report import outcome as oc
from ccmodels.report.core import Block, FitContext, Paragraph
from ccmodels.report.text import fmt, frame_json, make_table, pct

__all__ = ["PROJECTION_NOTE"]

CHECK_COLUMNS = ("mean", "lower", "upper", "p_at_least_observed")

#: Said under each growth fit's trends: where its projection is.
PROJECTION_NOTE = (
    "Projections to later years come from a projection file: 'ccmodels project' writes one "
    "from the growth fits, and 'ccmodels report --projection FILE' shows its fan charts after "
    "the fits."
)


def _check_table(df: pd.DataFrame, name: str, caption: str, f: Any = fmt) -> Block:
    return make_table(
        caption,
        ("year", "observed", "replicated mean", "90% interval", "P(rep >= obs)"),
        (
            (
                y,
                f(r[f"observed_{name}"]),
                f(r["mean"]),
                f"{f(r['lower'])} to {f(r['upper'])}",
                f"{r['p_at_least_observed']:.2f}",
            )
            for y, r in df.iterrows()
        ),
        (False, True, True, True, True),
    )


# ---------------------------------------------------------------------- group size
def size_trends(ctx: FitContext) -> tuple[list[Block], dict[str, Any]]:
    mx, big = ctx.table("max_by_year"), ctx.table("share_3plus_by_year")
    mean = ctx.table("mean_by_year")
    blocks: list[Block] = [
        Paragraph(
            "Defendants per case by year: the posterior predictive distribution of the yearly "
            "mean, of the largest case and of the share of cases with 3 or more defendants, "
            "against the data (P(rep >= obs) near 0 or 1 flags a misfit)."
        ),
        _check_table(mean, "mean", "Mean defendants per case by year"),
        _check_table(mx, "max", "Largest case by year", lambda v: f"{v:.0f}"),
        _check_table(big, "share_3plus", "Share of cases with 3+ defendants by year", pct),
        Paragraph(PROJECTION_NOTE, "note"),
    ]
    est = {
        "max_by_year": frame_json(mx, ("observed_max", *CHECK_COLUMNS)),
        "share_3plus_by_year": frame_json(big, ("observed_share_3plus", *CHECK_COLUMNS)),
        "mean_by_year": frame_json(mean, ("observed_mean", *CHECK_COLUMNS)),
    }
    return blocks, est


def _ppc_year(
    ctx: FitContext,
    name: str,
    years: list[int],
    obs: np.ndarray,
    rep: np.ndarray,
    ylabel: str,
    what: str,
    percent: bool = False,
) -> Block:
    return ctx.figure(
        f"{what}_ppc_{name}",
        fg.ppc_by_group(
            years,
            obs,
            rep,
            ylabel,
            f"{ylabel}: observed and {what} predictive",
            what=what,
            percent=percent,
        ),
        f"{ylabel} ({what} predictive)",
        f"Observed {ylabel} per year (black diamonds) against the replicated 50% (thick) "
        "and 95% (thin) intervals.",
    )


def size_checks(
    ctx: FitContext, rows: pd.DataFrame, rep: xr.Dataset, what: str
) -> tuple[list[Block], dict[str, Any]]:
    y, r, years = oc.observed_replicated(rows, rep, "n_defendants")
    out: list[Block] = []
    stats: dict[str, Any] = {}
    for name, label, stat, percent in (
        ("max", "largest case", lambda v: v.max(-1), False),
        ("share_3plus", "share of cases with 3+ defendants", lambda v: (v >= 3).mean(-1), True),
    ):
        ys, rep_y = oc.by_year(r, years, stat)
        _, obs_y = oc.by_year(y, years, stat)
        out.append(_ppc_year(ctx, name, ys, obs_y, rep_y, label, what, percent))
        stats |= {f"{label} {yy}": (float(obs_y[i]), rep_y[:, i]) for i, yy in enumerate(ys)}
    tab, js = oc.stat_rows(stats, {})
    return [*out, tab], js


# ---------------------------------------------------------------------- case volume
def volume_trends(ctx: FitContext) -> tuple[list[Block], dict[str, Any]]:
    yr = ctx.table("cases_by_year")
    blocks: list[Block] = [
        Paragraph(
            "Expected cases by year (the fitted rate, exposure as in the data) against "
            "the cases observed."
        ),
        ctx.figure(
            "cases_by_year",
            fg.trend(yr, "cases per year", "Cases by year"),
            "Cases by year",
            "Posterior mean (circles) with 95% interval; observed cases (open squares).",
        ),
        oc.trend_table(yr, "year", "Cases by year", lambda v: f"{v:,.1f}"),
        Paragraph(PROJECTION_NOTE, "note"),
    ]
    return blocks, oc.trend_estimates(cases_by_year=yr)


def volume_checks(
    ctx: FitContext, rows: pd.DataFrame, rep: xr.Dataset, what: str
) -> tuple[list[Block], dict[str, Any]]:
    y, r, years = oc.observed_replicated(rows, rep, "cases")
    ys = [int(v) for v in years]
    block = _ppc_year(ctx, "cases", ys, y, r, "cases per year", what)
    tab, js = oc.stat_rows({f"cases {yy}": (float(y[i]), r[:, i]) for i, yy in enumerate(ys)}, {})
    return [block, tab], js


# ---------------------------------------------------------------------- value chains
def chain_trends(ctx: FitContext) -> tuple[list[Block], dict[str, Any]]:
    tabs = {c: ctx.table(f"share_by_year_{c}") for c in VALUE_CHAINS}
    blocks: list[Block] = [
        Paragraph(
            "Share of cases carrying each value chain, by year (chains overlap: the "
            "shares need not sum to 100%)."
        ),
    ]
    for c, t in tabs.items():
        blocks.append(oc.trend_table(t, "year", f"Share of cases: {c.replace('_', ' ')}", pct))
    blocks.append(Paragraph(PROJECTION_NOTE, "note"))
    return blocks, oc.trend_estimates(**{f"share_by_year_{c}": t for c, t in tabs.items()})


def chain_checks(
    ctx: FitContext, rows: pd.DataFrame, rep: xr.Dataset, what: str
) -> tuple[list[Block], dict[str, Any]]:
    out: list[Block] = []
    stats: dict[str, Any] = {}
    for c, col in zip(VALUE_CHAINS, CHAIN_COLUMNS, strict=True):
        y, r, years = oc.observed_replicated(rows, rep, col)
        ys, rep_y = oc.by_year(r, years)
        _, obs_y = oc.by_year(y, years)
        out.append(_ppc_year(ctx, f"share_{c}", ys, obs_y, rep_y, f"share {c}", what, True))
        stats |= {f"share {c} {yy}": (float(obs_y[i]), rep_y[:, i]) for i, yy in enumerate(ys)}
    tab, js = oc.stat_rows(stats, {})
    return [*out, tab], js


oc.register_outcome(
    "group_size",
    oc.OutcomeSpec(
        "Defendants per case (group size model)",
        "the number of defendants per case",
        "The number of defendants was negative binomial (shifted by one, or zero-truncated), "
        "its log mean and log shape each a linear predictor.",
        size_trends,
        size_checks,
        {"alpha_intercept": "log shape intercept", "alpha_sigma_year": "log shape year-walk scale"},
        predictor="The log mean's linear predictor",
        likelihood_for=lambda cfg: (
            (
                "The number of defendants minus one was negative binomial"
                if cfg.get("effects", {}).get("family", "shifted") == "shifted"
                else "The number of defendants was zero-truncated negative binomial"
            )
            + " (log mean and log shape each a linear predictor, log-probabilities in closed form)."
        ),
        unit="cases",
    ),
)
oc.register_outcome(
    "case_volume",
    oc.OutcomeSpec(
        "Cases per year (case volume model)",
        "the number of cases per year",
        "The yearly number of cases was negative binomial, its log rate (plus the log exposure) "
        "a random walk with drift.",
        volume_trends,
        volume_checks,
        {"dispersion": "negative binomial shape"},
        unit="years",
    ),
)
oc.register_outcome(
    "value_chain",
    oc.OutcomeSpec(
        "Value-chain composition (value chain model)",
        "the value chains each case carries",
        "Each value-chain flag was Bernoulli with a logit link, one year walk per chain.",
        chain_trends,
        chain_checks,
        predictor="Each chain's linear predictor",
        unit="cases",
    ),
)
