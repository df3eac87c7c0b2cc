"""How a failed attempt is treated, for every exactly-once workflow (309, 5011–5014).

Nothing here is specific to one interface: what counts as "already done" (10007/10008 for
309; none for the uploads) is the workflow's own ``exists_codes``.
"""

from __future__ import annotations

import enum
from collections.abc import Container
from typing import Final

import httpx

from .._errors import ApiError, AuthError, BusyError, IdcodeError, TransportError

__all__ = ["ErrorKind", "classify"]

_NEVER_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class ErrorKind(enum.Enum):
    NOT_APPLIED = "not-applied"
    """The centre provably did not act: busy (-1), or the connection was never made."""
    EXISTS = "exists"
    """One of the workflow's "already done" codes (309: the unit or user name exists)."""
    REFUSED = "refused"
    """Any other result code: the centre answered and did not do it."""
    FATAL = "fatal"
    """10001/10002: the access token does not exist or is disabled; no item can succeed."""
    AMBIGUOUS = "ambiguous"
    """The request may have reached the centre and its answer was lost."""


def classify(error: IdcodeError, exists_codes: Container[int] = ()) -> ErrorKind:
    """How a failed attempt is treated: resend, settle, look up first, or stop."""
    if isinstance(error, BusyError):
        return ErrorKind.NOT_APPLIED
    if isinstance(error, AuthError):
        return ErrorKind.FATAL
    if isinstance(error, ApiError):
        return ErrorKind.EXISTS if error.code in exists_codes else ErrorKind.REFUSED
    if isinstance(error, TransportError) and isinstance(error.__cause__, _NEVER_SENT):
        return ErrorKind.NOT_APPLIED
    return ErrorKind.AMBIGUOUS
