"""The model core serves any unit: a tiny case-level model (defendants per case) and a tiny
year-level model (cases per year, year walk with drift) fit, save, load and predict; and the
state bugs a call must not leave behind."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr
from pymc_extras.prior import Prior

from ccmodels import params
from ccmodels.models import (
    FineModel,
    ModelConfigError,
    ProbationModel,
    SentenceModel,
    ValueChainModel,
    blocks,
)
from ccmodels.models.base import Draws, Model
from ccmodels.models.design import Design, case_rows, centring, partial_weights, year_rows
from ccmodels.simulate import Scenario, simulate
from ccmodels.util import expected_warnings

FAST = {"draws": 100, "tune": 150, "chains": 2, "progress": False}

params.register(params.ModelParams("defendant_count", (params.LinearSpec("count", "group_size"),)))
params.register(params.ModelParams("case_count", (params.LinearSpec("cases", "volume"),)))


class DefendantCount(Model):
    """Co-defendants per case ~ Poisson(exp(eta)): a case-level model in a few lines."""

    model_type = "defendant_count"
    description = "cases"
    unit = "case"

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        return blocks.linear_priors(Prior("Normal", mu=-1.0, sigma=1.0), sigma_year=0.5, drift=0.5)

    @classmethod
    def default_effects(cls) -> dict[str, Any]:
        return super().default_effects() | {"article": False, "traits": []}

    def _add_likelihood(self, d: Design) -> None:
        eta = self.predictor("count", d)
        y = d.rows["n_defendants"].to_numpy() - 1
        pm.Poisson("count_obs", mu=pm.math.exp(eta), observed=y, dims="row")

    def simulate_outcomes(self, draws: Draws, d: Design, rng: np.random.Generator):
        mu = np.exp(self.eta("count", draws, d, rng))
        return {"n_defendants": 1 + rng.poisson(mu)}

    def predict(self, new_data: pd.DataFrame, kind: str = "mean", seed: int = 0) -> xr.DataArray:
        d = self.new_design(new_data)
        rng = np.random.default_rng(seed)
        mean = 1 + np.exp(self.eta("count", self.draws(), d, rng))
        return self._as_draws(mean if kind == "mean" else 1 + rng.poisson(mean - 1), "n")


class CaseCount(DefendantCount):
    """Cases per year ~ Poisson(exp(eta)) on a year walk with drift: a year-level model."""

    model_type = "case_count"
    unit = "year"
    sampler_defaults: ClassVar[dict[str, Any]] = {"target_accept": 0.95}

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        return super().default_priors() | {"intercept": Prior("Normal", mu=4.0, sigma=2.0)}

    @classmethod
    def default_effects(cls) -> dict[str, Any]:
        return super().default_effects() | {"chain": False, "year_drift": True}

    def _add_likelihood(self, d: Design) -> None:
        eta = self.predictor("cases", d)
        pm.Poisson("cases_obs", mu=pm.math.exp(eta), observed=d.rows["cases"], dims="row")

    def simulate_outcomes(self, draws: Draws, d: Design, rng: np.random.Generator):
        return {"cases": rng.poisson(np.exp(self.eta("cases", draws, d, rng)))}

    def predict(self, new_data: pd.DataFrame, kind: str = "mean", seed: int = 0) -> xr.DataArray:
        d = self.new_design(new_data)
        return self._as_draws(
            np.exp(self.eta("cases", self.draws(), d, np.random.default_rng(seed))), "cases"
        )


@pytest.fixture(scope="module")
def fitted_case(population):
    m = DefendantCount()
    m.fit(population.offenders, seed=3, **FAST)
    return m


def test_case_level_model_fits_saves_loads_predicts(fitted_case, population, tmp_path):
    m = fitted_case
    cases = case_rows(population.offenders)
    assert len(m.design.rows) == len(cases)
    assert {"count_intercept", "count_year_effect", "count_chain"} <= set(
        m.idata["posterior"].data_vars
    )
    pred = m.predict(cases.head(20), seed=1)
    assert pred.shape == (2, 100, 20) and float(pred.min()) >= 1
    # the fitted mean group size is close to the observed one (about 1.3 here)
    assert abs(float(m.predict(cases).mean()) - cases["n_defendants"].mean()) < 0.15
    path = m.save(tmp_path / "count.nc")
    again = DefendantCount.load(path)
    xr.testing.assert_allclose(again.predict(cases.head(20), seed=1), pred)
    # a new year beyond the fitted ones follows the walk
    future = cases.head(5).assign(year=2019)
    assert np.isfinite(again.predict(future, seed=2).values).all()
    assert "prior" in again.idata.children and "posterior_predictive" in again.idata.children


def test_year_level_model_with_drift(population):
    yearly = year_rows(population.offenders)[["year", "cases"]]
    m = CaseCount()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        m.fit(yearly, seed=4, **FAST)
    assert "cases_year_drift" in m.idata["posterior"]
    drift = float(m.idata["posterior"]["cases_year_drift"].mean())
    assert 0.1 < drift < 0.6, drift  # cases rise about 37% a year in cai2017
    future = pd.DataFrame({"year": [2017, 2018], "cases": [0, 0]})
    pred = m.predict(future)
    assert float(pred.isel(row=1).median()) > float(pred.isel(row=0).median())


def test_fit_overrides_do_not_stick(population):
    m = ProbationModel()
    defaults = dict(m.sampler)
    m.fit(population.offenders, seed=1, **FAST)
    assert m.sampler == defaults
    assert m.idata["posterior"].sizes["draw"] == 100


def test_prior_predictive_keeps_the_fitted_design(fitted, population):
    m = fitted["sentence"]
    before = m.design
    small = population.offenders[population.offenders["year"] <= 2014]
    out = m.sample_prior_predictive(small, draws=20, seed=0)
    assert m.design is before
    assert out.sizes["row"] < len(before.rows)


def test_fine_model_priors_unchanged_by_build(population):
    m = FineModel()
    before = {k: v.to_dict() for k, v in m.priors.items()}
    m.build(population.offenders)
    assert {k: v.to_dict() for k, v in m.priors.items()} == before
    free = {v.name for v in m.model.free_RVs}
    assert "fine_amount_intercept" in free
    assert not any(n.startswith("fine_any") for n in free)  # the law leaves no choice


def test_auto_centring_uses_the_models_row_threshold(population):
    """The sentence model centres its chain effects from 300 terms per chain, the others
    from 50: at the study's size its chains are non-centred, at 9x centred."""
    m = SentenceModel()
    with expected_warnings():
        m.build(population.offenders)
    assert m.design is not None
    counts = m.design.x.chains.sum(axis=0)
    assert 50 <= counts.min() < 300
    assert "term_chain_z" in {v.name for v in m.model.free_RVs}
    scales = m.outcome_scales(m.design, m.priors)
    assert centring(m.design, m.effects, None, scales).chain  # the default threshold would
    with expected_warnings():
        m.build(simulate(Scenario.default().scaled(9.0), 3).offenders)
    assert "term_chain" in {v.name for v in m.model.free_RVs}


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"draws": -5}, "'draws' must be a positive integer"),
        ({"chains": 0}, "'chains' must be a positive integer"),
        ({"target_accept": 1.5}, r"'target_accept' must be in \(0, 1\)"),
        ({"adaptation": "full"}, "unknown adaptation 'full'"),
        ({"sampler": "stan"}, "unknown sampler 'stan'"),
        ({"drws": 10}, "did you mean 'draws'"),
    ],
)
def test_bad_sampler_settings(settings, match):
    with pytest.raises(ModelConfigError, match=match):
        SentenceModel(sampler=settings)


