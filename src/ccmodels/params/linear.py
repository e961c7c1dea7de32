"""The linear predictor, defined once: its row covariates (:class:`LinearData`), its value on
PyTensor variables or NumPy draws (:func:`linear`) and the out-of-sample rules (:func:`extend`;
the year walk's, shared with the simulator, :func:`walk_on`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ccmodels.data.schema import CHAIN_COLUMNS, VALUE_CHAINS

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class LinearData:
    """Row covariates of a linear predictor, indexed on a set of coords.

    ``year_idx`` and ``art_idx`` index the ``year`` and ``article`` coords (``-1``: a level
    outside them); ``chains`` and ``traits`` are (rows, levels) 0/1 matrices over the
    ``value_chain`` and ``trait`` coords. A block whose coords are absent is ``None``.
    """

    n: int
    year_idx: np.ndarray | None = None
    chains: np.ndarray | None = None
    art_idx: np.ndarray | None = None
    traits: np.ndarray | None = None

    def only(self, dims: Sequence[str]) -> LinearData:
        """The same rows without the blocks outside ``dims``."""
        return LinearData(
            self.n,
            self.year_idx if "year" in dims else None,
            self.chains if "value_chain" in dims else None,
            self.art_idx if "article" in dims else None,
            self.traits if "trait" in dims else None,
        )

    def subset(self, m: np.ndarray) -> LinearData:
        def s(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[m]

        return LinearData(
            int(np.count_nonzero(m) if m.dtype == bool else len(m)),
            s(self.year_idx),
            s(self.chains),
            s(self.art_idx),
            s(self.traits),
        )

    def distinct(self, *extra: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows with the same covariates (and the same ``extra`` values): ``(first, inverse)``
        with ``rows == first[inverse]`` in covariate terms, so that a function of the linear
        predictor need be computed once per distinct row (``f(eta[:, first])[:, inverse]``)."""
        parts = [
            a.reshape(self.n, -1)
            for a in (self.year_idx, self.chains, self.art_idx, self.traits, *extra)
            if a is not None
        ]
        if not parts:
            return np.zeros(min(self.n, 1), np.int64), np.zeros(self.n, np.int64)
        return _distinct_rows(np.hstack([np.asarray(p, dtype=float) for p in parts]))

    def matrix(self, coords: Mapping[str, Sequence[Any]]) -> np.ndarray:
        """The same predictor as a design matrix ``X`` (rows, coefficients): intercept, year
        one-hot, chain flags, article one-hot, traits, matching :func:`stack`."""
        cols = [np.ones((self.n, 1))]
        if self.year_idx is not None:
            cols.append(np.eye(len(coords["year"]))[self.year_idx])
        if self.chains is not None:
            cols.append(self.chains)
        if self.art_idx is not None:
            cols.append(np.eye(len(coords["article"]))[self.art_idx])
        if self.traits is not None:
            cols.append(self.traits)
        return np.hstack(cols)


