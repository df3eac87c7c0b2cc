"""Issue 10, point 8: one deadline per call, under asyncio and trio, on a real socket.

The peer dribbles one byte every 0.5 s, so no single read ever waits as long as httpx's read
timeout.  Each test runs under an outer guard of a few seconds: if the SDK's own bound did not
hold, the guard (not a timing assertion) fails the test instead of hanging the suite.
"""

from __future__ import annotations

import json
import socket
import time

import anyio
import anyio.lowlevel
import httpx
import pytest

from idcode_async import BusyError, IdcodeClient, RetryPolicy, TimeoutError, aiohttp_transport
from idcode_async.endpoints import Addresses, CategoryGotoUrl

from ..wire import TEST_AUTH_CODE, TEST_TOKEN
from .loopback import Peer, Script, answer, dribble, serve

BACKENDS = ["asyncio", "trio"]
MARGIN = 3.0
"""Slack for the guard over the bound under test (a loaded 2-core CI machine)."""
TRANSPORTS = [("asyncio", "httpx"), ("asyncio", "aiohttp"), ("trio", "httpx")]
"""Backend and transport pairs (aiohttp runs under asyncio only).  On aiohttp the attempt is
bounded by aiohttp's own ``total`` timeout, elsewhere by an anyio cancel scope."""


def _transport(name: str) -> dict[str, object]:
    return {"transport": aiohttp_transport()} if name == "aiohttp" else {}


