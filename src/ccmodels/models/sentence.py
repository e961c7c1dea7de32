"""Prison term of offenders with a custodial sentence: log term ~ Normal, censored at the bounds.

Model
-----
For offender i in case k: ``log term_ik = eta_i + u_k + e_ik`` with ``u_k ~ N(0, sigma_case)``
shared by co-defendants and ``e_ik ~ N(0, sigma)``; ``eta`` is the linear predictor (year walk,
value chains, article, traits).

Statutory bounds are respected by **censoring**: a term at the article's maximum (or at the
1-month minimum) is read as "the latent term was at least (at most) this", because a court whose
assessment exceeds the range sentences at its limit, so terms pile up at the maximum rather than
being thinned as truncation would imply. The simulator generates terms the same way.

Speed: the case effect is integrated out. Within a case the uncensored log terms are jointly
normal with compound-symmetric covariance, whose density needs only per-case sums of residuals
and squared residuals (closed form: no latent intercepts, no funnel). For cases with censored
terms the remaining one-dimensional integral over ``u_k`` (given the case's uncensored terms) is
done by 20-point Gauss-Hermite quadrature, which is exact to ~1e-10 for this smooth integrand.
The log-likelihood unit for LOO is therefore the case (leave-one-case-out).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pymc as pm
import pytensor
import pytensor.tensor as pt
import xarray as xr
from pymc.distributions.dist_math import normal_lcdf
from pymc_extras.prior import Prior
from pytensor.graph.replace import graph_replace
from scipy.special import ndtr

from ccmodels import law
from ccmodels.models.base import Design, ModelConfigError, OutcomeModel, fitted_rows
from ccmodels.models.summaries import group_summary

__all__ = ["SentenceModel", "censored_lognormal_mean"]

GH_NODES = 20
_CUSTODIAL = ("fixed_term", "detention")


def censored_lognormal_mean(
    mu: np.ndarray, s: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """E[min(max(exp(Z), lo), hi)] for Z ~ Normal(mu, s)."""
    a = (np.log(lo) - mu) / s
    b = (np.log(hi) - mu) / s
    return lo * ndtr(a) + hi * ndtr(-b) + np.exp(mu + s**2 / 2) * (ndtr(b - s) - ndtr(a - s))


class SentenceModel(OutcomeModel):
    """Log prison term (months) of offenders with a custodial sentence."""

    model_type = "sentence"
    prefix = "term"
    description = "offenders with a custodial sentence (fixed_term or detention, term > 0)"

    #: A smaller step size avoids the occasional divergence on small data sets.
    sampler_defaults: ClassVar[dict[str, Any]] = {"target_accept": 0.95}

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        return {
            "intercept": Prior("Normal", mu=3.0, sigma=1.5),
            "sigma_year": Prior("HalfNormal", sigma=0.3),
            "sigma_chain": Prior("HalfNormal", sigma=0.5),
            "sigma_article": Prior("HalfNormal", sigma=0.5),
            "beta": Prior("Normal", mu=0.0, sigma=1.0),
            "sigma": Prior("HalfNormal", sigma=1.0),
            "sigma_case": Prior("HalfNormal", sigma=0.5),
        }

    def select(self, data: pd.DataFrame) -> pd.DataFrame:
        st = data["sentence_type"].astype(str)
        m = st.isin(_CUSTODIAL).to_numpy() & (data["term_months"].to_numpy() > 0)
        return data[m].reset_index(drop=True)

    def extra_design(self, rows: pd.DataFrame, coords: dict[str, list[Any]]) -> dict[str, Any]:
        term = rows["term_months"].to_numpy(dtype=float)
        lo, hi = law.term_bounds(rows["article"].astype(str).to_numpy())
        cens = np.where(term >= hi * (1 - 1e-9), 1, np.where(term <= lo * (1 + 1e-9), -1, 0))
        case_codes, case_ids = pd.factorize(rows["case_id"].astype(str), sort=False)
        return {
            "y": np.log(term),
            "log_lo": np.log(lo),
            "log_hi": np.log(hi),
            "lo": lo,
            "hi": hi,
            "cens": cens,
            "case": case_codes.astype(np.int64),
            "_coords": {"case": list(case_ids), "coef": list(range(self._ncoef(coords)))},
        }

    @staticmethod
    def _ncoef(coords: dict[str, list[Any]]) -> int:
        return 1 + sum(len(coords.get(k, [])) for k in ("year", "value_chain", "article", "trait"))

    # ------------------------------------------------------------------ likelihood
    def _add_likelihood(self, d: Design) -> None:
        beta, x = self.coefficients(self.prefix, d)
        sigma = self.priors["sigma"].create_variable(f"{self.prefix}_sigma")
        tau = self.priors["sigma_case"].create_variable(f"{self.prefix}_sigma_case")
        pm.Data("log_term", d.extra["y"], dims="row")
        xd = pm.Data("term_X", x, dims=("row", "coef"))
        pm.Potential("term_loglik", fast_loglik(beta, x, sigma, tau, d.extra))
        # per-case log-likelihood for LOO (evaluated after sampling only)
        self._ll_tensor = case_loglik(pt.dot(xd, beta), sigma, tau, d.extra)

    def log_likelihood(self) -> xr.DataTree:
        """Pointwise (per-case) log-likelihood of the fit, added as group ``log_likelihood``."""
        idata = self._require_fit()
        if "log_likelihood" in idata.children:
            return idata
        if self.model is None:
            self.build(fitted_rows(idata))
        model = self.model
        assert model is not None
        rvs = list(model.free_RVs)
        inputs = [rv.type(name=rv.name) for rv in rvs]
        out_t = graph_replace(self._ll_tensor, dict(zip(rvs, inputs, strict=True)), strict=False)
        fn = pytensor.function(inputs, out_t, on_unused_input="ignore")
        post = idata["posterior"].to_dataset()
        n_c, n_d = post.sizes["chain"], post.sizes["draw"]
        vals = [post[rv.name].values for rv in rvs]
        out = np.empty((n_c, n_d, len(model.coords["case"])))
        for c in range(n_c):
            for k in range(n_d):
                out[c, k] = fn(*(v[c, k] for v in vals))
        ll = xr.Dataset(
            {"term_obs": (("chain", "draw", "case"), out)},
            coords={
                "chain": post["chain"],
                "draw": post["draw"],
                "case": list(model.coords["case"]),
            },
        )
        idata["log_likelihood"] = xr.DataTree(ll)
        return idata

    compute_log_likelihood = log_likelihood  # type: ignore[assignment]

    def fit(self, data: pd.DataFrame, **kwargs: Any) -> xr.DataTree:  # type: ignore[override]
        if (kwargs.get("sampler") or self.sampler["sampler"]) == "numpyro":
            # Seen here: numpyro (through pm.sample) stalls at its initial point on this
            # likelihood (every transition divergent), although the JAX log-density and its
            # gradient are finite there. Refuse rather than return a stuck chain.
            raise ModelConfigError(
                "the sentence model cannot be sampled with numpyro in this version (the chains "
                "stall); use sampler='nutpie' (default) or 'pymc'"
            )
        loo = kwargs.pop("loo", False)
        idata = super().fit(data, **kwargs)
        if loo:
            self.log_likelihood()
        return idata

    # ------------------------------------------------------------------ predictions
    def _mean(
        self,
        params: Mapping[str, np.ndarray],
        d: Design,
        rng: np.random.Generator,
        integrate_case: bool = True,
    ) -> np.ndarray:
        mu = self.linear_numpy(self.prefix, params, d, rng)
        s = np.sqrt(params["term_sigma"] ** 2 + params["term_sigma_case"] ** 2)[:, None]
        lo, hi = law.term_bounds(d.rows["article"].astype(str).to_numpy())
        return censored_lognormal_mean(mu, s, lo[None, :], hi[None, :])

    def predict(self, new_data: pd.DataFrame, kind: str = "mean", seed: int = 0) -> xr.DataArray:
        """Prison term (months) for new offenders (each in a new case unless ``case_id``
        matches... new cases always get a fresh case effect).

        ``kind="mean"``: the expected term, case effect and noise integrated out, censored
        at the statutory bounds; ``kind="predictive"``: a replicated term.
        """
        d = self.new_design(new_data)
        rng = np.random.default_rng(seed)
        params = self.draws()
        if kind == "mean":
            vals = self._mean(params, d, rng)
        elif kind == "predictive":
            vals = self.simulate_outcomes(params, d, rng)["term_months"]
        else:
            raise ValueError(f"kind must be 'mean' or 'predictive', got {kind!r}")
        return self._as_draws(vals, "term_months")

    def simulate_outcomes(
        self, params: Mapping[str, np.ndarray], d: Design, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        mu = self.linear_numpy(self.prefix, params, d, rng)
        n_s, n = mu.shape
        case = d.extra.get("case")
        if case is None:
            case = pd.factorize(d.rows["case_id"].astype(str))[0]
        n_cases = int(case.max()) + 1 if n else 0
        u = rng.normal(0, 1, (n_s, n_cases)) * params["term_sigma_case"][:, None]
        z = mu + u[:, case] + rng.normal(0, 1, (n_s, n)) * params["term_sigma"][:, None]
        lo, hi = law.term_bounds(d.rows["article"].astype(str).to_numpy())
        return {"term_months": np.clip(np.exp(z), lo, hi)}

    # ------------------------------------------------------------------ summaries
    def mean_term_by(
        self, by: str = "year", params: Mapping[str, np.ndarray] | None = None, hdi: float = 0.95
    ) -> pd.DataFrame:
        """Posterior of the mean prison term (months) of the fitted offenders, by year or by
        value chain, with the observed means: mean, median and central ``hdi`` interval."""
        d = self.design if self.design is not None else None
        assert d is not None
        p = params if params is not None else self.draws()
        e = self._mean(p, d, np.random.default_rng(0))
        return group_summary(e, d.rows, d.rows["term_months"].to_numpy(float), by, hdi)


def fast_loglik(
    beta: Any, x: np.ndarray, sigma: Any, tau: Any, extra: Mapping[str, np.ndarray]
) -> Any:
    """Total log-likelihood from sufficient statistics.

    For cases without censored terms the integrated log-likelihood is a quadratic form in
    ``beta``: it needs only ``X'X``, ``X'y``, ``y'y`` over their rows and, per case size ``m``,
    the sums over cases of ``s_k^2``, ``s_k u_k`` and ``u_k u_k'`` (``s_k``, ``u_k``: the case's
    sums of ``y`` and of ``X`` rows). The cost per gradient no longer grows with the number of
    offenders. Cases with a censored term use :func:`case_loglik` on their rows.
    """
    y, cens, case = extra["y"], extra["cens"], extra["case"]
    n_cases = int(case.max()) + 1
    has_cens = np.zeros(n_cases, bool)
    has_cens[case[cens != 0]] = True
    clean = ~has_cens[case]
    total: Any = 0.0
    if clean.any():
        xc, yc = x[clean], y[clean]
        _, inv = np.unique(case[clean], return_inverse=True)
        m = np.bincount(inv)
        s = np.bincount(inv, weights=yc)
        u = np.zeros((len(m), x.shape[1]))
        np.add.at(u, inv, xc)
        s2_, t2 = sigma**2, tau**2
        quad = yc @ yc - 2 * pt.dot(beta, xc.T @ yc) + pt.dot(beta, pt.dot(xc.T @ xc, beta))
        sizes = np.unique(m)
        sel = m[None, :] == sizes[:, None]  # (sizes, cases)
        n_k = sel.sum(1).astype(float)
        a_m = sel @ (s * s)  # (sizes,)
        b_m = np.einsum("gk,k,kp->gp", sel, s, u)  # (sizes, p)
        c_m = np.einsum("gk,kp,kq->gpq", sel, u, u)  # (sizes, p, p)
        s1sq = a_m - 2 * pt.dot(b_m, beta) + (pt.dot(c_m, beta) * beta).sum(axis=1)
        logdet = (n_k * pt.log1p(sizes * t2 / s2_)).sum()
        shrink = (t2 / (s2_ + sizes * t2) * s1sq).sum()
        n = len(yc)
        total = (
            -0.5 * n * np.log(2 * np.pi)
            - n * pt.log(sigma)
            - 0.5 * logdet
            - 0.5 / s2_ * (quad - shrink)
        )
    if has_cens.any():
        rows = ~clean
        codes = np.unique(case[rows], return_inverse=True)[1]
        sub = {
            k: v[rows]
            for k, v in extra.items()
            if isinstance(v, np.ndarray) and v.shape[:1] == y.shape
        }
        sub["case"] = codes.astype(np.int64)
        total = total + case_loglik(pt.dot(x[rows], beta), sigma, tau, sub).sum()
    return total


def case_loglik(eta: Any, sigma: Any, tau: Any, x: Mapping[str, np.ndarray]) -> Any:
    """Per-case log-likelihood with the case effect integrated out (see module docstring)."""
    y, cens, case = x["y"], x["cens"], x["case"]
    n_cases = int(case.max()) + 1
    obs = cens == 0
    m = np.bincount(case[obs], minlength=n_cases).astype(float)  # uncensored per case
    r = pt.where(obs, y - eta, 0.0)
    s1 = pt.inc_subtensor(pt.zeros(n_cases)[case], r)
    s2 = pt.inc_subtensor(pt.zeros(n_cases)[case], r**2)
    s2_, t2 = sigma**2, tau**2
    denom = s2_ + m * t2
    ll = (
        -0.5 * m * np.log(2 * np.pi)
        - m * pt.log(sigma)
        - 0.5 * pt.log(denom / s2_)
        - 0.5 / s2_ * (s2 - t2 / denom * s1**2)
    )
    if np.any(~obs):
        ci = np.flatnonzero(~obs)
        cc = case[ci]
        cens_cases, pos = np.unique(cc, return_inverse=True)
        x_gh, w_gh = np.polynomial.hermite_e.hermegauss(GH_NODES)
        logw = np.log(w_gh / np.sqrt(2 * np.pi))
        v = s2_ * t2 / denom  # posterior variance of u given the uncensored terms
        mean_u = v * s1 / s2_
        u = mean_u[cc][:, None] + pt.sqrt(v[cc])[:, None] * x_gh[None, :]  # (Nc, Q)
        bound = np.where(cens[ci] > 0, x["log_hi"][ci], x["log_lo"][ci])
        sign = np.where(cens[ci] > 0, -1.0, 1.0)
        # P(Y <= b) = Phi((b - eta - u)/sigma); P(Y >= b) = Phi(-(b - eta - u)/sigma)
        zz = sign[:, None] * (bound[:, None] - eta[ci][:, None] - u) / sigma
        lphi = normal_lcdf(0.0, 1.0, zz)
        summed = pt.inc_subtensor(pt.zeros((len(cens_cases), GH_NODES))[pos], lphi)
        integ = pt.logsumexp(summed + logw[None, :], axis=1)
        ll = pt.inc_subtensor(ll[cens_cases], integ)
    return ll
