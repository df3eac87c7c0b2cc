"""Flask integration: one SyncIdcodeClient per app, shared by the server's threads.

Run against the centre's test host (or a local sandbox, see ``examples/README.md``)::

    IDCODE_ACCESS_TOKEN=… IDCODE_AUTH_CODE=… IDCODE_PUBLIC_BASE_URL=https://sp.example.com \\
        flask --app 'examples.flask_app:init_app()' run --port 8000

The same routes and answers as ``examples/fastapi_app.py`` and ``examples/aiohttp_app.py``
(the SP logic is ``examples/common.py``):

* ``GET /categories/apply?company_idcode=…``: 303 to the centre's signed 401 page;
* ``GET /idcode/callback?CategoryIDcode=…``: where the centre sends the browser back;
* ``GET /scan?id=…``: the landing of this app's resolve URL (seed §十三);
* ``GET /units/<company_idcode>``: a data interface (306), with the SDK's errors as HTTP ones.

Flask views are blocking, so the app holds a :class:`SyncIdcodeClient`: one async client on an
event loop thread of its own, shared by every worker thread of the WSGI server (its connection
pool too).  ``create_app`` opens the client when the app is made; it is closed when the process
exits (WSGI has no shutdown hook) or by :func:`close_client`.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable, Mapping
from typing import Any, Final

from flask import Flask, Response, current_app, request

from idcode_async import IdcodeClient, IdcodeError, SyncIdcodeClient, ValidationError
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

__all__ = ["CLIENT_KEY", "close_client", "create_app", "idcode_client", "init_app"]

CLIENT_KEY: Final = "idcode_async"
"""Where the app keeps its client (``app.extensions``), as Flask extensions do."""
_PUBLIC_BASE_URL: Final = "IDCODE_PUBLIC_BASE_URL"


def idcode_client() -> SyncIdcodeClient:
    """The current app's client (one per app, opened by :func:`create_app`)."""
    client = current_app.extensions[CLIENT_KEY]
    if not isinstance(client, SyncIdcodeClient):
        raise RuntimeError("the app's SyncIdcodeClient is opened by create_app")
    return client


def public_base_url() -> str:
    """The configured public base URL, else the origin this request reached (local runs)."""
    configured: str | None = current_app.config[_PUBLIC_BASE_URL]
    return configured or request.host_url.rstrip("/")


def json_answer(answer: Mapping[str, Any], status: int = 200) -> Response:
    """JSON as every example answers it (``common.json_bytes``): UTF-8, not Flask's
    ``\\uXXXX`` escapes and sorted keys."""
    return Response(json_bytes(answer), status=status, content_type=JSON_CONTENT_TYPE)


def apply_category() -> Response:
    """Send the operator to the centre's page to register a category (401).

    303, so that the browser GETs the page.  Put this route behind your own login: the page
    URL carries the SP's access token.
    """
    company_idcode = request.args.get("company_idcode")
    if not company_idcode:
        raise ValidationError("company_idcode", "is required")
    url = apply_page_url(
        idcode_client(),
        public_base_url=public_base_url(),
        company_idcode=company_idcode,
        gotourl=request.args.get("gotourl"),
        sample_url=request.args.get("sample_url"),
    )
    # The Location exactly as the SDK signed it (no re-quoting of its URL-valued parameters).
    return Response(status=303, headers={"Location": url})


def category_callback() -> Response:
    """The centre's redirect after 401/405/408: the new category code, once confirmed.

    ``confirm_callback`` is a coroutine taking an ``IdcodeClient``: ``run`` awaits it on the
    client's loop and returns its result here, in the request's thread.
    """
    try:
        answer = idcode_client().run(confirm_callback, request.url)
    except ValidationError as exc:
        return json_answer({"detail": str(exc), "result_code": None}, status=400)
    return json_answer(answer)


def scan() -> Response:
    """Where a scan of one of the unit's codes lands (the resolve URL ``/scan?id=``)."""
    try:
        return json_answer(scan_answer(request.url))
    except ValidationError as exc:
        return json_answer({"detail": str(exc), "result_code": None}, status=400)


def unit(company_idcode: str) -> Response:
    """A unit's public record (306); SDK errors become HTTP errors (``idcode_error``)."""
    found = idcode_client().call(CompanyInfoBase(company_idcode=company_idcode))
    return json_answer(unit_answer(company_idcode, found))


def idcode_error(exc: IdcodeError) -> Response:
    """Every SDK error a view lets through: one mapping (``common.error_answer``)."""
    status, body = error_answer(exc)
    return json_answer(body, status=status)


def create_app(
    *,
    client_factory: Callable[[], IdcodeClient] = client_from_env,
    public_base_url: str | None = None,
) -> Flask:
    """The app, with its one client open (``client_factory`` makes it now)."""
    app = Flask(__name__)
    app.config[_PUBLIC_BASE_URL] = public_base_url.rstrip("/") if public_base_url else None
    client = SyncIdcodeClient.wrap(client_factory())
    app.extensions[CLIENT_KEY] = client
    atexit.register(client.close)
    app.add_url_rule("/categories/apply", view_func=apply_category)
    app.add_url_rule(CALLBACK_PATH, view_func=category_callback)
    app.add_url_rule(SCAN_PATH, view_func=scan)
    app.add_url_rule("/units/<company_idcode>", view_func=unit)
    app.register_error_handler(IdcodeError, idcode_error)
    return app


def init_app() -> Flask:
    """For ``flask --app 'examples.flask_app:init_app()' run``: configured from the
    environment (credentials and public base URL), read when the app starts."""
    return create_app(public_base_url=public_base_url_from_env())


def close_client(app: Flask) -> None:
    """Close the app's client now (tests, or a server with a shutdown hook of its own)."""
    client = app.extensions[CLIENT_KEY]
    if isinstance(client, SyncIdcodeClient):
        client.close()
