"""Section 八: unit registration and information (301–310).

Two ways in: 301 (needs a 302/303 verification code; the unit then completes its details with
305, which starts the registration review) and 309 (one call with everything; the review
starts at once).  Either way the review ends ``approval_delay`` seconds of centre time later
(308 ``is_audit`` 1 → 100).  309's ``login_name`` is the business licence number and the
default password is its last six characters (seed 309).

Colour flags follow each endpoint: 309/310 take ``qrcode_color`` 0 = colour, 1 = black; 306
answers 1 = colour, 0 = black (API-NOTES quirks).
"""

from __future__ import annotations

import re
from typing import Final

from starlette.datastructures import UploadFile

from .context import ApiRoute, Call, get_post, post_only
from .errors import CentreError
from .jsontypes import JsonObject, JsonValue
from .pictures import IMAGE_EXTENSIONS, decode_base64_image, image_kind, qr_png, to_base64
from .records import UNIT_TEXT_FIELDS, Unit
from .reference_data import UNIT_TYPES, region_problem, trade_by_id
from .review import APPROVED
from .serialize import unit_info
from .urls import resolve_url_problem

__all__ = ["ROUTES", "read_image", "unit_qrcode"]

_PHONE: Final = re.compile(r"^1\d{10}$")
_UNIT_TYPE_CODES: Final = frozenset(u.code for u in UNIT_TYPES)
_QRCODE_PIXELS: Final = {1: 400, 2: 600, 3: 800}
_COLOUR: Final = (0, 82, 165)


def unit_qrcode(call: Call, unit: Unit) -> str:
    """309/310 ``unit_qrcode``: the unit's code picture as base64 PNG."""
    picture = qr_png(
        call.state.config.resolver + unit.idcode,
        _QRCODE_PIXELS[unit.qrcode_size],
        dark=_COLOUR if unit.colour else (0, 0, 0),
        logo=unit.qrcode_logo and unit.logo is not None,
    )
    return to_base64(picture)


async def read_image(upload: UploadFile, max_bytes: int) -> bytes:
    """304/305 images: 40001 over ``max_bytes``, 40002 not an image name, 40003 not an image."""
    size = upload.size
    if size is not None and size > max_bytes:
        raise CentreError(40001, f"image is {size} bytes")
    suffix = (upload.filename or "").rsplit(".", 1)[-1].lower()
    if suffix not in IMAGE_EXTENSIONS:
        raise CentreError(40002, f"file name {upload.filename!r} is not bmp/png/jpg/jpeg/gif")
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise CentreError(40001, "image is over the limit")
    if image_kind(data) is None:
        raise CentreError(40003, "file content is not an image")
    return data


def _region(call: Call) -> tuple[int, int, int]:
    province, city, area = (call.require_int(n) for n in ("province_id", "city_id", "area_id"))
    problem = region_problem(province, city, area)
    if problem:
        raise CentreError(10000, problem)
    return province, city, area


def _check_gotourl(gotourl: str) -> None:
    problem = resolve_url_problem(gotourl) if gotourl else None
    if problem:
        raise CentreError(30002, problem)


def _logo(call: Call, name: str) -> bytes | None:
    text = call.text(name)
    if not text:
        return None
    logo = decode_base64_image(text)
    if logo is None:
        raise CentreError(40005, f"{name} is not a base64 image")
    return logo


def _duplicate_info(unit: Unit) -> JsonValue:
    return {
        "organunit_name": unit.organunit_name,
        "linkman": unit.text.get("linkman", ""),
        "fax": unit.text.get("fax", ""),
        "linkphone": unit.text.get("linkphone", ""),
    }


async def register_1(call: Call) -> JsonObject:
    """301: register with a verification code; review waits for 305."""
    state = call.state
    unittype = call.require_int("code")
    if unittype not in _UNIT_TYPE_CODES:
        raise CentreError(10000, f"unknown unit type code {unittype}")
    region = _region(call)
    phone = call.require("linkphone")
    state.check_verify_code(phone, call.require("sms_verify_code"))
    name, login_name = call.require("organunit_name"), call.require("login_name")
    existing = state.unit_named(name)
    if existing:
        raise CentreError(
            10007, "unit name exists", {"organunit_result_info": _duplicate_info(existing)}
        )
    existing = state.unit_with_login(login_name)
    if existing:
        raise CentreError(
            10008, "login name exists", {"organunit_result_info": _duplicate_info(existing)}
        )
    unit = state.add_unit(
        name=name,
        login_name=login_name,
        region=region,
        via=301,
        registered_ms=state.now_ms(),
        password=call.require("login_password"),
        unittype_id=unittype,
        rejected=state.rejected(name),
        text={n: call.text(n) for n in UNIT_TEXT_FIELDS if call.text(n)},
    )
    return {"organunit_idcode": unit.idcode, "organunit_result_info": None}


