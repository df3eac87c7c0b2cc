"""Section 十二: login check (601), resolve URLs (602, 606) and review states (608).

602 names no required parameter but ``company_idcode``; the sandbox needs ``reg_id`` to know
which registration to change (10000 without it, 50003 if it is not the unit's) and at least
one of ``gotourl``/``sample_url``.  A changed resolve URL goes through review again.  A 606
whitelist entry is approved after the review delay; from then on registrations with that
resolve URL are approved at once (608 type 2 gives 100).
"""

from __future__ import annotations

from .context import ApiRoute, Call, post_only
from .errors import CentreError
from .jsontypes import JsonObject
from .records import WhitelistEntry
from .registrations import check_gotourl
from .review import APPROVED, REJECTED
from .serialize import unit_info

__all__ = ["ROUTES"]

_REMARKS = {APPROVED: "审核通过", REJECTED: "审核不通过：不符合注册要求"}


async def login_verify(call: Call) -> JsonObject:
    """601: check a unit's login; answer its record (10005 if wrong)."""
    unit = call.state.login(call.require("login_name"), call.require("login_pswd"))
    return unit_info(call.state, unit)


async def change_gotourl(call: Call) -> JsonObject:
    """602: change a registration's resolve URL and/or sample URL."""
    state = call.state
    unit = state.require_unit(call.require("company_idcode"))
    registration = state.require_registration(call.require("reg_id"), unit)
    gotourl, sample_url = call.text("gotourl"), call.text("sample_url")
    if not gotourl and not sample_url:
        raise CentreError(10000, "give gotourl and/or sample_url")
    check_gotourl(gotourl or registration.gotourl, sample_url)
    if gotourl and gotourl != registration.gotourl:
        registration.gotourl = gotourl
        registration.review_started_ms = state.now_ms()
        registration.rejected = state.rejected(gotourl)
    if sample_url:
        registration.sample_url = sample_url
    return {}


async def whitelist(call: Call) -> JsonObject:
    """606: ask for a resolve URL to be whitelisted."""
    state = call.state
    gotourl, sample_url = call.text("gotourl"), call.require("sample_url")
    check_gotourl(gotourl, sample_url)
    if gotourl not in state.whitelist:
        state.whitelist[gotourl] = WhitelistEntry(
            gotourl=gotourl,
            sample_url=sample_url,
            submitted_ms=state.now_ms(),
            rejected=state.rejected(gotourl),
        )
    return {}


async def examine_record(call: Call) -> JsonObject:
    """608 (GET only): type 1 the unit's registration review, type 2 a resolve URL's."""
    state = call.state
    unit = state.require_unit(call.require("company_idcode"))
    kind = call.require_int("type", allowed=(1, 2))
    if kind == 1:
        content, status = unit.organunit_name, state.unit_review(unit)
    else:
        registration = state.require_registration(call.require("category_reg_id"), unit)
        content, status = registration.gotourl, state.resolve_review(registration)
    return {
        "examine_content": content,
        "examine_status": status,
        "examine_remarks": _REMARKS.get(status, ""),
    }


ROUTES = (
    ApiRoute(601, "/sp/idcode/loginverify", post_only, login_verify, ("login_name", "login_pswd")),
    ApiRoute(602, "/sp/idcode/category/gotourl", post_only, change_gotourl, ("company_idcode",)),
    ApiRoute(606, "/sp/idcode/category/gotourl/whitelist", post_only, whitelist, ("sample_url",)),
    ApiRoute(
        608,
        "/sp/idcode/examinerecord",
        frozenset({"GET"}),
        examine_record,
        ("company_idcode", "type"),
    ),
)
