"""``ccmodels`` command line: a thin layer over the Python API."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

from ccmodels import __version__

app = typer.Typer(
    name="ccmodels",
    help="Bayesian models and simulators for cybercrime sentencing from court judgments.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Progress = Annotated[bool, typer.Option("--progress/--no-progress", help="Show progress bars.")]
Encoding = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Text encoding of a CSV, e.g. utf-8, gb18030, gbk (default: UTF-8, else GB18030).",
    ),
]


def _fail(msg: str, code: int = 2) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


def _fresh_dir(out: Path, force: bool) -> Path:
    """A temporary sibling directory to write into; renamed over ``out`` when complete."""
    if out.exists() and not force:
        _fail(f"{out} exists; pass --force to overwrite it")
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))


def _commit_dir(tmp: Path, out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)


@app.callback(invoke_without_command=True)
def _main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit(0)


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
