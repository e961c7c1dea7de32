"""``build``: fits in, a report directory out (index.html, summary.json, figures/*.png)."""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ccmodels import __version__
from ccmodels.models.persistence import fit_tree
from ccmodels.report.core import BUILDERS, FitContext, ModelReport
from ccmodels.report.diagnostics import THRESHOLDS
from ccmodels.report.html import render
from ccmodels.util import worker_count, worker_pool

__all__ = ["ReportResult", "build"]

#: a fitted model (anything with a fitted ``idata``), its DataTree, or a fit file
FitLike = Any
ENV_PACKAGES = ("ccmodels", "pymc", "nutpie", "arviz", "arviz-stats", "arviz-plots", "matplotlib")


@dataclass(frozen=True)
class ReportResult:
    """What :func:`build` wrote.

    Attributes
    ----------
    out_dir : pathlib.Path
        The report directory.
    index_html, summary_json : pathlib.Path
        The page and the JSON summary.
    figures : tuple of pathlib.Path
        The PNG figures (``out_dir/figures/*.png``), in page order.
    summary : dict
        The content of ``summary.json``.
    sections : tuple of str
        HTML ids of the sections, in page order (``{label}-{kind}``, e.g. ``sentence-loo``).
    verdicts : dict
        Convergence verdict (``"ok"``, ``"warn"`` or ``"fail"``) by model label.
    seconds : float
        Wall time of the build.
    """

    out_dir: Path
    index_html: Path
    summary_json: Path
    figures: tuple[Path, ...]
    summary: dict[str, Any]
    sections: tuple[str, ...]
    verdicts: dict[str, str]
    seconds: float

    @property
    def ok(self) -> bool:
        """True when every fit's convergence verdict is ``"ok"``."""
        return all(v == "ok" for v in self.verdicts.values())


