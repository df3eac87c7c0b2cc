"""Developer sessions: ``nox`` runs lint, typecheck and tests (the README's test command)."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

SOURCES = ["idcode_async", "tests", "benchmarks", "examples", "noxfile.py"]


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
