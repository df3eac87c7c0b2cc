"""``idcode register-units --redis URL --workers N`` and ``idcode worker``: as processes, and
in this process (the workers it starts are processes either way)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from idcode_async import scale
from idcode_async.cli import main as idcode_main
from idcode_async.registration import read_units_csv
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.sandbox.serve import running

from ..cli.conftest import assert_failure
from ..registration.sandbox_rows import invalid_rows, valid_rows, write_csv


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    sandbox = Sandbox()
    with running(sandbox) as base_url:
        yield sandbox, base_url


def env(base_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "IDCODE_ACCESS_TOKEN": TEST_ACCESS_TOKEN,
        "IDCODE_AUTH_CODE": TEST_AUTH_CODE,
        "IDCODE_BASE_URL": base_url,
        **extra,
    }


def register(source: Path, *extra: str, environ: dict[str, str], timeout: float = 90):
    command = [
        sys.executable,
        "-m",
        "idcode_async",
        "register-units",
        str(source),
        "--min-interval",
        "0.01",
        "--max-interval",
        "0.02",
        "--progress",
        "plain",
        *extra,
    ]
    return subprocess.run(command, env=environ, capture_output=True, text=True, timeout=timeout)


def test_register_units_with_redis_runs_workers_and_writes_every_result(
    served, redis_url, tmp_path
):
    sandbox, base_url = served
    valid = valid_rows(30, prefix="命令单位")
    source = write_csv(tmp_path / "units.csv", valid + invalid_rows())
    out = tmp_path / "results.jsonl"
    done = register(
        source,
        "--journal",
        "cli-run",
        "--redis",
        "--workers",
        "3",
        "--out",
        str(out),
        environ=env(base_url, IDCODE_REDIS_URL=redis_url),
    )
    assert done.returncode == 1, done.stderr  # 1: the invalid rows are reported
    assert "Traceback" not in done.stderr
    assert f"37 rows, 30 registered, 0 existing, {len(invalid_rows())} invalid" in done.stdout
    assert "3 local worker(s)" in done.stderr
    results = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len(results) == 37
    assert sorted({r["status"] for r in results}) == ["invalid", "registered"]
    by_name = httpx.get(f"{base_url}/_sandbox/stats").json()["submissions_by_name"]["309"]
    assert sorted(by_name) == sorted(str(r["organunit_name"]) for r in valid)
    assert set(by_name.values()) == {1}
    for blob in (done.stdout, done.stderr, out.read_text("utf-8")):
        assert TEST_ACCESS_TOKEN not in blob
        assert TEST_AUTH_CODE not in blob
    # the same command again: everything is settled, nothing is sent
    again = register(
        source,
        "--journal",
        "cli-run",
        "--redis",
        redis_url,
        "--workers",
        "2",
        environ=env(base_url),
    )
    assert again.returncode == 1, again.stderr
    assert "(0 new)" in again.stderr
    assert len(sandbox.state.units) == 30
    assert httpx.get(f"{base_url}/_sandbox/stats").json()["requests"]["309"] == 30


@pytest.fixture
def credentials(served, monkeypatch):
    """In-process runs: the command reads its credentials and centre from the environment."""
    _, base_url = served
    monkeypatch.setenv("IDCODE_ACCESS_TOKEN", TEST_ACCESS_TOKEN)
    monkeypatch.setenv("IDCODE_AUTH_CODE", TEST_AUTH_CODE)
    monkeypatch.setenv("IDCODE_BASE_URL", base_url)
    return base_url


def main(source: Path, *extra: str) -> int:
    """``idcode register-units`` in this process (its workers are still processes)."""
    return idcode_main(
        [
            "register-units",
            str(source),
            "--min-interval",
            "0.01",
            "--max-interval",
            "0.02",
            "--progress",
            "plain",
            *extra,
        ]
    )


def test_register_units_with_redis_dry_run_sends_nothing(
    served, credentials, redis_url, tmp_path, capsys
):
    sandbox, base_url = served
    source = write_csv(tmp_path / "units.csv", valid_rows(3) + invalid_rows()[:2])
    assert main(source, "--journal", "dry", "--redis", redis_url, "--dry-run") == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("dry run: 5 rows, 3 valid, 2 invalid")
    assert "row 5:" in captured.err
    assert len(sandbox.state.units) == 0
    assert "309" not in httpx.get(f"{base_url}/_sandbox/stats").json()["requests"]


def test_register_units_with_redis_in_process_resumes_a_run_and_follows_remote_workers(
    served, credentials, redis_url, tmp_path, capsys
):
    _, base_url = served
    valid = valid_rows(6, prefix="跟随单位")
    source = write_csv(tmp_path / "units.csv", valid)
    out = tmp_path / "results.csv"
    assert main(source, "--journal", "follow", "--redis", redis_url, "--workers", "1") == 0
    captured = capsys.readouterr()
    assert "6 rows, 6 registered" in captured.out
    # again, with no local worker: everything is settled, so it ends at once, sending nothing
    assert (
        main(
            source, "--journal", "follow", "--redis", redis_url, "--workers", "0", "--out", str(out)
        )
        == 0
    )
    assert "(0 new)" in capsys.readouterr().err
    assert out.read_text("utf-8-sig").count("registered") == 6
    assert httpx.get(f"{base_url}/_sandbox/stats").json()["requests"]["309"] == 6


def enqueue_units(redis_url: str, base_url: str, tmp_path: Path, run: str, count: int) -> None:
    """``count`` valid rows loaded as the run ``run``, with one drain job enqueued."""
    from idcode_async.scale import enqueue_registration

    rows = read_units_csv(write_csv(tmp_path / "u.csv", valid_rows(count, prefix=f"{run}单位")))
    enqueue = enqueue_registration(
        redis_url,
        list(rows),
        run,
        access_token=TEST_ACCESS_TOKEN,
        base_url=base_url,
        check_regions=False,
        min_interval=0.0,
        max_interval=0.01,
    )
    assert len(anyio.run(lambda: enqueue).job_ids) == 1


def test_the_worker_command_serves_the_drain_job_in_burst_mode(
    served, credentials, redis_url, tmp_path, capsys
):
    sandbox, base_url = served
    enqueue_units(redis_url, base_url, tmp_path, "by-worker", 4)
    assert idcode_main(["worker", "--redis", redis_url, "--burst", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["command"], summary["jobs_complete"], summary["signals"]) == ("worker", 1, 0)
    assert len(sandbox.state.units) == 4


def test_the_worker_keeps_credentials_given_as_options_out_of_its_environment(
    served, redis_url, tmp_path, capsys, monkeypatch
):
    """A secret copied into ``os.environ`` would reach every child process and
    ``/proc/PID/environ``: the jobs get the credentials through their context instead."""
    sandbox, base_url = served
    for name in ("IDCODE_ACCESS_TOKEN", "IDCODE_AUTH_CODE"):
        monkeypatch.delenv(name, raising=False)
    enqueue_units(redis_url, base_url, tmp_path, "by-options", 2)
    before = dict(os.environ)
    secrets = ["--access-token", TEST_ACCESS_TOKEN, "--auth-code", TEST_AUTH_CODE]
    assert idcode_main(["worker", "--redis", redis_url, "--burst", "--json", *secrets]) == 0
    assert json.loads(capsys.readouterr().out)["jobs_complete"] == 1
    assert len(sandbox.state.units) == 2  # the job had the credentials
    assert dict(os.environ) == before
    assert not {TEST_ACCESS_TOKEN, TEST_AUTH_CODE} & set(os.environ.values())


def test_local_workers_get_the_secrets_through_a_pipe_not_environment_or_arguments(
    redis_url, tmp_path, monkeypatch
):
    """``/proc/PID/environ`` and every grandchild show a process's environment, and ``ps``
    its arguments: the workers that ``--redis`` starts read the secrets from their stdin."""
    from idcode_async.cli import _scale
    from idcode_async.cli._options import Credentials

    seen = tmp_path / "seen.json"
    probe = (
        "import json, os, sys; json.dump({'env': dict(os.environ), 'argv': sys.argv, "
        f"'stdin': sys.stdin.read()}}, open({str(seen)!r}, 'w'))"
    )
    monkeypatch.setattr(_scale, "worker_command", lambda: [sys.executable, "-c", probe])
    url = redis_url.replace("redis://", "redis://:redis-password@")
    for name, value in env("http://127.0.0.1:9/", IDCODE_REDIS_URL=url).items():
        monkeypatch.setenv(name, value)  # as an operator sets them
    credentials = Credentials(TEST_ACCESS_TOKEN, TEST_AUTH_CODE)

    async def start() -> None:
        [worker] = await _scale._start_workers(1, "piped", redis_url, credentials)
        assert await worker.wait() == 0
        await worker.aclose()

    anyio.run(start)
    child = json.loads(seen.read_text())
    exposed = json.dumps([child["env"], child["argv"]])
    for secret in (TEST_ACCESS_TOKEN, TEST_AUTH_CODE, "redis-password", redis_url):
        assert secret not in exposed
    assert json.loads(child["stdin"]) == {
        "redis_url": redis_url,
        "access_token": TEST_ACCESS_TOKEN,
        "auth_code": TEST_AUTH_CODE,
    }
    assert child["env"]["IDCODE_BASE_URL"] == "http://127.0.0.1:9/"  # the rest is inherited


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--journal", "bad run id"), "run id must be"),
        (("--journal", "r", "--lease", "5"), "must be longer than the request timeout"),
        (("--journal", "r", "--workers", "-1"), "--workers"),
        (("--journal", "r", "--base-url", "//user:pw@host"), "base_url must be an absolute"),
    ],
)
def test_register_units_with_redis_refuses_bad_settings(
    credentials, redis_url, tmp_path, extra, message, capsys
):
    source = write_csv(tmp_path / "units.csv", valid_rows(1))
    code = main(source, *extra, "--redis", redis_url)
    assert_failure(capsys.readouterr().err, code, 2, message)


def test_register_units_with_redis_and_no_url_is_a_usage_error(served, tmp_path):
    _, base_url = served
    source = write_csv(tmp_path / "units.csv", valid_rows(1))
    environ = env(base_url)
    environ.pop("IDCODE_REDIS_URL", None)
    done = register(source, "--journal", "r", "--redis", environ=environ)
    assert_failure(done.stderr, done.returncode, 2, "--redis needs a URL")


def test_worker_needs_credentials(redis_url):
    base = [sys.executable, "-m", "idcode_async", "worker", "--redis", redis_url, "--burst"]
    bare = {k: v for k, v in os.environ.items() if not k.startswith("IDCODE_")}
    done = subprocess.run(base, env=bare, capture_output=True, text=True)
    assert_failure(done.stderr, done.returncode, 2, "IDCODE_ACCESS_TOKEN and IDCODE_AUTH_CODE")


def test_worker_help_documents_the_one_way_and_the_two_stage_stop():
    done = subprocess.run(
        [sys.executable, "-m", "idcode_async", "worker", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert "--run" not in done.stdout
    assert "--burst" in done.stdout
    assert "Twice" in done.stdout


def test_worker_without_a_redis_url_is_a_usage_error(capsys, monkeypatch):
    monkeypatch.delenv("IDCODE_REDIS_URL", raising=False)
    code = idcode_main(["worker", "--burst"])
    assert_failure(capsys.readouterr().err, code, 2, "--redis URL")


def test_an_unreachable_redis_is_one_error_line(tmp_path, credentials, capsys):
    source = write_csv(tmp_path / "units.csv", valid_rows(1))
    code = main(source, "--journal", "r", "--redis", "redis://127.0.0.1:9/0", "--no-region-check")
    assert_failure(capsys.readouterr().err, code, 3, "Redis at the given URL")


def test_a_run_id_of_the_other_kind_is_one_usage_error(served, redis_url, tmp_path, capsys):
    _, base_url = served
    scale.load_run(
        redis_url,
        read_units_csv(write_csv(tmp_path / "units.csv", valid_rows(2))),
        "shared-name",
        access_token=TEST_ACCESS_TOKEN,
        base_url=base_url,
        check_regions=False,
    )
    codes = tmp_path / "codes.txt"
    codes.write_text("A1\nA2\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env(base_url, IDCODE_REDIS_URL=redis_url).items():
            patch.setenv(name, value)
        code = idcode_main(
            [
                *("upload-codes", str(codes), "--company-idcode", "C", "--category-reg-id", "R"),
                *("--redis", redis_url, "--run", "shared-name", "--workers", "1"),
            ]
        )
    line = assert_failure(capsys.readouterr().err, code, 2, "is a registration run")
    assert "not an upload run" in line
