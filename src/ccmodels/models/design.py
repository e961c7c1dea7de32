"""Designs: a model's unit rows (offenders, cases or years), their coords and covariates.

A :class:`Design` holds the rows a model is fitted on, the named coords of every level (year,
value chain, article, trait, plus the model's own), the rows' linear-predictor covariates on
those coords (:class:`ccmodels.params.LinearData`) and model-specific arrays (``extra``).
Units: :func:`offender_rows` (the data contract, validated), :func:`case_rows` (one row per case)
and :func:`year_rows` (one row per year, from an offender table or a table of yearly counts).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pymc_extras.prior import Prior

from ccmodels import params
from ccmodels.data.schema import CHAIN_COLUMNS, TRAITS, VALUE_CHAINS, validate
from ccmodels.models.blocks import Centring, prior_mean
from ccmodels.models.config import ModelConfigError

__all__ = [
    "AUTO_CENTER_MIN_ROWS",
    "Design",
    "binary_outcome_scales",
    "case_rows",
    "centring",
    "level_coords",
    "log_outcome_scales",
    "make_design",
    "offender_rows",
    "partial_weights",
    "year_rows",
]

#: "auto" centring: a level with at least this many rows is centred (its data pin it).
AUTO_CENTER_MIN_ROWS = 50
LEVEL_DIMS = ("year", "value_chain", "article", "trait")


@dataclass
class Design:
    """Arrays for one model's unit of analysis."""

    rows: pd.DataFrame
    coords: dict[str, list[Any]]
    x: params.LinearData
    extra: dict[str, Any] = field(default_factory=dict)
    #: further dims of the model (e.g. ``case``), by name
    dims: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def year(self) -> np.ndarray:
        return self.rows["year"].to_numpy(dtype=int)

    def subset(self, m: np.ndarray) -> Design:
        """The rows where ``m`` is true (coords unchanged)."""
        per_row = {
            k: v[m]
            for k, v in self.extra.items()
            if isinstance(v, np.ndarray) and v.shape[:1] == (len(self.rows),)
        }
        return Design(
            self.rows[m].reset_index(drop=True), self.coords, self.x.subset(m), per_row, self.dims
        )


