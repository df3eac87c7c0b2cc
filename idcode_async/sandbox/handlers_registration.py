"""Section 九: category registration and record by data interface (402, 406, 407) and the
queries of registered categories (403/404, 409/410).  The page interfaces 401/405/408 are in
:mod:`.handlers_pages`.

402 is atomic: every item is checked (against the unit's registrations and the other items)
before any is registered, so a refused batch registers nothing and can be corrected and sent
again.  Each registration starts its resolve-URL review (608 type 2) at once.
"""

from __future__ import annotations

import json

from .context import ApiRoute, Call, get_post, post_only
from .errors import CentreError
from .jsontypes import JsonObject, JsonValue
from .records import Registration
from .reference_data import PRODUCT_CODEUSE_ID
from .registrations import RegistrationRequest
from .serialize import base_idcode_info
from .verifier import JSON_STR

__all__ = ["ROUTES"]

_SEARCH_TYPES = {0: (2, 5), 1: (2,), 2: (5,)}
"""404/410 ``search_type``: 0 all, 1 registered (2), 2 recorded (5)."""


def _member_text(item: dict[str, object], name: str, *, required: bool = True) -> str:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise CentreError(10000, f"category_reg_list item lacks {name}")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise CentreError(10000, f"{name} must be text or a number")
    return str(value)


def _member_int(item: dict[str, object], name: str) -> int:
    text = _member_text(item, name)
    try:
        return int(text)
    except ValueError:
        raise CentreError(10000, f"{name} must be an integer") from None


def _batch_request(item: object) -> RegistrationRequest:
    if not isinstance(item, dict):
        raise CentreError(10000, "category_reg_list items must be objects")
    return RegistrationRequest(
        via=402,
        industrycategory_id=_member_int(item, "industrycategory_id"),
        codeuse_id=_member_int(item, "codeuse_id"),
        category_code=_member_text(item, "category_code"),
        category_memo=_member_text(item, "category_memo", required=False),
        code_pay_type=_member_int(item, "code_pay_type"),
        gotourl=_member_text(item, "gotourl", required=False),
        sample_url=_member_text(item, "sample_url", required=False),
        model_number=_member_text(item, "model_number"),
        model_number_code=_member_text(item, "model_number_code"),
    )


async def batch_register(call: Call) -> JsonObject:
    """402: register or record several categories; parameters travel in ``json_str``."""
    try:
        envelope = json.loads(call.require(JSON_STR))
    except (ValueError, RecursionError):  # a peer's json_str may nest past the parser's stack
        raise CentreError(10000, "json_str is not JSON") from None
    if not isinstance(envelope, dict):
        raise CentreError(10000, "json_str must be a JSON object")
    company = envelope.get("company_idcode")
    if not isinstance(company, str) or not company:
        raise CentreError(10000, "json_str lacks company_idcode")
    items = envelope.get("category_reg_list")
    if not isinstance(items, list) or not items:
        raise CentreError(10000, "json_str lacks a non-empty category_reg_list")
    requests = [_batch_request(item) for item in items]
    state = call.state
    unit = state.require_unit(company)
    state.check_registrations(unit, requests)
    done = [state.add_registration(unit, request) for request in requests]
    listed: list[JsonValue] = [
        {
            "industrycategory_id": str(r.industrycategory_id),
            "category_reg_id": str(r.category_reg_id),
        }
        for r in done
    ]
    return {"batch_regist_list": listed}


def _single_request(call: Call, via: int) -> RegistrationRequest:
    codeuse_id = call.require_int("codeuse_id")
    if via == 406 and codeuse_id != PRODUCT_CODEUSE_ID:
        raise CentreError(10000, "406 registers products: codeuse_id must be 10")
    if via == 407 and codeuse_id == PRODUCT_CODEUSE_ID:
        raise CentreError(10000, "407 registers non-products: codeuse_id must not be 10")
    return RegistrationRequest(
        via=via,
        industrycategory_id=call.require_int("industrycategory_id"),
        codeuse_id=codeuse_id,
        category_code=call.require("category_code"),
        code_pay_type=call.require_int("code_pay_type"),
        gotourl=call.text("gotourl"),
        sample_url=call.require("sample_url"),
        model_number=call.require("model_number"),
        model_number_code=call.text("model_number_code") if via == 406 else "",
        model_number_en=call.text("model_number_en"),
        introduction=call.text("introduction"),
    )


