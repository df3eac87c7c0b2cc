"""Pacing of submissions: the SDK's one primitive for "not too fast" (309: 0.5–1 s apart).

The document asks batch registrations to be submitted one at a time with a pause of 0.5–1 s
(309).  A :class:`Pacer` hands out *slots*: ``async with pacer.slot():`` waits until a
submission may start, and the block is the submission; when the block ends, the pause before
the next start is drawn.  Every attempt takes its own slot, retries included, so a retry can
never jump the queue.  The interface is one method, so that the Redis pacer shared by several
processes of one access token stands in for :class:`LocalPacer` unchanged.

**The one rule** lives here, in :class:`Interval`: a lane's next start is the end of its last
submission plus a pause drawn uniformly from ``[minimum, maximum]``.  Every pacer and the
scale-out run settings take their bounds, their validation and their draw from it, so changing
the rule is a change to this file alone.
"""

from __future__ import annotations

import math
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol, runtime_checkable

import anyio
import attrs

__all__ = [
    "DEFAULT_MAX_INTERVAL",
    "DEFAULT_MIN_INTERVAL",
    "Interval",
    "LocalPacer",
    "Pacer",
]

DEFAULT_MIN_INTERVAL = 0.5
DEFAULT_MAX_INTERVAL = 1.0
"""309's advice: pause 0.5–1 s between submissions."""


@attrs.frozen
class Interval:
    """The pause between the end of one submission and the next start in its lane (309);
    ``0 <= minimum <= maximum < inf`` seconds, or a :class:`ValueError`."""

    minimum: float = DEFAULT_MIN_INTERVAL
    maximum: float = DEFAULT_MAX_INTERVAL

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.minimum <= self.maximum < math.inf:
            raise ValueError(
                f"need 0 <= min_interval <= max_interval < inf, got {self.minimum}, {self.maximum}"
            )

    @property
    def mean(self) -> float:
        """What a long run's rate converges to (plus the service time)."""
        return (self.minimum + self.maximum) / 2

    def draw(self, rng: random.Random) -> float:
        return rng.uniform(self.minimum, self.maximum)


@runtime_checkable
class Pacer(Protocol):
    """Grants submission slots.

    Entering ``slot()`` waits until a submission may start; the body is one request; leaving it
    (normally, by an exception or by cancellation) ends the submission.  At most the pacer's
    concurrency of bodies run at once, each starting no sooner than its pause after the end of
    the submission before it in the same lane.  If the wait is cancelled, no slot was used.
    """

    def slot(self) -> AbstractAsyncContextManager[None]: ...


class PacerSettings:
    """What every pacer is configured with: the pause bounds (the rule of :class:`Interval`),
    ``concurrency`` lanes (at least one), and the ``rng`` and ``sleep`` tests may inject."""

    def __init__(
        self,
        min_interval: float,
        max_interval: float,
        concurrency: int,
        rng: random.Random | None,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.interval = Interval(float(min_interval), float(max_interval))
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self.concurrency = concurrency
        self._rng = rng if rng is not None else random.Random()
        self._sleep = sleep

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(min_interval={self.interval.minimum}, "
            f"max_interval={self.interval.maximum}, concurrency={self.concurrency})"
        )


class LocalPacer(PacerSettings):
    """An in-process pacer: ``concurrency`` lanes, each pausing uniform(min, max) between the
    end of one submission and the start of the next (by default the document's "one at a
    time, 0.5–1 s apart").  Share one instance among everything that submits with the same
    access token in a process.  ``clock``, ``sleep`` and ``rng`` are injectable for tests;
    anyio's clock and sleep by default, so the pacer runs under asyncio and trio.
    """

    def __init__(
        self,
        min_interval: float = DEFAULT_MIN_INTERVAL,
        max_interval: float = DEFAULT_MAX_INTERVAL,
        *,
        concurrency: int = 1,
        clock: Callable[[], float] = anyio.current_time,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(min_interval, max_interval, concurrency, rng, sleep)
        self._clock = clock
        self._semaphore = anyio.Semaphore(concurrency)
        self._ready = [-math.inf] * concurrency
        """When each lane may next start a submission (clock seconds)."""
        self._free = list(range(concurrency))

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._semaphore:
            lane = min(self._free, key=self._ready.__getitem__)
            self._free.remove(lane)
            started = False
            try:
                delay = self._ready[lane] - self._clock()
                if delay > 0:
                    await self._sleep(delay)
                started = True
                yield
            finally:
                if started:
                    self._ready[lane] = self._clock() + self.interval.draw(self._rng)
                self._free.append(lane)
