"""The samplers: same seed, same draws (warm or cold compile cache); PyMC's NUTS and numpyro."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from ccmodels.models import (
    ModelConfigError,
    ProbationModel,
    SentenceModel,
)

FAST = {"draws": 100, "tune": 150, "chains": 2, "progress": False}


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
