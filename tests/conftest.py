"""Shared test configuration: the `slow` marker, deterministic hypothesis settings, and the tiny
fits of the four offender-level models, made once per session and shared by the model and report
tests."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from ccmodels.models import DispositionModel, FineModel, ProbationModel, SentenceModel
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


@pytest.fixture(scope="session")
def fitted(population):
    """The four offender-level models fitted to ``population`` (seed 7, with LOO), by type."""
    out = {}
    with expected_warnings():
        for cls in (SentenceModel, ProbationModel, FineModel, DispositionModel):
            m = cls()
            m.fit(population.offenders, seed=7, loo=True, **FAST)
            out[cls.model_type] = m
    return out
