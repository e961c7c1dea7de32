"""The convergence rule (ccmodels.models.convergence): thresholds and verdicts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import xarray as xr

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
        ({"maxdepth_share": [0.0, 0.9], "step_size": [0.3, 1e-300]}, "warn", "tree depth"),
        ({"maxdepth_share": [0.5, 0.2]}, "ok", None),  # exactly half: not more
        ({"maxdepth_share": None}, "ok", None),
    ],
)
def test_verdict_thresholds(change: dict[str, Any], verdict: str, remedy: str | None) -> None:
    c = _conv(**change)
    assert c.verdict == verdict
    if remedy is None:
        assert c.remedy is None and not c.problems
    else:
        assert c.remedy is not None and remedy in c.remedy


@pytest.mark.parametrize("name", ["maxdepth_reached", "reached_max_treedepth"])
def test_a_chain_stuck_at_the_maximum_tree_depth_is_named(name: str) -> None:
    """nutpie's and PyMC's names of the tree-depth flag: a chain whose every draw reached the
    maximum depth at step size 0 (as a chain stuck in warm-up does) is named with its share
    and step size; the other chains, which moved, are not."""
    rng = np.random.default_rng(0)
    chains, draws = 4, 400
    x = rng.normal(size=(chains, draws))
    x[2] = 0.7  # the stuck chain never moves
    at_max = np.zeros((chains, draws), bool)
    at_max[2] = True
    step = np.full((chains, draws), 0.25)
    step[2] = 0.0
    dt = xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset({"a": (("chain", "draw"), x)}),
            "sample_stats": xr.Dataset(
                {
                    name: (("chain", "draw"), at_max),
                    "step_size": (("chain", "draw"), step),
                    "diverging": (("chain", "draw"), np.zeros((chains, draws), bool)),
                }
            ),
        }
    )
    c = cv.convergence(dt)
    assert c.maxdepth_share == [0.0, 0.0, 1.0, 0.0]
    assert c.step_size == [0.25, 0.25, 0.0, 0.25]
    said = " ".join(c.problems)
    assert "chain 2: 100% of draws, step size 0" in said
    assert "chain 0" not in said and "chain 1" not in said
    assert c.verdict == "fail"  # and R-hat sees it too
    assert c.remedy is not None and "another seed" in c.remedy
