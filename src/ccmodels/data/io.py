"""Readers and writers for offender tables, and the case-level tables derived from them."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from ccmodels.data.schema import CHAIN_COLUMNS, DataValidationError, Problem

__all__ = ["case_table", "read_table", "write_table", "yearly_counts"]

_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def _format(path: Path) -> str:
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: unsupported file type {path.suffix!r}; use .csv or .parquet")
    return fmt


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read an offender table from CSV or Parquet (chosen by extension).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    DataValidationError
        If the file cannot be parsed as a table.
    """
    p = Path(path)
    fmt = _format(p)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    try:
        if fmt == "csv":
            return pd.read_csv(p, dtype={"case_id": "string"})
        return pd.read_parquet(p)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise DataValidationError([Problem("*", f"cannot read the file: {exc}")], str(p)) from exc


def write_table(df: pd.DataFrame, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write a table atomically (temporary file, then rename); refuse to overwrite unless asked."""
    p = Path(path)
    fmt = _format(p)
    if p.exists() and not overwrite:
        raise FileExistsError(f"{p} exists; pass overwrite=True (CLI: --force) to replace it")
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, suffix=p.suffix + ".tmp")
    os.close(fd)
    try:
        if fmt == "csv":
            df.to_csv(tmp, index=False)
        else:
            df.to_parquet(tmp, index=False)
        os.replace(tmp, p)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return p


def case_table(offenders: pd.DataFrame) -> pd.DataFrame:
    """One row per case: year, value chains, target and group size (defendants per case)."""
    cols = ["year", *[c for c in CHAIN_COLUMNS if c in offenders], "target"]
    cols = [c for c in cols if c in offenders.columns]
    g = offenders.groupby("case_id", sort=False, observed=True)
    cases = g[cols].first()
    cases["n_defendants"] = g.size()
    return cases.reset_index()


def yearly_counts(offenders: pd.DataFrame) -> pd.DataFrame:
    """Cases, offenders, mean and maximum group size per year."""
    cases = case_table(offenders)
    out = cases.groupby("year").agg(
        cases=("case_id", "size"),
        offenders=("n_defendants", "sum"),
        mean_group_size=("n_defendants", "mean"),
        max_group_size=("n_defendants", "max"),
    )
    return out.reset_index()
