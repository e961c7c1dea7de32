"""The sentence model: its censored-normal case likelihood against brute force, the Student-t option, the mean term."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, special, stats

from ccmodels import law
from ccmodels.models import (
    ModelConfigError,
    SentenceModel,
)
from ccmodels.models.likelihoods import censored_normal as cn

FAST = {"draws": 100, "tune": 150, "chains": 2, "progress": False}


def test_std_normal_lcdf_and_its_gradient():
    import pytensor
    import pytensor.tensor as pt

    from ccmodels.models.likelihoods.censored_normal import std_normal_lcdf as _std_normal_lcdf

    z = pt.dvector("z")
    f = pytensor.function([z], [_std_normal_lcdf(z), pytensor.grad(_std_normal_lcdf(z).sum(), z)])
    zs = np.array([-40.0, -10.0, -8.5, -1.0 - 1e-9, -1.0, -0.3, 0.0, 2.0, 8.0, 37.0, 50.0])
    val, grad = f(zs)
    np.testing.assert_allclose(val, stats.norm.logcdf(zs), rtol=1e-12, atol=1e-300)
    # d/dz log Phi(z) = phi(z) / Phi(z)
    np.testing.assert_allclose(
        grad, np.exp(stats.norm.logpdf(zs) - stats.norm.logcdf(zs)), rtol=1e-9
    )


def test_mean_term_once_per_distinct_row_equals_every_row(fitted):
    m = fitted["sentence"]
    d, draws = m.design, m.draws()
    lo, hi = law.term_bounds(d.rows["article"].astype(str).to_numpy())
    full = m._mean_from(m.eta(m.prefix, draws, d, np.random.default_rng(0)), draws, lo, hi)
    np.testing.assert_allclose(m._mean(draws, d, np.random.default_rng(0)), full, rtol=1e-12)
    stored = m.idata["derived"]["mean_term_by_year"].to_dataset()
    np.testing.assert_allclose(
        stored["mean"].values, m.mean_term_by("year")["mean"].to_numpy(), rtol=1e-12
    )


def test_integrated_case_likelihood_matches_brute_force():
    """Per-case log-likelihood (case effect integrated out; one censored term in closed form,
    several by quadrature) against scipy's adaptive quadrature of the integrand over the case
    effect, at a tight and a wide case effect."""
    rng = np.random.default_rng(1)
    # cases 0-1 uncensored; 2: one of two at the maximum; 3: one at each bound; 4: a lone
    # term at the minimum; 5: two uncensored and one at the minimum
    case = np.array([0, 0, 0, 1, 2, 2, 3, 3, 4, 5, 5, 5])
    cens = np.array([0, 0, 0, 0, 0, 1, 1, -1, -1, 0, -1, 0])
    eta = rng.normal(3, 0.3, case.size)
    y = eta + rng.normal(0, 0.6, case.size)
    log_hi = np.full(case.size, np.log(36.0))
    log_lo = np.where(case >= 4, 2.5, 0.0)
    y = np.where(cens == 1, log_hi, np.where(cens == -1, log_lo, y))
    x = {"y": y, "cens": cens, "case": case, "log_hi": log_hi, "log_lo": log_lo, "eta": eta}
    for sigma, tau in [(0.5, 0.4), (0.3, 1.2)]:
        got = cn.per_case_loglik(eta[None], np.array([sigma]), np.array([tau]), x)[0]
        want = np.array([_brute_case_loglik(x, k, sigma, tau) for k in range(6)])
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-8)


def _heavy_cases() -> dict[str, np.ndarray]:
    """Cases of up to 150 defendants, most or all of them censored: all at the maximum with the
    predictor 0 to 3 log units below it, 90% at the maximum, and a mix of both bounds."""
    rng = np.random.default_rng(7)
    hi, parts = np.log(36.0), []
    for k, (n, off, share_hi, share_lo) in enumerate(
        [
            (150, 0.0, 1.0, 0.0),
            (150, 0.5, 1.0, 0.0),
            (150, 1.5, 1.0, 0.0),
            (150, 3.0, 1.0, 0.0),
            (144, 1.0, 0.9, 0.0),
            (150, 0.3, 0.6, 0.2),
            (30, 0.5, 1.0, 0.0),
            (1, 0.0, 1.0, 0.0),
        ]
    ):
        eta = hi - off + rng.normal(0, 0.1, n)
        r = rng.random(n)
        cens = np.where(r < share_hi, 1, np.where(r < share_hi + share_lo, -1, 0))
        y = np.clip(eta + rng.normal(0, 0.4, n), 1e-3, hi - 1e-3)
        y = np.where(cens == 1, hi, np.where(cens == -1, 0.0, y))
        parts.append((np.full(n, k), eta, y, cens))
    case, eta, y, cens = (np.concatenate(v) for v in zip(*parts, strict=True))
    n = case.size
    return {
        "case": case,
        "eta": eta,
        "y": y,
        "cens": cens,
        "log_hi": np.full(n, hi),
        "log_lo": np.zeros(n),
    }


def _brute_case_loglik(x: dict[str, np.ndarray], k: int, sigma: float, tau: float) -> float:
    """log of the integral over the case effect, by scipy's adaptive quadrature around the
    mode (found on a fine grid) over +-40 prior SDs."""
    idx = x["case"] == k
    eta, y, cens = x["eta"][idx], x["y"][idx], x["cens"][idx]
    obs, up, down = cens == 0, cens == 1, cens == -1

    # scipy.special's normal log-CDF (what stats.norm.logsf/logcdf call, without their
    # argument handling): accurate far into both tails
    half_log_2pi = 0.5 * np.log(2 * np.pi)

    def log_f(u: np.ndarray) -> np.ndarray:
        u = np.atleast_1d(u)[None, :]
        out = -0.5 * (u[0] / tau) ** 2 - np.log(tau) - half_log_2pi
        z = (y[obs][:, None] - eta[obs][:, None] - u) / sigma
        out = out + (-0.5 * z**2 - np.log(sigma) - half_log_2pi).sum(0)
        hi = (x["log_hi"][idx][up][:, None] - eta[up][:, None] - u) / sigma
        out = out + special.log_ndtr(-hi).sum(0)
        lo = (x["log_lo"][idx][down][:, None] - eta[down][:, None] - u) / sigma
        out = out + special.log_ndtr(lo).sum(0)
        return out

    grid = np.linspace(-40 * tau, 40 * tau, 80_001)
    lg = log_f(grid)
    top, mode = lg.max(), grid[lg.argmax()]
    val, _ = integrate.quad(
        lambda u: float(np.exp(log_f(u)[0] - top)),
        -40 * tau,
        40 * tau,
        points=[mode],
        epsabs=0.0,
        epsrel=1e-13,
        limit=1000,
    )
    return float(np.log(val) + top)


def _graph_total(x: dict[str, np.ndarray], design: np.ndarray):
    """The sampled log-likelihood (sufficient statistics, quadrature for several censored
    terms) as a function of (beta, sigma, tau), with its gradient."""
    import pymc as pm
    import pytensor
    import pytensor.tensor as pt

    from ccmodels.models.datapack import DataPack

    beta, s, t = pt.dvector("beta"), pt.dscalar("sigma"), pt.dscalar("tau")
    with pm.Model():
        pack = DataPack()
        data = cn.censored_data(design, x["y"], x["cens"], x["case"], x["log_lo"], x["log_hi"])
        total = cn.loglik(beta, s, t, data, pack, "t")
        pack.finish()
    grad = pytensor.grad(total, [beta, s, t])
    return pytensor.function([beta, s, t], [total, *grad], mode="NUMBA")


def test_adaptive_quadrature_is_within_1e_6_nats_for_heavily_censored_cases():
    """Cases of up to 150 defendants, mostly or all censored, over residual and case scales
    from a sharp wall (sigma 0.2, tau 1.5) to a tight prior (sigma 1, tau 0.1): the integrated
    log-likelihood is within 1e-6 nats of scipy's case by case, the sampled total equals its
    sum, and the total's gradient matches finite differences of itself."""
    x = _heavy_cases()
    f = _graph_total(x, x["eta"][:, None])  # eta = x * beta at beta = 1
    one = np.array([1.0])
    for sigma, tau in [(0.3, 0.5), (0.2, 1.0), (0.2, 1.5), (1.0, 0.1)]:
        got = cn.per_case_loglik(x["eta"][None], np.array([sigma]), np.array([tau]), x)[0]
        want = np.array([_brute_case_loglik(x, k, sigma, tau) for k in range(got.size)])
        assert np.max(np.abs(got - want)) < 1e-6, (sigma, tau, got - want)
        total, _gb, gs, gt = f(one, sigma, tau)
        assert float(total) == pytest.approx(got.sum(), abs=1e-8)
        h = 1e-6
        fd = [
            (f(one, sigma + h, tau)[0] - f(one, sigma - h, tau)[0]) / (2 * h),
            (f(one, sigma, tau + h)[0] - f(one, sigma, tau - h)[0]) / (2 * h),
        ]
        np.testing.assert_allclose([gs, gt], fd, rtol=1e-5)


