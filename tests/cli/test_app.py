"""The group: one entry point, the version, help with exit codes, completion, sandbox serve."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx

from idcode_async import __version__
from idcode_async.cli._exit import EXIT_USAGE
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE

from .conftest import assert_failure, assert_result_failure, invoke, run_idcode


def test_version_prints_the_package_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"idcode-async {__version__}"
    done = run_idcode("--version")
    assert done.stdout.strip() == f"idcode-async {__version__}"


def test_help_lists_the_commands_and_the_exit_codes():
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("demo", "sandbox", "register-units", "upload-codes", "worker"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.M), command
    for code in ("0", "1", "2", "3", "130"):
        assert re.search(rf"^\s+{code}\s+\S", result.stdout, re.M), code


def test_the_script_and_python_m_are_the_same_entry_point():
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text("utf-8"))
    assert project["project"]["scripts"]["idcode"] == "idcode_async.cli:main"
    main_module = (Path(__file__).parents[2] / "idcode_async" / "__main__.py").read_text("utf-8")
    assert "from .cli import main" in main_module


def test_unknown_commands_are_usage_errors():
    result = invoke("no-such-command")
    assert_result_failure(result, EXIT_USAGE, "No such command")


def test_shell_completion_completes_commands_and_options():
    env = {"_IDCODE_COMPLETE": "bash_complete", "COMP_WORDS": "idcode reg", "COMP_CWORD": "1"}
    done = run_idcode(env=env)
    assert "register-units" in done.stdout
    env = {
        "_IDCODE_COMPLETE": "bash_complete",
        "COMP_WORDS": "idcode upload-codes --interface-",
        "COMP_CWORD": "2",
    }
    assert "--interface-version" in run_idcode(env=env).stdout
    source = run_idcode(env={"_IDCODE_COMPLETE": "bash_source"})
    assert "_idcode_completion" in source.stdout


def test_sandbox_serve_refuses_a_remote_host_without_the_flag():
    result = invoke("sandbox", "serve", "--host", "0.0.0.0")
    line = assert_result_failure(result, EXIT_USAGE, "not a loopback address")
    assert "--allow-remote" in result.stderr
    assert line
    result = invoke("sandbox", "serve", "--port", "70000")
    assert_result_failure(result, EXIT_USAGE, "--port")


def test_sandbox_serve_refuses_a_port_in_use():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_idcode("sandbox", "serve", "--port", port)
    assert_failure(done.stderr, done.returncode, EXIT_USAGE, f"cannot listen on 127.0.0.1:{port}")


def test_sandbox_serve_prints_its_url_and_the_test_key_and_answers():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDCODE_")}
    child = subprocess.Popen(
        [sys.executable, "-m", "idcode_async", "sandbox", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline().strip()
        assert first == f"sandbox: http://127.0.0.1:{port}"
        key = child.stdout.readline() + child.stdout.readline()
        assert TEST_ACCESS_TOKEN in key
        assert TEST_AUTH_CODE in key
        for _ in range(200):
            try:
                answer = httpx.post(f"http://127.0.0.1:{port}/sp/idcode/companyinfo/base", data={})
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert answer.status_code == 200
        assert answer.json()["result_code"] == 10001  # unsigned: refused, as the centre would
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=10)
