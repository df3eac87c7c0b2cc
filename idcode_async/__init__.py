"""idcode-async: the asyncio SDK for the IDcode SP API.

>>> from idcode_async import IdcodeClient, registry
"""

from __future__ import annotations

from . import endpoints
from ._auth import IdcodeAuth
from ._client import (
    DEFAULT_MAX_RESPONSE_BYTES,
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
    RedirectError,
    ResolveUrlError,
    ResponseDecodeError,
    ResponseTooLargeError,
    TimeoutError,
    TransportError,
    UnitStateError,
    UploadError,
    UsageError,
    ValidationError,
    VerificationCodeError,
)
from ._origin import InsecureBaseUrlWarning
from ._registry import registry
from ._retry import RetryPolicy
from ._signing import canonical_string, sign
from ._spec import Endpoint, PageEndpoint, Response, Spec
from ._sync import SyncIdcodeClient
from ._transport import DEFAULT_LIMITS, aiohttp_transport
from ._version import __version__
from .domain.idcode import PRODUCTION_RESOLVER, TEST_RESOLVER, CodeKind, IDCode
from .domain.pages import CALLBACK_PARAMETER, parse_page_callback
from .domain.regions import Region, RegionDirectory, RegionSelection
from .domain.resolve import (
    PLACEHOLDERS,
    ResolveUrl,
    build_resolve_url,
    parse_landing,
    parse_scan_query,
    scan_target,
    url_encode,
    validate_sample_url,
)
from .endpoints import CategoryRegItem
from .registration import (
    BatchSummary,
    LocalPacer,
    Pacer,
    RowOutcome,
    SqliteJournal,
    UnitRegistration,
    read_units_csv,
    read_units_jsonl,
    register_units,
)
from .uploads import (
    CategoryRef,
    PlanOptions,
    UnresolvedUploadError,
    UploadAbortedError,
    UploadManifest,
    UploadPlan,
    UploadResult,
    plan_upload,
    plan_upload_async,
    upload_codes,
    verify_upload,
)

__all__ = [
    "CALLBACK_PARAMETER",
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "PLACEHOLDERS",
    "PRODUCTION_BASE_URL",
    "PRODUCTION_RESOLVER",
    "TEST_BASE_URL",
    "TEST_RESOLVER",
    "UPLOAD_TIMEOUT",
    "ApiError",
    "AuthError",
    "BatchSummary",
    "BusyError",
    "CategoryRef",
    "CategoryRegItem",
    "CodeKind",
    "DuplicateError",
    "Endpoint",
    "FileError",
    "HttpStatusError",
    "IDCode",
    "IdcodeAuth",
    "IdcodeClient",
    "IdcodeError",
    "InsecureBaseUrlWarning",
    "InvalidParameterError",
    "LocalPacer",
    "LoginError",
    "NotFoundError",
    "Pacer",
    "PageEndpoint",
    "PageForm",
    "PlanOptions",
    "RedirectError",
    "Region",
    "RegionDirectory",
    "RegionSelection",
    "ResolveUrl",
    "ResolveUrlError",
    "Response",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "RetryPolicy",
    "RowOutcome",
    "Spec",
    "SqliteJournal",
    "SyncIdcodeClient",
    "TimeoutError",
    "TransportError",
    "UnitRegistration",
    "UnitStateError",
    "UnresolvedUploadError",
    "UploadAbortedError",
    "UploadError",
    "UploadManifest",
    "UploadPlan",
    "UploadResult",
    "UsageError",
    "ValidationError",
    "VerificationCodeError",
    "__version__",
    "aiohttp_transport",
    "build_resolve_url",
    "canonical_string",
    "endpoints",
    "parse_landing",
    "parse_page_callback",
    "parse_scan_query",
    "plan_upload",
    "plan_upload_async",
    "read_units_csv",
    "read_units_jsonl",
    "register_units",
    "registry",
    "scan_target",
    "sign",
    "upload_codes",
    "url_encode",
    "validate_sample_url",
    "verify_upload",
]
