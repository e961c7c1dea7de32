"""Coverage of the growth models' scalar parameters over many population seeds.

The slow step (``tests/models/test_growth_recovery.py``) fits each growth model on three
populations of ``simulations/growth_walks.toml`` and counts the scalar parameters (intercepts,
drifts, scales, dispersion) inside their 90% intervals. Over three seeds that count is a small
sample: a calibrated posterior puts 90% inside on average, and a share of 90% or more in only
about half the runs of 36 scalars. This script fits the same models, with the same settings
(fit seed 1), on many seeds, so that the pooled share can be read against 90% with its
binomial standard error.

Prints one row per fit (divergences, max R-hat, min bulk ESS, scalars inside and which were
not) and a pooled table per model; writes ``benchmarks/results/growth_coverage.json``
(``{"runs": [{model, seed, divergences, rhat_max, ess_bulk_min, n_scalars, inside_90,
outside, quantile_of_truth, wall_seconds}, ...]}``), rewritten after every fit. The pooled
table also gives, per parameter with a miss, the mean posterior quantile of the truth (0.5
for a calibrated posterior; its standard error over n fits is 0.29/sqrt(n)) and how many
misses fell below and above the interval.

Usage: ``python benchmarks/growth_coverage.py [--seeds 1 2 ... | --n-seeds 20]
[--models value_chain group_size case_volume] [--out FILE]``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from ccmodels.models import CaseVolumeModel, GroupSizeModel, ValueChainModel
from ccmodels.models.convergence import diagnostics
from ccmodels.simulate import Scenario, simulate
from ccmodels.util import expected_warnings
from ccmodels.validate import recovery_table

SCENARIO = Path(__file__).parents[1] / "simulations" / "growth_walks.toml"
OUT = Path(__file__).parent / "results" / "growth_coverage.json"
# the slow step's settings
MODELS = {
    "case_volume": lambda: CaseVolumeModel(),
    "group_size": lambda: GroupSizeModel(effects={"year_drift": True}),
    "value_chain": lambda: ValueChainModel(effects={"year_drift": True}),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", help="population seeds")
    ap.add_argument("--n-seeds", type=int, default=20, help="seeds 1..N (default 20)")
    ap.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    seeds = args.seeds or list(range(1, args.n_seeds + 1))
    sc = Scenario.from_toml(SCENARIO)
    rows: list[dict] = []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print(f"{'model':<12} {'seed':>4} {'div':>4} {'rhat':>6} {'ess':>6} {'inside':>7} {'sec':>4}")
    for seed in seeds:
        pop = simulate(sc, seed)
        for name in args.models:
            m = MODELS[name]()
            t0 = time.perf_counter()
            with expected_warnings():
                m.fit(pop.offenders, seed=1, progress=False)
            sec = time.perf_counter() - t0
            d = diagnostics(m.idata)
            tab = recovery_table(pop.truth, m.idata)
            s = tab[~tab.index.str.contains(r"\[")]
            inside = s["inside_90"].astype(bool)
            row = {
                "model": name,
                "seed": seed,
                "divergences": int(d["divergences"]),
                "rhat_max": float(d["rhat_max"]),
                "ess_bulk_min": float(d["ess_bulk_min"]),
                "n_scalars": len(s),
                "inside_90": int(inside.sum()),
                "outside": [str(i) for i in s.index[~inside]],
                # posterior quantile of the truth: uniform for a calibrated posterior, so a
                # parameter whose misses sit on one side shows it here
                "quantile_of_truth": {str(i): float(q) for i, q in s["quantile_of_truth"].items()},
                "wall_seconds": sec,
            }
            rows.append(row)
            print(
                f"{name:<12} {seed:>4} {row['divergences']:>4} {row['rhat_max']:>6.3f} "
                f"{row['ess_bulk_min']:>6.0f} {row['inside_90']:>3}/{row['n_scalars']:<3} "
                f"{sec:>4.0f}  {' '.join(row['outside'])}",
                flush=True,
            )
            args.out.write_text(json.dumps({"runs": rows}, indent=2) + "\n", encoding="utf-8")
    print(f"\n{'model':<12} {'fits':>4} {'scalars':>7} {'inside':>6} {'share':>6} {'se':>6}")
    for name in args.models:
        rs = [r for r in rows if r["model"] == name]
        n = sum(r["n_scalars"] for r in rs)
        k = sum(r["inside_90"] for r in rs)
        # binomial standard error at the nominal 90% (scalars of one fit are close to
        # independent: distinct parameters of one posterior)
        se = float(np.sqrt(0.9 * 0.1 / n))
        print(f"{name:<12} {len(rs):>4} {n:>7} {k:>6} {k / n:>6.3f} {se:>6.3f}")
        per: dict[str, list[float]] = {}
        for r in rs:
            for p, q in r["quantile_of_truth"].items():
                per.setdefault(p, []).append(q)
        for p, qs in sorted(per.items()):
            q = np.asarray(qs)
            low, high = int((q < 0.05).sum()), int((q > 0.95).sum())
            if low or high:
                print(
                    f"   {p:<40} mean quantile {q.mean():.2f} (se {0.29 / np.sqrt(len(q)):.2f})"
                    f"; outside below {low}, above {high}"
                )


if __name__ == "__main__":
    main()
