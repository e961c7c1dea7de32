"""Calibration: simulate many replicates of a scenario and compare statistics with its targets.

Each target names a *statistic* of one simulated population (a function below); replicates give
the statistic's simulated distribution, whose mean and central interval are printed beside the
published figure. Pass/fail rules are documented on :class:`~ccmodels.simulate.Target`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ccmodels.data.schema import TRAITS, VALUE_CHAINS
from ccmodels.simulate.population import Population, simulate
from ccmodels.simulate.scenario import Scenario, Target
from ccmodels.util import progress_bar

__all__ = ["STATISTICS", "CalibrationResult", "calibrate"]

Stat = Callable[..., float | pd.Series]


def _by_year(pop: Population, values: pd.Series) -> pd.Series:
    years = pop.truth["year"].values
    return values.reindex(years)


def cases_per_year(pop: Population) -> pd.Series:
    """Number of cases per year."""
    return _by_year(pop, pop.cases.groupby("year").size().astype(float))


def total_cases(pop: Population, years: list[int] | None = None) -> float:
    """Total number of cases (optionally within [first, last] year)."""
    c = pop.cases
    if years is not None:
        c = c[c["year"].between(years[0], years[1])]
    return float(len(c))


def mean_term(pop: Population, year: int | None = None) -> float | pd.Series:
    """Mean custodial term (months) among offenders with a custodial sentence, by year."""
    o = pop.offenders
    o = o[o["term_months"] > 0]
    s = _by_year(pop, o.groupby("year")["term_months"].mean())
    return float(s.get(year, np.nan)) if year is not None else s


def probation_share(pop: Population, year: int | None = None) -> float:
    """Share of all offenders given probation."""
    o = pop.offenders
    if year is not None:
        o = o[o["year"] == year]
    return float(o["probation"].mean()) if len(o) else math.nan


def mean_fine(pop: Population, year: int | None = None) -> float | pd.Series:
    """Mean fine (yuan) over all offenders, zeros included, by year."""
    s = _by_year(pop, pop.offenders.groupby("year")["fine_yuan"].mean())
    return float(s.get(year, np.nan)) if year is not None else s


def fine_ratio(pop: Population, year: int, base: int) -> float:
    """Mean fine in ``year`` divided by the mean fine in ``base``."""
    s = mean_fine(pop)
    assert isinstance(s, pd.Series)
    return float(s.get(year, np.nan) / s.get(base, np.nan))


def chain_share(pop: Population, chain: str, year: int | None = None) -> float | pd.Series:
    """Share of cases with a value chain (overall, or by year when ``year`` is None and
    ``by_year`` is wanted: see ``chain_share_by_year``)."""
    if chain not in VALUE_CHAINS:
        raise ValueError(f"unknown value chain {chain!r}; allowed: {', '.join(VALUE_CHAINS)}")
    c = pop.cases
    if year is not None:
        c = c[c["year"] == year]
    return float(c[f"chain_{chain}"].mean()) if len(c) else math.nan


def chain_share_by_year(pop: Population, chain: str) -> pd.Series:
    """Share of cases with a value chain, by year."""
    return _by_year(pop, pop.cases.groupby("year")[f"chain_{chain}"].mean().astype(float))


def target_share(pop: Population) -> pd.Series:
    """Share of cases by target."""
    return pop.cases["target"].value_counts(normalize=True).astype(float)


def mean_group_size(pop: Population, year: int | None = None) -> float | pd.Series:
    """Mean defendants per case, by year."""
    s = _by_year(pop, pop.cases.groupby("year")["n_defendants"].mean().astype(float))
    return float(s.get(year, np.nan)) if year is not None else s


def max_group_size(pop: Population, year: int | None = None) -> float | pd.Series:
    """Largest case (defendants), by year."""
    s = _by_year(pop, pop.cases.groupby("year")["n_defendants"].max().astype(float))
    return float(s.get(year, np.nan)) if year is not None else s


def probation_gap(pop: Population, trait: str) -> float:
    """P(probation | trait) - P(probation | no trait), over all offenders."""
    if trait not in TRAITS:
        raise ValueError(f"unknown trait {trait!r}; allowed: {', '.join(TRAITS)}")
    o = pop.offenders
    has = o[trait].to_numpy(dtype=bool)
    if has.all() or not has.any():
        return math.nan
    pr = o["probation"].to_numpy(dtype=float)
    return float(pr[has].mean() - pr[~has].mean())


STATISTICS: dict[str, Stat] = {
    "cases_per_year": cases_per_year,
    "total_cases": total_cases,
    "mean_term": mean_term,
    "probation_share": probation_share,
    "mean_fine": mean_fine,
    "fine_ratio": fine_ratio,
    "chain_share": chain_share,
    "chain_share_by_year": chain_share_by_year,
    "target_share": target_share,
    "mean_group_size": mean_group_size,
    "max_group_size": max_group_size,
    "probation_gap": probation_gap,
}


@dataclass(frozen=True)
class TargetResult:
    """One target's outcome over the replicates."""

    name: str
    description: str
    expected: str
    simulated: str
    mean: float | None
    lower: float | None
    upper: float | None
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class CalibrationResult:
    """Every target with the simulated mean, central interval and pass/fail."""

    scenario: str
    replicates: int
    seed: int
    level: float
    targets: list[TargetResult]

    @property
    def passed(self) -> bool:
        return all(t.passed for t in self.targets)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([t.to_dict() for t in self.targets]).set_index("name")

    def to_json(self) -> str:
        return json.dumps(
            {
                "scenario": self.scenario,
                "replicates": self.replicates,
                "seed": self.seed,
                "level": self.level,
                "passed": self.passed,
                "targets": [t.to_dict() for t in self.targets],
            },
            indent=2,
            default=float,
        )

    def __str__(self) -> str:
        rows = [("target", "expected", f"simulated mean [{self.level:.0%} interval]", "")]
        rows += [
            (t.name, t.expected, t.simulated, "pass" if t.passed else "FAIL") for t in self.targets
        ]
        w = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = [f"Calibration of {self.scenario}: {self.replicates} replicates, seed {self.seed}"]
        for i, r in enumerate(rows):
            lines.append("  ".join(c.ljust(w[j]) for j, c in enumerate(r)).rstrip())
            if i == 0:
                lines.append("  ".join("-" * x for x in w))
        n_ok = sum(t.passed for t in self.targets)
        lines.append(f"{n_ok}/{len(self.targets)} targets passed")
        return "\n".join(lines)


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "nan"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _evaluate(name: str, tg: Target, values: list[Any], level: float) -> TargetResult:
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    kind = tg.kind
    if kind in ("increasing", "decreasing", "argmax", "order"):
        frame = pd.DataFrame([pd.Series(v) for v in values])
        means = frame.mean(axis=0, skipna=True)
        shown = ", ".join(f"{k}: {_fmt(v)}" for k, v in means.items())
        if kind == "increasing":
            ok = bool(np.all(np.diff(means.to_numpy()) > 0))
            exp = "increasing over years"
        elif kind == "decreasing":
            ok = bool(np.all(np.diff(means.to_numpy()) < 0))
            exp = "decreasing over years"
        elif kind == "argmax":
            ok = str(means.idxmax()) == str(tg.argmax)
            exp = f"highest at {tg.argmax}"
        else:
            assert tg.order is not None
            sub = means.reindex(tg.order)
            ok = bool(sub.notna().all() and np.all(np.diff(sub.to_numpy()) < 0))
            exp = " > ".join(tg.order)
        return TargetResult(name, tg.description, exp, shown, None, None, None, ok)

    arr = np.array([float(v) for v in values])
    arr = arr[np.isfinite(arr)]
    if len(arr) == 0:
        return TargetResult(name, tg.description, "", "no finite values", None, None, None, False)
    mean = float(arr.mean())
    lo, hi = (float(x) for x in np.quantile(arr, [lo_q, hi_q]))
    sim = f"{_fmt(mean)} [{_fmt(lo)}, {_fmt(hi)}]"
    if kind == "range":
        a, b = tg.bounds()
        ok = (a < mean if tg.open_low else a <= mean) and mean <= b
        exp = f"{'(' if tg.open_low else '['}{_fmt(a)}, {_fmt(b)}]"
        if tg.value is not None and tg.tolerance is not None:
            exp = f"{_fmt(tg.value)} ± {_fmt(tg.tolerance)}"
    elif kind == "below":
        assert tg.below is not None
        ok, exp = mean < tg.below, f"< {_fmt(tg.below)}"
    elif kind == "above":
        assert tg.above is not None
        ok, exp = mean > tg.above, f"> {_fmt(tg.above)}"
    else:  # in_central
        assert tg.value is not None
        qlo, qhi = (1 - tg.level) / 2, 1 - (1 - tg.level) / 2
        a, b = (float(x) for x in np.quantile(arr, [qlo, qhi]))
        ok = a <= tg.value <= b
        exp = f"{_fmt(tg.value)} inside central {tg.level:.0%}"
        sim = f"{_fmt(mean)} [{_fmt(a)}, {_fmt(b)}]"
        lo, hi = a, b
    return TargetResult(name, tg.description, exp, sim, mean, lo, hi, bool(ok))


