"""The building blocks of a scenario: the frozen base model, read-only mappings and the
linear predictor (:class:`Predictor`) that every outcome and growth component shares."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from ccmodels import law
from ccmodels.data.schema import TRAITS, VALUE_CHAINS
from ccmodels.params.linear import walk_on
from ccmodels.util import did_you_mean

__all__ = ["FrozenAnyMap", "FrozenMap", "FrozenYearMap", "Predictor", "ScenarioError"]


class ScenarioError(ValueError):
    """A scenario file or object is invalid; the message names the file, key and fix."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _freeze(v: Mapping[Any, Any]) -> Mapping[Any, Any]:
    # a frozen model's mappings are read-only views, so no caller can change a scenario
    return MappingProxyType(dict(v))


def _empty_map() -> Mapping[Any, Any]:
    return MappingProxyType({})


FrozenMap = Annotated[Mapping[str, float], AfterValidator(_freeze), PlainSerializer(dict)]
FrozenYearMap = Annotated[Mapping[int, float], AfterValidator(_freeze), PlainSerializer(dict)]
FrozenAnyMap = Annotated[Mapping[str, Any], AfterValidator(_freeze), PlainSerializer(dict)]


class Predictor(_Frozen):
    """A linear predictor: intercept, year effects, value-chain, article and trait effects.

    The year effects are given either explicitly (``year_effect``: a value for each of some
    consecutive years; the general form) or as the readable ``year_slope * (year -
    first_year) + year_dev[year]``. Scenario years without an explicit value continue the walk
    from the nearest explicit one with steps ``Normal(year_drift, sigma_year)`` (the drift
    times ``year_damping**k`` at the walk's step ``k`` from its first year: a damped trend; drawn by the
    simulator). A local linear trend (``sigma_drift > 0``): the drift itself walks, the drift of
    each walked step that of the step before plus ``Normal(0, sigma_drift)``, starting from
    ``year_drift`` (the drift before the first walked step) or, past a ``drift_path`` (the drift
    of the step into each of some consecutive years: a fitted walk's), from its last value.
    The scales ``sigma_year``, ``sigma_chain`` and ``sigma_article`` are the
    pooling scales of the matching model: the truth its posterior is compared with, and the
    spread of new years and levels. Missing chain, article or trait entries mean 0. See
    :mod:`ccmodels.params` for the conventions of the truth (centring).
    """

    intercept: float
    year_slope: float = 0.0
    year_dev: tuple[float, ...] | None = None
    year_effect: FrozenYearMap | None = None
    year_drift: float = 0.0
    year_damping: float = Field(1.0, gt=0, le=1)
    sigma_drift: float = Field(0.0, ge=0)
    drift_path: FrozenYearMap | None = None
    sigma_year: float | None = Field(None, ge=0)
    chain: FrozenMap = Field(default_factory=_empty_map)
    sigma_chain: float | None = Field(None, ge=0)
    article: FrozenMap = Field(default_factory=_empty_map)
    sigma_article: float | None = Field(None, ge=0)
    traits: FrozenMap = Field(default_factory=_empty_map)

    @field_validator("chain")
    @classmethod
    def _chains(cls, v: Mapping[str, float]) -> Mapping[str, float]:
        return _check_keys(v, VALUE_CHAINS, "value chain")

    @field_validator("article")
    @classmethod
    def _articles(cls, v: Mapping[str, float]) -> Mapping[str, float]:
        return _check_keys(v, law.ARTICLES, "article")

    @field_validator("traits")
    @classmethod
    def _traits(cls, v: Mapping[str, float]) -> Mapping[str, float]:
        return _check_keys(v, TRAITS, "trait")

    @field_validator("year_effect", "drift_path")
    @classmethod
    def _consecutive(cls, v: Mapping[int, float] | None, info: Any) -> Mapping[int, float] | None:
        if v is not None:
            yrs = sorted(v)
            if not yrs or yrs != list(range(yrs[0], yrs[-1] + 1)):
                raise ValueError(f"{info.field_name} needs values for consecutive years, got {yrs}")
        return v

    @model_validator(mode="after")
    def _one_year_form(self) -> Predictor:
        if self.year_effect is not None and (self.year_slope != 0 or self.year_dev is not None):
            raise ValueError(
                "give the year effects either explicitly (year_effect) or as year_slope / "
                "year_dev, not both"
            )
        return self

    def drift_vector(self, years: np.ndarray, drift_steps: np.ndarray | None = None) -> np.ndarray:
        """The drift of the walk's step into each of ``years`` (consecutive): ``drift_path``
        where it has a value, else ``year_drift * year_damping**k`` (``k`` the step's number
        from the first explicit year) plus, with a local trend, ``sigma_drift`` times the
        cumulative sum of ``drift_steps`` (standard normal draws, one per year) over the
        walked years after the explicit ones (after ``drift_path``, if it goes further)."""
        years = np.asarray(years, dtype=int)
        known = dict(self.year_effect or {})
        lo = min(known) if known else int(years[0])
        k = np.maximum(years - lo - 1, 0).astype(float)
        base = self.year_drift * self.year_damping**k
        path = dict(self.drift_path or {})
        start = max([*path, *known]) if (path or known) else int(years[0])
        if path:
            base = np.where(years > max(path), path[max(path)], base)
        if self.sigma_drift > 0:
            u = np.zeros(len(years)) if drift_steps is None else np.asarray(drift_steps, float)
            base = base + self.sigma_drift * np.cumsum(np.where(years > start, u, 0.0))
        return np.array([path.get(int(y), b) for y, b in zip(years, base, strict=True)])

    def year_vector(
        self,
        years: np.ndarray,
        steps: np.ndarray | None = None,
        drift_steps: np.ndarray | None = None,
    ) -> np.ndarray:
        """Year effects over ``years`` (consecutive). Years outside an explicit
        ``year_effect`` continue its walk with ``steps`` (standard normal draws, one per
        year; the simulator's own stream), scaled by ``sigma_year`` and shifted by the drift
        (:meth:`drift_vector`, whose local trend walks with ``drift_steps``)."""
        years = np.asarray(years, dtype=int)
        if self.year_effect is None:
            eff = self.year_slope * (years - years[0]).astype(float)
            if self.year_dev is not None:
                if len(self.year_dev) != len(years):
                    raise ScenarioError(
                        f"year_dev has {len(self.year_dev)} values but the scenario has "
                        f"{len(years)} years ({years[0]}-{years[-1]})"
                    )
                eff = eff + np.asarray(self.year_dev, dtype=float)
            return eff
        known = dict(self.year_effect)
        lo, hi = min(known), max(known)
        out = np.array([known.get(int(y), np.nan) for y in years])
        if np.isnan(out).any():
            if self.sigma_year is None:
                raise ScenarioError(
                    f"year_effect covers {lo}-{hi} only, the scenario has {years[0]}-"
                    f"{years[-1]}: set sigma_year (and year_drift) for the other years"
                )
            z = np.zeros(len(years)) if steps is None else np.asarray(steps, float)
            # a damped trend: the step into year y is the walk's step y - lo - 1 from ``lo``
            step = self.drift_vector(years, drift_steps) + self.sigma_year * z
            later, earlier = years > hi, years < lo
            before, after = walk_on(
                np.array([[known[lo]]]),
                np.array([[known[hi]]]),
                step[later][None],
                step[earlier][::-1][None],
            )
            out[later], out[earlier] = after[0], before[0]
        return out


def _check_keys(v: Mapping[str, float], allowed: tuple[str, ...], what: str) -> Mapping[str, float]:
    for k in v:
        if k not in allowed:
            raise ValueError(
                f"unknown {what} {k!r}{did_you_mean(k, allowed)}; allowed: {', '.join(allowed)}"
            )
    return v


def _year_only(p: Predictor | None, where: str) -> Predictor | None:
    if p is not None and (p.article or p.traits or p.sigma_article is not None):
        raise ValueError(f"{where} has year effects (and value-chain effects) only")
    return p
