"""Shared pieces of the growth models (group size, case volume, value-chain composition):
their base class (observations as data with a weight per row, so that a new series of the
same shape or a leave-future-out window reuses the compiled graph), bad-count checks and
per-year summaries of replicated counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from ccmodels.data import DataValidationError
from ccmodels.models.base import Model, ModelConfigError
from ccmodels.models.summaries import interval

__all__ = ["GrowthModel", "check_counts", "yearly_check"]


class GrowthModel(Model):
    """A growth model: its observations enter the graph as data, each row with a weight (1
    used, 0 held out), through :meth:`observe`."""

    #: Rows of years after this one stay in the model without their outcomes (weight 0 in
    #: the likelihood): leave-future-out fits every window on the graph of the full data,
    #: compiled once (:func:`ccmodels.validate.lfo`). None: every row is used.
    observed_until: int | None = None

    def fit(self, data: pd.DataFrame, **kwargs: Any) -> xr.DataTree:
        if self.observed_until is not None and kwargs.get("loo"):
            raise ModelConfigError(
                f"{self.model_type} model: observed_until = {self.observed_until} holds later "
                "years out, so their pointwise log-likelihood is not defined; fit with loo=False"
            )
        return super().fit(data, **kwargs)

    def observe(
        self,
        name: str,
        logp: Callable[..., Any],
        dist_params: list[Any],
        values: np.ndarray,
        rows: pd.DataFrame,
    ) -> None:
        """The likelihood term ``name``: ``weight * logp(value, *dist_params)`` per row, the
        integer ``values`` and the weights (see :attr:`observed_until`) packed as data."""
        obs = pt.cast(self.pack(f"{name}_values", np.asarray(values, np.int64)), "int64")
        years = rows["year"].to_numpy(int)
        w = np.ones(len(years)) if self.observed_until is None else years <= self.observed_until
        weight = self.pack(f"{name}_weight", np.asarray(w, float))

        def weighted(value: Any, *args: Any) -> Any:
            return args[-1] * logp(value, *args[:-1])

        pm.CustomDist(name, *dist_params, weight, logp=weighted, observed=obs, dims="row")


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
