"""Fast tests of the outcome models: plumbing, persistence, predictions and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from scipy import integrate, stats

from ccmodels import law
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
from ccmodels.models.case_effect import gh_rule
from ccmodels.models.disposition import DispositionModel
from ccmodels.models.likelihoods import censored_normal as cn
from ccmodels.models.pipeline import PipelineError, SentencingPipeline

FAST = {"draws": 100, "tune": 150, "chains": 2, "progress": False}

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


def test_same_seed_reproduces_the_fit(population):
    a = ProbationModel().fit(population.offenders, seed=11, **FAST)
    b = ProbationModel().fit(population.offenders, seed=11, **FAST)
    xr.testing.assert_equal(a["posterior"].to_dataset(), b["posterior"].to_dataset())


def test_same_seed_same_draws_with_a_cold_and_a_warm_compile_cache(tmp_path):
    """nutpie's numba code compiled afresh (first fit on a machine) and loaded from PyTensor's
    cache (later fits) must give the same draws: fastmath rounding once made them differ."""
    code = (
        "from ccmodels.util import expected_warnings; expected_warnings().__enter__()\n"
        "from ccmodels.models import ProbationModel\n"
        "from ccmodels.simulate import Scenario, simulate\n"
        "m = ProbationModel()\n"
        "m.fit(simulate(Scenario.default(), 3).offenders, seed=5, progress=False,"
        " draws=30, tune=50, chains=2)\n"
        "print(repr(float(m.idata['posterior']['prob_intercept'].values.sum())))\n"
    )
    flags = ",".join(
        f for f in (os.environ.get("PYTENSOR_FLAGS", ""), f"base_compiledir={tmp_path}") if f
    )
    env = os.environ | {"PYTENSOR_FLAGS": flags}
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.split()[-1]
        for _ in range(2)
    ]
    assert any(tmp_path.iterdir()), "the runs did not use the temporary compile cache"
    assert runs[0] == runs[1]


def test_pymc_sampler(population):
    """PyMC's NUTS is an option for every model."""
    small = {"draws": 50, "tune": 100, "chains": 2, "progress": False}
    dt = ProbationModel().fit(population.offenders, sampler="pymc", seed=3, **small)
    assert dt.attrs["sampler"] == "pymc"
    sd = float(dt["posterior"]["prob_intercept"].std())
    assert 0 < sd < 2  # the chains moved


@pytest.mark.numpyro
def test_numpyro_sampler(population):
    """numpyro (the optional ``numpyro`` extra) is an option for every model."""
    pytest.importorskip("numpyro")
    small = {"draws": 50, "tune": 100, "chains": 2, "progress": False}
    dt = ProbationModel().fit(population.offenders, sampler="numpyro", seed=3, **small)
    assert dt.attrs["sampler"] == "numpyro"
    assert 0 < float(dt["posterior"]["prob_intercept"].std()) < 2
    # The censored terms' log-CDF once gave NaN JAX gradients and every numpyro transition
    # diverged (the chains stalled at their initial point).
    dt = SentenceModel().fit(population.offenders, sampler="numpyro", seed=3, **small)
    assert int(dt["sample_stats"]["diverging"].sum()) <= 2
    assert float(dt["posterior"]["term_sigma"].std()) > 0
    with pytest.raises(ModelConfigError, match="student_t.*numpyro"):
        SentenceModel(effects={"likelihood": "student_t"}).fit(
            population.offenders, sampler="numpyro", seed=3, **small
        )


def test_numpyro_without_jax_is_a_clear_error(population, monkeypatch):
    """Without the numpyro extra, asking for numpyro names the extra to install."""
    import sys

    monkeypatch.setitem(sys.modules, "numpyro", None)
    monkeypatch.setitem(sys.modules, "jax", None)
    with pytest.raises(ModelConfigError, match=r"ccmodels\[numpyro\]"):
        ProbationModel().fit(population.offenders, sampler="numpyro", draws=10, tune=10)


