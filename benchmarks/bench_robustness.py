"""Robust defaults: every outcome model fitted with its defaults on cai2017 populations.

Populations of the study's size (the cai2017 scenario, about 460 cases; seeds 0-9 by default)
and at ten times its case volume (seeds 0-2), each fitted by the sentence, probation, fine and
disposition models with their default priors and sampler settings (nutpie, 4 chains x 1,000 draws unless
a model says otherwise). For every fit: wall time (build, compile and sampling), minimum bulk
ESS, maximum R-hat and divergences. The baseline, measured in the same run, is the sentence
model's fit of the same population: ``vs_sentence`` is each fit's wall time over it, so the
fine model at 10x can be compared with the sentence model at 10x on a shared, noisy machine.
Prints a table and writes benchmarks/results/robustness.json
(``{"runs": [{model, scale, seed, wall_seconds, ess_bulk_min, rhat_max, divergences,
vs_sentence}, ...]}``).

    python benchmarks/bench_robustness.py [--seeds 10] [--seeds-10x 3] [--models sentence,fine]
        [--first-seed 4] [--first-seed-10x 0] [--append]

``--append`` keeps the runs already in ``--out`` and replaces those fitted again (same model,
scale and seed), so the table can be filled in several sittings.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from ccmodels import __version__
from ccmodels.models import DispositionModel, FineModel, ProbationModel, SentenceModel
from ccmodels.models.convergence import diagnostics
from ccmodels.simulate import Scenario, simulate
from ccmodels.util import expected_warnings

OUT = Path(__file__).parent / "results" / "robustness.json"
MODELS = {
    "sentence": SentenceModel,
    "probation": ProbationModel,
    "fine": FineModel,
    "disposition": DispositionModel,
}


def fit_one(name: str, offenders, seed: int) -> dict:
    m = MODELS[name]()
    t0 = time.perf_counter()
    with expected_warnings():
        idata = m.fit(offenders, seed=seed, progress=False)
    wall = time.perf_counter() - t0
    d = diagnostics(idata)
    return {
        "wall_seconds": wall,
        "ess_bulk_min": float(d["ess_bulk_min"]),
        "rhat_max": float(d["rhat_max"]),
        "divergences": int(d["divergences"]),
        "rows": len(m.design.rows) if m.design is not None else 0,
    }


def fails(run: dict) -> bool:
    """A fit below the bar: a divergence, R-hat above 1.01 or bulk ESS below 400."""
    return bool(run["divergences"] or run["rhat_max"] > 1.01 or run["ess_bulk_min"] < 400)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=10, help="populations at the study's size")
    ap.add_argument("--seeds-10x", type=int, default=3, help="populations at 10x its volume")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated model types")
    ap.add_argument("--first-seed", type=int, default=0, help="first seed at the study's size")
    ap.add_argument("--first-seed-10x", type=int, default=0, help="first seed at 10x")
    ap.add_argument("--append", action="store_true", help="keep the runs already in --out")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = sorted(set(names) - set(MODELS))
    if unknown:
        ap.error(f"unknown model(s) {unknown}; allowed: {', '.join(MODELS)}")
    order = ["sentence", *[n for n in names if n != "sentence"]]  # the baseline first
    base = Scenario.default()
    scales = [
        (1, range(args.first_seed, args.seeds)),
        (10, range(args.first_seed_10x, args.seeds_10x)),
    ]
    kept: list[dict] = []
    if args.append and args.out.exists():
        try:
            kept = json.loads(args.out.read_text())["runs"]
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            ap.error(f"--append: {args.out} is not a robustness table ({e})")
    runs: list[dict] = []
    print(
        f"{'model':<10} {'scale':>5} {'seed':>4} {'rows':>7} {'wall s':>8} {'x sentence':>10} "
        f"{'min ESS':>8} {'max R-hat':>9} {'div':>4}"
    )
    for scale, seeds in scales:
        sc = base.replace(volume={"scale": base.volume.scale * scale})
        for seed in seeds:
            pop = simulate(sc, seed)
            sentence_wall = None
            for name in order:
                r = {
                    "model": name,
                    "scale": scale,
                    "seed": seed,
                    **fit_one(name, pop.offenders, seed),
                }
                if name == "sentence":
                    sentence_wall = r["wall_seconds"]
                r["vs_sentence"] = r["wall_seconds"] / sentence_wall if sentence_wall else None
                if name in names:
                    runs.append(r)
                    print(
                        f"{name:<10} {scale:>5} {seed:>4} {r['rows']:>7} {r['wall_seconds']:>8.1f} "
                        f"{r['vs_sentence']:>10.2f} {r['ess_bulk_min']:>8.0f} "
                        f"{r['rhat_max']:>9.4f} {r['divergences']:>4}",
                        flush=True,
                    )
    bad = [r for r in runs if fails(r)]
    print(f"{len(runs)} fits; {len(bad)} with a divergence, R-hat > 1.01 or bulk ESS < 400")
    new = {(r["model"], r["scale"], r["seed"]) for r in runs}
    table = [r for r in kept if (r["model"], r["scale"], r["seed"]) not in new] + runs
    table.sort(key=lambda r: (r["scale"], r["seed"], list(MODELS).index(r["model"])))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "ccmodels_version": __version__,
                "python": platform.python_version(),
                "machine": platform.machine(),
                "runs": table,
            },
            indent=2,
        )
    )
    if kept:
        bad_all = [r for r in table if fails(r)]
        print(
            f"table: {len(table)} fits; {len(bad_all)} with a divergence, R-hat > 1.01 or ESS < 400"
        )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
