"""The main job: ``idcode demo`` against the embedded sandbox and against a served centre."""

from __future__ import annotations

from pathlib import Path

import pytest

from idcode_async.cli import main
from idcode_async.cli._exit import EXIT_ABORTED, EXIT_USAGE
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.sandbox.serve import running

from .conftest import assert_failure

EVERY_STEP = [
    "101",
    "105",
    "201",
    "202",
    "309",
    "308",
    "608",
    "305",
    "406",
    "402",
    "5011",
    "5012",
    "5013",
    "5014",
    "502",
    "503",
    "505",
    "604",
    "401",
]


def test_demo_walks_every_flow_against_the_embedded_sandbox(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich would otherwise wrap the table at 80
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for number in EVERY_STEP:
        assert f" {number} " in out, number
    assert "0 signature failures" in out
    assert "is_audit=100" in out
    assert TEST_ACCESS_TOKEN not in out
    picture = (tmp_path / "code-604.png").read_bytes()
    assert picture.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.fixture
def served_centre(monkeypatch: pytest.MonkeyPatch):
    sandbox = Sandbox()
    with running(sandbox) as base_url:
        monkeypatch.setenv("IDCODE_ACCESS_TOKEN", TEST_ACCESS_TOKEN)
        monkeypatch.setenv("IDCODE_AUTH_CODE", TEST_AUTH_CODE)
        yield sandbox, base_url


def test_demo_against_a_centre_is_read_only_by_default(served_centre, tmp_path, capsys):
    sandbox, base_url = served_centre
    assert main(["demo", "--base-url", base_url, "--out", str(tmp_path)]) == 0
    requests = sandbox.stats()["requests"]
    assert set(requests) == {"101", "105", "201", "202"}
    assert "309" not in capsys.readouterr().out


def test_demo_reads_a_given_unit(served_centre, tmp_path, capsys):
    sandbox, base_url = served_centre
    assert main(["demo", "--base-url", base_url, "--out", str(tmp_path), "--allow-writes"]) == 0
    unit = sandbox.stats()["submissions_by_name"]["309"]
    assert sum(unit.values()) == 1
    capsys.readouterr()
    code = next(iter(sandbox.state.units))
    assert main(["demo", "--base-url", base_url, "--company-idcode", code]) == 0
    out = capsys.readouterr().out
    assert " 306 " in out
    assert " 404 " in out


def test_demo_without_credentials_for_a_centre_says_so(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("IDCODE_ACCESS_TOKEN", raising=False)
    code = main(["demo", "--base-url", "http://127.0.0.1:9", "--out", str(tmp_path)])
    assert_failure(capsys.readouterr().err, code, EXIT_USAGE, "IDCODE_ACCESS_TOKEN")


def test_demo_reports_a_refused_token_in_one_line(served_centre, monkeypatch, tmp_path, capsys):
    _, base_url = served_centre
    monkeypatch.setenv("IDCODE_ACCESS_TOKEN", "NoSuchKey")
    code = main(["demo", "--base-url", base_url, "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert_failure(err, code, EXIT_ABORTED, "10001")
    assert "NoSuchKey" not in err


def test_a_missing_extra_gives_an_install_hint_not_a_traceback(monkeypatch, tmp_path, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "segno" else real(name)
    )
    code = main(["demo", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert_failure(err, code, EXIT_USAGE, "needs the 'sandbox' extra (missing: segno)")
    assert "hint: pip install 'idcode-async[sandbox]'" in err
    code = main(["sandbox", "serve", "--port", "1"])
    assert_failure(capsys.readouterr().err, code, EXIT_USAGE, "'sandbox' extra")
