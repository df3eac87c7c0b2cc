"""The worst values a new user, a tired operator or an attacker gives the ``idcode`` command.

Each case is one ``error:`` line (at most one ``hint:``), a documented exit code, no traceback,
no hang, and no file changed that the command should not touch.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from functools import partial
from pathlib import Path

import httpx
import pytest

from idcode_async import IdcodeClient
from idcode_async.cli import _options
from idcode_async.cli import demo as demo_module
from idcode_async.cli._exit import EXIT_ABORTED, EXIT_INTERRUPTED, EXIT_PIPE, EXIT_ROWS, EXIT_USAGE
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE

from .conftest import FAST, GOOD, assert_failure, assert_result_failure, invoke, units_csv

KEY = {"IDCODE_ACCESS_TOKEN": TEST_ACCESS_TOKEN, "IDCODE_AUTH_CODE": TEST_AUTH_CODE}


def _registered(tmp_path: Path) -> tuple[Path, Path]:
    """An input file and the journal of a finished run of it."""
    source, journal = units_csv(tmp_path, GOOD[0]), tmp_path / "run.db"
    assert invoke("register-units", source, "--journal", journal, *FAST).exit_code == 0
    return source, journal


@pytest.mark.parametrize("target", ["journal", "input"])
def test_out_naming_the_journal_or_the_input_is_refused_unchanged(tmp_path, sandbox, target):
    source, journal = _registered(tmp_path)
    out = journal if target == "journal" else source
    before = out.read_bytes()
    result = invoke("register-units", source, "--journal", journal, "--out", out, *FAST)
    assert_result_failure(result, EXIT_USAGE, f"is the {target} file")
    assert out.read_bytes() == before  # the journal used to be emptied, the input replaced


def test_out_that_cannot_be_written_names_the_file(tmp_path, sandbox):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    source = units_csv(tmp_path, GOOD[0])
    result = invoke("register-units", source, "--journal", tmp_path / "r.db", "--out", "/dev/full")
    assert_result_failure(result, EXIT_USAGE, "--out /dev/full: cannot write the results")


def _special_files(tmp_path: Path) -> dict[str, Path]:
    fifo = tmp_path / "units-fifo.csv"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.csv"
    zero.symlink_to("/dev/zero")
    directory = tmp_path / "folder.csv"
    directory.mkdir()
    return {"fifo": fifo, "device": zero, "directory": directory}


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("device", "not a regular file"),
        ("fifo", "not a regular file"),
        ("directory", "is a directory"),
    ],
)
def test_an_input_that_is_no_regular_file_is_refused_at_once(tmp_path, kind, text):
    path = _special_files(tmp_path)[kind]
    commands = [
        ["register-units", path, "--dry-run", "--no-region-check"],
        ["upload-codes", path, "--plan-only", "--manifest", tmp_path / "m.db"],
    ]
    for command in commands:
        # A real process: /dev/zero used to be read for ever, a FIFO to wait for a writer.
        done = subprocess.run(
            [sys.executable, "-m", "idcode_async", *map(str, command)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert_failure(done.stderr, done.returncode, EXIT_USAGE, text)


def test_register_units_with_standard_input_closed(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "idcode_async",
            "register-units",
            "-",
            "--dry-run",
            "--no-region-check",
        ],
        preexec_fn=lambda: os.close(0),  # the child starts with no standard input at all
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_failure(done.stderr, done.returncode, EXIT_USAGE, "standard input is closed")


@pytest.mark.parametrize("encoding", ["rot13", "hex", "base64", "undefined"])
def test_an_encoding_that_is_no_text_encoding_is_a_usage_error(tmp_path, encoding):
    source = units_csv(tmp_path, *GOOD)
    result = invoke(
        "register-units", source, "--encoding", encoding, "--dry-run", "--no-region-check"
    )
    assert_result_failure(result, EXIT_USAGE, f"unknown encoding {encoding!r}")


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--concurrency", str(10**30)], "--concurrency"),
        (["--concurrency", "101"], "--concurrency"),
        (["--max-retries", str(10**30)], "--max-retries"),
        (["--show", str(10**30)], "--show"),
        (["--min-interval", "1e308", "--max-interval", "1e308"], "more than a day"),
        (["--timeout", "1e300"], "more than a day"),
        (["--workers", "100000"], "--workers"),
        (["--base-url", "http://127.0.0.1:99999"], "port outside 1-65535"),
        (["--base-url", "http://127.0.0.1:0"], "port outside 1-65535"),
    ],
)
def test_huge_numbers_are_usage_errors(tmp_path, credentials, args, text):
    source = units_csv(tmp_path, *GOOD)
    result = invoke("register-units", source, "--journal", tmp_path / "r.db", *args)
    assert_result_failure(result, EXIT_USAGE, text)
    assert not (tmp_path / "r.db").exists()


@pytest.mark.parametrize("variable", ["IDCODE_ACCESS_TOKEN", "IDCODE_AUTH_CODE"])
@pytest.mark.parametrize("value", ["", "   ", "\t"])
def test_blank_credentials_are_missing_ones(tmp_path, credentials, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    source = units_csv(tmp_path, *GOOD)
    result = invoke("register-units", source, "--journal", tmp_path / "r.db")
    assert_result_failure(result, EXIT_USAGE, "set IDCODE_ACCESS_TOKEN and IDCODE_AUTH_CODE")


BAD_REDIS = [
    ("notaurl", "must start with redis://"),
    ("http://127.0.0.1:6379", "must start with redis://"),
    ("redis://127.0.0.1:99999", "not a valid URL"),
    ("redis://:SECRETPW@", "names no host"),
    ("redis://[::1", "not a valid URL"),
]


@pytest.mark.parametrize(("url", "text"), BAD_REDIS)
def test_a_malformed_redis_url_is_a_usage_error(tmp_path, credentials, url, text):
    codes = tmp_path / "codes.txt"
    codes.write_text("A1\nA2\n", encoding="utf-8")
    upload = ["upload-codes", codes, "--company-idcode", "x", "--category-reg-id", "y"]
    for args in (
        ["worker", "--redis", url, "--burst"],
        [*upload, "--redis", url, "--run", "r"],
        ["register-units", units_csv(tmp_path, *GOOD), "--journal", "j", "--redis", url],
    ):
        result = invoke(*args)
        line = assert_result_failure(result, EXIT_USAGE, text)
        assert "SECRETPW" not in result.stderr, line


def test_a_blank_redis_variable_is_a_missing_one(tmp_path, credentials, monkeypatch):
    monkeypatch.setenv("IDCODE_REDIS_URL", "   ")
    assert_result_failure(invoke("worker", "--burst"), EXIT_USAGE, "give --redis URL")


def test_standard_output_closed_by_its_reader_exits_141(tmp_path):
    source = units_csv(tmp_path, *GOOD)
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the command writes a byte: EPIPE, every time
    try:
        for args in (
            ["--help"],
            ["--version"],
            ["register-units", source, "--dry-run", "--no-region-check", "--json"],
        ):
            done = subprocess.run(
                [sys.executable, "-m", "idcode_async", *map(str, args)],
                stdout=write,
                stderr=subprocess.PIPE,
                text=True,
                timeout=120,
            )
            assert done.returncode == EXIT_PIPE, done.stderr  # click made it 1: "rows failed"
            assert done.stderr == ""
    finally:
        os.close(write)


def test_debug_after_the_command_is_accepted(tmp_path):
    args = ("register-units", tmp_path / "nope.csv", "--dry-run", "--no-region-check")
    result = invoke(*args, "--debug")  # where a reader of the hint puts it
    assert result.exit_code == EXIT_USAGE
    assert "No such option" not in result.stderr
    assert "Traceback" in result.stderr  # --debug took effect
    assert "error: " + str(tmp_path / "nope.csv") + ": no such file" in result.stderr


def test_a_group_alone_prints_its_help_not_an_error(tmp_path):
    for args in ([], ["sandbox"]):
        result = invoke(*args)
        assert result.exit_code == EXIT_USAGE
        assert result.stderr.startswith("Usage: idcode")
        assert "error:" not in result.stderr


def test_plan_only_refuses_an_unusable_manifest_before_planning(tmp_path):
    codes = tmp_path / "codes.txt"
    codes.write_text("A1\nA2\n", encoding="utf-8")
    manifest = tmp_path / "notes.db"
    manifest.write_text("my notes\n", encoding="utf-8")
    result = invoke("upload-codes", codes, "--plan-only", "--manifest", manifest)
    assert_result_failure(result, EXIT_USAGE, "not an SQLite file")
    assert "plan:" not in result.stdout
    assert manifest.read_text(encoding="utf-8") == "my notes\n"


@pytest.fixture
def html_centre(monkeypatch: pytest.MonkeyPatch, credentials: None) -> None:
    """Every command's client reaches a web server that answers an HTML page."""
    page = httpx.MockTransport(lambda request: httpx.Response(200, html="<html>portal</html>"))
    client = partial(IdcodeClient, transport=page)
    for module in (_options, demo_module):
        monkeypatch.setattr(module, "IdcodeClient", client)


