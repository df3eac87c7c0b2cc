"""The pacer: pauses drawn from [min, max] between the end of one submission and the next start."""

from __future__ import annotations

import itertools
import random

import anyio
import anyio.lowlevel
import pytest

from idcode_async.pacing import Interval, LocalPacer, Pacer


class FakeClock:
    """Virtual time for one task at a time: ``sleep`` moves the clock instead of waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await anyio.lowlevel.checkpoint()


def test_local_pacer_is_a_pacer():
    assert isinstance(LocalPacer(), Pacer)
    assert LocalPacer().interval.mean == 0.75
    assert LocalPacer().interval == Interval(0.5, 1.0)


async def test_each_start_waits_a_drawn_pause_after_the_previous_end():
    clock = FakeClock()
    pacer = LocalPacer(0.5, 1.0, clock=clock, sleep=clock.sleep, rng=random.Random(7))
    expected = random.Random(7)
    starts, ends = [], []
    service = random.Random(1)
    for _ in range(40):
        async with pacer.slot():
            starts.append(clock.now)
            clock.now += service.uniform(0.01, 0.3)  # the request
            ends.append(clock.now)
        clock.now += service.uniform(0.0, 0.2)  # journaling between submissions
    assert starts[0] == 1000.0  # the first submission does not wait
    pauses = [start - end for start, end in zip(starts[1:], ends, strict=False)]
    assert pauses == pytest.approx([expected.uniform(0.5, 1.0) for _ in pauses])
    assert min(pauses) >= 0.5
    assert max(pauses) <= 1.0


async def test_time_already_spent_counts_towards_the_pause():
    clock = FakeClock()
    pacer = LocalPacer(0.5, 0.5, clock=clock, sleep=clock.sleep)
    async with pacer.slot():
        pass
    clock.now += 0.3
    async with pacer.slot():
        pass
    clock.now += 2.0
    async with pacer.slot():
        pass
    assert clock.sleeps == pytest.approx([0.2])


async def test_an_exception_in_the_submission_still_ends_it():
    clock = FakeClock()
    pacer = LocalPacer(0.5, 0.5, clock=clock, sleep=clock.sleep)
    with pytest.raises(RuntimeError):
        async with pacer.slot():
            raise RuntimeError("request failed")
    async with pacer.slot():
        pass
    assert clock.sleeps == pytest.approx([0.5])


async def test_a_cancelled_wait_uses_no_slot():
    pacer = LocalPacer(0.3, 0.3)
    async with pacer.slot():
        pass
    first_end = anyio.current_time()
    with anyio.move_on_after(0.05):
        async with pacer.slot():
            pytest.fail("the slot must not open before the pause")
    async with pacer.slot():
        started = anyio.current_time()
    assert 0.3 <= started - first_end < 0.45


async def test_concurrency_bounds_submissions_in_flight():
    pacer = LocalPacer(0.01, 0.02, concurrency=2)
    active = peak = 0
    starts: list[float] = []

    async def submit() -> None:
        nonlocal active, peak
        async with pacer.slot():
            active += 1
            peak = max(peak, active)
            starts.append(anyio.current_time())
            await anyio.sleep(0.02)
            active -= 1

    async with anyio.create_task_group() as group:
        for _ in range(12):
            group.start_soon(submit)
    assert peak == 2
    # two lanes, each: 0.02 s of work then at least 0.01 s of pause
    assert starts[-1] - starts[0] >= 5 * 0.03 - 0.005


async def test_one_lane_serialises_concurrent_callers():
    pacer = LocalPacer(0.01, 0.01)
    spans: list[tuple[float, float]] = []

    async def submit() -> None:
        async with pacer.slot():
            start = anyio.current_time()
            await anyio.sleep(0.005)
            spans.append((start, anyio.current_time()))

    async with anyio.create_task_group() as group:
        for _ in range(6):
            group.start_soon(submit)
    spans.sort()
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start - end >= 0.01


def test_runs_under_trio():
    async def main() -> int:
        pacer = LocalPacer(0.01, 0.01)
        for _ in range(3):
            async with pacer.slot():
                pass
        return 3

    assert anyio.run(main, backend="trio") == 3


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((1.0, 0.5), {}),
        ((-0.1, 1.0), {}),
        ((0.5, float("inf")), {}),
        ((0.5, 1.0), {"concurrency": 0}),
    ],
)
def test_bad_settings_are_refused(args, kwargs):
    with pytest.raises(ValueError, match=r"need 0 <= min_interval|concurrency must be"):
        LocalPacer(*args, **kwargs)
