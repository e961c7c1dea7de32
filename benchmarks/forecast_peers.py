"""Peer forecasts for ``forecast_calibration.py``: statsforecast's RandomWalkWithDrift,
AutoARIMA and AutoETS (damped trend) on log yearly counts, with 50% and 90% intervals.

Run by ``forecast_calibration.py`` in an environment of its own (statsforecast pins
pandas < 3, which ccmodels does not use): ``python forecast_peers.py IN.json OUT.json``.
``IN`` holds ``{"h": 5, "series": {id: [log counts]}}``; ``OUT`` gets, per peer and series, the
bounds ``lo50``, ``hi50``, ``lo90``, ``hi90`` by horizon (null where the peer failed, with the
error).
"""

from __future__ import annotations

import json
import sys
import warnings

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoARIMA, AutoETS, RandomWalkWithDrift

PEERS = {
    "rw_drift": lambda: RandomWalkWithDrift(),
    "auto_arima": lambda: AutoARIMA(),
    "auto_ets_damped": lambda: AutoETS(model="ZZN", damped=True),
}


def main() -> None:
    src, dst = sys.argv[1], sys.argv[2]
    job = json.loads(open(src, encoding="utf-8").read())
    h = int(job["h"])
    out: dict = {p: {} for p in PEERS}
    for sid, y in job["series"].items():
        df = pd.DataFrame({"unique_id": sid, "ds": np.arange(len(y)), "y": np.asarray(y, float)})
        for name, make in PEERS.items():
            model = make()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fc = StatsForecast(models=[model], freq=1).forecast(df=df, h=h, level=[50, 90])
                col = str(model)
                out[name][sid] = {
                    "lo50": fc[f"{col}-lo-50"].tolist(),
                    "hi50": fc[f"{col}-hi-50"].tolist(),
                    "lo90": fc[f"{col}-lo-90"].tolist(),
                    "hi90": fc[f"{col}-hi-90"].tolist(),
                }
            except Exception as exc:  # a peer that cannot fit a short series: recorded
                out[name][sid] = {"error": f"{type(exc).__name__}: {exc}"}
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
