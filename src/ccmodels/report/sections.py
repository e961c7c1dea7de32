"""Sections every model type can use: data, convergence, parameters, LOO and methods.

Each function takes a :class:`~ccmodels.report.core.FitContext` and returns a
:class:`~ccmodels.report.core.Section` and the matching part of the fit's ``summary.json``
entry. Model-specific sections (trends, predictive checks) live with their model type's builder.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ccmodels.data.schema import CHAIN_COLUMNS, TRAITS, VALUE_CHAINS
from ccmodels.report import diagnostics as dg
from ccmodels.report import figures as fg
from ccmodels.report.core import FitContext, Paragraph, Section
from ccmodels.report.text import _int, fmt, frame_json, make_table, pct

__all__ = [
    "convergence_section",
    "data_section",
    "loo_section",
    "parameter_section",
]

N_RANK_PARAMS = 4


def data_section(ctx: FitContext, unit: str = "offenders") -> tuple[Section, dict[str, Any]]:
    """Rows and cases per year, value-chain, trait and article shares of the fitted rows."""
    rows = ctx.rows
    years = rows["year"].astype(int)
    if "case_id" not in rows:
        return _yearly_data_section(ctx)
    by_year = pd.DataFrame(
        {
            "rows": years.value_counts().sort_index(),
            "cases": rows.groupby(years)["case_id"].nunique(),
        }
    ).fillna(0)
    n, n_cases = len(rows), int(rows["case_id"].nunique())
    sec = Section(ctx.section_id("data"), "data", "Data summary")
    sec.blocks.append(
        Paragraph(
            f"Unit of analysis: {ctx.description}. The fit used {n:,} {unit} in "
            f"{n_cases:,} cases judged {years.min()}–{years.max()}. Shares below are of the "
            f"{unit} fitted; a case may belong to several value chains or to none."
        )
    )
    sec.blocks.append(
        make_table(
            f"Cases and {unit} per year",
            ("year", unit, "cases", f"{unit} per case"),
            (
                (y, f"{int(r['rows']):,}", f"{int(r['cases']):,}", f"{r['rows'] / r['cases']:.2f}")
                for y, r in by_year.iterrows()
            ),
            (False, True, True, True),
        )
    )
    sec.blocks.append(
        ctx.figure(
            "data_by_year",
            fg.counts_by_year(by_year, unit),
            f"Cases and {unit} per year",
            f"Number of cases (grey) and of {unit} (hatched) per judgment year in the data the "
            "model was fitted on.",
        )
    )
    chains = {
        c: float(rows[col].astype(bool).mean())
        for c, col in zip(VALUE_CHAINS, CHAIN_COLUMNS, strict=True)
        if col in rows
    }
    traits = {t: float(rows[t].astype(bool).mean()) for t in TRAITS if t in rows}
    sec.blocks.append(
        make_table(
            "Value chains",
            ("value chain", unit, "share"),
            ((c, f"{round(s * n):,}", pct(s)) for c, s in chains.items()),
            (False, True, True),
            compact=True,
        )
    )
    sec.blocks.append(
        make_table(
            "Offender traits",
            ("trait", unit, "share"),
            ((t, f"{round(s * n):,}", pct(s)) for t, s in traits.items()),
            (False, True, True),
            compact=True,
        )
    )
    arts = rows["article"].astype(str).value_counts()
    sec.blocks.append(
        make_table(
            "Articles",
            ("article", unit, "share"),
            ((a, f"{int(k):,}", pct(k / n)) for a, k in arts.items()),
            (False, True, True),
            compact=True,
        )
    )
    summary = {
        "n_rows": n,
        "n_cases": n_cases,
        "years": [int(years.min()), int(years.max())],
        "rows_by_year": {str(y): int(r) for y, r in by_year["rows"].items()},
        "cases_by_year": {str(y): int(c) for y, c in by_year["cases"].items()},
        "value_chain_share": chains,
        "trait_share": traits,
    }
    return sec, summary


def _yearly_data_section(ctx: FitContext) -> tuple[Section, dict[str, Any]]:
    """The data summary of a year-level fit (one row per year with its cases)."""
    rows = ctx.rows
    cases = rows.set_index(rows["year"].astype(int))["cases"].astype(int)
    sec = Section(ctx.section_id("data"), "data", "Data summary")
    sec.blocks.append(
        Paragraph(
            f"Unit of analysis: {ctx.description}. The fit used {len(rows)} years, "
            f"{cases.index.min()}–{cases.index.max()}, with {int(cases.sum()):,} cases in all."
        )
    )
    sec.blocks.append(
        make_table(
            "Cases per year",
            ("year", "cases"),
            ((y, f"{c:,}") for y, c in cases.items()),
            (False, True),
            compact=True,
        )
    )
    summary = {
        "n_rows": len(rows),
        "n_cases": int(cases.sum()),
        "years": [int(cases.index.min()), int(cases.index.max())],
        "cases_by_year": {str(y): int(c) for y, c in cases.items()},
    }
    return sec, summary


# ---------------------------------------------------------------------- convergence
def convergence_section(ctx: FitContext) -> tuple[Section, dg.Convergence]:
    """R-hat, ESS, divergences and E-BFMI against the thresholds, a verdict and remedies."""
    c = dg.convergence(ctx.idata)
    t = dg.THRESHOLDS
    sec = Section(ctx.section_id("convergence"), "convergence", "Convergence", verdict=c.verdict)
    words = {
        "ok": "ok — every diagnostic meets its threshold.",
        "warn": "warn — some diagnostics miss the ok thresholds; read the estimates with care.",
        "fail": "fail — the draws do not represent the posterior; do not use the estimates.",
    }
    sec.blocks.append(
        Paragraph(f"Verdict: {words[c.verdict]}", style=c.verdict, items=tuple(c.problems))
    )
    if c.remedies:
        sec.blocks.append(
            Paragraph("Remedy:", style="remedy", items=tuple(f"{r}." for r in c.remedies))
        )

    def status(ok: bool | None, failed: bool = False) -> str:
        return "n/a" if ok is None else "ok" if ok else "FAIL" if failed else "warn"

    eb = c.ebfmi_min
    rows = [
        (
            "max R-hat (rank-normalised split)",
            "–" if c.rhat_max is None else f"{c.rhat_max:.3f}",
            f"< {t['rhat_ok']} (fail > {t['rhat_fail']})",
            status(
                None if c.rhat_max is None else c.rhat_max < t["rhat_ok"],
                c.rhat_max is not None and c.rhat_max > t["rhat_fail"],
            ),
            c.worst_rhat or "",
        ),
        (
            "min bulk ESS",
            _int(c.ess_bulk_min),
            f">= {t['ess_ok']:.0f} (fail < {t['ess_fail']:.0f})",
            status(
                None if c.ess_bulk_min is None else c.ess_bulk_min >= t["ess_ok"],
                c.ess_bulk_min is not None and c.ess_bulk_min < t["ess_fail"],
            ),
            c.worst_ess_bulk or "",
        ),
        (
            "min tail ESS",
            _int(c.ess_tail_min),
            f">= {t['ess_ok']:.0f} (fail < {t['ess_fail']:.0f})",
            status(
                None if c.ess_tail_min is None else c.ess_tail_min >= t["ess_ok"],
                c.ess_tail_min is not None and c.ess_tail_min < t["ess_fail"],
            ),
            c.worst_ess_tail or "",
        ),
        (
            "divergent transitions",
            f"{c.divergences} of {c.n_draws:,} draws",
            f"0 (fail > {100 * t['divergence_fail_share']:.0f}%)",
            status(
                c.divergences == 0,
                c.divergences > t["divergence_fail_share"] * c.n_draws,
            ),
            "",
        ),
        (
            "E-BFMI per chain",
            "unavailable (no energy stored)"
            if c.ebfmi is None
            else ", ".join(f"{v:.2f}" for v in c.ebfmi),
            f"> {t['ebfmi_ok']}",
            status(None if eb is None else eb > t["ebfmi_ok"]),
            "",
        ),
    ]
    sec.blocks.append(
        make_table(
            "Diagnostics (parameters other than the _z innovations)",
            ("diagnostic", "value", "threshold", "status", "worst parameter"),
            rows,
            (False, True, False, False, False),
        )
    )
    ds = dg.worst_rhat_draws(ctx.idata, N_RANK_PARAMS)
    if ds is not None:
        sec.blocks.append(
            ctx.figure(
                "rank",
                fg.rank(ds, f"Rank plots: the {len(ds.data_vars)} parameters with highest R-hat"),
                "Rank plots of the least converged parameters",
                "Rank plots (Vehtari et al. 2021): every draw is ranked among all chains' draws "
                "and each chain's line (one line style each) is the ECDF of its fractional ranks "
                "minus the uniform CDF. Chains that sample the same distribution stay near zero; "
                "the p-value is a multi-chain uniformity test and dots mark where a chain "
                "departs most.",
            )
        )
    return sec, c


# ---------------------------------------------------------------------- parameters
IDENTIFICATION = (
    "Year effects are a random walk centred to sum to zero over the years, article effects sum "
    "to zero, and value chains are membership flags, so the intercept is the linear predictor "
    "averaged over years and articles for an offender with no trait and no value chain. "
    "Deterministic effects (year_effect, chain, article) are shown; the non-centred _z "
    "innovations are left out."
)


def parameter_section(ctx: FitContext, prob: float = 0.95) -> tuple[Section, dict[str, Any]]:
    """Posterior summary of every parameter (mean, sd, central interval, R-hat, ESS)."""
    df = dg.parameter_table(ctx.idata, prob)
    lo_name, hi_name = f"{100 * (1 - prob) / 2:g}%", f"{100 * (1 + prob) / 2:g}%"
    sec = Section(ctx.section_id("parameters"), "parameters", "Parameters")
    sec.blocks.append(
        Paragraph(
            f"Posterior mean, standard deviation and central {100 * prob:g}% interval of each "
            f"parameter, on the scale of the linear predictor. {IDENTIFICATION}"
        )
    )
    sec.blocks.append(
        make_table(
            "Parameter estimates",
            ("parameter", "mean", "sd", lo_name, hi_name, "R-hat", "ESS bulk", "ESS tail"),
            (
                (
                    name,
                    fmt(r["mean"]),
                    fmt(r["sd"]),
                    fmt(r["lower"]),
                    fmt(r["upper"]),
                    f"{r['r_hat']:.3f}" if math.isfinite(r["r_hat"]) else "–",
                    _int(r["ess_bulk"]),
                    _int(r["ess_tail"]),
                )
                for name, r in df.iterrows()
            ),
            (False, *([True] * 7)),
        )
    )
    return sec, frame_json(df, df.columns)


# ---------------------------------------------------------------------- LOO
def loo_section(ctx: FitContext) -> tuple[Section, dg.LooSummary]:
    """PSIS-LOO with Pareto-k bins, from the fit's log-likelihood (a fit without one gets a
    warning with the remedy)."""
    sec = Section(ctx.section_id("loo"), "loo", "Leave-one-out cross-validation (PSIS-LOO)")
    try:
        if "log_likelihood" not in ctx.idata.children:
            raise ValueError(
                "the fit was saved without its pointwise log-likelihood (a report computes nothing)"
            )
        res = dg.loo_summary(ctx.idata)
    except Exception as exc:  # a report should still be written; say why LOO is missing
        res = dg.LooSummary(error=f"{type(exc).__name__}: {exc}")
        sec.verdict = "warn"
        sec.blocks.append(
            Paragraph(
                f"LOO is unavailable for this fit: {res.error}",
                style="warn",
                items=("Remedy: refit with loo=True (CLI: --loo) or report this error.",),
            )
        )
        return sec, res
    c, n = res.counts, max(res.n_obs, 1)
    assert res.good_k is not None
    bad = c["bad"] + c["very_bad"]
    sec.verdict = "ok" if bad == 0 and c["ok"] == 0 else "warn"
    sec.blocks.append(
        Paragraph(
            f"Expected log predictive density for a new {res.unit}, estimated by Pareto-smoothed "
            f"importance sampling over {res.n_samples:,} draws (leave one {res.unit} out). "
            "Use it to compare models fitted to the same rows; its absolute value has no "
            "meaning on its own.",
        )
    )
    sec.blocks.append(
        make_table(
            "LOO estimate",
            ("quantity", "estimate", "SE"),
            (
                ("elpd_loo", fmt(res.elpd, 4), fmt(res.se)),
                ("p_loo (effective number of parameters)", fmt(res.p_loo), ""),
                (f"{res.unit}s left out", f"{res.n_obs:,}", ""),
            ),
            (False, True, True),
        )
    )
    sec.blocks.append(
        make_table(
            "Pareto k diagnostic",
            ("bin", "range", "count", "share"),
            (
                ("good", f"k <= {res.good_k:.2f}", c["good"], pct(c["good"] / n)),
                ("ok", f"{res.good_k:.2f} < k <= 0.7", c["ok"], pct(c["ok"] / n)),
                ("bad", "0.7 < k <= 1", c["bad"], pct(c["bad"] / n)),
                ("very bad", "k > 1", c["very_bad"], pct(c["very_bad"] / n)),
            ),
            (False, False, True, True),
        )
    )
    if bad or c["ok"]:
        sec.blocks.append(
            Paragraph(
                f"{bad + c['ok']} {res.unit}(s) have k above {res.good_k:.2f}: the importance "
                "weights of those left-out observations are unreliable, and so may be elpd_loo.",
                style="warn",
                items=(
                    "Remedy: more posterior draws (the good threshold rises with the number "
                    "of draws), moment matching or exact refits for those observations "
                    "(K-fold CV), or a likelihood with heavier tails.",
                ),
            )
        )
    sec.blocks.append(
        ctx.figure(
            "pareto_k",
            fg.khat(res.elpd_data, res.good_k, res.unit, f"Pareto k per {res.unit}"),
            "Pareto k diagnostic",
            f"Estimated Pareto shape k of the importance ratios, one point per {res.unit}; "
            f"dashed line: good threshold for {res.n_samples:,} draws, dash-dot: 0.7, "
            "dotted: 1.",
        )
    )
    return sec, res


# ---------------------------------------------------------------------- methods
