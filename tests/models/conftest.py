"""Tiny fits shared by the model tests (fitted once per session)."""

from __future__ import annotations

import pytest

from ccmodels.models import DispositionModel, FineModel, ProbationModel, SentenceModel
from ccmodels.simulate import Scenario, simulate
from ccmodels.util import expected_warnings

FAST = {"draws": 100, "tune": 150, "chains": 2, "progress": False}


@pytest.fixture(scope="session")
def population():
    return simulate(Scenario.default(), 3)


@pytest.fixture(scope="session")
def fitted(population):
    out = {}
    with expected_warnings():
        for cls in (SentenceModel, ProbationModel, FineModel, DispositionModel):
            m = cls()
            m.fit(population.offenders, seed=7, loo=True, **FAST)
            out[cls.model_type] = m
    return out