def _phone(call: Call) -> str:
    phone = call.require("phone_code")
    if not _PHONE.match(phone):
        raise CentreError(10000, "phone_code must be an 11-digit mobile number")
    return phone


async def verify_code_for_sp(call: Call) -> JsonObject:
    """302: a code the SP sends by SMS itself; 20003 if asked again too soon."""
    return {"verify_code": call.state.issue_verify_code(_phone(call))}


async def verify_code_sent(call: Call) -> JsonObject:
    """303: the centre "sends" the code; read it at ``GET /_sandbox/sms/{phone}``."""
    call.state.issue_verify_code(_phone(call))
    return {}


async def authenticate(call: Call) -> JsonObject:
    """304: certificate type, number and a licence image; 10004 before 305's details."""
    state = call.state
    certificate_type = call.require_int("code_pay_type", allowed=(0, 2))
    organization_code = call.require("organization_code")
    unit = state.require_unit(call.require("company_idcode"))
    if not unit.complete:
        raise CentreError(10004, "complete the unit's details with 305 first")
    upload = call.files.get("file1")
    if upload is None:
        raise CentreError(10000, "file1 is required")
    await read_image(upload, state.config.max_image_bytes)
    unit.certificate_type = certificate_type
    unit.organization_code = organization_code
    unit.authenticated = True
    return {}


async def complete(call: Call) -> JsonObject:
    """305: complete the unit's details; starts the review of a 301 unit (status -100 → 0)."""
    state = call.state
    unit = state.require_unit(call.require("company_idcode"))
    trade_id = call.require_int("trade_id")
    if trade_by_id(trade_id) is None:
        raise CentreError(10000, f"unknown trade_id {trade_id}")
    size_type = call.integer("unit_size_type", default=1, allowed=(1, 2, 3, 4))
    unittype = call.integer("unittype_id", allowed=_UNIT_TYPE_CODES)
    capital = call.integer("registered_capital")
    gotourl = call.text("gotourl")
    _check_gotourl(gotourl)
    name = call.text("organunit_name")
    if name and name != unit.organunit_name:
        if state.unit_review(unit) == APPROVED:
            raise CentreError(10010, "an approved unit's name cannot change")
        if state.unit_named(name):
            raise CentreError(10009, "another unit has this name")
    logo_upload = call.files.get("unit_logo")
    logo = await read_image(logo_upload, state.config.max_image_bytes) if logo_upload else None
    unit.trade_id = trade_id
    unit.unit_size_type_id = size_type or 1
    unit.organunit_name = name or unit.organunit_name
    if unittype is not None:
        unit.unittype_id = unittype
    if capital is not None:
        unit.registered_capital = capital
    if gotourl:
        unit.gotourl = gotourl
    if logo_upload is not None and logo is not None:
        unit.logo = logo
        unit.logo_name = logo_upload.filename or "logo"
    unit.text.update({n: call.text(n) for n in UNIT_TEXT_FIELDS if call.text(n)})
    unit.text["organunit_address"] = call.require("organunit_address")
    if unit.review_started_ms is None:
        unit.review_started_ms = state.now_ms()
    return {}


async def base_info(call: Call) -> JsonObject:
    """306: one unit's record by main code; 306 documents 10006 (not 10003) when unknown."""
    unit = call.state.unit(call.require("company_idcode"))
    if unit is None:
        raise CentreError(10006, "no unit with this main code")
    return unit_info(call.state, unit)


async def search(call: Call) -> JsonObject:
    """307: units by name, ``search_type`` 0 fuzzy (default) or 1 exact; 10006 if none."""
    name = call.require("company_name")
    exact = call.integer("search_type", default=0, allowed=(0, 1)) == 1
    found: list[JsonValue] = [
        unit_info(call.state, u)
        for u in call.state.units.values()
        if (u.organunit_name == name if exact else name in u.organunit_name)
    ]
    if not found:
        raise CentreError(10006, "no unit matches")
    return {"organunit_list": found}


