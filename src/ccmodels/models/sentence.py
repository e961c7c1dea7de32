"""Prison term of offenders with a custodial sentence: log term ~ Normal, censored at the bounds.

Model
-----
For offender i in case k: ``log term_ik = eta_i + u_k + e_ik`` with ``u_k ~ N(0, sigma_case)``
shared by co-defendants and ``e_ik ~ N(0, sigma)``; ``eta`` is the linear predictor (year walk,
value chains, article, traits).

Statutory bounds are respected by **censoring**: a term at the article's maximum (the art. 69
cap for a sentence combined for several charges; :func:`ccmodels.outcomes.term_bounds`) or at
the 1-month minimum is read as "the latent term was at least (at most) this", because a court whose
assessment exceeds the range sentences at its limit, so terms pile up at the maximum rather than
being thinned as truncation would imply. Replicates and the simulator draw terms with the one
generator, :func:`ccmodels.outcomes.term`.

Speed: the case effect is integrated out (:mod:`ccmodels.models.likelihoods.censored_normal`).
Within a case the uncensored log terms are jointly normal with compound-symmetric covariance,
whose density needs only per-case sums of residuals and squared residuals (closed form: no
latent intercepts, no funnel). For cases with censored terms the remaining one-dimensional
integral over ``u_k`` (given the case's uncensored terms) is exact when the case has one
censored term (a normal CDF at the bound, with the variance of ``u_k`` added) and done by
adaptive quadrature within each gradient when it has several (within 1e-6 nats). Nothing is
sampled per case; the log-likelihood unit for LOO is the case (leave-one-case-out).

Student-t option (``likelihood = "student_t"`` in the effects): ``e_ik`` ~ Student-t(``nu``,
0, ``sigma``) with ``nu`` estimated (prior ``nu``), for terms with outlying assessments. The
case effect can no longer be integrated out in closed form, so it is sampled (non-centred:
``u_k = sigma_case * z_k``); censored terms use the Student-t CDF. JAX cannot differentiate
that CDF in ``nu`` (the incomplete beta function), so numpyro is refused for this option when
any term is censored. Its LOO unit is the offender, given the case effect.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from pymc_extras.prior import Prior

from ccmodels import outcomes
from ccmodels.models import blocks
from ccmodels.models.base import Draws, Model
from ccmodels.models.config import ModelConfigError
from ccmodels.models.design import Design, log_outcome_scales
from ccmodels.models.likelihoods import censored_normal as cn
from ccmodels.models.summaries import group_summary

__all__ = ["SentenceModel", "student_t_loglik"]

#: Quantile nodes over the Student-t precision weight for predicted means.
T_MEAN_NODES = 32
LIKELIHOODS = ("normal", "student_t")
_CUSTODIAL = ("fixed_term", "detention")


class SentenceModel(Model):
    """Log prison term (months) of offenders with a custodial sentence."""

    model_type = "sentence"
    prefix = "term"
    description = "offenders with a custodial sentence (fixed_term or detention, term > 0)"

    #: The default sampler settings (1,000 draws, target_accept 0.9): with no sampled case
    #: effects the posterior holds only the population parameters, and cai2017 populations
    #: fit without divergences there (benchmarks/results/robustness.json).
    sampler_defaults: ClassVar[dict[str, Any]] = {}
    #: Four chain effects leave sigma_chain's posterior reaching towards 0, where the centred
    #: form has a funnel unless each chain's data pin its effect more tightly than that: with
    #: 50-80 terms in the smallest chain (the study's size) the centred chains diverged on 2 of
    #: 5 populations (at sigma_chain about 0.02); at 400-500 the non-centred ones did (11
    #: divergences, and a tenth of the ESS). Chains are centred from 300 terms per chain.
    auto_center_min_rows: ClassVar[dict[str, int]] = {"chain": 300}

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        return blocks.linear_priors(
            Prior("Normal", mu=3.0, sigma=1.5), drift=0.3, pooling=blocks.POOLING_GAMMA
        ) | {
            # Boundary-avoiding like the pooling scales (mean 0.25, density 0 at 0): with five
            # years the posterior of the walk's scale otherwise reaches into the funnel's neck
            # (divergent draws at the smallest sigma_year, cai2017 seeds 0 and 2).
            "sigma_year": Prior("Gamma", alpha=2.0, beta=8.0),
            "sigma": Prior("HalfNormal", sigma=1.0),
            "sigma_case": Prior("HalfNormal", sigma=0.5),
            # Student-t degrees of freedom (used with likelihood = "student_t"): the usual
            # Gamma(2, 0.1), mean 20, weighs heavy and near-normal tails alike.
            "nu": Prior("Gamma", alpha=2.0, beta=0.1),
        }

    @classmethod
    def default_effects(cls) -> dict[str, Any]:
        return super().default_effects() | {
            "likelihood": "normal",
            "year_centered": "partial",
            "article_centered": "partial",
        }

    def outcome_scales(
        self, d: Design, priors: Mapping[str, Prior], prefix: str | None = None
    ) -> tuple[float, float] | None:
        """The spread of log terms about their year's mean, and the prior mean of sigma_year."""
        return log_outcome_scales(d, priors)

    def check_effects(self, effects: dict[str, Any]) -> dict[str, Any]:
        if effects["likelihood"] not in LIKELIHOODS:
            raise ModelConfigError(
                f"effect 'likelihood' of the sentence model: unknown value "
                f"{effects['likelihood']!r}; allowed: {', '.join(LIKELIHOODS)}"
            )
        return effects

    def effect_sampler_defaults(self) -> dict[str, Any]:
        # One latent effect per case: nutpie's low-rank adaptation costs grow steeply with the
        # dimension (40x slower at ~400 cases here); the diagonal one does not. sigma_case
        # then mixes slowly (bulk ESS about 0.07 per draw at 5,000 offenders): 2,000 draws per
        # chain keep its R-hat below 1.01.
        return {"adaptation": "diag", "draws": 2000} if self.student_t else {}

    def _check_sampler(self, s: Mapping[str, Any]) -> None:
        d = self._fitted_design()
        n_cens = int(np.count_nonzero(d.extra["cens"]))
        if self.student_t and n_cens and s["sampler"] == "numpyro":
            raise ModelConfigError(
                f"likelihood 'student_t' with censored terms ({n_cens} rows at a statutory "
                "bound) cannot be sampled with numpyro: JAX cannot differentiate the "
                "Student-t CDF in nu; use sampler 'nutpie' (default) or 'pymc'"
            )

    def options(self) -> list[str]:
        return super().options() + (["student_t"] if self.student_t else [])

    @property
    def student_t(self) -> bool:
        return bool(self.effects["likelihood"] == "student_t")

    def select(self, data: pd.DataFrame) -> pd.DataFrame:
        st = data["sentence_type"].astype(str)
        m = st.isin(_CUSTODIAL).to_numpy() & (data["term_months"].to_numpy() > 0)
        return data[m].reset_index(drop=True)

    def extra_design(self, rows: pd.DataFrame, coords: dict[str, list[Any]]) -> dict[str, Any]:
        term = rows["term_months"].to_numpy(dtype=float)
        lo, hi = outcomes.table_term_bounds(rows)
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
            "_coords": {"case": [str(c) for c in case_ids]},
        }

    # ------------------------------------------------------------------ likelihood
    def _add_likelihood(self, d: Design) -> None:
        beta, x = self.coefficients(self.prefix, d)
        sigma = self.priors["sigma"].create_variable(f"{self.prefix}_sigma")
        tau = self.priors["sigma_case"].create_variable(f"{self.prefix}_sigma_case")
        if self.student_t:
            nu = self.priors["nu"].create_variable(f"{self.prefix}_nu")
            z = pm.Normal(f"{self.prefix}_case_z", 0.0, 1.0, dims="case")
            eta = pt.dot(x, beta) + (tau * z)[d.extra["case"]]
            pm.Potential("term_loglik", student_t_loglik(eta, sigma, nu, d.extra))
            return
        e = d.extra
        data = cn.censored_data(x, e["y"], e["cens"], e["case"], e["log_lo"], e["log_hi"])
        pm.Potential("term_loglik", cn.loglik(beta, sigma, tau, data, self.pack, self.prefix))

    def log_likelihood(self) -> xr.DataTree:
        """Pointwise log-likelihood of the fit, added as group ``log_likelihood``: per case
        (variable ``term_obs``, dim ``case``; the case effect integrated out), or per offender
        given the case effects for the Student-t option."""
        idata = self._require_fit()
        if "log_likelihood" in idata.children:
            return idata
        if self.student_t:
            idata["log_likelihood"] = xr.DataTree(self._student_t_pointwise())
            return idata
        d = self._fitted_design()
        p = self.draws()
        eta = self.eta(self.prefix, p, d, np.random.default_rng(0))
        ll = cn.per_case_loglik(eta, p["term_sigma"], p["term_sigma_case"], d.extra)
        idata["log_likelihood"] = xr.DataTree(self._per_case(ll, "term_obs", d.dims["case"]))
        return idata

    compute_log_likelihood = log_likelihood  # type: ignore[assignment]

    def _student_t_pointwise(self) -> xr.Dataset:
        """Per-offender log-likelihood of the Student-t fit, given the case effects."""
        from scipy import stats

        d = self.design
        assert d is not None
        p = self.draws()
        mu = self.eta(self.prefix, p, d, np.random.default_rng(0))
        case = d.extra["case"]
        mu = mu + (p["term_sigma_case"][:, None] * p["term_case_z"])[:, case]
        sd, nu = p["term_sigma"][:, None], p["term_nu"][:, None]
        y, cens = d.extra["y"], d.extra["cens"]
        bound = np.where(cens > 0, d.extra["log_hi"], d.extra["log_lo"])
        ll = np.where(
            cens == 0,
            stats.t.logpdf(y, nu, mu, sd),
            np.where(cens > 0, stats.t.logsf(bound, nu, mu, sd), stats.t.logcdf(bound, nu, mu, sd)),
        )
        post = self._require_fit()["posterior"]
        n_c, n_d = post.sizes["chain"], post.sizes["draw"]
        return xr.Dataset(
            {"term_obs": (("chain", "draw", "row"), ll.reshape(n_c, n_d, -1))},
            coords={"chain": post["chain"].values, "draw": post["draw"].values},
        )

    # ------------------------------------------------------------------ predictions
    def _mean(
        self,
        params: Draws,
        d: Design,
        rng: np.random.Generator,
        integrate_case: bool = True,
    ) -> np.ndarray:
        lo, hi = _bounds(d)
        # once per distinct row: the same covariates give the same linear predictor, and the
        # bounds follow the article
        first, inv = d.x.distinct(lo, hi)
        mu = self.eta(self.prefix, params, d, rng, rows=first)
        return self._mean_from(mu, params, lo[first], hi[first])[:, inv]

    def _mean_from(
        self, mu: np.ndarray, params: Mapping[str, np.ndarray], lo: np.ndarray, hi: np.ndarray
    ) -> np.ndarray:
        """Expected term (samples, rows) given the linear predictor: case effect and noise
        integrated out, censored at ``lo`` and ``hi``."""
        sig2 = (np.asarray(params["term_sigma"]) ** 2)[:, None]
        tau2 = (np.asarray(params["term_sigma_case"]) ** 2)[:, None]
        if not self.student_t:
            return outcomes.censored_lognormal_mean(
                mu, np.sqrt(sig2 + tau2), lo[None, :], hi[None, :]
            )
        # Student-t noise as a normal scale mixture: average the censored log-normal mean over
        # the precision weight lambda ~ Gamma(nu/2, nu/2), at T_MEAN_NODES quantile midpoints.
        from scipy.stats import gamma

        nu = np.asarray(params["term_nu"])[:, None]
        out = np.zeros(np.shape(mu))
        for q in (np.arange(T_MEAN_NODES) + 0.5) / T_MEAN_NODES:
            lam = gamma.ppf(q, nu / 2, scale=2 / nu)
            s = np.sqrt(sig2 / lam + tau2)
            out += outcomes.censored_lognormal_mean(mu, s, lo[None, :], hi[None, :])
        return out / T_MEAN_NODES

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
        self, params: Draws, d: Design, rng: np.random.Generator, conditional: bool = False
    ) -> dict[str, np.ndarray]:
        mu = self.eta(self.prefix, params, d, rng)
        n_s, n = mu.shape
        case = d.extra.get("case")
        if case is None:
            case = pd.factorize(d.rows["case_id"].astype(str))[0]
        n_cases = int(case.max()) + 1 if n else 0
        u = outcomes.case_effects(rng, params["term_sigma_case"], n_cases)
        noise = (
            rng.standard_t(np.asarray(params["term_nu"])[:, None], (n_s, n))
            if self.student_t
            else rng.normal(0, 1, (n_s, n))
        )
        lo, hi = _bounds(d)
        sigma = np.asarray(params["term_sigma"])[:, None]
        return {"term_months": outcomes.term(noise, mu + u[:, case], sigma, lo, hi)[0]}

    # ------------------------------------------------------------------ summaries
    def derived(self) -> dict[str, pd.DataFrame]:
        """Mean term by year and by value chain (see :meth:`mean_term_by`)."""
        d = self._fitted_design()
        e = self._mean(self.summary_draws(), d, np.random.default_rng(0))
        obs = d.rows["term_months"].to_numpy(float)
        return {
            f"mean_term_by_{by}": group_summary(e, d.rows, obs, by)
            for by in ("year", "value_chain")
        }

    def mean_term_by(
        self, by: str = "year", params: Draws | None = None, hdi: float = 0.95
    ) -> pd.DataFrame:
        """Posterior of the mean prison term (months) of the fitted offenders, by year or by
        value chain, with the observed means: mean, median and central ``hdi`` interval."""
        d = self.design if self.design is not None else None
        assert d is not None
        p = params if params is not None else self.draws()
        e = self._mean(p, d, np.random.default_rng(0))
        return group_summary(e, d.rows, d.rows["term_months"].to_numpy(float), by, hdi)


