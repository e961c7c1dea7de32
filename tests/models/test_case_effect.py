"""The rule for a fresh case effect in predictions."""

from __future__ import annotations

import numpy as np

from ccmodels.models.case_effect import gh_rule


def test_prediction_rule_for_a_fresh_case_effect():
    x, logw = gh_rule()
    assert abs(np.exp(logw).sum() - 1) < 1e-13 and abs(np.exp(logw) @ x) < 1e-12
