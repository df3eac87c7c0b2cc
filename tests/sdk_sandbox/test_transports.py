"""Both transports tell "never sent" from "maybe acted on" the same way (README "The HTTP client").

The retry rule (``_retry.py``) reads httpx's exception classes.  On the aiohttp transport
those come from ``_aiohttp_transport.translate``; these tests provoke each kind of failure on
a real socket (the sandbox on 127.0.0.1, or a port nobody listens on) and check what the
centre saw, on both transports.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from typing import Any

import aiohttp
import anyio
import httpx
import pytest

from idcode_async import (
    DEFAULT_LIMITS,
    IdcodeClient,
    RetryPolicy,
    TimeoutError,
    TransportError,
    aiohttp_transport,
)
from idcode_async._aiohttp_transport import IdcodeAiohttpTransport, translate
from idcode_async._attempt import ATTEMPT_EXTENSION
from idcode_async._deadline import attempt_limit
from idcode_async.endpoints import ExamineRecord
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, FaultKind, Sandbox
from idcode_async.sandbox.serve import running

from .helpers import UNIT_NAME, requests_to, unit_spec

RETRYING = RetryPolicy(max_retries=2, backoff_base=0.0)


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    with Sandbox(approval_delay=2.0) as sandbox, running(sandbox) as base_url:
        yield sandbox, base_url


def client_for(base_url: str, transport: dict[str, Any], **options: Any) -> IdcodeClient:
    return IdcodeClient(
        access_token=TEST_ACCESS_TOKEN,
        auth_code=TEST_AUTH_CODE,
        base_url=base_url,
        retry=RETRYING,
        **transport,
        **options,
    )


def closed_port() -> int:
    """A loopback port with no listener (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_a_write_that_never_connected_is_retried(transport: dict[str, Any]) -> None:
    """Connection refused: nothing reached the centre, so even 309 is tried 1 + 2 times."""
    attempts: list[httpx.Request] = []

    async def count(request: httpx.Request) -> None:
        attempts.append(request)

    base_url = f"http://127.0.0.1:{closed_port()}"
    async with client_for(base_url, transport, event_hooks={"request": [count]}) as client:
        with pytest.raises(TransportError) as caught:
            await client.call(unit_spec())
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert len(attempts) == 3


async def test_a_connection_dropped_before_the_answer_is_not_resent_for_a_write(
    served: tuple[Sandbox, str], transport: dict[str, Any]
) -> None:
    """drop_before over a socket: the request left, no answer came.  aiohttp reports this as
    ``ServerDisconnectedError``, a ``ClientConnectionError``; it must not read as a connect
    failure, or the registration would be sent again."""
    sandbox, base_url = served
    sandbox.faults.schedule(FaultKind.DROP_BEFORE, endpoint=309)
    async with client_for(base_url, transport) as client:
        with pytest.raises(TransportError) as caught:
            await client.call(unit_spec())
    assert not isinstance(caught.value, TimeoutError)
    assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError | httpx.ReadError)
    assert requests_to(sandbox, 309) == 1
    assert sandbox.stats()["submissions_by_name"]["309"] == {}


async def test_a_server_that_closes_without_answering_gets_a_write_once(
    transport: dict[str, Any],
) -> None:
    """A server (or gateway) that reads the request and hangs up without a status line: what
    aiohttp calls ``ServerDisconnectedError``.  The ``httpx_aiohttp`` package maps it to
    ``ConnectTimeout`` ("never sent"), which would resend the registration."""
    arrivals: list[bytes] = []

    async def hang_up(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            request = b""
            while b"\r\n\r\n" not in request:
                request += await stream.receive()
            arrivals.append(request.split(b"\r\n", 1)[0])

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as group:
        group.start_soon(listener.serve, hang_up)
        async with client_for(f"http://127.0.0.1:{port}", transport) as client:
            with pytest.raises(TransportError) as caught:
                await client.call(unit_spec())
        group.cancel_scope.cancel()
    assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError | httpx.ReadError)
    assert arrivals == [b"POST /sp/idcode/unit/regist HTTP/1.1"]


async def test_a_dropped_read_is_retried_and_succeeds(
    served: tuple[Sandbox, str], transport: dict[str, Any]
) -> None:
    """The same drop on a read (309 then 608) is retried: two requests, an answer."""
    sandbox, base_url = served
    async with client_for(base_url, transport) as client:
        unit = await client.call(unit_spec())
        sandbox.faults.schedule(FaultKind.DROP_BEFORE, endpoint=608)
        review = await client.call(
            ExamineRecord(company_idcode=unit.organunit_idcode or "", type=1)
        )
    assert review.examine_content == UNIT_NAME
    assert requests_to(sandbox, 608) == 2


