"""Plain-text description of a fit: convergence in words and the trend tables."""

from __future__ import annotations

from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from ccmodels import params
from ccmodels.models.base import OutcomeModel

__all__ = ["diagnostics", "fit_text", "trend_tables"]


def _auxiliary(name: str) -> bool:
    return name.endswith(params.AUXILIARY) or name.endswith("_sparse_z")


def diagnostics(idata: xr.DataTree) -> dict[str, Any]:
    """Max R-hat, min bulk/tail ESS and divergences over the model's parameters (not the
    sampling auxiliaries of :data:`ccmodels.params.AUXILIARY`, e.g. non-centred innovations,
    whose diagnostics duplicate their parameters')."""
    s = az.summary(idata, kind="diagnostics")
    s = s.loc[[i for i in s.index if not _auxiliary(str(i).split("[")[0])]]
    div = (
        int(idata["sample_stats"]["diverging"].sum())
        if "diverging" in idata["sample_stats"].data_vars
        else 0
    )
    return {
        "rhat_max": float(np.nanmax(s["r_hat"].to_numpy(float))),
        "ess_bulk_min": float(np.nanmin(s["ess_bulk"].to_numpy(float))),
        "ess_tail_min": float(np.nanmin(s["ess_tail"].to_numpy(float))),
        "divergences": div,
        "worst_rhat": str(s["r_hat"].astype(float).idxmax()),
        "worst_ess": str(s["ess_bulk"].astype(float).idxmin()),
    }


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


def fit_text(model: OutcomeModel, tables: bool = True) -> str:
    """Convergence verdict and trend tables as text."""
    idata = model._require_fit()
    d = diagnostics(idata)
    ok = d["rhat_max"] <= 1.01 and d["ess_bulk_min"] >= 400 and d["divergences"] == 0
    lines = [
        f"== {model.model_type} model: {len(idata['fit_data']['row'])} rows, "
        f"sampler {idata.attrs.get('sampler')}, seed {idata.attrs.get('seed')}",
        f"   max R-hat {d['rhat_max']:.3f} ({d['worst_rhat']}), min bulk ESS "
        f"{d['ess_bulk_min']:.0f} ({d['worst_ess']}), divergences {d['divergences']}: "
        + ("converged" if ok else "CHECK: run longer chains or raise target_accept"),
    ]
    if tables:
        with pd.option_context("display.width", 120, "display.float_format", "{:,.3g}".format):
            for name, t in trend_tables(model).items():
                lines += ["", f"-- {name} (95% intervals)", t.to_string()]
    return "\n".join(lines)
