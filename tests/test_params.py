"""The one parameterisation: prior draw -> Scenario -> population whose truth is the draw, and
Scenario -> truth -> Scenario as the identity on the outcome parameters (hypothesis)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from pymc_extras.prior import Prior

from ccmodels import params
from ccmodels.draws import scenario_draws, scenario_from_draw
from ccmodels.models import (
    CaseVolumeModel,
    FineModel,
    GroupSizeModel,
    ProbationModel,
    SentenceModel,
    ValueChainModel,
)
from ccmodels.simulate import Scenario, simulate

N_PRIOR = 60
CASES = {
    "sentence": (SentenceModel, {}),
    "sentence_t_drift": (SentenceModel, {"likelihood": "student_t", "year_drift": True}),
    "probation": (ProbationModel, {}),
    "fine": (FineModel, {"year_drift": True}),
    # growth models, with priors that keep the simulated populations small (the mapping,
    # not the prior, is under test)
    "group_size": (GroupSizeModel, {}),
    "group_size_ztnb_drift": (GroupSizeModel, {"family": "ztnb", "year_drift": True}),
    "group_size_damped": (GroupSizeModel, {"year_drift": True, "year_damping": True}),
    "case_volume": (CaseVolumeModel, {}),
    "case_volume_breaks": (
        CaseVolumeModel,
        {"breaks": ["2015-11-01", {"date": "2013-07-01", "shift": "drift"}]},
    ),
    "case_volume_damped": (CaseVolumeModel, {"year_damping": True}),
    "value_chain": (ValueChainModel, {"year_drift": True}),
    "value_chain_damped": (ValueChainModel, {"year_drift": True, "year_damping": True}),
    "value_chain_corr": (ValueChainModel, {"walk_correlation": True}),
    "group_size_local": (GroupSizeModel, {"year_drift": True, "year_local_trend": True}),
    "case_volume_local": (CaseVolumeModel, {"year_local_trend": True}),
    "value_chain_local": (ValueChainModel, {"year_drift": True, "year_local_trend": True}),
}
SMALL = {
    "intercept": Prior("Normal", mu=-1.5, sigma=0.5),
    "sigma_year": Prior("HalfNormal", sigma=0.2),
    "year_drift": Prior("Normal", mu=0.0, sigma=0.1),
    "sigma_chain": Prior("HalfNormal", sigma=0.2),
}
PRIORS = {
    "group_size": SMALL,
    "group_size_ztnb_drift": SMALL,
    "group_size_damped": SMALL,
    "case_volume": SMALL | {"intercept": Prior("Normal", mu=3.0, sigma=0.5)},
    "case_volume_damped": SMALL | {"intercept": Prior("Normal", mu=3.0, sigma=0.5)},
    "group_size_local": SMALL | {"sigma_drift": Prior("HalfNormal", sigma=0.05)},
    "case_volume_local": SMALL
    | {
        "intercept": Prior("Normal", mu=3.0, sigma=0.5),
        "sigma_drift": Prior("HalfNormal", sigma=0.05),
    },
    "case_volume_breaks": SMALL
    | {"intercept": Prior("Normal", mu=3.0, sigma=0.5), "break": Prior("Normal", sigma=0.2)},
}


@pytest.fixture(scope="module")
def base():
    return Scenario.default()


@pytest.fixture(scope="module")
def priors(base):
    pop = simulate(base, 3)
    out = {}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*do not vary in the.*")
        for key, (cls, effects) in CASES.items():
            m = cls(priors=PRIORS.get(key), effects=effects)
            out[key] = (m, m.prior(pop.offenders, draws=N_PRIOR, seed=11))
    return out


def _declared(m, prior):
    return params.model_parameters(m.model_type, params.coords_of(prior), m.options())


@pytest.mark.parametrize("key", list(CASES))
def test_graph_creates_exactly_the_declared_parameters(priors, key):
    m, prior = priors[key]
    declared = {p.name: p.dims for p in _declared(m, prior)}
    made = {
        str(v): tuple(d for d in prior[v].dims if d not in ("chain", "draw"))
        for v in prior.data_vars
        if not str(v).endswith(params.AUXILIARY) and "sparse_z" not in str(v)
    }
    assert made == declared


@pytest.mark.parametrize("key", list(CASES))
@given(i=st.integers(0, N_PRIOR - 1), seed=st.integers(0, 2**20))
def test_prior_draw_to_scenario_to_truth_is_the_draw(priors, base, key, i, seed):
    m, prior = priors[key]
    names = [p.name for p in _declared(m, prior)]
    draw = prior[names].isel(chain=0, draw=i, drop=True)
    sc = scenario_from_draw(draw, base)
    pop = simulate(sc, seed)
    truth = params.on_coords(pop.truth, params.coords_of(prior))
    for name in names:
        np.testing.assert_allclose(truth[name].values, draw[name].values, atol=1e-9, err_msg=name)


OUTCOME = ("term", "prob", "fine_amount")


@given(
    slope=st.floats(-0.3, 0.3),
    shift=st.floats(-1.0, 1.0),
    art=st.floats(-0.5, 0.5),
    seed=st.integers(0, 2**20),
)
def test_scenario_to_truth_to_scenario_is_identity(base, slope, shift, art, seed):
    sc = base.replace(
        sentence={"year_slope": slope, "intercept": base.sentence.intercept + shift},
        probation={"article": {"286": art}},
        fine={"amount": {"year_dev": [0.0, art, 0.0, -art, 0.1]}},
    )
    pop = simulate(sc, seed)
    keep = [v for v in pop.truth.data_vars if str(v).startswith(OUTCOME) or v == "term_nu"]
    back = scenario_from_draw(pop.truth[keep], sc)
    pop2 = simulate(back, seed)
    xr.testing.assert_allclose(pop2.truth[keep], pop.truth[keep], atol=1e-12)
    for col in ("term_months", "probation", "probation_months", "fine_yuan", "sentence_type"):
        a, b = pop.offenders[col], pop2.offenders[col]
        if a.dtype.kind == "f":
            np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), rtol=1e-9, err_msg=col)
        else:
            assert (a.astype(str) == b.astype(str)).all(), col


def test_linear_predictor_as_matrix_equals_the_predictor(priors):
    _m, prior = priors["sentence"]
    pop = simulate(Scenario.default(), 5)
    coords = params.coords_of(prior)
    x = params.linear_data(pop.offenders, coords)
    st_ = prior.isel(chain=0).transpose("draw", ...)
    values = {str(k): np.asarray(v.values) for k, v in st_.data_vars.items()}
    eta = params.linear(values, "term", x)
    theta = np.concatenate(
        [values[n].reshape(N_PRIOR, -1) for n in params.stack_names("term", x)], axis=1
    )
    np.testing.assert_allclose(theta @ x.matrix(coords).T, eta, atol=1e-10)


@given(
    n=st.integers(1, 60),
    levels=st.integers(1, 4),
    extra_levels=st.integers(1, 3),
    seed=st.integers(0, 2**20),
)
def test_distinct_rows_reproduce_every_row(n, levels, extra_levels, seed):
    rng = np.random.default_rng(seed)
    x = params.LinearData(
        n,
        year_idx=rng.integers(0, levels, n),
        chains=rng.integers(0, 2, (n, 2)).astype(float),
        art_idx=rng.integers(0, levels, n),
        traits=rng.integers(0, 2, (n, 3)).astype(float),
    )
    extra = rng.integers(0, extra_levels, n).astype(float)
    first, inv = x.distinct(extra)
    coords = {"year": range(levels), "article": range(levels)}
    full = np.hstack([x.matrix(coords), extra[:, None]])
    np.testing.assert_array_equal(full[first][inv], full)
    # one representative per distinct row: no two representatives are equal
    assert len(np.unique(full[first], axis=0)) == len(first)


def test_year_walk_continues_with_drift_out_of_sample():
    rng = np.random.default_rng(0)
    s = 4000
    v = {
        "p_year_effect": np.zeros((s, 3)),
        "p_sigma_year": np.full(s, 0.1),
        "p_year_drift": np.full(s, 0.5),
    }
    out = params.extend(
        v, "p", {"year": [2012, 2013, 2014]}, {"year": list(range(2010, 2018))}, rng
    )
    eff = out["p_year_effect"]
    assert eff.shape == (s, 8)
    np.testing.assert_allclose(eff[:, 2:5], 0.0)
    # forward: mean drift * k, sd sigma * sqrt(k); backward likewise with the sign flipped
    for k, col in ((1, 5), (3, 7), (-2, 0)):
        se = 0.1 * np.sqrt(abs(k)) / np.sqrt(s)
        assert abs(eff[:, col].mean() - 0.5 * k) < 4 * se
        assert abs(eff[:, col].std() - 0.1 * np.sqrt(abs(k))) < 0.01


@given(
    drift=st.floats(-0.5, 0.5),
    phi=st.floats(0.05, 1.0),
    n_old=st.integers(2, 8),
    ahead=st.integers(1, 6),
)
def test_a_damped_walk_continues_the_same_way_in_params_and_in_a_scenario(drift, phi, n_old, ahead):
    """With no noise, the step into the ``j``-th new year is ``drift * phi**(n_old - 2 + j)``,
    whether the walk is continued from draws (params.extend) or by a Scenario's predictor."""
    from ccmodels.simulate import Predictor

    old = list(range(2012, 2012 + n_old))
    new = list(range(2012, 2012 + n_old + ahead))
    eff = np.linspace(0.0, 1.0, n_old)
    v = {
        "p_year_effect": eff[None, :],
        "p_sigma_year": np.zeros(1),
        "p_year_drift": np.full(1, drift),
        "p_year_damping": np.full(1, phi),
    }
    got = params.extend(v, "p", {"year": old}, {"year": new}, np.random.default_rng(0))
    want = eff[-1] + np.cumsum(drift * phi ** (n_old - 2 + np.arange(1, ahead + 1)))
    np.testing.assert_allclose(got["p_year_effect"][0, n_old:], want, rtol=1e-12, atol=1e-12)
    pred = Predictor(
        intercept=0.0,
        year_effect=dict(zip(old, eff.tolist(), strict=True)),
        year_drift=drift,
        year_damping=phi,
        sigma_year=0.0,
    )
    np.testing.assert_allclose(
        pred.year_vector(np.array(new))[n_old:], want, rtol=1e-12, atol=1e-12
    )