def test_an_html_answer_is_not_called_unreachable(tmp_path, html_centre):
    source = units_csv(tmp_path, *GOOD)
    result = invoke("register-units", source, "--journal", tmp_path / "r.db", *FAST)
    line = assert_result_failure(result, EXIT_ABORTED, "did not answer as the IDcode centre")
    assert "cannot reach" not in line


def test_demo_timeout_reaches_its_client(tmp_path, monkeypatch, credentials):
    seen: dict[str, object] = {}

    def recording(**kwargs: object) -> IdcodeClient:
        seen.update(kwargs)
        raise RuntimeError("recorded")

    monkeypatch.setattr(demo_module, "IdcodeClient", recording)
    result = invoke(
        "demo", "--base-url", "http://centre.test", "--timeout", "2.5", "--out", tmp_path
    )
    assert_result_failure(result, EXIT_ABORTED, "recorded")
    timeout = seen["timeout"]
    assert isinstance(timeout, httpx.Timeout)
    assert timeout.read == 2.5
    assert_result_failure(invoke("demo", "--timeout", "nan"), EXIT_USAGE, "not a finite")


def test_a_jsonl_row_nested_past_the_decoder_is_an_invalid_row(tmp_path):
    source = tmp_path / "units.jsonl"
    source.write_text("[" * 200_000 + "]" * 200_000 + "\n", encoding="utf-8")
    result = invoke("register-units", source, "--dry-run", "--no-region-check")
    assert result.exit_code == EXIT_ROWS, result.stderr  # was "unexpected RecursionError", 3
    assert "row 1: is not valid JSON (nested too deeply)" in result.stderr


