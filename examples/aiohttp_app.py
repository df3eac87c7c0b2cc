"""aiohttp integration: one IdcodeClient per app, the 401 page flow, scan landings, errors.

Run against the centre's test host (or a local sandbox, see ``examples/README.md``)::

    IDCODE_ACCESS_TOKEN=… IDCODE_AUTH_CODE=… IDCODE_PUBLIC_BASE_URL=https://sp.example.com \\
        python -m examples.aiohttp_app            # or: python -m aiohttp.web \\
                                                  #   examples.aiohttp_app:init_app

The same routes as ``examples/fastapi_app.py``, the same SP logic (``examples/common.py``):

* ``GET /categories/apply?company_idcode=…``: 303 to the centre's signed 401 page;
* ``GET /idcode/callback?CategoryIDcode=…``: where the centre sends the browser back;
* ``GET /scan?id=…``: the landing of this app's resolve URL (seed §十三);
* ``GET /units/{company_idcode}``: a data interface (306), with the SDK's errors as HTTP ones.

The client is opened and closed by a ``cleanup_ctx`` generator (aiohttp's lifespan) and kept
in the app under a typed :class:`aiohttp.web.AppKey`, so handlers get an ``IdcodeClient``,
not an ``Any``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Final

import attrs
from aiohttp import web
from aiohttp.typedefs import Handler
from yarl import URL

from idcode_async import IdcodeClient, IdcodeError, ValidationError
from idcode_async.endpoints import CompanyInfoBase

from .common import (
    CALLBACK_PATH,
    JSON_CONTENT_TYPE,
    SCAN_PATH,
    apply_page_url,
    client_from_env,
    confirm_callback,
    error_answer,
    json_bytes,
    public_base_url_from_env,
    scan_answer,
    unit_answer,
)

__all__ = ["IDCODE_CLIENT", "SETTINGS", "Settings", "create_app", "init_app", "routes"]


@attrs.frozen
class Settings:
    """What the app is configured with."""

    client_factory: Callable[[], IdcodeClient]
    """Makes the app's one client when the app starts."""
    public_base_url: str | None = None
    """This app's public address; ``None`` uses the address each request reached (local runs)."""


IDCODE_CLIENT: Final = web.AppKey("idcode_client", IdcodeClient)
SETTINGS: Final = web.AppKey("idcode_settings", Settings)

routes = web.RouteTableDef()


async def idcode_client_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the app's client at startup and close it (its connection pool) at cleanup."""
    async with app[SETTINGS].client_factory() as client:
        app[IDCODE_CLIENT] = client
        yield


def public_base_url(request: web.Request) -> str:
    """The configured public base URL, else the origin this request reached.

    Behind a proxy the request's own address is the internal one, so configure it there
    (``IDCODE_PUBLIC_BASE_URL``); the fallback is for local runs.
    """
    configured = request.app[SETTINGS].public_base_url
    return configured or str(request.url.origin())


def json_answer(answer: Mapping[str, Any], status: int = 200) -> web.Response:
    """JSON as every example answers it (``common.json_bytes``): UTF-8, not ``\\uXXXX``
    escapes as ``web.json_response`` would write, and no ``charset`` parameter."""
    return web.Response(body=json_bytes(answer), status=status, content_type=JSON_CONTENT_TYPE)


def _bad_request(exc: ValidationError) -> web.Response:
    return json_answer({"detail": str(exc), "result_code": None}, status=400)


@routes.get("/categories/apply")
async def apply_category(request: web.Request) -> web.StreamResponse:
    """Send the operator to the centre's page to register a category (401).

    303, so that the browser GETs the page.  Put this route behind your own login: the page
    URL carries the SP's access token.
    """
    query = request.query
    company_idcode = query.get("company_idcode")
    if not company_idcode:
        raise ValidationError("company_idcode", "is required")
    url = apply_page_url(
        request.app[IDCODE_CLIENT],
        public_base_url=public_base_url(request),
        company_idcode=company_idcode,
        gotourl=query.get("gotourl"),
        sample_url=query.get("sample_url"),
    )
    # Verbatim (encoded=True): a str would be re-normalised by yarl, which decodes the
    # %3A%2F%2F of the URL-valued parameters; the browser should get what the SDK signed.
    raise web.HTTPSeeOther(URL(url, encoded=True))


@routes.get(CALLBACK_PATH)
async def category_callback(request: web.Request) -> web.StreamResponse:
    """The centre's redirect after 401/405/408: the new category code, once confirmed.

    A real app would store the code with the operator's session here; this one shows it.
    """
    try:
        answer = await confirm_callback(request.app[IDCODE_CLIENT], str(request.url))
    except ValidationError as exc:
        return _bad_request(exc)
    return json_answer(answer)


@routes.get(SCAN_PATH)
async def scan(request: web.Request) -> web.StreamResponse:
    """Where a scan of one of the unit's codes lands (the resolve URL ``/scan?id=``)."""
    try:
        return json_answer(scan_answer(str(request.url)))
    except ValidationError as exc:
        return _bad_request(exc)


@routes.get("/units/{company_idcode}")
async def unit(request: web.Request) -> web.StreamResponse:
    """A unit's public record (306); SDK errors become HTTP errors (``idcode_errors``)."""
    company_idcode = request.match_info["company_idcode"]
    found = await request.app[IDCODE_CLIENT].call(CompanyInfoBase(company_idcode=company_idcode))
    return json_answer(unit_answer(company_idcode, found))


@web.middleware
async def idcode_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every SDK error a handler lets through: one mapping (``common.error_answer``)."""
    try:
        return await handler(request)
    except IdcodeError as exc:
        status, body = error_answer(exc)
        return json_answer(body, status=status)


def create_app(
    *,
    client_factory: Callable[[], IdcodeClient] = client_from_env,
    public_base_url: str | None = None,
) -> web.Application:
    """The app; ``client_factory`` makes its one client when the app starts."""
    app = web.Application(middlewares=[idcode_errors])
    app[SETTINGS] = Settings(
        client_factory, public_base_url.rstrip("/") if public_base_url else None
    )
    app.cleanup_ctx.append(idcode_client_ctx)
    app.add_routes(routes)
    return app


def init_app(argv: list[str] | None = None) -> web.Application:
    """For ``python -m aiohttp.web examples.aiohttp_app:init_app``, configured from the
    environment (the client when the app starts).  ``argv`` holds the command-line arguments
    aiohttp.web did not use; this app takes none."""
    return create_app(public_base_url=public_base_url_from_env())


if __name__ == "__main__":
    web.run_app(init_app(), host="127.0.0.1", port=8080)