def test_std_normal_lcdf_and_its_gradient():
    import pytensor
    import pytensor.tensor as pt

    from ccmodels.models.likelihoods.censored_normal import std_normal_lcdf as _std_normal_lcdf

    z = pt.dvector("z")
    f = pytensor.function([z], [_std_normal_lcdf(z), pytensor.grad(_std_normal_lcdf(z).sum(), z)])
    zs = np.array([-40.0, -10.0, -8.5, -1.0 - 1e-9, -1.0, -0.3, 0.0, 2.0, 8.0, 37.0, 50.0])
    val, grad = f(zs)
    np.testing.assert_allclose(val, stats.norm.logcdf(zs), rtol=1e-12, atol=1e-300)
    # d/dz log Phi(z) = phi(z) / Phi(z)
    np.testing.assert_allclose(
        grad, np.exp(stats.norm.logpdf(zs) - stats.norm.logcdf(zs)), rtol=1e-9
    )


@pytest.mark.numpyro
def test_sentence_jax_gradient_is_finite_away_from_the_initial_point(population):
    """Regression: jax.grad differentiates both branches of a switch, so an unguarded
    log-CDF gave NaN gradients wherever a quadrature node reached z < -8.3."""
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp
    from pymc.sampling.jax import get_jaxified_logp

    jax.config.update("jax_enable_x64", True)
    model = SentenceModel().build(population.offenders)
    logp = get_jaxified_logp(model)
    ip = model.initial_point()
    names = [v.name for v in model.value_vars]
    rng = np.random.default_rng(4)
    grad = jax.jit(jax.grad(lambda xs: logp(xs)))
    bad = 0
    for _ in range(40):
        xs = [jnp.asarray(ip[n] + rng.normal(0, 1.5, np.shape(ip[n]))) for n in names]
        g = grad(xs)
        bad += not all(bool(jnp.all(jnp.isfinite(gi))) for gi in g)
    assert bad == 0


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


def test_probation_predictions_respect_the_law(fitted, population):
    m = fitted["probation"]
    o = population.offenders
    p = m.predict(o).mean(("chain", "draw")).values
    rec = o["recidivist"].to_numpy()
    long_term = o["term_months"].to_numpy() > 36
    assert np.all(p[rec | long_term] == 0)
    ok = ~rec & ~long_term & (o["sentence_type"] == "fixed_term").to_numpy()
    assert np.all(p[ok] > 0)
    # art. 74: a ringleader of a criminal group is not eligible, however short the term
    lead = o.assign(ringleader=ok & (np.arange(len(o)) % 2 == 0))
    q = m.predict(lead).mean(("chain", "draw")).values
    assert np.all(q[lead["ringleader"].to_numpy()] == 0)
    assert np.all(q[ok & ~lead["ringleader"].to_numpy()] > 0)
    assert len(m.select(lead)) == len(m.select(o)) - int(lead["ringleader"].sum())


def test_summaries_have_intervals(fitted):
    t = fitted["sentence"].mean_term_by("year")
    assert list(t.index) == list(range(2012, 2017))
    assert ((t["lower"] <= t["mean"]) & (t["mean"] <= t["upper"])).all()
    ame = fitted["probation"].marginal_effects()
    assert "disability" in ame.index and ame["p_positive"].between(0, 1).all()
    f = fitted["fine"].mean_fine_by("year")
    assert (f["mean"] > 0).all()


def test_mean_term_once_per_distinct_row_equals_every_row(fitted):
    m = fitted["sentence"]
    d, draws = m.design, m.draws()
    lo, hi = law.term_bounds(d.rows["article"].astype(str).to_numpy())
    full = m._mean_from(m.eta(m.prefix, draws, d, np.random.default_rng(0)), draws, lo, hi)
    np.testing.assert_allclose(m._mean(draws, d, np.random.default_rng(0)), full, rtol=1e-12)
    stored = m.idata["derived"]["mean_term_by_year"].to_dataset()
    np.testing.assert_allclose(
        stored["mean"].values, m.mean_term_by("year")["mean"].to_numpy(), rtol=1e-12
    )


def test_posterior_and_prior_predictive(fitted, population):
    pp = fitted["probation"].sample_posterior_predictive(thin=5)
    assert set(np.unique(pp["probation"].values)) <= {0.0, 1.0}
    prior = SentenceModel().sample_prior_predictive(population.offenders, draws=50)
    assert prior["term_months"].sizes["sample"] == 50
    assert float(prior["term_months"].min()) >= 1.0


