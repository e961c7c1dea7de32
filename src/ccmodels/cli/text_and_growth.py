"""Commands on judgment texts and growth: extract, lfo, project, demo."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from ccmodels.cli.common import Encoding, Progress, _fail, app


@app.command()
def extract(
    file: Annotated[Path, typer.Argument(help="Judgments, one JSON object per line (.jsonl).")],
    out: Annotated[Path, typer.Option("--out", help="Offender table to write (.parquet/.csv).")],
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Value-chain/target rule table (TOML).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing --out.")] = False,
    progress: Progress = True,
) -> None:
    """Extract one row per defendant from judgment texts, with a coverage report."""
    from ccmodels.data import write_table
    from ccmodels.extract import extract_judgments

    if out.exists() and not force:
        _fail(f"{out} exists; pass --force to overwrite it")
    if not file.exists():
        _fail(f"{file}: no such file")
    t0 = time.perf_counter()
    res = extract_judgments(file, progress=progress, rules=rules)
    secs = time.perf_counter() - t0
    if len(res.offenders) == 0:
        _fail(f"{file}: no defendant could be extracted; see the reasons above", code=1)
    write_table(res.offenders, out, overwrite=force)
    typer.echo(res.coverage_text())
    if len(res.failures):
        typer.echo(f"{len(res.failures)} document(s) or line(s) not parsed:")
        for r in res.failures.itertuples():
            typer.echo(f"  line {r.line}: {r.doc_id}: {r.reason}")
    typer.echo(
        f"{res.n_documents} documents -> {len(res.offenders)} defendants in {secs:.2f} s -> {out}"
    )


@app.command()
def lfo(
    specs: Annotated[
        list[Path],
        typer.Argument(
            help="Specs (TOML) of one growth model to compare: case_volume (e.g. the "
            "constant and the damped trend), group_size or value_chain."
        ),
    ],
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            help="Offender table; for case_volume also a yearly table (year, cases).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Comparison table to write (.csv).")],
    min_train: Annotated[
        int, typer.Option("--min-train", help="Years in the first training window.")
    ] = 3,
    draws: Annotated[int | None, typer.Option("--draws")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    encoding: Encoding = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing --out.")] = False,
    progress: Progress = True,
) -> None:
    """Compare case-volume (or group-size, value-chain) models by exact leave-future-out cross-validation:
    fit on the first L years, score year L + 1, for every L from --min-train; print and write elpd_lfo, its
    standard error, the difference to the best and the stacking weights (give those to
    `ccmodels project --weights`)."""
    from ccmodels.data import read_table, yearly_counts
    from ccmodels.models import ModelConfigError, from_spec
    from ccmodels.validate import compare_lfo
    from ccmodels.validate.lfo import LFO_MODELS

    if out.exists() and not force:
        _fail(f"{out} exists; pass --force to overwrite it")
    names = [s.stem for s in specs]
    if len(set(names)) != len(names):
        _fail(f"two specs share a name ({', '.join(names)}); give files with distinct names")
    try:
        models = {}
        kinds = set()
        for spec in specs:
            m = from_spec(spec)
            if m.model_type not in LFO_MODELS:
                raise ModelConfigError(
                    f"{spec}: model {m.model_type!r}; lfo compares {', '.join(LFO_MODELS)} models"
                )
            kinds.add(m.model_type)
            models[spec.stem] = lambda spec=spec: from_spec(spec)
        if len(kinds) > 1:
            raise ModelConfigError(
                f"the specs are of different models ({', '.join(sorted(kinds))}); compare "
                "specs of one model"
            )
        raw = read_table(data, encoding=encoding)
        rows = yearly_counts(raw) if "case_id" in raw and kinds == {"case_volume"} else raw
        fit_kw = {} if draws is None else {"draws": draws}
        cmp = compare_lfo(models, rows, min_train, seed, progress, **fit_kw)
    except (ModelConfigError, FileNotFoundError, ValueError) as exc:
        _fail(str(exc), code=1)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    cmp.to_csv(tmp)
    tmp.replace(out)
    typer.echo(cmp.round(3).to_string())
    typer.echo(f"leave-future-out comparison -> {out}")


@app.command("project")
def project_cmd(
    fits: Annotated[list[Path], typer.Argument(help="Saved fits (.nc) written by `ccmodels fit`.")],
    to: Annotated[int, typer.Option("--to", help="Last year to project to, e.g. 2030.")],
    out: Annotated[Path, typer.Option("--out", help="Projection to write (.nc).")],
    draws: Annotated[
        int, typer.Option("--draws", help="Projected worlds (posterior draws).")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    base: Annotated[
        Path | None,
        typer.Option(
            "--base",
            help="Scenario TOML for what the fits do not hold (articles, traits, ...); "
            "default: cai2017.",
        ),
    ] = None,
    max_rows: Annotated[
        int,
        typer.Option(
            "--max-rows",
            min=1,
            help="With outcome fits (whose summaries need offender rows): refuse a projected "
            "world with more offenders than this (memory: about 1 GB per 3 million). Growth "
            "fits alone are projected as yearly numbers, whatever a world's size.",
        ),
    ] = 3_000_000,
    weights: Annotated[
        str | None,
        typer.Option(
            "--weights",
            help="One weight per fit, comma-separated (e.g. '0.3,0.7,1,1'): a growth model "
            "given as several fits (e.g. the constant and the damped trend) is projected as "
            "their mixture in these proportions, such as the stacking weights of "
            "`ccmodels lfo`.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing --out.")] = False,
    progress: Progress = True,
) -> None:
    """Project case volume, group size and value-chain composition (and, with outcome fits,
    mean prison term and probation share) by driving the simulator with posterior draws;
    write the draws (NetCDF) and print the median and 90% interval by year. Growth fits
    alone are projected as yearly numbers drawn exactly (no case rows), so no world is too
    large."""
    import pandas as pd

    from ccmodels.models import FitFileError
    from ccmodels.project import ProjectionError, project, table
    from ccmodels.simulate import Scenario, ScenarioError

    if out.exists() and not force:
        _fail(f"{out} exists; pass --force to overwrite it")
    try:
        sc = Scenario.from_toml(base) if base is not None else None
    except ScenarioError as exc:
        _fail(str(exc))
    w = None
    if weights is not None:
        try:
            w = [float(x) for x in weights.split(",")]
        except ValueError:
            _fail(f"--weights: {weights!r} is not a comma-separated list of numbers")
    try:
        ds = project(
            [str(f) for f in fits],
            weights=w,
            to=to,
            draws=draws,
            seed=seed,
            base=sc,
            progress=progress,
            max_offenders=max_rows,
        )
    except (ProjectionError, FitFileError, FileNotFoundError) as exc:
        _fail(str(exc), code=1)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    ds.to_netcdf(tmp, engine="h5netcdf")
    tmp.replace(out)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        typer.echo(table(ds).to_string())
    typer.echo(f"{draws} projected worlds to {to} -> {out}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Directory for data, fits and report.")] = Path(
        "demo-out"
    ),
    seed: Annotated[int, typer.Option("--seed")] = 2017,
    replicates: Annotated[int, typer.Option("--replicates")] = 200,
    draws: Annotated[int, typer.Option("--draws")] = 1000,
    force: Annotated[bool, typer.Option("--force")] = False,
    progress: Progress = True,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Processes fitting at once (default: 2, or 1 on a one-core machine).",
        ),
    ] = None,
) -> None:
    """Simulate the calibrated cai2017 scenario, check its calibration, fit the sentence,
    probation and fine models and the growth models (case volume, group size, value chains),
    project to 2030 and write the report to OUT/report/index.html."""
    from ccmodels.demo import run_demo

    t0 = time.perf_counter()
    try:
        ok = run_demo(
            out=out,
            seed=seed,
            replicates=replicates,
            draws=draws,
            force=force,
            progress=progress,
            workers=workers,
        )
    except FileExistsError as exc:
        _fail(str(exc))
    typer.echo(f"demo finished in {time.perf_counter() - t0:.0f} s")
    raise typer.Exit(0 if ok else 1)


if __name__ == "__main__":  # pragma: no cover
    app(prog_name="ccmodels")