def calibrate(
    scenario: Scenario,
    replicates: int = 200,
    seed: int = 0,
    level: float = 0.9,
    progress: bool | None = None,
) -> CalibrationResult:
    """Simulate ``replicates`` populations and check each of the scenario's targets.

    Parameters
    ----------
    scenario : Scenario
        A scenario with a ``[targets]`` table.
    replicates : int
        Number of independent populations (seeds ``seed``, ``seed + 1``, ...).
    seed : int
        First seed.
    level : float
        Central interval reported beside each simulated mean.
    progress : bool, optional
        Progress bar; default: on when stderr is a terminal.

    Returns
    -------
    CalibrationResult
    """
    if not scenario.targets:
        raise ValueError(f"scenario {scenario.name!r} has no [targets] to calibrate against")
    if replicates < 2:
        raise ValueError(f"replicates must be at least 2, got {replicates}")
    for name, tg in scenario.targets.items():
        if tg.statistic not in STATISTICS:
            raise ValueError(
                f"target {name!r}: unknown statistic {tg.statistic!r}; "
                f"allowed: {', '.join(STATISTICS)}"
            )
    values: dict[str, list[Any]] = {k: [] for k in scenario.targets}
    for r in progress_bar(range(replicates), desc="calibrating", enabled=progress):
        pop = simulate(scenario, seed + r)
        for name, tg in scenario.targets.items():
            values[name].append(STATISTICS[tg.statistic](pop, **tg.args))
    results = [_evaluate(n, tg, values[n], level) for n, tg in scenario.targets.items()]
    return CalibrationResult(scenario.name, replicates, seed, level, results)
