"""``idcode register-units``: inputs as offices write them, dry runs, JSON, results, resume."""

from __future__ import annotations

import csv
import json
import os
import shlex
import signal
from functools import partial

import anyio
import httpx
import pytest

from idcode_async import IdcodeClient
from idcode_async.cli import _options as options_module
from idcode_async.cli._exit import EXIT_INTERRUPTED, EXIT_OK, EXIT_ROWS, EXIT_USAGE
from idcode_async.registration import SqliteJournal
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox

from .conftest import (
    BAD_CITY,
    FAST,
    GOOD,
    HEADER,
    assert_result_failure,
    invoke,
    run_idcode,
    units_csv,
)


def test_registers_writes_results_and_prints_one_summary_line(tmp_path, sandbox):
    out = tmp_path / "results.jsonl"
    source = units_csv(tmp_path, *GOOD)
    result = invoke("register-units", source, "--journal", tmp_path / "r.db", "--out", out, *FAST)
    assert result.exit_code == EXIT_OK, result.stderr
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [(r["row"], r["status"]) for r in rows] == [
        (2, "registered"),
        (3, "registered"),
        (4, "registered"),
    ]
    assert result.stdout.startswith("3 rows, 3 registered, 0 existing, 0 invalid, 0 failed")
    assert sandbox.stats()["signature_failures"] == 0


