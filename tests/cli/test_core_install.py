"""The ``idcode`` entry point on a core install (no ``cli`` extra, so no click).

``nox -s package`` runs ``idcode --version`` in a venv with the core dependencies only; here
the same paths are checked in-process by hiding click from the import system.
"""

from __future__ import annotations

import importlib.util
from importlib.machinery import ModuleSpec

import pytest

from idcode_async import __version__
from idcode_async.cli import main

_real_find_spec = importlib.util.find_spec


def _without_click(name: str, package: str | None = None) -> ModuleSpec | None:
    return None if name == "click" else _real_find_spec(name, package)


@pytest.fixture
def no_click(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", _without_click)


@pytest.mark.usefixtures("no_click")
def test_version_answers_without_the_cli_extra(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"idcode-async {__version__}\n"


@pytest.mark.usefixtures("no_click")
def test_a_command_without_the_cli_extra_is_one_error_and_a_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "error: the idcode command needs the 'cli' extra (click)",
        "hint: pip install 'idcode-async[cli]'",
    ]


def test_version_with_click_matches(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"idcode-async {__version__}\n"
