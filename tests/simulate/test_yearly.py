"""The yearly engine of projections (:mod:`ccmodels.simulate.yearly`): the same world as a
simulated population, without its rows; properties (hypothesis) and agreement in distribution
with the population simulator."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from ccmodels.simulate import Scenario, simulate
from ccmodels.simulate import yearly as Y

SC = Scenario.default()
seeds = st.integers(0, 2**32 - 1)
scenarios = st.builds(
    lambda scale, mu, alpha, family: SC.replace(
        volume={"scale": scale},
        group_size={
            "family": family,
            "log_mu": {"start": mu, "slope": 0.3},
            "log_alpha": {"start": alpha, "slope": 0.0},
        },
    ),
    scale=st.floats(0.05, 50.0),
    mu=st.floats(-4.0, 1.0),
    alpha=st.floats(-2.5, 1.5),
    family=st.sampled_from(["shifted", "ztnb"]),
)


def _population_yearly(sc: Scenario, seed: int) -> dict[str, np.ndarray]:
    c = simulate(sc, seed, cases_only=True).cases
    yrs = sc.year_values()
    g = c.groupby("year")["n_defendants"]
    return {
        "cases": g.size().reindex(yrs, fill_value=0).to_numpy(float),
        "offenders": g.sum().reindex(yrs, fill_value=0).to_numpy(float),
        "max": g.max().reindex(yrs).to_numpy(float),
        "share_3plus": (c["n_defendants"] >= 3).groupby(c["year"]).mean().reindex(yrs).to_numpy(),
    }


@given(sc=scenarios, seed=seeds)
def test_counts_add_up_and_stay_in_bounds(sc, seed):
    d = Y.draw_yearly(sc, seed)
    top = Y.largest([d])[0]
    assert np.all(d.cases >= 0) and np.all(d.cases == np.round(d.cases))
    np.testing.assert_array_equal(d.counts.sum(axis=1), d.cases)  # patterns add up to cases
    assert np.all(d.offenders >= d.cases)
    some = d.cases > 0
    assert np.all(top[some] >= 1) and np.all(np.isnan(top[~some]))
    assert np.all((d.share_3plus[some] >= 0) & (d.share_3plus[some] <= 1))
    assert np.all((d.chain_share[some] >= 0) & (d.chain_share[some] <= 1))
    # in the years drawn case by case the largest case is one of the offenders' cases
    ex = some & (d.cases <= Y.EXACT_CASES)
    assert np.all(top[ex] <= d.offenders[ex] - d.cases[ex] + 1)


@given(sc=scenarios, seed=seeds)
def test_same_seed_same_world_and_the_population_has_the_same_yearly_cases(sc, seed):
    a, b = Y.draw_yearly(sc, seed), Y.draw_yearly(sc, seed)
    for f in ("cases", "offenders", "share_3plus", "chain_share", "u"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    small = sc.replace(volume={"scale": min(sc.volume.scale, 2.0)})
    np.testing.assert_array_equal(
        Y.draw_yearly(small, seed).cases, _population_yearly(small, seed)["cases"]
    )


def test_a_world_of_any_size_is_drawn_not_refused():
    huge = SC.replace(volume={"scale": 1e9}, years=(2012, 2030))
    d = Y.draw_yearly(huge, 3)
    top = Y.largest([d])[0]
    assert d.cases.min() > 1e9 and np.all(np.isfinite(d.offenders))
    assert np.all(d.offenders >= d.cases) and np.all(top >= 1) and np.all(np.isfinite(top))
    wild = SC.replace(volume={"scale": 1e300})  # past every integer type
    assert np.all(np.isfinite(Y.draw_yearly(wild, 1).cases))


def _z(a: np.ndarray, b: np.ndarray) -> float:
    """The difference of two sample means in standard errors."""
    se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return float(abs(a.mean() - b.mean()) / se)


@pytest.mark.slow
@pytest.mark.parametrize("family", ["shifted", "ztnb"])
@pytest.mark.parametrize("exact", [True, False])
def test_the_engine_matches_the_population_in_distribution(family, exact, monkeypatch):
    """Over 400 worlds each, the engine (case by case, or by its closed forms) and the
    population simulator give the same distribution of the yearly offenders, share of cases
    with 3+ defendants and largest case in 2016 (mean differences within 4 standard errors;
    the largest case by a two-sample KS test at the 0.1% level)."""
    if not exact:
        monkeypatch.setattr(Y, "EXACT_CASES", -1)
    sc = SC.replace(volume={"scale": 3.0}, group_size={"family": family})
    n = 400
    eng = [Y.draw_yearly(sc, s) for s in range(n)]
    top = Y.largest(eng)[:, -1]
    pops = [_population_yearly(sc, 10_000 + s) for s in range(n)]
    for key, got in (
        ("offenders", np.array([d.offenders[-1] for d in eng])),
        ("share_3plus", np.array([d.share_3plus[-1] for d in eng])),
    ):
        want = np.array([p[key][-1] for p in pops])
        assert _z(got, want) < 4.0, key
        assert stats.levene(got, want).pvalue > 1e-3, key
    want_top = np.array([p["max"][-1] for p in pops])
    assert stats.ks_2samp(top, want_top).pvalue > 1e-3


def test_largest_inverts_the_distribution_of_the_maximum():
    """The largest of M shifted-NB sizes, by bisection, against direct draws."""
    rng = np.random.default_rng(0)
    mu, alpha, m = 0.4, 0.3, 150
    counts = np.zeros((1, 16))
    counts[0, 0] = m
    fake = [
        Y.YearlyDraw(
            cases=np.array([m]),
            offenders=np.array([np.nan]),
            share_3plus=np.array([np.nan]),
            chain_share=np.full((1, 4), np.nan),
            counts=counts,
            mu=np.full((1, 16), mu),
            alpha=np.full((1, 16), alpha),
            u=rng.random(1),
            family="shifted",
            top=np.array([np.nan]),
        )
        for _ in range(2000)
    ]
    got = Y.largest(fake)[:, 0]
    q = alpha / (alpha + mu)
    direct = 1 + rng.negative_binomial(alpha, q, size=(2000, m)).max(axis=1)
    assert stats.ks_2samp(got, direct).pvalue > 1e-3
