"""The model contract, for every offender-level model: a complete fit, persistence, predictions, specs and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ccmodels.data import DataValidationError
from ccmodels.models import (
    FineModel,
    FitFileError,
    ModelConfigError,
    ProbationModel,
    SentenceModel,
    from_spec,
    load_fit,
)
from ccmodels.models.disposition import DispositionModel

ROOT = Path(__file__).resolve().parents[2]
CLASSES = (SentenceModel, ProbationModel, FineModel, DispositionModel)


@pytest.mark.parametrize(
    "make",
    [*CLASSES, lambda: SentenceModel(effects={"likelihood": "student_t"})],
    ids=["sentence", "probation", "fine", "disposition", "sentence-student_t"],
)
def test_gradient_is_finite(make, population):
    model = make().build(population.offenders)
    ip = model.initial_point()
    grad = model.compile_dlogp()(ip)
    assert np.all(np.isfinite(grad)) and np.any(grad != 0)
    assert np.isfinite(model.compile_logp()(ip))


@pytest.mark.parametrize("kind", ["sentence", "probation", "fine", "disposition"])
def test_fit_returns_a_complete_datatree(fitted, kind):
    m = fitted[kind]
    dt = m.idata
    for g in ("posterior", "sample_stats", "constant_data", "fit_data", "log_likelihood"):
        assert g in dt.children, g
    assert dt.attrs["model_type"] == kind and dt.attrs["seed"] == 7
    assert json.loads(dt.attrs["config_json"])["model"] == kind
    assert dt.attrs["id"] == m.id
    post = dt["posterior"]
    assert post.sizes["chain"] == 2 and post.sizes["draw"] == 100
    if kind != "fine":
        assert "year" in post.coords


def test_save_load_predict_roundtrip(fitted, population, tmp_path):
    new = population.offenders.head(40)
    for kind, m in fitted.items():
        p = m.save(tmp_path / f"{kind}.nc")
        with pytest.raises(FileExistsError):
            m.save(p)
        m2 = load_fit(p)
        assert type(m2) is type(m)
        a, b = m.predict(new, seed=3), m2.predict(new, seed=3)
        xr.testing.assert_allclose(a, b)


def test_load_refuses_other_model_and_version(fitted, tmp_path):
    p = fitted["probation"].save(tmp_path / "prob.nc")
    with pytest.raises(FitFileError, match="holds a 'probation' model, not 'sentence'"):
        SentenceModel.load(p)
    dt = xr.open_datatree(p, engine="h5netcdf").load()
    dt.attrs["ccmodels_version"] = "0.0.1"
    dt.to_netcdf(tmp_path / "old.nc", engine="h5netcdf")
    with pytest.raises(FitFileError, match="written by ccmodels 0.0.1"):
        load_fit(tmp_path / "old.nc")
    cfg = json.loads(dt.attrs["config_json"])
    cfg["priors"]["beta"]["kwargs"]["sigma"] = 5.0
    dt.attrs["ccmodels_version"] = fitted["probation"].idata.attrs["ccmodels_version"]
    dt.attrs["config_json"] = json.dumps(cfg)
    dt.to_netcdf(tmp_path / "tampered.nc", engine="h5netcdf")
    with pytest.raises(FitFileError, match="does not match|stored id"):
        load_fit(tmp_path / "tampered.nc")


def test_predict_new_years_and_levels(fitted, population):
    m = fitted["sentence"]
    # One offender profile in several years: uncertainty grows away from the fitted years.
    new = population.offenders.iloc[[0] * 4].copy()
    new["year"] = [2016, 2017, 2020, 2010]
    new["case_id"] = [f"new-{i}" for i in range(4)]
    mean = m.predict(new)
    assert mean.dims == ("chain", "draw", "row") and np.isfinite(mean.values).all()
    sd = np.log(mean).std(("chain", "draw")).values
    assert sd[2] > sd[1] > sd[0] and sd[3] > sd[0]
    pred = m.predict(new, kind="predictive").values
    assert np.all(pred >= 1) and np.all(pred <= 180)


def test_summaries_have_intervals(fitted):
    t = fitted["sentence"].mean_term_by("year")
    assert list(t.index) == list(range(2012, 2017))
    assert ((t["lower"] <= t["mean"]) & (t["mean"] <= t["upper"])).all()
    ame = fitted["probation"].marginal_effects()
    assert "disability" in ame.index and ame["p_positive"].between(0, 1).all()
    f = fitted["fine"].mean_fine_by("year")
    assert (f["mean"] > 0).all()


def test_posterior_and_prior_predictive(fitted, population):
    pp = fitted["probation"].sample_posterior_predictive(thin=5)
    assert set(np.unique(pp["probation"].values)) <= {0.0, 1.0}
    prior = SentenceModel().sample_prior_predictive(population.offenders, draws=50)
    assert prior["term_months"].sizes["sample"] == 50
    assert float(prior["term_months"].min()) >= 1.0


def test_every_spec_file_loads():
    files = sorted((ROOT / "models").glob("*.toml"))
    assert len(files) >= 3
    for f in files:
        m = from_spec(f)
        assert m.sampler["sampler"] == "nutpie"


def test_misspelt_prior_in_spec(tmp_path):
    text = (ROOT / "models" / "sentence.toml").read_text().replace("sigma_case =", "sigma_cse =")
    p = tmp_path / "s.toml"
    p.write_text(text)
    with pytest.raises(
        ModelConfigError, match="unknown prior 'sigma_cse'.*did you mean 'sigma_case'"
    ):
        from_spec(p)


def test_bad_input(population):
    o = population.offenders
    with pytest.raises(DataValidationError, match="column 'term_months'"):
        SentenceModel().build(o.drop(columns="term_months"))
    with pytest.raises(ValueError, match="no rows to fit"):
        ProbationModel().build(o.assign(recidivist=True, probation=False, probation_months=0.0))
    one_year = o[o["year"] == 2016]
    with pytest.raises(ValueError, match="single year"):
        SentenceModel().build(one_year)
    bad = o.copy()
    bad["article"] = bad["article"].astype(str)
    bad.loc[0, "article"] = "288"
    with pytest.raises(DataValidationError, match="column 'article'"):
        SentenceModel().build(bad)
    with pytest.raises(ModelConfigError, match="unknown sampler"):
        SentenceModel(sampler={"sampler": "gibbs"})


def test_case_effects_are_in_the_offender_models(fitted):
    for kind, name in (
        ("probation", "prob_sigma_case"),
        ("fine", "fine_amount_sigma_case"),
        ("disposition", "disp_sigma_case"),
    ):
        post = fitted[kind].idata["posterior"]
        assert name in post and float(post[name].std()) > 0, kind
        # nothing is sampled per case: the posterior holds the population parameters only
        assert not any("case" in post[v].dims for v in post.data_vars), kind
        ll = fitted[kind].idata["log_likelihood"]
        assert ll.sizes["case"] == fitted[kind].design.rows["case_id"].nunique(), kind
