"""Disposition of convicted offenders: exempt, fine only or a custodial sentence.

Unit: every convicted offender except those sentenced to control (管制), which no model of the
package covers yet (they are counted and left out with a warning). Categories:

- ``exempt``: exempted from criminal punishment (免予刑事处罚, art. 37);
- ``fine_only``: a fine alone (单处罚金), possible only where the article's lowest tier reads
  并处或者单处罚金 (:func:`ccmodels.law.fine_only_allowed`; not 285-1 or 286, which carry no
  fine at all): elsewhere its probability is 0;
- ``custodial``: detention or a fixed term (suspended or not). Which of the two is the term's
  doing, not a separate choice: detention is a term of 1-6 months (art. 42), a fixed term one
  of 6 months or more, so the sentence model (the term) tells them apart, and the sentencing
  pipeline (:class:`ccmodels.models.pipeline.SentencingPipeline`) reports all four.

Model: a multinomial logit against the custodial sentence, ``log P(exempt) / P(custodial) =
eta_exempt + u`` and ``log P(fine only) / P(custodial) = eta_fine_only + u``, each ``eta`` a
linear predictor (year walk, value chains, article, traits; prefixes ``disp_exempt`` and
``disp_fine_only``) and ``u ~ Normal(0, disp_sigma_case)`` a case effect shared by the
co-defendants of a case and by both logits: a court's leniency towards the case. It is
integrated out of every case (:func:`log_share`; lone offenders as multinomial cells of one
covariate pattern and category, each multi-offender case by adaptive quadrature), so the
posterior holds the population parameters only; LOO leaves out one case at a time. Both
predictors' article effects sum to zero over every
article of the contract (the fine-only intercept is the average over them, although 285-1 and
286 never reach that category). Blocks are non-centred unless every level holds 20,000 rows
("auto"): exemption and fine-only sentences are rare (a few percent), so the data inform each
effect weakly.

The simulator draws the disposition from the same predictors (``[disposition]`` of a
scenario), through :mod:`ccmodels.params`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from pymc_extras.prior import Prior

from ccmodels import law, outcomes
from ccmodels.models import blocks, case_effect
from ccmodels.models.base import Draws, Model
from ccmodels.models.design import Design, binary_outcome_scales
from ccmodels.models.likelihoods import logit_cells as lc
from ccmodels.models.summaries import group_summary

__all__ = ["CATEGORIES", "DispositionModel", "log_share"]

#: the categories, in the order of the codes (0 is the reference)
CATEGORIES = ("custodial", "exempt", "fine_only")
_CODE = {"fixed_term": 0, "detention": 0, "exempt": 1, "fine_only": 2}
_NEVER = -1e4  # a logit whose exponential is exactly 0 in float64


def log_share(l_ex: Any, l_fo: Any, y: Any) -> Any:
    """``log P(category | not custodial)`` given the case effect (which cancels): ``a - c``
    (exempt), ``b - c`` (fine only), 0 (custodial), with ``c = log(e^a + e^b)``; and ``c``, the
    logit of "not custodial" that the case effect shifts. Works on PyTensor and NumPy.

    The case effect ``u`` shifts both logits alike, so ``P(custodial | u) = sigmoid(-(c + u))``
    and ``P(exempt | u) = e^(a - c) sigmoid(c + u)`` (fine only likewise with ``b``): a case's
    integral over ``u`` is that of a binary logit at ``c``
    (:mod:`ccmodels.models.likelihoods.logit_cells`) times the shares, which do not depend on
    ``u``."""
    lib: Any = pt if isinstance(l_ex, pt.TensorVariable) else np
    c = lib.logaddexp(l_ex, l_fo)
    share = lib.where(lib.equal(y, 1), l_ex - c, lib.where(lib.equal(y, 2), l_fo - c, 0.0))
    return share, c


class DispositionModel(Model):
    """Exempt / fine only / custodial among convicted offenders (multinomial logit)."""

    conditional_replicates = True
    model_type = "disposition"
    prefix = "disp"
    description = (
        "convicted offenders: exempt, fine only (where the article allows it) or custodial"
    )

    #: The default sampler settings (1,000 draws, target_accept 0.9), as for probation
    #: (benchmarks/results/robustness.json).
    sampler_defaults: ClassVar[dict[str, Any]] = {}

    @classmethod
    def default_priors(cls) -> dict[str, Prior]:
        # intercepts: logit against custodial; -3 is about 5%, the prior's 95% reaches 0.3-60%
        return blocks.linear_priors(
            Prior("Normal", mu=-3.0, sigma=1.5), sigma_year=0.3, drift=0.3
        ) | {"sigma_case": Prior("HalfNormal", sigma=0.5)}

    @classmethod
    def default_effects(cls) -> dict[str, Any]:
        # Rare categories inform each effect by about p a row (p near 5%): non-centred at the
        # study's size (partial centring diverged on 3 of 3 cai2017 fits there), centred by
        # "auto" from 20,000 rows a level (about 1,000 events), where the data pin each effect.
        # "partial" is allowed too (noise from each category's rate: see outcome_scales).
        return super().default_effects() | {
            "year_centered": "auto",
            "article_centered": "auto",
            "chain_centered": "auto",
        }

    auto_center_min_rows: ClassVar[dict[str, int]] = {
        "year": 20000,
        "article": 20000,
        "chain": 20000,
    }

    def outcome_scales(
        self, d: Design, priors: Mapping[str, Prior], prefix: str | None = None
    ) -> tuple[float, float] | None:
        """The noise of one row on the scale of ``prefix``'s logit: ``1 / sqrt(p (1 - p))``
        at the observed rate of its category (fine only among the rows whose article allows
        it), and the prior mean of sigma_year."""
        y = d.extra["y"]
        if prefix == "disp_fine_only":
            return binary_outcome_scales(y == 2, priors, d.extra["fine_only_ok"])
        return binary_outcome_scales(y == 1, priors)

    def select(self, data: pd.DataFrame) -> pd.DataFrame:
        st = data["sentence_type"].astype(str)
        control = int((st == "control").sum())
        if control:
            warnings.warn(
                f"{control} offender(s) sentenced to control (管制) are left out: the "
                "disposition model covers exempt, fine only and custodial sentences",
                UserWarning,
                stacklevel=3,
            )
        rows = data[st.isin(list(_CODE)).to_numpy()].reset_index(drop=True)
        bad = (
            rows["sentence_type"].astype(str) == "fine_only"
        ).to_numpy() & ~law.fine_only_allowed(rows["article"].astype(str).to_numpy())
        if bad.any():
            raise ValueError(
                f"column 'sentence_type': {int(bad.sum())} fine_only sentence(s) under an "
                "article that allows no fine alone (285-1, 286); `ccmodels check-data "
                "--drop-illegal` lists and drops them"
            )
        return rows

    def extra_design(self, rows: pd.DataFrame, coords: dict[str, list[Any]]) -> dict[str, Any]:
        st = rows["sentence_type"].astype(str) if "sentence_type" in rows else None
        y = (
            st.map(_CODE).fillna(0).to_numpy(np.int64)
            if st is not None
            else np.zeros(len(rows), np.int64)
        )
        ok = law.fine_only_allowed(rows["article"].astype(str).to_numpy())
        return {"y": y, "fine_only_ok": ok} | case_effect.case_design(rows)

    def structure(self, d: Design) -> tuple[np.ndarray, np.ndarray, lc.LogitCells]:
        """Distinct covariate patterns (``first``, each row's ``pattern``; the fine-only rule
        included, since it follows the article even without an article effect) and the
        cells and case terms of the design's rows (computed once per design)."""
        if "_cells" not in d.extra:
            first, pattern = d.x.distinct(d.extra["fine_only_ok"].astype(float))
            key = np.column_stack([pattern, d.extra["y"]])
            case = d.rows["case_id"] if "case_id" in d.rows else np.arange(len(d.rows))
            d.extra["_cells"] = (first, pattern, lc.logit_cells(case, key))
        return d.extra["_cells"]

    def _add_likelihood(self, d: Design) -> None:
        first, pattern, cells = self.structure(d)
        tau = self.priors["sigma_case"].create_variable("disp_sigma_case")
        l_ex = self.pattern_predictor("disp_exempt", d, first)
        ok = self.pack("disp_fine_only_ok", d.extra["fine_only_ok"][first].astype(float))
        l_fo = pt.where(ok > 0, self.pattern_predictor("disp_fine_only", d, first), _NEVER)
        y = d.extra["y"]
        # the shares (independent of the case effect) summed over rows, by pattern and category
        counts = np.zeros((len(first), 3))
        np.add.at(counts, (pattern, y), 1.0)
        n = self.pack("disp_pattern_counts", counts)
        c = pt.logaddexp(l_ex, l_fo)
        shares = (n[:, 1] * (l_ex - c)).sum() + (n[:, 2] * (l_fo - c)).sum()
        sign = np.where(y == 0, -1.0, 1.0)
        integrals = lc.cell_loglik(self.pack, "disp", cells, pattern, c, sign, tau)
        pm.Potential("disposition_loglik", shares + integrals)

    def _cell_logits(self, params: Draws, d: Design) -> dict[str, np.ndarray]:
        """Draws of ``c`` (the logit of "not custodial") and of the log share of the observed
        category, on the lone cells and on the case terms."""
        first, pattern, cells = self.structure(d)
        rng = np.random.default_rng(0)
        l_ex = self.eta("disp_exempt", params, d, rng, rows=first)
        l_fo = self.eta("disp_fine_only", params, d, rng, rows=first)
        l_fo = np.where(d.extra["fine_only_ok"][first][None, :], l_fo, _NEVER)
        out = {}
        for kind, keys in (("cell", cells.cell_key), ("term", cells.term_key)):
            share, c = log_share(l_ex[:, pattern[keys]], l_fo[:, pattern[keys]], d.extra["y"][keys])
            out[kind], out[f"{kind}_share"] = c, share
        return out

    def compute_log_likelihood(self) -> xr.DataTree:
        """Per-case log-likelihood (the case effect integrated out), group ``log_likelihood``
        (variable ``disposition_obs``, dim ``case``): LOO leaves out one case at a time."""
        idata = self._require_fit()
        if "log_likelihood" in idata.children:
            return idata
        d = self._fitted_design()
        cells = self.structure(d)[2]
        params = self.draws()
        lp = self._cell_logits(params, d)
        sign = np.where(d.extra["y"] == 0, -1.0, 1.0)
        ll = lc.per_case_loglik(cells, lp["cell"], lp["term"], sign, params["disp_sigma_case"])
        lone = np.flatnonzero(cells.row_cell >= 0)
        ll[:, cells.row_case[lone]] += lp["cell_share"][:, cells.row_cell[lone]]
        if cells.n_terms:
            per_multi = np.zeros((ll.shape[0], cells.n_multi))
            np.add.at(per_multi.T, cells.term_case, (lp["term_share"] * cells.term_w).T)
            ll[:, cells.multi_case] += per_multi
        idata["log_likelihood"] = xr.DataTree(self._per_case(ll, "disposition_obs", cells.case_ids))
        return idata

    def case_effects(self, params: Draws, d: Design, rng: np.random.Generator) -> np.ndarray:
        """Draws (samples, rows) of each fitted offender's case effect from its conditional
        distribution given the categories of its case (NumPy; no refit)."""
        cells = self.structure(d)[2]
        lp = self._cell_logits(params, d)
        sign = np.where(d.extra["y"] == 0, -1.0, 1.0)
        tau = np.asarray(params["disp_sigma_case"])
        u = lc.draw_case_effects(cells, lp["cell"], lp["term"], sign, tau, rng)
        return u[:, cells.row_case]

    # ------------------------------------------------------------------ predictions
    def _logits(
        self, params: Draws, d: Design, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.eta("disp_exempt", params, d, rng), self.eta("disp_fine_only", params, d, rng)

    def category_probabilities(
        self, params: Draws, d: Design, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """P(category) (samples, rows) of each category, averaged over a fresh case effect:
        ``P(exempt) = e^(a - c) E[sigmoid(c + u)]`` and likewise for fine only (see
        :func:`log_share`)."""
        l_ex, l_fo = self._logits(params, d, rng)
        l_fo = np.where(d.extra["fine_only_ok"][None, :], l_fo, -np.inf)
        c = np.logaddexp(l_ex, l_fo)
        p_any = lc.mean_sigmoid(c, np.asarray(params["disp_sigma_case"]))
        p_ex, p_fo = np.exp(l_ex - c) * p_any, np.exp(l_fo - c) * p_any
        return {"custodial": 1.0 - p_any, "exempt": p_ex, "fine_only": p_fo}

    def predict(self, new_data: pd.DataFrame, kind: str = "mean", seed: int = 0) -> xr.Dataset:  # type: ignore[override]
        """Per new offender: the probability of each category (``kind="mean"``, a fresh case
        effect averaged over) or replicated 0/1 indicators (``kind="predictive"``, one fresh
        case effect per ``case_id``), as a Dataset of (chain, draw, row) arrays."""
        d = self.new_design(new_data)
        rng = np.random.default_rng(seed)
        if kind == "mean":
            out = self.category_probabilities(self.draws(), d, rng)
        elif kind == "predictive":
            sim = self.simulate_outcomes(self.draws(), d, rng)
            out = {"custodial": 1.0 - sim["exempt"] - sim["fine_only"]} | sim
        else:
            raise ValueError(f"kind must be 'mean' or 'predictive', got {kind!r}")
        return xr.Dataset({k: self._as_draws(v, k) for k, v in out.items()})

    def simulate_outcomes(
        self, params: Draws, d: Design, rng: np.random.Generator, conditional: bool = False
    ) -> dict[str, np.ndarray]:
        """Replicated 0/1 indicators of exempt and fine only; with ``conditional`` (the fitted
        offenders) each case's effect is drawn given the case's categories, else afresh."""
        l_ex, l_fo = self._logits(params, d, rng)
        if conditional:
            u = self.case_effects(params, d, rng)
        else:
            case = d.extra["case_all"]
            n_cases = int(case.max()) + 1 if len(case) else 0
            u = outcomes.case_effects(rng, params["disp_sigma_case"], n_cases)[:, case]
        p_ex, p_fo = outcomes.disposition_probabilities(
            l_ex + u, l_fo + u, d.extra["fine_only_ok"][None, :]
        )
        exempt, fine_only = outcomes.disposition(rng.random(p_ex.shape), p_ex, p_fo)
        return {"exempt": exempt.astype(float), "fine_only": fine_only.astype(float)}

    # ------------------------------------------------------------------ summaries
    def derived(self) -> dict[str, pd.DataFrame]:
        """Share exempt and share fined only, by year and by value chain."""
        d = self._fitted_design()
        probs = self.category_probabilities(self.summary_draws(), d, np.random.default_rng(0))
        return {
            f"{cat}_share_by_{by}": self.share_by(cat, by, probs=probs[cat])
            for cat in ("exempt", "fine_only")
            for by in ("year", "value_chain")
        }

    def share_by(
        self,
        category: str = "fine_only",
        by: str = "year",
        prob: float = 0.95,
        probs: np.ndarray | None = None,
    ) -> pd.DataFrame:
        """Posterior of the share of the fitted offenders in ``category``, by year, value chain,
        a column or ``"all"``, with the observed share."""
        if category not in CATEGORIES:
            raise ValueError(f"category must be one of {', '.join(CATEGORIES)}, got {category!r}")
        d = self._fitted_design()
        p = probs
        if p is None:
            draws = self.summary_draws()
            p = self.category_probabilities(draws, d, np.random.default_rng(0))[category]
        obs = (d.extra["y"] == CATEGORIES.index(category)).astype(float)
        return group_summary(p, d.rows, obs, by, prob)
