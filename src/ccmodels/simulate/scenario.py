"""Scenario: the frozen, validated parameter object of the case-population simulator.

A scenario is loaded from TOML (``Scenario.from_toml``) or built in code. Unknown keys are errors
with a "did you mean" hint. All effects are on the scale of the matching model's linear predictor
(log months for the prison term, logit for probation, log yuan for the fine amount) and use the model's level names, so that the truth Dataset is directly comparable with a
posterior.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import (
    AfterValidator,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from ccmodels.simulate.parts import (
    ArticleMix,
    Chains,
    Disposition,
    Fine,
    GroupSize,
    Probation,
    Roles,
    Sentence,
    TargetMix,
    Traits,
    Volume,
    VolumeBreak,
)
from ccmodels.simulate.predictor import (
    FrozenAnyMap,
    Predictor,
    ScenarioError,
    _empty_map,
    _freeze,
    _Frozen,
)

__all__ = ["Disposition", "Predictor", "Scenario", "ScenarioError", "Target", "VolumeBreak"]


class Target(_Frozen):
    """A published figure the scenario should reproduce, with its tolerance.

    ``statistic`` names a function of one simulated population (see
    :mod:`ccmodels.simulate.calibrate`), ``args`` its arguments. The check is one of: ``range``
    [lo, hi] (``value`` ± ``tolerance`` is a range too; ``open_low`` makes it (lo, hi]), ``below``
    or ``above`` a bound, ``in_central`` (``value`` inside the central ``level`` interval of the
    replicates), ``increasing``/``decreasing`` over the years, ``argmax`` (the year or level with
    the highest mean) and ``order`` (the listed levels in decreasing order of their means).
    """

    statistic: str
    args: FrozenAnyMap = Field(default_factory=_empty_map)
    description: str = ""
    source: str = ""
    range: tuple[float, float] | None = None
    value: float | None = None
    tolerance: float | None = None
    open_low: bool = False
    below: float | None = None
    above: float | None = None
    level: float = Field(0.9, gt=0, lt=1)
    in_central: bool = False
    increasing: bool = False
    decreasing: bool = False
    argmax: Any = None
    order: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _one_check(self) -> Target:
        kinds = [
            self.range is not None or (self.tolerance is not None and not self.in_central),
            self.below is not None,
            self.above is not None,
            self.in_central,
            self.increasing,
            self.decreasing,
            self.argmax is not None,
            self.order is not None,
        ]
        if sum(kinds) != 1:
            raise ValueError(
                "a target needs exactly one check: range (or value + tolerance), below, above, "
                "in_central (with value), increasing, decreasing, argmax or order"
            )
        if self.tolerance is not None and self.value is None:
            raise ValueError("tolerance needs a value")
        if self.in_central and self.value is None:
            raise ValueError("in_central needs a value")
        return self

    @property
    def kind(self) -> str:
        if self.range is not None or (self.tolerance is not None and not self.in_central):
            return "range"
        for k in ("below", "above", "argmax", "order"):
            if getattr(self, k) is not None:
                return k
        for k in ("in_central", "increasing", "decreasing"):
            if getattr(self, k):
                return k
        raise AssertionError("unreachable")

    def bounds(self) -> tuple[float, float]:
        if self.range is not None:
            return self.range
        assert self.value is not None and self.tolerance is not None
        return (self.value - self.tolerance, self.value + self.tolerance)


class Scenario(_Frozen):
    """All parameters of a synthetic case population.

    Examples
    --------
    >>> from ccmodels.simulate import Scenario, simulate
    >>> sc = Scenario.default()                  # the cai2017 calibration
    >>> pop = simulate(sc, seed=1)
    >>> pop.offenders.shape[0] > 0
    True
    """

    name: str = "scenario"
    description: str = ""
    years: tuple[int, int]
    volume: Volume
    chains: Chains
    target_mix: TargetMix
    article_mix: ArticleMix
    group_size: GroupSize
    traits: Traits = Field(default_factory=Traits)
    roles: Roles = Field(default_factory=Roles)
    sentence: Sentence
    disposition: Disposition = Field(default_factory=Disposition)
    probation: Probation
    fine: Fine
    targets: Annotated[Mapping[str, Target], AfterValidator(_freeze), PlainSerializer(dict)] = (
        Field(default_factory=_empty_map)
    )

    @field_validator("years")
    @classmethod
    def _years(cls, v: tuple[int, int]) -> tuple[int, int]:
        if v[1] < v[0] or v[0] < 1997:
            raise ValueError(f"years must be [first, last] with 1997 <= first <= last, got {v}")
        return v

    @model_validator(mode="after")
    def _year_lengths(self) -> Scenario:
        yrs = self.year_values()
        for name, p in (
            ("sentence", self.sentence),
            ("probation", self.probation),
            ("fine.amount", self.fine.amount),
            ("disposition.exempt", self.disposition.exempt),
            ("disposition.fine_only", self.disposition.fine_only),
        ):
            if p.year_dev is not None and len(p.year_dev) != len(yrs):
                raise ValueError(
                    f"{name}.year_dev has {len(p.year_dev)} values; the scenario has {len(yrs)} "
                    f"years ({yrs[0]}-{yrs[-1]})"
                )
        return self

    def year_values(self) -> np.ndarray:
        return np.arange(self.years[0], self.years[1] + 1)

    def predictor(self, path: str) -> Predictor:
        """The Predictor at a dotted path (``"sentence"``, ``"fine.amount"``,
        ``"group_size.mu"``, ``"volume.log_rate"``, ``"chains.logit.real_assets"``), readable
        forms converted to the general one."""
        head, _, rest = path.partition(".")
        if head == "volume" and rest == "log_rate":
            return self.volume.predictor(self.years[0])
        if head == "group_size" and rest in ("mu", "alpha"):
            return self.group_size.predictor(rest)
        if head == "chains" and rest.startswith("logit."):
            return self.chains.predictor(rest.split(".", 1)[1], self.years[0])
        obj: Any = self
        for part in path.split("."):
            obj = getattr(obj, part)
        if not isinstance(obj, Predictor):
            raise ScenarioError(f"{path!r} is not a predictor of the scenario")
        return obj

    # ---------------------------------------------------------------- construction
    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<dict>") -> Scenario:
        """Validate a nested dict; unknown keys get a did-you-mean hint."""
        problems = _unknown_keys(cls, data, ())
        if problems:
            raise ScenarioError(f"{source}: " + "; ".join(problems))
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            msgs = []
            for err in exc.errors():
                loc = ".".join(str(x) for x in err["loc"])
                msgs.append(f"{loc}: {err['msg']}")
            raise ScenarioError(f"{source}: invalid scenario: " + "; ".join(msgs)) from None

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> Scenario:
        """Load a scenario from a TOML file."""
        p = Path(path)
        if not p.exists():
            raise ScenarioError(f"{p}: no such scenario file")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(f"{p}: not valid TOML: {exc}") from None
        return cls.from_dict(data, source=str(p))

    @classmethod
    def default(cls) -> Scenario:
        """The scenario calibrated to the University of Macau study (cai2017)."""
        from importlib.resources import files

        text = files("ccmodels.resources").joinpath("cai2017.toml").read_text(encoding="utf-8")
        return cls.from_dict(tomllib.loads(text), source="cai2017 (built in)")

    def replace(self, **changes: Any) -> Scenario:
        """A copy with nested changes, e.g. ``replace(sentence={"sigma": 0.5})``; re-validated."""
        data = self.model_dump()
        _deep_update(data, changes)
        return Scenario.from_dict(data, source=f"{self.name} (modified)")

    def scaled(self, factor: float) -> Scenario:
        """A copy whose expected case volume is multiplied by ``factor``."""
        return self.replace(volume={"scale": self.volume.scale * factor})


from ccmodels.simulate._keys import _deep_update, _unknown_keys  # noqa: E402
