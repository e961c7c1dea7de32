"""The sentencing pipeline: disposition -> term -> probation -> fine, for any population.

:class:`SentencingPipeline` composes four fitted models (or fit files) and, for the offenders
of any table (the fitted data, new data, a simulated or projected population: the covariates
are read, any outcome columns ignored), draws each offender's whole sentence under the
posterior, in the order a court decides it:

1. the disposition (disposition model): exempt, fine only (where the article allows it) or
   custodial;
2. for a custodial sentence, the term (sentence model; censored at the statutory bounds), which
   makes it detention (under 6 months, art. 42) or a fixed term;
3. probation (probation model) for the offenders the law makes eligible (arts. 72, 74), with
   the drawn term as its covariate;
4. the fine wherever the law requires one for the drawn sentence
   (:func:`ccmodels.law.fine_required`), its amount from the fine model.

Co-defendants (rows with the same ``case_id``) share one fresh case effect per model and draw.
Posterior draws of the four models are paired at random (the fits are independent), so
parameter and process uncertainty both propagate. The result gives the study's quantities by
year and by value chain: the share of ALL offenders on probation, exempt, fined only and in
detention, the mean term of the custodial sentences and the mean fine of the fined.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ccmodels import law, outcomes, params
from ccmodels.data.schema import CHAIN_COLUMNS, VALUE_CHAINS
from ccmodels.models.base import Model
from ccmodels.models.predictive import Draws

__all__ = ["QUANTITIES", "SentencingPipeline"]

#: the quantities :meth:`SentencingPipeline.predict` returns, with what they average over
QUANTITIES: dict[str, str] = {
    "probation_share": "share of all offenders given probation",
    "exempt_share": "share of all offenders exempted from punishment",
    "fine_only_share": "share of all offenders sentenced to a fine only",
    "detention_share": "share of all offenders sentenced to detention",
    "mean_term": "mean term (months) of the custodial sentences",
    "mean_fine": "mean fine (yuan) of the fined offenders",
}
_ROLES = ("disposition", "sentence", "probation", "fine")


class PipelineError(ValueError):
    """A pipeline given the wrong fits or bad settings."""


def _as_model(obj: Any, role: str) -> Model:
    from ccmodels.models.registry import load_fit

    model = load_fit(obj) if isinstance(obj, str | os.PathLike) else obj
    if not isinstance(model, Model) or model.idata is None:
        raise PipelineError(f"{role}: expected a fitted {role} model or its fit file, got {obj!r}")
    if model.model_type != role:
        raise PipelineError(f"{role}: got a fitted {model.model_type!r} model")
    return model


class SentencingPipeline:
    """Disposition -> term -> probation -> fine, composed from four fitted models.

    Parameters
    ----------
    disposition, sentence, probation, fine : fitted model or path to its fit file

    Examples
    --------
    >>> pipe = SentencingPipeline(disp, sent, prob, fine)           # doctest: +SKIP
    >>> out = pipe.predict(population.offenders, draws=500, seed=1)  # doctest: +SKIP
    >>> pipe.summary(out, "probation_share", by="year")              # doctest: +SKIP
    """

    def __init__(self, disposition: Any, sentence: Any, probation: Any, fine: Any) -> None:
        given = {"disposition": disposition, "sentence": sentence, "probation": probation}
        given["fine"] = fine
        self.models: dict[str, Model] = {r: _as_model(given[r], r) for r in _ROLES}

    def _draws(self, role: str, n: int, rng: np.random.Generator) -> Draws:
        d = self.models[role].draws()
        total = len(next(iter(d.values())))
        pick = params.pick_samples(total, n, rng)
        return Draws({k: np.asarray(v)[pick] for k, v in d.items()}, d.coords)

    def simulate(
        self, data: pd.DataFrame, draws: int = 500, seed: int = 0
    ) -> dict[str, np.ndarray]:
        """Whole sentences (draws, offenders): ``sentence_type`` (codes of
        :data:`ccmodels.law.SENTENCE_TYPES`), ``term_months``, ``probation``, ``fine_yuan``."""
        if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 1:
            raise PipelineError(f"draws must be a positive integer, got {draws!r}")
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise PipelineError(f"seed must be a non-negative integer, got {seed!r}")
        rows = _placeholder_outcomes(data)
        rng = np.random.default_rng(int(seed))
        p = {r: self._draws(r, int(draws), rng) for r in _ROLES}
        m = self.models
        n = len(rows)
        art = rows["article"].astype(str).to_numpy()

        disp = m["disposition"].simulate_outcomes(
            p["disposition"], m["disposition"].new_design(rows), rng
        )
        exempt, fine_only = disp["exempt"] > 0, disp["fine_only"] > 0
        custodial = ~exempt & ~fine_only
        term_all = m["sentence"].simulate_outcomes(
            p["sentence"], m["sentence"].new_design(rows), rng
        )
        term = np.where(custodial, term_all["term_months"], 0.0)
        st_code = outcomes.sentence_type_codes(exempt, fine_only, term)
        st = np.asarray(law.SENTENCE_TYPES, dtype=object)[st_code]

        prob_model = m["probation"]
        d_pr = prob_model.new_design(rows)
        lp = prob_model.eta("prob", p["probation"], d_pr, rng)
        x = outcomes.log_term_covariate(term)
        case = d_pr.extra["case_all"]
        u = outcomes.case_effects(
            rng, p["probation"]["prob_sigma_case"], int(case.max()) + 1 if n else 0
        )
        logit = lp + p["probation"]["prob_log_term"][:, None] * x + u[:, case]
        lead = rows["ringleader"].to_numpy(bool) if "ringleader" in rows else False
        eligible = law.probation_eligible(st, term, rows["recidivist"].to_numpy(bool), lead)
        probation = outcomes.probation(rng.random(logit.shape), logit, eligible)

        fine_model = m["fine"]
        amount = fine_model.simulate_outcomes(p["fine"], fine_model.new_design(rows), rng)
        required = law.fine_required(np.broadcast_to(art, st.shape), st, term)
        fine = np.where(required, amount["fine_yuan"], 0.0)
        return {
            "sentence_type": st_code,
            "term_months": term,
            "probation": probation,
            "fine_yuan": fine,
        }

    def predict(self, data: pd.DataFrame, draws: int = 500, seed: int = 0) -> xr.Dataset:
        """The study's quantities (:data:`QUANTITIES`) by year and by value chain, one value
        per posterior draw: variables ``<quantity>_by_year`` (draw, year) and
        ``<quantity>_by_value_chain`` (draw, value_chain). A group without the offenders a
        quantity averages over (e.g. no fined offender in a draw) is NaN there."""
        sim = self.simulate(data, draws, seed)
        rows = data.reset_index(drop=True)
        groups = _groups(rows)
        out: dict[str, xr.DataArray] = {}
        for dim, masks in groups.items():
            labels = list(masks)
            vals = {q: np.full((draws, len(labels)), np.nan) for q in QUANTITIES}
            for j, key in enumerate(labels):
                g = masks[key]
                q = _quantities({k: v[:, g] for k, v in sim.items()})
                for name in QUANTITIES:
                    vals[name][:, j] = q[name]
            for name in QUANTITIES:
                out[f"{name}_by_{dim}"] = xr.DataArray(
                    vals[name], dims=("draw", dim), coords={dim: labels}
                )
        return xr.Dataset(out, attrs={"draws": int(draws), "seed": int(seed)})

    @staticmethod
    def summary(
        result: xr.Dataset,
        quantity: str = "probation_share",
        by: str = "year",
        prob: float = 0.9,
        observed: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Mean and central ``prob`` interval of one quantity by year or value chain, with the
        observed value when a table with outcomes is given."""
        if quantity not in QUANTITIES:
            raise PipelineError(
                f"quantity must be one of {', '.join(QUANTITIES)}, got {quantity!r}"
            )
        if by not in ("year", "value_chain"):
            raise PipelineError(f"by must be 'year' or 'value_chain', got {by!r}")
        da = result[f"{quantity}_by_{by}"]
        a = (1 - prob) / 2
        df = pd.DataFrame(
            {
                "mean": da.mean("draw").values,
                "lower": da.quantile(a, "draw").values,
                "upper": da.quantile(1 - a, "draw").values,
            },
            index=pd.Index(da[by].values, name=by),
        )
        if observed is not None:
            rows = observed.reset_index(drop=True)
            codes = rows["sentence_type"].astype(str).map(law.SENTENCE_TYPES.index).to_numpy()
            sim = {
                "sentence_type": codes[None, :],
                "term_months": rows["term_months"].to_numpy(float)[None, :],
                "probation": rows["probation"].to_numpy(bool)[None, :],
                "fine_yuan": rows["fine_yuan"].to_numpy(float)[None, :],
            }
            g = _groups(rows)[by]
            df["observed"] = [
                float(_quantities({k: v[:, g[key]] for k, v in sim.items()})[quantity][0])
                if key in g
                else np.nan
                for key in df.index
            ]
        return df


