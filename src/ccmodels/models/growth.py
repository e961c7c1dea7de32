"""Shared pieces of the growth models (group size, case volume, value-chain composition):
bad-count checks and per-year summaries of replicated counts."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ccmodels.data import DataValidationError
from ccmodels.models.summaries import interval

__all__ = ["check_counts", "yearly_check"]


def check_counts(rows: pd.DataFrame, column: str, minimum: int, what: str) -> None:
    """Counts must be integers >= ``minimum``: else one error naming the column and rows."""
    v = pd.to_numeric(rows[column], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(v) | (v < minimum) | (v != np.round(v))
    if bad.any():
        where = rows.index[bad][:10].tolist()
        raise DataValidationError.of(
            f"column {column!r}: {what} must be whole numbers >= {minimum}; "
            f"rows {where} hold {rows[column][bad].head(10).tolist()}"
        )


def yearly_check(
    rep: np.ndarray,
    observed: np.ndarray,
    year: np.ndarray,
    stat: Callable[[np.ndarray], np.ndarray],
    name: str,
    prob: float = 0.9,
) -> pd.DataFrame:
    """A posterior predictive check by year: ``stat`` (over the rows of one year, applied to
    each replicate (samples, rows) along axis 1) of the replicates against the observed value,
    with the central ``prob`` interval and the share of replicates at or above it."""
    out = []
    for y in np.unique(year):
        m = year == y
        r = stat(rep[:, m])
        o = float(stat(observed[None, m])[0])
        lo, hi = interval(r, prob)
        out.append(
            {
                "year": int(y),
                f"observed_{name}": o,
                "mean": float(r.mean()),
                "lower": lo,
                "upper": hi,
                "p_at_least_observed": float(np.mean(r >= o)),
            }
        )
    return pd.DataFrame(out).set_index("year")
