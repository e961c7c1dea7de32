"""The sentencing pipeline composes the four offender-level models."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from ccmodels import law
from ccmodels.models.pipeline import PipelineError, SentencingPipeline


def test_pipeline_composes_the_four_models(fitted, population, tmp_path):
    paths = {k: fitted[k].save(tmp_path / f"{k}.nc") for k in fitted}
    pipe = SentencingPipeline(**paths)
    o = population.offenders
    sim = pipe.simulate(o, draws=60, seed=2)
    st_ = np.asarray(law.SENTENCE_TYPES, dtype=object)[sim["sentence_type"]]
    term = sim["term_months"]
    art = np.broadcast_to(o["article"].astype(str).to_numpy(), st_.shape)
    # the law holds in every drawn sentence
    np.testing.assert_array_equal(sim["fine_yuan"] > 0, law.fine_required(art, st_, term))
    assert np.all(term[np.isin(st_, ["exempt", "fine_only"])] == 0)
    assert np.all(term[st_ == "detention"] < 6) and np.all(term[st_ == "fixed_term"] >= 6)
    rec = np.broadcast_to(o["recidivist"].to_numpy(bool), st_.shape)
    assert not np.any(sim["probation"] & ~law.probation_eligible(st_, term, rec))
    out = pipe.predict(o, draws=60, seed=2)
    assert out["probation_share_by_year"].dims == ("draw", "year")
    tab = pipe.summary(out, "probation_share", "year", observed=o)
    assert list(tab.index) == sorted(o["year"].unique())
    assert ((tab["lower"] <= tab["mean"]) & (tab["mean"] <= tab["upper"])).all()
    obs = o.groupby("year")["probation"].mean()
    np.testing.assert_allclose(tab["observed"].to_numpy(), obs.to_numpy())
    # same seed, same numbers; fitted models or their files alike
    again = SentencingPipeline(**fitted).predict(o, draws=60, seed=2)
    xr.testing.assert_equal(out, again)
    with pytest.raises(PipelineError, match="disposition: got a fitted 'sentence' model"):
        SentencingPipeline(
            fitted["sentence"], fitted["sentence"], fitted["probation"], fitted["fine"]
        )
    with pytest.raises(PipelineError, match="draws must be a positive integer"):
        pipe.predict(o, draws=0)
    with pytest.raises(PipelineError, match="quantity must be one of"):
        pipe.summary(out, "prison")
