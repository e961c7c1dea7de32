"""Cost of a fit as the population grows: the four offender-level models from the study's size
to the national count, against peers measured in the same run.

Populations: the cai2017 scenario with its case volume scaled 1x, 10x, 100x and to the national
count (about 660,000 offenders: the courts judged about 660,000 defendants in 2017-21). Each fit
runs in a fresh process (cold in-memory caches; ``--cold`` also gives it empty PyTensor and numba
disk caches), with 4 chains x 1,000 draws and the model's other defaults, and records wall,
compile and sampling seconds, min bulk ESS, max R-hat, divergences, peak RSS and the size of the
likelihood: rows, cases and, for the logit models, distinct cells (lone offenders' covariate
patterns x outcome) and case terms; for the normal models, cases with a censored term. The
same process then fits again with the compiled
model reused (``reused_wall_seconds``: the same rows with the next seed, as a recovery or SBC
loop refits one structure).

Peers, in the same run, at every scale where they finish within ``--timeout`` seconds:

- ``sampled``: this package's previous likelihood (a sampled effect per co-defendant case,
  benchmarks/baselines.py), probation and disposition;
- ``bambi``: bambi's ``y ~ 1 + C(year) + C(article) + (1|case_id)`` on the same rows
  (Bernoulli for probation; Gaussian on the log term, censoring ignored, for sentence), nutpie;
- ``statsmodels``: ``BinomialBayesMixedGLM`` (variational Bayes) for probation, same formula.

A peer that does not finish within the timeout at one scale is not tried at larger ones. The
table's ``ess_per_s`` is min bulk ESS over wall; ``vs`` is the current model's ESS/s over the
peer's (the baseline measured in the same run). ``slope`` is the slope of log wall against
log offenders from 10x to the largest scale fitted. Results go to benchmarks/results/scale.json
(written after every fit, so a long run can be resumed with ``--append``) and the cost curves
to benchmarks/results/scale.png.

    python benchmarks/bench_scale.py [--scales 1,10,100,national] [--models sentence,probation]
        [--peers sampled,bambi,statsmodels] [--timeout 600] [--peer-timeout S] [--cold]
        [--append]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
OUT = HERE / "results" / "scale.json"
MODELS = ("sentence", "probation", "fine", "disposition")
PEERS = {
    "sampled": ("probation", "disposition"),
    "bambi": ("sentence", "probation"),
    "statsmodels": ("probation",),
}
NATIONAL_OFFENDERS = 660_000
DRAWS = 1000
CHAINS = 4


# --------------------------------------------------------------------------- one fit (child)


def _population(factor: float, seed: int):
    from ccmodels.simulate import Scenario, simulate

    return simulate(Scenario.default().scaled(factor), seed).offenders


def _size(m: Any) -> dict[str, int]:
    d = m.design
    out = {"rows": len(d.rows), "cases": int(d.rows["case_id"].nunique())}
    if hasattr(m, "structure"):
        out |= m.structure(d)[2].describe()
    elif "cens" in d.extra:
        cens = d.extra["cens"] != 0
        out["censored_cases"] = int(d.rows.loc[cens, "case_id"].nunique())
    return out


def _ours(model: str, impl: str, offenders, seed: int) -> dict:
    from ccmodels.models import DispositionModel, FineModel, ProbationModel, SentenceModel
    from ccmodels.models.convergence import diagnostics
    from ccmodels.util import expected_warnings

    classes: dict[str, Any] = {
        "sentence": SentenceModel,
        "probation": ProbationModel,
        "fine": FineModel,
        "disposition": DispositionModel,
    }
    if impl == "sampled":
        sys.path.insert(0, str(HERE))
        from baselines import SampledDisposition, SampledProbation

        classes |= {"probation": SampledProbation, "disposition": SampledDisposition}
    m = classes[model]()
    t0 = time.perf_counter()
    with expected_warnings():
        idata = m.fit(offenders, seed=seed, draws=DRAWS, chains=CHAINS, progress=False)
    wall = time.perf_counter() - t0
    d = diagnostics(idata)
    attrs = idata["sample_stats"].attrs
    return {
        "wall_seconds": wall,
        "compile_seconds": float(attrs.get("compile_seconds", float("nan"))),
        "sampling_seconds": float(attrs.get("sampling_seconds", float("nan"))),
        "ess_bulk_min": float(d["ess_bulk_min"]),
        "rhat_max": float(d["rhat_max"]),
        "divergences": int(d["divergences"]),
        **_size(m),
    }


def _peer_rows(model: str, offenders):
    """The rows and outcome the package's model uses, for a peer's formula."""
    import numpy as np
    import pandas as pd

    from ccmodels.models import ProbationModel, SentenceModel

    m = {"probation": ProbationModel, "sentence": SentenceModel}[model]()
    m.build(offenders)
    d = m.design
    y = np.asarray(d.extra["y"], dtype=float)
    rows = pd.DataFrame(
        {
            "y": y,
            "year": d.rows["year"].astype(str).to_numpy(),
            "article": d.rows["article"].astype(str).to_numpy(),
            "case_id": d.rows["case_id"].astype(str).to_numpy(),
        }
    )
    return rows


def _bambi(model: str, offenders, seed: int) -> dict:
    import arviz as az
    import bambi as bmb
    import numpy as np

    rows = _peer_rows(model, offenders)
    family = "bernoulli" if model == "probation" else "gaussian"
    t0 = time.perf_counter()
    bm = bmb.Model("y ~ 1 + C(year) + C(article) + (1|case_id)", rows, family=family)
    idata = bm.fit(
        draws=DRAWS,
        tune=1000,
        chains=CHAINS,
        random_seed=seed,
        inference_method="nutpie",
        progressbar=False,
    )
    wall = time.perf_counter() - t0
    post = idata["posterior"] if "posterior" in idata else idata.posterior
    names = [v for v in post.data_vars if "case_id" not in str(post[v].dims) or v.endswith("sigma")]
    summ = az.summary(idata, var_names=names, kind="diagnostics")
    div = idata["sample_stats"]["diverging"] if "sample_stats" in idata else None
    return {
        "wall_seconds": wall,
        "ess_bulk_min": float(np.nanmin(summ["ess_bulk"].to_numpy(float))),
        "rhat_max": float(np.nanmax(summ["r_hat"].to_numpy(float))),
        "divergences": int(div.sum()) if div is not None else -1,
        "rows": len(rows),
        "cases": int(rows["case_id"].nunique()),
    }


def _statsmodels(model: str, offenders, seed: int) -> dict:
    from statsmodels.genmod.bayes_mixed_glm import BinomialBayesMixedGLM

    rows = _peer_rows(model, offenders)
    t0 = time.perf_counter()
    sm = BinomialBayesMixedGLM.from_formula(
        "y ~ 1 + C(year) + C(article)", {"case": "0 + C(case_id)"}, rows
    )
    sm.fit_vb()
    return {
        "wall_seconds": time.perf_counter() - t0,
        "rows": len(rows),
        "cases": int(rows["case_id"].nunique()),
        "note": "variational Bayes: no ESS or R-hat",
    }


def child(args: argparse.Namespace) -> None:
    offenders = _population(args.factor, args.seed)
    n = len(offenders)
    if args.impl in ("current", "sampled"):
        run = _ours(args.model, args.impl, offenders, args.seed)
        if args.reuse:
            first = run | {"offenders": n, "reused_status": "did not finish"}
            first["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print("FIRST " + json.dumps(first), flush=True)
            # the same rows with another seed: the same structure (another population may
            # centre a block differently, which is another graph)
            second = _ours(args.model, args.impl, offenders, args.seed + 1)
            run["reused_wall_seconds"] = second["wall_seconds"]
            run["reused_compile_seconds"] = second["compile_seconds"]
    elif args.impl == "bambi":
        run = _bambi(args.model, offenders, args.seed)
    else:
        run = _statsmodels(args.model, offenders, args.seed)
    run["offenders"] = n
    run["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(run), flush=True)


# --------------------------------------------------------------------------- driver (parent)


def run_child(
    model: str, impl: str, factor: float, seed: int, timeout: float, cold: bool, reuse: bool
) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--one",
        model,
        "--impl",
        impl,
        "--factor",
        str(factor),
        "--seed",
        str(seed),
    ]
    if reuse:
        cmd.append("--reuse")
    env = dict(os.environ, CCMODELS_PROGRESS="0")
    with tempfile.TemporaryDirectory() as tmp:
        if cold:
            env["PYTENSOR_FLAGS"] = f"compiledir={tmp}/pytensor"
            env["NUMBA_CACHE_DIR"] = f"{tmp}/numba"
        t0 = time.perf_counter()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired as e:
            late = f"did not finish within {timeout:.0f} s"
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            for line in out.splitlines():  # the first fit done, the refit not
                if line.startswith("FIRST "):
                    run = json.loads(line[6:])
                    return {"status": "ok", **run, "reused_status": f"refit {late}"}
            return {"status": late}
    process = time.perf_counter() - t0
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            return {"status": "ok", "process_seconds": process, **json.loads(line[7:])}
    tail = (p.stderr or p.stdout).strip().splitlines()[-3:]
    return {"status": "failed: " + " | ".join(tail)}


def slope(runs: list[dict], model: str, impl: str) -> float | None:
    pts = sorted(
        (r["offenders"], r["wall_seconds"])
        for r in runs
        if r["model"] == model and r["impl"] == impl and r["status"] == "ok" and r["scale"] != "1"
    )
    if len(pts) < 2:
        return None
    (n0, w0), (n1, w1) = pts[0], pts[-1]
    return math.log(w1 / w0) / math.log(n1 / n0)


def figure(runs: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(14, 3.6), sharex=True, sharey=True)
    for ax, model in zip(axes, MODELS, strict=True):
        for impl, style in (
            ("current", "o-"),
            ("sampled", "s--"),
            ("bambi", "^:"),
            ("statsmodels", "v:"),
        ):
            pts = sorted(
                (r["offenders"], r["wall_seconds"])
                for r in runs
                if r["model"] == model and r["impl"] == impl and r["status"] == "ok"
            )
            if pts:
                ax.plot(*zip(*pts, strict=True), style, label=impl)
        ax.axhline(600, color="grey", lw=0.8, ls="--")
        ax.axvline(NATIONAL_OFFENDERS, color="grey", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(model)
        ax.set_xlabel("offenders")
        ax.legend(fontsize=7)
    axes[0].set_ylabel("wall seconds (4 chains x 1,000 draws)")
    fig.suptitle(
        "Cost of a fit against population size (dashed: 10 minutes; dotted: the national count)",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def table(runs: list[dict]) -> None:
    print(
        f"{'model':<12}{'impl':<12}{'scale':>9}{'offenders':>10}{'cases':>8}{'cells':>8}"
        f"{'terms':>8}{'wall':>8}{'compile':>8}{'sample':>8}{'reused':>8}{'ESS':>7}"
        f"{'R-hat':>7}{'div':>5}{'RSS MB':>8}{'ESS/s':>8}{'vs':>6}"
    )
    ours = {
        (r["model"], r["scale"]): r for r in runs if r["impl"] == "current" and r["status"] == "ok"
    }

    def f(v: Any, fmt: str) -> str:
        return format(v, fmt) if isinstance(v, (int, float)) and v == v else "-"

    for r in runs:
        if r["status"] != "ok":
            print(f"{r['model']:<12}{r['impl']:<12}{r['scale']:>9}  {r['status']}")
            continue
        eps = r.get("ess_bulk_min", float("nan")) / r["wall_seconds"]
        r["ess_per_s"] = eps if eps == eps else None
        mine = ours.get((r["model"], r["scale"]))
        vs = None
        if r["impl"] != "current" and mine and r["ess_per_s"]:
            vs = mine["ess_bulk_min"] / mine["wall_seconds"] / r["ess_per_s"]
        r["vs"] = vs
        print(
            f"{r['model']:<12}{r['impl']:<12}{r['scale']:>9}{r['offenders']:>10}"
            f"{r.get('cases', 0):>8}{f(r.get('lone_cells'), 'd'):>8}"
            f"{f(r.get('case_terms', r.get('censored_cases')), 'd'):>8}"
            f"{r['wall_seconds']:>8.1f}{f(r.get('compile_seconds'), '.1f'):>8}"
            f"{f(r.get('sampling_seconds'), '.1f'):>8}{f(r.get('reused_wall_seconds'), '.1f'):>8}"
            f"{f(r.get('ess_bulk_min'), '.0f'):>7}{f(r.get('rhat_max'), '.3f'):>7}"
            f"{f(r.get('divergences'), 'd'):>5}{r['peak_rss_mb']:>8.0f}{f(r['ess_per_s'], '.1f'):>8}"
            f"{f(vs, '.1f'):>6}"
        )


IMPL_NAMES = {
    "current": "ccmodels",
    "bambi": "bambi",
    "sampled": "previous (sampled)",
    "statsmodels": "statsmodels VB",
}


def markdown(runs: list[dict]) -> str:
    """The README's table of the runs."""
    head = (
        "| model | likelihood | scale | offenders | cases | cells / censored cases | wall s | "
        "compile s | sampling s | refit reused s | min bulk ESS | max R-hat | div | peak RSS MB "
        "| ESS/s |"
    )
    lines = [head, "|" + "---|" * 15]

    def n(v: Any, fmt: str = ",.0f") -> str:
        return format(v, fmt) if isinstance(v, int | float) and v == v else "–"

    for r in runs:
        name = IMPL_NAMES.get(r["impl"], r["impl"])
        if r["status"] != "ok":
            lines.append(
                f"| {r['model']} | {name} | {r['scale']} | | | | {r['status']} |" + " |" * 8
            )
            continue
        if "lone_cells" in r:
            cells = f"{r['lone_cells']:,} + {r['case_terms']:,} terms in {r['multi_cases']:,} cases"
        elif "censored_cases" in r:
            cells = f"{r['censored_cases']:,}"
        else:
            cells = "–"
        eps = r.get("ess_bulk_min", float("nan")) / r["wall_seconds"]
        lines.append(
            f"| {r['model']} | {name} | {r['scale']} | {r['offenders']:,} | {r.get('cases', 0):,} "
            f"| {cells} | {r['wall_seconds']:.1f} | {n(r.get('compile_seconds'), '.1f')} | "
            f"{n(r.get('sampling_seconds'), '.1f')} | {n(r.get('reused_wall_seconds'), '.1f')} | "
            f"{n(r.get('ess_bulk_min'))} | {n(r.get('rhat_max'), '.4f')} | "
            f"{n(r.get('divergences'), 'd')} | {r['peak_rss_mb']:,.0f} | {n(eps, '.1f')} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--scales", default="1,10,100,national")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--peers", default=",".join(PEERS), help="'' for none")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per fit")
    ap.add_argument(
        "--peer-timeout", type=float, default=None, help="seconds per peer fit (default --timeout)"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cold", action="store_true", help="empty disk caches for every fit")
    ap.add_argument("--append", action="store_true", help="keep the runs already in --out")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument(
        "--markdown", action="store_true", help="print the README table of --out and stop"
    )
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--impl", default="current", help=argparse.SUPPRESS)
    ap.add_argument("--factor", type=float, default=1.0, help=argparse.SUPPRESS)
    ap.add_argument("--reuse", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        args.model = args.one
        child(args)
        return
    if args.markdown:
        print(markdown(json.loads(args.out.read_text())["runs"]))
        return
    models = [m for m in args.models.split(",") if m]
    peers = [p for p in args.peers.split(",") if p]
    bad = sorted(set(models) - set(MODELS)) + sorted(set(peers) - set(PEERS))
    if bad:
        ap.error(
            f"unknown model or peer {bad}; models: {', '.join(MODELS)}; peers: {', '.join(PEERS)}"
        )
    one_x = len(_population(1.0, args.seed))
    factors: dict[str, float] = {}
    for s in args.scales.split(","):
        if s == "national":
            factors[s] = round(NATIONAL_OFFENDERS / one_x, 1)
        else:
            try:
                factors[s] = float(s)
            except ValueError:
                ap.error(f"--scales: {s!r} is neither a number nor 'national'")
    runs: list[dict] = []
    if args.append and args.out.exists():
        runs = json.loads(args.out.read_text())["runs"]
    given_up: set[tuple[str, str]] = set()

    def save() -> None:
        runs.sort(
            key=lambda r: (
                MODELS.index(r["model"]),
                r["impl"] != "current",
                r["impl"],
                r.get("factor", 0),
            )
        )
        summary = {
            f"{m}/{i}": slope(runs, m, i)
            for m in MODELS
            for i in ("current", *PEERS)
            if any(r["model"] == m and r["impl"] == i for r in runs)
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps(
                {
                    "python": platform.python_version(),
                    "machine": platform.machine(),
                    "cpus": os.cpu_count(),
                    "draws": DRAWS,
                    "chains": CHAINS,
                    "slope_log_wall_log_n": summary,
                    "runs": runs,
                },
                indent=2,
            )
        )

    for scale, factor in factors.items():
        for model in models:
            jobs = ["current"] + [p for p in peers if model in PEERS[p]]
            for impl in jobs:
                if (model, impl) in given_up:
                    continue
                print(f"... {model} {impl} at {scale} (x{factor:g})", file=sys.stderr, flush=True)
                r = run_child(
                    model,
                    impl,
                    factor,
                    args.seed,
                    args.timeout if impl == "current" else (args.peer_timeout or args.timeout),
                    args.cold,
                    reuse=impl == "current" and factor <= 10,
                )
                r |= {"model": model, "impl": impl, "scale": scale, "factor": factor}
                if r["status"] != "ok":
                    given_up.add((model, impl))
                runs[:] = [
                    x for x in runs if (x["model"], x["impl"], x["scale"]) != (model, impl, scale)
                ] + [r]
                save()
    table(runs)
    save()
    print("slope of log wall vs log offenders, 10x to the largest scale:")
    for k, v in json.loads(args.out.read_text())["slope_log_wall_log_n"].items():
        if v is not None:
            print(f"  {k:<24}{v:6.2f}")
    figure(runs, args.out.with_suffix(".png"))
    print(f"wrote {args.out} and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
