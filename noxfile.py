"""Developer sessions: ``nox`` runs lint, typecheck, tests, docs and package (the README's
test command)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "tests", "docs", "package"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

SOURCES = ["idcode_async", "tests", "benchmarks", "examples", "noxfile.py", "docs/hooks.py"]


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint rules and formatting."""
    session.install("ruff>=0.8")
    session.run("ruff", "check", *SOURCES)
    session.run("ruff", "format", "--check", *SOURCES)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package (configured in pyproject.toml)."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite, slow acceptance tests included, with package coverage >= 90 %."""
    session.install("-e", ".[dev]")
    session.run(
        "pytest",
        "--cov=idcode_async",
        "--cov-report=term",
        "--cov-fail-under=90",
        *session.posargs,
    )


@nox.session
def package(session: nox.Session) -> None:
    """Build sdist and wheel, check their metadata, and smoke-test the wheel on its own.

    The wheel goes into a fresh virtual environment with the core dependencies only (no
    extras): ``idcode --version`` and ``import idcode_async`` must work there, and both
    archives must carry the LICENSE.
    """
    session.install("build>=1.2", "twine>=5.1")
    dist = Path(tempfile.mkdtemp(prefix="idcode-dist-"))
    try:
        session.run("python", "-m", "build", "--outdir", str(dist))
        archives = sorted(str(path) for path in dist.iterdir())
        session.run("twine", "check", "--strict", *archives)
        session.run("python", "-c", _CHECK_LICENSE, *archives)
        (wheel,) = dist.glob("*.whl")
        venv = dist / "venv"
        session.run("python", "-m", "venv", str(venv))
        python = str(venv / "bin" / "python")
        session.run(python, "-m", "pip", "install", "--quiet", str(wheel), external=True)
        session.run(str(venv / "bin" / "idcode"), "--version", external=True)
        session.run(python, "-c", _SMOKE_IMPORT, external=True)
    finally:
        shutil.rmtree(dist, ignore_errors=True)


_CHECK_LICENSE = """
import sys, tarfile, zipfile
for path in sys.argv[1:]:
    if path.endswith(".whl"):
        names = zipfile.ZipFile(path).namelist()
    else:
        names = tarfile.open(path).getnames()
    assert any(n.endswith("/LICENSE") for n in names), f"no LICENSE in {path}"
    print("LICENSE in", path)
"""

_SMOKE_IMPORT = """
import importlib.util, idcode_async
for extra in ("starlette", "uvicorn", "rich", "redis", "arq"):
    assert importlib.util.find_spec(extra) is None, f"{extra} installed without an extra"
print("import idcode_async", idcode_async.__version__, "with the core dependencies only")
"""


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site (mkdocs, material, API reference), built with --strict, offline."""
    session.install("-e", ".[docs]")
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        str(Path(session.create_tmp()) / "site"),
        env={"NO_MKDOCS_2_WARNING": "1"},
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark in one run, then one markdown table of every figure against its goal.

    Each script appends its figures to the file named by ``IDCODE_BENCH_RESULTS``;
    ``benchmarks/report.py`` assembles them (README "Performance").
    """
    session.install("-e", ".[dev]")
    results = Path(session.create_tmp()) / "bench-results.jsonl"
    results.unlink(missing_ok=True)
    env = {"IDCODE_BENCH_RESULTS": str(results)}
    for script in sorted(Path("benchmarks").glob("bench_*.py")):
        session.log(f"== {script}")
        # A missed goal exits 1: the table below still shows every figure.
        session.run("python", str(script), *session.posargs, env=env, success_codes=[0, 1])
    session.run("python", "benchmarks/report.py", str(results))
