"""Report sections of the sentence model: mean prison term by year and value chain; checks
of the term distribution, the yearly mean and the share at the statutory maximum."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ccmodels import outcomes
from ccmodels.report import figures as fg
from ccmodels.report import outcome as oc
from ccmodels.report.core import Block, FitContext
from ccmodels.report.text import fixed, pct

__all__ = ["SPEC", "checks", "trends"]


TRENDS_INTRO = (
    "Posterior of the mean prison term of the offenders fitted in each year (and each "
    "value chain), with the case effect and the noise integrated out and the term "
    "censored at the statutory bounds; observed: the mean imposed term of the same "
    "offenders."
)


TRENDS = (
    oc.Trend(
        "term_by_year",
        "mean_term_by_year",
        "mean_term_months_by_year",
        "mean prison term (months)",
        "Mean prison term by year",
        "Posterior mean (circles, solid) with its 95% interval (grey band and whiskers); "
        "observed mean term (open squares, dashed), in months.",
        f=fixed(1),
        plot={"observed_label": "observed mean"},
    ),
    oc.Trend(
        "term_by_value_chain",
        "mean_term_by_value_chain",
        "mean_term_months_by_value_chain",
        "mean prison term (months)",
        "Mean prison term by value chain",
        "Posterior mean with 95% interval (filled circles) and observed mean (open squares) "
        "among the offenders of each value chain; n = offenders with the chain.",
        key="value chain",
        f=fixed(1),
        plot={"observed_label": "observed mean"},
    ),
)


def trends(ctx: FitContext) -> tuple[list[Block], dict[str, Any]]:
    """Blocks and estimates of the trends section: mean term by year and by value chain."""
    return oc.trend_section(ctx, TRENDS_INTRO, TRENDS)


def checks(
    ctx: FitContext, rows: pd.DataFrame, rep: xr.Dataset, what: str
) -> tuple[list[Block], dict[str, Any]]:
    """Predictive-check figures and statistics of replicated terms (prior or posterior)."""
    y, r, years = oc.observed_replicated(rows, rep, "term_months")
    hi = outcomes.table_term_bounds(rows)[1]
    at_max = np.isclose(y, hi) | (y >= hi)
    ys, rep_year = oc.by_year(r, years)
    _, obs_year = oc.by_year(y, years)
    blocks: list[Block] = [
        ctx.figure(
            f"{what}_ppc_log_term",
            fg.ppc_hist(
                np.log(y),
                [np.log(r[i]) for i in oc.replicate_index(r)],
                "prison term (months, log scale)",
                f"Prison term: observed and {what} predictive",
                what=what,
                log_ticks=fg.MONTH_TICKS,
            ),
            f"Distribution of the prison term ({what} predictive)",
            f"Histogram of the observed terms (thick black) and of {oc.N_LINES} data sets "
            f"replicated under the {what} (thin grey), on a log scale; tick labels in months.",
        ),
        ctx.figure(
            f"{what}_ppc_term_by_year",
            fg.ppc_by_group(
                ys,
                obs_year,
                rep_year,
                "mean prison term (months)",
                f"Mean prison term by year: observed and {what} predictive",
                what=what,
            ),
            f"Mean prison term by year ({what} predictive)",
            "Observed mean term per year (black diamonds) against the replicated mean term's "
            "50% (thick) and 95% (thin) intervals, in months.",
        ),
    ]
    table, stats = oc.stat_rows(
        {
            "mean term (months)": (y.mean(), r.mean(1)),
            "sd of log term": (np.log(y).std(), np.log(r).std(1)),
            "share at the statutory maximum": (at_max.mean(), (r >= hi[None] * (1 - 1e-9)).mean(1)),
            "longest term (months)": (y.max(), r.max(1)),
        },
        {
            "mean term (months)": fixed(1),
            "sd of log term": fixed(2),
            "share at the statutory maximum": pct,
            "longest term (months)": fixed(1),
        },
    )
    blocks.append(table)
    return blocks, stats


NORMAL = (
    "The log term was Normal given a case random intercept shared by co-defendants, which "
    "was integrated out analytically; terms at the statutory bounds (1 month; the "
    "article's maximum) were treated as censored."
)
STUDENT_T = (
    "The log term was Student-t (degrees of freedom nu estimated) given a case random "
    "intercept shared by co-defendants, sampled non-centred; terms at the statutory bounds "
    "(1 month; the article's maximum) were treated as censored (Student-t CDF)."
)


def likelihood(config: Mapping[str, Any]) -> str:
    """The likelihood actually fitted, from the fit's config."""
    return STUDENT_T if config.get("effects", {}).get("likelihood") == "student_t" else NORMAL


SPEC = oc.OutcomeSpec(
    "Prison term (sentence model)",
    "the prison term (months) of offenders given a custodial sentence",
    NORMAL,
    trends,
    checks,
    {
        "sigma": "residual SD of the log term",
        "sigma_case": "case SD of the log term",
        "nu": "degrees of freedom of the Student-t noise",
    },
    likelihood_for=likelihood,
    case_sd="term_sigma_case",
    residual_sd="term_sigma",
)
oc.register_outcome("sentence", SPEC)
