"""Bayesian hierarchical models of sentencing outcomes (disposition, prison term, probation,
fines) and
of growth (defendants per case, cases per year, value-chain composition).

Each model: ``fit(data)`` returns an ``xarray.DataTree``; ``save``/``load`` NetCDF;
``predict(new_data)``; prior and posterior predictive replicates; researcher-facing summaries.
Specs (TOML, see ``models/*.toml``) hold effects, priors and sampler settings.

Names are imported on first use, so that the parts that need no PyMC (fit files:
:mod:`ccmodels.models.persistence`) can be used without it.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "MODELS",
    "CaseVolumeModel",
    "DispositionModel",
    "FineModel",
    "FitFileError",
    "GroupSizeModel",
    "ModelConfigError",
    "OutcomeModel",
    "PipelineError",
    "ProbationModel",
    "SentenceModel",
    "SentencingPipeline",
    "ValueChainModel",
    "from_spec",
    "load_fit",
    "read_spec",
]

_WHERE = {
    "MODELS": "registry",
    "from_spec": "registry",
    "load_fit": "registry",
    "read_spec": "registry",
    "DispositionModel": "disposition",
    "FineModel": "fine",
    "GroupSizeModel": "group_size",
    "CaseVolumeModel": "case_volume",
    "ValueChainModel": "value_chain",
    "ProbationModel": "probation",
    "SentenceModel": "sentence",
    "SentencingPipeline": "pipeline",
    "PipelineError": "pipeline",
    "OutcomeModel": "base",
    "ModelConfigError": "config",
    "FitFileError": "persistence",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"ccmodels.models.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'ccmodels.models' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
