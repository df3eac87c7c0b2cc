"""The SDK's queue in front of httpx's pool (``_transport.PoolGate``, README "Performance").

Dispatched calls wait in an anyio semaphore rather than in httpcore's pool, which does work
proportional to its waiting requests on every event.  The gate must hold at most the pool's
size in flight, keep httpx's ``pool`` timeout meaning (never sent: ``PoolTimeout``), and only
stand in front of httpx's own transport.
"""

from __future__ import annotations

import anyio
import anyio.lowlevel
import httpx
import pytest

from idcode_async import DEFAULT_LIMITS, IdcodeClient, RetryPolicy, TimeoutError, aiohttp_transport
from idcode_async._transport import PoolGate, pool_gate
from idcode_async.endpoints import CompanyInfoBase

from ..wire import TEST_AUTH_CODE, TEST_TOKEN


async def test_at_most_the_pool_size_is_in_flight_and_every_call_gets_through():
    gate = PoolGate(3)
    inside, most, done = 0, 0, 0

    async def one() -> None:
        nonlocal inside, most, done
        async with gate.slot(None):
            inside += 1
            most = max(most, inside)
            await anyio.lowlevel.checkpoint()
            await anyio.lowlevel.checkpoint()
            inside -= 1
        done += 1

    async with anyio.create_task_group() as tasks:
        for _ in range(20):
            tasks.start_soon(one)
    assert (most, done) == (3, 20)


async def test_a_wait_past_the_pool_timeout_is_httpx_pool_timeout():
    gate = PoolGate(1)
    held = anyio.Event()
    release = anyio.Event()

    async def holder() -> None:
        async with gate.slot(None):
            held.set()
            await release.wait()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(holder)
        await held.wait()
        with pytest.raises(httpx.PoolTimeout):
            async with gate.slot(0.01):
                pass
        release.set()
    async with gate.slot(0.01):  # the slot came back
        pass


def test_the_gate_stands_only_before_httpx_own_pool():
    default, four = pool_gate({}), pool_gate({"limits": httpx.Limits(max_connections=4)})
    assert default is not None
    assert default.size == DEFAULT_LIMITS.max_connections
    assert four is not None
    assert four.size == 4
    assert pool_gate({"limits": httpx.Limits(max_connections=None)}) is None
    assert pool_gate({"transport": aiohttp_transport()}) is None
    assert pool_gate({"transport": httpx.MockTransport(lambda r: httpx.Response(200))}) is None


async def test_a_call_waiting_past_the_pool_timeout_is_a_timeout_caused_by_it():
    """One connection, held by a call whose answer never comes: a call queued behind it
    fails with httpx's pool timeout (never sent, which the retry rule reads as safe)."""

    async def silent(stream: anyio.abc.SocketStream) -> None:
        await anyio.sleep_forever()

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with anyio.create_task_group() as tasks, listener:
        tasks.start_soon(listener.serve, silent)
        async with IdcodeClient(
            access_token=TEST_TOKEN,
            auth_code=TEST_AUTH_CODE,
            base_url=f"http://127.0.0.1:{port}",
            limits=httpx.Limits(max_connections=1),
            retry=RetryPolicy(max_retries=1, backoff_base=0.0),
        ) as client:
            spec = CompanyInfoBase(company_idcode="i.86.120103.1021")
            tasks.start_soon(lambda: client.call(spec, timeout=30.0, retries=0))
            await anyio.sleep(0.2)
            with pytest.raises(TimeoutError) as caught:
                await client.call(spec, timeout=httpx.Timeout(30.0, pool=0.05))
            assert isinstance(caught.value.__cause__, httpx.PoolTimeout)
            tasks.cancel_scope.cancel()
