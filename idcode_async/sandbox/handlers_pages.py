"""The page interfaces 401, 405, 408 (sections 九) and 607 (十二).

Opening a page is an ordinary signed request (same verification, same JSON error answers);
on success the answer is an HTML page whose form posts to ``/_sandbox/pages/<ticket>``, a
single-use route outside the API's paths.  Sending the form registers (401: code_pay_type 2),
records (408: 5) or registers/records a product category (405: as asked), with the same rules
as 406/407, then redirects (303) to ``callback_url`` with ``CategoryIDcode=<full code>``
appended, keeping any query the callback URL already has.  A refused form shows the page
again with the document's message.

607 (login page) is the one page whose result is not a category: the document lists the
unit's record as its output, and the sandbox appends ``company_idcode=<main code>`` to the
callback URL, with which the SP can ask 306 for that record.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .context import ApiRoute, Call, get_post, post_only
from .errors import CentreError
from .messages import message
from .pages import expired_page, page_html
from .reference_data import category_by_id
from .registrations import RegistrationRequest, check_gotourl
from .state import State
from .urls import append_query, is_http_url

__all__ = ["ROUTES", "page_submit_endpoint"]

_CODE_PAY_TYPE = {401: 2, 408: 5}


def _open(call: Call, fixed: dict[str, str]) -> HTMLResponse:
    callback = call.require("callback_url")
    if not is_http_url(callback):
        raise CentreError(10000, "callback_url must be an absolute http(s) URL")
    ticket = call.state.add_page(call.number, {**fixed, "callback_url": callback})
    action = call.link(f"/_sandbox/pages/{ticket}")
    return HTMLResponse(page_html(call.number, action, fixed))


def _category_page(call: Call) -> dict[str, str]:
    unit = call.state.require_unit(call.require("company_idcode"))
    gotourl, sample_url = call.text("gotourl"), call.require("sample_url")
    check_gotourl(gotourl, sample_url)
    return {"company_idcode": unit.idcode, "gotourl": gotourl, "sample_url": sample_url}


async def apply_page(call: Call) -> Response:
    """401: page to register a category."""
    return _open(call, _category_page(call))


async def record_page(call: Call) -> Response:
    """408: page to record (备案) a category."""
    return _open(call, _category_page(call))


async def product_page(call: Call) -> Response:
    """405: page to register/record a product category chosen by the SP."""
    fixed = _category_page(call)
    category_id = call.require_int("industrycategory_id")
    category = category_by_id(category_id)
    if category is None or category.codeuse_id != 10:
        raise CentreError(10000, "industrycategory_id must be a product category")
    pay_type = call.require_int("code_pay_type", allowed=(2, 5))
    return _open(
        call, {**fixed, "industrycategory_id": str(category_id), "code_pay_type": str(pay_type)}
    )


async def login_page(call: Call) -> Response:
    """607: login page of a unit."""
    return _open(call, {})


def _request_from_form(
    endpoint: int, fixed: dict[str, str], form: dict[str, str]
) -> RegistrationRequest:
    source = fixed if endpoint == 405 else form
    try:
        category_id = int(source.get("industrycategory_id", ""))
    except ValueError:
        raise CentreError(10000, "industrycategory_id must be an integer") from None
    category = category_by_id(category_id)
    if category is None:
        raise CentreError(10000, f"unknown industrycategory_id {category_id}")
    pay_type = int(fixed["code_pay_type"]) if endpoint == 405 else _CODE_PAY_TYPE[endpoint]
    return RegistrationRequest(
        via=endpoint,
        industrycategory_id=category_id,
        codeuse_id=category.codeuse_id,
        category_code=category.industrycategory_code,
        code_pay_type=pay_type,
        gotourl=fixed["gotourl"],
        sample_url=fixed["sample_url"],
        model_number=form.get("model_number", "").strip(),
        model_number_code=form.get("model_number_code", "").strip(),
    )


def _complete(state: State, endpoint: int, fixed: dict[str, str], form: dict[str, str]) -> str:
    """Do what the page's form asks; the callback URL to send the browser to."""
    callback = fixed["callback_url"]
    if endpoint == 607:
        unit = state.login(form.get("login_name", ""), form.get("login_pswd", ""))
        return append_query(callback, "company_idcode", unit.idcode)
    unit = state.require_unit(fixed["company_idcode"])
    request = _request_from_form(endpoint, fixed, form)
    state.check_registrations(unit, [request])
    registration = state.add_registration(unit, request)
    return append_query(callback, "CategoryIDcode", registration.complete_code)


def page_submit_endpoint(state: State) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint behind every page form (``POST /_sandbox/pages/{ticket}``)."""

    async def submit(request: Request) -> Response:
        ticket_id = str(request.path_params["ticket"])
        async with request.form() as submitted:
            form = {k: v for k, v in submitted.items() if isinstance(v, str)}
        async with state.lock:
            ticket = state.pages.get(ticket_id)
            if ticket is None:
                return HTMLResponse(expired_page(), status_code=404)
            try:
                target = _complete(state, ticket.endpoint, ticket.params, form)
            except CentreError as refused:
                page = page_html(
                    ticket.endpoint,
                    str(request.url),
                    ticket.params,
                    message(ticket.endpoint, refused.code),
                )
                return HTMLResponse(page, status_code=200)
            del state.pages[ticket_id]
        return RedirectResponse(target, status_code=303)

    return submit


_CATEGORY_PAGE_REQUIRED = ("company_idcode", "sample_url", "callback_url")

ROUTES = (
    ApiRoute(401, "/sp/idcode/category/apply", get_post, apply_page, _CATEGORY_PAGE_REQUIRED),
    ApiRoute(
        405,
        "/sp/idcode/category/apply/product",
        post_only,
        product_page,
        (*_CATEGORY_PAGE_REQUIRED, "industrycategory_id", "code_pay_type"),
    ),
    ApiRoute(408, "/sp/idcode/category/record", get_post, record_page, _CATEGORY_PAGE_REQUIRED),
    ApiRoute(607, "/sp/idcode/idcodelogin", get_post, login_page, ("callback_url",)),
)