def test_integrated_case_likelihood_matches_brute_force():
    """Per-case log-likelihood (case effect integrated out; one censored term in closed form,
    several by quadrature) against scipy's adaptive quadrature of the integrand over the case
    effect, at a tight and a wide case effect."""
    rng = np.random.default_rng(1)
    # cases 0-1 uncensored; 2: one of two at the maximum; 3: one at each bound; 4: a lone
    # term at the minimum; 5: two uncensored and one at the minimum
    case = np.array([0, 0, 0, 1, 2, 2, 3, 3, 4, 5, 5, 5])
    cens = np.array([0, 0, 0, 0, 0, 1, 1, -1, -1, 0, -1, 0])
    eta = rng.normal(3, 0.3, case.size)
    y = eta + rng.normal(0, 0.6, case.size)
    log_hi = np.full(case.size, np.log(36.0))
    log_lo = np.where(case >= 4, 2.5, 0.0)
    y = np.where(cens == 1, log_hi, np.where(cens == -1, log_lo, y))
    x = {"y": y, "cens": cens, "case": case, "log_hi": log_hi, "log_lo": log_lo, "eta": eta}
    for sigma, tau in [(0.5, 0.4), (0.3, 1.2)]:
        got = cn.per_case_loglik(eta[None], np.array([sigma]), np.array([tau]), x)[0]
        want = np.array([_brute_case_loglik(x, k, sigma, tau) for k in range(6)])
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-8)


def _heavy_cases() -> dict[str, np.ndarray]:
    """Cases of up to 150 defendants, most or all of them censored: all at the maximum with the
    predictor 0 to 3 log units below it, 90% at the maximum, and a mix of both bounds."""
    rng = np.random.default_rng(7)
    hi, parts = np.log(36.0), []
    for k, (n, off, share_hi, share_lo) in enumerate(
        [
            (150, 0.0, 1.0, 0.0),
            (150, 0.5, 1.0, 0.0),
            (150, 1.5, 1.0, 0.0),
            (150, 3.0, 1.0, 0.0),
            (144, 1.0, 0.9, 0.0),
            (150, 0.3, 0.6, 0.2),
            (30, 0.5, 1.0, 0.0),
            (1, 0.0, 1.0, 0.0),
        ]
    ):
        eta = hi - off + rng.normal(0, 0.1, n)
        r = rng.random(n)
        cens = np.where(r < share_hi, 1, np.where(r < share_hi + share_lo, -1, 0))
        y = np.clip(eta + rng.normal(0, 0.4, n), 1e-3, hi - 1e-3)
        y = np.where(cens == 1, hi, np.where(cens == -1, 0.0, y))
        parts.append((np.full(n, k), eta, y, cens))
    case, eta, y, cens = (np.concatenate(v) for v in zip(*parts, strict=True))
    n = case.size
    return {
        "case": case,
        "eta": eta,
        "y": y,
        "cens": cens,
        "log_hi": np.full(n, hi),
        "log_lo": np.zeros(n),
    }


def _brute_case_loglik(x: dict[str, np.ndarray], k: int, sigma: float, tau: float) -> float:
    """log of the integral over the case effect, by scipy's adaptive quadrature around the
    mode (found on a fine grid) over +-40 prior SDs."""
    idx = x["case"] == k
    eta, y, cens = x["eta"][idx], x["y"][idx], x["cens"][idx]
    obs, up, down = cens == 0, cens == 1, cens == -1

    def log_f(u: np.ndarray) -> np.ndarray:
        u = np.atleast_1d(u)[None, :]
        out = stats.norm.logpdf(u[0], 0, tau)
        out = out + stats.norm.logpdf(y[obs][:, None], eta[obs][:, None] + u, sigma).sum(0)
        out = out + stats.norm.logsf(
            x["log_hi"][idx][up][:, None], eta[up][:, None] + u, sigma
        ).sum(0)
        out = out + stats.norm.logcdf(
            x["log_lo"][idx][down][:, None], eta[down][:, None] + u, sigma
        ).sum(0)
        return out

    grid = np.linspace(-40 * tau, 40 * tau, 80_001)
    lg = log_f(grid)
    top, mode = lg.max(), grid[lg.argmax()]
    val, _ = integrate.quad(
        lambda u: float(np.exp(log_f(u)[0] - top)),
        -40 * tau,
        40 * tau,
        points=[mode],
        epsabs=0.0,
        epsrel=1e-13,
        limit=1000,
    )
    return float(np.log(val) + top)