async def status(call: Call) -> JsonObject:
    """308: authentication (304) and review state (0 → 1 → 100 after the approval delay)."""
    state = call.state
    unit = state.require_unit(call.require("company_idcode"))
    review = state.unit_review(unit)
    days = 0
    if review == APPROVED and unit.review_started_ms is not None:
        approved_ms = unit.review_started_ms + state.delay_ms
        days = max(365 - (state.now_ms() - approved_ms) // 86_400_000, 0)
    return {
        "is_authen": 1 if unit.authenticated else 0,
        "is_audit": review,
        "surplus_time": str(days),
    }


async def register_2(call: Call) -> JsonObject:
    """309: register in one call (pace 0.5–1 s between calls); the review starts now."""
    state = call.state
    login_name, name = call.require("login_name"), call.require("organunit_name")
    unittype = call.require_int("code")
    if unittype not in _UNIT_TYPE_CODES:
        raise CentreError(10000, f"unknown unit type code {unittype}")
    region = _region(call)
    colour = call.integer("qrcode_color", default=0, allowed=(0, 1)) == 0
    with_logo = call.integer("qrcode_logo", default=0, allowed=(0, 1)) == 1
    size = call.integer("qrcode_size", default=1, allowed=(1, 2, 3)) or 1
    gotourl = call.text("gotourl")
    _check_gotourl(gotourl)
    logo = _logo(call, "unit_icon")
    if state.unit_named(name):
        raise CentreError(10007, "unit name exists")
    if state.unit_with_login(login_name):
        raise CentreError(10008, "login name exists")
    unit = state.add_unit(
        name=name,
        login_name=login_name,
        region=region,
        via=309,
        registered_ms=state.now_ms(),
        unittype_id=unittype,
        rejected=state.rejected(name),
        text={n: call.text(n) for n in ("email", "linkman", "linkphone") if call.text(n)},
        gotourl=gotourl,
        colour=colour,
        qrcode_logo=with_logo,
        qrcode_size=size,
        logo=logo,
        logo_name="unit_icon.png" if logo else "",
    )
    return {
        "organunit_idcode": unit.idcode,
        "login_name": unit.login_name,
        "unit_qrcode": unit_qrcode(call, unit),
    }


async def change_logo_or_url(call: Call) -> JsonObject:
    """310: change the unit's logo and/or resolve URL (not both empty: 10000).

    40004 "no logo uploaded" when ``qrcode_logo=1`` is sent and the unit has no logo at all;
    when ``qrcode_logo`` is omitted (documented default 1) a unit without a logo simply gets
    a picture without one.
    """
    state = call.state
    login_name, password = call.require("login_name"), call.require("login_pwd")
    icon_text, gotourl = call.text("unit_icon"), call.text("gotourl")
    if not icon_text and not gotourl:
        raise CentreError(10000, "unit_icon and gotourl must not both be empty")
    unit = state.login(login_name, password)
    _check_gotourl(gotourl)
    logo = _logo(call, "unit_icon")
    colour = call.integer("qrcode_color", default=0, allowed=(0, 1)) == 0
    logo_flag = call.integer("qrcode_logo", allowed=(0, 1))
    size = call.integer("qrcode_size", default=1, allowed=(1, 2, 3)) or 1
    if logo_flag == 1 and logo is None and unit.logo is None:
        raise CentreError(40004, "qrcode_logo=1 but the unit has no logo")
    if logo is not None:
        unit.logo, unit.logo_name = logo, "unit_icon.png"
    if gotourl:
        unit.gotourl = gotourl
    unit.colour = colour
    unit.qrcode_logo = logo_flag != 0 and unit.logo is not None
    unit.qrcode_size = size
    return {"unit_qrcode": unit_qrcode(call, unit)}


_REGISTER_1_REQUIRED = (
    "login_name",
    "login_password",
    "organunit_name",
    "code",
    "province_id",
    "city_id",
    "area_id",
    "linkphone",
    "sms_verify_code",
)

ROUTES = (
    ApiRoute(
        301,
        "/sp/idcode/companyinfo/reg",
        post_only,
        register_1,
        _REGISTER_1_REQUIRED,
        error_fields={"organunit_idcode": None, "organunit_result_info": None},
    ),
    ApiRoute(302, "/sp/idcode/verifycode", get_post, verify_code_for_sp, ("phone_code",)),
    ApiRoute(303, "/sp/idcode/verifycode/send", get_post, verify_code_sent, ("phone_code",)),
    ApiRoute(
        304,
        "/sp/idcode/companyinfo/verify",
        post_only,
        authenticate,
        ("company_idcode", "code_pay_type", "organization_code"),
    ),
    ApiRoute(
        305,
        "/sp/idcode/companyinfo/modify",
        post_only,
        complete,
        ("company_idcode", "trade_id", "organunit_address"),
    ),
    ApiRoute(306, "/sp/idcode/companyinfo/base", get_post, base_info, ("company_idcode",)),
    ApiRoute(307, "/sp/idcode/companyinfo/search", get_post, search, ("company_name",)),
    ApiRoute(308, "/sp/idcode/organunit/status", get_post, status, ("company_idcode",)),
    ApiRoute(
        309,
        "/sp/idcode/unit/regist",
        post_only,
        register_2,
        ("login_name", "organunit_name", "code", "province_id", "city_id", "area_id"),
    ),
    ApiRoute(
        310,
        "/sp/idcode/companyidcode/gotourl",
        post_only,
        change_logo_or_url,
        ("login_name", "login_pwd"),
    ),
)
