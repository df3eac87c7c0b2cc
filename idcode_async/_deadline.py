"""Per-call options of ``client.call``: retry count, timeout and deadline, checked and bounded.

httpx's timeouts bound each network operation (one read, one write), so a peer that sends one
byte just before every read timeout holds a request forever.  The SDK therefore also bounds
each *attempt* as a whole, by the largest value of its timeout, and optionally the whole call
with its retries and backoff pauses by ``deadline=``.  The client applies both as anyio cancel
scopes (not a timer per I/O call), so they interrupt whatever is awaited, a dribbling read or a
backoff pause, under asyncio and trio alike.  On a transport that bounds an attempt itself
(aiohttp's, by its ``total`` timeout: :class:`._attempt.AttemptBoundingTransport`) the
attempt's scope is left to the transport, unless event hooks run inside the attempt.
"""

from __future__ import annotations

import math
from typing import Any, Final

import httpx

from ._errors import UsageError
from ._validators import shown

__all__ = ["attempt_limit", "checked_deadline", "checked_retries", "checked_timeout"]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _positive_seconds(value: Any, name: str) -> float:
    try:
        seconds = float(value) if _is_number(value) else math.nan
    except OverflowError:  # an int too large for a float: no finite number of seconds
        seconds = math.inf
    if not math.isfinite(seconds) or seconds <= 0:
        raise UsageError(f"{name} must be a finite number of seconds above 0, not {shown(value)}")
    return seconds


def checked_retries(retries: Any) -> int | None:
    """``None`` (the client's policy) or a whole number of retries, 0 or more."""
    if retries is None:
        return None
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
        raise UsageError(f"retries must be a whole number 0 or above, not {retries!r}")
    return retries


def checked_timeout(timeout: Any, name: str = "timeout") -> float | httpx.Timeout | None:
    """``None`` (no timeout), seconds above 0, or an ``httpx.Timeout`` of such values."""
    if timeout is None:
        return None
    if isinstance(timeout, httpx.Timeout):
        for part in ("connect", "read", "write", "pool"):
            value = getattr(timeout, part)
            if value is not None:
                _positive_seconds(value, f"{name}.{part}")
        return timeout
    return _positive_seconds(timeout, name)


def checked_deadline(deadline: Any) -> float | None:
    """``None`` (no overall bound) or seconds above 0 for the whole call."""
    return None if deadline is None else _positive_seconds(deadline, "deadline")


ATTEMPT_SLACK: Final = 0.1
"""Seconds the attempt's bound waits past its timeout's largest value.

A phase's own timeout starts a moment after the attempt's (the pool wait, the request built),
so with ``timeout=2.0`` a connection or TLS handshake that hangs would run into the attempt's
bound first, and a write that provably never left would not be retried (``_retry.py`` resends
a write after ``ConnectTimeout``, never after an attempt cut short).  The slack lets the phase
that hangs name itself."""


def attempt_limit(timeout: float | httpx.Timeout | None) -> float | None:
    """How long one attempt may last in total: the largest of its timeout's values (and
    :data:`ATTEMPT_SLACK`).

    ``timeout=2.0`` bounds connect, each read and write, and now the whole attempt, by 2 s;
    the default ``Timeout(30.0, connect=10.0)`` bounds an attempt by 30 s.  A timeout with
    any phase left unbounded (``None``) leaves the attempt unbounded too: the caller asked so.
    """
    if timeout is None:
        return None
    if not isinstance(timeout, httpx.Timeout):
        return float(timeout) + ATTEMPT_SLACK
    parts = [timeout.connect, timeout.read, timeout.write, timeout.pool]
    if any(part is None for part in parts):
        return None
    return max(part for part in parts if part is not None) + ATTEMPT_SLACK
