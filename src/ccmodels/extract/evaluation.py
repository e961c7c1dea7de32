"""Accuracy of the extraction against hand-labelled defendants.

A label file is a CSV with ``doc_id``, ``defendant`` and any of the label fields (see
:func:`accuracy_table`). A labelled defendant the extraction misses counts as wrong in every
field.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ccmodels.data.schema import ROLE_COLUMNS
from ccmodels.extract.flags import FLAG_COLUMNS
from ccmodels.extract.pipeline import ExtractionResult

__all__ = ["accuracy_table", "disagreements"]

_NUMERIC_LABELS = ("term_months", "probation_months", "fine_yuan", "n_charges")
_LABEL_FIELDS = (
    "sentence_type",
    "term_months",
    "probation",
    "probation_months",
    "fine_yuan",
    "female",
    *(f for f in FLAG_COLUMNS if f != "disability"),
    *ROLE_COLUMNS,
)


def _as_bool(s: pd.Series) -> pd.Series:
    mapping = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}
    return s.astype(str).str.strip().str.lower().map(mapping)


def _merge_labels(
    labels_path: str | Path, result: ExtractionResult | pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray]:
    labels = pd.read_csv(labels_path, dtype={"doc_id": str})
    off = result.offenders if isinstance(result, ExtractionResult) else result
    merged = labels.merge(
        off, on=["doc_id", "defendant"], how="left", suffixes=("_label", ""), indicator=True
    )
    return merged, (merged["_merge"] == "both").to_numpy()


def _compare(
    merged: pd.DataFrame, found: np.ndarray
) -> list[tuple[str, pd.Series, pd.Series, np.ndarray]]:
    """Per label field: (field, label column, extracted column, correct mask)."""
    out = []
    for f in _LABEL_FIELDS:
        if f + "_label" not in merged.columns:
            continue
        lab, got = merged[f + "_label"], merged[f]
        if f in _NUMERIC_LABELS:
            diff = pd.to_numeric(lab, errors="coerce") - pd.to_numeric(got, errors="coerce")
            correct = (diff.abs() < 0.01).to_numpy()
        elif f == "sentence_type":
            correct = (lab.astype(str).str.strip() == got.astype(str)).to_numpy()
        else:
            correct = (_as_bool(lab) == _as_bool(got)).to_numpy()
        out.append((f, lab, got, correct & found))
    return out


def accuracy_table(
    labels_path: str | Path, result: ExtractionResult | pd.DataFrame
) -> pd.DataFrame:
    """Field-level accuracy of the extractor against hand labels.

    Parameters
    ----------
    labels_path : str or Path
        CSV with ``doc_id``, ``defendant`` and any of the label fields (``sentence_type``,
        ``term_months``, ``probation``, ``probation_months``, ``fine_yuan``, ``female``, the
        flags, and the roles ``principal``, ``ringleader`` and ``n_charges``).
    result : ExtractionResult or pandas.DataFrame
        The extraction (or its ``offenders`` table).

    Returns
    -------
    pandas.DataFrame
        Indexed by field: ``n`` labelled rows, ``matched`` (rows also extracted), ``correct``
        and ``accuracy`` (``correct / n``; a labelled row the extractor missed counts as wrong).
        Numbers agree when they differ by less than 0.01.
    """
    merged, found = _merge_labels(labels_path, result)
    records = [
        (f, len(merged), int(found.sum()), int(correct.sum()))
        for f, _, _, correct in _compare(merged, found)
    ]
    table = pd.DataFrame(records, columns=["field", "n", "matched", "correct"]).set_index("field")
    table["accuracy"] = table["correct"] / table["n"]
    return table


def disagreements(labels_path: str | Path, result: ExtractionResult | pd.DataFrame) -> pd.DataFrame:
    """List every labelled value that differs from the extraction (for review).

    Parameters
    ----------
    labels_path : str or Path
        The hand-label CSV (see :func:`accuracy_table`).
    result : ExtractionResult or pandas.DataFrame
        The extraction.

    Returns
    -------
    pandas.DataFrame
        Columns ``doc_id``, ``defendant``, ``field``, ``label`` and ``extracted`` (missing when
        the labelled defendant was not extracted).
    """
    merged, found = _merge_labels(labels_path, result)
    out = []
    for f, lab, got, correct in _compare(merged, found):
        bad = ~correct
        for i in np.flatnonzero(bad):
            out.append(
                (
                    merged["doc_id"].iat[i],
                    int(merged["defendant"].iat[i]),
                    f,
                    lab.iat[i],
                    got.iat[i],
                )
            )
    return pd.DataFrame(out, columns=["doc_id", "defendant", "field", "label", "extracted"])
