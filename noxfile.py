"""Developer sessions: ``nox`` runs lint, typecheck, tests and docs (the README's test command)."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "tests", "docs"]
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
    """Benchmarks: ratios against raw httpx on the same in-process server, in one run."""
    session.install("-e", ".[dev]")
    for script in sorted(Path("benchmarks").glob("bench_*.py")):
        session.log(f"== {script}")
        session.run("python", str(script), *session.posargs)
