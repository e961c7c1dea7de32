"""Cases per year: negative binomial on a log rate that walks with drift (constant, damped or
itself walking).

Unit: one row per year (``year``, ``cases``; an offender table is counted first, see
:func:`ccmodels.data.yearly_counts`). ``cases_t ~ NegBin(exposure_t * exp(volume_t),
volume_dispersion)`` where ``volume_t = volume_intercept + volume_year_effect[t]`` is the
linear predictor of :mod:`ccmodels.params` with the year walk's drift on: the drift is the
yearly growth of the log rate. ``exposure`` (effect ``exposure``: a column name, or none) is the
share of the year's cases that the data hold (e.g. the share of judgments published), in (0, 1];
the rate is then that of all cases. New years continue the walk with its drift
(:func:`ccmodels.params.extend`); predictions are of all cases (exposure 1) unless the new
rows carry the exposure column.

A damped trend (effect ``year_damping = true``): the drift of the walk's step ``k`` (from the
first year) is ``volume_year_drift * volume_year_damping**k``, so growth can fade; new years
continue the decay. The factor's prior is ``Beta(6, 2)`` (:data:`ccmodels.models.blocks.
DAMPING_PRIOR`, with its reasons): fading and near-persistent growth are both admitted, and
with five years of data the prior carries much of the projection's width.

A local linear trend (effect ``year_local_trend = true``): the drift itself walks, the drift of
step ``k`` (``volume_year_slope``) that of step ``k - 1`` plus ``Normal(0, volume_sigma_drift)``
(prior ``HalfNormal(0.1)``, :data:`ccmodels.models.blocks.DRIFT_WALK_PRIOR`); new years walk on
from the last fitted step's drift, so a projection's spread grows faster with the horizon.

Known breaks (effect ``breaks``: a list of ``{date = "2015-11-01", shift = "level"}`` or
``"drift"``; a bare date is a level shift) add ``volume_break[k] * x_k(year)`` to the log rate,
with ``x_k`` the yearly average of the shift (:func:`ccmodels.fields.break_covariates`): a level
shift counts for the share of the year after the date, a drift shift grows by one per year
after it. Each break's effect has the prior ``break`` (default ``Normal(0, 0.5)``). A break
must fall inside the data's years: before them a level shift is the intercept and a drift
shift the drift; after them the data say nothing about it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from pymc_extras.prior import Prior
from scipy import stats

from ccmodels import fields, outcomes
from ccmodels.data import DataValidationError
from ccmodels.models import blocks
from ccmodels.models.base import Draws, ModelConfigError
from ccmodels.models.design import Design
from ccmodels.models.growth import GrowthModel, check_counts

__all__ = ["CaseVolumeModel"]


class CaseVolumeModel(GrowthModel):
    """Cases per year (negative binomial, log rate a random walk with drift)."""

    model_type = "case_volume"
    unit = "year"
    description = "years (one row per year, with its number of cases)"
    #: few rows and a walk with drift: a smaller step size
    sampler_defaults: ClassVar[dict[str, Any]] = {"target_accept": 0.95}
    damped_trend = True

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        return blocks.linear_priors(
            # year-to-year irregularity of the log count around its drift: about 15%
            Prior("Normal", mu=4.0, sigma=2.0),
            sigma_year=0.15,
            drift=0.5,
        ) | {
            # NB shape: Gamma(2, 0.05) has mean 40 and admits near-Poisson and wide spreads
            "dispersion": Prior("Gamma", alpha=2.0, beta=0.05),
            # a known break: a shift of the log rate (or of its yearly growth) of up to ~ +-1
            "break": Prior("Normal", mu=0.0, sigma=0.5),
            # a damped trend's yearly decay of the drift (effect year_damping): see
            # blocks.DAMPING_PRIOR for the reasons
            "year_damping": blocks.DAMPING_PRIOR.deepcopy(),
            # a local linear trend's yearly change of the drift (effect year_local_trend):
            # see blocks.DRIFT_WALK_PRIOR for the reasons
            "sigma_drift": blocks.DRIFT_WALK_PRIOR.deepcopy(),
        }

    @classmethod
    def default_effects(cls) -> dict[str, Any]:
        return super().default_effects() | {
            "chain": False,
            "article": False,
            "traits": [],
            "year_drift": True,
            "year_centered": False,
            "exposure": None,
            "breaks": [],
        }

    def check_effects(self, effects: dict[str, Any]) -> dict[str, Any]:
        return effects | {"breaks": _breaks(effects.get("breaks"))}

    def options(self) -> list[str]:
        return super().options() + (["breaks"] if self.effects["breaks"] else [])

    def _break_list(self) -> list[tuple[str, str]]:
        return [(b["date"], b["shift"]) for b in self.effects["breaks"]]

    def select(self, rows: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in ("year", "cases") if c not in rows.columns]
        if missing:
            raise DataValidationError.of(
                f"the case volume model needs columns year and cases; missing {missing} "
                f"(columns: {', '.join(map(str, rows.columns))})"
            )
        check_counts(rows, "year", 1997, "years")
        check_counts(rows, "cases", 0, "cases per year")
        years = rows["year"].to_numpy(int)
        if len(np.unique(years)) < 2:
            got = sorted({int(y) for y in years})
            raise DataValidationError.of(
                f"column 'year': the case volume model needs at least 2 years, got {got}"
            )
        if len(np.unique(years)) != len(years):
            dup = sorted({int(y) for y in years[pd.Series(years).duplicated().to_numpy()]})
            raise DataValidationError.of(f"column 'year': years {dup} appear more than once")
        self._exposure(rows)
        first, last = int(years.min()), int(years.max())
        for date, shift in self._break_list():
            if not (
                np.datetime64(f"{first}-01-01")
                < np.datetime64(date)
                < np.datetime64(f"{last + 1}-01-01")
            ):
                raise ModelConfigError(
                    f"effect 'breaks': the break {date} ({shift}) is outside the data's years "
                    f"{first}-{last}; a break must fall after {first}-01-01 and before "
                    f"{last + 1}-01-01 (before them a level shift is the intercept and a drift "
                    "shift the drift; after them the data cannot inform it)"
                )
        return rows

    def _exposure(self, rows: pd.DataFrame) -> np.ndarray:
        col = self.effects.get("exposure")
        if not col:
            return np.ones(len(rows))
        if col not in rows:
            raise DataValidationError.of(
                f"effect 'exposure' names column {col!r}, which the data do not have; "
                f"columns: {', '.join(map(str, rows.columns))}"
            )
        e = pd.to_numeric(rows[col], errors="coerce").to_numpy(float)
        bad = ~np.isfinite(e) | (e <= 0) | (e > 1)
        if bad.any():
            raise DataValidationError.of(
                f"column {col!r}: an exposure must be in (0, 1]; rows "
                f"{rows.index[bad][:10].tolist()} hold {rows[col][bad].head(10).tolist()}"
            )
        return e

    def extra_design(self, rows: pd.DataFrame, coords: dict[str, list[Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {"log_exposure": np.log(self._exposure(rows))}
        brk = self._break_list()
        if brk:
            out["break_x"] = fields.break_covariates(rows["year"].to_numpy(int), brk)
            out["_coords"] = {"break": [fields.break_label(*b) for b in brk]}
        return out

    def _add_likelihood(self, d: Design) -> None:
        eta = self.predictor("volume", d) + self.pack(
            "volume_log_exposure", d.extra["log_exposure"]
        )
        if "break_x" in d.extra:
            effect = self.priors["break"].deepcopy()
            effect.dims = ("break",)
            beta = effect.create_variable("volume_break")
            x = self.pack("volume_break_x", d.extra["break_x"])
            eta = eta + x @ beta
        alpha = self.priors["dispersion"].create_variable("volume_dispersion")
        self.observe("cases_obs", _nb, [pt.exp(eta), alpha], d.rows["cases"].to_numpy(), d.rows)

    def _rate(self, draws: Draws, d: Design, rng: np.random.Generator) -> np.ndarray:
        eta = self.eta("volume", draws, d, rng) + d.extra["log_exposure"][None, :]
        if "break_x" in d.extra:
            eta = eta + np.asarray(draws["volume_break"], float) @ d.extra["break_x"].T
        return np.exp(eta)

    def simulate_outcomes(
        self, draws: Draws, d: Design, rng: np.random.Generator, conditional: bool = False
    ) -> dict[str, np.ndarray]:
        mu = self._rate(draws, d, rng)
        alpha = np.asarray(draws["volume_dispersion"], float)[:, None]
        return {"cases": outcomes.negbin(rng, mu, np.broadcast_to(alpha, mu.shape)).astype(float)}

    def new_design(self, new_data: pd.DataFrame) -> Design:
        rows = new_data.copy()
        if "cases" not in rows:
            rows["cases"] = 0
        col = self.effects.get("exposure")
        if col and col not in rows:
            rows[col] = 1.0
        return super().new_design(rows)

    def predict(self, new_data: pd.DataFrame, kind: str = "mean", seed: int = 0) -> xr.DataArray:
        """Cases in the years of ``new_data`` (a ``year`` column; all cases, unless it holds
        the exposure column): the expected number or (``kind="predictive"``) a replicate."""
        d = self.new_design(new_data)
        rng = np.random.default_rng(seed)
        if kind == "mean":
            vals = self._rate(self.draws(), d, rng)
        elif kind == "predictive":
            vals = self.simulate_outcomes(self.draws(), d, rng)["cases"]
        else:
            raise ValueError(f"kind must be 'mean' or 'predictive', got {kind!r}")
        return self._as_draws(vals, "cases")

    def log_density(self, new_rows: pd.DataFrame, seed: int = 0) -> np.ndarray:
        """log p(the counts of ``new_rows`` (yearly rows: ``year``, ``cases``) | one posterior
        draw), one value per draw (chains x draws flattened), the walk continued past the
        fitted years by the draw's drift and scale (``seed``). For leave-future-out scoring."""
        d = self.new_design(new_rows)
        rate = self._rate(self.draws(), d, np.random.default_rng(seed))
        shape = np.asarray(self.draws()["volume_dispersion"], float).reshape(-1, 1)
        y = d.rows["cases"].to_numpy(float)[None, :]
        lp = stats.nbinom.logpmf(y, shape, shape / (shape + rate))
        return np.asarray(lp.sum(axis=1), float)

    def derived(self) -> dict[str, pd.DataFrame]:
        """Expected cases by fitted year (exposure as in the data) against the observed."""
        from ccmodels.models.summaries import group_summary

        d = self._fitted_design()
        e = self._rate(self.draws(), d, np.random.default_rng(0))
        return {"cases_by_year": group_summary(e, d.rows, d.rows["cases"].to_numpy(float), "year")}


