"""idcode-async: the asyncio SDK for the IDcode SP API.

>>> from idcode_async import IdcodeClient, registry
"""

from __future__ import annotations

from . import endpoints
from ._auth import IdcodeAuth
from ._client import (
    DEFAULT_TIMEOUT,
    PRODUCTION_BASE_URL,
    TEST_BASE_URL,
    UPLOAD_TIMEOUT,
    IdcodeClient,
    PageForm,
)
from ._errors import (
    ApiError,
    AuthError,
    BusyError,
    DuplicateError,
    FileError,
    HttpStatusError,
    IdcodeError,
    InvalidParameterError,
    LoginError,
    NotFoundError,
    ResolveUrlError,
    ResponseDecodeError,
    TimeoutError,
    TransportError,
    UnitStateError,
    UploadError,
    UsageError,
    ValidationError,
    VerificationCodeError,
)
from ._registry import registry
from ._retry import RetryPolicy
from ._signing import canonical_string, sign
from ._spec import Endpoint, PageEndpoint, Response, Spec
from ._version import __version__
from .endpoints import CategoryRegItem

__all__ = [
    "DEFAULT_TIMEOUT",
    "PRODUCTION_BASE_URL",
    "TEST_BASE_URL",
    "UPLOAD_TIMEOUT",
    "ApiError",
    "AuthError",
    "BusyError",
    "CategoryRegItem",
    "DuplicateError",
    "Endpoint",
    "FileError",
    "HttpStatusError",
    "IdcodeAuth",
    "IdcodeClient",
    "IdcodeError",
    "InvalidParameterError",
    "LoginError",
    "NotFoundError",
    "PageEndpoint",
    "PageForm",
    "ResolveUrlError",
    "Response",
    "ResponseDecodeError",
    "RetryPolicy",
    "Spec",
    "TimeoutError",
    "TransportError",
    "UnitStateError",
    "UploadError",
    "UsageError",
    "ValidationError",
    "VerificationCodeError",
    "__version__",
    "canonical_string",
    "endpoints",
    "registry",
    "sign",
]
