"""Growth models (group size, case volume, value chains): fit, save, load, predict,
closed-form likelihoods, bad input (projections: tests/project; their report: tests/report)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytensor.tensor as pt
import pytest
import xarray as xr
from scipy import stats

from ccmodels.data import DataValidationError
from ccmodels.data.io import yearly_counts
from ccmodels.data.schema import VALUE_CHAINS
from ccmodels.draws import scenario_from_draw
from ccmodels.models import CaseVolumeModel, GroupSizeModel, ModelConfigError, ValueChainModel
from ccmodels.models.design import case_rows
from ccmodels.models.group_size import ztnb_logp
from ccmodels.project import project
from ccmodels.simulate import Scenario, simulate

FAST = {"draws": 100, "tune": 150, "chains": 2, "progress": False}


def test_ztnb_logp_matches_scipy():
    y, mu, alpha = np.arange(1, 30), 2.5, 0.4
    p = alpha / (alpha + mu)
    want = stats.nbinom.logpmf(y, alpha, p) - np.log1p(-stats.nbinom.pmf(0, alpha, p))
    f64 = [pt.as_tensor(np.asarray(v, dtype=np.float64)) for v in (y, mu, alpha)]
    got = ztnb_logp(*f64).eval()
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_growth_models_fit_save_load_predict(growth_fits, population, tmp_path):
    fits, files = growth_fits
    cases = case_rows(population.offenders)
    gs = fits["group_size"]
    assert {"size_mu_year_effect", "size_mu_chain", "size_alpha_intercept"} <= set(
        gs.idata["posterior"].data_vars
    )
    assert set(gs.idata["derived"].children) >= {"max_by_year", "share_3plus_by_year"}
    mean = float(gs.predict(cases).mean())
    assert abs(mean - cases["n_defendants"].mean()) < 0.2
    again = GroupSizeModel.load(files[1])
    xr.testing.assert_allclose(
        again.predict(cases.head(10), seed=2), gs.predict(cases.head(10), seed=2)
    )
    vol = fits["case_volume"]
    drift = float(vol.idata["posterior"]["volume_year_drift"].mean())
    assert 0.1 < drift < 0.6, drift  # cases rise about 37% a year in cai2017
    future = vol.predict(pd.DataFrame({"year": [2017, 2020]}))
    assert float(future.isel(row=1).median()) > float(future.isel(row=0).median())
    vc = fits["value_chain"].predict(cases.head(5))
    assert vc.dims == ("value_chain", "chain", "draw", "row")
    assert float(vc.min()) >= 0 and float(vc.max()) <= 1


def test_case_volume_from_a_yearly_table_with_exposure(population):
    yearly = yearly_counts(population.offenders)[["year", "cases"]].assign(published=0.5)
    m = CaseVolumeModel(effects={"exposure": "published"})
    m.fit(yearly, seed=1, **FAST)
    full = m.predict(pd.DataFrame({"year": [2016]}))  # all cases: exposure 1
    assert float(full.median()) > 1.5 * yearly["cases"].iloc[-1]


def test_case_volume_recovers_a_known_break():
    # a 12-year series with a level shift of +0.8 in mid-2014 (x 2.2 on the rate)
    sc = Scenario.default().replace(
        years=(2008, 2019),
        volume={"breaks": [{"date": "2014-07-01", "shift": "level", "effect": 0.8}]},
    )
    pop = simulate(sc, 3, cases_only=True)
    yearly = pop.cases.groupby("year").size().rename("cases").reset_index()
    m = CaseVolumeModel(effects={"breaks": ["2014-07-01"]})
    fit = m.fit(yearly, seed=1, **FAST)
    post = fit.posterior["volume_break"].sel({"break": "2014-07-01 level"})
    lo, hi = np.quantile(post.values, [0.05, 0.95])
    assert lo < 0.8 < hi
    assert lo > 0  # the data see the break
    # new years carry the shift (covariate 1) and the drift beyond it
    ahead = m.predict(pd.DataFrame({"year": [2020]}))
    assert float(ahead.median()) > yearly["cases"].iloc[-1]


def test_value_chains_with_correlated_walks_fit_and_project(population):
    m = ValueChainModel(effects={"walk_correlation": True})
    fit = m.fit(population.offenders, seed=1, **FAST)
    corr = fit.posterior["vc_walk_corr"].stack(s=("chain", "draw")).transpose("s", ...).values
    np.testing.assert_allclose(np.diagonal(corr, axis1=1, axis2=2), 1.0, atol=1e-8)
    np.testing.assert_allclose(corr, corr.transpose(0, 2, 1), atol=1e-8)
    assert np.linalg.eigvalsh(corr).min() > 0
    # a draw becomes a scenario whose simulator correlates the chains' steps the same way
    draw = fit.posterior.isel(chain=0, draw=0).to_dataset()
    sc = scenario_from_draw(draw, Scenario.default())
    np.testing.assert_allclose(sc.chains.walk_corr, corr[0], atol=1e-8)
    ds = project([fit], to=2019, draws=20, seed=0)
    assert ds.sizes["year"] == 8 and np.isfinite(ds["chain_share"].values).all()
    with pytest.raises(ModelConfigError, match="walk_correlation"):
        ValueChainModel(effects={"walk_correlation": "yes"}).build(population.offenders)


@pytest.mark.parametrize(
    ("breaks", "data_years", "match"),
    [
        (["2010-05-01"], (2012, 2016), "outside the data's years 2012-2016"),
        (["2017-01-01"], (2012, 2016), "outside the data's years"),
        ([{"date": "2014-01-01", "shift": "slope"}], None, "entry 0.*level"),
        (["2014-13-01"], None, "entry 0"),
        (["2014-01-01", "2014-01-01"], None, "given twice"),
        ("2014-01-01", None, "must be a list"),
    ],
)
def test_bad_breaks(breaks, data_years, match):
    with pytest.raises(ModelConfigError, match=match):
        m = CaseVolumeModel(effects={"breaks": breaks})
        lo, hi = data_years or (2012, 2016)
        m.build(pd.DataFrame({"year": range(lo, hi + 1), "cases": 10}))


@pytest.mark.parametrize(
    ("make", "data", "match"),
    [
        (CaseVolumeModel, pd.DataFrame({"year": [2016], "cases": [10]}), "at least 2 years"),
        (CaseVolumeModel, pd.DataFrame({"year": [2015, 2016], "cases": [10, -1]}), "whole numbers"),
        (CaseVolumeModel, pd.DataFrame({"year": [2015, 2016], "cases": [10, 2.5]}), "rows \\[1\\]"),
        (
            lambda: CaseVolumeModel(effects={"exposure": "e"}),
            pd.DataFrame({"year": [2015, 2016], "cases": [10, 12], "e": [0.5, 1.5]}),
            "exposure must be in \\(0, 1\\]",
        ),
    ],
)
def test_bad_growth_input(make, data, match):
    with pytest.raises(DataValidationError, match=match):
        make().build(data)


def test_group_size_refuses_a_case_without_defendants():
    m = GroupSizeModel()
    rows = pd.DataFrame({"case_id": ["a", "b"], "year": [2015, 2016], "n_defendants": [1, 0]})
    with pytest.raises(DataValidationError, match="'n_defendants'.*rows \\[1\\]"):
        m.select(rows)
    with pytest.raises(ModelConfigError, match="family"):
        GroupSizeModel(effects={"family": "poisson"})


def test_log_density_of_fitted_years_is_the_summed_log_likelihood(growth_fits, population):
    """log_density (what leave-future-out scores) on rows of a fitted year equals, draw by
    draw, the sum of PyMC's pointwise log-likelihood over those rows."""
    fits, _ = growth_fits
    off = population.offenders
    yearly = yearly_counts(off)[["year", "cases"]]
    models = {"group_size": (fits["group_size"], off, "size_obs")}
    models["case_volume"] = (fits["case_volume"], yearly, "cases_obs")
    # ztnb: the truncation enters (a fit of the same rows in the other family)
    zt = GroupSizeModel(effects={"family": "ztnb"})
    zt.fit(off, seed=5, loo=True, **FAST)
    models["ztnb"] = (zt, off, "size_obs")
    vc = fits["value_chain"]
    models["value_chain"] = (vc, off, [f"vc_{c}_obs" for c in VALUE_CHAINS])
    for kind, (m, rows, var) in models.items():
        for year in (2013, 2016):
            got = m.log_density(rows[rows["year"] == year])
            fitted = np.flatnonzero(m.design.rows["year"].to_numpy() == year)
            names = var if isinstance(var, list) else [var]
            ll = sum(m.idata["log_likelihood"][v].stack(sample=("chain", "draw")) for v in names)
            want = ll.isel(row=fitted).sum("row").values
            np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-8, err_msg=kind)
