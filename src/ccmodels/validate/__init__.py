"""Checking models: parameter recovery where the truth is known, and leave-future-out
cross-validation with stacking for the yearly count models."""

from ccmodels.validate.lfo import LFOResult, compare_lfo, lfo, stacking_weights
from ccmodels.validate.recovery import (
    aligned_truth,
    chance_coverage,
    recovery_table,
    truth_params,
)

__all__ = [
    "LFOResult",
    "aligned_truth",
    "chance_coverage",
    "compare_lfo",
    "lfo",
    "recovery_table",
    "stacking_weights",
    "truth_params",
]