def test_censored_cases_are_cells_and_alike_terms_have_multiplicities():
    """Lone offenders censored alike are one cell with a count; co-defendants censored alike
    in one case are one term with a multiplicity; the total is still the sum over cases."""
    x = np.array([[1.0, 0.0]] * 3 + [[1.0, 1.0]] + [[1.0, 0.0]] * 3 + [[1.0, 1.0]] * 2)
    case = np.array([0, 1, 2, 3, 4, 4, 4, 4, 5])
    cens = np.array([1, 1, 0, 1, 1, 1, 0, 1, 0])
    y = np.array([3.0, 3.0, 2.5, 3.0, 3.0, 3.0, 2.0, 3.0, 2.2])
    log_lo, log_hi = np.zeros(9), np.full(9, 3.0)
    data = cn.censored_data(x, y, cens, case, log_lo, log_hi)
    arr = data.arrays
    assert sorted(arr["lone_w"].tolist()) == [1.0, 2.0]  # cases 0 and 1 alike, 3 apart
    assert arr["many_w"].tolist() == [2.0, 1.0]  # case 4: two alike, one apart
    assert arr["many_start"].tolist() == [0, 2]
    assert arr["o_m"].tolist() == [1.0]  # only case 4 has an uncensored term beside
    f = _graph_total({"y": y, "cens": cens, "case": case, "log_lo": log_lo, "log_hi": log_hi}, x)
    beta = np.array([2.6, 0.2])
    for sigma, tau in ((0.5, 0.3), (0.2, 1.2)):
        want = cn.per_case_loglik(
            (x @ beta)[None],
            np.array([sigma]),
            np.array([tau]),
            {"y": y, "cens": cens, "case": case, "log_lo": log_lo, "log_hi": log_hi},
        )
        assert float(f(beta, sigma, tau)[0]) == pytest.approx(want.sum(), abs=1e-8)


