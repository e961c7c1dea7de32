"""Report sections of the fine model: mean fine and share fined by year; checks of the share
fined, the amount distribution and the share of fines at the statutory minimum."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ccmodels import law
from ccmodels.report import figures as fg
from ccmodels.report import outcome as oc
from ccmodels.report.core import Block, FitContext
from ccmodels.report.sections import fixed, pct

__all__ = ["SPEC", "checks", "trends"]


TRENDS_INTRO = (
    "Posterior of the mean fine (yuan, offenders without a fine counted as 0) and of "
    "the share fined among the offenders fitted in each year; observed: the same "
    "quantities in the data. Fine-only sentences count as fined."
)


TRENDS = (
    oc.Trend(
        "fine_by_year",
        "mean_fine_by_year",
        "mean_fine_yuan_by_year",
        "mean fine (yuan, zeros included)",
        "Mean fine by year",
        "Posterior mean fine (circles, solid) with its 95% interval (grey band and whiskers); "
        "observed mean fine (open squares, dashed), in yuan.",
        f=fixed(0),
        plot={"money": True, "observed_label": "observed mean"},
    ),
    oc.Trend(
        "fined_share_by_year",
        "fine_probability_by_year",
        "fined_share_by_year",
        "share fined (% of offenders)",
        "Share of offenders fined by year",
        "Posterior mean share fined (circles, solid) with its 95% interval; observed share "
        "(open squares, dashed).",
        f=pct,
        plot={"percent": True, "observed_label": "observed share"},
    ),
)


def trends(ctx: FitContext) -> tuple[list[Block], dict[str, Any]]:
    """Blocks and estimates of the trends section: mean fine and share fined by year."""
    return oc.trend_section(ctx, TRENDS_INTRO, TRENDS)


def checks(
    ctx: FitContext, rows: pd.DataFrame, rep: xr.Dataset, what: str
) -> tuple[list[Block], dict[str, Any]]:
    """Predictive-check figures and statistics of replicated fines (prior or posterior)."""
    y, r, years = oc.observed_replicated(rows, rep, "fine_yuan")
    floor = law.fine_minimum(rows["juvenile"].to_numpy(bool))
    ys, rep_year = oc.by_year((r > 0).astype(float), years)
    _, obs_year = oc.by_year((y > 0).astype(float), years)
    lines = [np.log(r[i][r[i] > 0]) for i in oc.replicate_index(r)]
    blocks: list[Block] = [
        ctx.figure(
            f"{what}_ppc_fined_by_year",
            fg.ppc_by_group(
                ys,
                obs_year,
                rep_year,
                "share fined (% of offenders)",
                f"Share fined by year: observed and {what} predictive",
                what=what,
                percent=True,
            ),
            f"Share fined by year ({what} predictive)",
            "Observed share fined per year (black diamonds) against the replicated share's "
            "50% (thick) and 95% (thin) intervals.",
        ),
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
            "share fined": (pos.mean(), (r > 0).mean(1)),
            "mean fine (yuan)": (y.mean(), r.mean(1)),
            "median fine among the fined (yuan)": (np.median(y[pos]), rep_median),
            "share of fines at the statutory minimum": (
                np.mean(y[pos] <= floor[pos] * (1 + 1e-9)),
                rep_floor,
            ),
        },
        {
            "share fined": pct,
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
    "Fines followed a hurdle model: whether a fine was imposed (Bernoulli, logit link; "
    "fine-only sentences excluded from this part) and the log amount of imposed fines "
    "(Normal, censored below at the statutory minimum of 1,000 yuan, 500 for juveniles), "
    "each part with its own linear predictor.",
    trends,
    checks,
    {
        "intercept": "any-fine intercept (logit)",
        "amount_intercept": "amount intercept (log yuan)",
        "sigma_year": "year random-walk scale (each part)",
        "sigma_chain": "value-chain scale (each part)",
        "sigma_article": "article scale (each part)",
        "beta": "trait coefficients (each part)",
        "sigma": "SD of the log amount",
    },
    "Each part's linear predictor",
)
oc.register_outcome("fine", SPEC)