def _graph_total(x: dict[str, np.ndarray], design: np.ndarray):
    """The sampled log-likelihood (sufficient statistics, quadrature for several censored
    terms) as a function of (beta, sigma, tau), with its gradient."""
    import pymc as pm
    import pytensor
    import pytensor.tensor as pt

    from ccmodels.models.datapack import DataPack

    beta, s, t = pt.dvector("beta"), pt.dscalar("sigma"), pt.dscalar("tau")
    with pm.Model():
        pack = DataPack()
        data = cn.censored_data(design, x["y"], x["cens"], x["case"], x["log_lo"], x["log_hi"])
        total = cn.loglik(beta, s, t, data, pack, "t")
        pack.finish()
    grad = pytensor.grad(total, [beta, s, t])
    return pytensor.function([beta, s, t], [total, *grad], mode="NUMBA")


def test_adaptive_quadrature_is_within_1e_6_nats_for_heavily_censored_cases():
    """Cases of up to 150 defendants, mostly or all censored, over residual and case scales
    from a sharp wall (sigma 0.2, tau 1.5) to a tight prior (sigma 1, tau 0.1): the integrated
    log-likelihood is within 1e-6 nats of scipy's case by case, the sampled total equals its
    sum, and the total's gradient matches finite differences of itself."""
    x = _heavy_cases()
    f = _graph_total(x, x["eta"][:, None])  # eta = x * beta at beta = 1
    one = np.array([1.0])
    for sigma, tau in [(0.3, 0.5), (0.2, 1.0), (0.2, 1.5), (1.0, 0.1)]:
        got = cn.per_case_loglik(x["eta"][None], np.array([sigma]), np.array([tau]), x)[0]
        want = np.array([_brute_case_loglik(x, k, sigma, tau) for k in range(got.size)])
        assert np.max(np.abs(got - want)) < 1e-6, (sigma, tau, got - want)
        total, _gb, gs, gt = f(one, sigma, tau)
        assert float(total) == pytest.approx(got.sum(), abs=1e-8)
        h = 1e-6
        fd = [
            (f(one, sigma + h, tau)[0] - f(one, sigma - h, tau)[0]) / (2 * h),
            (f(one, sigma, tau + h)[0] - f(one, sigma, tau - h)[0]) / (2 * h),
        ]
        np.testing.assert_allclose([gs, gt], fd, rtol=1e-5)


def test_censored_cases_are_cells_and_alike_terms_have_multiplicities():
    """Lone offenders censored alike are one cell with a count; co-defendants censored alike
    in one case are one term with a multiplicity; the total is still the sum over cases."""
    x = np.array([[1.0, 0.0]] * 3 + [[1.0, 1.0]] + [[1.0, 0.0]] * 3 + [[1.0, 1.0]] * 2)
    case = np.array([0, 1, 2, 3, 4, 4, 4, 4, 5])
    cens = np.array([1, 1, 0, 1, 1, 1, 0, 1, 0])
    y = np.array([3.0, 3.0, 2.5, 3.0, 3.0, 3.0, 2.0, 3.0, 2.2])
    log_lo, log_hi = np.zeros(9), np.full(9, 3.0)
    data = cn.censored_data(x, y, cens, case, log_lo, log_hi)
    arr = data.arrays
    assert sorted(arr["lone_w"].tolist()) == [1.0, 2.0]  # cases 0 and 1 alike, 3 apart
    assert arr["many_w"].tolist() == [2.0, 1.0]  # case 4: two alike, one apart
    assert arr["many_start"].tolist() == [0, 2]
    assert arr["o_m"].tolist() == [1.0]  # only case 4 has an uncensored term beside
    f = _graph_total({"y": y, "cens": cens, "case": case, "log_lo": log_lo, "log_hi": log_hi}, x)
    beta = np.array([2.6, 0.2])
    for sigma, tau in ((0.5, 0.3), (0.2, 1.2)):
        want = cn.per_case_loglik(
            (x @ beta)[None],
            np.array([sigma]),
            np.array([tau]),
            {"y": y, "cens": cens, "case": case, "log_lo": log_lo, "log_hi": log_hi},
        )
        assert float(f(beta, sigma, tau)[0]) == pytest.approx(want.sum(), abs=1e-8)


