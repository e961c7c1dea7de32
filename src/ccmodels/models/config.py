"""Model configuration: priors, effects and sampler settings, merged with defaults and checked.

Priors are ``pymc_extras.prior.Prior`` objects (or their dicts, as in the TOML specs), merged
``defaults | user``; effects say which blocks a model has and how they are parameterised;
sampler settings are kept apart from both. Every unknown key is an error naming the key, a
"did you mean" hint and the allowed keys, and every bad value names what is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pymc_extras.prior import Prior

from ccmodels.data.schema import TRAITS
from ccmodels.models.persistence import FitFileError, config_id
from ccmodels.util import did_you_mean

__all__ = [
    "DEFAULT_EFFECTS",
    "DEFAULT_SAMPLER",
    "SAMPLERS",
    "FitFileError",
    "ModelConfigError",
    "check_keys",
    "check_sampler_installed",
    "check_trend_effects",
    "config_id",
    "merge_priors",
    "merge_sampler",
]

SAMPLERS = ("nutpie", "pymc", "numpyro")
ADAPTATIONS = ("low_rank", "diag")
DEFAULT_SAMPLER: dict[str, Any] = {
    "sampler": "nutpie",
    "draws": 1000,
    "tune": 1000,
    "chains": 4,
    "target_accept": 0.9,
    # nutpie's mass-matrix adaptation: "low_rank" learns the main posterior correlations
    # (intercept against year and article effects), several times the ESS of "diag" here.
    "adaptation": "low_rank",
}

#: The blocks a model has and how each is parameterised ("auto": see design.centring).
DEFAULT_EFFECTS: dict[str, Any] = {
    "year": True,
    "year_drift": False,
    # the drift decays by a factor (year_damping) a year: growth that fades (needs year_drift)
    "year_damping": False,
    # the drift itself walks (scale sigma_drift): a local linear trend (needs year_drift)
    "year_local_trend": False,
    "year_centered": "auto",
    "chain": True,
    "chain_centered": "auto",
    "article": True,
    "article_column": "article",
    "article_centered": "auto",
    "traits": list(TRAITS),
}


class ModelConfigError(ValueError):
    """A model spec or config is invalid (unknown keys, bad priors, bad sampler settings)."""


def check_keys(given: Iterable[str], allowed: Sequence[str], what: str, where: str = "") -> None:
    """Raise one :class:`ModelConfigError` listing every key of ``given`` not in ``allowed``."""
    bad = [k for k in given if k not in allowed]
    if bad:
        raise ModelConfigError(
            "; ".join(
                f"{where}unknown {what} {k!r}{did_you_mean(str(k), allowed)}; "
                f"allowed: {', '.join(allowed)}"
                for k in bad
            )
        )


def prior_from(value: Any, key: str) -> Prior:
    """A Prior from a Prior or its dict form (``{distribution = "HalfNormal", sigma = 1}``)."""
    if isinstance(value, Prior):
        return value
    if isinstance(value, Mapping):
        try:
            return Prior.from_dict(dict(value))
        except Exception as exc:
            raise ModelConfigError(
                f"prior {key!r}: cannot build a Prior from {dict(value)}: {exc}"
            ) from None
    raise ModelConfigError(f"prior {key!r}: expected a Prior or a dict, got {type(value).__name__}")


def merge_priors(
    defaults: Mapping[str, Prior], user: Mapping[str, Any] | None, model_type: str
) -> dict[str, Prior]:
    """``defaults | user``, with every user prior checked."""
    check_keys(user or {}, list(defaults), "prior", f"{model_type} model: ")
    return dict(defaults) | {k: prior_from(v, k) for k, v in (user or {}).items()}


def _positive_int(s: Mapping[str, Any], key: str) -> None:
    v = s[key]
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ModelConfigError(f"sampler setting {key!r} must be a positive integer, got {v!r}")


def merge_sampler(defaults: Mapping[str, Any], user: Mapping[str, Any] | None) -> dict[str, Any]:
    """Sampler settings ``defaults | user``, checked: ``sampler`` one of :data:`SAMPLERS`,
    ``draws``/``tune``/``chains`` positive integers (``tune`` may be 0), ``target_accept`` in
    (0, 1), ``adaptation`` one of ``low_rank``, ``diag``."""
    check_keys(user or {}, list(DEFAULT_SAMPLER), "sampler setting")
    s = dict(defaults) | dict(user or {})
    if s["sampler"] not in SAMPLERS:
        raise ModelConfigError(f"unknown sampler {s['sampler']!r}; allowed: {', '.join(SAMPLERS)}")
    for key in ("draws", "chains"):
        _positive_int(s, key)
    if isinstance(s["tune"], bool) or not isinstance(s["tune"], int) or s["tune"] < 0:
        raise ModelConfigError(f"sampler setting 'tune' must be an integer >= 0, got {s['tune']!r}")
    ta = s["target_accept"]
    if isinstance(ta, bool) or not isinstance(ta, int | float) or not 0 < ta < 1:
        raise ModelConfigError(f"sampler setting 'target_accept' must be in (0, 1), got {ta!r}")
    if s["adaptation"] not in ADAPTATIONS:
        raise ModelConfigError(
            f"unknown adaptation {s['adaptation']!r}; allowed: {', '.join(ADAPTATIONS)}"
        )
    return s


def check_sampler_installed(sampler: str) -> None:
    """Refuse a sampler whose optional packages are not installed, naming the extra."""
    if sampler != "numpyro":
        return
    try:
        import jax  # noqa: F401
        import numpyro  # noqa: F401
    except ImportError:
        raise ModelConfigError(
            "sampler 'numpyro' needs JAX and numpyro, which are not installed: "
            "pip install 'ccmodels[numpyro]' (or use sampler 'nutpie', the default, or 'pymc')"
        ) from None


def check_trend_effects(model_type: str, effects: Mapping[str, Any], damped_trend: bool) -> None:
    """Check the year walk's trend effects: ``year_drift``, ``year_damping`` and
    ``year_local_trend`` are true or false; the damped and the local trends need the drift,
    exclude each other, and exist only where the model has them (``damped_trend``)."""
    for key in ("year_drift", "year_damping", "year_local_trend"):
        if not isinstance(effects.get(key, False), bool):
            raise ModelConfigError(
                f"{model_type} model: effect {key!r} must be true or false, got {effects[key]!r}"
            )
    if effects.get("year_damping") and not damped_trend:
        raise ModelConfigError(
            f"{model_type} model: effect 'year_damping' (a damped trend) is available "
            "for the growth models (case_volume, group_size, value_chain)"
        )
    if effects.get("year_damping") and not effects.get("year_drift"):
        raise ModelConfigError(
            f"{model_type} model: effect 'year_damping' damps the year walk's drift; "
            "turn 'year_drift' on too"
        )
    if effects.get("year_local_trend"):
        if not damped_trend:
            raise ModelConfigError(
                f"{model_type} model: effect 'year_local_trend' (a walking drift) is "
                "available for the growth models (case_volume, group_size, value_chain)"
            )
        if not effects.get("year_drift"):
            raise ModelConfigError(
                f"{model_type} model: effect 'year_local_trend' lets the year walk's "
                "drift walk; turn 'year_drift' on too"
            )
        if effects.get("year_damping"):
            raise ModelConfigError(
                f"{model_type} model: effects 'year_damping' and 'year_local_trend' "
                "are two trend families (a fading drift, a walking drift); turn one off "
                "and compare the two by leave-future-out (ccmodels lfo)"
            )
