"""The ASGI application: every documented path, and the pipeline each request goes through.

Every request first passes the body cap (:mod:`.body_limit`: HTTP 413 beyond
``max_body_bytes``).  Then, for a request to an API path (``/sp/idcode/...``), in this order:

1. count it (``requests``; 309 arrival times);
2. a method the document does not allow for the endpoint → HTTP 405 with ``{"result_code":
   0, "result_msg": "失败"}`` (608 is GET only; 301, 304, 305, 309, 310, 402, 405–407, 5011,
   601, 602, 604–606 are POST only);
3. faults in front of the centre: latency, then ``drop_before``, ``html_502`` or ``busy``;
4. decode the parameters (:mod:`.parsing`) and verify key, ``time`` and ``hash``
   (:mod:`.verifier`): 10001, 10002, 10000;
5. required parameters (10000), then count a 309/301 submission by ``organunit_name``;
6. the endpoint's handler, under the state lock;
7. ``drop_after`` (the work is done, the answer is lost), or the answer.

Answers are JSON (``application/json;charset=UTF-8``, Chinese unescaped): the documented
output fields then ``result_code``/``result_msg``.  Refusals also carry an ``X-Sandbox-Reason``
header in English; the body stays as documented.  Page interfaces answer HTML on success.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Protocol

import anyio
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .body_limit import BodyTooLargeError, limit_body, refuse_body
from .clock import Clock
from .config import SandboxConfig
from .context import ApiRoute, Call
from .errors import CentreError
from .faults import HTML_502_PAGE, ConnectionDropped, FaultKind, FaultPlan, Faults
from .handlers_categories import ROUTES as CATEGORY_ROUTES
from .handlers_codes import ROUTES as CODE_ROUTES
from .handlers_misc import ROUTES as MISC_ROUTES
from .handlers_pages import ROUTES as PAGE_ROUTES
from .handlers_pictures import ROUTES as PICTURE_ROUTES
from .handlers_regions import ROUTES as REGION_ROUTES
from .handlers_registration import ROUTES as REGISTRATION_ROUTES
from .handlers_units import ROUTES as UNIT_ROUTES
from .inspection import inspection_routes
from .jsontypes import JsonValue
from .messages import message
from .parsing import ParsedRequest, parse_request
from .state import State
from .stats import BY_NAME_ENDPOINTS, Stats
from .verifier import verify_request

__all__ = ["API_ROUTES", "Centre", "build_app"]

API_ROUTES: tuple[ApiRoute, ...] = tuple(
    sorted(
        (
            *REGION_ROUTES,
            *CATEGORY_ROUTES,
            *UNIT_ROUTES,
            *REGISTRATION_ROUTES,
            *PAGE_ROUTES,
            *CODE_ROUTES,
            *PICTURE_ROUTES,
            *MISC_ROUTES,
        ),
        key=lambda route: route.number // 10 if route.number > 1000 else route.number,
    )
)
"""All 47 endpoints of the document."""


class Centre(Protocol):
    """What the app reads of a sandbox.  :class:`~.core.Sandbox` is one; the app does not import
    it, so the sandbox can build its app without an import cycle."""

    @property
    def config(self) -> SandboxConfig: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def faults(self) -> Faults: ...
    @property
    def counters(self) -> Stats: ...
    @property
    def state(self) -> State: ...


_JSON = "application/json;charset=UTF-8"
_REASON = "X-Sandbox-Reason"


def _header_text(text: str) -> str:
    """Header values are latin-1 and one line: escape the rest (reasons quote user input)."""
    escaped = text.encode("ascii", "backslashreplace").decode("ascii")
    return "".join(ch if ch.isprintable() else " " for ch in escaped)


def _json(body: Mapping[str, JsonValue], status: int = 200, reason: str = "") -> Response:
    headers = {_REASON: _header_text(reason)} if reason else None
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status_code=status, media_type=_JSON, headers=headers)


async def _drop(send: Send) -> None:
    """Start an answer whose body never comes, then fail (see :mod:`.faults`)."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", _JSON.encode()), (b"content-length", b"4096")],
        }
    )
    raise ConnectionDropped("connection dropped by the IDcode sandbox (fault injection)")


