"""Forecast calibration of the projection: do its intervals cover what happens next?

For each of ``--series`` simulated 15-year series (2012-2026, ``simulations/growth_walks.toml``
with milder drifts: cases +15% a year, log mean group size +0.08 a year; every walk drawn
afresh by each seed), the case-volume and group-size models are fitted with their default
sampler settings (group size with ``year_drift = true``: the walk that projects a trend) on the
first 10 years; :func:`ccmodels.project` then projects 400 draws to 2026, and the held-back
truth of 2022-2026 (the yearly number of cases and the mean defendants per case of the
simulated series) is compared with the projection's 50% and 90% central intervals. Parameter,
walk and process uncertainty all enter the projection; the held-back values carry the
process noise too.

Prints the coverage per quantity and interval and per horizon (1-5 years ahead) and writes
``benchmarks/results/forecast_calibration.json`` (rewritten after every series; ``--resume``
keeps the series already in it). Calibrated: 90% intervals cover 85-95% of the year-series
pairs, 50% intervals 40-60%.

    python benchmarks/forecast_calibration.py [--series 50] [--resume]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from ccmodels.models import CaseVolumeModel, GroupSizeModel
from ccmodels.models.describe import diagnostics
from ccmodels.project import project
from ccmodels.simulate import Scenario, simulate
from ccmodels.util import expected_warnings

ROOT = Path(__file__).parents[1]
OUT = Path(__file__).parent / "results" / "forecast_calibration.json"
FIT_TO, LAST = 2021, 2026
QUANTITIES = {"cases": "cases", "mean_group_size": "mean_group_size"}


def scenario() -> Scenario:
    sc = Scenario.from_toml(ROOT / "simulations" / "growth_walks.toml")
    gs = sc.group_size.mu
    assert gs is not None
    return sc.replace(
        years=[2012, LAST],
        volume={"log_rate": {"intercept": 3.78, "year_effect": {2012: 0.0}, "year_drift": 0.15}},
        group_size={"mu": {"intercept": -2.12, "year_effect": {2012: 0.0}, "year_drift": 0.08}},
    )


def one_series(sc: Scenario, seed: int, draws: int) -> dict:
    pop = simulate(sc, seed)
    off = pop.offenders
    fit_rows = off[off["year"] <= FIT_TO]
    fits = []
    for m in (CaseVolumeModel(), GroupSizeModel(effects={"year_drift": True})):
        with expected_warnings():
            m.fit(fit_rows, seed=1, progress=False)
        fits.append(m)
    proj = project(fits, to=LAST, draws=draws, seed=seed, base=sc, progress=False)
    cases = pop.cases
    held = range(FIT_TO + 1, LAST + 1)
    truth = {
        "cases": [int((cases["year"] == y).sum()) for y in held],
        "mean_group_size": [
            float(cases.loc[cases["year"] == y, "n_defendants"].mean()) for y in held
        ],
    }
    row: dict = {"seed": seed, "divergences": 0}
    for m in fits:
        d = diagnostics(m.idata)
        row[m.model_type] = {k: d[k] for k in ("divergences", "rhat_max", "ess_bulk_min")}
        row["divergences"] += int(d["divergences"])
    for q, var in QUANTITIES.items():
        x = proj[var].sel(year=list(held)).values  # (draw, year)
        t = np.asarray(truth[q], float)
        row[q] = {
            "truth": t.tolist(),
            "inside_90": ((np.quantile(x, 0.05, 0) <= t) & (t <= np.quantile(x, 0.95, 0))).tolist(),
            "inside_50": ((np.quantile(x, 0.25, 0) <= t) & (t <= np.quantile(x, 0.75, 0))).tolist(),
            "median": np.median(x, 0).tolist(),
        }
    return row


def summary(rows: list[dict]) -> dict:
    out: dict = {"series": len(rows)}
    for q in QUANTITIES:
        for level in ("inside_90", "inside_50"):
            a = np.array([r[q][level] for r in rows], float)  # (series, horizon)
            out[f"{q}.{level}"] = float(a.mean())
            out[f"{q}.{level}.by_horizon"] = a.mean(0).round(3).tolist()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--series", type=int, default=50)
    ap.add_argument("--draws", type=int, default=400)
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args()
    rows: list[dict] = []
    if args.resume and OUT.exists():
        rows = json.loads(OUT.read_text(encoding="utf-8"))["runs"]
    done = {r["seed"] for r in rows}
    sc = scenario()
    OUT.parent.mkdir(exist_ok=True)
    for seed in range(1, args.series + 1):
        if seed in done:
            continue
        t0 = time.perf_counter()
        row = one_series(sc, seed, args.draws)
        row["wall_seconds"] = time.perf_counter() - t0
        rows.append(row)
        s = summary(rows)
        print(
            f"series {seed:>3}: div {row['divergences']}, cases in90 "
            f"{np.mean(row['cases']['inside_90']):.1f}, size in90 "
            f"{np.mean(row['mean_group_size']['inside_90']):.1f}  | running: cases 90% "
            f"{s['cases.inside_90']:.3f} 50% {s['cases.inside_50']:.3f}; size 90% "
            f"{s['mean_group_size.inside_90']:.3f} 50% {s['mean_group_size.inside_50']:.3f} "
            f"({row['wall_seconds']:.0f} s)",
            flush=True,
        )
        OUT.write_text(json.dumps({"summary": s, "runs": rows}, indent=2) + "\n", "utf-8")
    s = summary(rows)
    print(f"\n{len(rows)} series x {LAST - FIT_TO} held-back years = {5 * len(rows)} pairs each")
    print(f"{'quantity':<17} {'90% interval':>12} {'50% interval':>12}   by horizon (90%)")
    for q in QUANTITIES:
        print(
            f"{q:<17} {s[f'{q}.inside_90']:>12.3f} {s[f'{q}.inside_50']:>12.3f}   "
            f"{s[f'{q}.inside_90.by_horizon']}"
        )
    div = {k: sum(r[k]["divergences"] for r in rows) for k in ("case_volume", "group_size")}
    ess = {k: min(r[k]["ess_bulk_min"] for r in rows) for k in ("case_volume", "group_size")}
    rhat = {k: max(r[k]["rhat_max"] for r in rows) for k in ("case_volume", "group_size")}
    print(f"fits: divergences {div}, min bulk ESS {ess}, max R-hat {rhat}; wrote {OUT}")


if __name__ == "__main__":
    main()
