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


async def taken_with_waiters(*timeouts: float) -> tuple[Admission, list[asyncio.Future[float]]]:
    """An admission of one place, taken, and a call waiting for it with each timeout."""
    admission = Admission(1)
    await admission.enter(1.0)
    waiting = [asyncio.ensure_future(admission.enter(timeout)) for timeout in timeouts]
    await asyncio.sleep(0)
    return admission, waiting


async def test_a_shorter_timeout_behind_a_longer_one_still_ends_on_time():
    admission, (patient,) = await taken_with_waiters(30.0)
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
    admission, (waiting,) = await taken_with_waiters(5.0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    admission.leave()
    assert await admission.enter(0.01) == 0.0


async def test_a_place_given_to_a_waiter_cancelled_in_the_same_moment_is_passed_on():
    admission, (first, second) = await taken_with_waiters(5.0, 5.0)
    admission.leave()  # the place goes to ``first`` ...
    first.cancel()  # ... which is cancelled before it runs again
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await second >= 0.0  # so it passed on to ``second``
    admission.leave()
    assert await admission.enter(0.01) == 0.0
