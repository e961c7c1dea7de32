"""Building blocks: functions that add one kind of effect to the current PyMC model.

Each block takes a prefix (``term``, ``prob``, ``fine_amount``, ``size_mu``, ...), the priors of
the model's config and the coords, creates the variables :mod:`ccmodels.params` declares for it
(names and dims), and returns them by name. :func:`predictor_values` assembles a whole linear
predictor's parameters; :func:`ccmodels.params.linear` turns them into the predictor. Sampling
auxiliaries (non-centred innovations, raw pieces) carry the suffixes of
:data:`ccmodels.params.AUXILIARY`.

Identification (the conventions of :mod:`ccmodels.params`)
---------------------------------------------------------
- Year: a Gaussian random walk started at 0 (``T - 1`` steps ``Normal(drift, sigma_year)``),
  then centred to sum to zero over the years, so the intercept is the average over years of the
  linear predictor and the steps are exactly the ``T - 1`` free contrasts. The drift (when on)
  is then the mean step: the trend of the centred walk.
- Value chains: plain coefficients shrunk towards 0 by a common scale; chains are membership
  flags (a case may have none), so they are not collinear with the intercept.
- Article: zero-sum over the article coords (``sigma_article * ZeroSumNormal(1)`` non-centred).
  With a per-level mask, well-represented levels get a centred zero-sum effect and sparse ones
  non-centred deviations from them; the canonical effect and intercept are then deterministic
  re-expressions (the effect re-centred over all levels, the intercept taking the mean).
- Traits: coefficients with a regularising Normal prior.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc_extras.prior import Prior

__all__ = [
    "DAMPING_PRIOR",
    "DRIFT_WALK_PRIOR",
    "POOLING_GAMMA",
    "Centring",
    "linear_priors",
    "predictor_values",
    "prior_mean",
]


@dataclass(frozen=True)
class Centring:
    """Which parameterisation each block uses (see :func:`ccmodels.models.design.centring`)."""

    #: True (centred), False (non-centred), or per step the centred fraction in [0, 1]
    year: bool | np.ndarray = False
    chain: bool = False
    article: bool | np.ndarray = False
    drift: bool = False
    #: Partially centred articles: the data's precision about a well-represented article's
    #: effect in units of its scale (rows / noise^2); the centred fraction follows the scale
    #: (see :func:`article_effect`). None: the well-represented articles are fully centred.
    article_precision: float | None = None
    #: the drift decays by ``year_damping`` a year (a damped trend)
    damped: bool = False
    #: the drift itself walks with scale ``sigma_drift`` (a local linear trend)
    local_trend: bool = False


#: The damping factor of a damped trend: the drift of step ``k`` is ``drift * phi**k``. Forecasting
#: practice finds phi mostly between 0.8 and 0.98 (Hyndman & Athanasopoulos, *Forecasting:
#: Principles and Practice*, 3rd ed., 8.2: below 0.8 damping is very strong); the growth of a new
#: kind of offence fades as adoption saturates and enforcement catches up, over years to a
#: decade. Beta(6, 2): mean 0.75, 90% between 0.47 and 0.95 (the drift's half-life from about
#: one year to thirteen), so fading and near-persistent growth are both admitted.
DAMPING_PRIOR = Prior("Beta", alpha=6.0, beta=2.0)


#: The yearly scale of a local linear trend's drift walk (the drift of step ``k`` is that of
#: step ``k - 1`` plus ``Normal(0, sigma_drift)``). The yearly growth of a count of new
#: offences changes over years, not overnight: from explosive (+0.5 on the log scale) to flat
#: over five to ten years is a change of 0.05-0.1 a year, and a law or a campaign may move it by
#: 0.2-0.3 at once. HalfNormal(0.1): median 0.067, 95% below 0.2; over five projected years the
#: drift's own walk alone then spreads the log count by about 7 * sigma_drift (sd), so a
#: projection of growth that may stop, speed up or turn.
DRIFT_WALK_PRIOR = Prior("HalfNormal", sigma=0.1)


#: A boundary-avoiding prior for the pooling scale of a handful of groups (four value chains,
#: six to eight articles): mean 1/3, mode 1/6, density falling to 0 at 0. A few groups cannot
#: tell a scale of 0.02 from one of 0.2, so under ``HalfNormal(0.5)`` the posterior reaches
#: into the neck of the funnel, centred or not; this prior keeps it out while the data can
#: still move the scale anywhere from 0.05 to 1.
POOLING_GAMMA = Prior("Gamma", alpha=2.0, beta=6.0)


def prior_mean(p: Prior, draws: int = 4000) -> float:
    """The mean of a scalar prior: in closed form for the usual scale priors, else from
    ``draws`` draws (seed 0)."""
    k = {key: v for key, v in p.parameters.items() if isinstance(v, int | float)}
    if p.distribution == "HalfNormal" and "sigma" in k:
        return float(k["sigma"] * np.sqrt(2.0 / np.pi))
    if p.distribution == "Gamma" and {"alpha", "beta"} <= set(k):
        return float(k["alpha"] / k["beta"])
    if p.distribution == "Exponential" and "lam" in k:
        return float(1.0 / k["lam"])
    with pm.Model():
        v = p.deepcopy().create_variable("v")
        return float(np.mean(pm.draw(v, draws=draws, random_seed=0)))


def linear_priors(
    intercept: Prior,
    sigma_year: float = 0.3,
    drift: float = 0.3,
    pooling: Prior | None = None,
) -> dict[str, Prior]:
    """The default priors of one linear predictor's blocks: the intercept given, a year walk
    whose steps have scale ``HalfNormal(sigma_year)`` and mean ``Normal(0, drift)`` (with
    ``effects.year_drift = true``), pooling scales ``pooling`` (default ``HalfNormal(0.5)``;
    see :data:`POOLING_GAMMA`) for chains and articles, and ``Normal(0, 1)`` trait
    coefficients."""
    pool = pooling if pooling is not None else Prior("HalfNormal", sigma=0.5)
    return {
        "intercept": intercept,
        "sigma_year": Prior("HalfNormal", sigma=sigma_year),
        "year_drift": Prior("Normal", mu=0.0, sigma=drift),
        "sigma_chain": pool.deepcopy(),
        "sigma_article": pool.deepcopy(),
        "beta": Prior("Normal", mu=0.0, sigma=1.0),
    }


def _var(priors: Mapping[str, Prior], key: str, name: str, dims: Any = None) -> Any:
    p = priors[key]
    if dims is not None:
        p = p.deepcopy()
        p.dims = dims if isinstance(dims, tuple) else (dims,)
    return p.create_variable(name)


def _data(data: Callable[[str, Any], Any] | None, key: str, value: Any) -> Any:
    """``value`` as a graph input: from the model's data (so a compiled graph takes new
    values) when ``data`` is given, else a constant."""
    return data(key, np.asarray(value, dtype=float)) if data is not None else pt.constant(value)


def year_effect(
    prefix: str,
    priors: Mapping[str, Prior],
    c: Centring,
    data: Callable[[str, Any], Any] | None = None,
) -> dict[str, Any]:
    """The centred year walk. Non-centred (steps ``drift + z * sigma``) suits weakly informed
    years; centred (steps ``~ Normal(drift, sigma)``) suits years with plenty of data, where
    the non-centred form couples ``sigma`` with every step. Partially centred (``c.year`` an
    array ``w`` of fractions per step): ``s ~ Normal(w * drift, sigma**w)`` and steps
    ``drift + sigma**(1 - w) * (s - w * drift)``, the same walk, with w = 1 centred and w = 0
    non-centred (Papaspiliopoulos, Roberts and Skold 2007; Gorinova, Moore and Hoffman 2020)."""
    out = {f"{prefix}_sigma_year": _var(priors, "sigma_year", f"{prefix}_sigma_year")}
    sigma = out[f"{prefix}_sigma_year"]
    drift: Any = 0.0
    gain: Any = 1.0  # the drift's factor at each step: phi**k for a damped trend
    if c.drift and c.damped:
        prior = priors.get("year_damping", DAMPING_PRIOR)
        phi = out[f"{prefix}_year_damping"] = prior.create_variable(f"{prefix}_year_damping")
        k = len(pm.modelcontext(None).coords["year_step"])
        gain = phi ** pt.arange(k)
    if c.drift and c.local_trend:
        return out | _local_trend(prefix, priors, sigma)
    partial = isinstance(c.year, np.ndarray)
    if c.drift and (partial or c.year or _split_drift(priors["year_drift"]) is None):
        drift = out[f"{prefix}_year_drift"] = _var(priors, "year_drift", f"{prefix}_year_drift")
    if partial:
        w = _data(data, f"{prefix}_year_weight", np.asarray(c.year, dtype=float))
        s = pm.Normal(f"{prefix}_year_step", w * drift * gain, sigma**w, dims="year_step")
        steps = drift * gain + sigma ** (1.0 - w) * (s - w * drift * gain)
    elif c.year:
        steps = pm.Normal(f"{prefix}_year_step", drift * gain, sigma, dims="year_step")
    elif c.drift and _split_drift(priors["year_drift"]) is not None:
        steps, drift = _drift_walk(prefix, priors["year_drift"], sigma, gain)
        out[f"{prefix}_year_drift"] = pm.Deterministic(f"{prefix}_year_drift", drift)
    else:
        steps = drift * gain + pm.Normal(f"{prefix}_year_z", 0.0, 1.0, dims="year_step") * sigma
    walk = pt.concatenate([pt.zeros(1), pt.cumsum(steps)])
    out[f"{prefix}_year_effect"] = pm.Deterministic(
        f"{prefix}_year_effect", walk - walk.mean(), dims="year"
    )
    return out


def _local_trend(prefix: str, priors: Mapping[str, Prior], sigma: Any) -> dict[str, Any]:
    """A local linear trend, non-centred: the drift of step ``k`` is ``year_drift +
    sigma_drift * (w_0 + ... + w_k)`` (``{prefix}_year_slope``), the step that drift plus
    ``sigma_year * z_k``; ``w`` and ``z`` iid Normal(0, 1). ``year_drift`` is the drift before
    the first step (the simulator's convention: every walked step moves the drift).

    As in :func:`_drift_walk`, the mean step is a free parameter: with ``c`` the mean over the
    steps of the drift walk's cumulative sums and ``z`` split into its mean ``z_bar`` and
    zero-sum deviations, ``M = year_drift + sigma_drift * c + sigma_year * z_bar`` has ``M | c,
    z_bar ~ Normal(mu + sigma_drift * c + sigma_year * z_bar, sd)`` for a ``Normal(mu, sd)``
    drift prior: the same joint law, without the ridge between the drift and the innovations'
    means that the counts cannot tell apart."""
    sd_w = priors.get("sigma_drift", DRIFT_WALK_PRIOR).create_variable(f"{prefix}_sigma_drift")
    out = {f"{prefix}_sigma_drift": sd_w}
    k = len(pm.modelcontext(None).coords["year_step"])
    w = pm.Normal(f"{prefix}_year_drift_z", 0.0, 1.0, dims="year_step")
    cw = pt.cumsum(w)
    split = _split_drift(priors["year_drift"])
    if split is None:  # a drift prior of another form: the plain walk
        drift = _var(priors, "year_drift", f"{prefix}_year_drift")
        slope = drift + sd_w * cw
        steps = slope + pm.Normal(f"{prefix}_year_z", 0.0, 1.0, dims="year_step") * sigma
    else:
        mu, sd = split
        z_bar = pm.Normal(f"{prefix}_year_mean_z", 0.0, 1.0 / np.sqrt(k))
        dev = pm.ZeroSumNormal(f"{prefix}_year_z", sigma=1.0, dims="year_step") if k > 1 else 0.0
        c = cw.mean()
        mean_step = pm.Normal(f"{prefix}_year_mean_raw", mu + sd_w * c + sigma * z_bar, sd)
        drift = pm.Deterministic(f"{prefix}_year_drift", mean_step - sd_w * c - sigma * z_bar)
        slope = drift + sd_w * cw
        steps = slope + sigma * (z_bar + dev)
    out[f"{prefix}_year_drift"] = drift
    out[f"{prefix}_year_slope"] = pm.Deterministic(f"{prefix}_year_slope", slope, dims="year_step")
    walk = pt.concatenate([pt.zeros(1), pt.cumsum(steps)])
    out[f"{prefix}_year_effect"] = pm.Deterministic(
        f"{prefix}_year_effect", walk - walk.mean(), dims="year"
    )
    return out


def _split_drift(prior: Prior) -> tuple[float, float] | None:
    """(mu, sigma) of a Normal drift prior with fixed scalar parameters, else None."""
    if prior.distribution != "Normal" or prior.dims:
        return None
    mu, sd = prior.parameters.get("mu", 0.0), prior.parameters.get("sigma")
    ok = all(isinstance(v, int | float) for v in (mu, sd))
    return (float(mu), float(sd)) if ok else None


def _drift_walk(prefix: str, prior: Prior, sigma: Any, gain: Any = 1.0) -> tuple[Any, Any]:
    """Non-centred walk steps ``drift + sigma * z`` (z iid Normal(0, 1), drift Normal(mu, sd)),
    written so that the mean step is a free parameter.

    The ``K`` innovations split into their mean ``z_bar ~ Normal(0, 1/sqrt(K))`` and zero-sum
    deviations ``~ ZeroSumNormal(1)``, independent of each other; the mean step
    ``m = drift + sigma * z_bar`` then has ``m | z_bar ~ Normal(mu + sigma * z_bar, sd)``. The
    joint distribution is the plain walk's, but the data inform ``m`` directly: the ridge between
    the drift and the innovations' mean (which the counts cannot tell apart) is gone.
    Returns the steps and the drift (``m - sigma * z_bar``).

    A damped trend (``gain`` the drift's factor ``phi**k`` at each step, mean ``g``) has steps
    ``drift * gain + sigma * (z_bar + dev)`` and mean step ``m = drift * g + sigma * z_bar``,
    so ``m | z_bar ~ Normal(mu * g + sigma * z_bar, sd * g)`` and ``drift = (m - sigma * z_bar)
    / g``: the same reparameterisation (``gain = 1`` is the plain walk)."""
    mu, sd = _split_drift(prior) or (0.0, 1.0)
    k = len(pm.modelcontext(None).coords["year_step"])
    z_bar = pm.Normal(f"{prefix}_year_mean_z", 0.0, 1.0 / np.sqrt(k))
    dev = pm.ZeroSumNormal(f"{prefix}_year_z", sigma=1.0, dims="year_step") if k > 1 else 0.0
    if isinstance(gain, float):
        mean_step = pm.Normal(f"{prefix}_year_mean_raw", mu + sigma * z_bar, sd)
        return (mean_step + sigma * dev) * pt.ones(k), mean_step - sigma * z_bar
    g = gain.mean()
    mean_step = pm.Normal(f"{prefix}_year_mean_raw", mu * g + sigma * z_bar, sd * g)
    drift = (mean_step - sigma * z_bar) / g
    return drift * gain + sigma * (z_bar + dev), drift


def chain_effect(prefix: str, priors: Mapping[str, Prior], c: Centring) -> dict[str, Any]:
    """Multi-membership value-chain coefficients, partially pooled through a common scale.
    Centred suits plenty of data per chain; non-centred suits little, or binary outcomes,
    whose weaker information otherwise makes a funnel with the scale."""
    sigma = _var(priors, "sigma_chain", f"{prefix}_sigma_chain")
    if c.chain:
        beta = pm.Normal(f"{prefix}_chain", 0.0, sigma, dims="value_chain")
    else:
        z = pm.Normal(f"{prefix}_chain_z", 0.0, 1.0, dims="value_chain")
        beta = pm.Deterministic(f"{prefix}_chain", sigma * z, dims="value_chain")
    return {f"{prefix}_sigma_chain": sigma, f"{prefix}_chain": beta}


def article_effect(
    prefix: str,
    priors: Mapping[str, Prior],
    c: Centring,
    intercept: Any,
    data: Callable[[str, Any], Any] | None = None,
) -> dict[str, Any]:
    """Article effect, zero-sum over the article coords, partially pooled through
    ``sigma_article``; returns the canonical intercept too (changed only by a mixed mask)."""
    sigma = _var(priors, "sigma_article", f"{prefix}_sigma_article")
    out = {f"{prefix}_sigma_article": sigma}
    mask = np.asarray(c.article, dtype=bool)
    if not _mixed(c):
        # fewer than 3 well-represented levels cannot pin the scale: all non-centred
        if bool(mask) if mask.ndim == 0 else bool(mask.all()):
            if c.article_precision is None:
                out[f"{prefix}_article"] = pm.ZeroSumNormal(
                    f"{prefix}_article", sigma=sigma, dims="article"
                )
            else:
                n = len(pm.modelcontext(None).coords["article"])
                prec = _data(data, f"{prefix}_article_precision", c.article_precision)
                a = _partial_zero_sum(f"{prefix}_article_raw", sigma, prec, n)
                out[f"{prefix}_article"] = pm.Deterministic(f"{prefix}_article", a, dims="article")
        else:
            z = pm.ZeroSumNormal(f"{prefix}_article_z", sigma=1.0, dims="article")
            out[f"{prefix}_article"] = pm.Deterministic(
                f"{prefix}_article", sigma * z, dims="article"
            )
        out[f"{prefix}_intercept"] = intercept
        return out
    rich, sparse = np.flatnonzero(mask), np.flatnonzero(~mask)
    if c.article_precision is None:
        a_rich = pm.ZeroSumNormal(f"{prefix}_article_rich", sigma=sigma, shape=(len(rich),))
    else:
        prec = _data(data, f"{prefix}_article_precision", c.article_precision)
        a_rich = _partial_zero_sum(f"{prefix}_article_rich", sigma, prec, len(rich))
    z = pm.Normal(f"{prefix}_article_sparse_z", 0.0, 1.0, shape=(len(sparse),))
    full = pt.zeros(len(mask))
    full = pt.set_subtensor(full[rich], a_rich)
    full = pt.set_subtensor(full[sparse], sigma * z)
    out[f"{prefix}_article"] = pm.Deterministic(
        f"{prefix}_article", full - full.mean(), dims="article"
    )
    out[f"{prefix}_intercept"] = pm.Deterministic(f"{prefix}_intercept", intercept + full.mean())
    return out


def _partial_zero_sum(name: str, sigma: Any, precision: Any, n: int) -> Any:
    """``ZeroSumNormal(sigma)`` effects of ``n`` levels, each pinned by the data to a
    precision ``precision`` (in rows / noise^2), partially centred by the fraction
    ``w = P sigma^2 / (P sigma^2 + 1)``: the auxiliary is ``s ~ ZeroSumNormal(sigma^w)`` and the
    effects ``sigma^(1 - w) s``. For a fixed ``sigma`` this is a scaling, so the effects are
    ``ZeroSumNormal(sigma)`` whatever ``w``; with ``w`` following ``sigma``, the form is
    non-centred where the scale is small against the data's precision (the neck of the
    centred funnel) and centred where it is large (where the non-centred form couples the
    scale with every effect): the optimal fraction for a normal mean (Papaspiliopoulos,
    Roberts and Skold 2007) at every scale, not only at a typical one."""
    info = precision * sigma**2
    w = info / (info + 1.0)
    s = pm.ZeroSumNormal(name, sigma=sigma**w, shape=(n,))
    return sigma ** (1.0 - w) * s


def _mixed(c: Centring) -> bool:
    mask = np.asarray(c.article, dtype=bool)
    return bool(mask.ndim == 1 and not mask.all() and mask.sum() >= 3)


def predictor_values(
    prefix: str,
    priors: Mapping[str, Prior],
    coords: Mapping[str, Any],
    c: Centring,
    data: Callable[[str, Any], Any] | None = None,
) -> dict[str, Any]:
    """Every parameter of one linear predictor on ``coords``, created on the current model;
    the centring's data-derived values (partial weights) read through ``data`` (a
    :class:`ccmodels.models.datapack.DataPack`) when given."""
    mixed = _mixed(c) and "article" in coords
    name = f"{prefix}_intercept_raw" if mixed else f"{prefix}_intercept"
    b0 = _var(priors, "intercept", name)
    out: dict[str, Any] = {f"{prefix}_intercept": b0}
    if "year" in coords:
        out |= year_effect(prefix, priors, c, data)
    if "value_chain" in coords:
        out |= chain_effect(prefix, priors, c)
    if "article" in coords:
        out |= article_effect(prefix, priors, c, b0, data)
    if "trait" in coords:
        out[f"{prefix}_beta"] = _var(priors, "beta", f"{prefix}_beta", dims="trait")
    return out
