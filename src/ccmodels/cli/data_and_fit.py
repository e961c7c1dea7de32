"""Commands on scenarios, tables and fits: simulate, calibrate, check-data, fit, report."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from ccmodels.cli.common import Encoding, Progress, _commit_dir, _fail, _fresh_dir, app


@app.command()
def simulate(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML, e.g. simulations/cai2017.toml")],
    out: Annotated[Path, typer.Option("--out", help="Output directory.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing --out.")] = False,
) -> None:
    """Simulate a population: OUT/offenders.parquet, OUT/cases.parquet, OUT/truth.nc."""
    from ccmodels.simulate import Scenario, ScenarioError
    from ccmodels.simulate import simulate as run

    try:
        sc = Scenario.from_toml(scenario)
    except ScenarioError as exc:
        _fail(str(exc))
    if out.exists() and not force:
        _fail(f"{out} exists; pass --force to overwrite it")
    pop = run(sc, seed)
    tmp = _fresh_dir(out, force)
    try:
        pop.offenders.to_parquet(tmp / "offenders.parquet", index=False)
        pop.cases.to_parquet(tmp / "cases.parquet", index=False)
        pop.truth.to_netcdf(tmp / "truth.nc", engine="h5netcdf")
        _commit_dir(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    typer.echo(
        f"{sc.name}, seed {seed}: {len(pop.cases)} cases, {len(pop.offenders)} offenders -> {out}"
    )


@app.command()
def calibrate(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML with a [targets] table.")],
    replicates: Annotated[int, typer.Option("--replicates", "-n")] = 200,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    progress: Progress = True,
) -> None:
    """Simulate replicates and check every target; exit 0 only if all pass."""
    from ccmodels.simulate import Scenario, ScenarioError
    from ccmodels.simulate import calibrate as run

    try:
        sc = Scenario.from_toml(scenario)
        res = run(sc, replicates=replicates, seed=seed, progress=progress and not as_json)
    except (ScenarioError, ValueError) as exc:
        _fail(str(exc))
    typer.echo(res.to_json() if as_json else str(res))
    raise typer.Exit(0 if res.passed else 1)


@app.command("check-data")
def check_data(
    file: Annotated[Path, typer.Argument(help="Offender table (.csv or .parquet).")],
    drop_illegal: Annotated[
        bool, typer.Option("--drop-illegal", help="Drop legally impossible rows and list them.")
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Treat legal anomalies (a required fine missing) as legal impossibilities.",
        ),
    ] = False,
    encoding: Encoding = None,
) -> None:
    """Validate an offender table against the data contract and the statutory rules.

    Legal impossibilities are errors (or dropped with --drop-illegal). Legal anomalies, rows
    the law does not allow but courts do write (a fine the law requires is missing), are
    listed and kept; --strict makes them impossibilities."""
    from ccmodels.data import DataValidationError, read_table, validate, yearly_counts

    try:
        rep = validate(
            read_table(file, encoding=encoding),
            on_illegal="drop" if drop_illegal else "raise",
            strict=strict,
            source=str(file),
        )
    except (DataValidationError, FileNotFoundError, ValueError) as exc:
        _fail(str(exc), code=1)
    typer.echo(f"{file}: {len(rep.data)} offenders in {rep.data['case_id'].nunique()} cases: OK")
    if len(rep.dropped):
        typer.echo(f"dropped {len(rep.dropped)} legally impossible row(s):")
        for i, r in rep.dropped.iterrows():
            typer.echo(f"  row {i}: case {r['case_id']}: {r['reason']}")
    for a in rep.anomalies:
        typer.echo(f"legal anomaly kept ({len(a.rows)} row(s); --strict makes it an error): {a}")
    typer.echo(yearly_counts(rep.data).to_string(index=False))


@app.command()
def fit(
    spec: Annotated[Path, typer.Argument(help="Model spec TOML, e.g. models/sentence.toml")],
    data: Annotated[Path, typer.Option("--data", help="Offender table (.csv or .parquet).")],
    out: Annotated[Path, typer.Option("--out", help="Fit file to write (.nc).")],
    draws: Annotated[int | None, typer.Option("--draws")] = None,
    tune: Annotated[int | None, typer.Option("--tune")] = None,
    chains: Annotated[int | None, typer.Option("--chains")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    sampler: Annotated[
        str | None, typer.Option("--sampler", help="nutpie (default), pymc or numpyro")
    ] = None,
    loo: Annotated[bool, typer.Option("--loo/--no-loo", help="Store the log-likelihood.")] = True,
    drop_illegal: Annotated[bool, typer.Option("--drop-illegal")] = False,
    encoding: Encoding = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing --out.")] = False,
    progress: Progress = True,
) -> None:
    """Fit a model spec to an offender table (or, for case_volume, a yearly table with columns
    year and cases) and save the fit (NetCDF)."""
    from ccmodels.data import DataValidationError, read_table, validate
    from ccmodels.models import ModelConfigError, from_spec
    from ccmodels.models.describe import fit_text

    if out.exists() and not force:
        _fail(f"{out} exists; pass --force to overwrite it")
    try:
        model = from_spec(spec)
        raw = read_table(data, encoding=encoding)
        if model.unit == "year" and "case_id" not in raw.columns:
            table = raw  # a yearly table (year, cases): the model checks its columns
        else:
            table = validate(
                raw, on_illegal="drop" if drop_illegal else "raise", source=str(data)
            ).data
        model.fit(
            table,
            draws=draws,
            tune=tune,
            chains=chains,
            seed=seed,
            sampler=sampler,
            progress=progress,
            loo=loo,
        )
    except (ModelConfigError, DataValidationError, FileNotFoundError, ValueError) as exc:
        _fail(str(exc), code=1)
    model.save(out, overwrite=force)
    typer.echo(fit_text(model))
    typer.echo(f"saved {out}")


@app.command()
def report(
    fits: Annotated[list[Path], typer.Argument(help="Saved fits (.nc) written by `ccmodels fit`.")],
    out: Annotated[Path, typer.Option("--out", help="Report directory to create.")],
    title: Annotated[str | None, typer.Option("--title")] = None,
    projection: Annotated[
        Path | None,
        typer.Option("--projection", help="A projection (.nc) from `ccmodels project`."),
    ] = None,
    comparison: Annotated[
        Path | None,
        typer.Option(
            "--comparison", help="A leave-future-out comparison (.csv) from `ccmodels lfo`."
        ),
    ] = None,
    published: Annotated[
        Path | None,
        typer.Option(
            "--published",
            help="Published figures (TOML: [[figure]] quantity, year or years, value, "
            "source) drawn beside the projection.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing --out.")] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Processes building the fits' parts at once (the report is the same).",
        ),
    ] = 1,
) -> None:
    """Build the posterior report (index.html, summary.json, figures/) from saved fits, with
    a projection, the comparison of its trend families and published figures if given."""
    from ccmodels.models import FitFileError
    from ccmodels.report import build

    try:
        res = build(
            fits,
            out,
            overwrite=force,
            title=title,
            projection=projection,
            comparison=comparison,
            published=published,
            workers=workers,
        )
    except (FileExistsError, FileNotFoundError, FitFileError, ValueError) as exc:
        _fail(str(exc))
    verdicts = ", ".join(f"{k}: {v}" for k, v in res.verdicts.items())
    typer.echo(f"report written to {res.index_html} ({len(res.figures)} figures; {verdicts})")
