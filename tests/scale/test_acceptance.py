"""Acceptance: worker processes sharing one run and one pace, against the sandbox on 127.0.0.1.

- Four arq worker processes, 300 rows: the sandbox's own log of 309 arrivals shows no two starts
  closer than the minimum pause, and the mean start-to-start interval within 5 % of the pauses
  drawn plus the service time (and of the configured mean); every valid row registered once.
- Four ``idcode worker --burst`` processes, one killed with SIGKILL while a request of its is in
  flight: its rows are taken over after the lease, settled with 307 first, and nothing is lost
  or registered twice.

"Exactly once" is asserted as in ``tests/registration/test_acceptance.py``: one unit per valid
name in the sandbox, and one *processed* submission per name (``submissions_by_name``).
"""

from __future__ import annotations

import itertools
import math
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from idcode_async import IdcodeClient
from idcode_async.domain.regions import RegionDirectory
from idcode_async.registration import SourceRow, read_units_csv
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.sandbox.serve import running
from idcode_async.scale import RedisJournal, enqueue_jobs, enqueue_registration, load_run
from idcode_async.scale._redis import connect_sync
from idcode_async.scale.keys import PaceKeys

from ..registration.sandbox_rows import invalid_rows, valid_rows, write_csv
from ._kill import kill_if_still
from ._pace import pace_log

pytestmark = pytest.mark.slow


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    sandbox = Sandbox()
    with running(sandbox) as base_url:
        yield sandbox, base_url


def worker_env(redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "IDCODE_ACCESS_TOKEN": TEST_ACCESS_TOKEN,
        "IDCODE_AUTH_CODE": TEST_AUTH_CODE,
        "IDCODE_REDIS_URL": redis_url,
    }


def start_workers(redis_url: str, count: int, *args: str) -> list[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "idcode_async", "worker", "--log-level", "warning"]
    return [
        subprocess.Popen([*command, *args], env=worker_env(redis_url), stderr=subprocess.PIPE)
        for _ in range(count)
    ]


def wait_all(processes: list[subprocess.Popen[bytes]], timeout: float) -> list[str]:
    errors = []
    for process in processes:
        _, stderr = process.communicate(timeout=timeout)
        errors.append(stderr.decode(errors="replace"))
    return errors


def source_rows(tmp_path: Path, rows: list[dict[str, object]]) -> list[SourceRow]:
    return list(read_units_csv(write_csv(tmp_path / "units.csv", rows)))


def regions_of(base_url: str) -> RegionDirectory:
    async def load() -> RegionDirectory:
        async with IdcodeClient(
            access_token=TEST_ACCESS_TOKEN, auth_code=TEST_AUTH_CODE, base_url=base_url
        ) as client:
            return await RegionDirectory.load(client)

    return anyio.run(load)


def stats(base_url: str) -> dict:
    return httpx.get(f"{base_url}/_sandbox/stats", timeout=10).json()


def assert_exactly_once(sandbox: Sandbox, base_url: str, names: list[str]) -> None:
    snapshot = stats(base_url)
    by_name = snapshot["submissions_by_name"]["309"]
    assert {n: c for n, c in by_name.items() if c != 1} == {}, "submitted more than once"
    assert sorted(by_name) == sorted(names), "a valid row is missing or an invalid one was sent"
    assert sorted(u.organunit_name for u in sandbox.state.units.values()) == sorted(names)
    assert snapshot["signature_failures"] == 0


