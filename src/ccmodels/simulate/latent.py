"""The yearly latent quantities of a simulated population: one random stream per component
(:data:`COMPONENTS`) and the walks of case volume, value chains and every predictor's year
effects (:func:`yearly_latent`), which the simulator and the yearly projection share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import xarray as xr

from ccmodels import fields, params
from ccmodels.data.schema import VALUE_CHAINS
from ccmodels.simulate.predictor import Predictor
from ccmodels.simulate.scenario import Scenario

__all__ = ["COMPONENTS", "YearlyLatent", "streams", "yearly_latent"]

#: Components with their own random stream, in spawn order (append only: never reorder).
COMPONENTS: tuple[str, ...] = (
    "volume",
    "dates",
    "chains",
    "target",
    "article",
    "group_size",
    "traits",
    "sentence_type",
    "case_effect",
    "sentence",
    "probation",
    "fine",
    "year_walk",
    "disposition_case",
    "probation_case",
    "fine_case",
    "roles",
    "charges",
    "drift_walk",
)


def streams(seed: int) -> dict[str, np.random.Generator]:
    children = np.random.SeedSequence(seed).spawn(len(COMPONENTS))
    return {name: np.random.default_rng(s) for name, s in zip(COMPONENTS, children, strict=True)}


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


#: predictors whose year walk the simulator draws from the ``year_walk`` stream, one row each
#: (append only: the rows of the outcome predictors keep their draws; ``None`` is a retired
#: row, the any-fine logit, still drawn so that the rows after it keep theirs)
_WALKED = (
    "sentence",
    "probation",
    None,
    "fine.amount",
    "group_size.mu",
    "group_size.alpha",
    "disposition.exempt",
    "disposition.fine_only",
)


@dataclass(frozen=True)
class YearlyLatent:
    """A scenario's realised yearly quantities: the log case rate (``log_rate``, breaks
    included), the chain probabilities (``chain_p``, year x chain), the truth Dataset and the
    latent mapping of :class:`Population`."""

    log_rate: np.ndarray
    chain_p: np.ndarray
    truth: xr.Dataset | None
    latent: Mapping[str, Any]


def yearly_latent(
    sc: Scenario, rng: Mapping[str, np.random.Generator], models: tuple[str, ...] | None = None
) -> YearlyLatent:
    """The walks of one population (the volume, chain and predictor walks), drawn from the
    ``volume``, ``chains`` and ``year_walk`` streams before anything else in them: what
    :func:`simulate` and :func:`ccmodels.simulate.yearly.draw_yearly` share. ``models``
    restricts the truth to those models' parameters (:func:`ccmodels.params.truth`; ``()``:
    no truth)."""
    years = sc.year_values()
    n_years = len(years)
    t = (years - years[0]).astype(float)
    v = sc.volume
    z_vol = np.concatenate([[0.0], rng["volume"].normal(0, 1, n_years - 1)])
    # the drift walks of local trends (volume, the four chains, the walked predictors): their
    # own stream, so that the other walks keep their draws
    z_drift = rng["drift_walk"].normal(0.0, 1.0, (5 + len(_WALKED), n_years))
    slopes: dict[str, np.ndarray] = {}

    def walked(fld: str, pred: Predictor, z: np.ndarray, u: np.ndarray) -> np.ndarray:
        if pred.sigma_drift > 0 or pred.drift_path is not None:
            slopes[f"year_slope/{fld}"] = pred.drift_vector(years, u)
        return pred.year_vector(years, z, u)

    if v.log_rate is None:  # the readable form, as it always was
        log_rate = v.log_rate_start + v.drift * t + v.sd * np.cumsum(z_vol)
    else:
        log_rate = v.log_rate.intercept + walked("volume.log_rate", v.log_rate, z_vol, z_drift[0])
    walk_rate = log_rate + np.log(v.scale)
    if v.breaks:
        x_b = fields.break_covariates(years, [(b.date, b.shift) for b in v.breaks])
        log_rate = walk_rate + x_b @ np.array([b.effect for b in v.breaks])
    else:
        log_rate = walk_rate
    ch = sc.chains
    z_ch = np.concatenate([np.zeros((1, 4)), rng["chains"].normal(0, 1, (n_years - 1, 4))], axis=0)
    if ch.walk_corr is not None:  # correlated steps (the identity leaves the draws as they are)
        z_ch = z_ch @ ch.walk_cholesky().T
    if ch.logit is None:  # the readable trends, as they always were
        trends = [getattr(ch, c) for c in VALUE_CHAINS]
        chain_logit = np.array([[tr.start + tr.slope * ti for tr in trends] for ti in t])
        chain_logit = chain_logit + ch.rw_sd * np.cumsum(z_ch, axis=0)
    else:
        chain_logit = np.column_stack(
            [
                ch.logit[c].intercept
                + walked(f"chains.logit.{c}", ch.logit[c], z_ch[:, j], z_drift[1 + j])
                for j, c in enumerate(VALUE_CHAINS)
            ]
        )
    chain_p = _expit(chain_logit)  # (year, chain)
    walk = rng["year_walk"].normal(0.0, 1.0, (len(_WALKED), n_years))
    latent_q: dict[str, Any] = {"log_rate": log_rate, "chain_share": chain_p}
    for j, fld in enumerate(_WALKED):
        if fld is None:
            continue
        latent_q[f"year_effect/{fld}"] = walked(fld, sc.predictor(fld), walk[j], z_drift[5 + j])
    latent_q |= slopes
    latent_q["year_effect/volume.log_rate"] = walk_rate - sc.predictor("volume.log_rate").intercept
    for j, c in enumerate(VALUE_CHAINS):
        fld = f"chains.logit.{c}"
        latent_q[f"year_effect/{fld}"] = chain_logit[:, j] - sc.predictor(fld).intercept
    latent_ro = MappingProxyType(latent_q)
    truth = params.truth(sc, _Latent(latent_ro), models) if models != () else None
    return YearlyLatent(log_rate, chain_p, truth, latent_ro)


@dataclass(frozen=True)
class _Latent:
    """The latent part of a population, before its tables exist."""

    latent: Mapping[str, Any]
