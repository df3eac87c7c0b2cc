"""The HTTP transports an ``IdcodeClient`` can run on, and the pool limits it starts with.

The default is httpx's own transport (httpcore): it runs under asyncio and trio, and respx can
mock it.  :func:`aiohttp_transport` is the opt-in fast path for asyncio services that await
many calls at once (README "The HTTP client" and "Performance": several times the throughput of
httpcore under concurrency).  It needs the ``aiohttp`` extra and runs under asyncio only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

import anyio
import httpx

__all__ = ["DEFAULT_LIMITS", "PoolGate", "aiohttp_transport", "pool_gate"]

DEFAULT_LIMITS: Final = httpx.Limits(
    max_connections=10, max_keepalive_connections=10, keepalive_expiry=5.0
)
"""A small pool, every connection of it kept alive (README "The HTTP client").

httpcore's pool does work linear in its open connections on every request and every answer
(it asks each idle socket whether it is readable: a system call), so past a handful of
connections more of them cost client CPU and bring nothing on a busy client; and its surplus
rule counts all connections, not the idle ones, so with httpx's default (100 connections, 20
kept alive) a burst above 20 closes connections that the next burst reopens.  Ten connections
kept alive avoid both; a service on a slow link that needs more calls in flight passes its
own ``limits=``.  Five seconds of idle keep-alive is httpx's own expiry.
"""

_INSTALL_HINT: Final = (
    "the aiohttp transport needs the 'aiohttp' extra: pip install 'idcode-async[aiohttp]'"
)


def aiohttp_transport(
    *,
    limits: httpx.Limits = DEFAULT_LIMITS,
    verify: bool | str = True,
    trust_env: bool = True,
) -> httpx.AsyncBaseTransport:
    """An aiohttp-backed transport for ``IdcodeClient(transport=aiohttp_transport())``.

    ``limits`` sizes aiohttp's connection pool (``max_connections`` and ``keepalive_expiry``
    are used; aiohttp keeps every idle connection).  ``verify`` and ``trust_env`` mean what they
    mean for httpx.  Retries, timeouts, signing and redaction behave as on the default
    transport: aiohttp's exceptions are mapped to the httpx exceptions the retry rule reads.
    The return type is httpx's transport interface, so that type-checking code that uses it
    does not need aiohttp installed.
    """
    try:
        from ._aiohttp_transport import IdcodeAiohttpTransport  # optional extra
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return IdcodeAiohttpTransport(limits=limits, verify=verify, trust_env=trust_env)


class PoolGate:
    """Queues dispatched calls in the SDK, at most ``size`` in httpcore's pool at once.

    httpcore's pool does work linear in its waiting requests times its connections on every
    request and every answer (``_assign_requests_to_connections``, with a readability check of
    each idle socket), so 64 tasks queued on 10 connections spend most client time scheduling.
    Waiting here instead (an anyio semaphore: FIFO, no work per waiter) leaves httpcore one
    request per connection.  The wait counts as httpx's ``pool`` timeout: past it the call
    fails with ``httpx.PoolTimeout`` (never sent, so a write may be retried).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._semaphore: anyio.Semaphore | None = None

    @asynccontextmanager
    async def slot(self, pool_timeout: float | None) -> AsyncIterator[None]:
        if self._semaphore is None:  # made in the event loop, whatever anyio's version
            self._semaphore = anyio.Semaphore(self.size)
        semaphore = self._semaphore
        with anyio.move_on_after(pool_timeout) as scope:
            await semaphore.acquire()
        if scope.cancelled_caught:
            raise httpx.PoolTimeout("timed out waiting for a connection from the pool")
        try:
            yield
        finally:
            semaphore.release()


def pool_gate(kwargs: dict[str, Any]) -> PoolGate | None:
    """The gate for a client made with these keyword arguments: only on httpx's own
    transport (another transport, aiohttp's, schedules its own pool well)."""
    if kwargs.get("transport") is not None or kwargs.get("mounts"):
        return None
    limits = kwargs.get("limits", DEFAULT_LIMITS)
    size = limits.max_connections if isinstance(limits, httpx.Limits) else None
    return None if size is None else PoolGate(size)
