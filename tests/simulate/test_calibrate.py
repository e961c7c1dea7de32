from __future__ import annotations

import json

import pytest

from ccmodels.simulate import Scenario, calibrate


def test_cai2017_targets_pass_at_moderate_replicates():
    res = calibrate(Scenario.default(), replicates=60, seed=0, progress=False)
    failed = [t.name for t in res.targets if not t.passed]
    assert not failed, str(res)
    names = {t["name"] for t in json.loads(res.to_json())["targets"]}
    assert {"total_cases", "mean_term_2012", "max_group_2016", "probation_share"} <= names


def test_a_miscalibrated_scenario_fails_the_right_targets():
    sc = Scenario.default().replace(sentence={"intercept": 3.0})
    res = calibrate(sc, replicates=20, seed=0, progress=False)
    failed = {t.name for t in res.targets if not t.passed}
    assert "mean_term_2012" in failed and "total_cases" not in failed
    assert not res.passed


def test_calibrate_needs_targets_and_replicates():
    sc = Scenario.default()
    with pytest.raises(ValueError, match="replicates"):
        calibrate(sc, replicates=1)
    with pytest.raises(ValueError, match="no \\[targets\\]"):
        calibrate(sc.replace(targets={}), replicates=5)
