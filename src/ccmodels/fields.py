"""Scenario fields held by parameters with dims: the known breaks of the case volume (effect
per break, dim ``break``) and the correlation of the value chains' walks (dims ``value_chain``,
``value_chain_to``). Their covariates, coordinate labels and codecs (scenario field <-> truth
or draw) live here; :mod:`ccmodels.params` uses them and re-exports the public names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from ccmodels.data.schema import VALUE_CHAINS

__all__ = ["BREAK_SHIFTS", "FIELD_CODECS", "break_covariates", "break_label", "parse_break_label"]

#: the shifts a known break can make: of the log rate's level, or of its yearly drift
BREAK_SHIFTS = ("level", "drift")


def break_label(date: str, shift: str) -> str:
    """The ``break`` coordinate of a known break (``"2015-11-01 level"``)."""
    return f"{date} {shift}"


def parse_break_label(label: str) -> tuple[str, str]:
    date, _, shift = str(label).partition(" ")
    return date, shift


def break_covariates(
    years: Sequence[int] | np.ndarray, breaks: Sequence[tuple[str, str]]
) -> np.ndarray:
    """The (years, breaks) covariates of known breaks, each the average over calendar year
    ``t`` of its shift function at the break's date ``b`` (a decimal year):

    - ``level``: ``1[s >= b]``, so ``clip(t + 1 - b, 0, 1)``: the share of the year after ``b``;
    - ``drift``: ``max(s - b, 0)`` (years since ``b``), so ``(t + 1 - b)^2 / 2`` in the year of
      the break and ``t + 1/2 - b`` after it: the log rate's slope changes by the effect per year.

    A break's effect multiplies its covariate in the log rate. The same function serves the
    model graph, its predictions and the simulator."""
    yrs = np.asarray(years, dtype=float)
    out = np.zeros((len(yrs), len(breaks)))
    for j, (date, shift) in enumerate(breaks):
        day = np.datetime64(date, "D")
        y = int(str(day)[:4])
        start = np.datetime64(f"{y}-01-01", "D")
        length = (np.datetime64(f"{y + 1}-01-01", "D") - start).astype(int)
        b = y + (day - start).astype(int) / length
        after = np.clip(yrs + 1 - b, 0.0, 1.0)
        if shift == "level":
            out[:, j] = after
        elif shift == "drift":
            out[:, j] = np.where(yrs >= b, yrs + 0.5 - b, after**2 / 2)
        else:
            raise ValueError(f"unknown break shift {shift!r}; allowed: {', '.join(BREAK_SHIFTS)}")
    return out


def _breaks_to_truth(value: Any) -> xr.DataArray | None:
    if not value:
        return None
    labels = [break_label(str(b.date), b.shift) for b in value]
    return xr.DataArray([float(b.effect) for b in value], dims="break", coords={"break": labels})


def _breaks_from_draw(da: xr.DataArray) -> list[dict[str, Any]]:
    out = []
    for label, v in zip(da["break"].values, np.atleast_1d(da.values), strict=True):
        date, shift = parse_break_label(str(label))
        out.append({"date": date, "shift": shift, "effect": float(v)})
    return out


def _corr_to_truth(value: Any) -> xr.DataArray | None:
    if value is None:
        return None
    chains = list(VALUE_CHAINS)
    return xr.DataArray(
        np.asarray(value, dtype=float),
        dims=("value_chain", "value_chain_to"),
        coords={"value_chain": chains, "value_chain_to": chains},
    )


def _corr_from_draw(da: xr.DataArray) -> list[list[float]]:
    m = da.transpose("value_chain", "value_chain_to")
    rows = [str(v) for v in m["value_chain"].values]
    cols = [str(v) for v in m["value_chain_to"].values]
    vals = np.asarray(m.values, dtype=float)[
        np.ix_([rows.index(c) for c in VALUE_CHAINS], [cols.index(c) for c in VALUE_CHAINS])
    ]
    return ((vals + vals.T) / 2).tolist()


#: Scenario fields held by parameters with dims: (field -> truth DataArray, draw -> field)
FIELD_CODECS: dict[str, tuple[Any, Any]] = {
    "volume.breaks": (_breaks_to_truth, _breaks_from_draw),
    "chains.walk_corr": (_corr_to_truth, _corr_from_draw),
}
