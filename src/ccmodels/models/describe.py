"""Plain-text description of a fit: the convergence verdict (:mod:`.convergence`, the rule the
report applies) and the trend tables."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ccmodels.models.base import OutcomeModel
from ccmodels.models.convergence import convergence

__all__ = ["convergence_line", "fit_text", "trend_tables"]


def trend_tables(model: OutcomeModel) -> dict[str, pd.DataFrame]:
    """The researcher-facing tables of a fitted model, by name."""
    from ccmodels.models.fine import FineModel
    from ccmodels.models.probation import ProbationModel
    from ccmodels.models.sentence import SentenceModel

    if isinstance(model, SentenceModel):
        return {
            "mean prison term (months) by year": model.mean_term_by("year"),
            "mean prison term (months) by value chain": model.mean_term_by("value_chain"),
        }
    if isinstance(model, ProbationModel):
        return {
            "probation rate (eligible offenders) by year": model.probability_by("year"),
            "probation rate by value chain": model.probability_by("value_chain"),
            "average marginal effect of each trait on P(probation)": model.marginal_effects(),
        }
    if isinstance(model, FineModel):
        return {
            "mean fine (yuan) of the fined offenders by year": model.mean_fine_by("year"),
        }
    return {}


def convergence_line(idata: Any) -> str:
    """The verdict of :func:`~ccmodels.models.convergence.convergence` in one line: max R-hat,
    min bulk ESS and divergences with the worst parameters, then what to do if it is not ok."""
    c = convergence(idata)
    rhat = "n/a" if c.rhat_max is None else f"{c.rhat_max:.3f}"
    ess = "n/a" if c.ess_bulk_min is None else f"{c.ess_bulk_min:.0f}"
    head = (
        f"max R-hat {rhat} ({c.worst_rhat}), min bulk ESS {ess} ({c.worst_ess_bulk}), "
        f"divergences {c.divergences}: verdict {c.verdict}"
    )
    return head if c.verdict == "ok" else f"{head} ({'; '.join(c.problems)}). {c.remedy}"


def fit_text(model: OutcomeModel, tables: bool = True) -> str:
    """Convergence verdict and trend tables as text."""
    idata = model._require_fit()
    lines = [
        f"== {model.model_type} model: {len(idata['fit_data']['row'])} rows, "
        f"sampler {idata.attrs.get('sampler')}, seed {idata.attrs.get('seed')}",
        "   " + convergence_line(idata),
    ]
    if tables:
        with pd.option_context("display.width", 120, "display.float_format", "{:,.3g}".format):
            for name, t in trend_tables(model).items():
                lines += ["", f"-- {name} (95% intervals)", t.to_string()]
    return "\n".join(lines)
