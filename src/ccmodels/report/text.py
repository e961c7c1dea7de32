"""Formatting for the report: numbers, percentages and intervals as text, tables from
frames, priors in words and the versions of the software that made a fit."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ccmodels.report.core import Table

__all__ = [
    "fixed",
    "fmt",
    "frame_json",
    "interval",
    "make_table",
    "pct",
    "prior_text",
    "software_versions",
]


def fmt(x: Any, digits: int = 3) -> str:
    """A number for a table cell: thousands separators, ``digits`` significant figures."""
    if x is None:
        return "–"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(v):
        return "–"
    if abs(v) >= 10 ** (digits - 1):
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def _int(x: Any) -> str:
    return "–" if x is None or not math.isfinite(float(x)) else f"{float(x):,.0f}"


def fixed(digits: int) -> Any:
    """A formatter with ``digits`` decimals and thousands separators."""

    def f(x: Any) -> str:
        if x is None or not math.isfinite(float(x)):
            return "–"
        return f"{float(x):,.{digits}f}"

    return f


def pct(x: Any, digits: int = 1) -> str:
    return "–" if x is None or not math.isfinite(float(x)) else f"{100 * float(x):.{digits}f}%"


def interval(lo: Any, hi: Any, f: Any = fmt) -> str:
    return f"{f(lo)} to {f(hi)}"


def frame_json(df: pd.DataFrame, cols: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Rows of a summary frame as ``{str(index): {col: value}}`` for ``summary.json``."""
    out: dict[str, dict[str, Any]] = {}
    for key, row in df.iterrows():
        out[str(key)] = {c: _num(row[c]) for c in cols if c in df.columns}
    return out


def _num(v: Any) -> Any:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    return f if math.isfinite(f) else None


def make_table(
    caption: str,
    columns: Iterable[str],
    rows: Iterable[Iterable[Any]],
    numeric: Iterable[bool],
    *,
    compact: bool = False,
) -> Table:
    """A :class:`Table` with every cell as a string."""
    return Table(
        caption,
        tuple(columns),
        tuple(tuple(str(c) for c in r) for r in rows),
        tuple(numeric),
        compact=compact,
    )


# ---------------------------------------------------------------------- data
def software_versions(dt: xr.DataTree) -> dict[str, str]:
    """Versions of the packages that made the fit, from the file's attributes."""
    post = dict(dt["posterior"].attrs)
    out = {"ccmodels": str(dt.attrs.get("ccmodels_version", "unknown"))}
    lib, libv = post.get("inference_library"), post.get("inference_library_version")
    pymc_v = None
    for g in ("constant_data", "observed_data", "log_likelihood"):
        if g in dt.children:
            a = dt[g].attrs
            if a.get("inference_library") == "pymc":
                pymc_v = a.get("inference_library_version")
                break
    if lib == "pymc":
        pymc_v = libv
    out["pymc"] = str(pymc_v or "unknown")
    if lib and lib != "pymc":
        out[str(lib)] = str(libv or "unknown")
    out["arviz"] = str(post.get("creation_library_version", "unknown"))
    return out


def prior_text(priors: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Priors as ``name ~ Dist(arg=value, ...)`` clauses, in config order."""
    parts = []
    for key, p in priors.items():
        kw = ", ".join(f"{k}={_arg(v)}" for k, v in (p.get("kwargs") or {}).items())
        parts.append(f"{names.get(key, key)} ~ {p.get('dist', '?')}({kw})")
    return "; ".join(parts)


def _arg(v: Any) -> str:
    if isinstance(v, Mapping) and "dist" in v:
        return prior_text({"": v}, {}).removeprefix(" ~ ")
    return f"{v:g}" if isinstance(v, float) else str(v)