def test_bad_seed(population):
    with pytest.raises(ModelConfigError, match="seed must be a non-negative integer"):
        ProbationModel().fit(population.offenders, seed=-1, **FAST)


def test_expected_warnings_silence_only_the_named_ones():
    from ccmodels.util import expected_warnings

    with pytest.warns(RuntimeWarning, match="something else") as rec, expected_warnings():
        warnings.warn(
            "trait(s) ['x'] do not vary in the 5 rows fitted and are left out",
            UserWarning,
            stacklevel=1,
        )
        warnings.warn("something else", RuntimeWarning, stacklevel=1)
    assert [type(w.message) for w in rec] == [RuntimeWarning]


@pytest.mark.parametrize(
    ("model", "effects", "match"),
    [
        ("sentence", {"likelihood": "cauchy"}, r"'likelihood'.*'cauchy'.*normal, student_t"),
        ("group_size", {"family": "poisson"}, r"'family' must be one of .*'poisson'"),
        ("value_chain", {"walk_correlation": "yes"}, r"'walk_correlation'.*true or false"),
        ("case_volume", {"breaks": "2015-11-01"}, r"'breaks' must be a list"),
        ("case_volume", {"breaks": [{"date": "2015-11-01", "shift": "jump"}]}, r"entry 0"),
    ],
)
def test_bad_model_effects_are_refused_when_the_model_is_made(model, effects, match):
    from ccmodels.models.registry import MODELS

    with pytest.raises(ModelConfigError, match=match):
        MODELS[model](effects=effects)


