"""What validation reports: one :class:`Problem` per column and kind (rows, values, what is
allowed), the error that lists them all and the report of a validation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["DataValidationError", "Problem", "ValidationReport"]

_MAX_ROWS_SHOWN = 10


@dataclass(frozen=True)
class Problem:
    """One validation problem: which column, which rows, which values, and what is allowed."""

    column: str
    message: str
    rows: tuple[int, ...] = ()
    values: tuple[object, ...] = ()
    allowed: str = ""
    legal: bool = False  # a legal impossibility (droppable with on_illegal="drop")

    def __str__(self) -> str:
        parts = [f"column '{self.column}': {self.message}"]
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:_MAX_ROWS_SHOWN])
            more = f" (+{len(self.rows) - _MAX_ROWS_SHOWN} more)" if len(self.rows) > 10 else ""
            parts.append(f"rows {shown}{more}")
        if self.values:
            plain = [v.item() if isinstance(v, np.generic) else v for v in self.values]
            vals = ", ".join(repr(v) for v in list(dict.fromkeys(plain))[:_MAX_ROWS_SHOWN])
            parts.append(f"values {vals}")
        if self.allowed:
            parts.append(f"allowed: {self.allowed}")
        return "; ".join(parts)


class DataValidationError(ValueError):
    """Raised with every problem found in an offender table."""

    def __init__(self, problems: Sequence[Problem], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        where = f" in {source}" if source else ""
        lines = [f"{len(self.problems)} problem(s){where}:"]
        lines += [f"  - {p}" for p in self.problems]
        lines.append("Row numbers are 0-based positions in the table (header excluded).")
        super().__init__("\n".join(lines))

    @classmethod
    def of(cls, message: str, source: str | None = None) -> DataValidationError:
        """One problem, as a message."""
        return cls([message], source)  # type: ignore[list-item]


@dataclass
class ValidationReport:
    """What validation did: the cleaned table, the rows dropped for legal impossibilities and
    the legal anomalies kept (rows the law does not allow but courts do write, e.g. a missing
    required fine; row numbers are positions in the input table)."""

    data: pd.DataFrame
    dropped: pd.DataFrame = field(default_factory=pd.DataFrame)
    problems: list[Problem] = field(default_factory=list)
    anomalies: list[Problem] = field(default_factory=list)


def _rows(mask: np.ndarray | pd.Series) -> tuple[int, ...]:
    return tuple(int(i) for i in np.flatnonzero(np.asarray(mask, dtype=bool)))
