"""``register-units`` on the command line (in-process, against the scripted centre)."""

from __future__ import annotations

import argparse
import json
import os
import signal
from functools import partial
from pathlib import Path

import anyio
import httpx
import pytest

from idcode_async import IdcodeClient
from idcode_async._cli_support import format_duration
from idcode_async.registration import SqliteJournal, cli

from ..wire import TEST_AUTH_CODE, TEST_TOKEN
from .centre import Centre

HEADER = "login_name,organunit_name,code,province_id,city_id,area_id\n"


def units_csv(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "units.csv"
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


GOOD = [f"91110105MA0000000{i},北京测试科技有限公司{i},1,110000,110000,110105" for i in (1, 2, 3)]
BAD = "91110105MA00000009,坏行公司,1,110000,110100,110105"


@pytest.fixture
def centre(monkeypatch: pytest.MonkeyPatch) -> Centre:
    centre = Centre()
    monkeypatch.setattr(cli, "IdcodeClient", partial(IdcodeClient, transport=centre.transport()))
    monkeypatch.setenv(cli.ENV_TOKEN, TEST_TOKEN)
    monkeypatch.setenv(cli.ENV_AUTH_CODE, TEST_AUTH_CODE)
    monkeypatch.delenv(cli.ENV_BASE_URL, raising=False)
    return centre


def main(*args: object) -> int:
    return cli.main(
        ["register-units", *map(str, args), "--min-interval", "0", "--max-interval", "0"]
    )


def test_registers_and_writes_results(tmp_path, centre, capsys):
    source = units_csv(tmp_path, *GOOD)
    out = tmp_path / "results.jsonl"
    code = main(source, "--journal", tmp_path / "run.db", "--out", out, "--progress", "plain")
    assert code == cli.EXIT_OK
    results = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [r["status"] for r in results] == ["registered"] * 3
    assert [r["row"] for r in results] == [2, 3, 4]
    captured = capsys.readouterr()
    assert captured.out.startswith("3 rows, 3 registered, 0 existing, 0 invalid, 0 failed")
    assert "3/3:" in captured.err


def test_invalid_rows_give_exit_1_and_a_rerun_is_complete(tmp_path, centre, capsys):
    source = units_csv(tmp_path, GOOD[0], BAD)
    out = tmp_path / "results.csv"
    assert main(source, "--journal", tmp_path / "run.db", "--out", out) == cli.EXIT_ROWS
    assert "has no city level" in out.read_text("utf-8-sig")
    assert main(source, "--journal", tmp_path / "run.db", "--out", out) == cli.EXIT_ROWS
    assert centre.count("/unit/regist") == 1
    assert "1 from earlier runs" in capsys.readouterr().out


def test_a_lone_surrogate_row_is_invalid_with_its_number_on_every_run(tmp_path, centre):
    good = {
        "login_name": "91110105MA00000001",
        "organunit_name": "甲公司",
        "code": 1,
        "province_id": 110000,
        "city_id": 110000,
        "area_id": 110105,
    }
    source = tmp_path / "units.jsonl"
    source.write_text(
        json.dumps(good, ensure_ascii=False)
        + "\n"
        + json.dumps({**good, "login_name": "91110105MA00000002", "organunit_name": "\ud800"})
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "results.jsonl"
    for _ in range(2):
        assert main(source, "--journal", tmp_path / "run.db", "--out", out) == cli.EXIT_ROWS
        results = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
        assert sorted((r["row"], r["status"]) for r in results) == [
            (1, "registered"),
            (2, "invalid"),
        ]
    assert centre.count("/unit/regist") == 1


def test_dry_run_sends_nothing(tmp_path, centre, capsys):
    source = units_csv(tmp_path, *GOOD)
    assert main(source, "--journal", tmp_path / "run.db", "--dry-run") == cli.EXIT_OK
    assert centre.count("/unit/regist") == 0
    assert capsys.readouterr().out.startswith("dry run: 3 rows")
    assert not (tmp_path / "run.db").exists()


def test_refused_token_exits_3_with_a_resume_hint(tmp_path, centre, capsys):
    centre.script = ["code:10002"]
    source = units_csv(tmp_path, *GOOD)
    assert main(source, "--journal", tmp_path / "run.db") == cli.EXIT_ABORTED
    err = capsys.readouterr().err
    assert "access token was refused" in err
    assert "resume with: idcode register-units" in err
    assert TEST_TOKEN not in err


def test_missing_credentials_and_bad_input_are_usage_errors(tmp_path, centre, monkeypatch, capsys):
    source = units_csv(tmp_path, *GOOD)
    monkeypatch.delenv(cli.ENV_TOKEN)
    assert main(source, "--journal", tmp_path / "run.db") == cli.EXIT_USAGE
    assert "IDCODE_ACCESS_TOKEN" in capsys.readouterr().err
    monkeypatch.setenv(cli.ENV_TOKEN, TEST_TOKEN)
    (tmp_path / "bad.csv").write_text("nonsense\n1\n", encoding="utf-8")
    assert main(tmp_path / "bad.csv", "--journal", tmp_path / "run.db") == cli.EXIT_USAGE
    assert "unknown column" in capsys.readouterr().err
    bad_pacing = ["--journal", tmp_path / "run.db", "--min-interval", "2", "--max-interval", "1"]
    assert cli.main(["register-units", str(source), *map(str, bad_pacing)]) == cli.EXIT_USAGE


def test_options_override_the_environment(tmp_path, centre, monkeypatch):
    monkeypatch.delenv(cli.ENV_TOKEN)
    monkeypatch.delenv(cli.ENV_AUTH_CODE)
    source = units_csv(tmp_path, GOOD[0])
    code = main(
        source,
        "--journal",
        tmp_path / "run.db",
        "--access-token",
        TEST_TOKEN,
        "--auth-code",
        TEST_AUTH_CODE,
    )
    assert code == cli.EXIT_OK


def test_the_command_plugs_into_another_parser():
    parser = argparse.ArgumentParser(prog="idcode")
    commands = parser.add_subparsers(dest="command")
    cli.add_register_units_command(commands)
    args = parser.parse_args(["register-units", "u.csv", "--journal", "r.db"])
    assert args.handler is cli.run_register_units
    assert (args.min_interval, args.max_interval, args.concurrency) == (0.5, 1.0, 1)


def test_durations():
    assert format_duration(None) == "-"
    assert format_duration(65.4) == "1:05"
    assert format_duration(3725) == "1:02:05"


def _interrupting(centre: Centre, signals: int) -> httpx.MockTransport:
    """A transport that sends this process SIGINT ``signals`` times during the first 309."""

    async def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/unit/regist") and not centre.count("/unit/regist"):
            for _ in range(signals):
                os.kill(os.getpid(), signal.SIGINT)
                await anyio.sleep(0.05)
            await anyio.sleep(0.1)
        return centre(request)

    return httpx.MockTransport(handle)


def test_one_ctrl_c_finishes_the_row_in_flight_and_exits_130(tmp_path, centre, monkeypatch, capsys):
    monkeypatch.setattr(
        cli, "IdcodeClient", partial(IdcodeClient, transport=_interrupting(centre, 1))
    )
    source = units_csv(tmp_path, *GOOD)
    assert main(source, "--journal", tmp_path / "run.db") == cli.EXIT_INTERRUPTED
    captured = capsys.readouterr()
    assert "stopping after the request in flight" in captured.err
    assert "2 rows not yet settled" in captured.err
    assert f"resume with: idcode register-units {source}" in captured.err
    assert captured.out.startswith("3 rows, 1 registered")
    with SqliteJournal(tmp_path / "run.db") as journal:
        states = sorted(e.state.value for e in journal.entries().values())
    assert states == ["done", "pending", "pending"]


def test_ctrl_c_twice_abandons_the_request_and_journals_it_unknown(
    tmp_path, centre, monkeypatch, capsys
):
    async def hang(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/unit/regist"):
            os.kill(os.getpid(), signal.SIGINT)
            await anyio.sleep(0.05)
            os.kill(os.getpid(), signal.SIGINT)
            await anyio.sleep(30)
        return centre(request)

    monkeypatch.setattr(
        cli, "IdcodeClient", partial(IdcodeClient, transport=httpx.MockTransport(hang))
    )
    source = units_csv(tmp_path, *GOOD)
    assert main(source, "--journal", tmp_path / "run.db") == cli.EXIT_INTERRUPTED
    assert "a request in flight was abandoned" in capsys.readouterr().err
    with SqliteJournal(tmp_path / "run.db") as journal:
        states = sorted(e.state.value for e in journal.entries().values())
    assert states == ["pending", "pending", "unknown"]


def test_rich_progress_bar(tmp_path, centre, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    source = units_csv(tmp_path, *GOOD)
    assert main(source, "--journal", tmp_path / "run.db", "--progress", "bar") == cli.EXIT_OK
    err = capsys.readouterr().err
    assert "3/3" in err
    assert "registered 3" in err
