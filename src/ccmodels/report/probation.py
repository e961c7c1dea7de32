"""Report sections of the probation model: probation rate by year and value chain, average
marginal effects of traits; checks of the rate by year and by value chain."""

from __future__ import annotations

from typing import Any

import pandas as pd
import xarray as xr

from ccmodels.report import figures as fg
from ccmodels.report import outcome as oc
from ccmodels.report.core import Block, FitContext
from ccmodels.report.text import frame_json, make_table, pct

__all__ = ["SPEC", "checks", "trends"]


TRENDS_INTRO = (
    "Posterior of the probation rate among the eligible offenders fitted in each year "
    "(and each value chain); observed: the share of those offenders given probation. "
    "Average marginal effect of a trait: the mean over the fitted offenders of "
    "P(probation | trait) − P(probation | no trait), in percentage points."
)


TRENDS = (
    oc.Trend(
        "probation_by_year",
        "probability_by_year",
        "probation_rate_by_year",
        "probation rate (% of eligible offenders)",
        "Probation rate by year",
        "Posterior mean probation rate (circles, solid) with its 95% interval (grey band "
        "and whiskers); observed rate (open squares, dashed).",
        f=pct,
        plot={"percent": True, "observed_label": "observed rate"},
    ),
    oc.Trend(
        "probation_by_value_chain",
        "probability_by_value_chain",
        "probation_rate_by_value_chain",
        "probation rate (% of eligible offenders)",
        "Probation rate by value chain",
        "Posterior mean with 95% interval (filled circles) and observed rate (open "
        "squares) among eligible offenders of each value chain.",
        key="value chain",
        f=pct,
        plot={"percent": True, "observed_label": "observed rate"},
    ),
)


def trends(ctx: FitContext) -> tuple[list[Block], dict[str, Any]]:
    """Blocks and estimates of the trends section: probation rate by year and value chain,
    average marginal effects of traits."""
    blocks, est = oc.trend_section(ctx, TRENDS_INTRO, TRENDS)
    ame = ctx.table("marginal_effects")
    blocks += [
        ctx.figure(
            "probation_ame_by_trait",
            fg.forest(
                ame,
                "average marginal effect on P(probation) (percentage points)",
                "Average marginal effect of each trait on probation",
            ),
            "Average marginal effects of traits",
            "Posterior mean and 95% interval of each trait's average marginal effect on the "
            "probation probability; n = fitted offenders with the trait; dashed line: no effect.",
        ),
        make_table(
            "Average marginal effects on P(probation)",
            ("trait", "n with trait", "AME (pp)", "95% interval (pp)", "P(effect > 0)"),
            (
                (
                    t,
                    f"{int(r['n_with_trait']):,}",
                    f"{100 * r['ame']:+.1f}",
                    f"{100 * r['lower']:+.1f} to {100 * r['upper']:+.1f}",
                    f"{r['p_positive']:.2f}",
                )
                for t, r in ame.iterrows()
            ),
            (False, True, True, True, True),
        ),
    ]
    ame_j = ame.rename(columns={"ame": "mean"})
    est |= {
        "ame_by_trait": frame_json(ame_j, ("mean", "lower", "upper", "p_positive", "n_with_trait")),
    }
    return blocks, est


def checks(
    ctx: FitContext, rows: pd.DataFrame, rep: xr.Dataset, what: str
) -> tuple[list[Block], dict[str, Any]]:
    """Predictive-check figures and statistics of replicated probation (prior or posterior)."""
    y, r, _ = oc.observed_replicated(rows, rep, "probation")
    blocks, stats = oc.share_checks(
        ctx,
        rows,
        y,
        r,
        what,
        name="probation",
        title="Probation rate",
        ylabel="probation rate (% of eligible)",
        noun="probation rate",
        short="rate",
    )
    table, out = oc.stat_rows(stats, dict.fromkeys(stats, pct))
    blocks.append(table)
    return blocks, out


SPEC = oc.OutcomeSpec(
    "Probation (probation model)",
    "the grant of probation among offenders eligible for it",
    "Probation was Bernoulli with a logit link, with log(term / 12 months) as a covariate "
    "and a normal case effect shared by the eligible co-defendants of a case, integrated out "
    "of every case by adaptive quadrature (nothing sampled per case); LOO leaves out one case.",
    trends,
    checks,
    {"intercept": "intercept (logit)", "log_term": "slope of log(term / 12 months) (logit)"},
    case_sd="prob_sigma_case",
)
oc.register_outcome("probation", SPEC)
