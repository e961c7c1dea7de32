"""Fit files and the one way a fit is taken in (ccmodels.models.persistence.fit_tree)."""

from __future__ import annotations

import pytest
import xarray as xr

from ccmodels.models import SentenceModel
from ccmodels.models.persistence import FitFileError, fit_tree
from ccmodels.project import ProjectionError, project


def test_fit_tree_takes_a_file_a_tree_or_a_fitted_model(fitted, tmp_path):
    m = fitted["sentence"]
    p = m.save(tmp_path / "sentence.nc")
    from_file, src_file = fit_tree(p)
    from_tree, src_tree = fit_tree(m.idata)
    from_model, src_model = fit_tree(m)
    assert (src_file, src_tree, src_model) == (str(p), "DataTree given", "fitted in this session")
    assert from_file.attrs["id"] == from_tree.attrs["id"] == from_model.attrs["id"]
    xr.testing.assert_identical(
        from_file["posterior"].to_dataset(), m.idata["posterior"].to_dataset()
    )


def test_fit_tree_refuses_what_is_not_a_fit(fitted, tmp_path):
    with pytest.raises(ValueError, match="sentence model is not fitted"):
        fit_tree(SentenceModel())
    with pytest.raises(ValueError, match="not a fit: 3"):
        fit_tree(3)
    with pytest.raises(FileNotFoundError, match="no such fit file"):
        fit_tree(tmp_path / "missing.nc")
    tampered = fitted["sentence"].idata.copy()
    tampered.attrs = dict(tampered.attrs) | {"ccmodels_version": "0.0.1"}
    with pytest.raises(FitFileError, match="written by ccmodels 0.0.1"):
        fit_tree(tampered)
    # the projection takes fits the same way and says so in its own error
    with pytest.raises(ProjectionError, match="written by ccmodels 0.0.1"):
        project(tampered, to=2020, draws=2, seed=0, progress=False)
