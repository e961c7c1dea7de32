"""The case-effect integrals against brute-force quadrature, their gradients against finite
differences, and the cells that carry them (ccmodels.models.likelihoods)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import integrate, special, stats

from ccmodels.models.likelihoods import logit_cells as lc
from ccmodels.models.likelihoods import probit
from ccmodels.models.likelihoods.cases import logistic_cases
from ccmodels.models.likelihoods.conditional import sample_logistic_cases
from ccmodels.models.likelihoods.lone import logistic_lone, logistic_lone_direct
from ccmodels.models.likelihoods.ops import LogisticCases, LogisticLone, ProbitCases
from ccmodels.models.likelihoods.probit import logf_many as _logf_many
from ccmodels.models.likelihoods.probit import probit_cases
from ccmodels.models.likelihoods.rules import half_range_rule

TOL = 1e-6  # nats: the accuracy the kernels promise


def _log_integrand(u, a, c, m, v, link):
    z = a[:, None] + c[:, None] * np.atleast_1d(u)[None, :]
    lf = -np.logaddexp(0.0, -z) if link == "logit" else special.log_ndtr(z)
    return stats.norm.logpdf(np.atleast_1d(u), m, np.sqrt(v)) + lf.sum(axis=0)


def brute(a, c, m, v, link="logit"):
    """log ∫ N(u; m, v) prod F(a + c u) du by a dense composite rule, independent of the
    kernels: the integrand's support (where it is within 80 nats of its maximum, located on a
    grid of 20,001 points) cut into 400 panels of 20 Gauss-Legendre nodes each."""
    sd = np.sqrt(v)
    grid = np.linspace(m - 40 * sd - 60, m + 40 * sd + 60, 20001)
    lg = _log_integrand(grid, a, c, m, v, link)
    keep = np.flatnonzero(lg > lg.max() - 80.0)
    lo, hi = grid[max(keep[0] - 1, 0)], grid[min(keep[-1] + 1, grid.size - 1)]
    x, w = np.polynomial.legendre.leggauss(20)
    edges = np.linspace(lo, hi, 401)
    half = 0.5 * np.diff(edges)
    nodes = (edges[:-1, None] + half[:, None] * (x[None, :] + 1.0)).ravel()
    logw = (np.log(half)[:, None] + np.log(w)[None, :]).ravel()
    return float(special.logsumexp(logw + _log_integrand(nodes, a, c, m, v, link)))


def test_the_dense_rule_agrees_with_adaptive_quadrature():
    """The reference itself, against scipy's adaptive quadrature on lopsided cases."""
    rng = np.random.default_rng(1)
    for m_terms, tau, shift in ((1, 3.0, -6.0), (10, 2.0, 4.0), (78, 0.5, 0.0)):
        a, c = _case(m_terms, "success", shift, rng)
        f0 = max(_log_integrand(np.linspace(-40, 40, 8001), a, c, 0.0, tau * tau, "logit"))
        val = integrate.quad(
            lambda t, a=a, c=c, v=tau * tau, f0=f0: np.exp(
                _log_integrand(t, a, c, 0.0, v, "logit")[0] - f0
            ),
            -60,
            60,
            epsabs=1e-300,
            epsrel=1e-12,
            limit=500,
        )[0]
        assert brute(a, c, 0.0, tau * tau) == pytest.approx(f0 + np.log(val), abs=1e-9)


def _case(m_terms, kind, shift, rng):
    eta = rng.normal(0.0, 1.5, m_terms) + shift
    if kind == "success":
        y = np.ones(m_terms)
    elif kind == "failure":
        y = np.zeros(m_terms)
    else:
        y = (np.arange(m_terms) % 2).astype(float)
        rng.shuffle(y)
    s = 2.0 * y - 1.0
    return s * eta, s


