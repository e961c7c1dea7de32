"""The disposition model: the law's categories and what it leaves out."""

from __future__ import annotations

import numpy as np
import pytest

from ccmodels import law
from ccmodels.models.disposition import DispositionModel


def test_disposition_respects_the_law(fitted, population):
    m = fitted["disposition"]
    o = population.offenders
    p = m.predict(o)
    art = o["article"].astype(str).to_numpy()
    no_alone = ~law.fine_only_allowed(art)
    assert no_alone.any() and np.all(p["fine_only"].values[..., no_alone] == 0)
    total = p["custodial"] + p["exempt"] + p["fine_only"]
    np.testing.assert_allclose(total.values, 1.0, atol=1e-12)
    rep = m.predict(o, kind="predictive")
    assert np.all(rep["fine_only"].values[..., no_alone] == 0)
    assert set(np.unique(rep["exempt"].values)) <= {0.0, 1.0}
    t = m.share_by("fine_only", "year")
    assert ((t["lower"] <= t["mean"]) & (t["mean"] <= t["upper"])).all()
    with pytest.raises(ValueError, match="category must be one of"):
        m.share_by("prison")


def _one_row_as(offenders, article: str, sentence_type: str):
    """A copy of ``offenders`` whose first row under ``article`` has ``sentence_type``, no term
    and no probation."""
    out = offenders.copy()
    out["sentence_type"] = out["sentence_type"].astype(str)
    i = int(np.flatnonzero(out["article"].astype(str).to_numpy() == article)[0])
    out.loc[i, ["sentence_type", "term_months", "probation", "probation_months"]] = [
        sentence_type,
        0.0,
        False,
        0.0,
    ]
    return out


def test_disposition_refuses_an_unlawful_fine_only_and_leaves_out_control(population):
    o = population.offenders
    with pytest.raises(ValueError, match="fine_only"):
        DispositionModel().prepare(_one_row_as(o, "286", "fine_only"))
    with pytest.warns(UserWarning, match="control"):
        rows = DispositionModel().prepare(_one_row_as(o, "286-1", "control"))
    assert len(rows) == len(o) - 1