def test_four_arq_workers_keep_one_pace_and_register_every_row_once(served, redis_url, tmp_path):
    sandbox, base_url = served
    minimum, maximum = 0.05, 0.10
    valid = valid_rows(300, prefix="并发单位")
    rows = source_rows(tmp_path, valid[:150] + invalid_rows() + valid[150:])
    regions = regions_of(base_url)
    enqueued = anyio.run(
        lambda: enqueue_registration(
            redis_url,
            rows,
            "accept",
            access_token=TEST_ACCESS_TOKEN,
            jobs=4,
            base_url=base_url,
            regions=regions,
            min_interval=minimum,
            max_interval=maximum,
            batch_size=5,
        )
    )
    assert len(enqueued.job_ids) == 4
    assert (enqueued.load.valid, len(enqueued.load.invalid)) == (300, len(invalid_rows()))
    workers = start_workers(redis_url, 4, "--burst")
    errors = wait_all(workers, timeout=150)
    assert [w.returncode for w in workers] == [0, 0, 0, 0], errors

    assert_exactly_once(sandbox, base_url, [str(r["organunit_name"]) for r in valid])
    client = connect_sync(redis_url)
    journal = RedisJournal(client, "accept", worker="test")
    claimers = {e["worker"] for e in journal.events() if e["event"] == "claimed"}
    log = pace_log(client.lrange(PaceKeys.for_token(TEST_ACCESS_TOKEN).log, 0, -1))
    client.close()
    assert len(claimers) == 4, "every worker took part"

    starts = stats(base_url)["submission_starts_ms"]["309"]
    assert len(starts) == 300 == len(log)
    intervals = [(b - a) / 1000 for a, b in itertools.pairwise(starts)]
    assert min(intervals) >= minimum  # no two starts for the token closer than the minimum
    service = statistics.fmean(r.service for r in log)
    drawn = [r.pause for r in log[:-1]]  # the pause after each slot but the last
    assert all(minimum <= p <= maximum for p in drawn)
    mean = statistics.fmean(intervals)
    # Against the pauses actually drawn: only the pacer's error (wake-ups, round trips).
    expected = statistics.fmean(drawn) + service
    assert abs(mean - expected) / expected < 0.05, (mean, expected)
    # Against the configured mean: the draws themselves fit it (4 sigma of 299 uniform
    # draws), and the total rate is within 5 % of the configured mean pause plus service.
    spread = (maximum - minimum) / math.sqrt(12 * len(drawn))
    assert abs(statistics.fmean(drawn) - (minimum + maximum) / 2) < 4 * spread
    configured = (minimum + maximum) / 2 + service
    rate = len(intervals) / ((starts[-1] - starts[0]) / 1000)
    assert abs(rate * configured - 1) < 0.05, (rate, 1 / configured)
    print(
        f"4 workers, 300 rows: min interval {min(intervals) * 1000:.1f} ms, mean "
        f"{mean * 1000:.1f} ms, expected {expected * 1000:.1f} ms (drawn) / "
        f"{configured * 1000:.1f} ms (configured), service {service * 1000:.1f} ms"
    )


def held_in_flight(client, journal: RedisJournal, pid: int) -> bool:
    """Whether worker process ``pid`` holds a row whose request is in flight right now."""
    keys = client.zrange(journal.keys.held, 0, -1)
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.hmget(journal.keys.item(key), "holder", "state")
    return any(
        holder and f"/{pid}/" in holder and state == "in_flight" for holder, state in pipe.execute()
    )