def test_effects_set_sampler_defaults_under_the_users_own():
    t = SentenceModel(effects={"likelihood": "student_t"})
    assert (t.sampler["adaptation"], t.sampler["draws"]) == ("diag", 2000)
    mine = SentenceModel(effects={"likelihood": "student_t"}, sampler={"draws": 300})
    assert (mine.sampler["adaptation"], mine.sampler["draws"]) == ("diag", 300)
    assert SentenceModel().sampler["adaptation"] == "low_rank"


def test_partial_weights_grow_with_the_rows_of_both_years():
    """A step's centred fraction: in [0, 1), larger when either year it joins has more rows,
    smaller when the outcome is noisier, half where the data's precision equals the prior's."""
    w = partial_weights(np.array([10, 40, 160, 640]), noise=0.7, step=0.25)
    assert np.all((w > 0) & (w < 1)) and np.all(np.diff(w) > 0)
    assert np.all(partial_weights(np.array([10, 40, 160, 640]), 1.4, 0.25) < w)
    n = 1.0 / (1.0 / 40 + 1.0 / 40)  # the precision of a difference of two means, in rows
    half = partial_weights(np.array([40, 40]), noise=np.sqrt(n) * 0.25, step=0.25)
    np.testing.assert_allclose(half, [0.5])
    assert partial_weights(np.array([0, 50]), 0.7, 0.25)[0] == 0.0  # an empty year


@pytest.mark.parametrize("w", [0.0, 0.3, 1.0])
def test_partially_centred_walk_has_the_walks_prior(w):
    """Whatever the centred fraction, the steps are Normal(0, sigma_year): their spread given
    sigma_year is 1 in sigma units (a wrong power of sigma would make it depend on sigma)."""
    coords = {"year": [2012, 2013, 2014, 2015], "year_step": [2013, 2014, 2015]}
    priors = {"sigma_year": Prior("Gamma", alpha=2.0, beta=8.0)}
    with pm.Model(coords=coords):
        out = blocks.year_effect("t", priors, blocks.Centring(year=np.full(3, w)))
        eff = out["t_year_effect"]
        steps = eff[1:] - eff[:-1]
        draws_s, draws_sigma = pm.draw([steps, out["t_sigma_year"]], draws=20000, random_seed=1)
    z = (draws_s / draws_sigma[:, None]).ravel()
    # 60,000 standard normal values: the sd is within 4 MC errors (4 / sqrt(2 n)) of 1, and
    # the spread does not change with sigma (the lower and upper halves of sigma alike)
    assert abs(z.std() - 1.0) < 4 / np.sqrt(2 * z.size)
    lo = draws_sigma < np.median(draws_sigma)
    for half in (lo, ~lo):
        zz = (draws_s[half] / draws_sigma[half, None]).ravel()
        assert abs(zz.std() - 1.0) < 4 / np.sqrt(2 * zz.size)


