"""Published figures a user gives as context for a projection: a small TOML file of
``[[figure]]`` entries (quantity, year or a period, value, source), drawn beside the projected
intervals in the report. They are context, not data: nothing is fitted to them.

Example (the demo's, ``ccmodels/resources/published_cai2017.toml``)::

    [[figure]]
    quantity = "max_group_size"     # cases, offenders, mean_group_size, max_group_size,
    year = 2016                     #   share_3plus
    value = 78
    source = "Cai et al., ICCCF 2017, reported by ZDNet (Aug 2017)"

    [[figure]]
    quantity = "mean_group_size"
    years = [2017, 2021]            # a value over a period (e.g. its yearly mean)
    value = 2.34
    source = "China Judicial Big Data Institute (2022)"
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = ["PUBLISHED_QUANTITIES", "PublishedFigure", "PublishedFigureError", "read_published"]

#: the projected quantities a published figure may give
PUBLISHED_QUANTITIES = ("cases", "offenders", "mean_group_size", "max_group_size", "share_3plus")


class PublishedFigureError(ValueError):
    """A published-figures file that cannot be used; the message names the file, the entry
    and the field."""


class PublishedFigure(BaseModel):
    """One published value: ``quantity`` in ``first``-``last`` (one year when equal)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    quantity: Literal["cases", "offenders", "mean_group_size", "max_group_size", "share_3plus"]
    year: int | None = None
    years: tuple[int, int] | None = None
    value: float = Field(ge=0, allow_inf_nan=False)
    source: str = Field(pattern=r"\S")
    note: str = ""

    @model_validator(mode="after")
    def _span(self) -> PublishedFigure:
        if (self.year is None) == (self.years is None):
            raise ValueError("give year (one year) or years = [first, last] (a period), not both")
        if self.years is not None and self.years[0] > self.years[1]:
            raise ValueError(f"years {list(self.years)}: the first year is after the last")
        return self

    @property
    def first(self) -> int:
        return int(self.year if self.year is not None else self.years[0])  # type: ignore[index]

    @property
    def last(self) -> int:
        return int(self.year if self.year is not None else self.years[1])  # type: ignore[index]

    @property
    def span(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"


def read_published(path: str | os.PathLike[str]) -> tuple[PublishedFigure, ...]:
    """The figures of a published-figures TOML file, every problem reported at once."""
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PublishedFigureError(f"{p}: no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PublishedFigureError(f"{p}: not a TOML file: {exc}") from None
    extra = sorted(set(raw) - {"figure"})
    entries = raw.get("figure")
    problems = [f"unknown top-level key(s) {extra}; allowed: [[figure]] entries"] if extra else []
    if not isinstance(entries, list) or not entries:
        problems.append("no [[figure]] entries")
        entries = []
    out = []
    for i, entry in enumerate(entries, start=1):
        try:
            out.append(PublishedFigure.model_validate(entry))
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(x) for x in err["loc"]) or "entry"
                msg = err["msg"].removeprefix("Value error, ")
                if err["type"] == "string_pattern_mismatch":
                    msg = "empty: say where the figure was published"
                elif err["type"] == "literal_error":
                    msg = f"{err['input']!r} is not one of {', '.join(PUBLISHED_QUANTITIES)}"
                problems.append(f"figure {i}: {field}: {msg}")
    if problems:
        raise PublishedFigureError(
            f"{p}: {len(problems)} problem(s):\n" + "\n".join(f"  - {x}" for x in problems)
        )
    return tuple(out)
