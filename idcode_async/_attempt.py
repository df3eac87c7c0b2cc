"""How a transport bounds a whole attempt of ``client.call`` itself, and admits attempts
(issue 13).

The client bounds each attempt by the largest value of its timeout (:mod:`._deadline`),
normally with an anyio cancel scope.  A transport that can do this itself, more cheaply (the
aiohttp transport, with aiohttp's ``total`` timeout), says so by subclassing
:class:`AttemptBoundingTransport`; the client then passes the bound as a request extension.
Such a transport may also give an :class:`Admission`: the client then waits for a place in it
before it builds and signs the attempt's request.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from typing import Final

import httpx

__all__ = ["ATTEMPT_EXTENSION", "Admission", "AttemptBoundingTransport", "AttemptTimeout"]

ATTEMPT_EXTENSION: Final = "idcode.attempt"
"""Request extension: how many seconds the whole attempt may last, redirect hops included.

Set by the client only for an :class:`AttemptBoundingTransport`, which then bounds the attempt
itself instead of the client's anyio cancel scope (README "Performance": the scope, with its
event-loop timer and task bookkeeping, was the largest cost of an attempt the SDK owned)."""


class AttemptTimeout(httpx.ReadTimeout):
    """The whole attempt's bound (:data:`ATTEMPT_EXTENSION`) ran out inside the transport.

    A read timeout: the request may have been sent, so a write is never resent blindly; the
    client reports it as its own ``TimeoutError`` naming the bound that ran out.
    """


class AttemptBoundingTransport(httpx.AsyncBaseTransport):
    """A transport that bounds a request carrying :data:`ATTEMPT_EXTENSION` by that many
    seconds in all, from its first hop: connecting, sending, the answer's head and its whole
    body, and every redirect hop (which carries the same extensions), raising
    :class:`AttemptTimeout` when they run out."""

    admission: Admission | None = None
    """Where attempts wait for a place in the transport's pool, or ``None``: no waiting
    before the request is built."""


class Admission:
    """At most ``size`` attempts in a transport's pool at once; the others wait here, first
    come first in, before their request is built (asyncio's: the transports that admit
    attempts run under asyncio).

    Queued in aiohttp's pool, 54 of 64 concurrent calls each held a built, signed request, its
    headers three times over and aiohttp's request state: 12 KiB a call, 0.6 MiB together,
    more than the CPU's second-level cache.  Queued here they hold their spec.  A place freed
    passes straight to the first waiter.  The waits share one timer, armed for the earliest
    deadline, rather than one each: ``asyncio.Semaphore`` with ``asyncio.timeout`` cost more
    interpreter steps per queued call than the whole of the SDK's signing.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = size
        self._queue: deque[tuple[float, asyncio.Future[None]]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf

    async def enter(self, timeout: float) -> float:
        """Take a place, waiting at most ``timeout`` seconds; the seconds waited.

        Past the timeout: ``httpx.PoolTimeout`` (the request was never sent, so a write may
        be retried).  A free place is taken without waiting.
        """
        if self._free and not self._queue:
            self._free -= 1
            return 0.0
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline, place = started + timeout, loop.create_future()
        self._queue.append((deadline, place))
        if deadline < self._timer_at:
            self._arm(loop, deadline)
        try:
            await place
        except asyncio.CancelledError:
            if place.done() and not place.cancelled() and place.exception() is None:
                self.leave()  # given a place in the same moment as the cancel: pass it on
            raise
        return loop.time() - started

    def leave(self) -> None:
        """Give the place back: to the first live waiter, else to the free places."""
        queue = self._queue
        while queue:
            _, place = queue.popleft()
            if not place.done():  # not cancelled, not timed out
                place.set_result(None)
                return
        self._free += 1

    def _arm(self, loop: asyncio.AbstractEventLoop, deadline: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_at = loop.call_at(deadline, self._expire, loop), deadline

    def _expire(self, loop: asyncio.AbstractEventLoop) -> None:
        """Fail the waits past their deadline; arm the timer for the earliest one left."""
        self._timer, self._timer_at = None, math.inf
        now, left = loop.time(), deque[tuple[float, asyncio.Future[None]]]()
        for deadline, place in self._queue:
            if place.done():
                continue
            if deadline <= now:
                place.set_exception(httpx.PoolTimeout(_NO_PLACE))
            else:
                left.append((deadline, place))
        self._queue = left
        if left:
            self._arm(loop, min(deadline for deadline, _ in left))


_NO_PLACE: Final = "timed out waiting for a place in the connection pool"
