"""One error contract: each expected failure is one ``error:`` line (at most one ``hint:``),
its documented exit code, and no traceback unless ``--debug``."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from idcode_async.cli import register_units as register_module
from idcode_async.cli._exit import EXIT_ABORTED, EXIT_USAGE
from idcode_async.registration import SqliteJournal
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox

from .conftest import (
    FAST,
    GOOD,
    assert_failure,
    assert_result_failure,
    invoke,
    run_idcode,
    units_csv,
)

KEY = {"IDCODE_ACCESS_TOKEN": TEST_ACCESS_TOKEN, "IDCODE_AUTH_CODE": TEST_AUTH_CODE}


def test_a_wrong_access_token_in_the_region_lookup_exits_3(tmp_path, sandbox, monkeypatch):
    monkeypatch.setenv("IDCODE_ACCESS_TOKEN", "NoSuchKey0000000000000000")
    result = invoke("register-units", units_csv(tmp_path, *GOOD), "--journal", tmp_path / "r.db")
    line = assert_result_failure(result, EXIT_ABORTED, "refused the access token")
    assert "10001" in line
    assert "NoSuchKey" not in result.stderr + result.stdout


@pytest.mark.idcode_sandbox(disabled_keys=frozenset({TEST_ACCESS_TOKEN}))
def test_a_disabled_access_token_exits_3(tmp_path, idcode_sandbox_url):
    done = run_idcode(
        "register-units",
        units_csv(tmp_path, *GOOD),
        "--journal",
        tmp_path / "r.db",
        "--base-url",
        idcode_sandbox_url,
        env=KEY,
    )
    assert_failure(done.stderr, done.returncode, EXIT_ABORTED, "10002")
    assert TEST_ACCESS_TOKEN not in done.stderr + done.stdout


def test_a_wrong_authorisation_code_gives_10000_and_names_the_variable(
    tmp_path, sandbox, monkeypatch
):
    monkeypatch.setenv("IDCODE_AUTH_CODE", "X" * 32)
    result = invoke("register-units", units_csv(tmp_path, *GOOD), "--journal", tmp_path / "r.db")
    assert_result_failure(result, EXIT_ABORTED, "10000")
    assert "IDCODE_AUTH_CODE" in result.stderr
    assert "X" * 32 not in result.stderr


def test_an_unreachable_centre_exits_3_in_a_real_process(tmp_path):
    done = run_idcode(
        "register-units",
        units_csv(tmp_path, *GOOD),
        "--journal",
        tmp_path / "r.db",
        "--base-url",
        "http://127.0.0.1:9",
        "--timeout",
        "2",
        env=KEY,
    )
    assert_failure(done.stderr, done.returncode, EXIT_ABORTED, "cannot reach the centre")


def test_an_unreachable_centre_without_region_check_does_not_claim_sends(tmp_path):
    done = run_idcode(
        "register-units",
        units_csv(tmp_path, *GOOD),
        "--journal",
        tmp_path / "r.db",
        "--base-url",
        "http://127.0.0.1:9",
        "--no-region-check",
        "--max-retries",
        "0",
        *FAST,
        env=KEY,
    )
    assert "sent" not in done.stdout
    assert "submissions" not in done.stdout
    assert "Traceback" not in done.stderr


def _journal_after_a_run(tmp_path: Path, sandbox: Sandbox) -> Path:
    journal = tmp_path / "run.db"
    source = units_csv(tmp_path, GOOD[0])
    assert invoke("register-units", source, "--journal", journal, *FAST).exit_code == 0
    return journal


def test_a_journal_locked_by_another_run(tmp_path, sandbox):
    journal = _journal_after_a_run(tmp_path, sandbox)
    with SqliteJournal(journal):
        done = run_idcode(
            "register-units",
            units_csv(tmp_path, *GOOD),
            "--journal",
            journal,
            "--no-region-check",
            "--base-url",
            "http://127.0.0.1:9",
            env=KEY,
        )
    assert_failure(done.stderr, done.returncode, EXIT_USAGE, "")
    assert "another run" in done.stderr


@pytest.mark.parametrize(
    "damage", ["random", "truncated", "directory", "schema", "foreign", "base-url"]
)
def test_a_journal_that_cannot_be_used_is_a_usage_error(tmp_path, sandbox, damage):
    journal = _journal_after_a_run(tmp_path, sandbox)
    args: list[object] = []
    if damage == "random":
        journal.write_bytes(os.urandom(4096))
    elif damage == "truncated":
        journal.write_bytes(journal.read_bytes()[:100])
    elif damage == "directory":
        journal = tmp_path / "a-directory"
        journal.mkdir()
    elif damage == "foreign":
        journal = tmp_path / "accounts.db"
        with sqlite3.connect(journal) as db:
            db.execute("CREATE TABLE accounts (name TEXT)")
    elif damage == "schema":
        with sqlite3.connect(journal) as db:
            db.execute("UPDATE facts SET value = '99' WHERE name = 'schema'")
    else:
        args = ["--base-url", "https://other.example"]
    before = journal.read_bytes() if journal.is_file() else None
    result = invoke("register-units", units_csv(tmp_path, *GOOD), "--journal", journal, *args)
    assert_result_failure(result, EXIT_USAGE, "")
    if damage == "foreign":
        assert journal.read_bytes() == before  # refused without being modified


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_a_read_only_journal_is_a_usage_error(tmp_path, sandbox):
    journal = _journal_after_a_run(tmp_path, sandbox)
    journal.chmod(0o444)
    result = invoke("register-units", units_csv(tmp_path, *GOOD), "--journal", journal)
    assert_result_failure(result, EXIT_USAGE, "")


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--max-retries", "-1"], "--max-retries"),
        (["--timeout", "nan"], "not a finite number"),
        (["--timeout", "inf"], "not a finite number"),
        (["--timeout", "0"], "more than 0"),
        (["--min-interval", "-1"], "at least 0"),
        (["--concurrency", "0"], "--concurrency"),
        (["--min-interval", "2", "--max-interval", "1"], "shorter than --min-interval"),
        (["--progress", "fancy"], "--progress"),
        (["--no-such-option"], "No such option"),
    ],
)
def test_bad_numbers_and_options_are_usage_errors(tmp_path, credentials, args, text):
    result = invoke("register-units", units_csv(tmp_path, *GOOD), "--journal", "r.db", *args)
    assert_result_failure(result, EXIT_USAGE, text)


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--chunk-codes", "0"], "--chunk-codes"),
        (["--upload-timeout", "nan"], "not a finite number"),
        (["--reconcile-grace", "-1"], "at least 0"),
        (["--version", "1.0"], "No such option"),
    ],
)
def test_upload_codes_bad_numbers_are_usage_errors(tmp_path, credentials, args, text):
    codes = tmp_path / "codes.txt"
    codes.write_text("A1\n", encoding="utf-8")
    result = invoke("upload-codes", codes, "--plan-only", *args)
    assert_result_failure(result, EXIT_USAGE, text)


def test_missing_credentials_missing_input_and_a_bad_header(tmp_path, monkeypatch):
    monkeypatch.delenv("IDCODE_ACCESS_TOKEN", raising=False)
    source = units_csv(tmp_path, *GOOD)
    result = invoke("register-units", source, "--journal", tmp_path / "r.db")
    assert_result_failure(result, EXIT_USAGE, "IDCODE_ACCESS_TOKEN")
    monkeypatch.setenv("IDCODE_ACCESS_TOKEN", TEST_ACCESS_TOKEN)
    monkeypatch.setenv("IDCODE_AUTH_CODE", TEST_AUTH_CODE)
    result = invoke("register-units", tmp_path / "nope.csv", "--journal", tmp_path / "r.db")
    assert_result_failure(result, EXIT_USAGE, "nope.csv")
    (tmp_path / "bad.csv").write_text("login_name,organunit_name\nx,y\n", encoding="utf-8")
    result = invoke("register-units", tmp_path / "bad.csv", "--journal", tmp_path / "r.db")
    assert_result_failure(result, EXIT_USAGE, "required column")
    result = invoke("register-units", source)
    assert_result_failure(result, EXIT_USAGE, "--journal is required")


def test_an_unexpected_failure_is_one_line_and_debug_shows_the_traceback(
    tmp_path, sandbox, monkeypatch
):
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(register_module, "register_units", broken)
    source = units_csv(tmp_path, *GOOD)
    result = invoke("register-units", source, "--journal", tmp_path / "r.db", *FAST)
    assert_result_failure(result, EXIT_ABORTED, "unexpected RuntimeError: a bug")
    assert "--debug" in result.stderr
    debug = invoke("--debug", "register-units", source, "--journal", tmp_path / "r.db")
    assert debug.exit_code == EXIT_ABORTED
    assert "Traceback" in debug.stderr
