"""The SP side of the page and scan flows, shared by the FastAPI and aiohttp examples.

A web app embedding the SDK does three things with the centre besides calling data
interfaces, and none of them depends on the web framework, so they live here once:

* **send an operator to a page interface**: 401 is a page of the centre opened in the
  operator's browser; the app builds its signed URL and redirects (seed 401, note 3);
* **receive the callback**: on success the centre sends the browser back to ``callback_url``
  with ``CategoryIDcode`` appended; the app reads it and confirms it with the centre;
* **serve the scan landing**: a scan of a code lands on the resolve URL (``gotourl``) with the
  number in its query (seed §十三); the app reads the number back.

The framework modules only wire these into routes, one client per app, and answer with the
same bytes: JSON as UTF-8 (:func:`json_bytes`), every error as an :class:`ErrorAnswer`.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from typing import Any, Final, Protocol
from urllib.parse import parse_qsl, urlsplit

# pydantic (FastAPI's models) needs typing_extensions' TypedDict before Python 3.12;
# typing_extensions is a dependency of both FastAPI and aiohttp.
from typing_extensions import TypedDict

from idcode_async import (
    ApiError,
    BusyError,
    CodeKind,
    IDCode,
    IdcodeClient,
    IdcodeError,
    NotFoundError,
    PageEndpoint,
    TransportError,
    ValidationError,
    parse_page_callback,
    parse_scan_query,
    scan_target,
    validate_sample_url,
)
from idcode_async.endpoints import CategoryApplyPage, IdcodeInfoSearch, OrganUnitResponse

__all__ = [
    "CALLBACK_PATH",
    "ENV_PUBLIC_BASE_URL",
    "JSON_CONTENT_TYPE",
    "SCAN_PATH",
    "CategoryAnswer",
    "ErrorAnswer",
    "PageSigner",
    "ScanAnswer",
    "UnitAnswer",
    "apply_page_url",
    "callback_url",
    "client_from_env",
    "confirm_callback",
    "error_answer",
    "json_bytes",
    "public_base_url_from_env",
    "resolve_url",
    "scan_answer",
    "unit_answer",
]

logger = logging.getLogger("examples")

ENV_PUBLIC_BASE_URL: Final = "IDCODE_PUBLIC_BASE_URL"
"""This app's own public address (``https://sp.example.com``), as the browser reaches it."""

CALLBACK_PATH: Final = "/idcode/callback"
SCAN_PATH: Final = "/scan"
JSON_CONTENT_TYPE: Final = "application/json"
"""Without a ``charset``: JSON is UTF-8 by definition (RFC 8259 §8.1)."""


def client_from_env() -> IdcodeClient:
    """The app's one client, configured from ``IDCODE_ACCESS_TOKEN``, ``IDCODE_AUTH_CODE`` and
    ``IDCODE_BASE_URL`` (the SDK reads them; a missing one is a ``UsageError`` naming it).

    Called when the app starts (its lifespan, cleanup context or factory), not at import, so
    that importing the module (tests, ``--help``) needs no credentials.
    """
    return IdcodeClient()


