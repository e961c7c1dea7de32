"""Nested scenario dicts: unknown keys (with a did-you-mean hint) and deep updates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from ccmodels.util import did_you_mean


def _deep_update(base: dict[str, Any], changes: dict[str, Any]) -> None:
    for k, v in changes.items():
        if isinstance(v, dict) and v and isinstance(base.get(k), dict):
            _deep_update(base[k], v)
        else:
            base[k] = v


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        m = _model_of(arg)
        if m is not None:
            return m
    return None


def _is_mapping(annotation: Any) -> bool:
    """Whether a (possibly optional or annotated) field annotation is a mapping of models."""
    if get_origin(annotation) in (dict, Mapping):
        return True
    return any(_is_mapping(a) for a in get_args(annotation) if a is not type(None))


#: scenario keys that were removed, with the reason
RETIRED = {
    "sentence.exempt_prob": (
        "the disposition is a multinomial logit shared with the disposition model: give "
        "[disposition.exempt] an intercept (logit against a custodial sentence; -4.55 is "
        "about 1%) instead"
    ),
    "sentence.fine_only_prob": (
        "the disposition is a multinomial logit shared with the disposition model: give "
        "[disposition.fine_only] an intercept (logit against a custodial sentence; -2.94 is "
        "about 5%) instead"
    ),
    "fine.any": (
        "the law requires a fine wherever the article has one (并处 / 并处或者单处, domain "
        "reference A2) unless the offender is exempt, so whether to fine is not a chance "
        "event (ccmodels.law.fine_required); delete the [fine.any] table"
    ),
}


def _unknown_keys(model: type[BaseModel], data: Any, path: tuple[str, ...]) -> list[str]:
    if not isinstance(data, dict):
        return []
    out = []
    fields = model.model_fields
    for key, value in data.items():
        where = ".".join((*path, key))
        if where in RETIRED:
            out.append(f"{where!r} is no longer a scenario key: {RETIRED[where]}")
            continue
        if key not in fields:
            out.append(
                f"unknown key {where!r}{did_you_mean(key, fields)}; "
                f"allowed here: {', '.join(fields)}"
            )
            continue
        ann = fields[key].annotation
        sub = _model_of(ann)
        if sub is None:
            continue
        if _is_mapping(ann) and isinstance(value, dict):
            for k2, v2 in value.items():
                out += _unknown_keys(sub, v2, (*path, key, k2))
        else:
            out += _unknown_keys(sub, value, (*path, key))
    return out