def _placeholder_outcomes(data: pd.DataFrame) -> pd.DataFrame:
    """The covariates of ``data`` with placeholder outcome columns (the models' designs read
    them; the pipeline draws its own)."""
    rows = data.reset_index(drop=True).copy()
    missing = [c for c in ("year", "article", "case_id", *CHAIN_COLUMNS) if c not in rows]
    if missing:
        raise PipelineError(f"the table has no column(s) {', '.join(missing)}")
    rows["sentence_type"] = "fixed_term"
    rows["term_months"] = 12.0
    rows["probation"] = False
    rows["fine_yuan"] = 0.0
    return rows


def _groups(rows: pd.DataFrame) -> dict[str, dict[Any, np.ndarray]]:
    yr = rows["year"].to_numpy(int)
    return {
        "year": {int(y): yr == y for y in np.unique(yr)},
        "value_chain": {
            c: rows[col].to_numpy(bool)
            for c, col in zip(VALUE_CHAINS, CHAIN_COLUMNS, strict=True)
            if rows[col].to_numpy(bool).any()
        },
    }


def _quantities(sim: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The quantities (one per draw) of a group of offenders' simulated sentences."""
    st, term = sim["sentence_type"], sim["term_months"]
    code = law.SENTENCE_TYPES.index
    custodial = (st == code("fixed_term")) | (st == code("detention"))
    fined = sim["fine_yuan"] > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "probation_share": sim["probation"].mean(1),
            "exempt_share": (st == code("exempt")).mean(1),
            "fine_only_share": (st == code("fine_only")).mean(1),
            "detention_share": (st == code("detention")).mean(1),
            "mean_term": np.where(custodial, term, 0.0).sum(1) / custodial.sum(1),
            "mean_fine": np.where(fined, sim["fine_yuan"], 0.0).sum(1) / fined.sum(1),
        }
