"""The extraction of the real sample against the hand labels in ``tests/data``."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccmodels.data.schema import ROLE_COLUMNS
from ccmodels.extract import FLAG_COLUMNS, accuracy_table, disagreements

LABELS_DIR = Path(__file__).parents[1] / "data"
LABELS = LABELS_DIR / "judgment_labels.csv"
HOLDOUT = LABELS_DIR / "judgment_labels_holdout.csv"
# Accuracy measured on both label sets for the role columns.
ROLE_ACCURACY = {"principal": 1.0, "ringleader": 1.0, "n_charges": 1.0}


@pytest.mark.parametrize(
    "labels",
    [
        # Documents 1-90, used while developing the extractor.
        pytest.param(LABELS, id="development"),
        # Documents 91-175, labelled independently (see LABELLING.md): a check on overfitting.
        pytest.param(HOLDOUT, id="holdout"),
    ],
)
def test_accuracy_against_hand_labels(sample, labels):
    if not labels.exists():
        pytest.skip(f"no hand labels: {labels.name}")
    res, _ = sample
    table = accuracy_table(labels, res)
    assert (table["matched"] == table["n"]).all(), disagreements(labels, res)
    for field in ("sentence_type", "term_months", "probation", "probation_months", "fine_yuan"):
        assert table.loc[field, "accuracy"] >= 0.98, (field, disagreements(labels, res))
    flags = [f for f in FLAG_COLUMNS if f != "disability" and f in table.index]
    for field in flags:
        assert table.loc[field, "accuracy"] >= 0.95, (field, disagreements(labels, res))
    # Roles and combined charges: every labelled row agrees on both sets (few positives: see
    # LABELLING.md), so any disagreement is a regression.
    for field in ROLE_COLUMNS:
        assert table.loc[field, "accuracy"] >= ROLE_ACCURACY[field], (
            field,
            disagreements(labels, res),
        )
