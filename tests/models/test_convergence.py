"""The convergence rule (ccmodels.models.convergence): thresholds and verdicts."""

from __future__ import annotations

from typing import Any

import pytest

from ccmodels.models import convergence as cv


def _conv(**kw: Any) -> cv.Convergence:
    base: dict[str, Any] = {
        "rhat_max": 1.002,
        "ess_bulk_min": 900.0,
        "ess_tail_min": 800.0,
        "divergences": 0,
        "n_draws": 4000,
        "ebfmi": [0.9, 1.0],
        "worst_rhat": "a",
        "worst_ess": "b",
    }
    c = cv.Convergence(**(base | kw))
    ess = [v for v in (c.ess_bulk_min, c.ess_tail_min) if v is not None]
    cv._judge(c, min(ess) if ess else None)
    return c


@pytest.mark.parametrize(
    ("change", "verdict", "remedy"),
    [
        ({}, "ok", None),
        ({"rhat_max": 1.01}, "warn", "run longer chains"),
        ({"rhat_max": 1.051}, "fail", "run longer chains"),
        ({"ess_bulk_min": 399.0}, "warn", "increase tune/draws"),
        ({"ess_tail_min": 99.0}, "fail", "increase tune/draws"),
        ({"divergences": 1}, "warn", "raise target_accept"),
        ({"divergences": 40}, "warn", "raise target_accept"),  # exactly 1%: not more
        ({"divergences": 41}, "fail", "raise target_accept"),
        ({"ebfmi": [0.9, 0.3]}, "warn", "E-BFMI"),
        ({"ebfmi": None}, "ok", None),
    ],
)
def test_verdict_thresholds(change: dict[str, Any], verdict: str, remedy: str | None) -> None:
    c = _conv(**change)
    assert c.verdict == verdict
    if remedy is None:
        assert c.remedy is None and not c.problems
    else:
        assert c.remedy is not None and remedy in c.remedy
