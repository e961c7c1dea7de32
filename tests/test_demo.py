"""The demo's orchestration: its jobs cover the fits it reports and projects, and bad
settings are refused before anything is written (the whole demo runs in .ci/run)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from ccmodels import demo
from ccmodels.cli import app


def test_the_jobs_fit_every_file_the_demo_reports_and_projects():
    stems = [s for _, job in demo.JOBS.values() for s in job]
    assert len(stems) == len(set(stems))
    reported = {"sentence", "probation", "fine", "group_size", "value_chain"}
    assert reported | {stem for *_, stem in demo.TRENDS} <= set(stems)
    assert set(demo.JOBS) - set(demo._SIMPLE) == {"case_volume", "group_size"}


@pytest.mark.parametrize("workers", [0, -2])
def test_bad_worker_counts_are_refused_before_anything_is_written(tmp_path, workers):
    out = tmp_path / "demo-out"
    with pytest.raises(ValueError, match="workers must be at least 1"):
        demo.run_demo(out=out, workers=workers)
    assert not out.exists()
    res = CliRunner().invoke(app, ["demo", "--out", str(out), "--workers", str(workers)])
    assert res.exit_code == 2 and "--workers" in res.output and "Traceback" not in res.output
    assert not out.exists()


def test_an_existing_output_is_kept_unless_forced(tmp_path):
    out = tmp_path / "demo-out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="--force"):
        demo.run_demo(out=out)
    assert (out / "keep.txt").read_text() == "mine"
