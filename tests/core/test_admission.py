"""The admission an attempt-bounding transport gives (aiohttp's): at most ``size`` attempts in
its pool at once, the others waiting first come first in, each within its own timeout."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from idcode_async._attempt import Admission

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the transports that admit attempts run under asyncio


async def test_places_are_given_first_come_first_in_and_never_more_than_the_size():
    admission = Admission(2)
    inside: list[int] = []
    order: list[int] = []
    most = 0

    async def attempt(number: int) -> None:
        nonlocal most
        await admission.enter(5.0)
        order.append(number)
        inside.append(number)
        most = max(most, len(inside))
        await asyncio.sleep(0.01)
        inside.remove(number)
        admission.leave()

    await asyncio.gather(*(attempt(number) for number in range(8)))
    assert order == list(range(8))
    assert most == 2
    assert await admission.enter(0.01) == 0.0  # both places free again: no wait
    assert await admission.enter(0.01) == 0.0


async def test_a_wait_past_its_timeout_is_a_pool_timeout_and_takes_no_place():
    admission = Admission(1)
    await admission.enter(1.0)
    with pytest.raises(httpx.PoolTimeout):
        await admission.enter(0.05)
    admission.leave()
    assert await admission.enter(0.05) == 0.0  # the place came back, nothing leaked


async def test_a_shorter_timeout_behind_a_longer_one_still_ends_on_time():
    admission = Admission(1)
    await admission.enter(1.0)
    patient = asyncio.ensure_future(admission.enter(30.0))
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(httpx.PoolTimeout):
        await admission.enter(0.05)
    assert loop.time() - started < 5.0  # not held to the first waiter's 30 s
    admission.leave()
    assert await patient >= 0.0  # the patient waiter got the place
    admission.leave()
    assert await admission.enter(0.01) == 0.0


async def test_a_waiter_cancelled_leaves_no_place_taken():
    admission = Admission(1)
    await admission.enter(1.0)
    waiting = asyncio.ensure_future(admission.enter(5.0))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    admission.leave()
    assert await admission.enter(0.01) == 0.0


async def test_a_place_given_to_a_waiter_cancelled_in_the_same_moment_is_passed_on():
    admission = Admission(1)
    await admission.enter(1.0)
    first = asyncio.ensure_future(admission.enter(5.0))
    second = asyncio.ensure_future(admission.enter(5.0))
    await asyncio.sleep(0)
    admission.leave()  # the place goes to ``first`` ...
    first.cancel()  # ... which is cancelled before it runs again
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await second >= 0.0  # so it passed on to ``second``
    admission.leave()
    assert await admission.enter(0.01) == 0.0
