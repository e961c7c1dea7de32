"""The registry of parameters: every model's parameters, their dims and the Scenario field
each maps to (see :mod:`ccmodels.params` for the conventions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ccmodels import law
from ccmodels.data.schema import VALUE_CHAINS

if TYPE_CHECKING:
    pass


#: Name endings of sampling auxiliaries (non-centred innovations, raw pieces): not parameters.
AUXILIARY = ("_z", "_raw", "_year_step", "_rich")

#: block -> (suffix, dims, Scenario Predictor field) of its parameters
BLOCK_PARAMS: dict[str, tuple[tuple[str, tuple[str, ...], str], ...]] = {
    "intercept": (("intercept", (), "intercept"),),
    "year": (("year_effect", ("year",), "year_effect"), ("sigma_year", (), "sigma_year")),
    "drift": (("year_drift", (), "year_drift"),),
    "damping": (("year_damping", (), "year_damping"),),
    "drift_walk": (
        ("sigma_drift", (), "sigma_drift"),
        ("year_slope", ("year_step",), "drift_path"),
    ),
    "chain": (("chain", ("value_chain",), "chain"), ("sigma_chain", (), "sigma_chain")),
    "article": (("article", ("article",), "article"), ("sigma_article", (), "sigma_article")),
    "trait": (("beta", ("trait",), "traits"),),
}
#: coords dim that switches a block on
BLOCK_DIM = {"year": "year", "chain": "value_chain", "article": "article", "trait": "trait"}


@dataclass(frozen=True)
class Param:
    """One parameter: its variable name, dims and the Scenario field (dotted path) it maps to."""

    name: str
    dims: tuple[str, ...]
    field: str


@dataclass(frozen=True)
class LinearSpec:
    """A linear predictor: its prefix, the Scenario predictor it maps to (dotted path), the
    articles its unit admits (``"all"``, or ``"fine"``: those allowing a fine) and the blocks
    (coords dims) it can have at most (a model's effects switch them off further)."""

    prefix: str
    field: str
    articles: str = "all"
    dims: tuple[str, ...] = ("year", "value_chain", "article", "trait")

    def article_levels(self) -> list[str]:
        if "article" not in self.dims:
            return []
        if self.articles == "fine":
            return [a for a in law.ARTICLES if law.fine_allowed(np.array([a]))[0]]
        return list(law.ARTICLES)

    def on(self, coords: Mapping[str, Any]) -> dict[str, Any]:
        """The coords of this predictor's blocks among ``coords``."""
        return {k: v for k, v in coords.items() if k in self.dims}


@dataclass(frozen=True)
class ModelParams:
    """The parameters of one model type: its linear predictors and its other parameters.

    ``options`` maps an option name (a model effect that is true, e.g. ``student_t``) to the
    extra parameters it adds.
    """

    model: str
    linear: tuple[LinearSpec, ...]
    extra: tuple[Param, ...] = ()
    options: Mapping[str, tuple[Param, ...]] | None = None


MODELS: dict[str, ModelParams] = {
    "sentence": ModelParams(
        "sentence",
        (LinearSpec("term", "sentence"),),
        (
            Param("term_sigma", (), "sentence.sigma"),
            Param("term_sigma_case", (), "sentence.sigma_case"),
        ),
        {"student_t": (Param("term_nu", (), "sentence.nu"),)},
    ),
    "disposition": ModelParams(
        "disposition",
        (
            LinearSpec("disp_exempt", "disposition.exempt"),
            LinearSpec("disp_fine_only", "disposition.fine_only"),
        ),
        (Param("disp_sigma_case", (), "disposition.sigma_case"),),
    ),
    "probation": ModelParams(
        "probation",
        (LinearSpec("prob", "probation"),),
        (
            Param("prob_log_term", (), "probation.log_term"),
            Param("prob_sigma_case", (), "probation.sigma_case"),
        ),
    ),
    "fine": ModelParams(
        "fine",
        (LinearSpec("fine_amount", "fine.amount", "fine"),),
        (
            Param("fine_amount_sigma", (), "fine.sigma"),
            Param("fine_amount_sigma_case", (), "fine.sigma_case"),
        ),
    ),
    "group_size": ModelParams(
        "group_size",
        (
            LinearSpec("size_mu", "group_size.mu", dims=("year", "value_chain")),
            LinearSpec("size_alpha", "group_size.alpha", dims=("year",)),
        ),
    ),
    "case_volume": ModelParams(
        "case_volume",
        (LinearSpec("volume", "volume.log_rate", dims=("year",)),),
        (Param("volume_dispersion", (), "volume.dispersion"),),
        # known breaks (effect ``breaks``): shifts of the log rate or of its drift at dates
        {"breaks": (Param("volume_break", ("break",), "volume.breaks"),)},
    ),
    "value_chain": ModelParams(
        "value_chain",
        tuple(LinearSpec(f"vc_{c}", f"chains.logit.{c}", dims=("year",)) for c in VALUE_CHAINS),
        (),
        # correlated walks (effect ``walk_correlation``): the correlation of the chains' steps
        {
            "walk_correlation": (
                Param("vc_walk_corr", ("value_chain", "value_chain_to"), "chains.walk_corr"),
            )
        },
    ),
}
#: the models of the growth of cases (volume, group size, value-chain composition)
GROWTH_MODELS = ("group_size", "case_volume", "value_chain")
#: the models of the sentences (offender level)
OUTCOME_MODELS = ("disposition", "sentence", "probation", "fine")


def register(spec: ModelParams) -> ModelParams:
    """Declare the parameters of a further model type (case- or year-level models)."""
    MODELS[spec.model] = spec
    return spec


def linear_spec(prefix: str) -> LinearSpec:
    for m in MODELS.values():
        for s in m.linear:
            if s.prefix == prefix:
                return s
    raise KeyError(f"no linear predictor with prefix {prefix!r}")


def blocks_on(
    coords: Mapping[str, Any], drift: bool = False, damped: bool = False, local: bool = False
) -> list[str]:
    """The blocks a linear predictor has on these coords."""
    on = ["intercept"] + [b for b, dim in BLOCK_DIM.items() if dim in coords]
    if drift and "year" in on:
        on.insert(2, "drift")
        if damped:
            on.insert(3, "damping")
        if local:
            on.insert(3, "drift_walk")
    return on


def linear_parameters(
    prefix: str,
    coords: Mapping[str, Any],
    drift: bool = False,
    damped: bool = False,
    local: bool = False,
) -> list[Param]:
    """The parameters of one linear predictor on these coords."""
    field = linear_spec(prefix).field
    return [
        Param(f"{prefix}_{suffix}", dims, f"{field}.{attr}")
        for block in blocks_on(coords, drift, damped, local)
        for suffix, dims, attr in BLOCK_PARAMS[block]
    ]


def model_parameters(
    model: str, coords: Mapping[str, Any], options: Iterable[str] = ()
) -> list[Param]:
    """Every parameter a model of this type has on these coords with these options (a model
    effect that is on: ``year_drift``, ``year_damping``, ``year_local_trend``,
    ``student_t``)."""
    spec = MODELS[model]
    opts = set(options)
    out = [
        p
        for s in spec.linear
        for p in linear_parameters(
            s.prefix,
            s.on(coords),
            "year_drift" in opts,
            "year_damping" in opts,
            "year_local_trend" in opts,
        )
    ]
    out += list(spec.extra)
    for name, extra in (spec.options or {}).items():
        if name in opts:
            out += list(extra)
    return out
