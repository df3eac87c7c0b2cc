"""Results files, the summary and progress snapshots."""

from __future__ import annotations

import csv
import json

import pytest

from idcode_async._denylist import SecretFieldError, check_no_secret_names, is_secret_name
from idcode_async.registration import (
    BatchSummary,
    CsvResultsWriter,
    JsonlResultsWriter,
    Progress,
    RowOutcome,
    open_results,
)
from idcode_async.registration.outcomes import OUTCOME_FIELDS, ProgressTracker

REGISTERED = RowOutcome(
    row=2,
    status="registered",
    organunit_name="北京测试科技有限公司1",
    login_name="91110105MA00000001",
    organunit_idcode="i.86.110105.1",
    attempts=1,
    key="ab" * 32,
)
INVALID = RowOutcome(row=3, status="invalid", organunit_name=None, message="login_name is required")


def test_jsonl_results(tmp_path):
    path = tmp_path / "results.jsonl"
    with open_results(path) as writer:
        assert isinstance(writer, JsonlResultsWriter)
        writer.write(REGISTERED)
        writer.write(INVALID)
    first, second = (json.loads(line) for line in path.read_text("utf-8").splitlines())
    assert first["organunit_name"] == "北京测试科技有限公司1"
    assert "北京" in path.read_text("utf-8")  # Chinese kept as text
    assert first["organunit_idcode"] == "i.86.110105.1"
    assert first["reconciled"] is False
    assert second == {**dict.fromkeys(OUTCOME_FIELDS), **second}
    assert (second["status"], second["message"]) == ("invalid", "login_name is required")


def test_csv_results_with_bom_for_excel(tmp_path):
    path = tmp_path / "results.csv"
    with open_results(path) as writer:
        assert isinstance(writer, CsvResultsWriter)
        writer.write(REGISTERED)
        writer.write(INVALID)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0]) == list(OUTCOME_FIELDS)
    assert (rows[0]["status"], rows[0]["reconciled"], rows[0]["code"]) == (
        "registered",
        "false",
        "",
    )
    assert rows[1]["organunit_name"] == ""


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_excel_would_run_as_formulas_are_text(tmp_path, start):
    path = tmp_path / "results.csv"
    name = start + 'HYPERLINK("http://evil.example","x")'
    with open_results(path) as writer:
        writer.write(RowOutcome(row=2, status="invalid", organunit_name=name, message="-1 bad"))
        writer.write(REGISTERED)
    with path.open(encoding="utf-8-sig", newline="") as stream:
        first, second = csv.DictReader(stream)
    assert first["organunit_name"] == "'" + name
    assert first["message"] == "'-1 bad"
    assert second["organunit_name"] == "北京测试科技有限公司1"  # ordinary text untouched
    assert second["attempts"] == "1"


def test_lines_reach_the_file_as_they_are_written(tmp_path):
    path = tmp_path / "results.jsonl"
    writer = JsonlResultsWriter(path)
    writer.write(REGISTERED)
    assert path.read_text("utf-8").count("\n") == 1  # before close: a killed run keeps it
    writer.close()


@pytest.mark.parametrize(
    "name", ["access_token", "hash", "auth_code", "login_pwd", "Password", "api_secret"]
)
def test_denylist(name):
    assert is_secret_name(name)
    with pytest.raises(SecretFieldError):
        check_no_secret_names(["row", name], where="results")


def test_outcome_fields_are_not_secret():
    assert not any(is_secret_name(name) for name in OUTCOME_FIELDS)


def test_summary_describe_and_complete():
    summary = BatchSummary(
        total=10,
        registered=6,
        existing=1,
        invalid=2,
        failed=0,
        resumed=3,
        submissions=5,
        elapsed=4.25,
    )
    assert summary.describe() == (
        "10 rows, 6 registered, 1 existing, 2 invalid, 0 failed, 1 pending, "
        "3 from earlier runs, 5 submissions in 4.2 s"
    )
    assert summary.describe(sent=False) == (
        "10 rows, 6 registered, 1 existing, 2 invalid, 0 failed, 1 pending, "
        "3 from earlier runs in 4.2 s"
    )
    assert isinstance(summary, Progress)
    assert (summary.pending, summary.remaining, summary.done) == (1, 1, 9)
    assert not summary.complete
    assert BatchSummary(total=2, registered=1, invalid=1).complete


def test_progress_rate_over_recent_completions_and_eta():
    now = [0.0]
    tracker = ProgressTracker(10, clock=lambda: now[0], window=3)
    tracker.record(INVALID)
    snapshot = tracker.snapshot()
    assert (snapshot.invalid, snapshot.rate, snapshot.eta) == (1, None, None)
    for t in (1.0, 2.0, 3.0, 4.0):
        now[0] = t
        tracker.record(REGISTERED)
    snapshot = tracker.snapshot()
    assert snapshot.rate == pytest.approx(3 / 3.0)  # the last 3 completions, over 3 s
    assert snapshot.eta == pytest.approx(5 / 1.0)
    assert (snapshot.done, snapshot.remaining) == (5, 5)
    now[0] = 10.0  # a stall slows the rate down
    assert tracker.snapshot().rate == pytest.approx(3 / 9.0)


def test_resumed_rows_do_not_count_as_speed():
    now = [0.0]
    tracker = ProgressTracker(3, clock=lambda: now[0])
    now[0] = 1.0
    tracker.record(RowOutcome(row=2, status="registered", organunit_name="x", resumed=True))
    snapshot = tracker.snapshot()
    assert (snapshot.registered, snapshot.resumed, snapshot.rate) == (1, 1, None)
