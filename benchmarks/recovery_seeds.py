"""The slow step's recovery fits on several population seeds: does every fit converge cleanly?

Runs the fits of ``tests/models/test_recovery.py`` (default settings, fit seed 1) on the
populations of each seed and prints, per seed and fit: divergences, max R-hat, min bulk ESS
and the share of parameter elements inside their 90% intervals. Writes
``benchmarks/results/recovery_seeds.json``. A test that rests on one seed's luck is broken:
every row should show 0 divergences, R-hat <= 1.01 and ESS >= 400.

The JSON is rewritten after every fit; with ``--resume`` the fits already in it are kept and
skipped, so an interrupted run goes on where it stopped.

Usage: ``python benchmarks/recovery_seeds.py [--seeds 20261128 1 2 3 4] [--resume]
[--only scaled:fine ...]``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ccmodels.models import FineModel, ProbationModel, SentenceModel
from ccmodels.models.describe import diagnostics
from ccmodels.simulate import Scenario, simulate
from ccmodels.util import expected_warnings
from ccmodels.validate import recovery_table

SCALE = 9.0
OUT = Path(__file__).parent / "results" / "recovery_seeds.json"


def fits(seed: int):
    base = Scenario.default()
    scaled = base.scaled(SCALE)
    heavy = scaled.replace(sentence={"nu": 4.0})
    for label, sc in (("scaled", scaled), ("unscaled", base)):
        pop = simulate(sc, seed)
        for cls in (SentenceModel, ProbationModel, FineModel):
            yield label, cls.model_type, cls(), pop
    yield (
        "scaled, t noise",
        "sentence_student_t",
        SentenceModel(effects={"likelihood": "student_t"}),
        simulate(heavy, seed),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, nargs="+", default=[20261128, 1, 2, 3, 4])
    ap.add_argument("--resume", action="store_true", help="keep and skip the fits in the JSON")
    ap.add_argument(
        "--only",
        nargs="+",
        metavar="POPULATION:MODEL",
        help='run only these fits, e.g. "scaled:fine" "scaled:probation"',
    )
    args = ap.parse_args()
    rows: list[dict] = []
    if args.resume and OUT.exists():
        rows = json.loads(OUT.read_text(encoding="utf-8"))["runs"]
    done = {(r["seed"], r["population"], r["model"]) for r in rows}
    OUT.parent.mkdir(exist_ok=True)
    print(
        f"{'seed':>9} {'population':<16} {'model':<19} {'n':>6} {'div':>4} {'rhat':>6} "
        f"{'ess':>6} {'in90':>5} {'sec':>5}"
    )
    for seed in args.seeds:
        for label, name, m, pop in fits(seed):
            if (seed, label, name) in done:
                continue
            if args.only and f"{label}:{name}" not in args.only:
                continue
            t0 = time.perf_counter()
            with expected_warnings():
                m.fit(pop.offenders, seed=1, progress=False)
            sec = time.perf_counter() - t0
            d = diagnostics(m.idata)
            cov = float(recovery_table(pop.truth, m.idata)["inside_90"].mean())
            row = {
                "seed": seed,
                "population": label,
                "model": name,
                "n_rows": len(m.design.rows),
                "divergences": int(d["divergences"]),
                "rhat_max": float(d["rhat_max"]),
                "ess_bulk_min": float(d["ess_bulk_min"]),
                "inside_90": cov,
                "wall_seconds": sec,
            }
            rows.append(row)
            print(
                f"{seed:>9} {label:<16} {name:<19} {row['n_rows']:>6} {row['divergences']:>4} "
                f"{row['rhat_max']:>6.3f} {row['ess_bulk_min']:>6.0f} {cov:>5.2f} {sec:>5.0f}",
                flush=True,
            )
            OUT.write_text(json.dumps({"runs": rows}, indent=2) + "\n", encoding="utf-8")
    for r in rows:
        print(
            f"{r['seed']:>9} {r['population']:<16} {r['model']:<19} {r['n_rows']:>6} "
            f"{r['divergences']:>4} {r['rhat_max']:>6.3f} {r['ess_bulk_min']:>6.0f} "
            f"{r['inside_90']:>5.2f} {r['wall_seconds']:>5.0f}"
        )
    bad = [r for r in rows if r["divergences"] or r["rhat_max"] > 1.01 or r["ess_bulk_min"] < 400]
    print(f"{len(rows) - len(bad)}/{len(rows)} fits clean; wrote {OUT}")


if __name__ == "__main__":
    main()
