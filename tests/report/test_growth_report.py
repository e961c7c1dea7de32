"""The report's growth sections: files only, no simulation; with a projection, a comparison and published figures."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ccmodels.data.schema import VALUE_CHAINS
from ccmodels.project import project


def test_report_of_growth_fits_reads_files_only(growth_fits, tmp_path, monkeypatch):
    """The growth fits' sections show their checks and no projection of their own (the
    simulator is never called: a projection is a file given to the report); given one, the
    projection part has a fan per value chain with the data's shares."""
    from ccmodels.report import build
    from ccmodels.report.growth import PROJECTION_NOTE

    _, files = growth_fits
    ds = project(files, to=2019, draws=20, seed=0, progress=False)

    def refuse(*args, **kwargs):
        raise AssertionError("the report simulated")

    for target in ("ccmodels.project.project", "ccmodels.simulate.simulate"):
        monkeypatch.setattr(target, refuse)
    res = build(files, tmp_path / "report")
    names = {f.name for f in res.figures}
    assert not any("projection" in n for n in names), names
    assert PROJECTION_NOTE.split(":")[0] in (tmp_path / "report" / "index.html").read_text()
    assert {"group_size_posterior_ppc_max.png", "group_size_posterior_ppc_share_3plus.png"} <= names
    with_proj = build(files, tmp_path / "with", projection=ds)
    fans = {f.name for f in with_proj.figures}
    assert {f"projection_share_{c}.png" for c in VALUE_CHAINS} <= fans
    assert {"projection_cases.png", "projection_mean_group_size.png"} <= fans
    summary = json.loads((tmp_path / "report" / "summary.json").read_text(encoding="utf-8"))
    gs = next(m for m in summary["models"] if m["model"] == "group_size")
    assert set(gs["estimates"]["max_by_year"]) == {str(y) for y in range(2012, 2017)}


def test_report_with_a_projection_comparison_and_published_figures(
    growth_fits, damped_fit, tmp_path
):
    from ccmodels.report import build
    from ccmodels.report.published import PublishedFigureError

    _, files = growth_fits
    fits = [files[0], damped_fit, *files[1:]]
    ds = project(fits, to=2020, draws=60, seed=3, progress=False, weights=[1, 1, 1, 1])
    cmp = pd.DataFrame(
        {
            "elpd_lfo": [-10.0, -11.0],
            "se": [1.0, 1.2],
            "elpd_diff": [0.0, -1.0],
            "se_diff": [0.0, 0.8],
            "weight": [0.6, 0.4],
        },
        index=pd.Index(["damped", "drift"], name="model"),
    )
    pub = tmp_path / "published.toml"
    pub.write_text(
        '[[figure]]\nquantity = "max_group_size"\nyear = 2016\nvalue = 78\nsource = "S1"\n'
        '[[figure]]\nquantity = "mean_group_size"\nyears = [2017, 2019]\nvalue = 2.3\n'
        'source = "S2"\n',
        encoding="utf-8",
    )
    res = build(files[:1], tmp_path / "r", projection=ds, comparison=cmp, published=pub)
    assert {"projection-trajectories", "projection-comparison"} <= set(res.sections)
    assert res.verdicts == {"case_volume": res.verdicts["case_volume"]}  # not a fit: no verdict
    names = {f.name for f in res.figures}
    assert {"projection_cases.png", "projection_max_group_size.png"} <= names
    html = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "S1" in html and "2017-2019" in html and "stacking weight" in html
    assert "case_volume_damped.nc (weight 0.5" in html
    summ = res.summary["projection"]
    assert summ["horizon"] == 2020 and len(summ["published"]) == 2
    assert summ["comparison"]["damped"]["weight"] == 0.6
    med = np.median(ds["cases"].sel(year=2020).values)
    assert summ["cases"]["2020"]["median"] == pytest.approx(med, rel=1e-5)
    bad = tmp_path / "bad.toml"
    bad.write_text('[[figure]]\nquantity = "judges"\nyear = 2016\nvalue = 1\nsource = ""\n')
    with pytest.raises(
        PublishedFigureError,
        match=r"(?s)bad.toml: 2 problem.*figure 1: quantity.*"
        r"'judges' is not one of cases.*figure 1: source: empty",
    ):
        build(files[:1], tmp_path / "r2", projection=ds, published=bad)
    assert not (tmp_path / "r2").exists()
    with pytest.raises(ValueError, match="shown with a projection"):
        build(files[:1], tmp_path / "r3", comparison=cmp)
    with pytest.raises(ValueError, match="missing column"):
        cmp.drop(columns="weight").to_csv(tmp_path / "c.csv")
        build(files[:1], tmp_path / "r4", projection=ds, comparison=tmp_path / "c.csv")