def test_sufficient_statistics_match_the_per_case_likelihood(population):
    """The sampled log-likelihood (sufficient statistics for uncensored cases) equals the sum
    of the per-case log-likelihood used for LOO, at random parameter values; its gradient in
    the coefficients matches finite differences."""
    m = SentenceModel()
    m.build(population.offenders)
    d = m.design
    assert d is not None and (d.extra["cens"] != 0).any()
    assert np.bincount(d.extra["case"][d.extra["cens"] != 0]).max() > 1  # several in a case
    rng = np.random.default_rng(2)
    x = d.x.matrix(d.coords)
    f = _graph_total(d.extra, x)
    bval = rng.normal(0, 0.3, x.shape[1])
    bval[0] = 3.3
    sigma, tau = 0.6, 0.35
    total, gb, _gs, _gt = f(bval, sigma, tau)
    per_case = cn.per_case_loglik((x @ bval)[None], np.array([sigma]), np.array([tau]), d.extra)
    assert float(total) == pytest.approx(per_case.sum(), rel=1e-10)
    h = 1e-6
    for j in rng.choice(x.shape[1], 4, replace=False):
        e = np.zeros(x.shape[1])
        e[j] = h
        fd = (f(bval + e, sigma, tau)[0] - f(bval - e, sigma, tau)[0]) / (2 * h)
        assert float(gb[j]) == pytest.approx(float(fd), rel=1e-5, abs=1e-6)


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


def test_student_t_likelihood_matches_scipy():
    """The Student-t log-likelihood: scipy's t density for uncensored terms, its CDF and
    survival function at the bound for censored ones."""
    from ccmodels.models.sentence import student_t_loglik

    rng = np.random.default_rng(5)
    n = 9
    eta = rng.normal(3, 0.4, n)
    y = eta + 0.5 * rng.standard_t(3, n)
    log_hi, log_lo = np.full(n, np.log(36.0)), np.zeros(n)
    cens = np.array([0, 0, 0, 0, 1, 0, -1, 1, 0])
    y = np.where(cens == 1, log_hi, np.where(cens == -1, log_lo, y))
    x = {"y": y, "cens": cens, "log_hi": log_hi, "log_lo": log_lo}
    got = float(student_t_loglik(eta, 0.5, 3.5, x).eval())
    want = np.where(
        cens == 0,
        stats.t.logpdf(y, 3.5, eta, 0.5),
        np.where(
            cens == 1, stats.t.logsf(log_hi, 3.5, eta, 0.5), stats.t.logcdf(log_lo, 3.5, eta, 0.5)
        ),
    ).sum()
    # PyMC's Student-t log-density carries a float32 constant: 3.2e-9 off per term.
    assert got == pytest.approx(want, abs=1e-8 * n)


def test_student_t_mean_matches_monte_carlo():
    """The predicted mean under Student-t noise (quantile nodes over the precision weight)
    against Monte Carlo, within 4 standard errors."""
    m = SentenceModel(effects={"likelihood": "student_t"})
    mu = np.array([[3.0, 4.2]])
    params = {
        "term_sigma": np.array([0.5]),
        "term_sigma_case": np.array([0.3]),
        "term_nu": np.array([3.0]),
    }
    lo, hi = np.array([1.0, 1.0]), np.array([36.0, 180.0])
    got = m._mean_from(mu, params, lo, hi)[0]
    rng = np.random.default_rng(6)
    k = 2_000_000
    z = mu[0][:, None] + 0.3 * rng.normal(size=(2, k)) + 0.5 * rng.standard_t(3.0, (2, k))
    draws = np.clip(np.exp(z), lo[:, None], hi[:, None])
    se = draws.std(1) / np.sqrt(k)
    assert np.all(np.abs(got - draws.mean(1)) < 4 * se), (got, draws.mean(1), se)


def test_student_t_fit_predicts_and_gives_pointwise_loglik(population):
    m = SentenceModel(effects={"likelihood": "student_t"})
    assert m.sampler["adaptation"] == "diag" and m.sampler["draws"] == 2000
    assert (
        SentenceModel(effects={"likelihood": "student_t"}, sampler={"draws": 300}).sampler["draws"]
        == 300
    )  # an explicit setting wins
    dt = m.fit(population.offenders, seed=2, loo=True, **FAST)
    assert "term_nu" in dt["posterior"] and "term_case_z" in dt["posterior"]
    ll = dt["log_likelihood"]["term_obs"]
    assert ll.sizes["row"] == len(m.design.rows) and np.isfinite(ll.values).all()
    pred = m.predict(population.offenders.head(30))
    lo, hi = law.term_bounds(population.offenders.head(30)["article"].astype(str).to_numpy())
    assert np.all((pred.values >= lo) & (pred.values <= hi))
    with pytest.raises(ModelConfigError, match="likelihood.*allowed: normal, student_t"):
        SentenceModel(effects={"likelihood": "cauchy"})


