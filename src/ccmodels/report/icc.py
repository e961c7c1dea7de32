"""The intra-case correlation of an outcome model: how alike co-defendants' outcomes are, on
the latent scale, with its block of the report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from ccmodels.report.core import Block, FitContext, Paragraph
from ccmodels.report.text import fmt, interval, make_table

if TYPE_CHECKING:
    from ccmodels.report.outcome import OutcomeSpec

__all__ = ["LOGISTIC_VARIANCE", "icc_block", "intra_case_correlation"]


# ---------------------------------------------------------------------- intra-case correlation
LOGISTIC_VARIANCE = float(np.pi**2 / 3)


def intra_case_correlation(
    post: xr.Dataset, case_sd: str, residual_sd: str | None = None
) -> xr.DataArray:
    """Posterior draws of the intra-case correlation tau^2 / (tau^2 + v): tau the case-effect
    SD and v the residual variance on the latent scale -- pi^2 / 3 for a logit model (the
    latent-variable definition), sigma^2 for a normal residual, sigma^2 nu / (nu - 2) for a
    Student-t one (``<prefix>_nu`` in the posterior; undefined, NaN, where nu <= 2)."""
    tau2 = post[case_sd] ** 2
    if residual_sd is None:
        v: Any = LOGISTIC_VARIANCE
    else:
        v = post[residual_sd] ** 2
        nu_name = residual_sd.rsplit("_", 1)[0] + "_nu"
        if nu_name in post:
            nu = post[nu_name]
            v = (v * nu / (nu - 2)).where(nu > 2)
    return (tau2 / (tau2 + v)).rename("intra_case_correlation")


def icc_block(ctx: FitContext, spec: OutcomeSpec) -> tuple[list[Block], dict[str, Any] | None]:
    """A paragraph and a table of the intra-case correlation, with its JSON summary."""
    post = ctx.idata["posterior"].to_dataset()
    if spec.case_sd is None or spec.case_sd not in post:
        return [], None
    r = intra_case_correlation(post, spec.case_sd, spec.residual_sd).values.ravel()
    r = r[np.isfinite(r)]
    if not r.size:
        return [], None
    lo, hi = np.quantile(r, [0.025, 0.975])
    scale = (
        "latent logit scale, residual variance pi^2/3"
        if spec.residual_sd is None
        else "log scale, residual variance of the model's error term"
    )
    tau = np.asarray(post[spec.case_sd].values).ravel()
    out = {
        "mean": float(r.mean()),
        "lower": float(lo),
        "upper": float(hi),
        "case_sd_mean": float(tau.mean()),
        "scale": scale,
    }
    text = (
        "Intra-case correlation: the share of the latent variance that co-defendants share "
        f"through the case effect, tau^2 / (tau^2 + v) ({scale}). Offenders of one case are "
        "not independent observations: the larger this share, the less a large case says "
        "about a year or a value chain beyond its own circumstances."
    )
    table = make_table(
        "Intra-case correlation",
        ("quantity", "posterior mean", "95% interval"),
        [
            (
                "case-effect SD (tau)",
                fmt(float(tau.mean())),
                interval(*np.quantile(tau, [0.025, 0.975])),
            ),
            ("intra-case correlation", fmt(out["mean"]), interval(lo, hi)),
        ],
        (False, True, True),
        compact=True,
    )
    return [Paragraph(text), table], out


# ---------------------------------------------------------------------- the builder
