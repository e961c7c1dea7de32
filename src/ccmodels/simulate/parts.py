"""The parts of a :class:`~ccmodels.simulate.scenario.Scenario`: case volume and its breaks,
value chains, targets, articles, group size, traits, roles, and the outcome predictors
(sentence, disposition, probation, fine)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from ccmodels import law
from ccmodels.data.schema import TARGETS, VALUE_CHAINS
from ccmodels.simulate.predictor import (
    FrozenMap,
    Predictor,
    _check_keys,
    _empty_map,
    _freeze,
    _Frozen,
    _year_only,
)

__all__ = [
    "ArticleMix",
    "Chains",
    "Disposition",
    "Fine",
    "GroupSize",
    "Probation",
    "Roles",
    "Sentence",
    "TargetMix",
    "Traits",
    "Trend",
    "Volume",
    "VolumeBreak",
]


class VolumeBreak(_Frozen):
    """A known break in the case volume: from ``date`` on, the log rate shifts by ``effect``
    (``shift = "level"``) or its yearly growth does (``"drift"``); see
    :func:`ccmodels.fields.break_covariates`."""

    date: str = Field(description="YYYY-MM-DD")
    shift: Literal["level", "drift"] = "level"
    effect: float

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v: Any) -> str:
        try:
            return str(np.datetime64(str(v), "D"))
        except ValueError:
            raise ValueError(f"a break date must be YYYY-MM-DD, got {v!r}") from None


class Volume(_Frozen):
    """Cases per year ~ NegBin(mean ``scale * exp(z_t)``, dispersion).

    The log rate ``z_t`` is either ``log_rate`` (a Predictor with an intercept and year
    effects: explicit values and a walk with drift beyond them; the general form that
    posterior draws give) or the readable ``log_rate_start + drift * t + sd * RW_t``. The
    random-walk steps come from the volume stream in both forms. Known ``breaks`` add their
    shifts on top (the walk's year effects exclude them).
    """

    log_rate_start: float | None = Field(None, description="log expected cases, first year")
    drift: float = 0.0
    sd: float = Field(0.0, ge=0)
    log_rate: Predictor | None = None
    dispersion: float = Field(50.0, gt=0, description="NB shape; large = near Poisson")
    scale: float = Field(1.0, gt=0, description="multiplies expected counts (scaled-up copies)")
    breaks: tuple[VolumeBreak, ...] = ()

    @model_validator(mode="after")
    def _one_form(self) -> Volume:
        if (self.log_rate is None) == (self.log_rate_start is None):
            raise ValueError(
                "give the log rate either as log_rate_start (with drift, sd) or as log_rate"
            )
        if self.log_rate is not None and self.log_rate.chain:
            raise ValueError("volume.log_rate has year effects only")
        _year_only(self.log_rate, "volume.log_rate")
        return self

    def predictor(self, first_year: int) -> Predictor:
        """The log rate in the general form."""
        if self.log_rate is not None:
            return self.log_rate
        assert self.log_rate_start is not None
        return Predictor(
            intercept=self.log_rate_start,
            year_effect={first_year: 0.0},
            year_drift=self.drift,
            sigma_year=self.sd,
        )


class Trend(_Frozen):
    """Logit (or log) trend: start + slope * (year - first_year)."""

    start: float
    slope: float = 0.0

    def predictor(
        self, sigma_year: float | None = None, first_year: int | None = None
    ) -> Predictor:
        if sigma_year:  # a walk with drift ``slope`` from ``start`` in the first year
            assert first_year is not None
            return Predictor(
                intercept=self.start,
                year_effect={first_year: 0.0},
                year_drift=self.slope,
                sigma_year=sigma_year,
            )
        return Predictor(intercept=self.start, year_slope=self.slope)


FrozenPredictors = Annotated[
    Mapping[str, Predictor], AfterValidator(_freeze), PlainSerializer(dict)
]


class Chains(_Frozen):
    """Per-case value-chain membership: independent Bernoulli per chain, so chains overlap.

    The logit of each chain's share is either given as ``logit`` (a Predictor per chain: year
    effects, the general form) or by the readable trends ``start + slope * t`` plus
    ``rw_sd`` times a random walk.
    """

    real_assets: Trend | None = None
    virtual_assets: Trend | None = None
    internet_resources: Trend | None = None
    gov_systems: Trend | None = None
    rw_sd: float = Field(0.0, ge=0, description="random-walk noise on each chain's logit")
    logit: FrozenPredictors | None = None
    walk_corr: tuple[tuple[float, ...], ...] | None = Field(
        None, description="correlation of the chains' walk steps (4 x 4, chains in order)"
    )

    @field_validator("walk_corr")
    @classmethod
    def _corr(cls, v: tuple[tuple[float, ...], ...] | None) -> Any:
        if v is None:
            return v
        m = np.asarray(v, dtype=float)
        k = len(VALUE_CHAINS)
        if m.shape != (k, k):
            raise ValueError(f"walk_corr must be {k} x {k} (chains {', '.join(VALUE_CHAINS)})")
        ok = np.allclose(m, m.T, atol=1e-9) and np.allclose(np.diag(m), 1.0, atol=1e-9)
        if not ok or np.linalg.eigvalsh((m + m.T) / 2).min() <= 0:
            raise ValueError(
                "walk_corr must be a correlation matrix (symmetric, unit diagonal, "
                "positive definite)"
            )
        return v

    def walk_cholesky(self) -> np.ndarray:
        """The lower Cholesky factor of ``walk_corr`` (the identity when it is not set)."""
        if self.walk_corr is None:
            return np.eye(len(VALUE_CHAINS))
        m = np.asarray(self.walk_corr, dtype=float)
        return np.linalg.cholesky((m + m.T) / 2)

    @model_validator(mode="after")
    def _one_form(self) -> Chains:
        trends = [getattr(self, c) for c in VALUE_CHAINS]
        if self.logit is None and any(t is None for t in trends):
            raise ValueError(f"give a trend for every value chain ({', '.join(VALUE_CHAINS)})")
        if self.logit is not None:
            if any(t is not None for t in trends):
                raise ValueError("give the chains either as trends or as logit, not both")
            if sorted(self.logit) != sorted(VALUE_CHAINS):
                raise ValueError(f"chains.logit needs exactly the chains {', '.join(VALUE_CHAINS)}")
            for c, p in self.logit.items():
                if p.chain:
                    raise ValueError(f"chains.logit.{c} has year effects only")
                _year_only(p, f"chains.logit.{c}")
        return self

    def predictor(self, chain: str, first_year: int) -> Predictor:
        """The logit of one chain's share in the general form."""
        if self.logit is not None:
            return self.logit[chain]
        trend = getattr(self, chain)
        return trend.predictor(self.rw_sd, first_year)


