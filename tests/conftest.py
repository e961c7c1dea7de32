"""Shared test configuration: the `slow` marker, deterministic hypothesis settings, and the tiny
fits made once per test run (by the first pytest-xdist worker that asks) and shared by the model,
projection and report tests: the four offender-level models and the three growth models."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock
from hypothesis import HealthCheck, settings

from ccmodels.models import (
    CaseVolumeModel,
    DispositionModel,
    FineModel,
    GroupSizeModel,
    ProbationModel,
    SentenceModel,
    ValueChainModel,
    load_fit,
)
from ccmodels.simulate import Scenario, simulate
from ccmodels.util import expected_warnings

#: a tiny fit: enough draws for plumbing and summaries, not for statistics
FAST = {"draws": 100, "tune": 150, "chains": 2, "progress": False}

settings.register_profile(
    "ci",
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", default=False, help="run slow tests")
    parser.addoption("--slow-only", action="store_true", default=False, help="only slow tests")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow-only"):
        skip_fast = pytest.mark.skip(reason="--slow-only given")
        for item in items:
            if "slow" not in item.keywords:
                item.add_marker(skip_fast)
        return
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: pass --runslow (or --slow-only) to run")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


@pytest.fixture(scope="session")
def population():
    """A population of the study's size (the cai2017 scenario, seed 3)."""
    return simulate(Scenario.default(), 3)


def _shared_fits(
    name: str,
    classes: tuple[type, ...],
    population: Any,
    seed: int,
    tmp_path_factory: pytest.TempPathFactory,
    **extra: Any,
) -> tuple[dict[str, Any], list[Path]]:
    """Fit ``classes`` to ``population`` once for the whole test run and save each fit.

    Under pytest-xdist the first worker to ask makes and saves the fits (under a lock, in the
    run's shared temporary folder) and every other worker loads the files, so a fit is made
    once however many workers use it. Set ``CCMODELS_TEST_LOAD_FITS=1`` to make even the first
    caller load its fits back from the files (what the other workers get)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    root = base / f"shared-{name}"
    files = [root / f"{cls.model_type}.nc" for cls in classes]
    with FileLock(str(root) + ".lock"):
        if not (root / "done").exists():
            root.mkdir(exist_ok=True)
            made = {}
            with expected_warnings():
                for cls, path in zip(classes, files, strict=True):
                    m = cls()
                    m.fit(population.offenders, seed=seed, **FAST, **extra)
                    m.save(path, overwrite=True)
                    made[cls.model_type] = m
            (root / "done").touch()
            if not os.environ.get("CCMODELS_TEST_LOAD_FITS"):
                return made, files
    return {cls.model_type: load_fit(f) for cls, f in zip(classes, files, strict=True)}, files


@pytest.fixture(scope="session")
def fitted(population, tmp_path_factory):
    """The four offender-level models fitted to ``population`` (seed 7, with LOO), by type;
    made once per test run (see :func:`_shared_fits`)."""
    classes = (SentenceModel, ProbationModel, FineModel, DispositionModel)
    return _shared_fits("outcome", classes, population, 7, tmp_path_factory, loo=True)[0]


@pytest.fixture(scope="session")
def growth_fits(population, tmp_path_factory):
    """The three growth models fitted to ``population`` (seed 5, with LOO) and their files;
    made once per test run (see :func:`_shared_fits`)."""
    classes = (CaseVolumeModel, GroupSizeModel, ValueChainModel)
    return _shared_fits("growth", classes, population, 5, tmp_path_factory, loo=True)


@pytest.fixture(scope="session")
def damped_fit(population, tmp_path_factory):
    """The file of a damped-trend case-volume fit to ``population`` (seed 6)."""
    m = CaseVolumeModel(effects={"year_damping": True})
    m.fit(population.offenders, seed=6, **FAST)
    return m.save(tmp_path_factory.mktemp("damped") / "case_volume_damped.nc")
