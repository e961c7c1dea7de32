"""Growth models (group size, case volume, value chains) and the projection: fit, save, load,
predict, closed-form likelihoods, bad input, and projection from fits and from files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytensor.tensor as pt
import pytest
import xarray as xr
from scipy import stats

from ccmodels.data import DataValidationError, validate
from ccmodels.data.io import yearly_counts
from ccmodels.data.schema import VALUE_CHAINS
from ccmodels.draws import scenario_from_draw
from ccmodels.models import CaseVolumeModel, GroupSizeModel, ModelConfigError, ValueChainModel
from ccmodels.models.design import case_rows
from ccmodels.models.group_size import ztnb_logp
from ccmodels.project import ProjectionError, project, project_populations
from ccmodels.simulate import Scenario, simulate

FAST = {"draws": 100, "tune": 150, "chains": 2, "progress": False}


@pytest.fixture(scope="module")
def growth_fits(population, tmp_path_factory):
    out, files = {}, []
    d = tmp_path_factory.mktemp("growth")
    for cls in (CaseVolumeModel, GroupSizeModel, ValueChainModel):
        m = cls()
        m.fit(population.offenders, seed=5, loo=True, **FAST)
        out[cls.model_type] = m
        files.append(m.save(d / f"{cls.model_type}.nc"))
    return out, files


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


def test_projection_from_fits_and_from_files_agree(growth_fits, fitted):
    fits, files = growth_fits
    ds = project(list(fits.values()), to=2019, draws=20, seed=4, progress=False)
    assert ds.sizes == {"draw": 20, "year": 8, "value_chain": 4}
    assert ds["observed"].values.tolist() == [True] * 5 + [False] * 3
    assert (ds["max_group_size"] >= ds["mean_group_size"]).all()
    assert (ds["offenders"] >= ds["cases"]).all()
    from_files = project(files, to=2019, draws=20, seed=4, progress=False)
    xr.testing.assert_identical(ds, from_files)
    other = project(files, to=2019, draws=20, seed=5, progress=False)
    assert not np.array_equal(other["cases"].values, ds["cases"].values)
    pop = next(project_populations(files, to=2019, draws=1, seed=4, progress=False))
    assert pop.offenders.empty and pop.cases["year"].max() == 2019  # growth only: cases
    # with an outcome fit the worlds have offenders, and they pass the data contract
    worlds = [*files, fitted["sentence"]]
    pop = next(project_populations(worlds, to=2019, draws=1, seed=4, progress=False))
    assert pop.offenders["year"].max() == 2019
    validate(pop.offenders.drop(columns=["judgment_date", "term_censored"]))
    with_terms = project(worlds, to=2019, draws=5, seed=4, progress=False)
    assert np.isfinite(with_terms["mean_term"].values).all()
    assert "probation_share" not in with_terms  # no probation fit given


def test_projection_bad_input(growth_fits):
    _, files = growth_fits
    with pytest.raises(ProjectionError, match="before the data's last year 2016"):
        project(files, to=2015, draws=2)
    with pytest.raises(ProjectionError, match="draws must be a positive integer"):
        project(files, to=2018, draws=0)
    with pytest.raises(ProjectionError, match="2 case_volume fits given.*weights"):
        project([files[0], files[0]], to=2018, draws=2)
    with pytest.raises(ProjectionError, match="weights: 2 given for 3 fits"):
        project(files, to=2018, draws=2, weights=[1, 1])
    with pytest.raises(ProjectionError, match="weights: entry 1 is -1"):
        project(files, to=2018, draws=2, weights=[1, -1, 1])
    with pytest.raises(ProjectionError, match="case_volume fits' weights sum to 0"):
        project([files[0], files[0]], to=2018, draws=2, weights=[0, 0])
    # growth fits alone: yearly numbers, no rows, so no world is refused for its size
    ds = project(files, to=2018, draws=2, max_offenders=10, progress=False)
    assert (ds["cases"].sel(year=2018) > 10).all()


def test_projection_with_an_outcome_fit_bounds_its_populations(growth_fits, fitted):
    _, files = growth_fits
    with pytest.raises(ProjectionError, match="max_offenders"):
        project([*files, fitted["sentence"]], to=2018, draws=2, max_offenders=10, progress=False)


def test_cli_fit_on_a_yearly_table_and_project_match_the_api(growth_fits, population, tmp_path):
    from typer.testing import CliRunner

    from ccmodels.cli import app

    runner = CliRunner()
    _, files = growth_fits
    yearly = tmp_path / "yearly.csv"
    yearly_counts(population.offenders)[["year", "cases"]].to_csv(yearly, index=False)
    spec = Path(__file__).resolve().parents[2] / "models" / "case_volume.toml"
    fit_out = tmp_path / "volume.nc"
    args = ["fit", str(spec), "--data", str(yearly), "--out", str(fit_out), "--no-loo"]
    r = runner.invoke(app, [*args, "--draws", "100", "--tune", "150", "--chains", "2"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "proj.nc"
    args = ["project", *map(str, files), "--to", "2019", "--out", str(out), "--draws", "20"]
    r = runner.invoke(app, [*args, "--seed", "4", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "projected" in r.output and "2019" in r.output
    with xr.open_dataset(out, engine="h5netcdf") as got:
        want = project(files, to=2019, draws=20, seed=4, progress=False)
        xr.testing.assert_allclose(got.load(), want)
    r = runner.invoke(app, [*args, "--seed", "4"])
    assert r.exit_code == 2 and "--force" in r.output
    r = runner.invoke(
        app, ["project", str(files[0]), "--to", "2010", "--out", str(tmp_path / "x.nc")]
    )
    assert r.exit_code == 1 and "before the data's last year" in r.output
    assert not (tmp_path / "x.nc").exists()
    one = ["project", str(files[0]), "--to", "2018", "--out", str(tmp_path / "y.nc")]
    r = runner.invoke(app, [*one, "--base", str(tmp_path / "nope.toml")])
    assert r.exit_code == 2 and "no such scenario file" in r.output
    r = runner.invoke(app, [*one, "--max-rows", "0", "--draws", "2", "--no-progress"])
    assert r.exit_code == 2 and "--max-rows" in r.output
    assert not (tmp_path / "y.nc").exists()
    walks = Path(__file__).resolve().parents[2] / "simulations" / "growth_walks.toml"
    r = runner.invoke(app, [*one, "--base", str(walks), "--draws", "3", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "y.nc").exists()


def test_report_of_growth_fits_reads_files_only(growth_fits, tmp_path, monkeypatch):
    """The growth fits' sections show their checks and no projection of their own (the
    simulator is never called: a projection is a file given to the report); given one, the
    projection part has a fan per value chain with the data's shares."""
    from ccmodels.report import build
    from ccmodels.report.growth import PROJECTION_NOTE

    _, files = growth_fits
    ds = project(files, to=2019, draws=20, seed=0, progress=False)

    def refuse(*args, **kwargs):
        raise AssertionError("the report simulated")

    for target in ("ccmodels.project.project", "ccmodels.simulate.simulate"):
        monkeypatch.setattr(target, refuse)
    res = build(files, tmp_path / "report")
    names = {f.name for f in res.figures}
    assert not any("projection" in n for n in names), names
    assert PROJECTION_NOTE.split(":")[0] in (tmp_path / "report" / "index.html").read_text()
    assert {"group_size_posterior_ppc_max.png", "group_size_posterior_ppc_share_3plus.png"} <= names
    with_proj = build(files, tmp_path / "with", projection=ds)
    fans = {f.name for f in with_proj.figures}
    assert {f"projection_share_{c}.png" for c in VALUE_CHAINS} <= fans
    assert {"projection_cases.png", "projection_mean_group_size.png"} <= fans
    summary = json.loads((tmp_path / "report" / "summary.json").read_text(encoding="utf-8"))
    gs = next(m for m in summary["models"] if m["model"] == "group_size")
    assert set(gs["estimates"]["max_by_year"]) == {str(y) for y in range(2012, 2017)}