async def _register_one(call: Call, via: int) -> JsonObject:
    state = call.state
    request = _single_request(call, via)
    unit = state.require_unit(call.require("company_idcode"))
    state.check_registrations(unit, [request])
    registration = state.add_registration(unit, request)
    return {
        "organunit_idcode": registration.complete_code,
        "category_reg_id": registration.category_reg_id,
    }


async def register_product(call: Call) -> JsonObject:
    """406: register or record a product category (use 10, with a model number code)."""
    return await _register_one(call, 406)


async def register_other(call: Call) -> JsonObject:
    """407: register or record a non-product category (the centre numbers it)."""
    return await _register_one(call, 407)


def _matches_category(registration: Registration, wanted: str) -> bool:
    """``idcode_of_category`` as the category code, the catalog part or the whole code."""
    wanted = wanted.strip().rstrip("/")
    return wanted in (
        registration.category_code,
        registration.catalog_code,
        registration.complete_code.rstrip("/"),
    )


async def query_403(call: Call) -> JsonObject:
    """403: the unit's registrations, filtered exactly by category, model code or id."""
    return await _query_impl(call, refined=False)


async def query_409(call: Call) -> JsonObject:
    """409: as 403, with ``regist_type`` (1 registered, -1 recorded)."""
    return await _query_impl(call, refined=True)


async def search_404(call: Call) -> JsonObject:
    """404: all the unit's registrations; ``search_type`` 0 all, 1 registered, 2 recorded."""
    return await _search_impl(call, refined=False)


async def search_410(call: Call) -> JsonObject:
    """410: as 404, with ``regist_type``."""
    return await _search_impl(call, refined=True)


async def _query_impl(call: Call, *, refined: bool) -> JsonObject:
    state = call.state
    unit = state.require_unit(call.require("company_idcode"))
    category = call.text("idcode_of_category")
    model = call.text("model_number_code")
    reg_id = call.text("category_reg_id").strip()
    found: list[JsonValue] = [
        base_idcode_info(r, refined=refined)
        for r in state.registrations_of(unit)
        if (not category or _matches_category(r, category))
        and (not model or r.model_number_code == model)
        and (not reg_id or str(r.category_reg_id) == reg_id)
    ]
    return {"base_idcode_list": found}


async def _search_impl(call: Call, *, refined: bool) -> JsonObject:
    state = call.state
    unit = state.require_unit(call.require("company_idcode"))
    search_type = call.integer("search_type", default=0, allowed=_SEARCH_TYPES) or 0
    kinds = _SEARCH_TYPES[search_type]
    found: list[JsonValue] = [
        base_idcode_info(r, refined=refined)
        for r in state.registrations_of(unit)
        if r.code_pay_type in kinds
    ]
    return {"base_idcode_list": found}


_PRODUCT_REQUIRED = (
    "company_idcode",
    "codeuse_id",
    "industrycategory_id",
    "category_code",
    "model_number",
    "model_number_code",
    "code_pay_type",
    "sample_url",
)

ROUTES = (
    ApiRoute(
        402,
        "/sp/idcode/category/batchregist",
        post_only,
        batch_register,
        (JSON_STR,),
        token_in_json=True,
    ),
    ApiRoute(403, "/sp/idcode/idcodeinfo/base", get_post, query_403, ("company_idcode",)),
    ApiRoute(404, "/sp/idcode/idcodeinfo/search", get_post, search_404, ("company_idcode",)),
    ApiRoute(
        406, "/sp/idcode/idcodeinfo/reg/product", post_only, register_product, _PRODUCT_REQUIRED
    ),
    ApiRoute(
        407,
        "/sp/idcode/idcodeinfo/reg/other",
        post_only,
        register_other,
        tuple(n for n in _PRODUCT_REQUIRED if n != "model_number_code"),
    ),
    ApiRoute(409, "/sp/idcode/idcodeinfo/base2", get_post, query_409, ("company_idcode",)),
    ApiRoute(410, "/sp/idcode/idcodeinfo/search2", get_post, search_410, ("company_idcode",)),
)
