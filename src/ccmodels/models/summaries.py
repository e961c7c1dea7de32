"""Tidy summaries of posterior draws: grouped means with intervals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ccmodels.data.schema import CHAIN_COLUMNS, VALUE_CHAINS

__all__ = ["group_summary", "interval"]


def interval(draws: np.ndarray, prob: float = 0.95) -> tuple[float, float]:
    """Central (equal-tailed) interval of a 1-d array of draws."""
    lo, hi = np.quantile(draws, [(1 - prob) / 2, 1 - (1 - prob) / 2])
    return float(lo), float(hi)


def group_summary(
    e: np.ndarray,
    rows: pd.DataFrame,
    observed: np.ndarray | None,
    by: str,
    prob: float = 0.95,
) -> pd.DataFrame:
    """Average draws ``e`` (samples, rows) within groups of rows; one line per group.

    ``by`` is ``"year"``, ``"value_chain"`` (rows with each chain; chains overlap), ``"all"``
    or any column of ``rows``. Columns: n, mean, median, lower, upper (central ``prob``
    interval) and the observed mean of ``observed`` in the group.
    """
    groups: list[tuple[Any, np.ndarray]]
    if by == "year":
        yr = rows["year"].to_numpy(int)
        groups = [(int(y), yr == y) for y in np.unique(yr)]
    elif by == "value_chain":
        groups = [
            (c, rows[col].to_numpy(bool))
            for c, col in zip(VALUE_CHAINS, CHAIN_COLUMNS, strict=True)
        ]
    elif by == "all":
        groups = [("all", np.ones(len(rows), bool))]
    elif by in rows.columns:
        v = rows[by].to_numpy()
        groups = [(k, v == k) for k in pd.unique(v)]
    else:
        raise ValueError(f"cannot group by {by!r}: use 'year', 'value_chain', 'all' or a column")
    groups = [(k, m) for k, m in groups if m.any()]
    if not groups:
        return pd.DataFrame(columns=[by, "n", "mean", "median", "lower", "upper"]).set_index(by)
    # all group means in one product: (samples, rows) @ (rows, groups) of averaging weights
    w = np.stack([m / m.sum() for _, m in groups], axis=1)
    means = np.asarray(e, dtype=float) @ w
    out = []
    for j, (key, m) in enumerate(groups):
        g = means[:, j]
        lo, hi = interval(g, prob)
        rec = {
            by: key,
            "n": int(m.sum()),
            "mean": float(g.mean()),
            "median": float(np.median(g)),
            "lower": lo,
            "upper": hi,
        }
        if observed is not None:
            rec["observed"] = float(np.mean(observed[m]))
        out.append(rec)
    return pd.DataFrame(out).set_index(by)
