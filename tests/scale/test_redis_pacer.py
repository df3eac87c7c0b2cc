"""The Redis pacer's Lua scripts against a real redis-server: spacing, lanes, leases.

Each pacer instance below has its own connection, as separate worker processes would: they share
nothing but Redis.  Times are checked on the pace log, which the scripts write with Redis's own
clock, so the checks are exact, not statistical.
"""

from __future__ import annotations

import itertools
import random

import anyio
import pytest

from idcode_async.pacing import Interval, Pacer
from idcode_async.scale._redis import connect_sync
from idcode_async.scale.keys import PaceKeys, token_id
from idcode_async.scale.redis_pacer import PaceConflictError, RedisPacer

from ._pace import SlotRecord, history

TOKEN = "J7X4LuOOfURXeAAEAAAAAABSK"


async def pacers(url: str, count: int, **options: object) -> list[RedisPacer]:
    return [
        RedisPacer(connect_sync(url), TOKEN, rng=random.Random(n), **options) for n in range(count)
    ]


async def close(items: list[RedisPacer]) -> None:
    for pacer in items:
        pacer._redis.close()


async def submit(pacer: RedisPacer, times: int, service: float, live: list[int]) -> None:
    for _ in range(times):
        async with pacer.slot():
            live[0] += 1
            live[1] = max(live[1], live[0])
            await anyio.sleep(service)
            live[0] -= 1


def gaps(records: list[SlotRecord]) -> list[float]:
    """Start of each slot minus (end + drawn pause) of the slot before it in the same lane."""
    by_lane: dict[int, list[SlotRecord]] = {}
    for record in records:
        by_lane.setdefault(record.lane, []).append(record)
    return [
        later.granted - (earlier.ended + earlier.pause)
        for lane in by_lane.values()
        for earlier, later in itertools.pairwise(sorted(lane, key=lambda r: r.granted))
    ]


async def test_redis_pacer_is_a_pacer(sync_redis):
    pacer = RedisPacer(sync_redis, TOKEN)
    assert isinstance(pacer, Pacer)
    assert (pacer.interval, pacer.concurrency) == (Interval(0.5, 1.0), 1)
    assert pacer.interval.mean == 0.75
    assert TOKEN not in repr(pacer)
    assert pacer.keys == PaceKeys.for_token(TOKEN)
    assert token_id(TOKEN) in pacer.keys.state


@pytest.mark.parametrize(
    ("minimum", "maximum", "concurrency"), [(0.5, 0.4, 1), (-0.1, 0.1, 1), (0.1, 0.2, 0)]
)
async def test_bad_settings_are_refused(sync_redis, minimum, maximum, concurrency):
    with pytest.raises(ValueError):  # noqa: PT011
        RedisPacer(sync_redis, TOKEN, minimum, maximum, concurrency=concurrency)


async def test_one_lane_shared_by_four_processes_spaces_every_start(redis_url):
    minimum, maximum = 0.03, 0.06
    group = await pacers(redis_url, 4, min_interval=minimum, max_interval=maximum)
    live = [0, 0]
    async with anyio.create_task_group() as tasks:
        for pacer in group:
            tasks.start_soon(submit, pacer, 6, 0.005, live)
    records = history(group[0])
    await close(group)
    assert len(records) == 24
    assert live[1] == 1  # one submission at a time, across the four
    ordered = sorted(records, key=lambda r: r.granted)
    assert all(b.granted >= a.ended for a, b in itertools.pairwise(ordered))
    assert all(minimum <= r.pause <= maximum for r in records)
    slack = gaps(records)
    assert min(slack) >= 0  # no start before end + drawn pause, on Redis's clock
    assert sum(slack) / len(slack) < 0.01  # and not much later either (a wake-up, a round trip)


async def test_pauses_are_the_injected_random_draws(redis_url):
    [pacer] = await pacers(redis_url, 1, min_interval=0.01, max_interval=0.02)
    for _ in range(5):
        async with pacer.slot():
            pass
    records = history(pacer)
    await close([pacer])
    expected = random.Random(0)
    assert [r.pause for r in records] == pytest.approx(
        [expected.uniform(0.01, 0.02) for _ in records], abs=1e-6
    )


async def test_concurrency_three_runs_three_at_once_each_lane_paced(redis_url):
    minimum, maximum = 0.02, 0.04
    group = await pacers(redis_url, 6, min_interval=minimum, max_interval=maximum, concurrency=3)
    live = [0, 0]
    async with anyio.create_task_group() as tasks:
        for pacer in group:
            tasks.start_soon(submit, pacer, 5, 0.03, live)
    records = history(group[0])
    await close(group)
    assert len(records) == 30
    assert live[1] == 3
    assert {r.lane for r in records} == {0, 1, 2}
    assert min(gaps(records)) >= 0
    # at no instant are more than three slots open, on Redis's clock
    edges = sorted([(r.granted, 1) for r in records] + [(r.ended, -1) for r in records])
    assert max(itertools.accumulate(step for _, step in edges)) <= 3


