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

import numpy as np

from ccmodels.models import FineModel, ProbationModel, SentenceModel
from ccmodels.models.convergence import diagnostics
from ccmodels.simulate import Scenario, simulate
from ccmodels.util import expected_warnings
from ccmodels.validate import chance_coverage, recovery_table

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


def pooled(rows: list[dict]) -> None:
    """Coverage pooled over the fits of one seed and population size (what the slow step
    asserts: >= 80%), with the chance coverage's 0.1% and 1% quantiles where every fit of the
    group has its chance counts (pooled by convolving the fits' count distributions)."""
    groups: dict[tuple[int, str], list[dict]] = {}
    for r in rows:
        size = "unscaled" if r["population"] == "unscaled" else "scaled"
        groups.setdefault((r["seed"], size), []).append(r)
    print(
        f"\n{'seed':>9} {'size':<9} {'fits':>4} {'elements':>8} {'pooled':>6} {'q0.1%':>6} {'q1%':>6}"
    )
    for (seed, size), rs in sorted(groups.items()):
        k = sum(r["n_elements"] for r in rs)
        cov = sum(round(r["inside_90"] * r["n_elements"]) for r in rs) / k
        q = ["", ""]
        if all("chance_inside_counts" in r for r in rs):
            dist = np.array([1.0])
            for r in rs:
                c = np.asarray(r["chance_inside_counts"], float)
                dist = np.convolve(dist, c / c.sum())
            cdf = np.cumsum(dist)
            q = [f"{np.searchsorted(cdf, p) / k:.3f}" for p in (0.001, 0.01)]
        print(f"{seed:>9} {size:<9} {len(rs):>4} {k:>8} {cov:>6.3f} {q[0]:>6} {q[1]:>6}")


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
            tab = recovery_table(pop.truth, m.idata)
            cov = float(tab["inside_90"].mean())
            row = {
                "seed": seed,
                "population": label,
                "model": name,
                "n_rows": len(m.design.rows),
                "divergences": int(d["divergences"]),
                "rhat_max": float(d["rhat_max"]),
                "ess_bulk_min": float(d["ess_bulk_min"]),
                "inside_90": cov,
                "n_elements": len(tab),
                "outside_99.9": int((~tab["inside_99.9"]).sum()),
                # how many elements of each of 2,000 posterior draws fall inside the 90%
                # intervals: the chance coverage, as counts (index = number inside)
                "chance_inside_counts": np.bincount(
                    np.rint(chance_coverage(pop.truth, m.idata) * len(tab)).astype(int),
                    minlength=len(tab) + 1,
                ).tolist(),
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
    pooled(rows)
    bad = [r for r in rows if r["divergences"] or r["rhat_max"] > 1.01 or r["ess_bulk_min"] < 400]
    print(f"{len(rows) - len(bad)}/{len(rows)} fits clean; wrote {OUT}")


if __name__ == "__main__":
    main()