class TargetMix(_Frozen):
    """Target of the case: base probabilities, with chain-specific overrides."""

    probs: FrozenMap
    gaming_if_virtual: float = Field(0.5, ge=0, le=1)
    government_if_gov: float = Field(0.7, ge=0, le=1)

    @field_validator("probs")
    @classmethod
    def _probs(cls, v: Mapping[str, float]) -> Mapping[str, float]:
        _check_keys(v, TARGETS, "target")
        if any(p < 0 for p in v.values()) or sum(v.values()) <= 0:
            raise ValueError("target probabilities must be non-negative and not all zero")
        return v


class ArticleMix(_Frozen):
    """Article of the case: base weights times exp(slope * (year - first_year)); articles not
    yet in force on the judgment date get weight 0."""

    weights: FrozenMap
    slope: FrozenMap = Field(default_factory=_empty_map)

    @field_validator("weights", "slope")
    @classmethod
    def _arts(cls, v: Mapping[str, float]) -> Mapping[str, float]:
        return _check_keys(v, law.ARTICLES, "article")


class GroupSize(_Frozen):
    """Defendants per case: ``1 + NegBin(mu, alpha)`` (``family = "shifted"``) or a
    zero-truncated ``NegBin(mu, alpha)`` (``"ztnb"``).

    ``log mu`` and ``log alpha`` are Predictors (``mu``: year effects and value-chain effects;
    ``alpha``: year effects; the general form) or the readable trends ``log_mu``,
    ``log_alpha`` (start + slope * t). A small alpha gives the heavy tail.
    """

    family: Literal["shifted", "ztnb"] = "shifted"
    log_mu: Trend | None = None
    log_alpha: Trend | None = None
    mu: Predictor | None = None
    alpha: Predictor | None = None

    @model_validator(mode="after")
    def _one_form(self) -> GroupSize:
        for sugar, general in (("log_mu", "mu"), ("log_alpha", "alpha")):
            if (getattr(self, sugar) is None) == (getattr(self, general) is None):
                raise ValueError(f"give group_size.{sugar} (a trend) or group_size.{general}")
        _year_only(self.mu, "group_size.mu")
        if self.alpha is not None and self.alpha.chain:
            raise ValueError("group_size.alpha has year effects only")
        _year_only(self.alpha, "group_size.alpha")
        return self

    def predictor(self, which: str) -> Predictor:
        """``log mu`` (``which="mu"``) or ``log alpha`` in the general form."""
        general = getattr(self, which)
        if general is not None:
            return general
        trend: Trend = getattr(self, f"log_{which}")
        return trend.predictor()