@pytest.mark.parametrize("m_terms", [1, 2, 3, 4, 10, 78])
@pytest.mark.parametrize("kind", ["success", "failure", "mixed"])
def test_logistic_case_integral_within_1e_6_nats_of_brute_force(m_terms, kind):
    rng = np.random.default_rng(m_terms * 7 + len(kind))
    worst = 0.0
    for tau in (0.05, 0.3, 1.0, 1.25, 1.3, 2.0, 3.0):
        for shift in (-6.0, -3.0, 0.0, 3.0, 6.0):
            a, c = _case(m_terms, kind, shift, rng)
            got = logistic_cases(a, c, np.ones(m_terms), np.array([0, m_terms]), tau)[0][0]
            worst = max(worst, abs(got - brute(a, c, 0.0, tau * tau)))
    assert worst < TOL


def test_multiplicities_equal_repeated_terms():
    """A term of multiplicity w is w identical terms (the cells' compression is exact)."""
    rng = np.random.default_rng(2)
    a = rng.normal(0, 2, 5)
    c = np.array([1.0, -1.0, 1.0, 1.0, -1.0])
    w = np.array([3.0, 1.0, 7.0, 1.0, 2.0])
    for tau in (0.4, 2.5):
        got = logistic_cases(a, c, w, np.array([0, 5]), tau)[0][0]
        a_rep, c_rep = np.repeat(a, w.astype(int)), np.repeat(c, w.astype(int))
        want = logistic_cases(a_rep, c_rep, np.ones(a_rep.size), np.array([0, a_rep.size]), tau)
        assert got == pytest.approx(want[0][0], abs=1e-9)


def test_large_case_far_from_the_prior_mean():
    """A regression: all outcomes alike far from the prior mean made Newton's iterates
    alternate inside the bracket (the mode came out 0.17 for 4.84, the integral 10 nats off)."""
    a = np.array([-4.01914593, -4.64452835, -3.63760672])
    c = np.ones(3)
    for tau in (2.2168, 3.0):
        got = logistic_cases(a, c, np.ones(3), np.array([0, 3]), tau)[0][0]
        assert got == pytest.approx(brute(a, c, 0.0, tau * tau), abs=TOL)
    rng = np.random.default_rng(9)
    a, c = _case(269, "success", -5.0, rng)
    got = logistic_cases(a, c, np.ones(269), np.array([0, 269]), 2.5)[0][0]
    assert got == pytest.approx(brute(a, c, 0.0, 6.25), abs=TOL)


@pytest.mark.parametrize("tau", [0.05, 0.5, 1.0, 1.3, 2.0, 3.0])
def test_lone_integral_table_and_direct_within_1e_6_nats(tau):
    rng = np.random.default_rng(int(tau * 100))
    x = np.concatenate([rng.normal(0, 3, 4000), [-45.0, -31.0, -29.0, 12.0, 40.0]])
    g_tab, gx_tab, gt_tab = logistic_lone(x, tau)
    g_dir, gx_dir, gt_dir = logistic_lone_direct(x, tau)
    assert np.max(np.abs(g_tab - g_dir)) < 1e-8
    np.testing.assert_allclose(gx_tab, gx_dir, atol=1e-6)
    np.testing.assert_allclose(gt_tab, gt_dir, atol=1e-6)
    idx = rng.choice(x.size, 12, replace=False)
    want = np.array([brute(np.array([x[i]]), np.ones(1), 0.0, tau * tau) for i in idx])
    assert np.max(np.abs(g_dir[idx] - want)) < TOL


def _fd(f, x, eps=1e-6):
    out = np.empty(x.size)
    for j in range(x.size):
        hi, lo = x.copy(), x.copy()
        hi[j] += eps
        lo[j] -= eps
        out[j] = (f(hi) - f(lo)) / (2 * eps)
    return out


