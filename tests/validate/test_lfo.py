"""Leave-future-out cross-validation and stacking (:mod:`ccmodels.validate.lfo`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import special

from ccmodels.models import CaseVolumeModel, SentenceModel
from ccmodels.validate.lfo import compare_lfo, lfo, pseudo_bma_weights, stacking_weights


def _brute_weights(lpd: np.ndarray) -> np.ndarray:
    """Two models: the best weight on a grid of 20,001 points."""
    w = np.linspace(0.0, 1.0, 20_001)
    logw = np.log(np.maximum(np.stack([w, 1.0 - w]), 1e-300))  # (2, grid)
    obj = special.logsumexp(lpd[:, :, None] + logw[None, :, :], axis=1).sum(0)
    x = w[int(np.argmax(obj))]
    return np.array([x, 1.0 - x])


def test_stacking_weights_maximise_the_stacked_score():
    rng = np.random.default_rng(0)
    for _ in range(5):
        lpd = rng.normal(-3.0, 1.0, (12, 2))
        np.testing.assert_allclose(stacking_weights(lpd), _brute_weights(lpd), atol=2e-4)
    # one model better at every point takes (nearly) all the weight
    a = rng.normal(-3.0, 0.3, 10)
    w = stacking_weights(np.column_stack([a, a - 2.0, a - 3.0]))
    assert w[0] > 0.99 and np.isclose(w.sum(), 1.0)
    # two models, each far better on half the points: both kept, near half each
    lpd = np.array([[-1.0, -20.0]] * 5 + [[-20.0, -1.0]] * 5)
    np.testing.assert_allclose(stacking_weights(lpd), [0.5, 0.5], atol=1e-3)


def test_pseudo_bma_weights_carry_the_uncertainty_of_few_points():
    """Pseudo-BMA+ weights sum to 1, are equal for equal scores, go to one model that is far
    better at every point, stay near even where two points disagree slightly (where stacking
    puts nearly all the weight on one model), and a seed reproduces them."""
    rng = np.random.default_rng(1)
    lpd = rng.normal(-3.0, 1.0, (8, 3))
    w = pseudo_bma_weights(lpd, seed=2)
    assert np.isclose(w.sum(), 1.0) and (w > 0).all()
    np.testing.assert_array_equal(w, pseudo_bma_weights(lpd, seed=2))
    same = np.column_stack([lpd[:, 0], lpd[:, 0]])
    np.testing.assert_allclose(pseudo_bma_weights(same), [0.5, 0.5], atol=1e-12)
    far = np.column_stack([lpd[:, 0], lpd[:, 0] - 5.0])
    assert pseudo_bma_weights(far)[0] > 0.999
    close = np.array([[-5.0, -5.1], [-5.2, -5.15]])
    assert stacking_weights(close)[0] > 0.99
    assert abs(pseudo_bma_weights(close)[0] - 0.5) < 0.1


def test_lfo_refuses_bad_input():
    rows = pd.DataFrame({"year": [2012, 2013, 2014], "cases": [10, 12, 15]})
    with pytest.raises(ValueError, match="min_train must be an integer from 2 to 2"):
        lfo(CaseVolumeModel, rows, min_train=3)
    with pytest.raises(ValueError, match="columns 'year' and 'cases'"):
        lfo(CaseVolumeModel, rows.rename(columns={"cases": "n"}))
    with pytest.raises(ValueError, match="lfo scores case_volume, group_size, value_chain models"):
        lfo(SentenceModel, rows)


def _damped_series(seed: int, n: int = 9) -> pd.DataFrame:
    """Counts whose growth fades fast: drift 0.6, halving about every year and a half."""
    rng = np.random.default_rng(seed)
    steps = 0.6 * 0.6 ** np.arange(n - 1) + 0.05 * rng.normal(size=n - 1)
    mu = np.exp(np.log(60.0) + np.concatenate([[0.0], np.cumsum(steps)]))
    y = rng.poisson(rng.gamma(40.0, mu / 40.0))
    return pd.DataFrame({"year": np.arange(2012, 2012 + n), "cases": y})


@pytest.mark.slow
def test_lfo_prefers_the_damped_trend_on_series_whose_growth_fades():
    """On series from the damped family, leave-future-out prefers the damped trend to the
    constant drift on average over seeds, and stacking gives it most of the weight."""
    models = {
        "drift": CaseVolumeModel,
        "damped": lambda: CaseVolumeModel(effects={"year_damping": True}),
    }
    diffs, weights = [], []
    for seed in range(4):
        c = compare_lfo(models, _damped_series(seed), min_train=6, seed=seed, progress=False)
        diffs.append(c.loc["damped", "elpd_lfo"] - c.loc["drift", "elpd_lfo"])
        weights.append(c.loc["damped", "weight"])
    assert np.mean(diffs) > 0, diffs
    assert np.mean(weights) > 0.5, weights


def test_cli_lfo_writes_the_comparison_and_refuses_bad_input(tmp_path):
    from pathlib import Path

    from typer.testing import CliRunner

    from ccmodels.cli import app

    runner = CliRunner()
    specs = Path(__file__).resolve().parents[2] / "models"
    rows = tmp_path / "yearly.csv"
    pd.DataFrame({"year": [2012, 2013, 2014, 2015], "cases": [20, 31, 45, 60]}).to_csv(
        rows, index=False
    )
    out = tmp_path / "lfo.csv"
    base = ["lfo", str(specs / "case_volume.toml"), "--data", str(rows), "--out", str(out)]
    r = runner.invoke(app, [*base, "--min-train", "3", "--draws", "200", "--no-progress"])
    assert r.exit_code == 0, r.output
    got = pd.read_csv(out, index_col=0)
    assert list(got.index) == ["case_volume"]
    assert got.loc["case_volume", "weight"] == 1.0 and np.isfinite(got["elpd_lfo"]).all()
    assert got.loc["case_volume", "bb_weight"] == 1.0
    r = runner.invoke(app, [*base, "--min-train", "3"])
    assert r.exit_code == 2 and "--force" in r.output
    bad = ["lfo", str(specs / "sentence.toml"), "--data", str(rows), "--force", "--out"]
    r = runner.invoke(app, [*bad, str(tmp_path / "x.csv")])
    assert (
        r.exit_code == 1 and "lfo compares case_volume, group_size, value_chain models" in r.output
    )
    r = runner.invoke(app, [*base, "--force", "--min-train", "4"])
    assert r.exit_code == 1 and "min_train must be an integer from 2 to 3" in r.output
    same = [*base[:2], str(specs / "case_volume.toml"), *base[2:], "--force"]
    r = runner.invoke(app, same)
    assert r.exit_code == 2 and "distinct names" in r.output
    assert not (tmp_path / "x.csv").exists()


def test_held_out_years_do_not_touch_the_fit():
    """With observed_until, the later counts have weight 0: changing them leaves the draws
    identical (same seed, same graph); LOO is refused; a window's fit reuses the compiled
    graph of the full fit."""
    from ccmodels.models import ModelConfigError
    from ccmodels.util import expected_warnings

    rows = pd.DataFrame({"year": np.arange(2012, 2018), "cases": [20, 31, 45, 60, 71, 90]})
    fast = {"draws": 100, "tune": 150, "chains": 2, "progress": False}
    posts = []
    for late in ([71, 90], [500, 3]):
        m = CaseVolumeModel()
        m.observed_until = 2015
        with expected_warnings():
            m.fit(rows.assign(cases=[20, 31, 45, 60, *late]), seed=4, **fast)
        if posts:  # the second window's fit reuses the first one's graph
            assert m.idata["sample_stats"].attrs["compiled_reused"] == 1
        posts.append(m.idata["posterior"].to_dataset())
    xr.testing.assert_equal(posts[0], posts[1])  # values and coords (not timing attrs)
    full = CaseVolumeModel()
    with expected_warnings():
        full.fit(rows, seed=4, **fast)
    assert full.idata["sample_stats"].attrs["compiled_reused"] == 1
    assert not np.allclose(
        full.idata["posterior"]["volume_intercept"].values, posts[0]["volume_intercept"].values
    )
    m = CaseVolumeModel()
    m.observed_until = 2015
    with pytest.raises(ModelConfigError, match="observed_until = 2015 holds later years out"):
        m.fit(rows, loo=True)