def test_prediction_rule_for_a_fresh_case_effect():
    x, logw = gh_rule()
    assert abs(np.exp(logw).sum() - 1) < 1e-13 and abs(np.exp(logw) @ x) < 1e-12


def _at_a_point(m, model, seed: int):
    """A random point of ``model`` (unconstrained values near the initial point): the values
    of every free variable and deterministic, and the Potential's value there."""
    rng = np.random.default_rng(seed)
    ip = model.initial_point()
    point = {k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in ip.items()}
    names = [v.name for v in model.free_RVs + model.deterministics]
    outs = model.replace_rvs_by_values([model[n] for n in names] + list(model.potentials))
    fn = model.compile_fn(outs, inputs=model.value_vars, on_unused_input="ignore")
    vals = fn(point)
    return {n: np.asarray(v)[None] for n, v in zip(names, vals, strict=False)}, float(vals[-1])


def _brute_logit_case(lp: np.ndarray, y: np.ndarray, share: np.ndarray, tau: float) -> float:
    """log ∫ N(u; 0, tau²) prod_j e^share_j sigmoid(s_j (lp_j + u)) du on a dense grid."""
    from scipy.special import logsumexp

    u = np.linspace(-12 * tau - 20, 12 * tau + 20, 400_001)
    s = np.where(y == 0, -1.0, 1.0)
    lg = stats.norm.logpdf(u, 0, tau) - np.logaddexp(0, -s[:, None] * (lp[:, None] + u)).sum(0)
    return float(logsumexp(lg) + np.log(u[1] - u[0]) + share.sum())


@pytest.mark.parametrize("kind", ["probation", "disposition"])
def test_logit_models_integrate_every_case_exactly(kind, population):
    """The Potential the sampler sees equals the sum over cases (lone offenders and
    co-defendants) of the case-effect integral done on a dense grid from the rows' own
    logits (computed by the NumPy predictor, not by the graph), and the per-case LOO values
    are those integrals."""
    from ccmodels.models.predictive import Draws

    m = ProbationModel() if kind == "probation" else DispositionModel()
    model = m.build(population.offenders)
    d = m.design
    values, potential = _at_a_point(m, model, seed=4)
    draws = Draws(values, d.coords)
    rng = np.random.default_rng(0)
    y = d.extra["y"]
    if kind == "probation":
        lp = m._logit(draws, d, rng)[0]
        share = np.zeros(len(y))
        tau = float(values["prob_sigma_case"][0])
    else:
        l_ex, l_fo = (v[0] for v in m._logits(draws, d, rng))
        l_fo = np.where(d.extra["fine_only_ok"], l_fo, -np.inf)
        lp = np.logaddexp(l_ex, l_fo)
        share = np.where(y == 1, l_ex - lp, np.where(y == 2, l_fo - lp, 0.0))
        tau = float(values["disp_sigma_case"][0])
    cases = m.structure(d)[2]
    want = np.array(
        [
            _brute_logit_case(lp[r], y[r], share[r], tau)
            for r in (np.flatnonzero(cases.row_case == k) for k in range(len(cases.case_ids)))
        ]
    )
    assert potential == pytest.approx(want.sum(), abs=1e-6 * len(want))
    # the LOO values, from the NumPy side of the model
    from ccmodels.models.likelihoods import logit_cells as lc

    sign = np.where(y == 0, -1.0, 1.0)
    if kind == "probation":
        lp_cell, lp_term = m._cell_logits(draws, d)
        loo = lc.per_case_loglik(cases, lp_cell, lp_term, sign, np.array([tau]))[0]
    else:
        parts = m._cell_logits(draws, d)
        loo = lc.per_case_loglik(cases, parts["cell"], parts["term"], sign, np.array([tau]))[0]
        loo += np.bincount(cases.row_case, weights=share, minlength=loo.size)
    np.testing.assert_allclose(loo, want, atol=1e-6)


