"""Sentence-model fit: ccmodels' default against PyMC's own NUTS and a bambi peer, one run.

Data: about 5,000 offenders in about 2,500 cases over 12 years, simulated from the cai2017
scenario stretched to 2005-2016 with a mean group size near 2. Every run: 4 chains x 1,000
draws after 1,000 tuning steps, on this machine's 2 cores.

Runs
- ``ccmodels`` : SentenceModel with its defaults (nutpie, low-rank adaptation, target_accept
  0.95; case effect integrated out; censored).
- ``pymc-nuts-defaults`` : the same PyMC model (``SentenceModel().build(data)``) sampled by
  PyMC's own NUTS (``pm.sample(nuts_sampler="pymc")``; PyMC 6 would pick nutpie when it is
  installed) with PyMC's defaults (target_accept 0.8, jitter+adapt_diag), except ``cores=2``:
  PyMC's own guess on a 2-vCPU machine is 1 core, which would run the chains one after another.
- ``pymc-nuts-ccmodels-settings`` : the same model through PyMC's NUTS with ccmodels' settings
  (target_accept 0.95), for reference.
- ``bambi`` : the closest bambi formula, ``log_term ~ traits + chain flags + article + (1|year)
  + (1|case_id)`` (Gaussian, no censoring, a latent intercept per case).

For each: compile seconds (wall minus sampling), sampling seconds, min bulk ESS and max R-hat
over the population-level parameters (per-case intercepts and non-centred innovations left
out), min bulk ESS per second of total wall time, divergences. Prints a table and writes
benchmarks/results/fit.json (ratios to ``ccmodels`` included).

    python benchmarks/bench_fit.py [--skip-bambi] [--skip-pymc]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from pathlib import Path
from typing import Any

import arviz as az
import numpy as np
import pandas as pd

from ccmodels import __version__
from ccmodels.data import TRAITS
from ccmodels.models import SentenceModel
from ccmodels.simulate import Scenario, simulate

OUT = Path(__file__).parent / "results" / "fit.json"
DRAWS, TUNE, CHAINS, SEED = 1000, 1000, 4, 1


def population() -> pd.DataFrame:
    sc = Scenario.default().replace(
        name="bench12",
        years=(2005, 2016),
        volume={"log_rate_start": 4.0, "drift": 0.2},
        group_size={
            "log_mu": {"start": 0.0, "slope": 0.0},
            "log_alpha": {"start": 0.0, "slope": 0.0},
        },
    )
    return simulate(sc, 12).offenders


def _stats(idata: Any, wall: float, exclude: tuple[str, ...]) -> dict[str, Any]:
    post = idata["posterior"].to_dataset()
    names = [v for v in post.data_vars if not any(e in str(v) for e in exclude)]
    s = az.summary(idata, var_names=names, kind="diagnostics")
    sampling = float(post.attrs.get("sampling_time", np.nan))
    ess = float(s["ess_bulk"].min())
    return {
        "wall_seconds": wall,
        "sampling_seconds": sampling,
        "compile_seconds": wall - sampling,
        "min_ess_bulk": ess,
        "ess_per_second": ess / wall,
        "max_rhat": float(s["r_hat"].max()),
        "divergences": int(idata["sample_stats"]["diverging"].sum()),
        "n_parameters": len(s),
    }


def run_ccmodels(data: pd.DataFrame, sampler: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    m = SentenceModel(sampler={"sampler": sampler})
    idata = m.fit(data, draws=DRAWS, tune=TUNE, chains=CHAINS, seed=SEED, progress=False)
    return _stats(idata, time.perf_counter() - t0, ("_z", "_year_step"))


def run_pymc_default(data: pd.DataFrame) -> dict[str, Any]:
    import pymc as pm

    t0 = time.perf_counter()
    model = SentenceModel().build(data)
    idata = pm.sample(
        model=model,
        draws=DRAWS,
        chains=CHAINS,
        cores=2,
        nuts_sampler="pymc",
        random_seed=SEED,
        progressbar=False,
        compute_convergence_checks=False,
    )
    return _stats(idata, time.perf_counter() - t0, ("_z", "_year_step"))


def run_bambi(data: pd.DataFrame) -> dict[str, Any]:
    import bambi as bmb

    d = data[data["term_months"] > 0].copy()
    d["log_term"] = np.log(d["term_months"])
    traits = [t for t in TRAITS if d[t].nunique() > 1]
    chains = [c for c in d.columns if c.startswith("chain_")]
    for c in (*traits, *chains):
        d[c] = d[c].astype(int)
    d["year"] = d["year"].astype(str)
    d["case_id"] = d["case_id"].astype(str)
    d["article"] = d["article"].astype(str)
    formula = f"log_term ~ {' + '.join(traits + chains)} + article + (1|year) + (1|case_id)"
    t0 = time.perf_counter()
    model = bmb.Model(formula, d)
    idata = model.fit(
        draws=DRAWS, tune=TUNE, chains=CHAINS, cores=2, random_seed=SEED, progressbar=False
    )
    out = _stats(idata, time.perf_counter() - t0, ("1|case_id", "_offset"))
    out["formula"] = formula
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--skip-bambi", action="store_true")
    ap.add_argument("--skip-pymc", action="store_true")
    args = ap.parse_args()
    # bambi and PyMC's own NUTS warn about their defaults; the benchmark prints diagnostics
    warnings.filterwarnings("ignore", category=FutureWarning)
    data = population()
    n_cases = data["case_id"].nunique()
    print(
        f"data: {len(data)} offenders, {n_cases} cases, years "
        f"{data['year'].min()}-{data['year'].max()}; {CHAINS} chains x {DRAWS} draws"
    )
    runs = [{"name": "ccmodels", **run_ccmodels(data, "nutpie")}]
    if not args.skip_pymc:
        runs.append({"name": "pymc-nuts-defaults", **run_pymc_default(data)})
        runs.append({"name": "pymc-nuts-ccmodels-settings", **run_ccmodels(data, "pymc")})
    if not args.skip_bambi:
        runs.append({"name": "bambi", **run_bambi(data)})
    base = runs[0]["ess_per_second"]
    for r in runs:
        r["ess_per_second_vs_ccmodels"] = r["ess_per_second"] / base
    cols = [
        "compile_seconds",
        "sampling_seconds",
        "wall_seconds",
        "min_ess_bulk",
        "ess_per_second",
        "max_rhat",
        "divergences",
    ]
    table = pd.DataFrame(runs).set_index("name")[cols]
    with pd.option_context("display.width", 140, "display.float_format", "{:,.3g}".format):
        print(table.to_string())
    for r in runs[1:]:
        print(f"ccmodels / {r['name']}: {base / r['ess_per_second']:.1f}x min-bulk-ESS per second")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "ccmodels": __version__,
        "python": platform.python_version(),
        "n_offenders": len(data),
        "n_cases": n_cases,
        "draws": DRAWS,
        "tune": TUNE,
        "chains": CHAINS,
    }
    OUT.write_text(json.dumps({"meta": meta, "runs": runs}, indent=2, default=float))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
