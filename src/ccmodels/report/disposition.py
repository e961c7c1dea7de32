"""Report sections of the disposition model: the share of offenders exempted from punishment
and the share fined only, by year and by value chain; checks of both shares by year and by
value chain."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ccmodels.report import outcome as oc
from ccmodels.report.core import Block, FitContext
from ccmodels.report.text import pct

__all__ = ["SPEC", "checks", "trends"]

#: the replicated categories and how each reads in a report
LABELS = {"exempt": "exempt from punishment", "fine_only": "fined only"}

TRENDS_INTRO = (
    "Posterior of the share of the fitted offenders exempted from punishment (免予刑事处罚) "
    "and of the share sentenced to a fine alone (单处罚金), in each year and each value chain, "
    "the case effect averaged over; observed: the same shares in the data. A fine alone is "
    "possible only under an article whose lowest tier reads 并处或者单处罚金."
)


def _trends() -> tuple[oc.Trend, ...]:
    out = []
    for cat, label in LABELS.items():
        cap = "share " + label + " (% of offenders)"
        out += [
            oc.Trend(
                f"{cat}_by_year",
                f"{cat}_share_by_year",
                f"{cat}_share_by_year",
                cap,
                f"Share {label} by year",
                "Posterior mean share (circles, solid) with its 95% interval (grey band and "
                "whiskers); observed share (open squares, dashed).",
                f=pct,
                plot={"percent": True, "observed_label": "observed share"},
            ),
            oc.Trend(
                f"{cat}_by_value_chain",
                f"{cat}_share_by_value_chain",
                f"{cat}_share_by_value_chain",
                cap,
                f"Share {label} by value chain",
                "Posterior mean with 95% interval (filled circles) and observed share (open "
                "squares) among the offenders of each value chain.",
                key="value chain",
                f=pct,
                plot={"percent": True, "observed_label": "observed share"},
            ),
        ]
    return tuple(out)


TRENDS = _trends()


def trends(ctx: FitContext) -> tuple[list[Block], dict[str, Any]]:
    """Blocks and estimates of the trends section: shares exempt and fined only by year and
    value chain."""
    return oc.trend_section(ctx, TRENDS_INTRO, TRENDS)


def observed(rows: pd.DataFrame) -> pd.DataFrame:
    """The observed 0/1 indicators of each replicated category, from ``sentence_type``."""
    st = rows["sentence_type"].astype(str)
    return pd.DataFrame({c: (st == c).to_numpy(float) for c in LABELS}, index=rows.index)


def checks(
    ctx: FitContext, rows: pd.DataFrame, rep: xr.Dataset, what: str
) -> tuple[list[Block], dict[str, Any]]:
    """Predictive-check figures and statistics of the replicated dispositions (prior or
    posterior): both shares by year and by value chain."""
    obs = observed(rows)
    blocks: list[Block] = []
    stats: dict[str, tuple[float, np.ndarray]] = {}
    for cat, label in LABELS.items():
        b, st = oc.share_checks(
            ctx,
            rows,
            obs[cat].to_numpy(),
            np.asarray(rep[cat].values, float),
            what,
            name=cat,
            title=f"Share {label}",
            ylabel=f"share {label} (%)",
            noun="share",
            short="share",
        )
        blocks += b
        stats |= st
    table, out = oc.stat_rows(stats, dict.fromkeys(stats, pct))
    blocks.append(table)
    return blocks, out


SPEC = oc.OutcomeSpec(
    "Disposition (disposition model)",
    "the disposition of each offender: custodial (fixed term or detention), exempt from "
    "punishment, or a fine alone",
    "The disposition was categorical with a multinomial logit against custody: "
    "log P(exempt)/P(custodial) and log P(fine only)/P(custodial) each a linear predictor "
    "plus a normal case effect shared by the offenders of a case (integrated out of every "
    "case by adaptive quadrature); a fine alone has probability zero where the article does "
    "not allow it.",
    trends,
    checks,
    {},
    predictor="Each log-odds' linear predictor",
    case_sd="disp_sigma_case",
)
oc.register_outcome("disposition", SPEC)
