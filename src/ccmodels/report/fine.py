"""Report sections of the fine model: mean fine by year; checks of the amount distribution and
of the share of fines at the statutory minimum."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ccmodels import law
from ccmodels.report import figures as fg
from ccmodels.report import outcome as oc
from ccmodels.report.core import Block, FitContext
from ccmodels.report.text import fixed, pct

__all__ = ["SPEC", "checks", "trends"]


TRENDS_INTRO = (
    "Posterior of the mean fine (yuan) of the offenders fitted in each year: the fined "
    "offenders whose sentence the law requires to carry a fine (并处 / 并处或者单处; not "
    "285-1, 286 or exempt); observed: the same quantity in the data."
)


TRENDS = (
    oc.Trend(
        "fine_by_year",
        "mean_fine_by_year",
        "mean_fine_yuan_by_year",
        "mean fine (yuan)",
        "Mean fine by year",
        "Posterior mean fine (circles, solid) with its 95% interval (grey band and whiskers); "
        "observed mean fine (open squares, dashed), in yuan.",
        f=fixed(0),
        plot={"money": True, "observed_label": "observed mean"},
    ),
)


def trends(ctx: FitContext) -> tuple[list[Block], dict[str, Any]]:
    """Blocks and estimates of the trends section: mean fine by year."""
    return oc.trend_section(ctx, TRENDS_INTRO, TRENDS)


def checks(
    ctx: FitContext, rows: pd.DataFrame, rep: xr.Dataset, what: str
) -> tuple[list[Block], dict[str, Any]]:
    """Predictive-check figures and statistics of replicated fines (prior or posterior)."""
    y, r, _ = oc.observed_replicated(rows, rep, "fine_yuan")
    floor = law.fine_minimum(rows["juvenile"].to_numpy(bool))
    lines = [np.log(r[i][r[i] > 0]) for i in oc.replicate_index(r)]
    blocks: list[Block] = [
        ctx.figure(
            f"{what}_ppc_log_fine",
            fg.ppc_hist(
                np.log(y[y > 0]),
                lines,
                "fine among the fined (yuan, log scale)",
                f"Fine amount: observed and {what} predictive",
                what=what,
                log_ticks=fg.YUAN_TICKS,
            ),
            f"Distribution of fine amounts ({what} predictive)",
            f"Histogram of the observed fines (thick black) and of {oc.N_LINES} data sets "
            f"replicated under the {what} (thin grey), fined offenders only, log scale; tick "
            "labels in yuan.",
        ),
    ]
    with np.errstate(invalid="ignore"):
        rep_median = np.array([np.median(v[v > 0]) if (v > 0).any() else np.nan for v in r])
        rep_floor = np.array(
            [np.mean(v[v > 0] <= floor[v > 0] * (1 + 1e-9)) if (v > 0).any() else np.nan for v in r]
        )
    pos = y > 0
    table, out = oc.stat_rows(
        {
            "mean fine (yuan)": (y.mean(), r.mean(1)),
            "median fine among the fined (yuan)": (np.median(y[pos]), rep_median),
            "share of fines at the statutory minimum": (
                np.mean(y[pos] <= floor[pos] * (1 + 1e-9)),
                rep_floor,
            ),
        },
        {
            "mean fine (yuan)": fixed(0),
            "median fine among the fined (yuan)": fixed(0),
            "share of fines at the statutory minimum": pct,
        },
    )
    blocks.append(table)
    return blocks, out


SPEC = oc.OutcomeSpec(
    "Fines (fine model)",
    "fines in yuan",
    "The log amount of the fines the law requires (并处 or 并处或者单处, every tier of the "
    "cyber articles that has a fine) followed a Normal distribution censored below at the "
    "statutory minimum (1,000 yuan, 500 for juveniles); whether to fine is not a choice the "
    "law leaves, so there is no any-fine part. Co-defendants shared a normal case effect on the "
    "log amount, integrated out in closed form (by adaptive quadrature for a case with several "
    "fines at the minimum).",
    trends,
    checks,
    {
        "intercept": "amount intercept (log yuan)",
        "sigma_year": "year random-walk scale",
        "sigma_chain": "value-chain scale",
        "sigma_article": "article scale",
        "beta": "trait coefficients",
        "sigma": "SD of the log amount",
    },
    "The linear predictor",
    case_sd="fine_amount_sigma_case",
    residual_sd="fine_amount_sigma",
)
oc.register_outcome("fine", SPEC)
