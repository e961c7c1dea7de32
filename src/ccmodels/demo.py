"""The end-to-end demo behind ``ccmodels demo``."""

from __future__ import annotations

from pathlib import Path

from ccmodels.data import yearly_counts
from ccmodels.simulate import Scenario, calibrate, simulate

__all__ = ["run_demo"]


def run_demo(
    out: Path | None = None,
    seed: int = 2017,
    replicates: int = 200,
    force: bool = False,
    progress: bool | None = None,
) -> bool:
    """Simulate the cai2017 scenario, print its calibration table and the population summary.

    Returns True when every calibration target passes.
    """
    sc = Scenario.default()
    print(f"== Scenario {sc.name}: {sc.description}")
    res = calibrate(sc, replicates=replicates, seed=0, progress=progress)
    print(res)
    pop = simulate(sc, seed)
    print(
        f"\n== One population (seed {seed}): {len(pop.cases)} cases, {len(pop.offenders)} offenders"
    )
    print(yearly_counts(pop.offenders).to_string(index=False))
    return res.passed
