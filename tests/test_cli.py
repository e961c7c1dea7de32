from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import xarray as xr
from typer.testing import CliRunner

from ccmodels.cli import app

ROOT = Path(__file__).resolve().parents[1]
SCEN = str(ROOT / "simulations" / "cai2017.toml")
runner = CliRunner()


def test_simulate_writes_three_files_and_refuses_overwrite(tmp_path):
    out = tmp_path / "pop"
    r = runner.invoke(app, ["simulate", SCEN, "--seed", "4", "--out", str(out)])
    assert r.exit_code == 0, r.output
    o = pd.read_parquet(out / "offenders.parquet")
    c = pd.read_parquet(out / "cases.parquet")
    assert c["n_defendants"].sum() == len(o)
    with xr.open_dataset(out / "truth.nc", engine="h5netcdf") as t:
        assert int(t.attrs["seed"]) == 4
    before = (out / "offenders.parquet").stat().st_mtime_ns
    r = runner.invoke(app, ["simulate", SCEN, "--seed", "5", "--out", str(out)])
    assert r.exit_code == 2 and "--force" in r.output
    assert (out / "offenders.parquet").stat().st_mtime_ns == before
    r = runner.invoke(app, ["simulate", SCEN, "--seed", "5", "--out", str(out), "--force"])
    assert r.exit_code == 0


def test_bad_scenario_writes_nothing(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(Path(SCEN).read_text().replace("dispersion = 40.0", "dispersoin = 40.0"))
    out = tmp_path / "pop"
    r = runner.invoke(app, ["simulate", str(bad), "--out", str(out)])
    assert r.exit_code == 2
    assert "did you mean 'dispersion'" in r.output
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]


def test_calibrate_json():
    r = runner.invoke(app, ["calibrate", SCEN, "--replicates", "30", "--json", "--no-progress"])
    assert r.exit_code == 0, r.output
    obj = json.loads(r.output)
    assert obj["targets"] and all({"name", "passed"} <= set(t) for t in obj["targets"])


def test_check_data(tmp_path):
    out = tmp_path / "pop"
    runner.invoke(app, ["simulate", SCEN, "--out", str(out)])
    r = runner.invoke(app, ["check-data", str(out / "offenders.parquet")])
    assert r.exit_code == 0 and "OK" in r.output
    o = pd.read_parquet(out / "offenders.parquet").drop(columns="probation")
    o.to_csv(tmp_path / "bad.csv", index=False)
    r = runner.invoke(app, ["check-data", str(tmp_path / "bad.csv")])
    assert r.exit_code == 1
    assert "bad.csv" in r.output and "column 'probation'" in r.output


def test_check_data_lists_anomalies_and_strict_refuses_them(tmp_path):
    out = tmp_path / "pop"
    runner.invoke(app, ["simulate", SCEN, "--out", str(out)])
    o = pd.read_parquet(out / "offenders.parquet")
    cyber = (o["article"] != "other") & (o["sentence_type"] == "fixed_term")
    i = int((cyber & (o["fine_yuan"] > 0)).to_numpy().argmax())
    o.loc[i, "fine_yuan"] = 0.0
    o.to_csv(tmp_path / "odd.csv", index=False)
    r = runner.invoke(app, ["check-data", str(tmp_path / "odd.csv")])
    assert r.exit_code == 0, r.output
    assert "legal anomaly kept (1 row(s)" in r.output and f"rows {i}" in r.output
    r = runner.invoke(app, ["check-data", str(tmp_path / "odd.csv"), "--strict"])
    assert r.exit_code == 1 and "odd.csv" in r.output
    assert "a fine the law requires is missing" in r.output
