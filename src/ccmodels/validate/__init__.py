"""Checking models where the truth is known: parameter recovery."""

from ccmodels.validate.recovery import (
    aligned_truth,
    chance_coverage,
    recovery_table,
    truth_params,
)

__all__ = ["aligned_truth", "chance_coverage", "recovery_table", "truth_params"]
