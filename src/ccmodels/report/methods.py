"""A methods paragraph generated from a fit's config, for pasting into a paper."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ccmodels.report.core import FitContext, Paragraph, Section
from ccmodels.report.diagnostics import Convergence, LooSummary
from ccmodels.report.text import fmt, prior_text, software_versions

__all__ = ["PRIOR_NAMES", "methods_section"]

#: Readable names of the prior keys shared by the outcome models.
PRIOR_NAMES: dict[str, str] = {
    "intercept": "intercept",
    "sigma_year": "year random-walk scale",
    "sigma_chain": "value-chain scale",
    "sigma_article": "article scale",
    "beta": "trait coefficients",
    "log_term": "log-term slope",
    "sigma": "residual SD",
    "sigma_case": "case SD",
}
SAMPLER_NAMES = {
    "nutpie": "nutpie",
    "pymc": "PyMC's NUTS",
    "numpyro": "NumPyro",
}


def _ordered(priors: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """Priors in the order of ``names`` (intercepts, scales, coefficients), others after."""
    order = {k: i for i, k in enumerate(names)}
    return dict(sorted(priors.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def _listing(xs: Sequence[Any]) -> str:
    xs = [str(x) for x in xs]
    if len(xs) <= 2:
        return " and ".join(xs)
    return ", ".join(xs[:-1]) + " and " + xs[-1]


def _how(post: Any, suffix: str) -> str:
    """ "non-centred" when the fit has ``*{suffix}`` innovations, else "centred"."""
    names = [str(v) for v in post.data_vars]
    return "non-centred" if any(n.endswith(suffix) for n in names) else "centred"


def effects_text(ctx: FitContext) -> str:
    """The linear predictor in words, from the fit's posterior variables and coords."""
    post = ctx.idata["posterior"].to_dataset()
    parts = ["an intercept"]
    if "year" in post.coords:
        ys = [int(y) for y in post["year"].values]
        parts.append(
            f"a Gaussian random walk over the years {ys[0]}–{ys[-1]} ({_how(post, '_year_z')} "
            "parameterisation, constrained to sum to zero)"
        )
    if "value_chain" in post.coords:
        parts.append(
            "additive multi-membership value-chain effects "
            f"({_listing(list(post['value_chain'].values))}; partially pooled, "
            f"{_how(post, '_chain_z')})"
        )
    if "article" in post.coords:
        parts.append(
            f"a zero-sum article effect over {post.sizes['article']} articles (partially "
            f"pooled, {_how(post, '_article_z')})"
        )
    if "trait" in post.coords:
        traits = _listing(list(post["trait"].values))
        parts.append(f"coefficients for the offender traits {traits}")
    return _listing(parts)


def n_cases(rows: pd.DataFrame) -> int:
    """Cases among fitted rows: distinct case ids, or the sum of a yearly ``cases`` column."""
    return int(rows["case_id"].nunique()) if "case_id" in rows else int(rows["cases"].sum())


def methods_section(
    ctx: FitContext,
    *,
    outcome: str,
    likelihood: str,
    unit: str,
    conv: Convergence,
    loo: LooSummary,
    prior_names: Mapping[str, str] = PRIOR_NAMES,
    predictor: str = "The linear predictor",
) -> tuple[Section, str]:
    """The methods paragraph of a fit: model, likelihood, effects, priors, sampler, checks."""
    cfg = ctx.config
    s = cfg.get("sampler", {})
    post = ctx.idata["posterior"]
    n_chains, n_draws = post.sizes["chain"], post.sizes["draw"]
    tune = post.attrs.get("tuning_steps", s.get("tune"))
    v = software_versions(ctx.idata)
    sampler = str(ctx.idata.attrs.get("sampler", s.get("sampler", "nutpie")))
    sampler_v = v.get(sampler, v.get("pymc", "unknown"))
    rows = ctx.rows
    years = rows["year"].astype(int)
    text = (
        f"We modelled {outcome} with a Bayesian hierarchical model (ccmodels {v['ccmodels']}, "
        f"model '{ctx.model_type}', id {ctx.idata.attrs.get('id', 'unknown')}) fitted to "
        f"{len(rows):,} {unit} ({n_cases(rows):,} cases) judged "
        f"{years.min()}–{years.max()}; the unit of analysis was {ctx.description}. "
        f"{likelihood} {predictor} comprised {effects_text(ctx)}. "
        f"Priors: {prior_text(_ordered(cfg.get('priors', {}), prior_names), prior_names)}. "
        f"We drew {n_chains} chains of {n_draws:,} posterior draws after {tune} tuning steps "
        f"with the No-U-Turn sampler of {SAMPLER_NAMES.get(sampler, sampler)} {sampler_v} "
        f"(PyMC {v['pymc']}; target acceptance {s.get('target_accept', 'default')}; random "
        f"seed {ctx.seed}). Convergence was checked with the rank-normalised split R-hat "
        f"(maximum {fmt(conv.rhat_max, 4)}), bulk and tail effective sample sizes (minimum "
        f"{fmt(conv.ess_bulk_min, 1)} and {fmt(conv.ess_tail_min, 1)}), divergent transitions "
        f"({conv.divergences}) and E-BFMI "
        + (f"(minimum {conv.ebfmi_min:.2f})" if conv.ebfmi_min is not None else "(unavailable)")
        + " (Vehtari et al. 2021)"
    )
    if loo.elpd is not None:
        text += (
            f"; predictive accuracy by Pareto-smoothed importance-sampling leave-one-"
            f"{loo.unit}-out cross-validation (elpd_loo {fmt(loo.elpd, 4)}, SE {fmt(loo.se)}; "
            f"{loo.counts.get('good', 0)} of {loo.n_obs:,} Pareto k values good; Vehtari, "
            "Gelman and Gabry 2017)"
        )
    text += f". Diagnostics and figures were computed with ArviZ {v['arviz']}."
    sec = Section(ctx.section_id("methods"), "methods", "Methods")
    sec.blocks.append(Paragraph(text, style="methods"))
    sec.blocks.append(
        Paragraph(
            "References: Vehtari, Gelman, Simpson, Carpenter and Bürkner (2021), "
            "Rank-normalization, folding, and localization: an improved R-hat, Bayesian "
            "Analysis 16(2); Vehtari, Gelman and Gabry (2017), Practical Bayesian model "
            "evaluation using leave-one-out cross-validation and WAIC, Statistics and "
            "Computing 27; Gelman et al. (2020), Bayesian workflow, arXiv:2011.01808.",
            style="note",
        )
    )
    return sec, text
