"""idcode-async: the asyncio SDK for the IDcode SP API.

>>> from idcode_async import IdcodeClient, registry

Public names are imported on first use (PEP 562 ``__getattr__``), so a program that needs one
corner of the SDK (the ``idcode upload-codes`` command, a script that only plans) does not pay
for the rest: importing everything up front cost several MiB of the 64 MiB an upload may use
(issue 13).  ``from idcode_async import X``, ``idcode_async.X``, ``dir()`` and ``__all__`` work
as before; type checkers read the imports under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
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
    from ._retry import RetryPolicy
    from ._signing import canonical_string, sign
    from ._spec import Endpoint, PageEndpoint, Response, Spec, registry
    from ._sync import SyncIdcodeClient
    from ._transport import DEFAULT_LIMITS, aiohttp_transport
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

_LAZY: dict[str, str] = {
    "ApiError": "._errors",
    "AuthError": "._errors",
    "BatchSummary": ".registration",
    "BusyError": "._errors",
    "CALLBACK_PARAMETER": ".domain.pages",
    "CategoryRef": ".uploads",
    "CategoryRegItem": ".endpoints",
    "CodeKind": ".domain.idcode",
    "DEFAULT_LIMITS": "._transport",
    "DEFAULT_MAX_RESPONSE_BYTES": "._client",
    "DEFAULT_TIMEOUT": "._client",
    "DuplicateError": "._errors",
    "Endpoint": "._spec",
    "FileError": "._errors",
    "HttpStatusError": "._errors",
    "IDCode": ".domain.idcode",
    "IdcodeAuth": "._auth",
    "IdcodeClient": "._client",
    "IdcodeError": "._errors",
    "InsecureBaseUrlWarning": "._origin",
    "InvalidParameterError": "._errors",
    "LocalPacer": ".registration",
    "LoginError": "._errors",
    "NotFoundError": "._errors",
    "PLACEHOLDERS": ".domain.resolve",
    "PRODUCTION_BASE_URL": "._client",
    "PRODUCTION_RESOLVER": ".domain.idcode",
    "Pacer": ".registration",
    "PageEndpoint": "._spec",
    "PageForm": "._client",
    "PlanOptions": ".uploads",
    "RedirectError": "._errors",
    "Region": ".domain.regions",
    "RegionDirectory": ".domain.regions",
    "RegionSelection": ".domain.regions",
    "ResolveUrl": ".domain.resolve",
    "ResolveUrlError": "._errors",
    "Response": "._spec",
    "ResponseDecodeError": "._errors",
    "ResponseTooLargeError": "._errors",
    "RetryPolicy": "._retry",
    "RowOutcome": ".registration",
    "Spec": "._spec",
    "SqliteJournal": ".registration",
    "SyncIdcodeClient": "._sync",
    "TEST_BASE_URL": "._client",
    "TEST_RESOLVER": ".domain.idcode",
    "TimeoutError": "._errors",
    "TransportError": "._errors",
    "UPLOAD_TIMEOUT": "._client",
    "UnitRegistration": ".registration",
    "UnitStateError": "._errors",
    "UnresolvedUploadError": ".uploads",
    "UploadAbortedError": ".uploads",
    "UploadError": "._errors",
    "UploadManifest": ".uploads",
    "UploadPlan": ".uploads",
    "UploadResult": ".uploads",
    "UsageError": "._errors",
    "ValidationError": "._errors",
    "VerificationCodeError": "._errors",
    "aiohttp_transport": "._transport",
    "build_resolve_url": ".domain.resolve",
    "canonical_string": "._signing",
    "endpoints": ".endpoints",
    "parse_landing": ".domain.resolve",
    "parse_page_callback": ".domain.pages",
    "parse_scan_query": ".domain.resolve",
    "plan_upload": ".uploads",
    "plan_upload_async": ".uploads",
    "read_units_csv": ".registration",
    "read_units_jsonl": ".registration",
    "register_units": ".registration",
    "registry": "._spec",
    "scan_target": ".domain.resolve",
    "sign": "._signing",
    "upload_codes": ".uploads",
    "url_encode": ".domain.resolve",
    "validate_sample_url": ".domain.resolve",
    "verify_upload": ".uploads",
}
"""Public name -> the module that defines it (relative; ``.name`` alone is a subpackage)."""


def __getattr__(name: str) -> Any:
    """Import ``name``'s module on first access and cache the name in this module."""
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name == "registry":
        importlib.import_module(".endpoints", __name__)  # the specs fill it as they load
    module = importlib.import_module(target, __name__)
    value = module if target == f".{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
