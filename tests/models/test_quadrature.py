"""Censored cases of the sentence model: the case effect integrated out by adaptive
Gauss-Hermite quadrature, against a brute-force integral."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import integrate, optimize, stats

from ccmodels.models.sentence import case_loglik

LOG_HI = np.log(120.0)
LOG_LO = 0.0


def _case(
    rng: np.random.Generator, n_obs: int, n_hi: int, n_lo: int, mu: float, spread: float
) -> dict[str, np.ndarray]:
    """One case: ``n_obs`` uncensored terms, ``n_hi`` at the upper and ``n_lo`` at the lower
    bound, linear predictors around ``mu``."""
    n = n_obs + n_hi + n_lo
    eta = rng.normal(mu, spread, n)
    cens = np.repeat([0, 1, -1], [n_obs, n_hi, n_lo])
    y = np.where(cens == 1, LOG_HI, np.where(cens == -1, LOG_LO, 0.0))
    y[:n_obs] = np.clip(eta[:n_obs] + rng.normal(0, 0.5, n_obs), LOG_LO + 0.1, LOG_HI - 0.1)
    return {"eta": eta, "y": y, "cens": cens}


def _cases(seed: int, specs: list[tuple[int, int, int, float, float]]) -> dict[str, np.ndarray]:
    """Stack cases (``case`` codes in order) into the arrays ``case_loglik`` reads."""
    rng = np.random.default_rng(seed)
    parts = [_case(rng, *s) for s in specs]
    out = {k: np.concatenate([p[k] for p in parts]) for k in ("eta", "y", "cens")}
    out["case"] = np.repeat(np.arange(len(parts)), [p["y"].size for p in parts]).astype(np.int64)
    out["log_hi"] = np.full(out["y"].size, LOG_HI)
    out["log_lo"] = np.full(out["y"].size, LOG_LO)
    return out


def _log_integrand(
    u: np.ndarray, eta: np.ndarray, x: dict[str, np.ndarray], sigma: float, tau: float
) -> np.ndarray:
    """log N(u; 0, tau) + sum_i log p(y_i | eta_i + u, sigma) over a grid of ``u``."""
    mean = eta[None, :] + u[:, None]
    y, cens = x["y"][None, :], x["cens"]
    term = np.where(
        cens == 0,
        stats.norm.logpdf(y, mean, sigma),
        np.where(cens > 0, stats.norm.logsf(y, mean, sigma), stats.norm.logcdf(y, mean, sigma)),
    )
    return stats.norm.logpdf(u, 0.0, tau) + term.sum(axis=1)


def brute_force(eta: np.ndarray, sigma: float, tau: float, x: dict[str, np.ndarray]) -> np.ndarray:
    """Per-case log-likelihood by adaptive scipy quadrature around the integrand's mode,
    scaled by its value there so that heavily censored cases do not underflow."""
    out = []
    for k in range(int(x["case"].max()) + 1):
        idx = x["case"] == k
        xk = {n: v[idx] for n, v in x.items()}
        ek = eta[idx]

        def f(u: float, ek: np.ndarray = ek, xk: dict[str, np.ndarray] = xk) -> float:
            return float(_log_integrand(np.array([u]), ek, xk, sigma, tau)[0])

        mode = optimize.minimize_scalar(
            lambda u, f=f: -f(u), bounds=(-30, 30), method="bounded", options={"xatol": 1e-10}
        ).x
        top = f(mode)
        # width of the integrand, from its curvature at the mode
        h = 1e-4
        width = 1.0 / np.sqrt(max(-(f(mode + h) - 2 * top + f(mode - h)) / h**2, 1e-12))
        val, _ = integrate.quad(
            lambda u, f=f, top=top: np.exp(f(u) - top),
            mode - 40 * width,
            mode + 40 * width,
            points=[mode],
            epsabs=0.0,
            epsrel=1e-13,
            limit=400,
        )
        out.append(top + np.log(val))
    return np.array(out)


def _compiled(x: dict[str, np.ndarray], grad: bool = False) -> Any:
    eta, sigma, tau = pt.dvector("eta"), pt.dscalar("sigma"), pt.dscalar("tau")
    ll = case_loglik(eta, sigma, tau, x)
    outs: list[Any] = [ll]
    if grad:
        outs += [pytensor.grad(ll.sum(), v) for v in (eta, sigma, tau)]
    return pytensor.function([eta, sigma, tau], outs)


# (uncensored, at the upper bound, at the lower bound, mean of eta, spread of eta)
SPECS = {
    "small": [(2, 1, 0, 4.0, 0.3), (1, 1, 0, 4.6, 0.2), (2, 0, 1, 0.4, 0.3), (0, 1, 0, 4.5, 0.1)],
    "upper-heavy": [(10, 140, 0, 4.3, 0.4), (10, 140, 0, 3.8, 0.2)],
    "all-upper": [(0, 150, 0, 4.4, 0.3), (0, 60, 0, 5.2, 0.3), (0, 150, 0, 3.9, 0.5)],
    "lower-heavy": [(10, 0, 140, 0.5, 0.4), (0, 0, 150, 0.2, 0.3), (3, 0, 30, 0.0, 0.2)],
    "both-bounds": [(5, 40, 40, 2.4, 2.0), (0, 20, 20, 2.4, 2.5)],
    "mixed-sizes": [
        (3, 0, 0, 3.0, 0.3),
        (20, 5, 0, 4.2, 0.3),
        (0, 1, 1, 2.4, 2.0),
        (1, 0, 0, 2, 0),
    ],
}


@pytest.mark.parametrize("name", list(SPECS))
def test_censored_case_likelihood_matches_brute_force(name: str):
    x = _cases(len(name), SPECS[name])
    f = _compiled(x)  # one compiled function serves every sigma and tau
    for sigma in (0.3, 0.6, 1.0):
        for tau in (0.1, 0.4, 1.0):
            (got,) = f(x["eta"], sigma, tau)
            want = brute_force(x["eta"], sigma, tau, x)
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-6, err_msg=f"{sigma=} {tau=}")


def test_censored_case_gradient_matches_finite_differences():
    x = _cases(3, SPECS["upper-heavy"] + SPECS["lower-heavy"][:1] + SPECS["small"][:1])
    f = _compiled(x, grad=True)
    eta, sigma, tau = x["eta"], 0.5, 0.4
    _, g_eta, g_sigma, g_tau = f(eta, sigma, tau)
    assert np.all(np.isfinite(g_eta)) and np.isfinite(g_sigma) and np.isfinite(g_tau)

    def total(e: np.ndarray, s: float, t: float) -> float:
        return float(f(e, s, t)[0].sum())

    h = 1e-5
    fd_sigma = (total(eta, sigma + h, tau) - total(eta, sigma - h, tau)) / (2 * h)
    fd_tau = (total(eta, sigma, tau + h) - total(eta, sigma, tau - h)) / (2 * h)
    direction = np.random.default_rng(0).normal(size=eta.size)
    fd_eta = (total(eta + h * direction, sigma, tau) - total(eta - h * direction, sigma, tau)) / (
        2 * h
    )
    np.testing.assert_allclose(g_sigma, fd_sigma, rtol=1e-5)
    np.testing.assert_allclose(g_tau, fd_tau, rtol=1e-5)
    np.testing.assert_allclose(g_eta @ direction, fd_eta, rtol=1e-5)


def test_censored_case_gradient_is_finite_far_in_the_tails():
    """Linear predictors far beyond the bounds put the censored terms deep in the normal tails,
    where the inverse Mills ratio must not overflow."""
    x = _cases(5, [(2, 30, 0, 4.4, 0.3), (0, 0, 30, 0.1, 0.3), (1, 10, 10, 2.4, 2.0)])
    f = _compiled(x, grad=True)
    for shift in (-40.0, -8.0, 8.0, 40.0):
        ll, g_eta, g_sigma, g_tau = f(x["eta"] + shift, 0.3, 0.2)
        assert np.all(np.isfinite(ll))
        assert np.all(np.isfinite(g_eta)) and np.isfinite(g_sigma) and np.isfinite(g_tau)