async def test_a_crashed_holder_loses_its_slot_when_its_lease_runs_out(redis_url):
    crashed, waiting = await pacers(redis_url, 2, min_interval=0.0, max_interval=0.0, lease=0.5)
    started = anyio.current_time()
    await crashed._acquire("dead-holder")  # granted, then never renewed nor released
    async with waiting.slot():
        waited = anyio.current_time() - started
    state = waiting._redis.hgetall(waiting.keys.state)
    await close([crashed, waiting])
    assert 0.45 <= waited < 1.0
    assert state["expired"] == "1"
    assert state["h0"] == ""


async def test_a_live_holder_keeps_its_slot_beyond_its_lease(redis_url):
    holder, waiting = await pacers(redis_url, 2, min_interval=0.05, max_interval=0.05, lease=0.3)
    released_at: list[float] = []

    async def hold() -> None:
        async with holder.slot():
            await anyio.sleep(0.9)  # three leases: renewed meanwhile
        released_at.append(anyio.current_time())

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(hold)
        await anyio.sleep(0.05)
        async with waiting.slot():
            granted = anyio.current_time()
    await close([holder, waiting])
    assert granted >= released_at[0] + 0.04


async def test_a_wait_cancelled_takes_no_slot(redis_url):
    first, second, third = await pacers(redis_url, 3, min_interval=0.05, max_interval=0.05)
    async with first.slot():
        with anyio.move_on_after(0.1):
            async with second.slot():
                pytest.fail("the slot was held by the first pacer")
    async with third.slot():
        pass
    records = history(third)
    await close([first, second, third])
    assert len(records) == 2  # the first's and the third's: the cancelled wait left no trace
    assert records[1].granted - records[0].ended >= 0.05


async def test_the_body_exception_comes_out_unwrapped_and_the_slot_is_released(redis_url):
    [pacer] = await pacers(redis_url, 1, min_interval=0.0, max_interval=0.0)
    with pytest.raises(KeyError, match="boom"):
        async with pacer.slot():
            raise KeyError("boom")
    with anyio.fail_after(1):
        async with pacer.slot():
            pass
    await close([pacer])


async def test_a_different_concurrency_conflicts_while_a_lane_is_held(redis_url):
    [one] = await pacers(redis_url, 1, min_interval=0.0, max_interval=0.0)
    [three] = await pacers(redis_url, 1, min_interval=0.0, max_interval=0.0, concurrency=3)
    async with one.slot():
        with pytest.raises(PaceConflictError, match="concurrency 1"):
            async with three.slot():
                pass
    async with three.slot():  # adopted once nothing is held
        pass
    await close([one, three])


async def test_concurrency_change_never_shortens_a_pause(redis_url):
    [one] = await pacers(redis_url, 1, min_interval=0.3, max_interval=0.3)
    [two] = await pacers(redis_url, 1, min_interval=0.3, max_interval=0.3, concurrency=2)
    async with one.slot():
        pass
    ended = anyio.current_time()
    async with two.slot():
        waited = anyio.current_time() - ended
    await close([one, two])
    assert waited >= 0.25


async def test_nothing_in_redis_holds_the_access_token(redis_url):
    group = await pacers(redis_url, 2, min_interval=0.0, max_interval=0.01)
    async with anyio.create_task_group() as tasks:
        for pacer in group:
            tasks.start_soon(submit, pacer, 3, 0.0, [0, 0])
    client = group[0]._redis
    keys = client.keys("*")
    assert keys
    assert all(token_id(TOKEN) in key for key in keys)
    for key in keys:
        kind = client.type(key)
        value = client.hgetall(key) if kind == "hash" else client.lrange(key, 0, -1)
        assert TOKEN not in key + repr(value)
    await close(group)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_pacer_runs_under_asyncio_and_trio(redis_url, backend):
    """anyio only: the same pacer, the same spacing, whichever event loop drives it."""
    minimum, maximum = 0.02, 0.03

    async def main() -> list[SlotRecord]:
        group = await pacers(redis_url, 2, min_interval=minimum, max_interval=maximum)
        live = [0, 0]
        async with anyio.create_task_group() as tasks:
            for pacer in group:
                tasks.start_soon(submit, pacer, 4, 0.002, live)
        records = history(group[0])
        await close(group)
        assert live[1] == 1
        return records

    records = anyio.run(main, backend=backend)
    assert len(records) == 8
    assert min(gaps(records)) >= 0
    assert all(minimum <= r.pause <= maximum for r in records)