def test_a_worker_killed_mid_run_loses_nothing_and_duplicates_nothing(served, redis_url, tmp_path):
    sandbox, base_url = served
    sandbox.faults.latency_seconds = 0.01  # widen the window in which a request is in flight
    sandbox.faults.endpoints = frozenset({309})
    minimum, maximum = 0.02, 0.04
    valid = valid_rows(150, prefix="宕机单位")
    load_run(
        redis_url,
        source_rows(tmp_path, valid),
        "killed",
        access_token=TEST_ACCESS_TOKEN,
        base_url=base_url,
        regions=regions_of(base_url),
        min_interval=minimum,
        max_interval=maximum,
        batch_size=5,
        lease=2.0,
        slot_lease=2.0,
        timeout=1.5,
    )
    assert len(anyio.run(enqueue_jobs, redis_url, "killed", 4)) == 4
    workers = start_workers(redis_url, 4, "--burst")
    victim = workers[1]
    client = connect_sync(redis_url)
    journal = RedisJournal(client, "killed", worker="test")
    deadline = time.monotonic() + 60
    while not (
        journal.counts().done >= 40
        and held_in_flight(client, journal, victim.pid)
        and kill_if_still(victim, lambda: held_in_flight(client, journal, victim.pid))
    ):
        assert time.monotonic() < deadline, "the victim never had a request in flight"
        time.sleep(0.001)
    killed_at, killed_wall = time.monotonic(), time.time()
    errors = wait_all(workers, timeout=120)
    assert victim.returncode == -signal.SIGKILL
    assert [w.returncode for w in workers if w is not victim] == [0, 0, 0], errors

    assert_exactly_once(sandbox, base_url, [str(r["organunit_name"]) for r in valid])
    events = journal.events()
    taken = [
        e for e in events if e["event"] == "lease-expired" and f"/{victim.pid}/" in e["detail"]
    ]
    assert taken, "the killed worker's rows were taken over after its lease"
    in_flight = [e for e in taken if "state in_flight" in e["detail"]]
    assert len(in_flight) == 1
    row = journal.entry(in_flight[0]["key"])
    assert row is not None
    assert row.outcome == "registered"
    # Either the request had reached the centre (307 found it: settled without a resend) or it
    # had not (307 found nothing: sent again); never two registrations.
    assert (row.attempts, row.reconciled) in ((1, True), (2, False))
    counts = journal.counts()
    assert (counts.registered, counts.unsettled, counts.stuck) == (150, 0, 0)
    takeover = min(e["at_ms"] for e in taken) / 1000 - killed_wall  # Redis and us: one host
    # A lease of 2 s, renewed every 2/3 s until the kill: never taken over before the lease can
    # have run out (safety). The upper bound only says the takeover came, not how fast: a loaded
    # CI machine once took 3.08 s, past the 3.0 s this used to demand.
    assert 1.0 <= takeover <= 20.0
    starts = stats(base_url)["submission_starts_ms"]["309"]
    assert min(b - a for a, b in itertools.pairwise(starts)) >= minimum * 1000
    client.close()
    print(
        f"killed pid {victim.pid} with a row in flight; {len(taken)} rows taken over "
        f"(attempts {row.attempts}, reconciled {row.reconciled}); taken over "
        f"{takeover:.2f} s after the kill, {time.monotonic() - killed_at:.1f} s to the end"
    )


def in_flight_rows(journal: RedisJournal) -> list[str]:
    return [e.key for e in journal.entries() if e.state.value == "in_flight"]


@pytest.mark.parametrize("signals", [1, 2])
def test_the_worker_stops_in_two_stages(served, redis_url, tmp_path, signals):
    """First SIGTERM: the request in flight finishes and is recorded, nothing new starts.
    Second: the request in flight is abandoned, recorded as possibly sent (never as pending)."""
    sandbox, base_url = served
    sandbox.faults.latency_seconds = 1.5  # every 309 takes a while: the signal lands mid-request
    sandbox.faults.endpoints = frozenset({309})
    load_run(
        redis_url,
        source_rows(tmp_path, valid_rows(4, prefix="停止单位")),
        "stop",
        access_token=TEST_ACCESS_TOKEN,
        base_url=base_url,
        check_regions=False,
        min_interval=0.0,
        max_interval=0.0,
    )
    assert len(anyio.run(enqueue_jobs, redis_url, "stop", 1)) == 1
    [worker] = start_workers(redis_url, 1, "--burst")
    client = connect_sync(redis_url)
    journal = RedisJournal(client, "stop", worker="test")
    deadline = time.monotonic() + 30
    while not in_flight_rows(journal):
        assert time.monotonic() < deadline, "nothing was sent"
        assert worker.poll() is None
        time.sleep(0.01)
    [key] = in_flight_rows(journal)
    for _ in range(signals):
        worker.send_signal(signal.SIGTERM)
        time.sleep(0.2)
    wait_all([worker], timeout=30)
    assert worker.returncode == 130
    row = journal.entry(key)
    assert row is not None
    if signals == 1:
        assert row.outcome == "registered"  # finished and recorded
    else:
        assert row.state.value in ("in_flight", "unknown")  # may be on the centre: looked up
    counts = journal.counts()
    assert (counts.held, counts.pending) == (0, 3)  # nothing new started, the leases released
    client.close()
