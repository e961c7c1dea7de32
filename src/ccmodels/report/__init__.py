"""Scripted posterior reports: one self-contained HTML page, a JSON summary and PNG figures.

``build(fits, out_dir)`` takes fitted models or saved fits (no refitting) and writes, for each
fit, the sections of the Bayesian workflow (Gelman et al. 2020): data summary, convergence with
a verdict and remedies, parameter table, trend figures with the observed values, prior and
posterior predictive checks, PSIS-LOO with Pareto k, and a methods paragraph generated from the
fit's config.

Which sections a fit gets depends on its model type: ``BUILDERS`` maps a model type to the
function that builds its report, and :func:`register` adds one (group size, case volume and
projections plug in this way, reusing :mod:`ccmodels.report.sections`).

Examples
--------
>>> from ccmodels.report import build
>>> result = build(["fits/sentence.nc", "fits/probation.nc"], "report")  # doctest: +SKIP
>>> result.index_html                                                 # doctest: +SKIP
PosixPath('report/index.html')
"""

# importing the outcome modules registers their report builders
from ccmodels.report import disposition as _disposition  # noqa: F401
from ccmodels.report import fine as _fine  # noqa: F401
from ccmodels.report import growth as _growth  # noqa: F401
from ccmodels.report import probation as _probation  # noqa: F401
from ccmodels.report import sentence as _sentence  # noqa: F401
from ccmodels.report.build import ReportResult, build
from ccmodels.report.core import (
    BUILDERS,
    FigureRef,
    FitContext,
    ModelReport,
    Paragraph,
    Section,
    Table,
    register,
)
from ccmodels.report.diagnostics import THRESHOLDS, convergence, loo_summary, parameter_table

__all__ = [
    "BUILDERS",
    "THRESHOLDS",
    "FigureRef",
    "FitContext",
    "ModelReport",
    "Paragraph",
    "ReportResult",
    "Section",
    "Table",
    "build",
    "convergence",
    "loo_summary",
    "parameter_table",
    "register",
]