def test_sufficient_statistics_match_the_per_case_likelihood(population):
    """The sampled log-likelihood (sufficient statistics for uncensored cases) equals the sum
    of the per-case log-likelihood used for LOO, at random parameter values; its gradient in
    the coefficients matches finite differences."""
    m = SentenceModel()
    m.build(population.offenders)
    d = m.design
    assert d is not None and (d.extra["cens"] != 0).any()
    assert np.bincount(d.extra["case"][d.extra["cens"] != 0]).max() > 1  # several in a case
    rng = np.random.default_rng(2)
    x = d.x.matrix(d.coords)
    f = _graph_total(d.extra, x)
    bval = rng.normal(0, 0.3, x.shape[1])
    bval[0] = 3.3
    sigma, tau = 0.6, 0.35
    total, gb, _gs, _gt = f(bval, sigma, tau)
    per_case = cn.per_case_loglik((x @ bval)[None], np.array([sigma]), np.array([tau]), d.extra)
    assert float(total) == pytest.approx(per_case.sum(), rel=1e-10)
    h = 1e-6
    for j in rng.choice(x.shape[1], 4, replace=False):
        e = np.zeros(x.shape[1])
        e[j] = h
        fd = (f(bval + e, sigma, tau)[0] - f(bval - e, sigma, tau)[0]) / (2 * h)
        assert float(gb[j]) == pytest.approx(float(fd), rel=1e-5, abs=1e-6)