def _nb(value: Any, mu: Any, alpha: Any) -> Any:
    """log NegBin(value | mu, alpha)."""
    return pm.logp(pm.NegativeBinomial.dist(mu=mu, alpha=alpha), value)


def _breaks(given: Any) -> list[dict[str, str]]:
    """The ``breaks`` effect as a list of ``{"date": "YYYY-MM-DD", "shift": ...}`` (sorted,
    distinct); one :class:`ModelConfigError` naming the entry and the allowed forms otherwise."""
    form = 'a date "YYYY-MM-DD" or a table {date = "YYYY-MM-DD", shift = "level" | "drift"}'
    if given is None:
        return []
    if isinstance(given, str | dict) or not isinstance(given, list | tuple):
        raise ModelConfigError(f"effect 'breaks' must be a list, each entry {form}; got {given!r}")
    out = []
    for i, b in enumerate(given):
        entry = b if isinstance(b, dict) else {"date": b}
        extra = sorted(set(entry) - {"date", "shift"})
        shift = entry.get("shift", "level")
        try:
            date = str(np.datetime64(str(entry.get("date")), "D"))
        except ValueError:
            date = None
        if extra or date is None or shift not in fields.BREAK_SHIFTS:
            raise ModelConfigError(
                f"effect 'breaks', entry {i} ({b!r}): each entry is {form}"
                + (f"; unknown keys {extra}" if extra else "")
            )
        out.append({"date": date, "shift": str(shift)})
    keys = [(b["date"], b["shift"]) for b in out]
    if len(set(keys)) != len(keys):
        raise ModelConfigError(f"effect 'breaks': a break is given twice ({keys})")
    return sorted(out, key=lambda b: (b["date"], b["shift"]))
