"""Posterior reports: page structure, embedded figures, JSON summary, rebuild from files.

The tiny fits of the session (tests/conftest.py: 2 chains, 100 draws, the study's size) are shared;
the tests are about the report's plumbing and verdict logic, not about the estimates.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import matplotlib.image as mpimg
import numpy as np
import pytest
import xarray as xr

from ccmodels.models import (
    FitFileError,
    ProbationModel,
    SentenceModel,
)
from ccmodels.models.describe import fit_text
from ccmodels.report import BUILDERS, ReportResult, build
from ccmodels.report import diagnostics as dg
from ccmodels.report.build import jsonable
from ccmodels.util import expected_warnings

KINDS = (
    "data",
    "convergence",
    "parameters",
    "trends",
    "prior-predictive",
    "posterior-predictive",
    "loo",
    "methods",
)
MODEL_KEYS = (
    "model",
    "rhat_max",
    "ess_bulk_min",
    "ess_tail_min",
    "divergences",
    "ebfmi_min",
    "verdict",
    "remedy",
    "estimates",
    "loo",
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OUTCOMES = ("sentence", "probation", "fine", "disposition")


# ---------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def fits(fitted: dict[str, Any]) -> list[Any]:
    """The four tiny fits of the session (tests/conftest.py), with their pointwise
    log-likelihood, in the report's order."""
    return [fitted[k] for k in OUTCOMES]


