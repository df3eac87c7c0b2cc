"""When to try a request again, and how long to wait first.

Reads are retried on anything transient.  Writes are retried only when the centre provably did
not act on them: the connection was never made (connect error, connect or pool timeout) or the
centre answered "system busy" (-1).  A write that may have reached the server is never resent
blindly; the batch helpers reconcile such rows instead.
"""

from __future__ import annotations

import math
import random

import attrs
import httpx

from ._errors import (
    BusyError,
    HttpStatusError,
    ResponseDecodeError,
    ResponseTooLargeError,
    UsageError,
)
from ._errors import TimeoutError as AttemptTimeoutError
from ._validators import shown

__all__ = ["RetryPolicy", "is_retryable"]


@attrs.frozen
class RetryPolicy:
    """Retry count and jittered exponential backoff (full jitter, capped)."""

    max_retries: int = attrs.field(default=2, validator=lambda _, a, v: _whole(a.name, v))
    backoff_base: float = attrs.field(default=0.5, validator=lambda _, a, v: _seconds(a.name, v))
    backoff_max: float = attrs.field(default=8.0, validator=lambda _, a, v: _seconds(a.name, v))

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (1-based): uniform in [0, cap].

        The exponent is capped so that a thousandth retry cannot overflow a float.
        """
        cap = min(self.backoff_max, self.backoff_base * 2.0 ** min(retry - 1, 1000))
        return (rng or random).uniform(0, cap)


def _whole(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise UsageError(
            f"RetryPolicy.{name} must be a whole number 0 or above, not {shown(value)}"
        )


def _seconds(name: str, value: object) -> None:
    """A finite number of seconds, 0 or more (an infinite pause would be a hang)."""
    try:
        seconds = float(value) if isinstance(value, int | float) else math.nan
    except OverflowError:
        seconds = math.inf
    if isinstance(value, bool) or not math.isfinite(seconds) or seconds < 0:
        raise UsageError(
            f"RetryPolicy.{name} must be finite seconds, 0 or more, not {shown(value)}"
        )


_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_TRANSIENT = (httpx.TransportError, AttemptTimeoutError)


def is_retryable(error: BaseException, *, writes: bool) -> bool:
    """Whether ``error`` (an httpx exception or one of ours) allows another attempt."""
    if isinstance(error, BusyError):
        return True
    if isinstance(error, _NEVER_SENT):
        return True
    if writes:
        return False
    if isinstance(error, _TRANSIENT):
        return True
    if isinstance(error, HttpStatusError):
        return error.status_code >= 500
    if isinstance(error, ResponseTooLargeError):
        return False
    if isinstance(error, ResponseDecodeError):
        return error.is_html or error.status_code >= 500
    return False
