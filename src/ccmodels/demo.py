"""The end-to-end demo behind ``ccmodels demo``: simulate -> calibrate -> fit -> report."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

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
    4. print the trend tables, project the growth fits to :data:`HORIZON`
       (``out/projection.nc``, the table printed) and write the report to
       ``out/report/index.html``.

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
    print(
        f"\n== Projection to {HORIZON} ({time.perf_counter() - t0:.0f} s elapsed) ...", flush=True
    )
    growth = [p for p in fits if p.stem in ("case_volume", "group_size", "value_chain")]
    try:
        proj = project(
            growth,
            to=HORIZON,
            draws=PROJECT_DRAWS,
            seed=seed,
            progress=progress,
        )
    except ProjectionError as exc:
        print(f"projection refused: {exc}")
    else:
        proj.to_netcdf(out / "projection.nc", engine="h5netcdf")
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(table(proj).to_string())
    print(f"\n== Report ({time.perf_counter() - t0:.0f} s elapsed) ...", flush=True)
    rep = build(fits, out / "report", title="ccmodels demo: cai2017 synthetic population")
    verdicts = ", ".join(f"{k}: {v}" for k, v in rep.verdicts.items())
    print(f"report: {rep.index_html} (verdicts {verdicts})")
    return res.passed and rep.ok
