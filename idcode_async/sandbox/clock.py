"""The sandbox's two notions of time.

The *wall clock* (``SandboxConfig.clock``, epoch milliseconds) is what a request's ``time``
parameter is checked against, so a client signing with the real time is always fresh.  The
*centre clock* is the wall clock plus an offset that :meth:`Clock.advance` moves: review
delays (308/608), verification-code expiry (302/303) and short-code generation (504/505) run
on it, so tests move a unit to "approved" without sleeping and without making their own
signatures stale.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Clock", "wall_clock_ms"]


def wall_clock_ms() -> int:
    """Epoch milliseconds, like the document's ``time`` parameter."""
    return time.time_ns() // 1_000_000


class Clock:
    """Wall clock plus an adjustable offset."""

    def __init__(self, wall: Callable[[], int] = wall_clock_ms) -> None:
        self._wall = wall
        self._offset_ms = 0

    def wall_ms(self) -> int:
        """The time requests are checked against."""
        return self._wall()

    def now_ms(self) -> int:
        """The centre's time: reviews and expiries are computed from it."""
        return self._wall() + self._offset_ms

    def advance(self, seconds: float) -> None:
        """Move the centre's time forward (review delays elapse, codes expire)."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._offset_ms += round(seconds * 1000)
