"""Shared test configuration: the `slow` marker and deterministic hypothesis settings."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

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
