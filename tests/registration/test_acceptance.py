"""Acceptance: the batch against the sandbox served by uvicorn on 127.0.0.1.

- SIGKILL at random points, several times, then resume: every valid row registered exactly
  once, by the sandbox's own per-name counters of processed submissions.
- A kill while a request is in flight: the resumed run settles the row before any resend.
- Faults (busy, dropped connections before and after processing, HTML 502) during a batch:
  the same exactly-once result.
- Pacing measured on the server: no two submission starts closer than the minimum pause.
- Neither the journal nor the results nor the console ever holds a credential.

"Exactly once" as asserted here: the sandbox holds exactly one unit per valid name, and it
*processed* exactly one submission per valid name (``submissions_by_name``; a request whose
answer was lost after processing counts, and so would a resend refused with 10007).  A count
of 2 would mean the runner resent a row although the journal, with 307, could have known.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import anyio
import httpx
import pytest

from idcode_async import IdcodeClient, RetryPolicy
from idcode_async.registration import LocalPacer, read_units_csv, register_units
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.sandbox.serve import running

from .sandbox_rows import invalid_rows, valid_rows, write_csv

pytestmark = pytest.mark.slow


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    sandbox = Sandbox()
    with running(sandbox) as base_url:
        yield sandbox, base_url


def stats_over_http(base_url: str) -> dict[str, object]:
    return httpx.get(f"{base_url}/_sandbox/stats", timeout=10).json()


def cli_command(source: Path, journal: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "idcode_async",
        "register-units",
        str(source),
        "--journal",
        str(journal),
        "--out",
        str(out),
        "--min-interval",
        "0.01",
        "--max-interval",
        "0.02",
        "--progress",
        "none",
        *extra,
    ]


def cli_env(base_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "IDCODE_ACCESS_TOKEN": TEST_ACCESS_TOKEN,
        "IDCODE_AUTH_CODE": TEST_AUTH_CODE,
        "IDCODE_BASE_URL": base_url,
    }


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.002)


def journal_states(path: Path) -> dict[str, int]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return dict(db.execute("SELECT state, COUNT(*) FROM items GROUP BY state").fetchall())
    except sqlite3.OperationalError:  # the schema is not there yet
        return {}
    finally:
        db.close()


def read_results(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def assert_exactly_once(sandbox: Sandbox, base_url: str, names: list[str]) -> None:
    stats = stats_over_http(base_url)
    by_name = stats["submissions_by_name"]["309"]
    twice = {name: count for name, count in by_name.items() if count != 1}
    assert twice == {}, f"submitted more than once: {twice}"
    assert sorted(by_name) == sorted(names), "a valid row is missing or an invalid one was sent"
    units = sorted(u.organunit_name for u in sandbox.state.units.values())
    assert units == sorted(names)
    assert stats["signature_failures"] == 0


def assert_no_secrets(*paths: Path, texts: tuple[str, ...] = ()) -> None:
    blobs = [p.read_bytes() for p in paths if p.exists()] + [t.encode() for t in texts]
    for blob in blobs:
        for secret in (TEST_ACCESS_TOKEN, TEST_AUTH_CODE):
            assert secret.encode() not in blob
        for word in (b"access_token", b"auth_code", b"hash=", b"login_pwd", b"password"):
            assert word not in blob.lower()


def test_sigkill_at_random_points_then_resume_registers_every_row_exactly_once(served, tmp_path):
    sandbox, base_url = served
    sandbox.faults.latency_seconds = 0.01  # widen the in-flight window the kills may hit
    sandbox.faults.endpoints = frozenset({309})
    valid = valid_rows(220)
    source = write_csv(tmp_path / "units.csv", valid[:120] + invalid_rows() + valid[120:])
    journal, out = tmp_path / "run.db", tmp_path / "results.jsonl"
    command, env = cli_command(source, journal, out), cli_env(base_url)
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    kills, in_flight_at_kill = 0, 0
    for threshold in sorted(rng.sample(range(10, 200), 6)):
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(
            lambda t=threshold, p=process: (
                sandbox.stats()["requests"].get("309", 0) >= t or p.poll() is not None
            )
        )
        time.sleep(rng.uniform(0, 0.08))  # about two submission cycles: any phase
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.communicate(timeout=30)
        in_flight_at_kill += journal_states(journal).get("intent", 0)
    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert final.returncode == 1, final.stderr  # 1: the invalid rows are reported
    assert kills >= 5, f"seed {seed}: only {kills} kills landed"
    names = [str(row["organunit_name"]) for row in valid]
    assert_exactly_once(sandbox, base_url, names)
    results = read_results(out)
    assert len(results) == len(valid) + len(invalid_rows())
    by_status: dict[str, list[dict[str, object]]] = {}
    for result in results:
        by_status.setdefault(str(result["status"]), []).append(result)
    assert sorted(by_status) == ["invalid", "registered"]
    assert len(by_status["invalid"]) == len(invalid_rows())
    codes = {u.organunit_name: u.idcode for u in sandbox.state.units.values()}
    for result in by_status["registered"]:
        assert result["organunit_idcode"] == codes[result["organunit_name"]]
    assert final.stdout.startswith(f"{len(results)} rows, {len(valid)} registered, 0 existing")
    assert_no_secrets(
        journal, out, journal.with_name("run.db-wal"), texts=(final.stdout, final.stderr)
    )
    db = sqlite3.connect(journal)
    reconciled, resent = db.execute(
        "SELECT SUM(reconciled), SUM(attempts > 1) FROM items WHERE state = 'done'"
    ).fetchone()
    db.close()
    print(
        f"seed {seed}: {kills} kills, {in_flight_at_kill} with a row in flight; "
        f"{reconciled} settled by 307, {resent} sent again after 307 found nothing"
    )


def test_a_kill_while_the_request_is_in_flight_is_settled_before_any_resend(served, tmp_path):
    sandbox, base_url = served
    sandbox.faults.latency_seconds = 0.4
    sandbox.faults.endpoints = frozenset({309})
    valid = valid_rows(4, prefix="在途单位")
    source = write_csv(tmp_path / "units.csv", valid)
    journal, out = tmp_path / "run.db", tmp_path / "results.jsonl"
    command, env = cli_command(source, journal, out), cli_env(base_url)
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: journal.exists() and journal_states(journal).get("intent", 0) == 1)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert journal_states(journal).get("intent") == 1
    sandbox.faults.latency_seconds = 0.0
    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert final.returncode == 0, final.stderr
    assert_exactly_once(sandbox, base_url, [str(r["organunit_name"]) for r in valid])
    first = next(r for r in read_results(out) if r["row"] == 2)
    assert first["status"] == "registered"
    # Either the request never reached the centre (307: not found, sent again: 2 attempts)
    # or it did (307 finds it: settled, reconciled, 1 attempt); never two registrations.
    assert (first["attempts"], first["reconciled"]) in ((2, False), (1, True))


def test_sigint_finishes_the_row_in_flight_and_exits_130_with_a_resume_hint(served, tmp_path):
    sandbox, base_url = served
    sandbox.faults.latency_seconds = 0.3
    sandbox.faults.endpoints = frozenset({309})
    valid = valid_rows(5, prefix="中断单位")
    source = write_csv(tmp_path / "units.csv", valid)
    journal, out = tmp_path / "run.db", tmp_path / "results.jsonl"
    command, env = cli_command(source, journal, out), cli_env(base_url)
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    wait_for(lambda: journal.exists() and journal_states(journal).get("intent", 0) == 1)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "stopping after the request in flight" in stderr
    assert "resume with: idcode register-units" in stderr
    states = journal_states(journal)
    assert states == {"done": 1, "pending": 4}  # the row in flight finished and was journaled
    assert stdout.startswith("5 rows, 1 registered")
    sandbox.faults.latency_seconds = 0.0
    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert final.returncode == 0, final.stderr
    assert_exactly_once(sandbox, base_url, [str(r["organunit_name"]) for r in valid])


async def test_faults_during_a_batch_give_the_same_exactly_once_result(served, tmp_path):
    sandbox, base_url = served
    faults = sandbox.faults
    faults.reseed(20240522)
    faults.endpoints = frozenset({309, 307})
    faults.busy_probability = 0.12
    faults.html_502_probability = 0.08
    faults.drop_before_probability = 0.08
    faults.drop_after_probability = 0.15
    valid = valid_rows(200, prefix="故障单位")
    source = write_csv(tmp_path / "units.csv", valid + invalid_rows())
    outcomes = []
    async with IdcodeClient(
        access_token=TEST_ACCESS_TOKEN,
        auth_code=TEST_AUTH_CODE,
        base_url=base_url,
        retry=RetryPolicy(max_retries=6, backoff_base=0.005, backoff_max=0.05),
    ) as client:
        summary = await register_units(
            client,
            read_units_csv(source),
            journal=tmp_path / "run.db",
            pacer=LocalPacer(0.005, 0.01),
            retry=RetryPolicy(max_retries=10, backoff_base=0.005, backoff_max=0.05),
            on_outcome=outcomes.append,
        )
    injected = sandbox.stats()["faults"]
    assert injected["busy"] > 10
    assert injected["html_502"] > 5
    assert injected["drop_before"] > 5
    assert injected["drop_after"] > 10
    assert (summary.registered, summary.invalid, summary.existing, summary.failed) == (
        len(valid),
        len(invalid_rows()),
        0,
        0,
    )
    assert summary.reconciled >= 10  # answers lost after processing, settled by 307
    assert summary.submissions > len(valid)  # retries happened…
    assert_exactly_once(sandbox, base_url, [str(r["organunit_name"]) for r in valid])  # …safely
    reconciled = [o for o in outcomes if o.reconciled]
    assert all(o.status == "registered" and o.organunit_idcode for o in reconciled)


class TimedPacer:
    """A LocalPacer whose slots' opening and closing times are recorded."""

    def __init__(self, inner: LocalPacer) -> None:
        self.inner = inner
        self.slots: list[tuple[float, float]] = []

    def slot(self) -> AbstractAsyncContextManager[None]:
        return self._slot()

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        async with self.inner.slot():
            opened = anyio.current_time()
            try:
                yield
            finally:
                self.slots.append((opened, anyio.current_time()))


