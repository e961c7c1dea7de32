"""Growth fits and projection on the cai2017 population: how long each step takes.

Steps, in one run: fit the case volume, group size and value-chain models with their defaults
(nutpie, 4 chains x 1,000 draws) to the cai2017 population (seed 2017, as in the demo);
project 1,000 draws to 2030 (summaries only: case tables); generate 1,000 projected
populations with offender tables to 2020 (an outcome fit, the sentence model, passed too; to
2030 the widest worlds hold tens of millions of offenders: world 43 of seed 1 has 38 million). The
baseline, measured in the same run, is one simulation of the cai2017 scenario itself: the
ratios say how many such simulations each step costs, comparable across machines and loads.
Prints a table and writes benchmarks/results/project.json.

    python benchmarks/bench_project.py [--draws 1000] [--to 2030] [--populations-to 2020]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from ccmodels import __version__
from ccmodels.models import CaseVolumeModel, GroupSizeModel, SentenceModel, ValueChainModel
from ccmodels.project import project, project_populations
from ccmodels.simulate import Scenario, simulate
from ccmodels.util import expected_warnings

OUT = Path(__file__).parent / "results" / "project.json"
MAX_ROWS = 30_000_000


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--to", type=int, default=2030)
    ap.add_argument("--populations-to", type=int, default=2020)
    args = ap.parse_args()
    sc = Scenario.default()
    pop, base = _timed(lambda: simulate(sc, 2017))
    runs = []
    fits = []
    for cls in (CaseVolumeModel, GroupSizeModel, ValueChainModel, SentenceModel):
        m = cls()
        with expected_warnings():
            _, secs = _timed(lambda m=m: m.fit(pop.offenders, seed=1, progress=False))
        fits.append(m)
        runs.append({"step": f"fit {cls.model_type}", "seconds": secs})
    growth = fits[:3]
    # to 2030 the widest worlds exceed project's default guard (3 million rows): world 78 of
    # 1,000 (seed 1) has 12.4 million cases, 5.2 million of them in 2029
    big = {"max_offenders": MAX_ROWS, "progress": False}
    ds, secs = _timed(lambda: project(growth, to=args.to, draws=args.draws, seed=1, **big))
    runs.append({"step": f"project {args.draws} draws to {args.to}", "seconds": secs})
    n_off = 0

    def populations() -> None:
        nonlocal n_off
        to = args.populations_to
        for p in project_populations(fits, to=to, draws=args.draws, seed=1, **big):
            n_off += len(p.offenders)

    _, secs = _timed(populations)
    step = f"{args.draws} populations to {args.populations_to}"
    runs.append({"step": step, "seconds": secs})
    for r in runs:
        r["vs_one_simulation"] = r["seconds"] / base
    print(f"baseline: one cai2017 simulation {base * 1e3:.1f} ms ({len(pop.offenders)} offenders)")
    print(f"{'step':<40} {'seconds':>9} {'x baseline':>11}")
    for r in runs:
        print(f"{r['step']:<40} {r['seconds']:>9.1f} {r['vs_one_simulation']:>11,.0f}")
    last = ds.sel(year=args.to)
    print(
        f"{args.to}: cases median {float(last['cases'].median()):,.0f}, mean group size median "
        f"{float(last['mean_group_size'].median()):.2f}; populations held {n_off:,} offenders"
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "ccmodels": __version__,
        "python": platform.python_version(),
        "draws": args.draws,
        "to": args.to,
        "populations_to": args.populations_to,
        "baseline_seconds": base,
        "offenders_generated": n_off,
        "max_offenders": MAX_ROWS,
    }
    OUT.write_text(json.dumps({"meta": meta, "runs": runs}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