@pytest.mark.parametrize("precision", [30.0, 3000.0])
def test_partially_centred_articles_have_the_zero_sum_prior(precision):
    """Whatever the scale, partially centred article effects are ZeroSumNormal(sigma_article)
    (centred fraction following sigma): their spread over sigma is that of a zero-sum normal
    of scale 1, sqrt((K-1)/K) per level, in the lower and upper halves of sigma alike (a wrong
    power of sigma would make it depend on sigma)."""
    coords = {"article": ["a", "b", "c", "d", "e"]}
    priors = {"sigma_article": Prior("Gamma", alpha=2.0, beta=6.0)}
    with pm.Model(coords=coords) as model:
        c = blocks.Centring(article=np.ones(5, bool), article_precision=precision)
        out = blocks.article_effect("t", priors, c, 0.0)
        assert "t_article_raw" in {v.name for v in model.free_RVs}
        draws_a, draws_sigma = pm.draw(
            [out["t_article"], out["t_sigma_article"]], draws=20000, random_seed=2
        )
    z = draws_a / draws_sigma[:, None]
    np.testing.assert_allclose(z.sum(axis=1), 0.0, atol=1e-9)
    lo = draws_sigma < np.median(draws_sigma)
    for half in (lo, ~lo):
        # sd of a normal from n draws: MC error sd / sqrt(2 n) (counting draws, not values:
        # the levels of one draw are correlated)
        assert abs(z[half].std() - np.sqrt(4 / 5)) < 4 / np.sqrt(2 * half.sum())


def test_partial_year_centring_is_offered_only_where_the_model_says(population):
    """The sentence model centres its walk and its well-represented articles partially by
    default; a model without a noise scale (value chains: several binary outcomes a case)
    refuses "partial" and names what it allows; the logit models of offenders take it (noise
    from the outcome's rate); blocks without a partial form (chains) do not list it."""
    m = SentenceModel()
    with expected_warnings():
        m.build(population.offenders)
    assert "term_year_step" in {v.name for v in m.model.free_RVs}
    assert m.design is not None
    c = m.centring("term", m.design)
    assert isinstance(c.year, np.ndarray) and np.all((c.year > 0) & (c.year < 1))
    # the well-represented articles partially centred, by a fraction that follows the scale
    assert c.article_precision is not None and c.article_precision > 0
    assert "term_article_rich" in {v.name for v in m.model.free_RVs}
    v = ValueChainModel(effects={"year_centered": "partial"})  # (it has no article effect)
    with pytest.raises(ModelConfigError, match=r"value_chain model.*allowed: true, false, 'auto'$"):
        with expected_warnings():
            v.build(population.offenders)
    for effect in ("year_centered", "article_centered"):
        p = ProbationModel(effects={effect: "partial"})
        with expected_warnings():
            p.build(population.offenders)
        assert p.design is not None
        if effect == "year_centered":  # each step centred by a fraction strictly inside (0, 1)
            frac = p.centring("prob", p.design).year
            assert isinstance(frac, np.ndarray) and np.all((frac > 0) & (frac < 1))
    with pytest.raises(ModelConfigError, match=r"sentence model must be one of .*'partial', got"):
        with expected_warnings():
            SentenceModel(effects={"article_centered": "half"}).build(population.offenders)
    with pytest.raises(ModelConfigError, match=r"must be one of true, false, 'auto', got"):
        with expected_warnings():
            SentenceModel(effects={"chain_centered": "partial"}).build(population.offenders)


def test_cheap_mode_log_likelihood_equals_the_compiled_one(population):
    """The growth models' pointwise log-likelihood, evaluated with Python thunks
    (``sampling.CHEAP_MODE``), equals PyMC's numba-compiled one on the same draws."""
    from ccmodels.models import GroupSizeModel, sampling

    m = GroupSizeModel()
    model, _ = m._build(m.prepare(population.offenders))
    draws = sampling.prior_draws(model, 20, seed=3)
    free = [v.name for v in model.free_RVs]
    cheap = sampling.log_likelihood(xr.DataTree.from_dict({"posterior": draws[free]}), model)
    compiled = pm.compute_log_likelihood(
        xr.DataTree.from_dict({"posterior": draws[free]}), model=model, progressbar=False
    )
    (name,) = [v.name for v in model.observed_RVs]
    a = cheap["log_likelihood"][name].values
    b = compiled["log_likelihood"][name].values
    assert a.shape == b.shape and np.isfinite(a).all()
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_prior_draws_are_the_same_for_the_same_seed_and_differ_for_another(population):
    from ccmodels.models import GroupSizeModel, sampling

    m = GroupSizeModel()
    model, _ = m._build(m.prepare(population.offenders))
    a, b = sampling.prior_draws(model, 50, seed=1), sampling.prior_draws(model, 50, seed=1)
    c = sampling.prior_draws(model, 50, seed=2)
    xr.testing.assert_identical(a, b)
    assert not np.allclose(a["size_alpha_intercept"].values, c["size_alpha_intercept"].values)
