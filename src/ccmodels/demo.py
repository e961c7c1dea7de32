"""The end-to-end demo behind ``ccmodels demo``: simulate -> calibrate -> fit -> report."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import time
from concurrent.futures import Future
from functools import partial
from importlib.resources import files
from pathlib import Path
from typing import Any

import pandas as pd

from ccmodels.data import read_table, write_table, yearly_counts
from ccmodels.models import (
    CaseVolumeModel,
    FineModel,
    GroupSizeModel,
    ProbationModel,
    SentenceModel,
    ValueChainModel,
)
from ccmodels.models.describe import fit_text
from ccmodels.project import ProjectionError, project, table
from ccmodels.simulate import Scenario, calibrate, simulate
from ccmodels.util import expected_warnings, worker_count, worker_pool

__all__ = ["run_demo"]

#: the demo's projection horizon
HORIZON = 2030
PROJECT_DRAWS = 1000
#: the first leave-future-out training window (years)
LFO_MIN_TRAIN = 3
#: published figures drawn beside the projection in the report
PUBLISHED = Path(str(files("ccmodels.resources").joinpath("published_cai2017.toml")))


def _group_size(offenders: pd.DataFrame, out: Path, draws: int, seed: int) -> None:
    """Fit the group-size model (shifted negative binomial), then its checks: the 2016 largest
    case against its posterior predictive, and the LOO comparison with the zero-truncated
    family (fitted and saved too)."""
    from ccmodels.report.diagnostics import compare_loo

    shifted = _fit(GroupSizeModel(), offenders, out / "fits" / "group_size.nc", draws, seed)
    mx = shifted.derived()["max_by_year"]
    last = mx.index.max()
    r = mx.loc[last]
    print(
        f"\nlargest case in {last}: observed {r['observed_max']:.0f}; posterior predictive "
        f"90% interval [{r['lower']:.0f}, {r['upper']:.0f}]; the study's 78 is "
        f"{'inside' if r['lower'] <= 78 <= r['upper'] else 'outside'}"
    )
    ztnb = GroupSizeModel(effects={"family": "ztnb"})
    _fit(ztnb, offenders, out / "fits" / "group_size_ztnb.nc", draws, seed, text=False)
    assert shifted.idata is not None and ztnb.idata is not None
    cmp = compare_loo({"shifted NB": shifted.idata, "zero-truncated NB": ztnb.idata})
    print("LOO comparison of the group-size families (Pareto k counts by bin):")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(cmp.round(2).to_string())


def _fit(
    m: Any, offenders: pd.DataFrame, path: Path, draws: int, seed: int, text: bool = True
) -> Any:
    """Fit ``m`` (with LOO), save it to ``path`` and print its convergence and tables."""
    with expected_warnings():
        m.fit(offenders, draws=draws, seed=seed, progress=False, loo=True)
    m.save(path)
    if text:
        print(fit_text(m), flush=True)
    return m


#: the case-volume trend families the demo compares (name, effects, fit file stem)
TRENDS: tuple[tuple[str, dict[str, Any], str], ...] = (
    ("constant drift", {}, "case_volume"),
    ("damped trend", {"year_damping": True}, "case_volume_damped"),
    ("local linear trend", {"year_local_trend": True}, "case_volume_local"),
)


def _trend_families(offenders: pd.DataFrame, out: Path, draws: int, seed: int) -> pd.DataFrame:
    """Fit the case-volume model with each trend of :data:`TRENDS` and compare the three by
    leave-future-out cross-validation (``out/lfo.csv``, returned)."""
    from ccmodels.validate import compare_lfo

    for _, effects, stem in TRENDS:
        _fit(CaseVolumeModel(effects=effects), offenders, out / "fits" / f"{stem}.nc", draws, seed)
    rows = yearly_counts(offenders)[["year", "cases"]]
    cmp = compare_lfo(
        {name: partial(CaseVolumeModel, effects=effects) for name, effects, _ in TRENDS},
        rows,
        min_train=LFO_MIN_TRAIN,
        seed=seed,
        progress=False,
        draws=draws,
    )
    cmp.to_csv(out / "lfo.csv")
    print(
        "\nLeave-future-out comparison of the case-volume trends (1 year ahead, from "
        f"{LFO_MIN_TRAIN} training years; -> {out / 'lfo.csv'}):"
    )
    print(cmp.round(3).to_string(), flush=True)
    return cmp


#: the demo's fitting jobs, longest first (the order they start in and are printed in):
#: name -> (what is fitted, fit file stems)
JOBS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sentence": ("the sentence model", ("sentence",)),
    "probation": ("the probation model", ("probation",)),
    "case_volume": (
        "the case-volume model with three trends, compared by leave-future-out",
        tuple(stem for *_, stem in TRENDS),
    ),
    "fine": ("the fine model", ("fine",)),
    "group_size": ("the group-size model, two families", ("group_size", "group_size_ztnb")),
    "value_chain": ("the value-chain model", ("value_chain",)),
}
_SIMPLE = {
    "sentence": SentenceModel,
    "probation": ProbationModel,
    "fine": FineModel,
    "value_chain": ValueChainModel,
}


def _job(name: str, out: Path, draws: int, seed: int) -> tuple[str, pd.DataFrame | None]:
    """Run one of :data:`JOBS` (in a worker process) on ``out/offenders.parquet``; return what
    it printed and, for case volume, the trend comparison."""
    offenders = read_table(out / "offenders.parquet")
    buf = io.StringIO()
    cmp = None
    with contextlib.redirect_stdout(buf):
        if name == "group_size":
            _group_size(offenders, out, draws, seed)
        elif name == "case_volume":
            cmp = _trend_families(offenders, out, draws, seed)
        else:
            _fit(_SIMPLE[name](), offenders, out / "fits" / f"{name}.nc", draws, seed)  # type: ignore[abstract]
    return buf.getvalue(), cmp


def default_workers() -> int:
    """Worker processes for the demo's fits: two, or one on a single-core machine."""
    return max(1, min(2, os.cpu_count() or 1))