def _distinct_rows(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(first, inverse)`` of the distinct rows of ``key`` in linear time: each column's codes
    (``pandas.factorize``) combined in mixed radix, refactorized before the code could
    overflow. ``first`` holds each distinct row's first occurrence, in order of appearance."""
    code = np.zeros(len(key), np.int64)
    k = 1
    for col in key.T:
        c, levels = pd.factorize(col, use_na_sentinel=False)
        if k * len(levels) >= 2**62:
            code, uniq = pd.factorize(code)
            k = len(uniq)
        code = code * len(levels) + c
        k *= max(len(levels), 1)
    inverse, uniq = pd.factorize(code)
    first = np.empty(len(uniq), np.int64)
    first[inverse[::-1]] = np.arange(len(key) - 1, -1, -1)
    return first, np.asarray(inverse, np.int64)


def linear_data(
    rows: pd.DataFrame, coords: Mapping[str, Sequence[Any]], article_column: str = "article"
) -> LinearData:
    """Index a table's rows on ``coords`` (the blocks present in ``coords`` only)."""
    n = len(rows)
    year_idx = chains = art_idx = traits = None
    if "year" in coords:
        pos = {int(y): i for i, y in enumerate(coords["year"])}
        year_idx = np.array([pos.get(int(y), -1) for y in rows["year"]], dtype=np.int64)
    if "value_chain" in coords:
        cols = [CHAIN_COLUMNS[VALUE_CHAINS.index(c)] for c in coords["value_chain"]]
        chains = rows[cols].to_numpy(dtype=float).reshape(n, len(cols))
    if "article" in coords:
        apos = {str(a): i for i, a in enumerate(coords["article"])}
        vals = rows[article_column].astype(str).to_numpy()
        art_idx = np.array([apos.get(a, -1) for a in vals], dtype=np.int64)
    if "trait" in coords:
        tcols = list(coords["trait"])
        traits = rows[tcols].to_numpy(dtype=float).reshape(n, len(tcols))
    return LinearData(n, year_idx, chains, art_idx, traits)


def linear(values: Mapping[str, Any], prefix: str, x: LinearData) -> Any:
    """The linear predictor, evaluated on whatever ``values`` hold.

    ``values`` maps parameter names to PyTensor variables (the model graph: result (rows,)) or to
    NumPy draws with a leading sample axis (result (samples, rows)), or to single values
    (result (rows,)). The one definition of the predictor: every consumer calls it.
    """
    eta = values[f"{prefix}_intercept"][..., None]
    blocks = 0
    if x.year_idx is not None:
        eta = eta + values[f"{prefix}_year_effect"][..., x.year_idx]
        blocks += 1
    if x.chains is not None:
        eta = eta + values[f"{prefix}_chain"] @ x.chains.T
        blocks += 1
    if x.art_idx is not None:
        eta = eta + values[f"{prefix}_article"][..., x.art_idx]
        blocks += 1
    if x.traits is not None:
        eta = eta + values[f"{prefix}_beta"] @ x.traits.T
        blocks += 1
    # the rows' length comes from the covariates (a graph's data may change length later);
    # an intercept alone is spread over the n rows
    return eta + np.zeros(x.n) if not blocks else eta


def stack_names(prefix: str, x: LinearData) -> list[str]:
    """Names of the coefficient blocks of :meth:`LinearData.matrix`, in column order."""
    names = [f"{prefix}_intercept"]
    for attr, suffix in (
        ("year_idx", "year_effect"),
        ("chains", "chain"),
        ("art_idx", "article"),
        ("traits", "beta"),
    ):
        if getattr(x, attr) is not None:
            names.append(f"{prefix}_{suffix}")
    return names


def walk_on(
    first: np.ndarray, last: np.ndarray, steps_after: np.ndarray, steps_before: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The year walk continued out of sample: the one rule of the model's predictions
    (:func:`extend`) and of the simulator (``simulate.predictor.Predictor.year_vector``).

    ``first`` and ``last`` (samples, 1) are the effects of the first and last known years;
    ``steps_after`` (samples, years after) the steps into each later year, in year order;
    ``steps_before`` (samples, years before) the steps out of each earlier year, nearest year
    first. The effects are running sums from the known ends, one step at a time. Returns the
    effects of the years before (in year order) and after."""
    after = np.cumsum(np.concatenate([last, steps_after], axis=1), axis=1)[:, 1:]
    before = np.cumsum(np.concatenate([first, -steps_before], axis=1), axis=1)[:, 1:]
    return before[:, ::-1], after


def extend(
    values: Mapping[str, np.ndarray],
    prefix: str,
    coords: Mapping[str, Sequence[Any]],
    new_coords: Mapping[str, Sequence[Any]],
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Draws of one predictor's effects re-expressed on ``new_coords`` by the out-of-sample
    rules (see the module docstring). Draws have a leading sample axis."""
    out = dict(values)
    name = f"{prefix}_year_effect"
    if "year" in new_coords and name in values:
        old = [int(y) for y in coords["year"]]
        eff = np.asarray(values[name], dtype=float)
        s = eff.shape[0]
        sig = np.asarray(values[f"{prefix}_sigma_year"], dtype=float).reshape(s, 1)
        drift = np.asarray(values.get(f"{prefix}_year_drift", np.zeros(s)), float).reshape(s, 1)
        phi = np.asarray(values.get(f"{prefix}_year_damping", np.ones(s)), float).reshape(s, 1)
        new = [int(y) for y in new_coords["year"]]
        n_hi = max(max(new) - old[-1], 0)
        n_lo = max(old[0] - min(new), 0)
        # the step into year old[-1] + j is the walk's step number len(old) - 2 + j
        gain = phi ** (len(old) - 2 + np.arange(1, n_hi + 1))[None, :]
        z_hi, z_lo = rng.normal(0, 1, (s, n_hi)), rng.normal(0, 1, (s, n_lo))
        fwd_drift, bwd_drift = np.asarray(drift * gain, float), np.asarray(drift, float)
        slope = values.get(f"{prefix}_year_slope")
        if slope is not None:  # a local trend: the drift walks on from the last fitted step
            slope = np.asarray(slope, float).reshape(s, -1)
            sd = np.asarray(values[f"{prefix}_sigma_drift"], float).reshape(s, 1)
            walk = np.cumsum(rng.normal(0, 1, (s, n_hi)), axis=1)
            fwd_drift, bwd_drift = slope[:, -1:] + sd * walk, slope[:, :1]
        before, after = walk_on(
            eff[:, :1], eff[:, -1:], fwd_drift + sig * z_hi, bwd_drift + sig * z_lo
        )
        full = np.concatenate([before, eff, after], axis=1)
        out[name] = full[:, [y - (old[0] - n_lo) for y in new]]
    name = f"{prefix}_article"
    if "article" in new_coords and name in values:
        art = np.asarray(values[name], dtype=float)
        pos = {str(a): i for i, a in enumerate(coords["article"])}
        fresh = [a for a in new_coords["article"] if str(a) not in pos]
        sig_a = np.asarray(values[f"{prefix}_sigma_article"], dtype=float).reshape(-1, 1)
        extra = rng.normal(0, 1, (art.shape[0], len(fresh))) * sig_a
        full = np.concatenate([art, extra], axis=1)
        pos |= {a: len(pos) + i for i, a in enumerate(fresh)}
        out[name] = full[:, [pos[str(a)] for a in new_coords["article"]]]
    for dim, suffix in (("value_chain", "chain"), ("trait", "beta")):
        name = f"{prefix}_{suffix}"
        if dim in new_coords and name in values:
            pos = {str(a): i for i, a in enumerate(coords[dim])}
            arr = np.asarray(values[name], dtype=float)
            cols = [
                arr[:, pos[str(k)]] if str(k) in pos else np.zeros(len(arr))
                for k in new_coords[dim]
            ]
            out[name] = np.stack(cols, axis=1).reshape(len(arr), len(cols))
    return out
