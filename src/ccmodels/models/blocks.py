"""Building blocks: functions that add one kind of effect to the current PyMC model.

Each block takes a prefix (``term``, ``prob``, ``fine_any``, ``fine_amount``), the priors of the
model's config and index/covariate data, creates named variables with dims, and returns the term
to add to the linear predictor. Names match the simulator's truth Dataset.

Identification
--------------
- Year: a non-centred Gaussian random walk started at 0 (``T - 1`` innovations), then centred
  to sum to zero over the years, so the intercept is the average over years of the linear
  predictor and the ``T - 1`` innovations are exactly the ``T - 1`` free contrasts.
- Value chains: plain (centred) coefficients shrunk towards 0 by a common scale; chains are
  membership flags (a case may have none), so they are not collinear with the intercept.
- Article: a zero-sum effect, non-centred (``sigma_article * ZeroSumNormal(1)``), over the
  articles present in the data: the intercept is the unweighted average over those articles.
- Traits: coefficients with a regularising Normal prior.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc_extras.prior import Prior

__all__ = ["article_effect", "chain_effect", "intercept", "trait_effect", "year_effect"]


def _var(priors: Mapping[str, Prior], key: str, name: str, dims: Any = None) -> pt.TensorVariable:
    p = priors[key]
    if dims is not None:
        p = p.deepcopy()
        p.dims = dims if isinstance(dims, tuple) else (dims,)
    return p.create_variable(name)


def intercept(prefix: str, priors: Mapping[str, Prior]) -> pt.TensorVariable:
    """The intercept: the linear predictor averaged over years and articles (reference traits,
    no value chain)."""
    return _var(priors, "intercept", f"{prefix}_intercept")


def year_effect(
    prefix: str,
    priors: Mapping[str, Prior],
    year_idx: Any,
    centered: bool = False,
) -> pt.TensorVariable:
    """Gaussian random walk over ``year`` started at 0, centred to sum to zero; returns its
    value per row. Non-centred (innovations ``z * sigma``) suits weakly informed years;
    centred (increments ``~ Normal(0, sigma)``) suits years with plenty of data, where the
    non-centred form couples ``sigma`` with every innovation."""
    sigma = _var(priors, "sigma_year", f"{prefix}_sigma_year")
    if centered:
        steps = pm.Normal(f"{prefix}_year_step", 0.0, sigma, dims="year_step")
    else:
        z = pm.Normal(f"{prefix}_year_z", 0.0, 1.0, dims="year_step")
        steps = z * sigma
    walk = pt.concatenate([pt.zeros(1), pt.cumsum(steps)])
    eff = pm.Deterministic(f"{prefix}_year_effect", walk - walk.mean(), dims="year")
    return eff[year_idx]


def chain_effect(
    prefix: str, priors: Mapping[str, Prior], chains: Any, centered: bool = True
) -> pt.TensorVariable:
    """Multi-membership value-chain effect: additive over the chains a case has, partially
    pooled through a common scale. Centred suits a Gaussian outcome with plenty of data per
    chain; non-centred suits binary outcomes, whose weaker information otherwise makes a
    funnel with the scale."""
    sigma = _var(priors, "sigma_chain", f"{prefix}_sigma_chain")
    if centered:
        beta = pm.Normal(f"{prefix}_chain", 0.0, sigma, dims="value_chain")
    else:
        z = pm.Normal(f"{prefix}_chain_z", 0.0, 1.0, dims="value_chain")
        beta = pm.Deterministic(f"{prefix}_chain", sigma * z, dims="value_chain")
    return pt.dot(chains, beta)


def article_effect(
    prefix: str, priors: Mapping[str, Prior], art_idx: Any, centered: bool | np.ndarray = True
) -> pt.TensorVariable:
    """Article effect, partially pooled through ``sigma_article``.

    ``centered`` is True (zero-sum, centred), False (zero-sum, non-centred) or a boolean mask
    over the levels: then the well-represented levels (True) get a centred zero-sum effect and
    the sparse ones (False) non-centred deviations ``sigma_article * z`` from them. The
    intercept is then the average over the well-represented levels. Centred suits levels with
    plenty of data, non-centred levels with little (where the centred form makes a funnel).
    """
    sigma = _var(priors, "sigma_article", f"{prefix}_sigma_article")
    mask = np.asarray(centered, dtype=bool)
    mixed = mask.ndim == 1 and not mask.all() and mask.sum() >= 3
    if not mixed:
        # fewer than 3 well-represented levels cannot pin the scale: all non-centred
        all_centred = bool(mask) if mask.ndim == 0 else bool(mask.all())
        if all_centred:
            eff = pm.ZeroSumNormal(f"{prefix}_article", sigma=sigma, dims="article")
        else:
            z = pm.ZeroSumNormal(f"{prefix}_article_z", sigma=1.0, dims="article")
            eff = pm.Deterministic(f"{prefix}_article", sigma * z, dims="article")
        return eff[art_idx]
    rich = np.flatnonzero(mask)
    sparse = np.flatnonzero(~mask)
    a_rich = pm.ZeroSumNormal(f"{prefix}_article_rich", sigma=sigma, shape=(len(rich),))
    z = pm.Normal(f"{prefix}_article_sparse_z", 0.0, 1.0, shape=(len(sparse),))
    full = pt.zeros(len(mask))
    full = pt.set_subtensor(full[rich], a_rich)
    full = pt.set_subtensor(full[sparse], sigma * z)
    eff = pm.Deterministic(f"{prefix}_article", full, dims="article")
    return eff[art_idx]


def trait_effect(prefix: str, priors: Mapping[str, Prior], traits: Any) -> pt.TensorVariable:
    """Offender-trait coefficients."""
    beta = _var(priors, "beta", f"{prefix}_beta", dims="trait")
    return pt.dot(traits, beta)


def centred_walk_numpy(z: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """The year effect of :func:`year_effect` from draws of its innovations (draws, T-1)."""
    walk = np.concatenate([np.zeros((*z.shape[:-1], 1)), np.cumsum(z * sigma[..., None], -1)], -1)
    return walk - walk.mean(-1, keepdims=True)