def run_demo(
    out: Path = Path("demo-out"),
    seed: int = 2017,
    replicates: int = 200,
    draws: int = 1000,
    force: bool = False,
    progress: bool | None = None,
    workers: int | None = None,
) -> bool:
    """Run the main job on the built-in cai2017 scenario.

    1. simulate one population (``seed``) and save it to ``out/offenders.parquet``;
    2. start the fits (:data:`JOBS`) in ``workers`` processes (default
       :func:`default_workers`): the sentence, probation and fine models and the growth
       models (case volume, group size, value chains; nutpie, 4 chains x ``draws``), saved to
       ``out/fits/*.nc``; the zero-truncated group-size family too, with the LOO comparison;
       the damped and the local linear trend of case volume too, the three trends compared by
       leave-future-out cross-validation (``out/lfo.csv``);
    3. meanwhile check the scenario's calibration against the published figures
       (``replicates``), then print each job's fits in the order of :data:`JOBS`;
    4. project the growth fits to :data:`HORIZON`, case volume as the trends' mixture by their
       pseudo-BMA+ weights (``out/projection.nc``, the table printed);
    5. write the report to ``out/report/index.html``: the fits, the projection with the
       comparison, and the study's published figures beside it (:data:`PUBLISHED`).

    A fit's time on a machine whose compile caches are empty is mostly numba compiling its
    graph, on one core: two workers compile two models at once; they build the report's parts
    too. The results are the same whatever the number of workers (each fit has its own seed).
    The workers are spawned processes, which import the calling script again: from a script,
    call ``run_demo`` under ``if __name__ == "__main__":``.

    Returns True when every calibration target passes and every fit converged ("ok").

    Raises
    ------
    FileExistsError
        If ``out`` exists and ``force`` is false.
    ValueError
        If ``workers`` is below 1.
    """
    from ccmodels.report import build

    n_workers = default_workers() if workers is None else worker_count(workers)
    out = Path(out)
    if out.exists():
        if not force:
            raise FileExistsError(f"{out} exists; pass --force to overwrite it")
        shutil.rmtree(out)
    t0 = time.perf_counter()
    sc = Scenario.default()
    print(f"== Scenario {sc.name}: {sc.description}", flush=True)
    pop = simulate(sc, seed)
    write_table(pop.offenders, out / "offenders.parquet")
    print(
        f"\n== One population (seed {seed}): {len(pop.cases)} cases, "
        f"{len(pop.offenders)} offenders -> {out / 'offenders.parquet'}"
    )
    print(yearly_counts(pop.offenders).to_string(index=False), flush=True)
    print(
        f"\n== Fitting {len(JOBS)} jobs in {n_workers} worker process"
        f"{'es' if n_workers > 1 else ''}; meanwhile the calibration check",
        flush=True,
    )
    pool = worker_pool(n_workers)
    try:
        jobs: dict[str, Future[tuple[str, pd.DataFrame | None]]] = {
            name: pool.submit(_job, name, out, draws, seed) for name in JOBS
        }
        res = calibrate(sc, replicates=replicates, seed=0, progress=progress)
        print(res, flush=True)
        cmp = None
        for i, (name, fut) in enumerate(jobs.items(), start=1):
            text, got = fut.result()
            cmp = got if got is not None else cmp
            print(
                f"\n[{i}/{len(JOBS)}] {JOBS[name][0]} (done at {time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
            print(text, end="", flush=True)
    finally:
        pool.shutdown(cancel_futures=True)
    assert cmp is not None
    path = {stem: out / "fits" / f"{stem}.nc" for _, stems in JOBS.values() for stem in stems}
    fits = [path[s] for s in ("sentence", "probation", "fine", "case_volume")]
    fits += [path["group_size"], path["value_chain"]]
    fits += [path[stem] for *_, stem in TRENDS[1:]]  # the damped and local trends, reported too
    growth = [path[stem] for *_, stem in TRENDS] + [path["group_size"], path["value_chain"]]
    # The pseudo-BMA+ weights: with five years of data (two held-out years) stacking puts
    # nearly all the weight on one family, and the pseudo-BMA+ mixture was the best calibrated
    # of the package's projections on 5-year series (benchmarks/forecast_calibration.py).
    w = cmp["bb_weight"]
    weights = [float(w[name]) for name, *_ in TRENDS] + [1.0, 1.0]
    print(
        f"\n== Projection to {HORIZON} ({time.perf_counter() - t0:.0f} s elapsed) ...", flush=True
    )
    proj_path: Path | None = None
    try:
        proj = project(
            growth,
            to=HORIZON,
            draws=PROJECT_DRAWS,
            seed=seed,
            progress=progress,
            weights=weights,
        )
    except ProjectionError as exc:
        print(f"projection refused: {exc}")
    else:
        proj_path = out / "projection.nc"
        proj.to_netcdf(proj_path, engine="h5netcdf")
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(table(proj).to_string())
    print(f"\n== Report ({time.perf_counter() - t0:.0f} s elapsed) ...", flush=True)
    rep = build(
        fits,
        out / "report",
        title="ccmodels demo: cai2017 synthetic population",
        projection=proj_path,
        comparison=cmp if proj_path is not None else None,
        published=PUBLISHED if proj_path is not None else None,
        workers=n_workers,
    )
    verdicts = ", ".join(f"{k}: {v}" for k, v in rep.verdicts.items())
    print(f"report: {rep.index_html} (verdicts {verdicts})")
    return res.passed and rep.ok