# --------------------------------------------------------------------------- units
def offender_rows(data: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
    """An offender table validated against the data contract."""
    return validate(data, source=source).data


def case_rows(data: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
    """One row per case from an offender table: case_id, year, value chains, article (the
    case's first defendant's), target and ``n_defendants``."""
    off = offender_rows(data, source)
    g = off.groupby("case_id", sort=False, observed=True)
    cols = ["year", *CHAIN_COLUMNS, "article", "target"]
    cases = g[[c for c in cols if c in off]].first()
    cases["n_defendants"] = g.size()
    return cases.reset_index()


def year_rows(data: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
    """One row per year: a table with columns ``year`` and ``cases`` (and optional others,
    e.g. an exposure) as given, or the yearly counts of an offender table."""
    if "cases" in data.columns and "case_id" not in data.columns:
        return data.sort_values("year").reset_index(drop=True)
    from ccmodels.data.io import yearly_counts

    return yearly_counts(offender_rows(data, source))


UNITS = {"offender": offender_rows, "case": case_rows, "year": year_rows}


# --------------------------------------------------------------------------- coords
def level_coords(
    rows: pd.DataFrame,
    effects: Mapping[str, Any],
    model_type: str,
    article_levels: Sequence[str],
    traits: Sequence[str] = TRAITS,
) -> dict[str, list[Any]]:
    """The level coords of a model on ``rows``, by the effects it has.

    Years: every year from the first to the last in the rows. Value chains and traits: those
    that vary in the rows (a trait that does not is left out, with a warning). Articles:
    ``article_levels`` (the articles the unit admits) for the ``article`` column; for another
    grouping column, the levels present.
    """
    coords: dict[str, list[Any]] = {}
    year = rows["year"].to_numpy(dtype=int)
    if effects.get("year"):
        if year.min() == year.max():
            raise ValueError(
                f"the {model_type} model has a year effect but the data hold a single year "
                f"({year.min()}, {len(rows)} rows); give at least two years or set "
                "effects.year = false"
            )
        coords["year"] = list(range(int(year.min()), int(year.max()) + 1))
        coords["year_step"] = coords["year"][1:]
    if effects.get("chain"):
        vary = [
            c for c, col in zip(VALUE_CHAINS, CHAIN_COLUMNS, strict=True) if rows[col].nunique() > 1
        ]
        if vary:
            coords["value_chain"] = vary
    if effects.get("article"):
        gcol = str(effects.get("article_column", "article"))
        if gcol not in rows.columns:
            raise ValueError(
                f"the {model_type} model groups by column {gcol!r} (effects.article_column), "
                "which the data do not have"
            )
        present = sorted(set(rows[gcol].astype(str)))
        levels = list(article_levels) if gcol == "article" else present
        if len(levels) > 1:
            coords["article"] = levels
    wanted = [t for t in effects.get("traits", []) if t in traits]
    vary_t = [t for t in wanted if rows[t].nunique() > 1]
    dropped = sorted(set(wanted) - set(vary_t))
    if dropped:
        warnings.warn(
            f"{model_type} model: trait(s) {dropped} do not vary in the {len(rows)} rows "
            "fitted and are left out",
            stacklevel=4,
        )
    if vary_t:
        coords["trait"] = vary_t
    return coords


def make_design(
    rows: pd.DataFrame, coords: Mapping[str, list[Any]], effects: Mapping[str, Any]
) -> Design:
    """Index ``rows`` on ``coords``; a level outside them is an error (extend them first)."""
    gcol = str(effects.get("article_column", "article"))
    x = params.linear_data(rows, coords, gcol)
    for dim, idx in (("year", x.year_idx), ("article", x.art_idx)):
        if idx is not None and (idx < 0).any():
            col = "year" if dim == "year" else gcol
            bad = sorted(set(rows[col].astype(str).to_numpy()[idx < 0]))
            raise ValueError(f"column {col!r}: levels {bad} are outside the coords {coords[dim]}")
    return Design(rows.reset_index(drop=True), dict(coords), x)


def extended_coords(
    fitted: Mapping[str, list[Any]], rows: pd.DataFrame, effects: Mapping[str, Any]
) -> dict[str, list[Any]]:
    """The fitted coords extended to cover new rows: years out to the new ones, new levels
    of a grouping column appended (their effects follow the out-of-sample rules)."""
    out = {k: list(v) for k, v in fitted.items()}
    if "year" in out:
        yrs = rows["year"].to_numpy(dtype=int)
        lo, hi = min(out["year"][0], int(yrs.min())), max(out["year"][-1], int(yrs.max()))
        out["year"] = list(range(lo, hi + 1))
        out["year_step"] = out["year"][1:]
    if "article" in out:
        gcol = str(effects.get("article_column", "article"))
        seen = set(map(str, out["article"]))
        out["article"] += sorted({a for a in rows[gcol].astype(str) if a not in seen})
    return out


def centring(
    d: Design,
    effects: Mapping[str, Any],
    min_rows: Mapping[str, int] | None = None,
    outcome_scales: tuple[float, float] | None = None,
    model_name: str = "this",
) -> Centring:
    """The parameterisation of each block: an explicit choice, or ``"auto"``: centred where
    every level has at least ``min_rows[block]`` rows (default :data:`AUTO_CENTER_MIN_ROWS`;
    the data then pin each effect and the non-centred form would couple the scale with every
    innovation); non-centred otherwise (a funnel appears when levels hold little data). For
    articles "auto" is decided per level (a mask).

    ``year_centered = "partial"`` centres each step of the year walk by the fraction
    :func:`partial_weights` gives from the rows of the two years it joins and ``outcome_scales``
    (the outcome's noise and a typical step size), for years neither weakly nor strongly
    informed, where both forms leave a funnel (see :func:`ccmodels.models.blocks.year_effect`).
    ``article_centered = "partial"``: the articles with at least ``min_rows["article"]`` rows
    are centred by a fraction that follows their scale (``Centring.article_precision``, from
    their rows and the noise; see :func:`ccmodels.models.blocks.article_effect`), the others
    non-centred. Both need ``outcome_scales``; without them "partial" is refused."""
    limits = dict.fromkeys(("year", "chain", "article"), AUTO_CENTER_MIN_ROWS)
    limits |= min_rows or {}

    partial_keys = ("year_centered", "article_centered")

    def auto(key: str, counts: Any) -> Any:
        value = effects.get(key, False)
        if value == "auto":
            limit = limits[key.removesuffix("_centered")]
            return bool(np.min(counts) >= limit) if np.size(counts) else False
        if value == "partial" and key in partial_keys:
            raise ModelConfigError(
                f"effect {key!r} = 'partial' is not available for the {model_name} model (it "
                f"needs an outcome with a noise scale); allowed: true, false, 'auto'"
            )
        if not isinstance(value, bool):
            partial = key in partial_keys and outcome_scales is not None
            allowed = "true, false, 'auto'" + (", 'partial'" if partial else "")
            raise ModelConfigError(
                f"effect {key!r} of the {model_name} model must be one of {allowed}, got {value!r}"
            )
        return value

    x = d.x
    year: bool | np.ndarray = False
    chain = False
    art: bool | np.ndarray = False
    if x.year_idx is not None:
        counts = np.bincount(x.year_idx, minlength=len(d.coords["year"]))
        if effects.get("year_centered") == "partial" and outcome_scales is not None:
            year = partial_weights(counts, *outcome_scales)
        else:
            year = auto("year_centered", counts)
    if x.chains is not None:
        chain = auto("chain_centered", x.chains.sum(axis=0))
    precision = None
    if x.art_idx is not None:
        counts = np.bincount(x.art_idx, minlength=len(d.coords["article"]))
        how = effects.get("article_centered")
        if how == "partial" and outcome_scales is not None:
            art = counts >= limits["article"]
            if art.any():
                # a typical well-represented article: the geometric mean of their rows
                rows = float(np.exp(np.mean(np.log(counts[art]))))
                precision = rows / outcome_scales[0] ** 2
        elif how == "auto":
            art = counts >= limits["article"]
        else:
            art = auto("article_centered", counts)
    return Centring(
        year,
        chain,
        art,
        bool(effects.get("year_drift", False)),
        precision,
        bool(effects.get("year_damping", False)),
        bool(effects.get("year_local_trend", False)),
    )


def partial_weights(counts: np.ndarray, noise: float, step: float) -> np.ndarray:
    """The centred fraction of each step of a year walk: ``w = n s^2 / (n s^2 + noise^2)``, with
    ``n = 1 / (1/n_k + 1/n_{k+1})`` the rows of the two years the step joins (the precision of
    their difference, in rows) and ``s`` a typical step. For a normal mean with ``n`` rows and
    effect scale ``s`` this ``w`` makes the posterior spread of the auxiliary variable flat in
    ``s`` at ``s``: the funnel of both forms is gone there."""
    n = np.asarray(counts, dtype=float)
    with np.errstate(divide="ignore"):
        pair = 1.0 / (1.0 / n[:-1] + 1.0 / n[1:])
    pair = np.nan_to_num(pair, nan=0.0, posinf=0.0)
    info = pair * step**2
    return info / (info + noise**2)


def binary_outcome_scales(
    y: np.ndarray, priors: Mapping[str, Prior], allowed: np.ndarray | None = None
) -> tuple[float, float]:
    """(noise, typical step) of a logit model whose event is ``y`` (0/1, among the rows
    ``allowed``): a row carries information ``p (1 - p)`` about its logit at the event's rate
    ``p``, so the noise is ``1 / sqrt(p (1 - p))`` (rate kept within a row of 0 and 1); the
    step is the prior mean of ``sigma_year``."""
    y = np.asarray(y, dtype=float)
    if allowed is not None:
        y = y[np.asarray(allowed, dtype=bool)]
    n = max(y.size, 1)
    p = float(np.clip(y.mean() if y.size else 0.5, 1.0 / (n + 1), n / (n + 1)))
    return 1.0 / np.sqrt(p * (1.0 - p)), prior_mean(priors["sigma_year"])


def log_outcome_scales(d: Design, priors: Mapping[str, Prior]) -> tuple[float, float] | None:
    """(noise, typical step) of a model of a log outcome ``d.extra["y"]``: the spread of the
    outcome about its year's mean and the prior mean of ``sigma_year``; None without years
    or rows."""
    y, yi = np.asarray(d.extra["y"], dtype=float), d.x.year_idx
    if yi is None or y.size == 0:
        return None
    n = np.bincount(yi, minlength=len(d.coords["year"]))
    mean = np.bincount(yi, weights=y, minlength=n.size) / np.maximum(n, 1)
    noise = float(np.sqrt(np.mean((y - mean[yi]) ** 2)))
    return max(noise, 1e-3), prior_mean(priors["sigma_year"])
