"""The report builder shared by the outcome models (sentence, probation, fine).

:func:`outcome_report` writes data, convergence, parameters, trends, prior and posterior
predictive checks, LOO and methods; the models differ by an :class:`OutcomeSpec` (the words for
the likelihood, the trend figures and the predictive-check statistics) defined in
``report/sentence.py``, ``report/probation.py`` and ``report/fine.py`` and registered with
:func:`register_outcome`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ccmodels.data.schema import CHAIN_COLUMNS, VALUE_CHAINS
from ccmodels.report.core import Block, FitContext, ModelReport, Paragraph, Section, register
from ccmodels.report.icc import icc_block
from ccmodels.report.methods import PRIOR_NAMES, methods_section
from ccmodels.report.sections import (
    convergence_section,
    data_section,
    loo_section,
    parameter_section,
)
from ccmodels.report.text import fmt, frame_json, interval, make_table

__all__ = [
    "SPECS",
    "OutcomeSpec",
    "Trend",
    "by_chain",
    "by_year",
    "outcome_report",
    "register_outcome",
    "replicate_index",
    "share_checks",
    "stat_rows",
    "trend_section",
    "trend_table",
]

N_LINES = 40
TrendFn = Callable[[FitContext], tuple[list[Block], dict[str, Any]]]
CheckFn = Callable[[FitContext, pd.DataFrame, xr.Dataset, str], tuple[list[Block], dict[str, Any]]]


@dataclass(frozen=True)
class OutcomeSpec:
    """What differs between outcome models in their report."""

    title: str
    outcome: str  # for the methods paragraph: "the prison term (months)"
    likelihood: str
    trends: TrendFn
    checks: CheckFn
    prior_names: Mapping[str, str] = field(default_factory=dict)  # over methods.PRIOR_NAMES
    predictor: str = "The linear predictor"  # e.g. "Each part's linear predictor"
    #: the likelihood sentence for a fit's config, where it depends on the options fitted
    likelihood_for: Callable[[Mapping[str, Any]], str] | None = None
    unit: str = "offenders"  # what a fitted row is: "offenders", "cases", "years"
    #: posterior variable of the case-effect SD, for the intra-case correlation (None: none)
    case_sd: str | None = None
    #: posterior variable of the residual SD on the latent scale (None: a logit model, whose
    #: latent logistic residual has variance pi^2 / 3)
    residual_sd: str | None = None


# ---------------------------------------------------------------------- shared pieces
@dataclass(frozen=True)
class Trend:
    """One trend of a report's trends section: a figure of a derived table (by year: a line
    with its band; by category: points with intervals) and the same table in numbers."""

    figure: str  # figure name, e.g. "term_by_year"
    table: str  # derived table read from the fit, e.g. "mean_term_by_year"
    estimate: str  # key in summary.json, e.g. "mean_term_months_by_year"
    ylabel: str
    title: str
    caption: str
    key: str = "year"  # "year" or the category's name, e.g. "value chain"
    f: Any = fmt
    plot: Mapping[str, Any] = field(default_factory=dict)


def trend_section(
    ctx: FitContext, intro: str, trends: tuple[Trend, ...]
) -> tuple[list[Block], dict[str, Any]]:
    """Blocks and JSON estimates of a trends section made of ``trends``."""
    from ccmodels.report import figures as fg

    blocks: list[Block] = [Paragraph(intro)]
    tables: dict[str, pd.DataFrame] = {}
    for t in trends:
        df = tables[t.table] = ctx.table(t.table)
        draw = fg.trend if t.key == "year" else fg.categories
        fig = draw(df, t.ylabel, t.title, **t.plot)
        blocks += [
            ctx.figure(t.figure, fig, t.title, t.caption),
            trend_table(df, t.key, t.title, t.f),
        ]
    return blocks, trend_estimates(**{t.estimate: tables[t.table] for t in trends})


def trend_table(df: pd.DataFrame, key: str, caption: str, f: Any = fmt) -> Block:
    """A grouped summary (``mean``, ``lower``, ``upper``, ``observed``, ``n``) as a table."""
    return make_table(
        caption,
        (key, "n", "posterior mean", "95% interval", "observed"),
        (
            (
                k,
                f"{int(r['n']):,}",
                f(r["mean"]),
                interval(r["lower"], r["upper"], f),
                f(r.get("observed")),
            )
            for k, r in df.iterrows()
        ),
        (False, True, True, True, True),
    )


def stat_rows(
    stats: dict[str, tuple[float, np.ndarray]], f: dict[str, Any]
) -> tuple[Block, dict[str, Any]]:
    """Observed statistic against its replicated distribution, with P(T_rep >= T_obs)."""
    out: dict[str, Any] = {}
    rows = []
    for name, (obs, rep) in stats.items():
        rep = rep[np.isfinite(rep)]
        lo, hi = np.quantile(rep, [0.025, 0.975]) if rep.size else (np.nan, np.nan)
        p = float(np.mean(rep >= obs)) if rep.size else np.nan
        fm = f.get(name, fmt)
        out[name] = {
            "observed": float(obs),
            "replicated_mean": float(rep.mean()) if rep.size else None,
            "lower": float(lo),
            "upper": float(hi),
            "p_value": p,
        }
        rows.append(
            (name, fm(obs), fm(rep.mean() if rep.size else None), interval(lo, hi, fm), f"{p:.2f}")
        )
    table = make_table(
        "Test statistics: observed against replicated (p = share of replicates >= observed)",
        ("statistic", "observed", "replicated mean", "replicated 95%", "p"),
        rows,
        (False, True, True, True, True),
    )
    return table, out


def replicate_index(rep: np.ndarray) -> list[int]:
    """Up to ``N_LINES`` evenly spaced replicate indices (the lines drawn in a histogram)."""
    return list(np.linspace(0, rep.shape[0] - 1, min(N_LINES, rep.shape[0])).astype(int))


TREND_COLUMNS = ("n", "mean", "lower", "upper", "observed")


def trend_estimates(**tables: pd.DataFrame) -> dict[str, Any]:
    """Trend tables (group summaries) as JSON estimates, by name."""
    return {k: frame_json(v, TREND_COLUMNS) for k, v in tables.items()}


def observed_replicated(
    rows: pd.DataFrame, rep: xr.Dataset, column: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed values, replicated values (sample, row) and years of one outcome column."""
    y = rows[column].to_numpy(float)
    return y, np.asarray(rep[column].values, float), rows["year"].to_numpy(int)