def build(
    fits: FitLike | Sequence[FitLike],
    out_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    title: str | None = None,
    projection: str | os.PathLike[str] | xr.Dataset | None = None,
    comparison: str | os.PathLike[str] | pd.DataFrame | None = None,
    published: str | os.PathLike[str] | None = None,
    workers: int = 1,
) -> ReportResult:
    """Write the posterior report of one or more fits.

    Parameters
    ----------
    fits : fitted model, DataTree or path, or a sequence of them
        Fitted models (``SentenceModel`` etc. after ``fit`` or ``load``), their DataTrees,
        or paths to fits saved with ``save`` (``.nc``; loaded without refitting).
    out_dir : path
        Directory to create: ``index.html`` (self-contained: figures embedded as base64 PNG,
        inline CSS, no external references), ``summary.json`` and ``figures/*.png``.
    overwrite : bool
        Replace ``out_dir`` if it exists. Otherwise an existing ``out_dir`` is an error.
    title : str, optional
        Page title; default names the model types.
    projection : path or xarray.Dataset, optional
        A projection (``ccmodels project``'s file or :func:`ccmodels.project.project`'s
        Dataset): a section of fan charts by year, after the fits' sections.
    comparison : path or DataFrame, optional
        A leave-future-out comparison of trend families (``ccmodels lfo``'s CSV or
        :func:`ccmodels.validate.compare_lfo`'s table), shown with the projection.
    published : path, optional
        Published figures (TOML, see :mod:`ccmodels.report.published`) drawn beside the
        projection as context.
    workers : int, default 1
        Processes building the fits' parts at once (each reads its fit file and draws its
        figures). Used when the fits are given as files and every model type has a built-in
        builder; otherwise, and with ``workers=1``, the parts are built here one by one. The
        report is the same either way. The workers are spawned processes, which import the
        calling script again: from a script, call ``build`` with ``workers > 1`` under
        ``if __name__ == "__main__":``.

    Returns
    -------
    ReportResult

    Raises
    ------
    FileExistsError
        If ``out_dir`` exists and ``overwrite`` is false, or it is a file.
    ValueError
        If no fit is given, a model is not fitted, no report builder is registered for
        its model type, or ``workers`` is below 1.

    Notes
    -----
    The report is written to a temporary sibling directory that is renamed to ``out_dir`` at
    the end, so an error leaves nothing partial behind. A fit without a log-likelihood has LOO
    left out: its LOO section says so, with the remedy (fit with ``loo=True``). The report
    reads only the fit (posterior, sample stats, its prior and predictive replicates and the
    derived tables made at fit time): it samples and refits nothing and needs no PyMC, so a
    report rebuilt from the saved files has the same numbers as one built from the live fits.

    Examples
    --------
    >>> from ccmodels.report import build
    >>> res = build(["fits/sentence.nc", "fits/probation.nc"], "report")  # doctest: +SKIP
    >>> res.verdicts                                                    # doctest: +SKIP
    {'sentence': 'ok', 'probation': 'ok'}
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    _check_target(out, overwrite)
    items = _as_list(fits)
    if not items:
        raise ValueError("no fits given: pass fitted models or paths to saved fits (.nc)")
    if projection is None and (comparison is not None or published is not None):
        raise ValueError("comparison and published figures are shown with a projection: give one")
    workers = worker_count(workers)
    extras = _projection_part(projection, comparison, published)
    labels = _file_labels(items) if workers > 1 and len(items) > 1 else None
    if labels is None:
        reports: list[ModelReport] = [BUILDERS[c.model_type](c) for c in _contexts(items)]
    else:
        with worker_pool(min(workers, len(items))) as pool:
            reports = list(pool.map(_file_part, [str(p) for p in items], labels))
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    page_title = title or "Posterior report: " + ", ".join(r.label for r in reports)
    summary = {
        "title": page_title,
        "created": created,
        "ccmodels_version": __version__,
        "thresholds": dict(THRESHOLDS),
        "models": [jsonable(r.summary) for r in reports],
    }
    if extras:
        summary["projection"] = jsonable(extras[0].summary)
    html = render(
        reports,
        title=page_title,
        created=created,
        version=__version__,
        env=_environment(),
        extras=extras,
    )
    figures = [f for r in [*reports, *extras] for f in r.figures]
    names = [f.filename for f in figures]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise RuntimeError(f"duplicate figure names {sorted(dup)}: a section builder reuses a name")
    _write_atomically(out, overwrite, html, summary, {f.filename: f.png for f in figures})
    return ReportResult(
        out_dir=out,
        index_html=out / "index.html",
        summary_json=out / "summary.json",
        figures=tuple(out / "figures" / n for n in names),
        summary=summary,
        sections=tuple(s.id for r in [*reports, *extras] for s in r.sections),
        verdicts={r.label: str(r.summary.get("verdict")) for r in reports},
        seconds=time.perf_counter() - t0,
    )


# ---------------------------------------------------------------------- inputs
def _projection_part(
    projection: str | os.PathLike[str] | xr.Dataset | None,
    comparison: str | os.PathLike[str] | pd.DataFrame | None,
    published: str | os.PathLike[str] | None,
) -> list[ModelReport]:
    """The projection's report part (read and checked before anything is built)."""
    if projection is None:
        return []
    from ccmodels.report.projection import (
        projection_report,
        read_comparison,
        read_projection,
    )
    from ccmodels.report.published import read_published

    if isinstance(projection, xr.Dataset):
        ds, src = projection, "projection given"
    else:
        ds, src = read_projection(projection), str(projection)
    cmp = comparison if isinstance(comparison, pd.DataFrame | None) else read_comparison(comparison)
    pub = read_published(published) if published is not None else ()
    return [projection_report(ds, src, cmp, pub)]


def _as_list(fits: FitLike | Sequence[FitLike]) -> list[FitLike]:
    if isinstance(fits, (str, os.PathLike, xr.DataTree)) or hasattr(fits, "idata"):
        return [fits]  # type: ignore[list-item]
    return list(fits)  # type: ignore[arg-type]