@pytest.fixture(scope="module")
def damped_fit(population, tmp_path_factory):
    m = CaseVolumeModel(effects={"year_damping": True})
    m.fit(population.offenders, seed=6, **FAST)
    return m.save(tmp_path_factory.mktemp("damped") / "case_volume_damped.nc")


def test_a_local_trend_projects_as_its_own_predictions(population):
    """A local linear trend (the drift walks): the projection engine (posterior draw ->
    scenario with the fitted drift path -> simulator) and the model's own predictive draws
    (params.extend) continue the walk by the same law: the log counts four years past the data
    agree by a two-sample KS test (p > 0.001; different random streams, same draws), and its
    90% predictive interval four years on is wider than the constant drift's."""
    m = CaseVolumeModel(effects={"year_local_trend": True})
    m.fit(population.offenders, seed=7, **FAST)
    assert {"volume_sigma_drift", "volume_year_slope"} <= set(m.idata["posterior"].data_vars)
    ds = project(m.idata, to=2020, draws=200, seed=4, progress=False)
    proj = np.log1p(ds["cases"].sel(year=2020).values)
    pred = np.log1p(m.predict(pd.DataFrame({"year": [2020]}), kind="predictive").values.ravel())
    assert stats.ks_2samp(proj, pred).pvalue > 1e-3
    flat = CaseVolumeModel()
    flat.fit(population.offenders, seed=7, **FAST)
    flat_pred = flat.predict(pd.DataFrame({"year": [2017, 2020]}), kind="predictive").values
    local_pred = m.predict(pd.DataFrame({"year": [2017, 2020]}), kind="predictive").values
    widen = [
        np.subtract(*np.percentile(np.log1p(x[..., 1]), [95, 5])) for x in (local_pred, flat_pred)
    ]
    assert widen[0] > widen[1], widen


