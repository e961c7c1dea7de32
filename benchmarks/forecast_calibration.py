"""Forecast calibration of the case-volume projection on series the model did not generate.

Yearly case counts are simulated from growth shapes outside the model (logistic saturation,
Gompertz, hyperbolic deceleration, a level shift, a drift break) and from the model's own two
families (a walk with constant drift; a damped trend), each with negative-binomial noise
(shape 40) and parameters drawn afresh per series (see :func:`mean_path`). For each series the
case-volume model is fitted on the first 5 or 10 years, with a constant drift, with a damped
trend (``year_damping``) and with a local linear trend (``year_local_trend``: the drift walks),
and :func:`ccmodels.project` projects 400 draws 5 years on; the three
are also combined by their stacking weights and by their pseudo-BMA+ weights, both from
leave-future-out cross-validation on the training years (each year from the fourth on held out
in turn: :func:`ccmodels.validate.compare_lfo`), and projected as that mixture
(``project(..., weights=...)``). The
held-back counts are scored on the log scale against the 50% and 90% central intervals:
coverage, and the mean interval score of the 90% interval (Gneiting & Raftery 2007:
``(u - l) + (2 / 0.1) * distance outside``; lower is better).

Peers in the same run, on the same log counts: statsforecast's RandomWalkWithDrift, AutoARIMA
and AutoETS with a damped trend (``forecast_peers.py``, run in an environment of its own made
on first use under ``benchmarks/.peers-venv``: statsforecast pins pandas < 3). A peer that
cannot fit a series (AutoETS on 5 points) is recorded as failed there.

Prints coverage and interval score per family, training length and method, and writes
``benchmarks/results/forecast_calibration.json`` (``--resume`` keeps the series done).

    python benchmarks/forecast_calibration.py [--series 8] [--draws 400] [--resume] [--add-local]

The summary counts only the series scored with every family of ``OURS`` (a series scored
before the local trend was added counts again once ``--add-local`` has refitted it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ccmodels.models import CaseVolumeModel
from ccmodels.models.convergence import diagnostics
from ccmodels.project import project
from ccmodels.util import expected_warnings
from ccmodels.validate import compare_lfo

HERE = Path(__file__).parent
OUT = HERE / "results" / "forecast_calibration.json"
PEERS_VENV = HERE / ".peers-venv"
FIRST, H, SHAPE = 2012, 5, 40.0
FAMILIES = (
    "logistic",
    "gompertz",
    "decelerating",
    "level_shift",
    "drift_break",
    "own_drift",
    "own_damped",
)
OURS = {
    "drift": {},
    "damped": {"year_damping": True},
    "local": {"year_local_trend": True},
}
#: the families combined by their stacking weights from leave-future-out on the training
#: years (each year after the first LFO_MIN_TRAIN held out in turn), projected as a mixture
STACKED = "stacked"
#: the same combined by their pseudo-BMA+ weights (Bayesian bootstrap of the LFO scores)
PSEUDO_BMA = "pseudo_bma"
LFO_MIN_TRAIN = 3
PEERS = ("rw_drift", "auto_arima", "auto_ets_damped")


def mean_path(family: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """The log mean count of ``n`` years (t = 0 .. n - 1) of one series of ``family``."""
    t = np.arange(n, dtype=float)
    m0 = rng.uniform(np.log(30), np.log(300))
    n0 = np.exp(m0)
    if family == "logistic":
        k, r = n0 * rng.uniform(20, 200), rng.uniform(0.3, 0.8)
        return np.log(k / (1 + (k / n0 - 1) * np.exp(-r * t)))
    if family == "gompertz":
        k, c = n0 * rng.uniform(20, 200), rng.uniform(0.1, 0.4)
        return np.log(k) + np.log(n0 / k) * np.exp(-c * t)
    if family == "decelerating":  # growth rate g0 / (1 + t / tau)
        g0, tau = rng.uniform(0.3, 0.6), rng.uniform(2, 6)
        return m0 + g0 * tau * np.log1p(t / tau)
    if family == "level_shift":
        d, jump, at = rng.uniform(0.05, 0.3), rng.uniform(0.4, 1.0), rng.integers(2, n)
        return m0 + d * t + np.where(t >= at, rng.choice([-1, 1]) * jump, 0.0)
    if family == "drift_break":  # fast growth, then flat or falling, near the forecast origin
        d1, d2, at = rng.uniform(0.2, 0.5), rng.uniform(-0.2, 0.05), rng.integers(n - 8, n - 2)
        return m0 + d1 * np.minimum(t, at) + d2 * np.maximum(t - at, 0)
    sigma = rng.uniform(0.05, 0.2)
    steps = sigma * rng.normal(size=n - 1)
    if family == "own_drift":
        steps += rng.normal(0.2, 0.1)
    else:  # own_damped: the drift decays by phi a year
        d0, phi = rng.uniform(0.3, 0.6), rng.beta(6, 2)
        steps += d0 * phi ** np.arange(n - 1)
    return m0 + np.concatenate([[0.0], np.cumsum(steps)])


def series(family: str, train: int, seed: int) -> np.ndarray:
    """Counts of ``train + H`` years."""
    rng = np.random.default_rng([FAMILIES.index(family), train, seed])
    mu = np.exp(np.minimum(mean_path(family, train + H, rng), 25.0))
    return rng.poisson(rng.gamma(SHAPE, mu / SHAPE)).astype(float)


def _log(y: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(y, 0.5))


def score(y: np.ndarray, lo50, hi50, lo90, hi90) -> dict[str, Any]:
    """Coverage and 90% interval score of held-back log counts ``y`` (by horizon)."""
    lo50, hi50, lo90, hi90 = (np.asarray(v, float) for v in (lo50, hi50, lo90, hi90))
    iscore = (hi90 - lo90) + 20.0 * (np.maximum(lo90 - y, 0) + np.maximum(y - hi90, 0))
    return {
        "in50": ((lo50 <= y) & (y <= hi50)).tolist(),
        "in90": ((lo90 <= y) & (y <= hi90)).tolist(),
        "interval_score": iscore.tolist(),
    }


def _projected(fits: list[Any], train: int, seed: int, draws: int, **kw: Any) -> np.ndarray:
    ds = project(fits, to=FIRST + train + H - 1, draws=draws, seed=seed, progress=False, **kw)
    return _log(ds["cases"].sel(year=np.arange(FIRST + train, FIRST + train + H)).values)


def _scored(y: np.ndarray, x: np.ndarray) -> dict[str, Any]:
    q = np.quantile(x, [0.25, 0.75, 0.05, 0.95], axis=0)
    return score(y, *q) | {"median": np.median(x, 0).tolist()}


def ours(counts: np.ndarray, train: int, seed: int, draws: int) -> dict[str, Any]:
    years = np.arange(FIRST, FIRST + train)
    rows = pd.DataFrame({"year": years, "cases": counts[:train].astype(int)})
    y = _log(counts[train:])
    out: dict[str, Any] = {}
    fits = []
    for name, effects in OURS.items():
        m = CaseVolumeModel(effects=effects)
        with expected_warnings():
            m.fit(rows, seed=seed, progress=False)
        d = diagnostics(m.idata)
        fits.append(m.idata)
        out[name] = _scored(y, _projected([m.idata], train, seed, draws)) | {
            "divergences": int(d["divergences"]),
            "rhat_max": float(d["rhat_max"]),
        }
    makers = {k: (lambda e=e: CaseVolumeModel(effects=e)) for k, e in OURS.items()}
    cmp = compare_lfo(makers, rows, min_train=LFO_MIN_TRAIN, seed=seed, progress=False)
    for method, col in ((STACKED, "weight"), (PSEUDO_BMA, "bb_weight")):
        w = [float(cmp.loc[k, col]) for k in OURS]
        x = _projected(fits, train, seed, draws, weights=w)
        out[method] = _scored(y, x) | {
            "weights": dict(zip(OURS, w, strict=True)),
            "elpd_lfo": {k: float(cmp.loc[k, "elpd_lfo"]) for k in OURS},
        }
    return out


def peer_env() -> Path:
    py = PEERS_VENV / "bin" / "python"
    if not py.exists():
        print(f"making {PEERS_VENV} (statsforecast) ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "statsforecast"], check=True)
    return py


def peers(todo: dict[str, np.ndarray], trains: dict[str, int]) -> dict[str, dict]:
    job = {"h": H, "series": {k: _log(v[: trains[k]]).tolist() for k, v in todo.items()}}
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.json", Path(tmp) / "out.json"
        src.write_text(json.dumps(job))
        subprocess.run(
            [str(peer_env()), str(HERE / "forecast_peers.py"), str(src), str(dst)], check=True
        )
        got = json.loads(dst.read_text())
    out: dict[str, dict] = {k: {} for k in todo}
    for peer, res in got.items():
        for sid, r in res.items():
            y = _log(todo[sid][trains[sid] :])
            out[sid][peer] = (
                r if "error" in r else score(y, r["lo50"], r["hi50"], r["lo90"], r["hi90"])
            )
    return out


def summary(runs: list[dict]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    methods = (*OURS, STACKED, PSEUDO_BMA, *PEERS)
    runs = [r for r in runs if all(m in r for m in OURS)]  # mixtures of the same families
    for train in sorted({r["train"] for r in runs}):
        for fam in (*FAMILIES, "pooled_out_of_family", "pooled_all"):
            if fam == "pooled_out_of_family":
                sel = [r for r in runs if r["train"] == train and not r["family"].startswith("own")]
            elif fam == "pooled_all":
                sel = [r for r in runs if r["train"] == train]
            else:
                sel = [r for r in runs if r["train"] == train and r["family"] == fam]
            if not sel:
                continue
            row: dict[str, Any] = {"series": len(sel)}
            for m in methods:
                ok = [r[m] for r in sel if m in r and "error" not in r[m]]
                if not ok:
                    row[m] = {"failed": len(sel)}
                    continue
                row[m] = {
                    "in50": float(np.mean([r["in50"] for r in ok])),
                    "in90": float(np.mean([r["in90"] for r in ok])),
                    "in90_by_horizon": np.mean([r["in90"] for r in ok], 0).round(3).tolist(),
                    "interval_score": float(np.mean([r["interval_score"] for r in ok])),
                    "failed": len(sel) - len(ok),
                }
            out[f"{fam}/{train}"] = row
    return out


def table(s: dict[str, Any]) -> None:
    methods = (*OURS, STACKED, PSEUDO_BMA, *PEERS)
    print(f"{'family / train years':<30}" + "".join(f"{m:>22}" for m in methods))
    print(f"{'':<30}" + "".join(f"{'90% | 50% | IS':>22}" for _ in methods))
    for key, row in s.items():
        cells = []
        for m in methods:
            v = row[m]
            if "in90" not in v:
                cells.append(f"{'failed':>22}")
            else:
                cells.append(f"{v['in90']:>8.2f} {v['in50']:>5.2f} {v['interval_score']:>6.2f}")
        print(f"{key:<30}" + "".join(f"{c:>22}" for c in cells))


def refit_missing(runs: list[dict], draws: int) -> None:
    """Refit our methods (same seeds: the drift refit is checked to give the same numbers) on
    every stored series that lacks one of them (a series scored before the stacked combination
    or the local trend was added), in seed order, writing the results after each."""
    methods = (*OURS, STACKED, PSEUDO_BMA)
    for r in sorted(runs, key=lambda r: (r["seed"], r["train"], r["family"])):
        if all(m in r for m in methods):
            continue
        t0 = time.perf_counter()
        new = ours(np.asarray(r["counts"], float), r["train"], r["seed"], draws)
        same = np.allclose(new["drift"]["median"], r["drift"]["median"])
        r.update(new)
        print(
            f"{r['family']}/{r['train']}/{r['seed']}: in90 local "
            f"{np.mean(new['local']['in90']):.1f} pseudo-BMA+ "
            f"{np.mean(new[PSEUDO_BMA]['in90']):.1f} weights "
            f"{ {k: round(v, 2) for k, v in new[PSEUDO_BMA]['weights'].items()} } "
            f"(drift refit same as before: {same}; {time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
        OUT.write_text(json.dumps({"summary": summary(runs), "runs": runs}) + "\n", "utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--series", type=int, default=8, help="series per family and training length")
    ap.add_argument("--train", default="5,10", help="training lengths (years)")
    ap.add_argument("--draws", type=int, default=400)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument(
        "--add-stacked",
        action="store_true",
        help="with --resume: refit our methods (same seeds, same numbers) on the series done "
        "before the stacked combination was scored, and score it",
    )
    ap.add_argument(
        "--add-local",
        action="store_true",
        help="with --resume: refit our methods (same seeds, same numbers) on the series done "
        "before the local linear trend was added (in seed order), score it and the mixtures "
        "of all three families",
    )
    args = ap.parse_args()
    runs: list[dict] = []
    if args.resume and OUT.exists():
        runs = json.loads(OUT.read_text(encoding="utf-8"))["runs"]
    if args.add_stacked or args.add_local:
        refit_missing(runs, args.draws)
    done = {(r["family"], r["train"], r["seed"]) for r in runs}
    trains = [int(x) for x in args.train.split(",")]
    OUT.parent.mkdir(exist_ok=True)
    for seed in range(args.series):
        for train in trains:
            todo = {
                f"{f}/{train}/{seed}": series(f, train, seed)
                for f in FAMILIES
                if (f, train, seed) not in done
            }
            if not todo:
                continue
            peer_res = peers(todo, {k: train for k in todo})
            for sid, counts in todo.items():
                fam = sid.split("/")[0]
                t0 = time.perf_counter()
                row = {"family": fam, "train": train, "seed": seed, "counts": counts.tolist()}
                row |= ours(counts, train, seed, args.draws) | peer_res[sid]
                row["wall_seconds"] = time.perf_counter() - t0
                runs.append(row)
                print(
                    f"{sid:<22} in90 drift {np.mean(row['drift']['in90']):.1f} damped "
                    f"{np.mean(row['damped']['in90']):.1f} rw {np.mean(row['rw_drift'].get('in90', [np.nan])):.1f}"
                    f" ({row['wall_seconds']:.0f} s)",
                    flush=True,
                )
                OUT.write_text(json.dumps({"summary": summary(runs), "runs": runs}) + "\n", "utf-8")
    s = summary(runs)
    table(s)
    div = {m: sum(r[m]["divergences"] for r in runs if m in r) for m in OURS}
    print(f"{len(runs)} series; divergences in our fits: {div}; wrote {OUT}")


if __name__ == "__main__":
    main()
