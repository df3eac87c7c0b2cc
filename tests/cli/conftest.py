"""The ``idcode`` command under test: click's CliRunner in-process, and real subprocesses.

In-process runs reach an in-process sandbox through its transport (the commands' clients are
built with it); subprocess runs reach a sandbox served on loopback (``idcode_sandbox_url``).
Every failure is checked the same way: its exit code, exactly one ``error:`` line, at most
one ``hint:`` line, and no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from idcode_async import IdcodeClient
from idcode_async._env import ENV_AUTH_CODE, ENV_BASE_URL, ENV_REDIS_URL, ENV_TOKEN
from idcode_async.cli import _options, demo
from idcode_async.cli.app import cli
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox

HEADER = "login_name,organunit_name,code,province_id,city_id,area_id\n"
GOOD = [f"91110105MA0000000{i},北京测试科技有限公司{i},1,110000,110000,110105" for i in (1, 2, 3)]
BAD_CITY = "91110105MA00000009,坏行公司,1,110000,110100,110105"
FAST = ("--min-interval", "0", "--max-interval", "0")


def units_csv(
    tmp_path: Path, *lines: str, name: str = "units.csv", encoding: str = "utf-8"
) -> Path:
    path = tmp_path / name
    path.write_bytes((HEADER + "".join(line + "\n" for line in lines)).encode(encoding))
    return path


def invoke(*args: object, input: bytes | str | None = None) -> Result:
    """``idcode ARGS`` in-process; the group applies the error contract itself."""
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def assert_failure(stderr: str, exit_code: int, expected: int, text: str) -> str:
    """One ``error:`` line containing ``text``, at most one ``hint:``, no traceback."""
    assert exit_code == expected, stderr
    lines = stderr.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    assert text in errors[0], errors[0]
    assert len([line for line in lines if line.startswith("hint: ")]) <= 1, stderr
    assert "Traceback" not in stderr
    assert "ExceptionGroup" not in stderr
    return errors[0]


def assert_result_failure(result: Result, expected: int, text: str) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return assert_failure(result.stderr, result.exit_code, expected, text)


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_TOKEN, TEST_ACCESS_TOKEN)
    monkeypatch.setenv(ENV_AUTH_CODE, TEST_AUTH_CODE)
    monkeypatch.delenv(ENV_BASE_URL, raising=False)
    monkeypatch.delenv(ENV_REDIS_URL, raising=False)


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch, credentials: None) -> Iterator[Sandbox]:
    """A sandbox every command's client reaches in-process, with the test key set."""
    with Sandbox(approval_delay=0) as box:
        client = partial(IdcodeClient, transport=box.transport())
        for module in (_options, demo):
            monkeypatch.setattr(module, "IdcodeClient", client)
        yield box


def run_idcode(
    *args: object,
    env: dict[str, str] | None = None,
    input: bytes | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m idcode_async ARGS`` in its own process."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("IDCODE_")}
    environment.update(env or {})
    done = subprocess.run(
        [sys.executable, "-m", "idcode_async", *map(str, args)],
        env=environment,
        input=input,
        capture_output=True,
        timeout=120,
        cwd=cwd,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    )