def test_disposition_respects_the_law(fitted, population):
    m = fitted["disposition"]
    o = population.offenders
    p = m.predict(o)
    art = o["article"].astype(str).to_numpy()
    no_alone = ~law.fine_only_allowed(art)
    assert no_alone.any() and np.all(p["fine_only"].values[..., no_alone] == 0)
    total = p["custodial"] + p["exempt"] + p["fine_only"]
    np.testing.assert_allclose(total.values, 1.0, atol=1e-12)
    rep = m.predict(o, kind="predictive")
    assert np.all(rep["fine_only"].values[..., no_alone] == 0)
    assert set(np.unique(rep["exempt"].values)) <= {0.0, 1.0}
    t = m.share_by("fine_only", "year")
    assert ((t["lower"] <= t["mean"]) & (t["mean"] <= t["upper"])).all()
    with pytest.raises(ValueError, match="category must be one of"):
        m.share_by("prison")


def test_disposition_refuses_an_unlawful_fine_only_and_leaves_out_control(population):
    o = population.offenders.copy()
    i = int(np.flatnonzero(o["article"].astype(str).to_numpy() == "286")[0])
    bad = o.copy()
    bad["sentence_type"] = bad["sentence_type"].astype(str)
    bad.loc[i, ["sentence_type", "term_months", "probation", "probation_months"]] = [
        "fine_only",
        0.0,
        False,
        0.0,
    ]
    with pytest.raises(ValueError, match="fine_only"):
        DispositionModel().prepare(bad)
    ctl = o.copy()
    ctl["sentence_type"] = ctl["sentence_type"].astype(str)
    j = int(np.flatnonzero(ctl["article"].astype(str).to_numpy() == "286-1")[0])
    ctl.loc[j, ["sentence_type", "term_months", "probation", "probation_months"]] = [
        "control",
        0.0,
        False,
        0.0,
    ]
    with pytest.warns(UserWarning, match="control"):
        rows = DispositionModel().prepare(ctl)
    assert len(rows) == len(o) - 1


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


def test_pipeline_composes_the_four_models(fitted, population, tmp_path):
    paths = {k: fitted[k].save(tmp_path / f"{k}.nc") for k in fitted}
    pipe = SentencingPipeline(**paths)
    o = population.offenders
    sim = pipe.simulate(o, draws=60, seed=2)
    st_ = np.asarray(law.SENTENCE_TYPES, dtype=object)[sim["sentence_type"]]
    term = sim["term_months"]
    art = np.broadcast_to(o["article"].astype(str).to_numpy(), st_.shape)
    # the law holds in every drawn sentence
    np.testing.assert_array_equal(sim["fine_yuan"] > 0, law.fine_required(art, st_, term))
    assert np.all(term[np.isin(st_, ["exempt", "fine_only"])] == 0)
    assert np.all(term[st_ == "detention"] < 6) and np.all(term[st_ == "fixed_term"] >= 6)
    rec = np.broadcast_to(o["recidivist"].to_numpy(bool), st_.shape)
    assert not np.any(sim["probation"] & ~law.probation_eligible(st_, term, rec))
    out = pipe.predict(o, draws=60, seed=2)
    assert out["probation_share_by_year"].dims == ("draw", "year")
    tab = pipe.summary(out, "probation_share", "year", observed=o)
    assert list(tab.index) == sorted(o["year"].unique())
    assert ((tab["lower"] <= tab["mean"]) & (tab["mean"] <= tab["upper"])).all()
    obs = o.groupby("year")["probation"].mean()
    np.testing.assert_allclose(tab["observed"].to_numpy(), obs.to_numpy())
    # same seed, same numbers; fitted models or their files alike
    again = SentencingPipeline(**fitted).predict(o, draws=60, seed=2)
    xr.testing.assert_equal(out, again)
    with pytest.raises(PipelineError, match="disposition: got a fitted 'sentence' model"):
        SentencingPipeline(
            fitted["sentence"], fitted["sentence"], fitted["probation"], fitted["fine"]
        )
    with pytest.raises(PipelineError, match="draws must be a positive integer"):
        pipe.predict(o, draws=0)
    with pytest.raises(PipelineError, match="quantity must be one of"):
        pipe.summary(out, "prison")