def client_for(peer: Peer, **kwargs: object) -> IdcodeClient:
    return IdcodeClient(
        access_token=TEST_TOKEN,
        auth_code=TEST_AUTH_CODE,
        base_url=peer.url,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(("backend", "transport"), TRANSPORTS)
def test_a_dribbling_answer_ends_within_the_attempt_timeout(backend: str, transport: str):
    with serve(dribble(0.5)) as peer:

        async def main() -> TimeoutError:
            async with client_for(
                peer, timeout=1.0, retry=RetryPolicy(max_retries=0), **_transport(transport)
            ) as client:
                with anyio.fail_after(1.0 + MARGIN), pytest.raises(TimeoutError) as caught:
                    await client.call(Addresses())
            return caught.value

        error = anyio.run(main, backend=backend)
    assert error.endpoint == Addresses.number
    assert "attempt's timeout" in str(error)
    assert len(peer.requests) == 1


@pytest.mark.parametrize(("backend", "transport"), TRANSPORTS)
def test_the_call_deadline_bounds_every_retry_together(backend: str, transport: str):
    with serve(dribble(0.5)) as peer:

        async def main() -> None:
            async with client_for(
                peer,
                timeout=30.0,
                retry=RetryPolicy(max_retries=5, backoff_base=0.01),
                **_transport(transport),
            ) as client:
                with anyio.fail_after(1.5 + MARGIN), pytest.raises(TimeoutError, match="deadline"):
                    await client.call(Addresses(), timeout=0.6, deadline=1.5)

        anyio.run(main, backend=backend)
    assert 2 <= len(peer.requests) <= 4  # retried, then cut by the deadline


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_deadline_also_cuts_a_backoff_pause(backend: str):
    busy = json.dumps({"result_code": -1, "result_msg": "busy"}).encode()
    with serve(answer(200, busy)) as peer:

        async def main() -> None:
            async with client_for(
                peer, retry=RetryPolicy(max_retries=3, backoff_base=600, backoff_max=600)
            ) as client:
                # three pauses drawn from [0, 600 s]: all short is a one-in-a-billion draw
                with anyio.fail_after(0.5 + MARGIN), pytest.raises(TimeoutError, match="deadline"):
                    await client.call(Addresses(), deadline=0.5)

        anyio.run(main, backend=backend)


def test_without_a_deadline_the_retries_run_their_course():
    busy = json.dumps({"result_code": -1, "result_msg": "busy"}).encode()
    with serve(answer(200, busy)) as peer:

        async def main() -> None:
            async with client_for(peer, retry=RetryPolicy(max_retries=2, backoff_base=0)) as c:
                with pytest.raises(BusyError):
                    await c.call(Addresses())

        anyio.run(main)
    assert len(peer.requests) == 3


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
def test_an_attempt_timeout_is_retried_for_reads(transport: str):
    with serve(dribble(0.3)) as peer:

        async def main() -> None:
            async with client_for(
                peer,
                timeout=0.5,
                retry=RetryPolicy(max_retries=1, backoff_base=0),
                **_transport(transport),
            ) as client:
                with anyio.fail_after(1.0 + MARGIN), pytest.raises(TimeoutError):
                    await client.call(Addresses())

        anyio.run(main)
    assert len(peer.requests) == 2


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
def test_an_attempt_timeout_is_not_retried_for_writes(transport: str):
    """The write may have reached the centre: it is never resent blindly."""
    with serve(dribble(0.3)) as peer:

        async def main() -> None:
            async with client_for(
                peer,
                timeout=0.5,
                retry=RetryPolicy(max_retries=3, backoff_base=0),
                **_transport(transport),
            ) as client:
                spec = CategoryGotoUrl(
                    company_idcode="i.86.120103.1021",
                    reg_id="1",
                    gotourl="https://example.com/p?id=",
                    sample_url="https://example.com/p?id=i.86.120103.1021/10.1001.1/1",
                )
                with anyio.fail_after(0.5 + MARGIN), pytest.raises(TimeoutError):
                    await client.call(spec)

        anyio.run(main)
    assert len(peer.requests) == 1


@pytest.mark.parametrize(("backend", "transport"), TRANSPORTS)
def test_a_per_call_timeout_bounds_the_attempt(backend: str, transport: str):
    with serve(dribble(0.4)) as peer:

        async def main() -> None:
            async with client_for(
                peer, retry=RetryPolicy(max_retries=0), **_transport(transport)
            ) as client:
                with anyio.fail_after(0.8 + MARGIN), pytest.raises(TimeoutError):
                    await client.call(Addresses(), timeout=0.8)

        anyio.run(main, backend=backend)


@pytest.mark.parametrize(("backend", "transport"), TRANSPORTS)
@pytest.mark.parametrize(
    ("timeout", "deadline", "expired"),
    [
        (30.0, 0.8, "deadline of 0.8 s"),
        (0.8, 30.0, "attempt's timeout"),
        (None, 0.8, "deadline of 0.8 s"),  # no timeout at all: the deadline alone
        (httpx.Timeout(30.0, pool=None), 0.8, "deadline of 0.8 s"),  # no pool bound
    ],
)
def test_a_single_attempt_ends_at_the_sooner_bound_and_names_it(
    backend: str,
    transport: str,
    timeout: float | httpx.Timeout | None,
    deadline: float,
    expired: str,
):
    """Without retries the deadline and the attempt share one scope: the error still says
    which of the two ran out."""
    with serve(dribble(0.4)) as peer:

        async def main() -> None:
            async with client_for(
                peer, retry=RetryPolicy(max_retries=0), **_transport(transport)
            ) as client:
                with anyio.fail_after(0.8 + MARGIN), pytest.raises(TimeoutError, match=expired):
                    await client.call(Addresses(), timeout=timeout, deadline=deadline)

        anyio.run(main, backend=backend)
    assert len(peer.requests) == 1


@pytest.mark.parametrize(("backend", "transport"), TRANSPORTS)
def test_a_timeout_without_a_read_bound_leaves_the_deadline_to_end_the_call(
    backend: str, transport: str
):
    """An unbounded phase leaves the attempt unbounded (no scope of its own): only the call's
    deadline ends a dribbling answer."""
    with serve(dribble(0.4)) as peer:

        async def main() -> None:
            async with client_for(
                peer, retry=RetryPolicy(max_retries=2), **_transport(transport)
            ) as client:
                with anyio.fail_after(0.8 + MARGIN), pytest.raises(TimeoutError, match="deadline"):
                    await client.call(
                        Addresses(), timeout=httpx.Timeout(5.0, read=None), deadline=0.8
                    )

        anyio.run(main, backend=backend)
    assert len(peer.requests) == 1


@pytest.mark.parametrize(("backend", "transport"), TRANSPORTS)
def test_a_cancellation_from_outside_ends_the_call(backend: str, transport: str):
    """The caller's own cancel scope still cuts a call short, whatever bounds the attempt."""
    with serve(dribble(0.4)) as peer:

        async def main() -> bool:
            async with client_for(peer, timeout=30.0, **_transport(transport)) as client:
                with anyio.fail_after(0.5 + MARGIN):
                    with anyio.move_on_after(0.5) as outside:
                        await client.call(Addresses())
                    await anyio.lowlevel.checkpoint()  # not cancelled any more: it runs on
            return outside.cancelled_caught

        assert anyio.run(main, backend=backend)
    assert len(peer.requests) == 1


def _redirect_then_dribble(pause: float) -> Script:
    """The first request is redirected (307, same origin) after ``pause``; the hop is
    answered after ``pause`` again: each hop alone stays within a bound both together pass."""

    def script(conn: socket.socket, request: bytes) -> None:
        time.sleep(pause)
        path = request.split(b" ", 2)[1]
        if not path.endswith(b"/hop"):
            conn.sendall(
                b"HTTP/1.1 307 Temporary Redirect\r\nLocation: " + path + b"/hop\r\n"
                b"Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            return
        body = json.dumps({"result_code": -1, "result_msg": "busy"}).encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)

    return script


@pytest.mark.parametrize(("backend", "transport"), TRANSPORTS)
def test_redirect_hops_share_the_attempts_bound(backend: str, transport: str):
    with serve(_redirect_then_dribble(0.4)) as peer:

        async def main() -> None:
            async with client_for(
                peer,
                timeout=0.6,
                retry=RetryPolicy(max_retries=0),
                follow_redirects=True,
                **_transport(transport),
            ) as client:
                with anyio.fail_after(0.6 + MARGIN), pytest.raises(TimeoutError, match="attempt"):
                    await client.call(Addresses())

        anyio.run(main, backend=backend)
    assert len(peer.requests) == 2
    assert peer.requests[1].split(b" ", 2)[1].endswith(b"/hop")


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
def test_an_event_hook_that_waits_is_inside_the_attempts_bound(transport: str):
    """User event hooks run inside the attempt: with hooks, aiohttp's own timeout (which
    starts at the transport) is not enough, and the client bounds the attempt itself."""
    with serve(answer(200, b'{"result_code": 1}')) as peer:

        async def stall(request: httpx.Request) -> None:
            await anyio.sleep(30)

        async def main() -> None:
            async with client_for(
                peer,
                timeout=0.5,
                retry=RetryPolicy(max_retries=0),
                event_hooks={"request": [stall]},
                **_transport(transport),
            ) as client:
                with anyio.fail_after(0.5 + MARGIN), pytest.raises(TimeoutError, match="attempt"):
                    await client.call(Addresses())

        anyio.run(main)
    assert peer.requests == []


def _dribble_unsized(interval: float) -> Script:
    """A 200 head without a length (read until close), then one byte every ``interval``:
    the aiohttp transport streams such a body instead of reading it whole."""

    def script(conn: socket.socket, request: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        conn.sendall(b"Connection: close\r\n\r\n{")
        for _ in range(9999):
            time.sleep(interval)
            conn.sendall(b" ")

    return script


@pytest.mark.parametrize(("backend", "transport"), TRANSPORTS)
def test_a_streamed_answer_is_inside_the_attempts_bound(backend: str, transport: str):
    with serve(_dribble_unsized(0.3)) as peer:

        async def main() -> None:
            async with client_for(
                peer, timeout=0.8, retry=RetryPolicy(max_retries=0), **_transport(transport)
            ) as client:
                with anyio.fail_after(0.8 + MARGIN), pytest.raises(TimeoutError, match="attempt"):
                    await client.call(Addresses())

        anyio.run(main, backend=backend)
    assert len(peer.requests) == 1