def test_a_gbk_csv_from_excel_is_read_and_the_guess_said_in_one_line(tmp_path, sandbox):
    source = units_csv(tmp_path, *GOOD, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        source.read_bytes().decode("utf-8")  # the test wrote a real GBK file
    out = tmp_path / "results.csv"
    result = invoke("register-units", source, "--journal", tmp_path / "r.db", "--out", out, *FAST)
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stderr.count("read as GB18030") == 1
    with out.open(encoding="utf-8-sig", newline="") as stream:
        names = [row["organunit_name"] for row in csv.DictReader(stream)]
    assert names == [f"北京测试科技有限公司{i}" for i in (1, 2, 3)]


def test_encoding_option_and_a_file_in_no_known_encoding(tmp_path, sandbox):
    source = units_csv(tmp_path, *GOOD, encoding="gbk")
    result = invoke("register-units", source, "--encoding", "gbk", "--dry-run", "--no-region-check")
    assert result.exit_code == EXIT_OK, result.stderr
    assert "GB18030" not in result.stderr
    result = invoke(
        "register-units", source, "--encoding", "utf-8", "--dry-run", "--no-region-check"
    )
    assert_result_failure(result, EXIT_USAGE, "line 2 is not utf-8 text")
    result = invoke(
        "register-units", source, "--encoding", "nope", "--dry-run", "--no-region-check"
    )
    assert_result_failure(result, EXIT_USAGE, "unknown encoding 'nope'")


def test_a_remarks_column_is_ignored_with_a_notice_or_refused_when_strict(tmp_path, sandbox):
    source = tmp_path / "units.csv"
    source.write_text(HEADER.rstrip("\n") + ",备注\n" + GOOD[0] + ",老客户\n", encoding="utf-8")
    result = invoke("register-units", source, "--dry-run", "--no-region-check")
    assert result.exit_code == EXIT_OK
    assert "ignoring column(s) that are not 309's: 备注" in result.stderr
    strict = invoke("register-units", source, "--dry-run", "--no-region-check", "--strict-columns")
    assert_result_failure(strict, EXIT_USAGE, "unknown column(s) 备注")
    jsonl = tmp_path / "units.jsonl"
    record = dict(zip(HEADER.strip().split(","), GOOD[0].split(","), strict=True))
    jsonl.write_text(json.dumps({**record, "备注": "x"}, ensure_ascii=False) + "\n", "utf-8")
    result = invoke("register-units", jsonl, "--dry-run", "--no-region-check")
    assert result.exit_code == EXIT_OK
    assert "ignoring key(s) that are not 309's: 备注" in result.stderr


def test_an_empty_input_has_nothing_to_do(tmp_path, sandbox):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = invoke("register-units", empty, "--journal", tmp_path / "r.db", "--json")
    assert result.exit_code == EXIT_OK
    assert "nothing to do" in result.stderr
    assert json.loads(result.stdout)["total"] == 0
    assert not (tmp_path / "r.db").exists()


def test_standard_input_in_a_real_process(tmp_path):
    data = (HEADER + GOOD[0] + "\n" + BAD_CITY.replace("110100", "") + "\n").encode("gbk")
    done = run_idcode("register-units", "-", "--dry-run", "--no-region-check", input=data)
    assert done.returncode == EXIT_ROWS, done.stderr
    assert "read as GB18030" in done.stderr
    assert "row 3: city_id" in done.stderr
    assert done.stdout.startswith("dry run: 2 rows, 1 valid, 1 invalid")


def test_dry_run_shows_findings_without_credentials_or_journal(tmp_path, monkeypatch):
    monkeypatch.delenv("IDCODE_ACCESS_TOKEN", raising=False)
    lines = [GOOD[0]] + [f"9111010500000{n:04d},,1,110000,110000,110105" for n in range(30)]
    source = units_csv(tmp_path, *lines)
    result = invoke("register-units", source, "--dry-run", "--no-region-check", "--show", "5")
    assert result.exit_code == EXIT_ROWS
    shown = [line for line in result.stderr.splitlines() if line.startswith("row ")]
    assert shown == [f"row {n}: organunit_name: is required" for n in range(3, 8)]
    assert "… and 25 more invalid rows" in result.stderr
    assert result.stdout.startswith("dry run: 31 rows, 1 valid, 30 invalid")


def test_dry_run_with_the_region_check_reports_regions(tmp_path, sandbox):
    source = units_csv(tmp_path, GOOD[0], BAD_CITY)
    result = invoke("register-units", source, "--dry-run", "--json")
    assert result.exit_code == EXIT_ROWS
    summary = json.loads(result.stdout)
    assert (summary["valid"], summary["invalid"], summary["exit_code"]) == (1, 1, EXIT_ROWS)
    (finding,) = summary["findings"]
    assert finding["row"] == 3
    assert finding["field"] == "city_id"
    assert sandbox.stats()["requests"].get("/sp/idcode/unit/regist", 0) == 0


def test_json_summary_is_one_object_and_messages_stay_on_stderr(tmp_path, sandbox):
    source = units_csv(tmp_path, GOOD[0], BAD_CITY)
    result = invoke(
        "register-units",
        source,
        "--journal",
        tmp_path / "r.db",
        "--json",
        "--progress",
        "plain",
        *FAST,
    )
    assert result.exit_code == EXIT_ROWS
    summary = json.loads(result.stdout)
    assert summary["command"] == "register-units"
    assert (summary["total"], summary["registered"], summary["invalid"]) == (2, 1, 1)
    assert summary["exit_code"] == EXIT_ROWS
    assert "2/2:" in result.stderr


def test_results_csv_is_safe_to_open_in_excel(tmp_path, sandbox):
    lines = [
        '91110105MA00000001,=HYPERLINK("http://evil.example"),1,110000,110000,110105',
        "91110105MA00000002,@SUM(A1),1,110000,110000,110105",
        "91110105MA00000003,-2+3 公司,1,110000,110000,110105",
    ]
    out = tmp_path / "results.csv"
    source = units_csv(tmp_path, *lines)
    result = invoke("register-units", source, "--journal", tmp_path / "r.db", "--out", out, *FAST)
    assert result.exit_code == EXIT_OK, result.stderr
    with out.open(encoding="utf-8-sig", newline="") as stream:
        names = [row["organunit_name"] for row in csv.DictReader(stream)]
    assert names == ['\'=HYPERLINK("http://evil.example")', "'@SUM(A1)", "'-2+3 公司"]


def _interrupting(box: Sandbox, signals: int, then_sleep: float) -> httpx.AsyncBaseTransport:
    """The sandbox, with SIGINT sent to this process ``signals`` times during the first 309."""
    inner = box.transport()
    sent = []

    class Interrupting(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/unit/regist") and not sent:
                sent.append(request)
                for _ in range(signals):
                    os.kill(os.getpid(), signal.SIGINT)
                    await anyio.sleep(0.05)
                await anyio.sleep(then_sleep)
            return await inner.handle_async_request(request)

    return Interrupting()


def test_ctrl_c_once_finishes_the_row_and_prints_a_complete_resume_command(
    tmp_path, sandbox, monkeypatch
):
    transport = _interrupting(sandbox, 1, 0.1)
    monkeypatch.setattr(options_module, "IdcodeClient", partial(IdcodeClient, transport=transport))
    monkeypatch.setenv("IDCODE_BASE_URL", "https://apitest.example")
    source = units_csv(tmp_path, *GOOD)
    journal, out = tmp_path / "r.db", tmp_path / "r.csv"
    args = ["--journal", journal, "--out", out, "--max-retries", "2", *FAST]
    result = invoke("register-units", source, *args)
    assert result.exit_code == EXIT_INTERRUPTED
    assert "stopping after the request in flight" in result.stderr
    assert "2 rows not yet settled" in result.stderr
    (hint,) = [line for line in result.stderr.splitlines() if line.startswith("resume with: ")]
    words = shlex.split(hint.removeprefix("resume with: "))
    assert words[:3] == ["idcode", "register-units", str(source)]
    assert words[words.index("--base-url") + 1] == "https://apitest.example"
    assert words[words.index("--max-retries") + 1] == "2"
    assert words[words.index("--journal") + 1] == str(journal)
    assert TEST_ACCESS_TOKEN not in hint
    assert TEST_AUTH_CODE not in hint
    with SqliteJournal(journal) as store:
        assert sorted(e.state.value for e in store.entries()) == [
            "done",
            "pending",
            "pending",
        ]
    monkeypatch.setattr(
        options_module, "IdcodeClient", partial(IdcodeClient, transport=sandbox.transport())
    )
    again = invoke(*words[1:])
    assert again.exit_code == EXIT_OK, again.stderr
    assert "1 from earlier runs" in again.stdout


def test_ctrl_c_twice_abandons_the_request_and_journals_it_unknown(tmp_path, sandbox, monkeypatch):
    transport = _interrupting(sandbox, 2, 30)
    monkeypatch.setattr(options_module, "IdcodeClient", partial(IdcodeClient, transport=transport))
    source = units_csv(tmp_path, *GOOD)
    result = invoke("register-units", source, "--journal", tmp_path / "r.db", *FAST)
    assert result.exit_code == EXIT_INTERRUPTED
    assert "a request in flight was abandoned" in result.stderr
    assert "resume with: idcode register-units" in result.stderr
    with SqliteJournal(tmp_path / "r.db") as store:
        states = sorted(e.state.value for e in store.entries())
    assert states == ["pending", "pending", "unknown"]


def test_the_progress_bar_reads_at_80_columns(tmp_path, sandbox, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    source = units_csv(tmp_path, *GOOD)
    result = invoke(
        "register-units", source, "--journal", tmp_path / "r.db", "--progress", "bar", *FAST
    )
    assert result.exit_code == EXIT_OK, result.stderr
    lines = result.stderr.splitlines()
    bar = next(line for line in lines if line.startswith("309"))
    assert bar.rstrip().endswith("3/3")
    assert len(bar.rstrip()) <= 80
    assert bar.count("━") >= 40  # the bar keeps most of the line
    assert any("registered 3 · existing 0 · invalid 0 · failed 0" in line for line in lines)
    assert "…" not in result.stderr
