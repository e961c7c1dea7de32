"""The outcome generators (ccmodels.outcomes): legal bounds, monotone responses, same seed ->
same output, expected values against Monte Carlo, and the agreement of the simulator with the
models' replicates for the same parameters."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from ccmodels import law, outcomes
from ccmodels.models import (
    DispositionModel,
    FineModel,
    GroupSizeModel,
    ProbationModel,
    SentenceModel,
)
from ccmodels.models.predictive import Draws
from ccmodels.simulate import Scenario, simulate

seeds = st.integers(0, 2**32 - 1)
logits = st.floats(-30, 30)
positive = st.floats(0.05, 20.0)


# --------------------------------------------------------------------------- counts
@given(mu=positive, alpha=positive, seed=seeds)
def test_group_sizes_are_at_least_one_and_repeat_by_seed(mu, alpha, seed):
    for family in outcomes.GROUP_SIZE_FAMILIES:
        a = outcomes.group_sizes(np.random.default_rng(seed), family, np.full(50, mu), alpha)
        b = outcomes.group_sizes(np.random.default_rng(seed), family, np.full(50, mu), alpha)
        assert a.dtype == np.int64 and a.min() >= 1
        np.testing.assert_array_equal(a, b)


@given(mu=st.lists(positive, min_size=2, max_size=10), alpha=positive)
def test_mean_group_size_rises_with_mu(mu, alpha):
    m = np.sort(np.array(mu))
    for family in outcomes.GROUP_SIZE_FAMILIES:
        mean = outcomes.mean_group_size(family, m, alpha)
        assert np.all(mean >= 1.0)
        assert np.all(np.diff(mean) >= -1e-9 * mean[1:])


@pytest.mark.parametrize("family", outcomes.GROUP_SIZE_FAMILIES)
@pytest.mark.parametrize(("mu", "alpha"), [(0.3, 0.5), (2.5, 0.4), (8.0, 3.0)])
def test_mean_group_size_matches_the_generator(family, mu, alpha):
    n = outcomes.group_sizes(np.random.default_rng(4), family, np.full(200_000, mu), alpha)
    se = n.std() / np.sqrt(n.size)
    assert abs(n.mean() - outcomes.mean_group_size(family, mu, alpha)) < 4 * se


def test_ztnb_matches_scipy():
    mu, alpha = 2.5, 0.4
    p = alpha / (alpha + mu)
    draws = outcomes.ztnb(np.random.default_rng(0), np.full(40_000, mu), np.full(40_000, alpha))
    assert draws.min() >= 1
    k = np.arange(1, 8)
    want = stats.nbinom.pmf(k, alpha, p) / (1 - stats.nbinom.pmf(0, alpha, p))
    got = np.array([(draws == i).mean() for i in k])
    assert np.all(np.abs(got - want) < 4 * np.sqrt(want * (1 - want) / draws.size))


def test_unknown_group_size_family_is_refused():
    with pytest.raises(ValueError, match="shifted, ztnb"):
        outcomes.group_sizes(np.random.default_rng(0), "poisson", 1.0, 1.0)


@given(mean=st.lists(st.floats(0.0, 1e4), min_size=1, max_size=20), alpha=positive, seed=seeds)
def test_negbin_counts_are_natural_numbers_by_seed(mean, alpha, seed):
    a = outcomes.negbin(np.random.default_rng(seed), mean, alpha)
    assert a.min() >= 0
    np.testing.assert_array_equal(a, outcomes.negbin(np.random.default_rng(seed), mean, alpha))


@given(p=st.lists(st.floats(0, 1), min_size=1, max_size=20), seed=seeds)
def test_chain_flags_follow_their_probability(p, seed):
    u = np.random.default_rng(seed).random(len(p))
    flags = outcomes.chain_flags(u, np.array(p))
    assert np.all(flags[np.array(p) == 1.0]) and not np.any(flags[np.array(p) == 0.0])
    # a larger probability never removes a chain the same uniform gave
    assert np.all(outcomes.chain_flags(u, np.minimum(np.array(p) + 0.1, 1.0)) >= flags)


@given(sigma=st.lists(st.floats(0, 3), min_size=1, max_size=5), n=st.integers(0, 30), seed=seeds)
def test_case_effects_have_one_per_case_and_draw(sigma, n, seed):
    u = outcomes.case_effects(np.random.default_rng(seed), np.array(sigma), n)
    assert u.shape == (len(sigma), n)
    assert np.all(u[np.array(sigma) == 0] == 0)
    np.testing.assert_array_equal(
        u, outcomes.case_effects(np.random.default_rng(seed), np.array(sigma), n)
    )


# --------------------------------------------------------------------------- disposition
@given(lp_ex=st.lists(logits, min_size=1, max_size=20), lp_fo=logits, ok=st.booleans())
def test_disposition_probabilities_are_a_distribution(lp_ex, lp_fo, ok):
    a = np.array(lp_ex)
    p_ex, p_fo = outcomes.disposition_probabilities(a, lp_fo, ok)
    assert np.all((p_ex >= 0) & (p_fo >= 0) & (p_ex + p_fo <= 1 + 1e-12))
    if not ok:
        assert np.all(p_fo == 0)
    order = np.argsort(a)  # P(exempt) rises with its own logit
    assert np.all(np.diff(p_ex[order]) >= -1e-15)


@given(p_ex=st.floats(0, 1), share=st.floats(0, 1), seed=seeds)
def test_disposition_flags_exclusive(p_ex, share, seed):
    p_fo = (1 - p_ex) * share
    u = np.random.default_rng(seed).random(200)
    exempt, fine_only = outcomes.disposition(u, p_ex, p_fo)
    assert not np.any(exempt & fine_only)
    assert np.array_equal(exempt, u < p_ex)


@given(term=st.lists(st.floats(0, 400), min_size=1, max_size=20), seed=seeds)
def test_sentence_type_codes_follow_the_term(term, seed):
    rng = np.random.default_rng(seed)
    ex = rng.random(len(term)) < 0.2
    fo = ~ex & (rng.random(len(term)) < 0.2)
    st_ = np.asarray(law.SENTENCE_TYPES)[outcomes.sentence_type_codes(ex, fo, np.array(term))]
    custodial = ~ex & ~fo
    assert np.all(st_[ex] == "exempt") and np.all(st_[fo] == "fine_only")
    short = custodial & (np.array(term) < law.FIXED_TERM_MONTHS[0])
    assert np.all(st_[short] == "detention") and np.all(st_[custodial & ~short] == "fixed_term")


# --------------------------------------------------------------------------- term
@given(
    article=st.lists(st.sampled_from(law.ARTICLES), min_size=1, max_size=10),
    n_charges=st.integers(1, 5),
    year=st.integers(2005, 2030),
)
def test_term_bounds_combined_sentences_reach_the_art69_cap(article, n_charges, year):
    lo, hi = outcomes.term_bounds(article, np.full(len(article), n_charges), year)
    lo1, hi1 = law.term_bounds(article)
    np.testing.assert_array_equal(lo, lo1)
    if n_charges == 1:
        np.testing.assert_array_equal(hi, hi1)
    else:
        assert np.all(hi == (300.0 if year >= 2011 else 240.0))
        assert np.all(hi >= hi1)


@given(
    eta=st.lists(st.floats(-5, 10), min_size=2, max_size=20),
    sigma=st.floats(0.01, 3),
    article=st.sampled_from(law.ARTICLES),
    seed=seeds,
)
def test_terms_stay_within_bounds_and_rise_with_eta(eta, sigma, article, seed):
    e = np.sort(np.array(eta))
    lo, hi = law.term_bounds([article] * len(e))
    noise = np.full(len(e), np.random.default_rng(seed).normal())
    t, cens = outcomes.term(noise, e, sigma, lo, hi)
    assert np.all((t >= lo) & (t <= hi))
    assert np.all(np.diff(t) >= 0)
    assert np.all(t[cens == 1] == hi[cens == 1]) and np.all(t[cens == -1] == lo[cens == -1])


def test_censored_lognormal_mean_matches_monte_carlo():
    z = np.random.default_rng(0).normal(3.5, 0.8, 2_000_000)
    x = np.clip(np.exp(z), 1.0, 36.0)
    exact = outcomes.censored_lognormal_mean(3.5, 0.8, 1.0, 36.0)
    assert abs(float(exact) - x.mean()) < 4 * x.std() / np.sqrt(z.size)


# --------------------------------------------------------------------------- probation, fine
@given(logit=st.lists(logits, min_size=2, max_size=20), seed=seeds)
def test_probation_only_for_the_eligible_and_monotone(logit, seed):
    lg = np.sort(np.array(logit))
    rng = np.random.default_rng(seed)
    u = np.full(len(lg), rng.random())
    eligible = rng.random(len(lg)) < 0.7
    flags = outcomes.probation(u, lg, eligible)
    assert not np.any(flags[~eligible])
    everyone = outcomes.probation(u, lg, True)
    assert np.all(np.diff(everyone.astype(int)) >= 0)  # same uniform: a higher logit never loses


@given(term=st.lists(st.floats(0, 400), min_size=1, max_size=20))
def test_log_term_covariate_is_zero_without_a_term(term):
    t = np.array(term)
    x = outcomes.log_term_covariate(t)
    assert np.all(x[t == 0] == 0)
    np.testing.assert_allclose(x[t > 0], np.log(t[t > 0] / outcomes.REF_TERM_MONTHS))


@given(eta=st.lists(st.floats(-5, 20), min_size=2, max_size=20), sigma=positive, seed=seeds)
def test_fines_at_least_the_minimum_and_rise_with_eta(eta, sigma, seed):
    e = np.sort(np.array(eta))
    z = np.full(len(e), np.random.default_rng(seed).normal())
    floor = law.fine_minimum(np.zeros(len(e), bool))
    f = outcomes.fine_amount(z, e, min(sigma, 3.0), floor)
    assert np.all(f >= floor) and np.all(np.diff(f) >= 0)


def test_censored_below_lognormal_mean_matches_monte_carlo():
    z = np.random.default_rng(1).normal(7.0, 1.2, 2_000_000)
    x = np.maximum(np.exp(z), 1000.0)
    exact = outcomes.censored_below_lognormal_mean(7.0, 1.2, 1000.0)
    assert abs(float(exact) - x.mean()) < 4 * x.std() / np.sqrt(z.size)


# --------------------------------------------------------------------------- agreement
#: replicates per population; a statistic is checked against them at |z| < 5 (a normal tail
#: of 6e-7 per check)
REPLICATES = 200
Z_MAX = 5.0
#: populations per agreement test (each is simulated and replicated REPLICATES times)
AGREEMENT_EXAMPLES = 20


def _truth_draws(truth, prefixes: tuple[str, ...]) -> Draws:
    names = [str(k) for k in truth.data_vars if str(k).startswith(prefixes)]
    vals = {k: np.repeat(np.asarray(truth[k].values)[None], REPLICATES, axis=0) for k in names}
    coords = {str(d): list(truth[d].values) for k in names for d in truth[k].dims}
    for k in names:  # a walk the scenario writes out year by year has no scale: no steps
        if k.endswith("_year_effect") and k.replace("_year_effect", "_sigma_year") not in vals:
            vals[k.replace("_year_effect", "_sigma_year")] = np.zeros(REPLICATES)
    return Draws(vals, coords)


def _replicates(model, pop, prefixes, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # traits that do not vary are left out
        rows = model.prepare(pop.offenders)
        d = model.make_design(rows)
    rep = model.simulate_outcomes(_truth_draws(pop.truth, prefixes), d, np.random.default_rng(seed))
    return rows, rep


def _agrees(observed: float, replicated: np.ndarray) -> bool:
    """Whether a statistic of the simulated population lies within the spread of the same
    statistic over the replicates: ``|z| < Z_MAX``."""
    sd = float(replicated.std())
    return sd > 0 and abs(observed - float(replicated.mean())) < Z_MAX * sd


def _count_agrees(observed: int, replicated: np.ndarray) -> bool:
    """Whether a count of the population (rows at a bound, say) agrees with its replicates.
    A rare count (replicate mean under 20) is checked against a Poisson law whose mean is
    bracketed from the replicates by the rule of three (``(total ± 3) / replicates``): both
    tails at 1e-6; a common one by ``|z| < Z_MAX``."""
    total, r = float(replicated.sum()), len(replicated)
    if total / r >= 20:
        return _agrees(observed, replicated)
    upper = stats.poisson.sf(observed - 1, (total + 3) / r)  # P(X >= observed)
    lower = stats.poisson.cdf(observed, max(total - 3, 0) / r)  # P(X <= observed)
    return bool(upper > 1e-6 and lower > 1e-6)


agreement_scenarios = st.builds(
    lambda sigma, case, chg, scale: Scenario.default().replace(
        volume={"scale": scale},
        sentence={"sigma": sigma, "sigma_case": case},
        fine={"sigma_case": case},
        probation={"sigma_case": 2 * case},
        disposition={"sigma_case": 2 * case},
        roles={"several_charges": chg},
    ),
    sigma=st.floats(0.2, 1.2),
    case=st.floats(0.0, 1.0),
    chg=st.floats(0.05, 0.5),
    scale=st.floats(1.0, 2.0),
)


@settings(max_examples=AGREEMENT_EXAMPLES)
@given(sc=agreement_scenarios, seed=st.integers(0, 10_000))
def test_simulated_terms_agree_with_the_models_replicates(sc, seed):
    """The simulator's terms and the sentence model's replicates with the truth as parameters:
    every term within the model's bounds (a combined sentence may reach the art. 69 cap), and
    the mean log term and the shares at either bound, overall and among combined sentences,
    within Monte Carlo error."""
    pop = simulate(sc, seed)
    rows, rep = _replicates(SentenceModel(), pop, ("term_",), seed)
    y, r = rows["term_months"].to_numpy(), rep["term_months"]
    lo, hi = outcomes.table_term_bounds(rows)
    assert np.all((y >= lo) & (y <= hi * (1 + 1e-12)))
    assert np.all((r >= lo) & (r <= hi))
    several = rows["n_charges"].to_numpy() >= 2
    art_hi = law.term_bounds(rows["article"].astype(str).to_numpy())[1]
    assert _agrees(np.log(y).mean(), np.log(r).mean(-1))
    counts = {
        "at the maximum": lambda t: (t >= hi * (1 - 1e-9)).sum(-1),
        "at the minimum": lambda t: (t <= lo * (1 + 1e-9)).sum(-1),
        "combined, above the article maximum": lambda t: (
            t[..., several] > art_hi[several] * (1 + 1e-9)
        ).sum(-1),
    }
    for name, count in counts.items():
        assert _count_agrees(int(count(y)), count(r)), name


@settings(max_examples=AGREEMENT_EXAMPLES)
@given(sc=agreement_scenarios, seed=st.integers(0, 10_000))
def test_simulated_fines_probation_and_dispositions_agree_with_replicates(sc, seed):
    pop = simulate(sc, seed)
    rows, rep = _replicates(FineModel(), pop, ("fine_amount_",), seed)
    y, r = rows["fine_yuan"].to_numpy(), rep["fine_yuan"]
    floor = law.fine_minimum(rows["juvenile"].to_numpy(bool))
    assert np.all(y >= floor * (1 - 1e-12)) and np.all(r >= floor)
    assert _agrees(np.log(y).mean(), np.log(r).mean(-1))
    assert _count_agrees(int((y <= floor).sum()), (r <= floor).sum(-1))

    rows, rep = _replicates(ProbationModel(), pop, ("prob_",), seed)
    y, r = rows["probation"].to_numpy(float), rep["probation"]
    long = rows["term_months"].to_numpy() >= 12
    assert _count_agrees(int(y.sum()), r.sum(-1))
    assert _count_agrees(int(y[long].sum()), r[:, long].sum(-1))

    rows, rep = _replicates(DispositionModel(), pop, ("disp_",), seed)
    st_ = rows["sentence_type"].astype(str).to_numpy()
    for cat in ("exempt", "fine_only"):
        assert _count_agrees(int((st_ == cat).sum()), rep[cat].sum(-1)), cat


@settings(max_examples=AGREEMENT_EXAMPLES)
@given(sc=agreement_scenarios, seed=st.integers(0, 10_000))
def test_simulated_group_sizes_agree_with_replicates(sc, seed):
    for family in outcomes.GROUP_SIZE_FAMILIES:
        pop = simulate(sc.replace(group_size={"family": family}), seed)
        rows, rep = _replicates(GroupSizeModel(effects={"family": family}), pop, ("size_",), seed)
        y, r = rows["n_defendants"].to_numpy(float), rep["n_defendants"]
        assert y.min() >= 1 and r.min() >= 1
        assert _agrees(y.mean(), r.mean(-1)), family
        assert _count_agrees(int((y >= 3).sum()), (r >= 3).sum(-1)), family
