"""The tables of a simulated population: roles of co-defendants (arts. 26, 97), case ids and
the case table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccmodels import law
from ccmodels.data.schema import CHAIN_COLUMNS, TARGETS

__all__ = ["case_ids", "case_table", "roles"]


def roles(
    group_prob: float,
    n_def: np.ndarray,
    case_of: np.ndarray,
    first: np.ndarray,
    accessory: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Principals (co-defendants who are not accessories) and ringleaders (the first principal
    of a case of three or more defendants that is a criminal group)."""
    principal = (n_def[case_of] > 1) & ~accessory
    group = (n_def >= 3) & (rng.random(len(n_def)) < group_prob)
    n_off = len(case_of)
    # position of each offender's case's first principal (n_off when it has none)
    pos = np.where(principal, np.arange(n_off), n_off)
    first_principal = np.minimum.reduceat(pos, first) if n_off else pos
    ringleader = np.zeros(n_off, dtype=bool)
    lead = group & (first_principal < n_off)
    ringleader[first_principal[lead]] = True
    return principal, ringleader


def case_ids(case_year: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``"<year>-<position, 6 digits>"`` of every case (strings, built by Arrow)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    number = pc.utf8_lpad(pc.cast(pa.array(np.arange(len(case_year))), pa.string()), 6, "0")
    ids = pc.binary_join_element_wise(pc.cast(pa.array(case_year), pa.string()), number, "-")
    return pd.array(ids, dtype="string")


def case_table(
    case_ids: pd.api.extensions.ExtensionArray,
    case_year: np.ndarray,
    date: np.ndarray,
    art_case: np.ndarray,
    chains: np.ndarray,
    target_idx: np.ndarray,
    n_def: np.ndarray,
    u_case: np.ndarray,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "case_id": case_ids,
            "year": case_year.astype(np.int64),
            "judgment_date": date,
            "article": pd.Categorical.from_codes(art_case, categories=list(law.ARTICLES)),
            **{c: chains[:, j] for j, c in enumerate(CHAIN_COLUMNS)},
            "target": pd.Categorical.from_codes(target_idx, categories=list(TARGETS)),
            "n_defendants": n_def.astype(np.int64),
            "case_effect": u_case,
        },
        copy=False,
    )