@pytest.mark.parametrize("tau", [0.2, 0.9, 2.0])
def test_gradients_match_finite_differences(tau):
    rng = np.random.default_rng(5)
    a = rng.normal(0, 2, 12)
    c = np.where(rng.random(12) < 0.6, 1.0, -1.0)
    start = np.array([0, 2, 5, 12])
    w = np.ones(12)
    _ll, da, dt = logistic_cases(a, c, w, start, tau)
    np.testing.assert_allclose(
        da, _fd(lambda v: logistic_cases(v, c, w, start, tau)[0].sum(), a), rtol=1e-5, atol=1e-7
    )
    e = 1e-6
    fd_t = logistic_cases(a, c, w, start, tau + e)[0] - logistic_cases(a, c, w, start, tau - e)[0]
    np.testing.assert_allclose(dt, fd_t / (2 * e), rtol=1e-5, atol=1e-7)
    x = rng.normal(0, 3, 3000)  # the table
    _g, gx, gt = logistic_lone(x, tau)
    np.testing.assert_allclose(
        gx, (logistic_lone(x + e, tau)[0] - logistic_lone(x - e, tau)[0]) / (2 * e), atol=1e-6
    )
    np.testing.assert_allclose(
        gt, (logistic_lone(x, tau + e)[0] - logistic_lone(x, tau - e)[0]) / (2 * e), atol=1e-6
    )


