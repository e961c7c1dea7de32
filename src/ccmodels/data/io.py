"""Readers and writers for offender tables, and the case-level tables derived from them."""

from __future__ import annotations

import codecs
import io
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


#: Encodings tried, in order, when ``read_table`` is given ``encoding=None``.
DETECTED_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")
_TYPICAL_ENCODINGS = "utf-8, utf-8-sig, gb18030, gbk"
_FIX = (
    "re-save the file as UTF-8, or pass its encoding with encoding=... "
    f"(CLI: --encoding ENC), typically one of {_TYPICAL_ENCODINGS}"
)


def _where(raw: bytes, exc: UnicodeDecodeError) -> str:
    """Byte offset, line number and the offending bytes of a decoding failure."""
    line = raw.count(b"\n", 0, exc.start) + 1
    bad = raw[exc.start : min(exc.end, exc.start + 4)]
    return f"byte offset {exc.start}, line {line}, bytes {bad!r} ({exc.reason})"


def _check_codec(encoding: str) -> str:
    """The canonical name of a text codec; ``ValueError`` naming typical values otherwise."""
    try:  # decoding empty bytes skips the codec lookup, hence four NUL bytes
        b"\0\0\0\0".decode(encoding)
    except UnicodeError:
        pass
    except LookupError:  # unknown, or not a text codec (base64, rot13, ...)
        raise ValueError(
            f"unknown text encoding {encoding!r}; use a Python codec name, "
            f"typically one of {_TYPICAL_ENCODINGS} (omit it to detect UTF-8, then GB18030)"
        ) from None
    return codecs.lookup(encoding).name


def _decode(raw: bytes, path: Path, encoding: str | None) -> str:
    """Decode strictly with ``encoding``, or with the first of DETECTED_ENCODINGS that fits."""
    tried = DETECTED_ENCODINGS if encoding is None else (encoding,)
    failures: list[str] = []
    for enc in tried:
        try:
            text = raw.decode(enc, errors="strict")
        except UnicodeDecodeError as exc:
            failures.append(f"{enc} failed at {_where(raw, exc)}")
            continue
        return text[1:] if text.startswith("\ufeff") else text
    if encoding is None:
        msg = f"cannot decode the file as text: {' and '.join(failures)}; {_FIX}"
    else:
        msg = f"cannot decode the file with the given encoding: {failures[0]}; {_FIX}"
    raise DataValidationError([Problem("*", msg)], str(path))


def read_table(path: str | os.PathLike[str], encoding: str | None = None) -> pd.DataFrame:
    """Read an offender table from CSV or Parquet (chosen by extension).

    Parameters
    ----------
    path
        A ``.csv``, ``.parquet`` or ``.pq`` file.
    encoding
        Text encoding of a CSV: any Python codec name (typically ``"utf-8"``, ``"utf-8-sig"``,
        ``"gb18030"`` or ``"gbk"``), used as given. ``None`` (the default) detects it with a
        fixed two-step rule: the bytes are decoded strictly as ``utf-8-sig`` (UTF-8 with or
        without a byte order mark); if that fails, strictly as ``gb18030`` (a superset of GBK
        and GB2312, what Excel writes on Chinese systems); if that fails too, the error names
        the position where each attempt failed. No other encoding is guessed, so a file in,
        say, Big5 or Shift-JIS that happens to be valid GB18030 is read as GB18030: pass
        ``encoding`` for such files. A leading byte order mark never ends up in the first
        column name. Ignored for Parquet.

    Returns
    -------
    pandas.DataFrame
        The table as read (``case_id`` as strings); not yet validated, see
        :func:`ccmodels.data.validate`.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the extension is not supported, or ``encoding`` is not a known text codec.
    DataValidationError
        If the file cannot be decoded (the message names the byte offset, the line, the
        encodings tried and the fix) or cannot be parsed as a table.
    """
    p = Path(path)
    fmt = _format(p)
    if fmt == "csv" and encoding is not None:
        encoding = _check_codec(encoding)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    try:
        if fmt == "csv":
            text = _decode(p.read_bytes(), p, encoding)
            return pd.read_csv(io.StringIO(text), dtype={"case_id": "string"})
        return pd.read_parquet(p)
    except DataValidationError:
        raise
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
