"""The end-to-end demo behind ``ccmodels demo``: simulate -> calibrate -> fit -> report."""

from __future__ import annotations

import shutil
import time
from functools import partial
from importlib.resources import files
from pathlib import Path
from typing import Any

import pandas as pd

from ccmodels.data import write_table, yearly_counts
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
from ccmodels.util import expected_warnings

__all__ = ["run_demo"]

#: the demo's projection horizon
HORIZON = 2030
PROJECT_DRAWS = 1000
#: the first leave-future-out training window (years)
LFO_MIN_TRAIN = 3
#: published figures drawn beside the projection in the report
PUBLISHED = Path(str(files("ccmodels.resources").joinpath("published_cai2017.toml")))


def _growth_checks(
    shifted: GroupSizeModel,
    offenders: pd.DataFrame,
    out: Path,
    draws: int,
    seed: int,
    progress: bool | None,
) -> None:
    """The group-size checks: the 2016 largest case against its posterior predictive, and
    the LOO comparison of the shifted and zero-truncated families."""
    from ccmodels.report.diagnostics import compare_loo

    mx = shifted.derived()["max_by_year"]
    last = mx.index.max()
    r = mx.loc[last]
    print(
        f"\nlargest case in {last}: observed {r['observed_max']:.0f}; posterior predictive "
        f"90% interval [{r['lower']:.0f}, {r['upper']:.0f}]; the study's 78 is "
        f"{'inside' if r['lower'] <= 78 <= r['upper'] else 'outside'}"
    )
    ztnb = GroupSizeModel(effects={"family": "ztnb"})
    with expected_warnings():
        ztnb.fit(offenders, draws=draws, seed=seed, progress=progress, loo=True)
    ztnb.save(out / "fits" / "group_size_ztnb.nc")
    assert shifted.idata is not None and ztnb.idata is not None
    cmp = compare_loo({"shifted NB": shifted.idata, "zero-truncated NB": ztnb.idata})
    print("LOO comparison of the group-size families (Pareto k counts by bin):")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(cmp.round(2).to_string())


#: the case-volume trend families the demo compares (name, effects, fit file stem)
TRENDS: tuple[tuple[str, dict[str, Any], str], ...] = (
    ("constant drift", {}, "case_volume"),
    ("damped trend", {"year_damping": True}, "case_volume_damped"),
    ("local linear trend", {"year_local_trend": True}, "case_volume_local"),
)


def _trend_families(
    offenders: pd.DataFrame,
    fits: list[Path],
    out: Path,
    draws: int,
    seed: int,
    progress: bool | None,
) -> tuple[list[Path], list[float], pd.DataFrame]:
    """Fit the damped and the local linear trend of case volume beside the constant drift,
    compare the three by leave-future-out cross-validation and return the growth fits to
    project with their weights (the three trends, group size, value chains) and the
    comparison. The weights are the pseudo-BMA+ ones: with five years of data (two held-out
    years) stacking puts nearly all the weight on one family, and the pseudo-BMA+ mixture was
    the best calibrated of the package's projections on 5-year series
    (``benchmarks/forecast_calibration.py``)."""
    from ccmodels.validate import compare_lfo

    by_stem = {p.stem: p for p in fits}
    for _, effects, stem in TRENDS[1:]:
        m = CaseVolumeModel(effects=effects)
        with expected_warnings():
            m.fit(offenders, draws=draws, seed=seed, progress=progress, loo=True)
        by_stem[stem] = m.save(out / "fits" / f"{stem}.nc")
        print(fit_text(m), flush=True)
    rows = yearly_counts(offenders)[["year", "cases"]]
    cmp = compare_lfo(
        {name: partial(CaseVolumeModel, effects=effects) for name, effects, _ in TRENDS},
        rows,
        min_train=LFO_MIN_TRAIN,
        seed=seed,
        progress=progress,
        draws=draws,
    )
    cmp.to_csv(out / "lfo.csv")
    print(
        "\nLeave-future-out comparison of the case-volume trends (1 year ahead, from "
        f"{LFO_MIN_TRAIN} training years; -> {out / 'lfo.csv'}):"
    )
    print(cmp.round(3).to_string(), flush=True)
    w = cmp["bb_weight"]
    growth = [by_stem[stem] for *_, stem in TRENDS] + [
        by_stem["group_size"],
        by_stem["value_chain"],
    ]
    return growth, [float(w[name]) for name, *_ in TRENDS] + [1.0, 1.0], cmp


