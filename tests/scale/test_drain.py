"""Workers draining a shared run, in one process (fast): the batch runner on the shared journal
and pace, against the sandbox served on 127.0.0.1."""

from __future__ import annotations

import itertools
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
from idcode_async.scale import RedisJournal, ScaleError, drain_run, load_run, progress
from idcode_async.scale._redis import connect_sync
from idcode_async.scale.redis_pacer import RedisPacer
from idcode_async.scale.runs import run_results

from ..registration.sandbox_rows import invalid_rows, valid_rows, write_csv
from ._pace import history


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    sandbox = Sandbox()
    with running(sandbox) as base_url:
        yield sandbox, base_url


def stats(base_url: str) -> dict:
    return httpx.get(f"{base_url}/_sandbox/stats", timeout=10).json()


def assert_exactly_once(sandbox: Sandbox, base_url: str, names: list[str]) -> None:
    by_name = stats(base_url)["submissions_by_name"]["309"]
    assert {n: c for n, c in by_name.items() if c != 1} == {}
    assert sorted(by_name) == sorted(names)
    assert sorted(u.organunit_name for u in sandbox.state.units.values()) == sorted(names)


def source_rows(tmp_path: Path, rows: list[dict[str, object]]) -> list[SourceRow]:
    return list(read_units_csv(write_csv(tmp_path / "units.csv", rows)))


async def regions_of(base_url: str) -> RegionDirectory:
    async with IdcodeClient(
        access_token=TEST_ACCESS_TOKEN, auth_code=TEST_AUTH_CODE, base_url=base_url
    ) as client:
        return await RegionDirectory.load(client)


async def load(redis_url: str, base_url: str, rows: list[SourceRow], **settings: object):
    regions = await regions_of(base_url)
    return await anyio.to_thread.run_sync(
        lambda: load_run(
            redis_url,
            rows,
            "shared",
            access_token=TEST_ACCESS_TOKEN,
            base_url=base_url,
            regions=regions,
            **settings,
        )
    )


async def drain(redis_url: str, **options: object):
    return await drain_run(
        redis_url, "shared", access_token=TEST_ACCESS_TOKEN, auth_code=TEST_AUTH_CODE, **options
    )


async def test_two_workers_settle_every_row_once_at_one_pace(served, redis_url, tmp_path):
    sandbox, base_url = served
    valid = valid_rows(40, prefix="共享单位")
    rows = source_rows(tmp_path, valid + invalid_rows())
    report = await load(
        redis_url, base_url, rows, min_interval=0.01, max_interval=0.02, batch_size=5
    )
    assert (report.valid, len(report.invalid), report.new) == (40, len(invalid_rows()), 40)
    summaries = []

    async def worker() -> None:
        summaries.append(await drain(redis_url))

    async with anyio.create_task_group() as group:
        for _ in range(2):
            group.start_soon(worker)
    assert sum(s.registered for s in summaries) == 40
    assert all(s.claims >= 2 for s in summaries)  # both took part
    assert_exactly_once(sandbox, base_url, [str(r["organunit_name"]) for r in valid])
    starts = stats(base_url)["submission_starts_ms"]["309"]
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 10  # the shared minimum
    state = await progress(redis_url, "shared")
    assert state.finished
    assert state.complete
    assert state.describe().startswith(f"{40 + len(invalid_rows())} rows, 40 registered")
    client = connect_sync(redis_url)
    outcomes = run_results(client, "shared")
    client.close()
    assert len(outcomes) == 40 + len(invalid_rows())
    assert [o.status for o in outcomes].count("invalid") == len(invalid_rows())
    assert [o.row for o in outcomes] == sorted(o.row for o in outcomes)
    pacer = RedisPacer(connect_sync(redis_url), TEST_ACCESS_TOKEN)
    log = history(pacer)
    pacer._redis.close()
    assert len(log) == 40
    assert all(b.granted >= a.ended + a.pause for a, b in itertools.pairwise(log))


async def test_a_dead_workers_rows_are_settled_with_307_before_any_resend(
    served, redis_url, tmp_path
):
    """The dead worker recorded two intents: it sent the first request (the centre created the
    unit, the answer never came back) and died before sending the second."""
    sandbox, base_url = served
    valid = valid_rows(8, prefix="接管单位")
    await load(
        redis_url,
        base_url,
        source_rows(tmp_path, valid),
        min_interval=0.0,
        max_interval=0.01,
        lease=1.0,
        timeout=0.8,
    )
    dead = RedisJournal(connect_sync(redis_url), "shared", worker="dead", lease=1.0)
    sent, unsent, untouched = dead.claim(3).items
    dead.mark_intent(sent.entry.key)
    async with IdcodeClient(
        access_token=TEST_ACCESS_TOKEN, auth_code=TEST_AUTH_CODE, base_url=base_url
    ) as client:
        await client.call(sent.record.to_spec())
    dead.mark_intent(unsent.entry.key)
    started = anyio.current_time()
    summary = await drain(redis_url)
    assert anyio.current_time() - started >= 0.9  # it waited for the dead worker's lease
    assert summary.registered == 8
    assert summary.reconciled == 1
    assert_exactly_once(sandbox, base_url, [str(r["organunit_name"]) for r in valid])
    entries = {e.key: e for e in dead.entries()}
    assert (entries[sent.entry.key].attempts, entries[sent.entry.key].reconciled) == (1, True)
    assert (entries[unsent.entry.key].attempts, entries[unsent.entry.key].reconciled) == (2, False)
    assert entries[untouched.entry.key].attempts == 1
    dead.close()


async def test_a_worker_with_another_token_is_refused(served, redis_url, tmp_path):
    _, base_url = served
    await load(redis_url, base_url, source_rows(tmp_path, valid_rows(2)))
    with pytest.raises(ScaleError, match="another access token"):
        await drain_run(redis_url, "shared", access_token="OTHER", auth_code="x")
    with pytest.raises(Exception, match="no run 'missing'"):
        await drain_run(redis_url, "missing", access_token=TEST_ACCESS_TOKEN, auth_code="x")


async def test_a_refused_token_halts_the_run_for_every_worker(redis_url, tmp_path):
    sandbox = Sandbox(disabled_keys=frozenset({TEST_ACCESS_TOKEN}))
    with running(sandbox) as base_url:
        await anyio.to_thread.run_sync(
            lambda: load_run(
                redis_url,
                source_rows(tmp_path, valid_rows(6)),
                "shared",
                access_token=TEST_ACCESS_TOKEN,
                base_url=base_url,
                check_regions=False,
                min_interval=0.0,
                max_interval=0.0,
            )
        )
        first = await drain(redis_url)
        second = await drain(redis_url)
    assert first.halted is not None
    assert "10002" in first.halted
    assert second.halted == first.halted
    assert second.claims == 0
    state = await progress(redis_url, "shared")
    assert state.halted == first.halted
    assert state.finished
    assert not state.complete
    assert state.pending == 6  # nothing was registered, nothing lost
