"""The end-to-end demo behind ``ccmodels demo``: simulate -> calibrate -> fit -> report."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from ccmodels.data import write_table, yearly_counts
from ccmodels.models import FineModel, ProbationModel, SentenceModel
from ccmodels.models.describe import fit_text
from ccmodels.simulate import Scenario, calibrate, simulate
from ccmodels.util import expected_warnings

__all__ = ["run_demo"]


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
    3. fit the sentence, probation and fine models (nutpie, 4 chains x ``draws``) and save
       them to ``out/fits/*.nc``;
    4. print the trend tables and write the report to ``out/report/index.html``.

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
    for i, cls in enumerate((SentenceModel, ProbationModel, FineModel), start=1):
        print(
            f"\n[{i}/3] fitting the {cls.model_type} model "
            f"({time.perf_counter() - t0:.0f} s elapsed) ...",
            flush=True,
        )
        m = cls()  # type: ignore[abstract]
        with expected_warnings():
            m.fit(pop.offenders, draws=draws, seed=seed, progress=progress, loo=True)
        path = m.save(out / "fits" / f"{cls.model_type}.nc")
        fits.append(path)
        print(fit_text(m), flush=True)
    print(f"\n== Report ({time.perf_counter() - t0:.0f} s elapsed) ...", flush=True)
    rep = build(fits, out / "report", title="ccmodels demo: cai2017 synthetic population")
    verdicts = ", ".join(f"{k}: {v}" for k, v in rep.verdicts.items())
    print(f"report: {rep.index_html} (verdicts {verdicts})")
    return res.passed and rep.ok
