"""Logit models with a case effect integrated out: rows as cells and case terms.

A logit model's rows (offenders) carry a linear predictor ``lp`` (a logit that the case effect
``u ~ Normal(0, tau)`` shifts), an outcome sign ``s`` (+1 for the event whose probability is
``sigmoid(lp + u)``, -1 for its complement) and a case. Their likelihood is a product over cases
of ``∫ Normal(u; 0, tau²) prod_j sigmoid(s_j (lp_j + u)) du``: nothing is sampled per case.

Cost follows distinct cells, not rows:

- the linear predictor is computed once per distinct covariate *pattern* (the rows of the
  design matrix: year, value chains, article, traits) and gathered; a continuous covariate
  (the log term of the probation model) is added per cell as an *offset* times its coefficient;
- offenders alone in their case (most) with the same pattern, offset and outcome form one
  *lone cell* of count ``n``: ``n * g(s * lp)``, with ``g`` the logistic-normal integral of
  :func:`.lone.logistic_lone`;
- co-defendants form *case terms*: members alike in pattern, offset and outcome are one term of
  multiplicity ``w``, and each case's integral is one call of :func:`.cases.logistic_cases`.

The same structures give the per-case log-likelihood (leave-one-case-out LOO) and draws of the
case effects from their conditional distribution given the data, in NumPy after sampling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ccmodels.models.likelihoods.cases import logistic_cases
from ccmodels.models.likelihoods.conditional import sample_cases, sample_lone
from ccmodels.models.likelihoods.lone import logistic_lone
from ccmodels.models.likelihoods.ops import LogitCells as LogitCellsOp
from ccmodels.models.likelihoods.ops import first_output

__all__ = [
    "LogitCells",
    "cell_loglik",
    "draw_case_effects",
    "logit_cells",
    "mean_sigmoid",
    "per_case_loglik",
]


@dataclass(frozen=True)
class LogitCells:
    """The rows of a logit model as lone cells and case terms (see the module docstring).

    Arrays prefixed ``cell_`` are per lone cell, ``term_`` per case term; ``start`` points at
    each multi-offender case's first term (``n_multi + 1`` entries); ``*_key`` is the row index
    of a representative row (its pattern, offset and outcome); ``row_cell`` and ``row_term``
    map each row to its cell or term (-1 where it has none); ``case_ids`` are all cases in the
    order of their first row, ``row_case`` each row's position there and ``multi_case`` that of
    each multi-offender case."""

    cell_key: np.ndarray
    cell_count: np.ndarray
    term_key: np.ndarray
    term_w: np.ndarray
    term_case: np.ndarray
    start: np.ndarray
    row_cell: np.ndarray
    row_term: np.ndarray
    row_case: np.ndarray
    case_ids: list[str]
    multi_case: np.ndarray

    @property
    def n_cells(self) -> int:
        return int(self.cell_key.size)

    @property
    def n_terms(self) -> int:
        return int(self.term_key.size)

    @property
    def n_multi(self) -> int:
        return int(self.start.size - 1)

    def describe(self) -> dict[str, int]:
        """Rows, lone cells, multi-offender cases and their terms (for benchmarks)."""
        return {
            "rows": int(self.row_cell.size),
            "lone_cells": self.n_cells,
            "multi_cases": self.n_multi,
            "case_terms": self.n_terms,
        }


def logit_cells(case_id: Any, key: np.ndarray) -> LogitCells:
    """Cells and case terms of rows with case ids ``case_id`` and likelihood inputs ``key``
    (rows, k): rows alike in ``key`` (their pattern, offset and outcome) contribute alike."""
    n = len(key)
    codes, ids = pd.factorize(pd.Series(np.asarray(case_id)).astype(str), sort=False)
    codes = codes.astype(np.int64)
    size = np.bincount(codes, minlength=len(ids))
    alone = size[codes] == 1
    key = np.asarray(key, dtype=float).reshape(n, -1)
    row_cell = np.full(n, -1, np.int64)
    row_term = np.full(n, -1, np.int64)
    lone = np.flatnonzero(alone)
    if lone.size:
        _, first, inv, count = np.unique(
            key[lone], axis=0, return_index=True, return_inverse=True, return_counts=True
        )
        cell_key = lone[first]
        cell_count = count.astype(float)
        row_cell[lone] = np.ravel(inv)
    else:
        cell_key = np.zeros(0, np.int64)
        cell_count = np.zeros(0)
    multi = np.flatnonzero(~alone)
    if multi.size:
        # terms sorted by case (order of first appearance) and, within a case, by key
        mcase = codes[multi]
        _, mpos = np.unique(mcase, return_inverse=True)
        mpos = np.ravel(mpos).astype(np.int64)
        full = np.column_stack([mpos, key[multi]])
        _, first, inv, count = np.unique(
            full, axis=0, return_index=True, return_inverse=True, return_counts=True
        )
        term_key = multi[first]
        term_w = count.astype(float)
        term_case = mpos[first]
        row_term[multi] = np.ravel(inv)
        n_multi = int(mpos.max()) + 1
        start = np.zeros(n_multi + 1, np.int64)
        start[1:] = np.cumsum(np.bincount(term_case, minlength=n_multi))
        multi_case = np.unique(mcase)
    else:
        term_key = np.zeros(0, np.int64)
        term_w = np.zeros(0)
        term_case = np.zeros(0, np.int64)
        start = np.zeros(1, np.int64)
        multi_case = np.zeros(0, np.int64)
    return LogitCells(
        cell_key=cell_key.astype(np.int64),
        cell_count=cell_count,
        term_key=term_key.astype(np.int64),
        term_w=term_w,
        term_case=term_case.astype(np.int64),
        start=start,
        row_cell=row_cell,
        row_term=row_term,
        row_case=codes,
        case_ids=[str(i) for i in ids],
        multi_case=multi_case.astype(np.int64),
    )


def cell_loglik(
    data: Callable[[str, Any], Any],
    name: str,
    cells: LogitCells,
    pattern: np.ndarray,
    lp_pat: Any,
    sign: np.ndarray,
    tau: Any,
    offset: np.ndarray | None = None,
    slope: Any = 0.0,
) -> Any:
    """The integrated log-likelihood (a scalar PyTensor variable) of the model's cells: a
    row's logit is ``lp_pat[pattern[row]] + slope * offset[row]`` (``lp_pat``: one per distinct
    covariate pattern), its outcome sign ``sign[row]``, the case scale ``tau``. One Op
    (:class:`.ops.LogitCells`) computes the whole sum and its gradient. The data arrays are
    read through ``data`` (the model's :class:`~ccmodels.models.datapack.DataPack`) as
    ``{name}_...``, so a compiled model takes new data of the same structure without
    recompiling."""
    off = np.zeros(len(sign)) if offset is None else np.asarray(offset, dtype=float)
    ck, tk = cells.cell_key, cells.term_key
    args = [
        data(f"{name}_cell_pattern", pattern[ck]),
        data(f"{name}_cell_offset", off[ck]),
        data(f"{name}_cell_sign", sign[ck].astype(float)),
        data(f"{name}_cell_count", cells.cell_count),
        data(f"{name}_term_pattern", pattern[tk]),
        data(f"{name}_term_offset", off[tk]),
        data(f"{name}_term_sign", sign[tk].astype(float)),
        data(f"{name}_term_w", cells.term_w),
        data(f"{name}_start", cells.start),
    ]
    return first_output(LogitCellsOp(), lp_pat, slope, tau, *args)


def mean_sigmoid(lp: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """``E[sigmoid(lp + u)]`` over a fresh case effect ``u ~ Normal(0, tau²)`` (samples, rows),
    from draws of the logits (samples, rows) and of ``tau`` (samples,): the logistic-normal
    integral of :func:`.lone.logistic_lone`, within 1e-8 of the exact value."""
    lp = np.asarray(lp, dtype=float)
    out = np.empty_like(lp)
    for i in range(lp.shape[0]):
        out[i] = np.exp(logistic_lone(np.ascontiguousarray(lp[i]), float(tau[i]))[0])
    return out


def per_case_loglik(
    cells: LogitCells, lp_cell: np.ndarray, lp_term: np.ndarray, sign: np.ndarray, tau: np.ndarray
) -> np.ndarray:
    """The log-likelihood of each case (samples, cases), the case effect integrated out, from
    draws of the logits (samples, cells) and (samples, terms) and of ``tau`` (samples,)."""
    n_s = np.shape(tau)[0]
    out = np.zeros((n_s, len(cells.case_ids)))
    sc = sign[cells.cell_key].astype(float)
    st = sign[cells.term_key].astype(float)
    lone = np.flatnonzero(cells.row_cell >= 0)
    for i in range(n_s):
        t = float(tau[i])
        if cells.n_cells:
            g = logistic_lone(sc * lp_cell[i], t)[0]
            out[i, cells.row_case[lone]] = g[cells.row_cell[lone]]
        if cells.n_terms:
            ll = logistic_cases(st * lp_term[i], st, cells.term_w, cells.start, t)[0]
            out[i, cells.multi_case] = ll
    return out


def draw_case_effects(
    cells: LogitCells,
    lp_cell: np.ndarray,
    lp_term: np.ndarray,
    sign: np.ndarray,
    tau: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """One draw per posterior sample of every case's effect from its conditional distribution
    given the case's outcomes (samples, cases): the case effects a refit with sampled
    intercepts would have given, drawn afterwards in NumPy (lone offenders by rejection from
    the prior, exact; co-defendants by inverting their distribution function on a grid)."""
    tau = np.ascontiguousarray(tau, dtype=float)
    n_s = tau.shape[0]
    out = np.zeros((n_s, len(cells.case_ids)))
    lone = np.flatnonzero(cells.row_cell >= 0)
    if lone.size:
        x = sign[lone][None, :] * lp_cell[:, cells.row_cell[lone]]
        out[:, cells.row_case[lone]] = sample_lone(np.ascontiguousarray(x), tau, rng)
    if cells.n_terms:
        st = sign[cells.term_key].astype(float)
        a = np.ascontiguousarray(st[None, :] * lp_term)
        q = rng.random((n_s, cells.n_multi))
        out[:, cells.multi_case] = sample_cases(a, st, cells.term_w, cells.start, tau, q)
    return out