def run_demo(
    out: Path = Path("demo-out"),
    seed: int = 2017,
    replicates: int = 200,
    draws: int = 1000,
    force: bool = False,
    progress: bool | None = None,
) -> bool:
    """Run the main job on the built-in cai2017 scenario.

    1. check the scenario's calibration against the published figures (``replicates``);
    2. simulate one population (``seed``) and save it to ``out/offenders.parquet``;
    3. fit the sentence, probation and fine models and the growth models (case volume, group
       size, value chains; nutpie, 4 chains x ``draws``) and save them to ``out/fits/*.nc``;
       fit the zero-truncated group-size family too and print the LOO comparison;
    4. fit the damped and the local linear trend of case volume too, compare the three
       trends by leave-future-out cross-validation (``out/lfo.csv``) and project the growth
       fits to :data:`HORIZON`, case volume as the trends' mixture by their pseudo-BMA+ weights
       (``out/projection.nc``, the table printed);
    5. write the report to ``out/report/index.html``: the fits, the projection with the
       comparison, and the study's published figures beside it (:data:`PUBLISHED`).

    Returns True when every calibration target passes and every fit converged ("ok").

    Raises
    ------
    FileExistsError
        If ``out`` exists and ``force`` is false.
    """
    from ccmodels.report import build

    out = Path(out)
    if out.exists():
        if not force:
            raise FileExistsError(f"{out} exists; pass --force to overwrite it")
        shutil.rmtree(out)
    t0 = time.perf_counter()
    sc = Scenario.default()
    print(f"== Scenario {sc.name}: {sc.description}", flush=True)
    res = calibrate(sc, replicates=replicates, seed=0, progress=progress)
    print(res, flush=True)
    pop = simulate(sc, seed)
    write_table(pop.offenders, out / "offenders.parquet")
    print(
        f"\n== One population (seed {seed}): {len(pop.cases)} cases, "
        f"{len(pop.offenders)} offenders -> {out / 'offenders.parquet'}"
    )
    print(yearly_counts(pop.offenders).to_string(index=False), flush=True)
    fits = []
    classes = (SentenceModel, ProbationModel, FineModel, CaseVolumeModel, GroupSizeModel)
    models = {}
    for i, cls in enumerate((*classes, ValueChainModel), start=1):
        print(
            f"\n[{i}/6] fitting the {cls.model_type} model "
            f"({time.perf_counter() - t0:.0f} s elapsed) ...",
            flush=True,
        )
        m = cls()  # type: ignore[abstract]
        with expected_warnings():
            m.fit(pop.offenders, draws=draws, seed=seed, progress=progress, loo=True)
        path = m.save(out / "fits" / f"{cls.model_type}.nc")
        fits.append(path)
        models[cls.model_type] = m
        print(fit_text(m), flush=True)
    _growth_checks(models["group_size"], pop.offenders, out, draws, seed, progress)
    growth, weights, cmp = _trend_families(pop.offenders, fits, out, draws, seed, progress)
    fits += growth[1 : len(TRENDS)]  # the damped and local trends' fits, in the report too
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
    )
    verdicts = ", ".join(f"{k}: {v}" for k, v in rep.verdicts.items())
    print(f"report: {rep.index_html} (verdicts {verdicts})")
    return res.passed and rep.ok