class RecordingRandom(random.Random):
    """Keeps the pauses the pacer draws."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.draws: list[float] = []

    def uniform(self, a: float, b: float) -> float:
        value = super().uniform(a, b)
        self.draws.append(value)
        return value


async def test_pacing_measured_on_the_server(served, tmp_path):
    _, base_url = served
    minimum, maximum = 0.03, 0.06
    valid = valid_rows(60, prefix="节奏单位")
    source = write_csv(tmp_path / "units.csv", valid)
    rng = RecordingRandom(5)
    pacer = TimedPacer(LocalPacer(minimum, maximum, rng=rng))
    async with IdcodeClient(
        access_token=TEST_ACCESS_TOKEN, auth_code=TEST_AUTH_CODE, base_url=base_url
    ) as client:
        summary = await register_units(
            client, read_units_csv(source), journal=tmp_path / "run.db", pacer=pacer
        )
    assert summary.registered == len(valid)
    starts = stats_over_http(base_url)["submission_starts_ms"]["309"]
    assert len(starts) == len(valid)
    intervals = [(b - a) / 1000 for a, b in itertools.pairwise(starts)]
    assert min(intervals) >= minimum  # start to start = pause + service > the minimum pause
    slots = pacer.slots
    pauses = [b[0] - a[1] for a, b in itertools.pairwise(slots)]
    assert min(pauses) >= minimum
    assert max(pauses) <= maximum + 0.01  # event-loop wake-up latency only
    service = sum(end - start for start, end in slots) / len(slots)
    # Against the pauses actually drawn, so that only the pacer's error is measured, not the
    # sampling noise of 59 uniform draws; the draws themselves must fit the configured mean.
    drawn = rng.draws[: len(intervals)]
    spread = (maximum - minimum) / math.sqrt(12 * len(drawn))
    assert abs(sum(drawn) / len(drawn) - (minimum + maximum) / 2) < 4 * spread
    expected = sum(drawn) / len(drawn) + service
    mean = sum(intervals) / len(intervals)
    assert abs(mean - expected) / expected < 0.05, (mean, expected)