class Traits(_Frozen):
    """Offender trait probabilities (accessory only in cases with co-defendants)."""

    female: float = Field(0.1, ge=0, le=1)
    juvenile: float = Field(0.03, ge=0, le=1)
    disability: float = Field(0.02, ge=0, le=1)
    accessory: float = Field(0.3, ge=0, le=1, description="share of co-defendants")
    surrender: float = Field(0.25, ge=0, le=1)
    confession: float = Field(0.6, ge=0, le=1, description="among those without surrender")
    recidivist: float = Field(0.05, ge=0, le=1, description="adults only (art. 65)")
    restitution: float = Field(0.3, ge=0, le=1)
    plea_leniency: float = Field(0.5, ge=0, le=1)
    plea_leniency_from: int = Field(2017, description="first year of 认罪认罚 practice")


class Roles(_Frozen):
    """Defendants' roles and combined sentences. Principals (主犯, art. 26) are the co-defendants
    who are not accessories; a case of three or more defendants is a criminal group (犯罪集团,
    art. 97) with probability ``criminal_group``, led by its first principal, a ringleader
    (首要分子) the law never gives probation (art. 74). An offender's sentence combines
    several crimes (数罪并罚, art. 69) with probability ``several_charges``: 2 + Poisson(
    ``extra_charges``) charges, and a fixed term capped at the art. 69 limit
    (``law.term_cap``) instead of the article's maximum. Both default to 0, as in the study."""

    criminal_group: float = Field(0.0, ge=0, le=1, description="among cases of >= 3 defendants")
    several_charges: float = Field(0.0, ge=0, le=1, description="share of offenders")
    extra_charges: float = Field(0.3, ge=0, description="Poisson mean of charges beyond two")


class Sentence(Predictor):
    """Log prison term (months) of custodial offenders, before the statutory bounds."""

    sigma: float = Field(gt=0)
    sigma_case: float = Field(0.0, ge=0)
    nu: float | None = Field(
        None, gt=0, description="Student-t degrees of freedom of the noise; unset: Normal noise"
    )


def _exempt_default() -> Predictor:
    return Predictor(intercept=-4.55)  # about 1% of the offenders


def _fine_only_default() -> Predictor:
    return Predictor(intercept=-2.94)  # about 5% where the article allows a fine alone


class Disposition(_Frozen):
    """The disposition of each convicted offender: exempted from punishment (免予刑事处罚,
    art. 37), a fine only (单处罚金, where the article's lowest tier allows a fine alone) or a
    custodial sentence (detention or a fixed term, which the term then tells apart).

    A multinomial logit against the custodial sentence: ``log P(exempt) / P(custodial) =
    exempt`` and ``log P(fine only) / P(custodial) = fine_only`` (a category the law forbids
    has probability 0), plus a case effect ``Normal(0, sigma_case)`` shared by co-defendants
    and added to both logits (a court's leniency towards the case).
    """

    exempt: Predictor = Field(default_factory=_exempt_default)
    fine_only: Predictor = Field(default_factory=_fine_only_default)
    sigma_case: float = Field(0.0, ge=0)


class Probation(Predictor):
    """Logit probability of probation among eligible offenders, plus a case effect
    ``Normal(0, sigma_case)`` shared by the eligible co-defendants."""

    log_term: float = Field(0.0, description="coefficient of log(term / 12 months)")
    sigma_case: float = Field(0.0, ge=0)


class Fine(_Frozen):
    """Log amount (Normal) of the fines, imposed wherever the law requires one.

    The tiers of the contract's articles either forbid a fine (285-1, 286) or require one
    (并处, 并处或者单处; :func:`ccmodels.law.fine_required`): no offender's fine is a chance
    event, so there is no any-fine part.
    """

    amount: Predictor
    sigma: float = Field(gt=0)
    sigma_case: float = Field(0.0, ge=0, description="case effect on the log amount")


TargetKind = Literal[
    "range", "below", "above", "in_central", "increasing", "decreasing", "argmax", "order"
]