@given(
    last=st.floats(-0.5, 0.5),
    sd=st.floats(0.0, 0.3),
    n_old=st.integers(2, 8),
    ahead=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_a_local_trend_walks_on_from_the_last_fitted_drift(last, sd, n_old, ahead, seed):
    """A local linear trend continues from the drift of the last fitted step (not the first
    drift): with no level noise, the ``j``-th new year adds ``last + sd * (u_1 + ... + u_j)``
    in a Scenario's predictor (its drift path from a draw, innovations ``u`` given); and
    params.extend draws the same law (below, its variance)."""
    from ccmodels.simulate import Predictor

    old = list(range(2012, 2012 + n_old))
    new = list(range(2012, 2012 + n_old + ahead))
    eff = np.linspace(0.0, 1.0, n_old)
    path = np.append(np.linspace(0.9, 0.2, n_old - 2), last)  # each fitted step's drift
    u = np.random.default_rng(seed).normal(0, 1, len(new))
    pred = Predictor(
        intercept=0.0,
        year_effect=dict(zip(old, eff.tolist(), strict=True)),
        year_drift=-3.0,  # the first drift: not used past a drift path
        sigma_drift=sd,
        drift_path=dict(zip(old[1:], path.tolist(), strict=True)),
        sigma_year=0.0,
    )
    drift = last + sd * np.cumsum(u[n_old:])
    np.testing.assert_allclose(
        pred.year_vector(np.array(new), None, u)[n_old:],
        eff[-1] + np.cumsum(drift),
        rtol=1e-12,
        atol=1e-12,
    )
    np.testing.assert_allclose(pred.drift_vector(np.array(new), u)[1:n_old], path, atol=1e-15)
    v = {
        "p_year_effect": eff[None, :],
        "p_sigma_year": np.zeros(1),
        "p_year_drift": np.full(1, -3.0),
        "p_sigma_drift": np.full(1, 0.0),
        "p_year_slope": path[None, :],
    }
    got = params.extend(v, "p", {"year": old}, {"year": new}, np.random.default_rng(0))
    want = eff[-1] + last * np.arange(1, ahead + 1)
    np.testing.assert_allclose(got["p_year_effect"][0, n_old:], want, rtol=1e-12, atol=1e-12)


def test_extend_draws_the_local_trend_s_spread():
    """params.extend with a walking drift (scale s, no level noise): the effect ``h`` years on
    has variance ``s**2 * (1 + 4 + ... + h**2)``; 20,000 draws, 5 Monte Carlo sd."""
    n, s, ahead = 20_000, 0.1, 5
    v = {
        "p_year_effect": np.zeros((n, 3)),
        "p_sigma_year": np.zeros(n),
        "p_year_drift": np.zeros(n),
        "p_sigma_drift": np.full(n, s),
        "p_year_slope": np.zeros((n, 2)),
    }
    got = params.extend(
        v, "p", {"year": [1, 2, 3]}, {"year": list(range(1, 4 + ahead))}, np.random.default_rng(1)
    )["p_year_effect"][:, 3:]
    want = s**2 * np.cumsum(np.arange(1, ahead + 1) ** 2)
    assert (np.abs(got.mean(0)) < 5 * np.sqrt(want / n)).all(), got.mean(0)
    np.testing.assert_allclose(got.var(0), want, rtol=5 * np.sqrt(2 / n))


@settings(max_examples=20, deadline=None)
@given(sd=st.floats(0.01, 0.5), seed=st.integers(0, 2**20))
def test_the_simulated_drift_walk_is_linear_in_its_scale(base, sd, seed):
    """The simulator's local trend (the case volume's walk): for the same seed the log rate's
    departure from the constant-drift walk is ``sigma_drift`` times one fixed path, the chain
    walks are untouched, and the truth carries the realised drift path (with no level noise,
    each year's step)."""
    from ccmodels.simulate.latent import streams, yearly_latent

    sc = base.replace(years=(2012, 2020))
    data = sc.model_dump()
    lr = data["volume"]["log_rate"] or {
        "intercept": 4.0,
        "year_effect": {2012: 0.0},
        "sigma_year": 0.1,
        "year_drift": 0.2,
    }

    def run(scale):
        d = sc.model_dump()
        d["volume"]["log_rate"] = dict(lr) | {"sigma_drift": scale, "sigma_year": 0.0}
        d["volume"] |= {"log_rate_start": None, "drift": 0.0, "sd": 0.0}
        return yearly_latent(Scenario.from_dict(d), streams(seed), ("case_volume",))

    flat, one, k = run(0.0), run(1.0), run(sd)
    np.testing.assert_allclose(
        k.log_rate - flat.log_rate, sd * (one.log_rate - flat.log_rate), rtol=1e-9, atol=1e-9
    )
    np.testing.assert_array_equal(k.chain_p, flat.chain_p)
    # no level noise: each year's step is its drift
    slope = k.truth["volume_year_slope"].values
    steps = np.diff(k.latent["year_effect/volume.log_rate"])
    np.testing.assert_allclose(steps, slope, atol=1e-9)
    assert np.ptp(slope) > 0


def test_the_damped_walk_keeps_the_drift_prior():
    """The reparameterised damped walk (mean step free) leaves the drift's prior as declared:
    2,000 prior draws of the drift have the prior's mean and sd within Monte Carlo error, and
    the damping factor its Beta(6, 2) mean."""
    m = CaseVolumeModel(effects={"year_damping": True})
    prior = m.prior(simulate(Scenario.default(), 3).offenders, draws=2000, seed=3)
    d = prior["volume_year_drift"].values.ravel()
    sd = 0.5  # the default drift prior Normal(0, 0.5)
    assert abs(d.mean()) < 4 * sd / np.sqrt(d.size)
    assert abs(d.std() - sd) < 4 * sd / np.sqrt(2 * d.size)
    phi = prior["volume_year_damping"].values.ravel()
    assert abs(phi.mean() - 0.75) < 4 * np.sqrt(0.75 * 0.25 / 9) / np.sqrt(phi.size)


def test_the_local_trend_keeps_its_priors():
    """The reparameterised local trend (mean step free) leaves the declared priors: 2,000
    prior draws of the first drift have the Normal(0, 0.5) mean and sd, sigma_drift the
    HalfNormal(0.1) mean, and the drift of step k has variance 0.5**2 + (k + 1) * E[s**2]
    (Monte Carlo error, 4 sd)."""
    m = CaseVolumeModel(effects={"year_local_trend": True})
    prior = m.prior(simulate(Scenario.default(), 3).offenders, draws=2000, seed=5)
    d = prior["volume_year_drift"].values.ravel()
    n = d.size
    assert abs(d.mean()) < 4 * 0.5 / np.sqrt(n)
    assert abs(d.std() - 0.5) < 4 * 0.5 / np.sqrt(2 * n)
    s = prior["volume_sigma_drift"].values.ravel()
    assert abs(s.mean() - 0.1 * np.sqrt(2 / np.pi)) < 4 * s.std() / np.sqrt(n)
    slope = prior["volume_year_slope"].values.reshape(n, -1)
    k = np.arange(slope.shape[1])
    want = 0.25 + (k + 1) * 0.01
    se = ((slope - slope.mean(0)) ** 2).std(0) / np.sqrt(n)  # of each sample variance
    assert (np.abs(slope.var(0) - want) < 4 * se).all(), (slope.var(0), want)


def test_a_local_trend_needs_the_drift_and_no_other_trend_family():
    with pytest.raises(Exception, match="turn 'year_drift' on"):
        CaseVolumeModel(effects={"year_local_trend": True, "year_drift": False})
    with pytest.raises(Exception, match="two trend families"):
        CaseVolumeModel(effects={"year_local_trend": True, "year_damping": True})
    with pytest.raises(Exception, match="must be true or false"):
        CaseVolumeModel(effects={"year_local_trend": 1})
    with pytest.raises(Exception, match="for the growth models"):
        FineModel(effects={"year_local_trend": True, "year_drift": True})
    with pytest.raises(Exception, match="'walk_correlation' and 'year_local_trend' cannot"):
        ValueChainModel(
            effects={"year_local_trend": True, "year_drift": True, "walk_correlation": True}
        )


def test_damping_needs_the_drift():
    with pytest.raises(Exception, match="turn 'year_drift' on"):
        CaseVolumeModel(effects={"year_damping": True, "year_drift": False})
    with pytest.raises(Exception, match="must be true or false"):
        CaseVolumeModel(effects={"year_damping": "yes"})
    with pytest.raises(Exception, match="for the growth models"):
        SentenceModel(effects={"year_damping": True, "year_drift": True})
    with pytest.raises(Exception, match="'walk_correlation' and 'year_damping' cannot"):
        ValueChainModel(
            effects={"year_damping": True, "year_drift": True, "walk_correlation": True}
        )


def test_a_fitted_walk_without_drift_does_not_take_the_base_drift(base):
    """The base scenario's case volume grows with a drift (0.318 a year); a draw of a walk
    without drift (or without damping) continues without it, and a draw with them keeps its
    own."""
    years = [2012, 2013, 2014]
    draw = xr.Dataset(
        {
            "volume_intercept": 4.0,
            "volume_year_effect": ("year", [-0.1, 0.0, 0.1]),
            "volume_sigma_year": 0.1,
            "volume_dispersion": 30.0,
        },
        coords={"year": years},
    )
    assert base.predictor("volume.log_rate").year_drift > 0.3
    sc = scenario_from_draw(draw, base.replace(years=(2012, 2020)))
    pred = sc.predictor("volume.log_rate")
    assert pred.year_drift == 0.0 and pred.year_damping == 1.0
    damped = draw.assign(volume_year_drift=0.2, volume_year_damping=0.7)
    pred = scenario_from_draw(damped, base.replace(years=(2012, 2020))).predictor("volume.log_rate")
    assert (pred.year_drift, pred.year_damping) == (0.2, 0.7)


def test_scenario_draws_from_a_prior_group(priors, base):
    _m, prior = priors["probation"]
    tree = xr.DataTree.from_dict({"prior": prior})
    scs = scenario_draws(tree, 3, seed=1, base=base, group="prior")
    assert len(scs) == 3
    assert len({s.probation.intercept for s in scs}) == 3
    again = scenario_draws(tree, 3, seed=1, base=base, group="prior")
    assert [s.probation.intercept for s in again] == [s.probation.intercept for s in scs]
    with pytest.raises(ValueError, match="no 'posterior' group"):
        scenario_draws(tree, 3, seed=1, base=base)


@given(
    n_known=st.integers(1, 6),
    before=st.integers(0, 5),
    after=st.integers(0, 5),
    sigma=st.floats(0.0, 0.5),
    drift=st.floats(-0.3, 0.3),
    seed=st.integers(0, 2**16),
)
def test_the_simulators_year_walk_goes_one_step_at_a_time_both_ways(
    n_known, before, after, sigma, drift, seed
):
    """``Predictor.year_vector`` (through ``params.walk_on``, the walk the predictions use):
    the known years keep their effects, each later year is the year before plus its step, each
    earlier year the year after minus its own step (step = drift + sigma * z), exactly."""
    from ccmodels.simulate import Predictor

    rng = np.random.default_rng(seed)
    known = list(range(2012, 2012 + n_known))
    eff = rng.normal(0, 1, n_known)
    years = np.arange(2012 - before, 2012 + n_known + after)
    z = rng.normal(0, 1, years.size)
    pred = Predictor(
        intercept=0.0,
        year_effect=dict(zip(known, eff.tolist(), strict=True)),
        year_drift=drift,
        sigma_year=sigma,
    )
    got = pred.year_vector(years, z)
    step = drift + sigma * z
    assert np.array_equal(got[before : before + n_known], eff)
    for i in range(before + n_known, years.size):
        assert got[i] == got[i - 1] + step[i]
    for i in range(before - 1, -1, -1):
        assert got[i] == got[i + 1] - step[i]