def test_projection_of_a_stacked_combination(growth_fits, damped_fit):
    """Two case-volume fits with weights: each world takes one of them in proportion to the
    weights (binomial tolerance), recorded in case_volume_fit; a weight of 0 is never taken;
    the same seed gives the same numbers."""
    _, files = growth_fits
    fits = [files[0], damped_fit, *files[1:]]
    ds = project(fits, to=2020, draws=400, seed=3, progress=False, weights=[1, 3, 1, 1])
    comp = ds["case_volume_fit"].values
    assert set(np.unique(comp)) <= {0, 1}
    share = comp.mean()
    assert abs(share - 0.75) < 4 * np.sqrt(0.75 * 0.25 / 400), share
    assert ds["case_volume_fit"].attrs["weights"] == "0.25, 0.75"
    assert "case_volume_damped.nc" in ds["case_volume_fit"].attrs["sources"]
    again = project(fits, to=2020, draws=400, seed=3, progress=False, weights=[1, 3, 1, 1])
    xr.testing.assert_identical(ds, again)
    only = project(fits, to=2020, draws=50, seed=3, progress=False, weights=[0, 2, 1, 1])
    assert (only["case_volume_fit"].values == 1).all()
    # the damped worlds grow more slowly at the horizon than the constant-drift ones
    # (medians; the damped posterior's drift decays by phi a year)
    late = ds["cases"].sel(year=2020).values
    assert np.median(late[comp == 1]) < np.median(late[comp == 0])
    # a model given once ignores its weight; no combination for an outcome model
    single = project(files, to=2018, draws=5, seed=1, progress=False, weights=[2, 1, 1])
    xr.testing.assert_identical(single, project(files, to=2018, draws=5, seed=1, progress=False))


def test_report_with_a_projection_comparison_and_published_figures(
    growth_fits, damped_fit, tmp_path
):
    from ccmodels.report import build
    from ccmodels.report.published import PublishedFigureError

    _, files = growth_fits
    fits = [files[0], damped_fit, *files[1:]]
    ds = project(fits, to=2020, draws=60, seed=3, progress=False, weights=[1, 1, 1, 1])
    cmp = pd.DataFrame(
        {
            "elpd_lfo": [-10.0, -11.0],
            "se": [1.0, 1.2],
            "elpd_diff": [0.0, -1.0],
            "se_diff": [0.0, 0.8],
            "weight": [0.6, 0.4],
        },
        index=pd.Index(["damped", "drift"], name="model"),
    )
    pub = tmp_path / "published.toml"
    pub.write_text(
        '[[figure]]\nquantity = "max_group_size"\nyear = 2016\nvalue = 78\nsource = "S1"\n'
        '[[figure]]\nquantity = "mean_group_size"\nyears = [2017, 2019]\nvalue = 2.3\n'
        'source = "S2"\n',
        encoding="utf-8",
    )
    res = build(files[:1], tmp_path / "r", projection=ds, comparison=cmp, published=pub)
    assert {"projection-trajectories", "projection-comparison"} <= set(res.sections)
    assert res.verdicts == {"case_volume": res.verdicts["case_volume"]}  # not a fit: no verdict
    names = {f.name for f in res.figures}
    assert {"projection_cases.png", "projection_max_group_size.png"} <= names
    html = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "S1" in html and "2017-2019" in html and "stacking weight" in html
    assert "case_volume_damped.nc (weight 0.5" in html
    summ = res.summary["projection"]
    assert summ["horizon"] == 2020 and len(summ["published"]) == 2
    assert summ["comparison"]["damped"]["weight"] == 0.6
    med = np.median(ds["cases"].sel(year=2020).values)
    assert summ["cases"]["2020"]["median"] == pytest.approx(med, rel=1e-5)
    bad = tmp_path / "bad.toml"
    bad.write_text('[[figure]]\nquantity = "judges"\nyear = 2016\nvalue = 1\nsource = ""\n')
    with pytest.raises(
        PublishedFigureError,
        match=r"(?s)bad.toml: 2 problem.*figure 1: quantity.*"
        r"'judges' is not one of cases.*figure 1: source: empty",
    ):
        build(files[:1], tmp_path / "r2", projection=ds, published=bad)
    assert not (tmp_path / "r2").exists()
    with pytest.raises(ValueError, match="shown with a projection"):
        build(files[:1], tmp_path / "r3", comparison=cmp)
    with pytest.raises(ValueError, match="missing column"):
        cmp.drop(columns="weight").to_csv(tmp_path / "c.csv")
        build(files[:1], tmp_path / "r4", projection=ds, comparison=tmp_path / "c.csv")


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
