"""A fresh install works: every module imports without the optional extras, and every CLI
subcommand answers ``--help``."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ccmodels.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _optional_packages() -> list[str]:
    """Top-level modules of the optional extras that the core does not also require."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {d.split(">")[0].split("=")[0].split("<")[0].strip() for d in meta["dependencies"]}
    extras = meta["optional-dependencies"]
    names = {
        d.split(">")[0].split("=")[0].split("<")[0].strip()
        for k, deps in extras.items()
        if k not in ("test", "docs", "bench")
        for d in deps
    }
    return sorted(n.replace("-", "_") for n in names - core)


def test_every_module_imports_without_the_optional_extras():
    blocked = _optional_packages()
    assert "jax" in blocked and "numpyro" in blocked
    code = f"""
import importlib, pkgutil, sys
for name in {blocked!r}:
    sys.modules[name] = None  # 'import name' now raises ImportError
import ccmodels
failed = []
for m in pkgutil.walk_packages(ccmodels.__path__, "ccmodels."):
    try:
        importlib.import_module(m.name)
    except Exception as e:
        failed.append(f"{{m.name}}: {{type(e).__name__}}: {{e}}")
print("\\n".join(failed) or "ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok", out.stdout + out.stderr


def _subcommands() -> list[str]:
    names = []
    for c in app.registered_commands:
        name = c.name or (c.callback.__name__ if c.callback else None)
        assert name is not None
        names.append(name.replace("_", "-"))
    return names


@pytest.mark.parametrize("command", ["", *_subcommands()])
def test_every_subcommand_has_help(command):
    args = [command, "--help"] if command else ["--help"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "Usage" in r.output
    assert isinstance(app, typer.Typer)


def test_console_script_answers_help():
    exe = Path(sys.executable).parent / "ccmodels"
    if not exe.exists():
        pytest.skip("the ccmodels console script is not installed next to this interpreter")
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True)
    assert "simulate" in out.stdout and "fit" in out.stdout


def test_no_source_module_is_over_400_lines():
    """Modules stay small enough to read whole; a longer one is split by what it does."""
    src = ROOT / "src" / "ccmodels"
    long = {
        str(p.relative_to(src)): n
        for p in src.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert not long, f"modules over 400 lines: {long}"