@pytest.mark.parametrize("option", [["--allow-writes"], ["--company-idcode", "i.86.1.1"]])
def test_demo_real_centre_options_without_a_centre_are_refused(tmp_path, option):
    result = invoke("demo", *option, "--out", tmp_path)  # the sandbox ran, ignoring them
    assert_result_failure(result, EXIT_USAGE, "give --base-url too")


@pytest.mark.parametrize(
    "command", [["register-units", "UNITS", "--dry-run"], ["demo", "--out", "OUT"]]
)
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_while_a_request_hangs_is_an_interruption(tmp_path, command, signum):
    """Ctrl-C during a request to a centre that never answers: 130, not a false "cannot
    reach the centre" (asyncio's native cancel came back as a read timeout, exit 3)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(120)  # a guard against a hang, not a measured time
        port = listener.getsockname()[1]
        words = [
            str(units_csv(tmp_path, *GOOD)) if w == "UNITS" else str(tmp_path) if w == "OUT" else w
            for w in command
        ]
        env = {**os.environ, **KEY}
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "idcode_async",
                *words,
                "--base-url",
                f"http://127.0.0.1:{port}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        peer, _ = listener.accept()
        with peer:
            peer.settimeout(120)
            head = b""
            while b"\r\n\r\n" not in head:  # the request is in flight, unanswered
                chunk = peer.recv(65536)
                assert chunk, "the command closed the connection before its request was sent"
                head += chunk
            child.send_signal(signum)
            _, err = child.communicate(timeout=120)
    assert child.returncode == EXIT_INTERRUPTED, err
    assert "interrupted" in err
    assert "cannot reach" not in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "line", [b"1\n", b'{"redis_url": 5}\n', b'["redis://x"]\n', b"\xff\xfe\n", b"", b"[" * 100_000]
)
def test_worker_secrets_on_stdin_that_are_no_json_object_of_text(credentials, line):
    result = invoke("worker", "--secrets-on-stdin", "--burst", input=line)
    assert_result_failure(result, EXIT_USAGE, "--secrets-on-stdin: no JSON object of text")