def test_probit_cases_match_brute_force_and_their_gradients():
    """Censored terms of the normal models: prior N(m, v), one normal CDF per term."""
    rng = np.random.default_rng(11)
    for n_terms, v in ((2, 0.01), (5, 0.2), (40, 1.0), (150, 0.3), (3, 4.0)):
        a = rng.normal(1.0, 2.0, n_terms)
        c = rng.normal(0.0, 2.0, n_terms)
        m = rng.normal()
        got = probit_cases(
            np.array([m]), np.array([v]), a, c, np.ones(n_terms), np.array([0, n_terms])
        )
        assert got[0][0] == pytest.approx(brute(a, c, m, v, "probit"), abs=TOL)

        def total(a_, c_=c, m_=m, v_=v):
            w = np.ones(a_.size)
            return probit_cases(np.array([m_]), np.array([v_]), a_, c_, w, np.array([0, a_.size]))[
                0
            ][0]

        np.testing.assert_allclose(got[3], _fd(total, a), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(
            got[4], _fd(lambda c_, a=a: total(a, c_), c), rtol=1e-5, atol=1e-7
        )
        e = 1e-7
        assert got[1][0] == pytest.approx(
            (total(a, c, m + e) - total(a, c, m - e)) / (2 * e), rel=1e-5, abs=1e-7
        )
        assert got[2][0] == pytest.approx(
            (total(a, c, m, v + e) - total(a, c, m, v - e)) / (2 * e), rel=1e-5, abs=1e-6
        )


def _probit_case(n_terms, r, shape, rng):
    """A censored-normal case of ``n_terms`` terms whose prior sd times its largest |c| is
    ``r``: terms alike (co-defendants at one bound), spread, or of both signs."""
    c = np.ones(n_terms) if rng.random() < 0.5 else -np.ones(n_terms)
    if shape != "alike":
        c = c * np.exp(rng.normal(0.0, 0.3, n_terms))
    if shape == "mixed":
        c = c * np.where(rng.random(n_terms) < 0.3, -1.0, 1.0)
    c = c / np.abs(c).max()
    spread = {"alike": 0.0, "spread": 1.0, "mixed": 1.0}[shape]
    a = rng.normal(0.0, 3.0) + rng.normal(0.0, spread, n_terms)
    return a, c, rng.normal(0.0, 2.0) * r, r * r


@pytest.mark.parametrize("threshold", ["PROBIT_S6", "PROBIT_S8", "PROBIT_S16"])
def test_probit_rules_hold_at_their_thresholds(threshold):
    """Each rule of the censored-normal cases just inside its threshold (sharpness ``s``
    between 0.9 and 1 times it, where it is least accurate): within 1e-6 nats of brute force,
    for cases of 2 to 150 terms, alike, spread and of both signs."""
    limit = getattr(probit, threshold)
    nodes = {"PROBIT_S6": 6, "PROBIT_S8": 8, "PROBIT_S16": 16}[threshold]
    rng = np.random.default_rng(nodes)
    worst = 0.0
    # (16 nodes also need r <= 1: from 40 terms up at its threshold)
    for n_terms in [n for n in (2, 3, 6, 20, 50, 150) if n >= limit**4]:
        for shape in ("alike", "spread", "mixed"):
            for _ in range(3):
                r = limit * rng.uniform(0.9, 1.0) / n_terms**0.25
                a, c, m, v = _probit_case(n_terms, r, shape, rng)
                w = np.ones(n_terms)
                assert probit.probit_rule(v, c, w, 0, n_terms) == nodes
                got = probit_cases(np.array([m]), np.array([v]), a, c, w, np.array([0, n_terms]))
                worst = max(worst, abs(got[0][0] - brute(a, c, m, v, "probit")))
    assert worst < TOL


def test_probit_rule_is_picked_by_sharpness():
    """6, 8 or 16 nodes a side, or Gauss-Legendre, by ``s = r n^(1/4)`` (and ``r <= 1``)."""
    picks = {}
    for r, n in ((0.5, 4), (0.85, 4), (1.0, 4), (0.6, 100), (0.9, 100), (1.2, 2)):
        c, w = -np.ones(n), np.ones(n)
        picks[(r, n)] = probit.probit_rule(r * r, c, w, 0, n)
    assert picks == {
        (0.5, 4): 6,
        (0.85, 4): 8,
        (1.0, 4): 16,
        (0.6, 100): 16,
        (0.9, 100): 0,
        (1.2, 2): 0,
    }
    # a multiplicity counts as that many terms
    c = -np.ones(2)
    assert probit.probit_rule(0.36, c, np.array([1.0, 1.0]), 0, 2) == 6
    assert probit.probit_rule(0.36, c, np.array([1.0, 99.0]), 0, 2) == 16


def test_probit_multiplicities_equal_repeated_terms():
    rng = np.random.default_rng(4)
    a = rng.normal(0, 2, 4)
    c = np.array([-1.5, -1.5, 2.0, -1.0])
    w = np.array([3.0, 1.0, 5.0, 2.0])
    for m, v in ((0.2, 0.04), (-0.5, 0.3), (1.0, 1.5)):
        got = probit_cases(np.array([m]), np.array([v]), a, c, w, np.array([0, 4]))
        reps = w.astype(int)
        a_rep, c_rep = np.repeat(a, reps), np.repeat(c, reps)
        want = probit_cases(
            np.array([m]),
            np.array([v]),
            a_rep,
            c_rep,
            np.ones(a_rep.size),
            np.array([0, a_rep.size]),
        )
        assert got[0][0] == pytest.approx(want[0][0], abs=1e-9)
        # a term's derivative is its copies' summed
        np.testing.assert_allclose(got[3], np.add.reduceat(want[3], np.r_[0, np.cumsum(reps)[:-1]]))


def test_log_normal_cdf_table_matches_scipy():
    """``log Phi`` and its slope from the kernels' table, across and beyond its range."""
    z = np.concatenate(
        [np.linspace(-45.0, 12.0, 400_001), np.random.default_rng(0).uniform(-31, 10, 10**5)]
    )
    got = np.array(_logf_many(z))
    want = special.log_ndtr(z)
    slope = np.exp(stats.norm.logpdf(z) - want)
    assert np.max(np.abs(got[0] - want)) < 1e-10
    assert np.max(np.abs(got[1] - slope) / np.maximum(slope, 1.0)) < 1e-9


def test_half_range_rule_integrates_polynomials_exactly():
    for n in (8, 16):
        t, w = half_range_rule(n)
        for k in range(2 * n):
            exact = 2 ** ((k - 1) / 2) * special.gamma((k + 1) / 2)
            assert np.sum(w * t**k) == pytest.approx(exact, rel=1e-10)


def test_conditional_draws_have_the_conditional_moments():
    rng = np.random.default_rng(0)
    a = np.array([2.0, 1.5, -0.5, 3.0])
    c = np.array([1.0, 1.0, -1.0, 1.0])
    tau = 1.5
    n = 20000
    starts = np.arange(0, 4 * n + 1, 4)
    u = sample_logistic_cases(
        np.tile(a, n), np.tile(c, n), np.ones(4 * n), starts, tau, rng.random(n)
    )
    lh = lambda x: np.exp(_log_integrand(x, a, c, 0.0, tau * tau, "logit")[0])  # noqa: E731
    z = integrate.quad(lh, -30, 30)[0]
    m1 = integrate.quad(lambda x: x * lh(x), -30, 30)[0] / z
    m2 = integrate.quad(lambda x: x * x * lh(x), -30, 30)[0] / z
    sd = np.sqrt(m2 - m1**2)
    # 4.5 Monte Carlo standard errors (a 1-in-150,000 miss for a correct sampler)
    assert abs(u.mean() - m1) < 4.5 * sd / np.sqrt(n)
    assert abs(u.var() - sd**2) < 4.5 * sd**2 * np.sqrt(2.0 / n)


def test_ops_give_the_kernels_values_and_gradients_on_every_backend():
    rng = np.random.default_rng(3)
    av = rng.normal(size=9)
    c = np.sign(rng.normal(size=9))
    start = np.array([0, 2, 5, 9])
    tc = np.repeat(np.arange(3), np.diff(start))
    a, tau = pt.dvector("a"), pt.dscalar("tau")
    mm, vv = pt.dvector("m"), pt.dvector("v")
    total = (
        LogisticCases()(a, c, np.ones(9), start, tc, tau)[0].sum()
        + LogisticLone()(a, tau)[0].sum()
        + ProbitCases()(mm, vv, a, c, np.ones(9), start, tc)[0].sum()
    )
    grads = pytensor.grad(total, [a, tau, mm, vv])
    m0, v0 = np.array([0.1, -0.2, 0.3]), np.array([0.5, 0.2, 1.1])
    want = (
        logistic_cases(av, c, np.ones(9), start, 0.7)[0].sum()
        + logistic_lone(av, 0.7)[0].sum()
        + probit_cases(m0, v0, av, c, np.ones(9), start)[0].sum()
    )
    for mode in ("NUMBA", "FAST_RUN"):
        f = pytensor.function([a, tau, mm, vv], [total, *grads], mode=mode)
        out = f(av, 0.7, m0, v0)
        assert float(out[0]) == pytest.approx(want, abs=1e-10)
        fd = _fd(lambda x, f=f: float(f(x, 0.7, m0, v0)[0]), av)
        np.testing.assert_allclose(out[1], fd, rtol=1e-5, atol=1e-6)
        e = 1e-6
        fd_tau = (f(av, 0.7 + e, m0, v0)[0] - f(av, 0.7 - e, m0, v0)[0]) / (2 * e)
        assert float(out[2]) == pytest.approx(float(fd_tau), rel=1e-5, abs=1e-6)


def test_cells_group_alike_lone_rows_and_alike_co_defendants():
    case = ["a", "b", "c", "d", "d", "d", "e", "e"]
    key = np.array([[0, 1], [0, 1], [1, 0], [0, 1], [0, 1], [1, 1], [2, 0], [2, 0]])
    cells = lc.logit_cells(pd.Series(case), key)
    assert cells.describe() == {"rows": 8, "lone_cells": 2, "multi_cases": 2, "case_terms": 3}
    assert sorted(cells.cell_count.tolist()) == [1.0, 2.0]
    assert cells.term_w.tolist() == [2.0, 1.0, 2.0]
    assert cells.start.tolist() == [0, 2, 3]
    assert cells.case_ids == ["a", "b", "c", "d", "e"]
    # every row is in exactly one cell or term
    assert np.all((cells.row_cell >= 0) != (cells.row_term >= 0))


def test_per_case_loglik_is_the_brute_force_integral_of_each_case():
    rng = np.random.default_rng(8)
    case = np.array([0, 1, 1, 2, 3, 3, 3, 4])
    lp = rng.normal(0, 1.5, 8)
    y = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    sign = 2.0 * y - 1.0
    cells = lc.logit_cells(case, np.column_stack([np.arange(8), y]))
    tau = np.array([0.8])
    ll = lc.per_case_loglik(cells, lp[cells.cell_key][None], lp[cells.term_key][None], sign, tau)[0]
    for k, cid in enumerate(cells.case_ids):
        rows = np.flatnonzero(case.astype(str) == cid)
        want = brute(sign[rows] * lp[rows], sign[rows], 0.0, 0.64)
        assert ll[k] == pytest.approx(want, abs=TOL)