def by_year(
    values: np.ndarray, years: np.ndarray, stat: Callable[[np.ndarray], Any] | None = None
) -> tuple[list[int], np.ndarray]:
    """``stat`` (default: the mean over the last axis) of ``values`` (..., rows) within each
    year: (years, (..., n_years))."""
    ys = sorted({int(y) for y in years})
    f = stat if stat is not None else (lambda v: v.mean(-1))
    return ys, np.stack([f(values[..., years == y]) for y in ys], -1)


def by_chain(values: np.ndarray, rows: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """Means of ``values`` (..., rows) among the rows of each value chain present."""
    keep = [
        (c, rows[col].to_numpy(bool))
        for c, col in zip(VALUE_CHAINS, CHAIN_COLUMNS, strict=True)
        if col in rows and rows[col].any()
    ]
    return [c for c, _ in keep], np.stack([values[..., m].mean(-1) for _, m in keep], -1)


def share_checks(
    ctx: FitContext,
    rows: pd.DataFrame,
    y: np.ndarray,
    r: np.ndarray,
    what: str,
    *,
    name: str,
    title: str,
    ylabel: str,
    noun: str,
    short: str,
) -> tuple[list[Block], dict[str, tuple[float, np.ndarray]]]:
    """Predictive checks of a 0/1 outcome's share: observed ``y`` (rows) against replicated
    ``r`` (sample, row), by year and by value chain, as two figures and the statistics
    ``title`` overall and per year (for :func:`stat_rows`)."""
    from ccmodels.report import figures as fg

    years = rows["year"].to_numpy(int)
    ys, rep_year = by_year(r, years)
    _, obs_year = by_year(y, years)
    chains, rep_ch = by_chain(r, rows)
    _, obs_ch = by_chain(y, rows)
    blocks: list[Block] = []
    for key, groups, o, rr, by, xlabel in (
        ("year", ys, obs_year, rep_year, "year", "judgment year"),
        ("value_chain", chains, obs_ch, rep_ch, "value chain", "value chain"),
    ):
        blocks.append(
            ctx.figure(
                f"{what}_ppc_{name}_by_{key}",
                fg.ppc_by_group(
                    groups,
                    o,
                    rr,
                    ylabel,
                    f"{title} by {by}: observed and {what} predictive",
                    what=what,
                    percent=True,
                    xlabel=xlabel,
                ),
                f"{title} by {by} ({what} predictive)",
                f"Observed {noun} per {by} (black diamonds) against the replicated {short}'s "
                "50% (thick) and 95% (thin) intervals.",
            )
        )
    stat = title[0].lower() + title[1:]
    stats = {stat: (float(y.mean()), r.mean(1))}
    stats |= {f"{stat} {yy}": (float(obs_year[i]), rep_year[:, i]) for i, yy in enumerate(ys)}
    return blocks, stats


def _predictive(ctx: FitContext, what: str) -> tuple[pd.DataFrame, xr.Dataset]:
    """The fit file's own prior or posterior predictive replicates (dims sample, row), made at
    fit time on the fitted rows: the report samples nothing."""
    group = f"{what}_predictive"
    if group not in ctx.idata.children:
        raise ValueError(
            f"the {ctx.model_type} fit has no {group!r} group: it was not made by "
            "ccmodels' fit(); refit"
        )
    return ctx.rows, ctx.idata[group].to_dataset()


def _check_section(ctx: FitContext, spec: OutcomeSpec, what: str) -> tuple[Section, Any]:
    kind = f"{what}-predictive"
    sec = Section(ctx.section_id(kind), kind, f"{what.capitalize()} predictive checks")
    rows, rep = _predictive(ctx, what)
    n_rep = int(rep.sizes["sample"])
    intro = (
        f"Data sets replicated from {n_rep} draws of the prior, on the rows fitted: does the "
        "prior allow plausible data without ruling out what was observed?"
        if what == "prior"
        else f"Data sets replicated from {n_rep} posterior draws, on the rows fitted: does the "
        "model reproduce the features of the data that matter here?"
    )
    sec.blocks.append(Paragraph(intro))
    blocks, stats = spec.checks(ctx, rows, rep, what)
    sec.blocks += blocks
    return sec, stats


def outcome_report(ctx: FitContext, spec: OutcomeSpec) -> ModelReport:
    """The report of a sentence, probation or fine fit."""
    data_sec, data = data_section(ctx, spec.unit)
    conv_sec, conv = convergence_section(ctx)
    par_sec, params = parameter_section(ctx)
    icc_blocks, icc = icc_block(ctx, spec)
    par_sec.blocks += icc_blocks
    trend_blocks, estimates = spec.trends(ctx)
    trend_sec = Section(ctx.section_id("trends"), "trends", "Trends", blocks=trend_blocks)
    prior_sec, prior_stats = _check_section(ctx, spec, "prior")
    post_sec, post_stats = _check_section(ctx, spec, "posterior")
    loo_sec, loo = loo_section(ctx)
    meth_sec, methods = methods_section(
        ctx,
        outcome=spec.outcome,
        likelihood=spec.likelihood_for(ctx.config) if spec.likelihood_for else spec.likelihood,
        unit=spec.unit,
        conv=conv,
        loo=loo,
        prior_names=PRIOR_NAMES | dict(spec.prior_names),
        predictor=spec.predictor,
    )
    summary = {
        "model": ctx.model_type,
        "label": ctx.label,
        "fit_id": ctx.idata.attrs.get("id"),
        "seed": ctx.seed,
        "rhat_max": conv.rhat_max,
        "worst_rhat": conv.worst_rhat,
        "ess_bulk_min": conv.ess_bulk_min,
        "worst_ess_bulk": conv.worst_ess_bulk,
        "ess_tail_min": conv.ess_tail_min,
        "divergences": conv.divergences,
        "ebfmi_min": conv.ebfmi_min,
        "ebfmi": conv.ebfmi,
        "verdict": conv.verdict,
        "remedy": conv.remedy,
        "problems": conv.problems,
        "data": data,
        "estimates": estimates,
        "interval": "central 95% (2.5% and 97.5% quantiles)",
        "parameters": params,
        "intra_case_correlation": icc,
        "predictive_checks": {"prior": prior_stats, "posterior": post_stats},
        "loo": loo.to_json(),
        "methods": methods,
    }
    sections = [data_sec, conv_sec, par_sec, trend_sec, prior_sec, post_sec, loo_sec, meth_sec]
    return ModelReport(ctx.label, ctx.model_type, spec.title, ctx.source, sections, summary)


#: model_type -> its OutcomeSpec (filled by the sentence, probation and fine modules).
SPECS: dict[str, OutcomeSpec] = {}


def register_outcome(model_type: str, spec: OutcomeSpec) -> None:
    """Register an outcome model's spec and its report builder."""
    SPECS[model_type] = spec

    def build_outcome(ctx: FitContext) -> ModelReport:
        return outcome_report(ctx, spec)

    register(model_type)(build_outcome)
