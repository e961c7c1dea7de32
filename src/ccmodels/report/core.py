"""The pieces a report is made of, the fit context, and the model-type registry.

A report is a list of :class:`ModelReport` (one per fit), each a list of :class:`Section`
holding paragraphs, tables and figures, plus the fit's entry of ``summary.json``. Which
sections a fit gets is decided by the builder registered for its ``model_type``
(:func:`register`): the outcome models (sentence, probation, fine) share one builder in
:mod:`ccmodels.report.outcome`; a later model type (group size, case volume, projections)
registers its own and reuses the generic sections of :mod:`ccmodels.report.sections`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import xarray as xr
from matplotlib.figure import Figure as MplFigure

from ccmodels.models.convergence import Verdict
from ccmodels.models.persistence import derived_table, fitted_rows

__all__ = [
    "BUILDERS",
    "FigureRef",
    "FitContext",
    "ModelReport",
    "Paragraph",
    "Section",
    "Table",
    "register",
]


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of plain text; ``style`` is ``"text"``, ``"note"``, ``"ok"``, ``"warn"``,
    ``"fail"`` (a verdict box) or ``"methods"`` (a paragraph meant to be copied)."""

    text: str
    style: str = "text"
    items: tuple[str, ...] = ()  # an optional bullet list under the text
    kind: ClassVar[str] = "paragraph"


@dataclass(frozen=True)
class Table:
    """A table of preformatted cells; ``numeric`` flags right-aligned columns."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()
    note: str = ""
    compact: bool = False  # small table: set side by side with its compact neighbours
    kind: ClassVar[str] = "table"


@dataclass(frozen=True)
class FigureRef:
    """A figure rendered to PNG: ``name`` is the file stem under ``figures/``."""

    name: str
    title: str
    caption: str
    png: bytes
    kind: ClassVar[str] = "figure"

    @property
    def filename(self) -> str:
        return f"{self.name}.png"


Block = Paragraph | Table | FigureRef


@dataclass
class Section:
    """One section of a model's report; ``kind`` is its type (``data``, ``convergence``...),
    ``id`` the HTML anchor (``{label}-{kind}``)."""

    id: str
    kind: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    verdict: Verdict | None = None

    @property
    def figures(self) -> list[FigureRef]:
        return [b for b in self.blocks if isinstance(b, FigureRef)]


@dataclass
class ModelReport:
    """A fit's sections and its entry of ``summary.json``."""

    label: str
    model_type: str
    title: str
    source: str
    sections: list[Section]
    summary: dict[str, Any]

    @property
    def verdict(self) -> Verdict | None:
        v = self.summary.get("verdict")
        return v if v in ("ok", "warn", "fail") else None

    @property
    def figures(self) -> list[FigureRef]:
        return [f for s in self.sections for f in s.figures]


@dataclass
class FitContext:
    """What a section builder gets: a fit's DataTree (checked) and its fitted rows.

    Builders read the fit file only (its groups and derived tables, :meth:`table`): nothing is
    refitted, recomputed with the model or sampled. ``label`` is unique within the report
    (``sentence``, ``sentence-2``...) and prefixes section ids and figure names. Figures are
    rendered and closed by :meth:`figure`.
    """

    idata: xr.DataTree
    label: str
    source: str
    rows: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        self.rows = fitted_rows(self.idata)

    def table(self, name: str) -> pd.DataFrame:
        """One of the fit's derived tables (made at fit time)."""
        return derived_table(self.idata, name)

    @property
    def description(self) -> str:
        """The model's unit of analysis, in words."""
        return str(self.idata.attrs.get("description", self.model_type))

    @property
    def model_type(self) -> str:
        return str(self.idata.attrs["model_type"])

    @property
    def config(self) -> dict[str, Any]:
        return dict(json.loads(self.idata.attrs["config_json"]))

    @property
    def seed(self) -> int:
        return int(self.idata.attrs.get("seed", 0))

    def section_id(self, kind: str) -> str:
        return f"{self.label}-{kind}"

    def figure(self, name: str, fig: MplFigure, title: str, caption: str) -> FigureRef:
        """Render ``fig`` to PNG, close it and return the reference (``{label}_{name}``)."""
        from ccmodels.report.figures import to_png

        return FigureRef(_slug(f"{self.label}_{name}"), title, caption, to_png(fig))


ModelBuilder = Callable[[FitContext], ModelReport]

#: model_type -> function building that model's report (see :func:`register`).
BUILDERS: dict[str, ModelBuilder] = {}


def register(model_type: str) -> Callable[[ModelBuilder], ModelBuilder]:
    """Register the report builder of a model type (decorator).

    Examples
    --------
    >>> from ccmodels.report import register
    >>> @register("group_size")                       # doctest: +SKIP
    ... def group_size_report(ctx): ...
    """

    def deco(fn: ModelBuilder) -> ModelBuilder:
        BUILDERS[model_type] = fn
        return fn

    return deco


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-").lower()


def source_name(path: str | Path | None) -> str:
    return "fitted in this session" if path is None else str(path)
