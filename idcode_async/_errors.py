"""One tree of exceptions, and the one place that maps result codes to it.

Every failure the SDK reports is an :class:`IdcodeError`.  Messages name the endpoint, the
result code and the centre's message, never a credential: the access token, ``hash``,
passwords and the authorisation code are kept out of every text built here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

__all__ = [
    "RESULT_CODES",
    "ApiError",
    "AuthError",
    "BusyError",
    "DuplicateError",
    "FileError",
    "HttpStatusError",
    "IdcodeError",
    "InvalidParameterError",
    "LoginError",
    "NotFoundError",
    "RedirectError",
    "ResolveUrlError",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "TimeoutError",
    "TransportError",
    "UnitStateError",
    "UploadError",
    "UsageError",
    "ValidationError",
    "VerificationCodeError",
    "error_for_code",
]


class IdcodeError(Exception):
    """Root of every error raised by idcode-async."""


class UsageError(IdcodeError, TypeError):
    """The SDK was asked for something it cannot do (e.g. ``call`` on a page interface)."""


class ValidationError(IdcodeError, ValueError):
    """A request parameter breaks a documented rule; raised before anything is sent."""

    def __init__(self, parameter: str, reason: str, *, endpoint: int | None = None) -> None:
        self.parameter = parameter
        self.reason = reason
        self.endpoint = endpoint
        where = f"endpoint {endpoint}: " if endpoint is not None else ""
        super().__init__(f"{where}parameter {parameter!r} {reason}")


class TransportError(IdcodeError):
    """The request could not be completed at the HTTP level (chains the httpx exception)."""

    def __init__(self, message: str, *, endpoint: int | None = None) -> None:
        self.endpoint = endpoint
        super().__init__(f"endpoint {endpoint}: {message}" if endpoint is not None else message)


class TimeoutError(TransportError):
    """Connect, read, write or pool timeout."""


class HttpStatusError(TransportError):
    """The centre answered with an HTTP error status and no result code in a JSON body."""

    def __init__(self, status_code: int, *, endpoint: int | None = None) -> None:
        self.status_code = status_code
        super().__init__(f"HTTP status {status_code}", endpoint=endpoint)


class ResponseDecodeError(TransportError):
    """The answer was not the documented JSON (an HTML gateway page, truncated JSON, …)."""

    def __init__(
        self, message: str, *, status_code: int, endpoint: int | None = None, is_html: bool = False
    ) -> None:
        self.status_code = status_code
        self.is_html = is_html
        super().__init__(message, endpoint=endpoint)


class ResponseTooLargeError(ResponseDecodeError):
    """The answer's decompressed size passed the client's ``max_response_bytes``.

    The body is read as a stream and decompressed in bounded steps, so a hostile or broken
    peer (a gzip bomb, an endless body) cannot make the SDK hold more than the cap in memory.
    """

    def __init__(self, limit: int, *, status_code: int, endpoint: int | None = None) -> None:
        self.limit = limit
        super().__init__(
            f"HTTP {status_code}: the answer exceeds {limit} bytes (max_response_bytes)",
            status_code=status_code,
            endpoint=endpoint,
        )


class RedirectError(TransportError):
    """A signed request was redirected to another origin; it is not followed.

    Following it would hand the access token, ``hash`` and any password in the body or query
    to a host that is not the centre (and let that host's answer pass for the centre's).
    """

    def __init__(self, status_code: int, target: str, *, endpoint: int | None = None) -> None:
        self.status_code = status_code
        self.target = target
        super().__init__(
            f"HTTP {status_code}: refusing to follow a redirect of a signed request to {target}",
            endpoint=endpoint,
        )


class ApiError(IdcodeError):
    """The centre answered with a result code other than 1.

    ``code``, ``message`` and ``endpoint`` are the result code, the centre's ``result_msg``
    and the endpoint number; ``body`` is the decoded JSON answer (keys normalised).
    """

    def __init__(
        self, code: int, message: str, endpoint: int, body: Mapping[str, Any] | None = None
    ) -> None:
        self.code = code
        self.message = message
        self.endpoint = endpoint
        self.body: Mapping[str, Any] = body if body is not None else {}
        super().__init__(f"endpoint {endpoint}: result code {code}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.code, self.message, self.endpoint, dict(self.body)))


class BusyError(ApiError):
    """-1: the system is busy; retried automatically, safe to retry later."""


class AuthError(ApiError):
    """10001/10002: the access token does not exist or is disabled."""


class LoginError(ApiError):
    """10005: wrong user name or password of a unit (301/310/601)."""


class NotFoundError(ApiError):
    """10003/10006/50003: no such unit, no matching data, or an unknown registration ID."""


class DuplicateError(ApiError):
    """10007/10008/10009/50001/50002: the unit, user name, model code or application exists."""


class InvalidParameterError(ApiError):
    """10000: the centre rejected a parameter."""


class UnitStateError(ApiError):
    """10004/10010: the unit's information is incomplete, or its name cannot be changed."""


class VerificationCodeError(ApiError):
    """20001–20003: SMS verification code expired, wrong, or requested too often."""


class ResolveUrlError(ApiError):
    """30001/30002/30005: resolve URL empty, malformed, or not matching the sample URL."""


class FileError(ApiError):
    """40001–40005: image too large, wrong format, damaged, or logo missing/failed."""


class UploadError(ApiError):
    """50004–50007/50013/59999: code upload or download problems."""


RESULT_CODES: Final[Mapping[int, type[ApiError]]] = MappingProxyType(
    {
        -1: BusyError,
        10000: InvalidParameterError,
        10001: AuthError,
        10002: AuthError,
        10003: NotFoundError,
        10004: UnitStateError,
        10005: LoginError,
        10006: NotFoundError,
        10007: DuplicateError,
        10008: DuplicateError,
        10009: DuplicateError,
        10010: UnitStateError,
        20001: VerificationCodeError,
        20002: VerificationCodeError,
        20003: VerificationCodeError,
        30001: ResolveUrlError,
        30002: ResolveUrlError,
        30005: ResolveUrlError,
        40001: FileError,
        40002: FileError,
        40003: FileError,
        40004: FileError,
        40005: FileError,
        50001: DuplicateError,
        50002: DuplicateError,
        50003: NotFoundError,
        50004: UploadError,
        50005: UploadError,
        50006: UploadError,
        50007: UploadError,
        50013: UploadError,
        59999: UploadError,
    }
)
"""Each result code the endpoints' tables list (返回值代码说明, seed §六 on) → its exception
class; read-only, and the table the documentation's result-code page is generated from."""


def error_for_code(
    code: int, message: str, endpoint: int, body: Mapping[str, Any] | None = None
) -> ApiError:
    """The exception for a result code; undocumented codes (0, 2, …) give a plain ApiError."""
    return RESULT_CODES.get(code, ApiError)(code, message, endpoint, body)
