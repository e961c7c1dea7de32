"""Simulator throughput and peak memory at about 1e4, 1e5 and 1e6 offenders.

Prints a table and writes benchmarks/results/simulate.json. The baseline, measured in the same
run, is the time NumPy takes just to draw 20 uniforms per offender: the ratio says how many such
"raw draws" the whole simulation costs, which is comparable across machines and loads.

    python benchmarks/bench_simulate.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import tracemalloc
from pathlib import Path

import numpy as np

from ccmodels import __version__
from ccmodels.simulate import Scenario, simulate

OUT = Path(__file__).parent / "results" / "simulate.json"


def _time(fn, repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return float(best)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    args = ap.parse_args()

    base = Scenario.default()
    per_unit = simulate(base, 0).offenders.shape[0]  # offenders at scale 1
    runs = []
    for n in args.sizes:
        sc = base.scaled(n / per_unit)
        pop = simulate(sc, 1)
        n_off = len(pop.offenders)
        secs = _time(lambda sc=sc: simulate(sc, 1), args.repeats)
        tracemalloc.start()
        simulate(sc, 1)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rng = np.random.default_rng(0)
        base_secs = _time(lambda n_off=n_off, rng=rng: rng.random((n_off, 20)), args.repeats)
        runs.append(
            {
                "n_offenders": n_off,
                "n_cases": len(pop.cases),
                "seconds": secs,
                "offenders_per_second": n_off / secs,
                "peak_mb": peak / 2**20,
                "bytes_per_offender": peak / n_off,
                "baseline_seconds": base_secs,
                "ratio_to_baseline": secs / base_secs,
            }
        )
    hdr = f"{'offenders':>10} {'cases':>9} {'seconds':>8} {'offenders/s':>12} {'peak MB':>8} {'B/offender':>10} {'x baseline':>10}"
    print(hdr)
    for r in runs:
        print(
            f"{r['n_offenders']:>10,} {r['n_cases']:>9,} {r['seconds']:>8.3f} "
            f"{r['offenders_per_second']:>12,.0f} {r['peak_mb']:>8.1f} "
            f"{r['bytes_per_offender']:>10,.0f} {r['ratio_to_baseline']:>10.1f}"
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    meta = {"ccmodels": __version__, "python": platform.python_version(), "repeats": args.repeats}
    OUT.write_text(json.dumps({"meta": meta, "runs": runs}, indent=2))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