def json_bytes(answer: Mapping[str, Any]) -> bytes:
    """An answer's JSON body, byte for byte what FastAPI's ``JSONResponse`` renders.

    Chinese stays UTF-8 (not ``\\uXXXX`` escapes) and separators are compact, so every example
    answers the same bytes whatever the framework's own JSON defaults are.
    """
    text = json.dumps(answer, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")


class PageSigner(Protocol):
    """What signs a page interface's URL: ``IdcodeClient`` and ``SyncIdcodeClient`` alike."""

    def page_url(self, spec: PageEndpoint) -> str: ...


def public_base_url_from_env(environ: Mapping[str, str] = os.environ) -> str | None:
    """``IDCODE_PUBLIC_BASE_URL`` without a trailing slash, or ``None`` when unset."""
    value = environ.get(ENV_PUBLIC_BASE_URL, "").strip()
    return value.rstrip("/") or None


def resolve_url(public_base_url: str) -> str:
    """This app's resolve URL: ``<base>/scan?id=``.

    It ends in ``id=`` (seed §十三, example 2), so a scan lands on ``/scan?id=<code>`` and a
    recorded code on ``/scan?id=<user code>&BaseCode=<category code>/``.
    """
    return f"{public_base_url}{SCAN_PATH}?id="


def callback_url(public_base_url: str) -> str:
    """Where the centre sends the operator's browser back after a page interface."""
    return f"{public_base_url}{CALLBACK_PATH}"


def apply_page_url(
    client: PageSigner,
    *,
    public_base_url: str,
    company_idcode: str,
    gotourl: str | None = None,
    sample_url: str | None = None,
) -> str:
    """The signed URL of the centre's 401 page (register a category) for ``company_idcode``.

    ``gotourl`` defaults to this app's own scan landing, and ``sample_url`` (示例地址) to where
    a scan of the unit's main code would land on it: both are checked here, so a bad pair is
    a 422 from this app rather than a 30005 answer from the centre.  The URL carries the SP's
    access token and a signature: send it only to an operator you have authenticated.
    """
    unit = IDCode.parse(company_idcode, parameter="company_idcode")
    if unit.kind is not CodeKind.MAIN:
        raise ValidationError("company_idcode", f"must be a unit main code, got {unit}")
    gotourl = gotourl or resolve_url(public_base_url)
    if not sample_url:
        try:
            sample_url = scan_target(gotourl, unit)
        except ValidationError:
            raise ValidationError(
                "sample_url", f"is required: no landing of {gotourl!r} can be built for {unit}"
            ) from None
    validate_sample_url(gotourl, sample_url)
    spec = CategoryApplyPage(
        company_idcode=str(unit),
        gotourl=gotourl,
        sample_url=sample_url,
        callback_url=callback_url(public_base_url),
    )
    return client.page_url(spec)


class CategoryAnswer(TypedDict):
    """The category a page interface registered, as the centre lists it (404)."""

    category_code: str
    company_idcode: str
    category_reg_id: str | None
    model_number: str | None
    code_pay_type: int | None


async def confirm_callback(client: IdcodeClient, url: str) -> CategoryAnswer:
    """The category the callback ``url`` names, once the centre confirms it.

    The callback is nothing but a browser redirect: anyone can open
    ``/idcode/callback?CategoryIDcode=…``, and the centre does not sign it.  So the code is
    trusted only when the centre lists it among its unit's registrations (404; the unit is
    the code's main part).  Raises :class:`ValidationError` for a missing, malformed or
    unknown ``CategoryIDcode``.
    """
    code = parse_page_callback(url)
    try:
        found = await client.call(IdcodeInfoSearch(company_idcode=code.main_code))
    except NotFoundError:
        raise ValidationError(
            "CategoryIDcode", f"names {code.main_code}, which the centre does not know"
        ) from None
    for info in found.base_idcode_list:
        if info.complete_code and _same_code(info.complete_code, code):
            return {
                "category_code": str(code),
                "company_idcode": code.main_code,
                "category_reg_id": info.category_reg_id,
                "model_number": info.model_number,
                "code_pay_type": info.code_pay_type,
            }
    raise ValidationError(
        "CategoryIDcode", f"{code} is not among the registrations of {code.main_code}"
    )


def _same_code(listed: str, code: IDCode) -> bool:
    """``complete_code`` as the centre lists it (406 style, with a trailing ``/``) is ``code``."""
    try:
        return IDCode.parse(listed) == code
    except ValidationError:
        return False


class ScanAnswer(TypedDict):
    """The number a scan landed with, split as seed §十三 example 4 names its parts."""

    code: str
    kind: str
    main_code: str
    catalog_code: str | None
    user_code: str | None
    recorded: bool


def scan_answer(landing_url: str) -> ScanAnswer:
    """The number in a scan landing (seed §十三), from the URL the browser requested.

    The number is in ``code`` (examples 1 and 3: the resolve URL had its own query or none),
    or in the parameter the resolve URL ended with (example 2: this app's ``?id=``).  A
    ``BaseCode`` next to it marks a recorded (备案) code whose parameter holds only the user
    part.  A name given twice is refused rather than guessed.
    """
    names = {name for name, _ in parse_qsl(urlsplit(landing_url).query, keep_blank_values=True)}
    parameter = "code" if "code" in names else "id"
    code = parse_scan_query(landing_url, parameter=parameter)
    return {
        "code": str(code),
        "kind": code.kind.value,
        "main_code": code.main_code,
        "catalog_code": code.catalog_code,
        "user_code": code.user_code,
        "recorded": "BaseCode" in names,
    }


class UnitAnswer(TypedDict):
    """A unit's public record (306).  Contacts (linkman, phone, e-mail) are left out."""

    company_idcode: str
    organunit_name: str | None
    organunit_name_en: str | None
    status_id: int | None
    unittype_id: int | None
    province_id: int | None
    city_id: int | None
    area_id: int | None
    gotourl: str | None


def unit_answer(company_idcode: str, unit: OrganUnitResponse) -> UnitAnswer:
    """The fields of 306's answer this app shows."""
    return {
        "company_idcode": company_idcode,
        "organunit_name": unit.organunit_name,
        "organunit_name_en": unit.organunit_name_en,
        "status_id": unit.status_id,
        "unittype_id": unit.unittype_id,
        "province_id": unit.province_id,
        "city_id": unit.city_id,
        "area_id": unit.area_id,
        "gotourl": unit.gotourl,
    }


class ErrorAnswer(TypedDict):
    """The body of every error this app answers; ``result_code`` when the centre gave one."""

    detail: str
    result_code: int | None


def error_answer(exc: IdcodeError) -> tuple[int, ErrorAnswer]:
    """The HTTP status and body for an SDK error: the one mapping both examples use.

    Texts are the SDK's own or fixed here; an SDK message never holds the access token,
    the authorisation code, a ``hash`` or a password, and transport details (hosts, proxies)
    are logged, not answered.
    """
    if isinstance(exc, ValidationError):
        return 422, {"detail": str(exc), "result_code": None}
    if isinstance(exc, NotFoundError):
        return 404, {"detail": f"not found at the centre: {exc.message}", "result_code": exc.code}
    if isinstance(exc, BusyError | TransportError):
        logger.warning("IDcode centre unavailable: %s", exc)
        code = exc.code if isinstance(exc, BusyError) else None
        return 503, {"detail": "the IDcode centre is unavailable; retry later", "result_code": code}
    if isinstance(exc, ApiError):
        logger.error("IDcode centre refused a request: %s", exc)
        return 502, {"detail": "the IDcode centre refused the request", "result_code": exc.code}
    logger.error("IDcode SDK misuse", exc_info=exc)
    return 500, {"detail": "internal error", "result_code": None}