def _labels(kinds: Iterable[str]) -> list[str]:
    """Report labels of fits of these model types, in order: ``sentence``, ``sentence-2``..."""
    seen: dict[str, int] = {}
    out = []
    for kind in kinds:
        seen[kind] = seen.get(kind, 0) + 1
        out.append(kind if seen[kind] == 1 else f"{kind}-{seen[kind]}")
    return out


def _file_labels(items: Sequence[FitLike]) -> list[str] | None:
    """The labels of fits given as files, read from the files' attributes alone, when every
    model type has a built-in builder (which a worker process has too); else None."""
    import h5netcdf

    if not all(isinstance(p, (str, os.PathLike)) for p in items):
        return None
    kinds = []
    for p in items:
        try:
            with h5netcdf.File(p, "r") as f:
                kinds.append(str(f.attrs["model_type"]))
        except Exception:  # unreadable: the one-by-one path says why, with the file's name
            return None
    if not all(k in BUILDERS and BUILDERS[k].__module__.startswith("ccmodels.") for k in kinds):
        return None
    return _labels(kinds)


def _file_part(path: str, label: str) -> ModelReport:
    """One fit's part of the report, from its file (in a worker process)."""
    tree, source = fit_tree(path)
    return BUILDERS[str(tree.attrs["model_type"])](FitContext(tree, label, source))


def _contexts(items: Iterable[FitLike]) -> list[FitContext]:
    trees = [fit_tree(item) for item in items]
    for tree, source in trees:
        kind = str(tree.attrs["model_type"])
        if kind not in BUILDERS:
            raise ValueError(
                f"no report builder for model type {kind!r} ({source}); registered: "
                f"{', '.join(sorted(BUILDERS))} (add one with ccmodels.report.register)"
            )
    labels = _labels(str(tree.attrs["model_type"]) for tree, _ in trees)
    return [
        FitContext(tree, label, source) for (tree, source), label in zip(trees, labels, strict=True)
    ]


# ---------------------------------------------------------------------- outputs
def jsonable(x: Any, digits: int = 6) -> Any:
    """Plain JSON values: numpy scalars converted, NaN and infinities as None, floats to
    ``digits`` significant figures, keys as strings."""
    if isinstance(x, Mapping):
        return {str(k): jsonable(v, digits) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [jsonable(v, digits) for v in x]
    if isinstance(x, (bool, np.bool_)) or x is None:
        return None if x is None else bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        f = float(x)
        return float(f"{f:.{digits}g}") if math.isfinite(f) else None
    return x if isinstance(x, str) else str(x)


def _check_target(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a directory; choose another out_dir")
    if out.exists() and not overwrite:
        raise FileExistsError(
            f"{out} exists; pass overwrite=True (CLI: --force) to replace it, or choose "
            "another directory"
        )


def _write_atomically(
    out: Path, overwrite: bool, html: str, summary: dict[str, Any], pngs: Mapping[str, bytes]
) -> None:
    parent = out.parent
    parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    tmp = parent / f".{out.name}.tmp-{tag}"
    old = parent / f".{out.name}.old-{tag}"
    tmp.mkdir()
    try:
        (tmp / "figures").mkdir()
        for name, png in pngs.items():
            (tmp / "figures" / name).write_bytes(png)
        (tmp / "summary.json").write_text(
            json.dumps(summary, indent=2, allow_nan=False, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        (tmp / "index.html").write_text(html, encoding="utf-8")
        _check_target(out, overwrite)  # again: it may have appeared meanwhile
        if out.exists():
            out.rename(old)
        try:
            tmp.rename(out)
        except BaseException:
            if old.exists():
                old.rename(out)
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _environment() -> str:
    parts = [f"Python {platform.python_version()}"]
    for pkg in ENV_PACKAGES:
        try:
            parts.append(f"{pkg} {version(pkg)}")
        except PackageNotFoundError:
            continue
    return ", ".join(parts)