async def test_a_failed_get_leaks_no_credential(
    served: tuple[Sandbox, str], transport: dict[str, Any]
) -> None:
    """608 travels as a query string holding the access token and hash: neither may appear in
    the error, its arguments or anything chained to it."""
    sandbox, base_url = served
    sandbox.faults.schedule(FaultKind.DROP_BEFORE, endpoint=608, times=3)
    async with client_for(base_url, transport) as client:
        with pytest.raises(TransportError) as caught:
            await client.call(ExamineRecord(company_idcode="i.86.110105.1", type=1))
    seen: list[BaseException] = []
    error: BaseException | None = caught.value
    while error is not None and error not in seen:
        seen.append(error)
        error = error.__cause__ or error.__context__
    for each in seen:
        text = f"{each!s} {each!r} {each.args!r}"
        assert TEST_ACCESS_TOKEN not in text
        assert "hash=" not in text.replace("hash=***", "")


async def test_the_client_starts_with_the_sdk_pool_limits() -> None:
    """The default transport gets :data:`DEFAULT_LIMITS` (every pooled connection kept alive);
    an explicit ``limits=`` wins."""
    async with IdcodeClient(access_token="t", auth_code="a") as client:
        pool = client._transport._pool  # type: ignore[attr-defined]
        assert pool._max_connections == DEFAULT_LIMITS.max_connections
        assert pool._max_keepalive_connections == DEFAULT_LIMITS.max_connections
    own = httpx.Limits(max_connections=3)
    async with IdcodeClient(access_token="t", auth_code="a", limits=own) as client:
        assert client._transport._pool._max_connections == 3  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("cause", "expected"),
    [
        (aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError),
        (aiohttp.ConnectionTimeoutError("connect"), httpx.ConnectTimeout),
        (aiohttp.SocketTimeoutError("read"), httpx.ReadTimeout),
        (aiohttp.ClientPayloadError("cut"), httpx.ReadError),
        (aiohttp.ClientOSError(104, "reset"), httpx.ReadError),
        (aiohttp.ClientConnectionResetError("reset"), httpx.WriteError),
    ],
)
def test_aiohttp_failures_map_to_the_httpx_class_the_retry_rule_reads(
    cause: BaseException, expected: type[httpx.TransportError]
) -> None:
    """The mapped error is the retry rule's class, says which aiohttp error it was, and
    chains nothing."""
    mapped = translate(cause)
    assert type(mapped) is expected
    assert str(mapped).startswith(type(cause).__name__)
    assert mapped.__cause__ is None


def test_anything_else_passes_unmapped() -> None:
    """Cancellation, httpx's own errors and bugs are not aiohttp failures: raised as they are."""
    assert translate(httpx.ConnectTimeout("already httpx's")) is None
    assert translate(ValueError("a bug")) is None


def test_the_factory_gives_a_transport_with_the_asked_limits() -> None:
    limits = httpx.Limits(max_connections=7, keepalive_expiry=2.0)
    assert aiohttp_transport(limits=limits).limits is limits


def test_without_the_extra_the_factory_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "idcode_async._aiohttp_transport", None)
    with pytest.raises(ImportError, match=r"idcode-async\[aiohttp\]"):
        aiohttp_transport()


@pytest.mark.parametrize(
    ("timeout", "sock_read"),
    [
        (httpx.Timeout(30.0, connect=10.0), None),  # the default: read is its largest value
        (2.0, None),
        (httpx.Timeout(30.0, read=5.0), 5.0),  # a shorter read timeout can fire first
    ],
)
def test_aiohttp_s_read_timer_is_armed_only_when_it_can_fire_before_the_attempt_s_bound(
    timeout: float | httpx.Timeout, sock_read: float | None
):
    """aiohttp cancels and schedules its read timer on every read: armed only when it can
    fire more than the attempt's slack before the bound that ends the attempt anyway."""
    bound = attempt_limit(timeout)
    assert bound is not None
    transport = IdcodeAiohttpTransport(limits=DEFAULT_LIMITS)
    extensions = {"timeout": httpx.Timeout(timeout).as_dict(), ATTEMPT_EXTENSION: bound}
    chosen = transport._timeout(extensions)
    assert chosen.sock_read == sock_read
    assert chosen.total == bound
