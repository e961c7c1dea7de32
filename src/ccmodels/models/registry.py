"""The registry of model types, and model specs (TOML) to models."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from ccmodels.models.base import ModelConfigError, OutcomeModel
from ccmodels.models.case_volume import CaseVolumeModel
from ccmodels.models.config import check_keys
from ccmodels.models.disposition import DispositionModel
from ccmodels.models.fine import FineModel
from ccmodels.models.group_size import GroupSizeModel
from ccmodels.models.persistence import fit_tree
from ccmodels.models.probation import ProbationModel
from ccmodels.models.sentence import SentenceModel
from ccmodels.models.value_chain import ValueChainModel

__all__ = ["MODELS", "from_spec", "load_fit", "read_spec"]

MODELS: dict[str, type[OutcomeModel]] = {
    "disposition": DispositionModel,
    "sentence": SentenceModel,
    "probation": ProbationModel,
    "fine": FineModel,
    "group_size": GroupSizeModel,
    "case_volume": CaseVolumeModel,
    "value_chain": ValueChainModel,
}
_SPEC_KEYS = ("model", "description", "effects", "priors", "sampler")


def read_spec(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a model spec TOML (keys: model, description, effects, priors, sampler)."""
    p = Path(path)
    if not p.exists():
        raise ModelConfigError(f"{p}: no such model spec")
    try:
        spec = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ModelConfigError(f"{p}: not valid TOML: {exc}") from None
    check_keys(spec, _SPEC_KEYS, "key", f"{p}: ")
    if spec.get("model") not in MODELS:
        raise ModelConfigError(
            f"{p}: 'model' must be one of {', '.join(MODELS)}, got {spec.get('model')!r}"
        )
    return spec


def from_spec(path: str | os.PathLike[str]) -> OutcomeModel:
    """Build an (unfitted) model from a spec file."""
    spec = read_spec(path)
    try:
        return MODELS[spec["model"]](spec.get("priors"), spec.get("effects"), spec.get("sampler"))
    except ModelConfigError as exc:
        raise ModelConfigError(f"{path}: {exc}") from None


def load_fit(path: str | os.PathLike[str]) -> OutcomeModel:
    """Load a saved fit with the class its file names (read and checked once,
    :func:`ccmodels.models.persistence.fit_tree`)."""
    tree, source = fit_tree(path)
    return MODELS[str(tree.attrs["model_type"])].from_datatree(tree, source)