class ApiEndpoint:
    """The ASGI app of one documented path."""

    def __init__(self, route: ApiRoute, sandbox: Centre) -> None:
        self.route = route
        self.sandbox = sandbox

    def _envelope(
        self, code: int, fields: Mapping[str, JsonValue] | None = None
    ) -> dict[str, JsonValue]:
        body: dict[str, JsonValue] = dict(fields or {})
        number = self.route.number
        if number in self.sandbox.config.pascal_case_endpoints:
            body.update(ResultCode=code, ResultMsg=message(number, code))
        else:
            body.update(result_code=code, result_msg=message(number, code))
        return body

    def _refusal(self, refused: CentreError, status: int = 200) -> Response:
        fields = {**self.route.error_fields, **refused.fields}
        return _json(self._envelope(refused.code, fields), status, refused.reason)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sandbox = self.sandbox
        number = self.route.number
        request = Request(scope, receive)
        sandbox.counters.request(number, sandbox.clock.wall_ms())
        if request.method not in self.route.methods:
            allowed = ", ".join(sorted(self.route.methods))
            response = self._refusal(CentreError(0, f"{number} accepts {allowed} only"), 405)
            response.headers["Allow"] = allowed
            await response(scope, receive, send)
            return
        plan = sandbox.faults.plan(number)
        for kind in plan.kinds:
            sandbox.counters.fault(kind)
        early = await self._before(plan, send)
        if early is None:
            try:
                parsed = await parse_request(request)
            except ClientDisconnect:
                return  # the client gave up (e.g. timed out during a latency fault)
            except BodyTooLargeError as too_large:
                await refuse_body(send, too_large.max_bytes)
                return
            try:
                response = await self._process(request, parsed)
            finally:
                await parsed.close()
            if plan.drop_after:
                await _drop(send)
        else:
            response = early
        await response(scope, receive, send)

    async def _before(self, plan: FaultPlan, send: Send) -> Response | None:
        if plan.latency:
            await anyio.sleep(plan.latency)
        if plan.before is FaultKind.DROP_BEFORE:
            await _drop(send)
        if plan.before is FaultKind.HTML_502:
            return HTMLResponse(HTML_502_PAGE, status_code=502)
        if plan.before is FaultKind.BUSY:
            return _json(self._envelope(-1, self.route.error_fields), reason="busy (fault)")
        return None

    async def _process(self, request: Request, parsed: ParsedRequest) -> Response:
        sandbox = self.sandbox
        route = self.route
        if parsed.problem:
            return self._refusal(CentreError(10000, parsed.problem))
        verdict = verify_request(
            request.url.path,
            parsed.params,
            keys=sandbox.config.keys,
            disabled_keys=sandbox.config.disabled_keys,
            now_ms=sandbox.clock.wall_ms(),
            skew_ms=round(sandbox.config.time_skew * 1000),
            token_in_json=route.token_in_json,
        )
        if verdict.signature_failure:
            sandbox.counters.signature_failure()
        if not verdict.ok:
            return self._refusal(CentreError(verdict.code, verdict.reason))
        missing = [n for n in route.required if not parsed.params.get(n, "").strip()]
        if missing:
            return self._refusal(CentreError(10000, f"missing required parameter {missing[0]}"))
        name = parsed.params.get("organunit_name", "")
        if route.number in BY_NAME_ENDPOINTS and name:
            sandbox.counters.submission(route.number, name)
        call = Call(
            number=route.number,
            params=parsed.params,
            files=parsed.files,
            state=sandbox.state,
            base_url=str(request.base_url).rstrip("/"),
        )
        try:
            async with sandbox.state.lock:
                result = await route.handler(call)
        except CentreError as refused:
            return self._refusal(refused)
        if isinstance(result, Response):
            return result
        response = _json(self._envelope(1, result))
        response.headers.update(call.headers)
        return response


def build_app(sandbox: Centre) -> ASGIApp:
    """The ASGI application of ``sandbox``: all API paths plus ``/_sandbox/`` routes, behind
    the request body cap (``config.max_body_bytes``, see :mod:`.body_limit`)."""
    routes: list[BaseRoute] = [Route(r.path, ApiEndpoint(r, sandbox)) for r in API_ROUTES]
    routes.extend(inspection_routes(sandbox.state, sandbox.counters))
    return limit_body(Starlette(routes=routes), sandbox.config.max_body_bytes)