@pytest.fixture(scope="session")
def saved(fits: list[Any], tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    d = tmp_path_factory.mktemp("fits")
    return [m.save(d / f"{m.model_type}.nc") for m in fits]


@pytest.fixture(scope="session")
def report(fits: list[Any], saved: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Any:
    return build(fits, tmp_path_factory.mktemp("live") / "report")


@pytest.fixture(scope="session")
def report_from_files(saved: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Any:
    return build(saved, tmp_path_factory.mktemp("files") / "report", title=None)


@pytest.fixture(scope="session")
def short_fit(population: Any) -> ProbationModel:
    m = ProbationModel()
    with expected_warnings():
        m.fit(population.offenders, draws=20, tune=20, chains=2, seed=2, progress=False, loo=True)
    return m


@pytest.fixture(scope="session")
def short_report(short_fit: ProbationModel, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return build([short_fit], tmp_path_factory.mktemp("short") / "report")


# ---------------------------------------------------------------------- HTML helpers
class Page(HTMLParser):
    """Collects sections, images, figures and every src/href attribute of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[tuple[str, str]] = []
        self.imgs: list[str] = []
        self.figures: list[str] = []
        self.links: list[str] = []
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.add(tag)
        if tag == "section" and a.get("data-kind"):
            self.sections.append((a.get("id") or "", a["data-kind"] or ""))
        if tag == "img":
            self.imgs.append(a.get("src") or "")
        if tag == "figure" and a.get("data-name"):
            self.figures.append(a["data-name"] or "")
        for k in ("src", "href", "srcset", "action", "data"):
            if a.get(k):
                self.links.append(a[k] or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(result: ReportResult) -> Page:
    p = Page()
    p.feed(result.index_html.read_text(encoding="utf-8"))
    p.close()
    return p


def strict_json(path: Path) -> Any:
    def no_constant(name: str) -> Any:
        raise ValueError(f"{path}: invalid JSON constant {name}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=no_constant)


# ---------------------------------------------------------------------- the page
def test_page_parses_and_has_every_section(report: ReportResult) -> None:
    page = parse(report)
    found = set(page.sections)
    for label in OUTCOMES:
        for kind in KINDS:
            assert (f"{label}-{kind}", kind) in found, f"missing {label}-{kind}"
    assert ("overview", "overview") in found
    assert {s for s, _ in page.sections} - {"overview"} == set(report.sections)


def test_every_figure_is_an_embedded_png(report: ReportResult) -> None:
    page = parse(report)
    assert len(page.imgs) == len(report.figures) == len(page.figures) >= 24
    prefix = "data:image/png;base64,"
    for src, path in zip(page.imgs, report.figures, strict=True):
        assert src.startswith(prefix)
        png = base64.b64decode(src[len(prefix) :], validate=True)
        assert png.startswith(PNG_SIGNATURE)
        img = mpimg.imread(io.BytesIO(png), format="png")
        assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 300
        assert path.read_bytes() == png  # figures/*.png hold the same images
    assert sorted(p.name for p in (report.out_dir / "figures").iterdir()) == sorted(
        p.name for p in report.figures
    )


def test_page_references_nothing_external(report: ReportResult) -> None:
    page = parse(report)
    for link in page.links:
        assert not link.lower().startswith(("http://", "https://", "//", "file:")), link
        assert link.startswith(("#", "data:image/png;base64,")), link
    assert "script" not in page.tags and "link" not in page.tags and "iframe" not in page.tags


def test_methods_paragraph_names_the_fit(report: ReportResult) -> None:
    text = " ".join(unescape(t) for t in parse(report).text)
    for m in report.summary["models"]:
        meth = m["methods"]
        assert meth in text
        assert f"seed {m['seed']}" in meth and "nutpie" in meth and "PyMC" in meth
        assert "2 chains of 100 posterior draws after 150 tuning steps" in meth
        assert "~ HalfNormal(sigma=" in meth


# ---------------------------------------------------------------------- summary.json
def test_summary_json_has_the_keys(report: ReportResult) -> None:
    s = strict_json(report.summary_json)
    assert set(s) >= {"models", "created", "ccmodels_version"}
    assert [m["model"] for m in s["models"]] == list(OUTCOMES)
    for m in s["models"]:
        assert set(m) >= set(MODEL_KEYS)
        assert m["verdict"] in ("ok", "warn", "fail")
        assert (m["remedy"] is None) == (m["verdict"] == "ok")
        assert 0.99 < m["rhat_max"] < 2 and m["ess_bulk_min"] > 0 and m["divergences"] >= 0
        assert m["ebfmi_min"] > 0  # nutpie stores energy
        loo = m["loo"]
        assert set(loo) >= {"elpd", "se", "p_loo", "pareto_k"}
        assert loo["elpd"] < 0 and loo["se"] > 0 and loo["error"] is None
        assert set(loo["pareto_k"]) == {"good", "ok", "bad", "very_bad"}
        assert sum(loo["pareto_k"].values()) == loo["n_obs"] > 0
    est = {m["model"]: m["estimates"] for m in s["models"]}
    years = [str(y) for y in range(2012, 2017)]
    assert list(est["sentence"]["mean_term_months_by_year"]) == years
    for e in est["sentence"]["mean_term_months_by_year"].values():
        assert 0 < e["lower"] <= e["mean"] <= e["upper"] and e["observed"] > 0
    assert list(est["probation"]["probation_rate_by_year"]) == years
    assert set(est["probation"]["ame_by_trait"]) >= {"surrender", "confession"}
    assert list(est["fine"]["mean_fine_yuan_by_year"]) == years
    for cat in ("exempt", "fine_only"):
        assert list(est["disposition"][f"{cat}_share_by_year"]) == years
        for e in est["disposition"][f"{cat}_share_by_year"].values():
            assert 0 <= e["lower"] <= e["mean"] <= e["upper"] < 1 and 0 <= e["observed"] < 1
        assert est["disposition"][f"{cat}_share_by_value_chain"]
    checks = s["models"][3]["predictive_checks"]["posterior"]
    assert {"share exempt from punishment", "share fined only"} <= set(checks)
    for m in s["models"][:4]:  # every outcome model: leave one case out
        assert m["loo"]["unit"] == "case"
        assert m["loo"]["n_obs"] == m["data"]["n_cases"] < m["data"]["n_rows"]


def test_intra_case_correlation_is_reported_on_the_latent_scale(
    report: ReportResult, fits: list[Any]
) -> None:
    s = strict_json(report.summary_json)
    latent = {"sentence": "term_sigma", "fine": "fine_amount_sigma"}  # else logistic pi^2/3
    for m, fit in zip(s["models"], fits, strict=True):
        post = fit.idata["posterior"]
        sd = {"sentence": "term", "fine": "fine_amount", "probation": "prob"}.get(
            m["model"], "disp"
        )
        tau2 = post[f"{sd}_sigma_case"].values ** 2
        v = post[latent[m["model"]]].values ** 2 if m["model"] in latent else np.pi**2 / 3
        r = (tau2 / (tau2 + v)).ravel()
        icc = m["intra_case_correlation"]
        assert icc["mean"] == pytest.approx(r.mean(), rel=1e-5)  # JSON: 6 digits
        assert icc["lower"] == pytest.approx(np.quantile(r, 0.025), rel=1e-5)
        assert 0 < icc["lower"] < icc["mean"] < icc["upper"] < 1
    text = " ".join(unescape(t) for t in parse(report).text)
    assert text.count("Intra-case correlation") >= len(fits)


def test_report_result_describes_the_files(report: ReportResult) -> None:
    assert report.index_html.is_file() and report.summary_json.is_file()
    assert report.summary == strict_json(report.summary_json)
    assert set(report.verdicts) == set(OUTCOMES)
    assert report.seconds > 0


def test_rebuilt_from_saved_files_is_the_same(
    report: ReportResult, report_from_files: ReportResult
) -> None:
    a, b = strict_json(report.summary_json), strict_json(report_from_files.summary_json)
    a.pop("created"), b.pop("created")
    assert a == b
    assert report.sections == report_from_files.sections
    assert [p.name for p in report.figures] == [p.name for p in report_from_files.figures]
    assert parse(report).sections == parse(report_from_files).sections


def test_built_by_two_workers_is_the_same(saved: list[Path], tmp_path: Path) -> None:
    """Two worker processes (each reading its fit files) write the same report: summary, page
    sections and every figure, byte for byte; a model type seen twice gets the same labels."""
    files = [saved[0], saved[0]]
    one = build(files, tmp_path / "one", title=None)
    two = build(files, tmp_path / "two", title=None, workers=2)
    a, b = strict_json(one.summary_json), strict_json(two.summary_json)
    a.pop("created"), b.pop("created")
    assert a == b
    assert one.sections == two.sections and parse(one).sections == parse(two).sections
    assert "sentence-2" in two.verdicts
    assert [p.read_bytes() for p in one.figures] == [p.read_bytes() for p in two.figures]


def test_bad_inputs_with_workers_get_the_one_by_one_errors(
    saved: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "not_a_fit.nc"
    bad.write_text("plain text")
    with pytest.raises(FitFileError, match="not_a_fit.nc"):
        build([saved[0], bad], tmp_path / "r1", workers=2)
    with pytest.raises(ValueError, match="workers must be at least 1"):
        build(saved, tmp_path / "r2", workers=0)
    monkeypatch.delitem(BUILDERS, "probation")
    with pytest.raises(ValueError, match="no report builder for model type 'probation'"):
        build(saved, tmp_path / "r3", workers=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not_a_fit.nc"]


# ---------------------------------------------------------------------- verdicts
def test_too_few_draws_is_flagged_with_its_remedy(short_report: ReportResult) -> None:
    (m,) = strict_json(short_report.summary_json)["models"]
    assert m["verdict"] in ("warn", "fail")
    assert m["ess_bulk_min"] < 400 and m["remedy"]
    assert "increase tune/draws" in m["remedy"]
    text = " ".join(unescape(t) for t in parse(short_report).text)
    assert "increase tune/draws" in text
    assert f"Verdict: {m['verdict']}" in text


def test_cli_demo_and_report_name_the_same_worst_parameters_and_verdict(
    short_fit: ProbationModel, short_report: ReportResult
) -> None:
    """`ccmodels fit` and the demo print fit_text; the report judges with the same rule."""
    (m,) = strict_json(short_report.summary_json)["models"]
    line = fit_text(short_fit, tables=False).splitlines()[1]
    assert m["verdict"] != "ok" and f"verdict {m['verdict']}" in line
    assert f"max R-hat {m['rhat_max']:.3f} ({m['worst_rhat']})" in line
    assert f"min bulk ESS {m['ess_bulk_min']:.0f} ({m['worst_ess_bulk']})" in line
    assert all(p in line for p in m["problems"]) and m["remedy"] in line
    text = " ".join(unescape(t) for t in parse(short_report).text)
    assert m["worst_rhat"] in text and m["worst_ess_bulk"] in text


# ---------------------------------------------------------------------- the directory
def test_existing_out_dir_is_refused_unless_overwrite(
    short_fit: ProbationModel, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    out.mkdir()
    (out / "old.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        build([short_fit], out)
    assert (out / "old.txt").read_text() == "keep me"
    res = build([short_fit], out, overwrite=True)
    assert not (out / "old.txt").exists() and res.index_html.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no temporary leftovers


def test_failed_write_leaves_nothing(
    short_fit: ProbationModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(self: Path, *args: Any, **kwargs: Any) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_text", boom)
    with pytest.raises(OSError, match="disk full"):
        build([short_fit], tmp_path / "report")
    assert list(tmp_path.iterdir()) == []


def test_unregistered_model_type_is_an_error(
    short_fit: ProbationModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(BUILDERS, "probation")
    with pytest.raises(ValueError, match="no report builder for model type 'probation'"):
        build([short_fit], tmp_path / "report")
    with pytest.raises(ValueError, match="no fits"):
        build([], tmp_path / "other")


def test_unfitted_model_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not fitted"):
        build([SentenceModel()], tmp_path / "report")


# ---------------------------------------------------------------------- helpers
def test_jsonable_makes_strict_json() -> None:
    x = {1: np.float64(np.nan), "a": [np.int64(3), np.float32(0.1234567891)], "b": np.bool_(1)}
    out = jsonable(x)
    assert out == {"1": None, "a": [3, 0.123457], "b": True}
    json.dumps(out, allow_nan=False)


def test_multi_part_log_likelihood_is_summed_per_row() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2, 5, 3))
    b = rng.normal(size=(2, 5, 2))
    ll = xr.Dataset(
        {
            "any_obs": (("chain", "draw", "any_row"), a),
            "amount_obs": (("chain", "draw", "fined_row"), b),
        },
        coords={"any_row": [0, 1, 3], "fined_row": [1, 2]},
    )
    total = dg.pointwise_log_likelihood(xr.DataTree.from_dict({"log_likelihood": ll}))
    assert list(total["row"].values) == [0, 1, 2, 3]
    np.testing.assert_allclose(total.sel(row=1), a[..., 1] + b[..., 0])
    np.testing.assert_allclose(total.sel(row=2), b[..., 1])
    np.testing.assert_allclose(total.sel(row=3), a[..., 2])


def test_fit_without_log_likelihood_gets_the_remedy(fits: list[Any], tmp_path: Path) -> None:
    tree = fits[1].idata.drop_nodes("log_likelihood")
    res = build([tree], tmp_path / "report")
    loo = res.summary["models"][0]["loo"]
    assert "without its pointwise log-likelihood" in loo["error"]
    assert "log_likelihood" not in fits[1].idata["posterior"].to_dataset().data_vars
    html = res.index_html.read_text(encoding="utf-8")
    assert "refit with loo=True" in html


def test_methods_paragraph_names_the_likelihood_fitted() -> None:
    from ccmodels.report.sentence import NORMAL, STUDENT_T, likelihood

    assert likelihood({"effects": {"likelihood": "student_t"}}) == STUDENT_T
    assert likelihood({"effects": {"likelihood": "normal"}}) == NORMAL
    assert "Student-t" in STUDENT_T and "Student-t" not in NORMAL


NO_PYMC = """
import json, sys
sys.modules["pymc"] = None  # importing pymc now raises ImportError
try:
    import pymc  # noqa: F401
except ImportError:
    pass
else:
    raise SystemExit("pymc is importable")
from ccmodels.report import build
res = build(json.loads(sys.argv[1]), sys.argv[2])
assert "pymc" not in {m.split(".")[0] for m in sys.modules if sys.modules[m] is not None}
print("built", res.summary_json)
"""


def test_report_needs_no_pymc(report: ReportResult, saved: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "report"
    env = dict(os.environ, MPLBACKEND="Agg")
    run = subprocess.run(
        [sys.executable, "-c", NO_PYMC, json.dumps([str(p) for p in saved]), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    a, b = strict_json(report.summary_json), strict_json(out / "summary.json")
    a.pop("created"), b.pop("created")
    assert a == b
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted(
        p.name for p in report.figures
    )