def test_student_t_likelihood_matches_scipy():
    """The Student-t log-likelihood: scipy's t density for uncensored terms, its CDF and
    survival function at the bound for censored ones."""
    from ccmodels.models.sentence import student_t_loglik

    rng = np.random.default_rng(5)
    n = 9
    eta = rng.normal(3, 0.4, n)
    y = eta + 0.5 * rng.standard_t(3, n)
    log_hi, log_lo = np.full(n, np.log(36.0)), np.zeros(n)
    cens = np.array([0, 0, 0, 0, 1, 0, -1, 1, 0])
    y = np.where(cens == 1, log_hi, np.where(cens == -1, log_lo, y))
    x = {"y": y, "cens": cens, "log_hi": log_hi, "log_lo": log_lo}
    got = float(student_t_loglik(eta, 0.5, 3.5, x).eval())
    want = np.where(
        cens == 0,
        stats.t.logpdf(y, 3.5, eta, 0.5),
        np.where(
            cens == 1, stats.t.logsf(log_hi, 3.5, eta, 0.5), stats.t.logcdf(log_lo, 3.5, eta, 0.5)
        ),
    ).sum()
    # PyMC's Student-t log-density carries a float32 constant: 3.2e-9 off per term.
    assert got == pytest.approx(want, abs=1e-8 * n)


def test_student_t_mean_matches_monte_carlo():
    """The predicted mean under Student-t noise (quantile nodes over the precision weight)
    against Monte Carlo, within 4 standard errors."""
    m = SentenceModel(effects={"likelihood": "student_t"})
    mu = np.array([[3.0, 4.2]])
    params = {
        "term_sigma": np.array([0.5]),
        "term_sigma_case": np.array([0.3]),
        "term_nu": np.array([3.0]),
    }
    lo, hi = np.array([1.0, 1.0]), np.array([36.0, 180.0])
    got = m._mean_from(mu, params, lo, hi)[0]
    rng = np.random.default_rng(6)
    k = 2_000_000
    z = mu[0][:, None] + 0.3 * rng.normal(size=(2, k)) + 0.5 * rng.standard_t(3.0, (2, k))
    draws = np.clip(np.exp(z), lo[:, None], hi[:, None])
    se = draws.std(1) / np.sqrt(k)
    assert np.all(np.abs(got - draws.mean(1)) < 4 * se), (got, draws.mean(1), se)


def test_student_t_fit_predicts_and_gives_pointwise_loglik(population):
    m = SentenceModel(effects={"likelihood": "student_t"})
    assert m.sampler["adaptation"] == "diag" and m.sampler["draws"] == 2000
    assert (
        SentenceModel(effects={"likelihood": "student_t"}, sampler={"draws": 300}).sampler["draws"]
        == 300
    )  # an explicit setting wins
    dt = m.fit(population.offenders, seed=2, loo=True, **FAST)
    assert "term_nu" in dt["posterior"] and "term_case_z" in dt["posterior"]
    ll = dt["log_likelihood"]["term_obs"]
    assert ll.sizes["row"] == len(m.design.rows) and np.isfinite(ll.values).all()
    pred = m.predict(population.offenders.head(30))
    lo, hi = law.term_bounds(population.offenders.head(30)["article"].astype(str).to_numpy())
    assert np.all((pred.values >= lo) & (pred.values <= hi))
    with pytest.raises(ModelConfigError, match="likelihood.*allowed: normal, student_t"):
        SentenceModel(effects={"likelihood": "cauchy"})
