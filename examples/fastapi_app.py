"""FastAPI integration: one IdcodeClient per app, the 401 page flow, scan landings, errors.

Run against the centre's test host (or a local sandbox, see ``examples/README.md``)::

    IDCODE_ACCESS_TOKEN=… IDCODE_AUTH_CODE=… IDCODE_PUBLIC_BASE_URL=https://sp.example.com \\
        uvicorn examples.fastapi_app:app

Routes:

* ``GET /categories/apply?company_idcode=…``: 303 to the centre's signed 401 page;
* ``GET /idcode/callback?CategoryIDcode=…``: where the centre sends the browser back;
* ``GET /scan?id=…``: the landing of this app's resolve URL (seed §十三);
* ``GET /units/{company_idcode}``: a data interface (306), with the SDK's errors as HTTP ones.

The client is an ``httpx.AsyncClient``: it keeps a connection pool, so the app opens exactly
one in its lifespan and closes it on shutdown, and every request borrows it through a
dependency.  Tests inject a sandbox-backed client with ``create_app(client_factory=…)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse

from idcode_async import IdcodeClient, IdcodeError, ValidationError
from idcode_async.endpoints import CompanyInfoBase

from .common import (
    CALLBACK_PATH,
    SCAN_PATH,
    CategoryAnswer,
    ErrorAnswer,
    ScanAnswer,
    UnitAnswer,
    apply_page_url,
    client_from_env,
    confirm_callback,
    error_answer,
    public_base_url_from_env,
    scan_answer,
    unit_answer,
)

__all__ = ["app", "create_app", "idcode_client", "router"]


def idcode_client(request: Request) -> IdcodeClient:
    """The app's client, opened by the lifespan.

    It is returned, not yielded from a per-request context: the client outlives requests,
    and closing it is the lifespan's job.
    """
    client = request.app.state.idcode
    if not isinstance(client, IdcodeClient):
        raise RuntimeError("the IdcodeClient is opened by the app's lifespan: is it running?")
    return client


def public_base_url(request: Request) -> str:
    """This app's public base URL: the configured one, else the one this request reached.

    Behind a proxy the request's own address is the internal one, so configure it there
    (``IDCODE_PUBLIC_BASE_URL``); the fallback is for local runs.
    """
    configured: str | None = request.app.state.public_base_url
    return configured or str(request.base_url).rstrip("/")


Client = Annotated[IdcodeClient, Depends(idcode_client)]
PublicBaseUrl = Annotated[str, Depends(public_base_url)]

router = APIRouter()


@router.get("/categories/apply", status_code=303)
async def apply_category(
    client: Client,
    base: PublicBaseUrl,
    company_idcode: Annotated[str | None, Query(description="The unit's main code")] = None,
    gotourl: Annotated[str | None, Query(description="Resolve URL; default /scan?id=")] = None,
    sample_url: Annotated[str | None, Query(description="A landing of gotourl")] = None,
) -> RedirectResponse:
    """Send the operator to the centre's page to register a category (401).

    303, so that the browser GETs the page whatever method reached this route.  Put this
    route behind your own login: the page URL carries the SP's access token.  A missing
    ``company_idcode`` is the SDK's ``ValidationError`` (422 with the examples' error body),
    not FastAPI's own validation answer, so every example answers it alike.
    """
    if not company_idcode:
        raise ValidationError("company_idcode", "is required")
    url = apply_page_url(
        client,
        public_base_url=base,
        company_idcode=company_idcode,
        gotourl=gotourl,
        sample_url=sample_url,
    )
    return RedirectResponse(url, status_code=303)


def bad_request(exc: ValidationError) -> JSONResponse:
    """400 with the examples' error body (``result_code`` is ``null``: the centre gave none)."""
    body: ErrorAnswer = {"detail": str(exc), "result_code": None}
    return JSONResponse(body, status_code=400)


@router.get(CALLBACK_PATH, response_model=CategoryAnswer)
async def category_callback(request: Request, client: Client) -> CategoryAnswer | JSONResponse:
    """The centre's redirect after 401/405/408: the new category code, once confirmed.

    A real app would store the code with the operator's session here; this one shows it.
    """
    try:
        return await confirm_callback(client, str(request.url))
    except ValidationError as exc:
        return bad_request(exc)


@router.get(SCAN_PATH, response_model=ScanAnswer)
async def scan(request: Request) -> ScanAnswer | JSONResponse:
    """Where a scan of one of the unit's codes lands (the resolve URL ``/scan?id=``)."""
    try:
        return scan_answer(str(request.url))
    except ValidationError as exc:
        return bad_request(exc)


@router.get("/units/{company_idcode}")
async def unit(company_idcode: str, client: Client) -> UnitAnswer:
    """A unit's public record (306); SDK errors become HTTP errors (``idcode_error``)."""
    found = await client.call(CompanyInfoBase(company_idcode=company_idcode))
    return unit_answer(company_idcode, found)


async def idcode_error(request: Request, exc: Exception) -> JSONResponse:
    """Every SDK error a route lets through: one mapping (``common.error_answer``)."""
    if not isinstance(exc, IdcodeError):  # registered for IdcodeError only; for the type checker
        raise exc
    status, body = error_answer(exc)
    return JSONResponse(body, status_code=status)


def create_app(
    *,
    client_factory: Callable[[], IdcodeClient] = client_from_env,
    public_base_url: str | None = None,
) -> FastAPI:
    """The app; ``client_factory`` makes its one client when the lifespan starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # app.state rather than lifespan state: the latter only reaches requests through a
        # server that supports it, and tests drive the app through httpx.ASGITransport.
        async with client_factory() as client:
            app.state.idcode = client
            try:
                yield
            finally:
                app.state.idcode = None

    app = FastAPI(title="idcode-async FastAPI example", lifespan=lifespan)
    app.state.idcode = None
    app.state.public_base_url = public_base_url.rstrip("/") if public_base_url else None
    app.add_exception_handler(IdcodeError, idcode_error)
    app.include_router(router)
    return app


app = create_app(public_base_url=public_base_url_from_env())
"""For ``uvicorn examples.fastapi_app:app``: configured from the environment at startup."""
