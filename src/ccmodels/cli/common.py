"""The ``ccmodels`` Typer app, its shared options and helpers (errors without tracebacks,
output folders written whole or not at all)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from ccmodels import __version__

__all__ = ["Encoding", "Progress", "app"]

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
