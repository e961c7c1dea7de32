"""Projections from growth fits (and outcome fits): the same numbers from fits and files, a stacked combination, a local trend continued by its own law, the CLI, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats

from ccmodels.data import validate
from ccmodels.data.io import yearly_counts
from ccmodels.models import CaseVolumeModel
from ccmodels.project import ProjectionError, project, project_populations

FAST = {"draws": 100, "tune": 150, "chains": 2, "progress": False}


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