def _bounds(d: Design) -> tuple[np.ndarray, np.ndarray]:
    """The censoring bounds of the design's rows (kept in its extras when it has them)."""
    if "lo" in d.extra and "hi" in d.extra:
        return d.extra["lo"], d.extra["hi"]
    return outcomes.table_term_bounds(d.rows)


def student_t_loglik(eta: Any, sigma: Any, nu: Any, extra: Mapping[str, np.ndarray]) -> Any:
    """Log-likelihood of log terms with Student-t noise around ``eta`` (case effect included):
    the Student-t log-density for uncensored terms, its log-CDF or log-survival function at the
    bound for censored ones."""
    y, cens = extra["y"], extra["cens"]
    dist = pm.StudentT.dist(nu=nu, mu=0.0, sigma=sigma)
    obs = np.flatnonzero(cens == 0)
    total = pm.logp(dist, y[obs] - eta[obs]).sum()
    ci = np.flatnonzero(cens != 0)
    if len(ci):
        bound = np.where(cens[ci] > 0, extra["log_hi"][ci], extra["log_lo"][ci])
        sign = np.where(cens[ci] > 0, -1.0, 1.0)
        # P(Y <= b) = F(b - eta); P(Y >= b) = F(-(b - eta)) by symmetry
        total = total + pm.logcdf(dist, sign * (bound - eta[ci])).sum()
    return total
