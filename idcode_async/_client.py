"""``IdcodeClient``: an ``httpx.AsyncClient`` that signs, dispatches and decodes.

``await client.call(spec)`` is the one dispatcher: it turns any endpoint spec into a signed
request, retries what may safely be retried, and returns the spec's response class or raises
the exception for the result code.  Everything else (batch runners, uploads, the demo) is built
on it.
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any, Final, ParamSpec, TypeVar, overload

import anyio
import attrs
import httpx
from httpx import USE_CLIENT_DEFAULT
from httpx._client import BoundAsyncStream

from ._attempt import ATTEMPT_EXTENSION, AttemptBoundingTransport, AttemptTimeout
from ._auth import IdcodeAuth
from ._body import (
    ACCEPT_ENCODING,
    BODY_EXTENSION,
    DEFAULT_MAX_RESPONSE_BYTES,
    MAX_BODY_EXTENSION,
    read_capped,
)
from ._credentials import resolve_credentials
from ._deadline import attempt_limit, checked_deadline, checked_retries, checked_timeout
from ._decode import decode_answer
from ._errors import (
    ApiError,
    IdcodeError,
    TimeoutError,
    TransportError,
    UsageError,
    ValidationError,
)
from ._form import with_host
from ._headers import Entry, entries, lower_names
from ._logging import install_httpx_redaction, logger, redact
from ._origin import shown_url, warn_if_cleartext
from ._redirects import hostile_location, next_hop
from ._retry import RetryPolicy, is_retryable
from ._scrub import Scrubber
from ._signing import current_millis
from ._spec import (
    Endpoint,
    PageEndpoint,
    Response,
    Spec,
    refuse_call_on_page,
    require_bindable,
    require_spec,
    secret_values,
)
from ._transport import DEFAULT_LIMITS, pool_gate
from ._wire import WireParams

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "PRODUCTION_BASE_URL",
    "TEST_BASE_URL",
    "UPLOAD_TIMEOUT",
    "IdcodeClient",
    "PageForm",
]

R = TypeVar("R", bound=Response)
P = ParamSpec("P")

TEST_BASE_URL: Final = "https://apitest.idcode.org.cn"
PRODUCTION_BASE_URL: Final = "https://api.idcode.org.cn"
DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, connect=10.0)
UPLOAD_TIMEOUT: Final = httpx.Timeout(300.0, connect=10.0)
"""Bulk uploads (5011–5014) stream megabytes; they get a longer read/write allowance."""


_IN_PROCESS_TRANSPORTS = (httpx.ASGITransport, httpx.MockTransport)
"""Transports that never touch a network (the in-process sandbox, test doubles)."""


class _UseDefault:
    def __repr__(self) -> str:
        return "USE_DEFAULT"


USE_DEFAULT: Final = _UseDefault()
TimeoutArg = float | httpx.Timeout | None | _UseDefault


@attrs.frozen
class PageForm:
    """A signed page request for an auto-submitting HTML form (405 is documented POST only).

    Serve :meth:`html` to the user's browser: the form posts itself to the centre's page.
    """

    method: str
    action: str
    fields: dict[str, str] = attrs.field(repr=False)

    def __attrs_post_init__(self) -> None:
        texts = (self.method, self.action, *self.fields) if isinstance(self.fields, dict) else ()
        if not texts or not all(isinstance(text, str) for text in texts):
            raise UsageError("PageForm takes a text method and action and a dict of text fields")
        if not all(isinstance(value, str) for value in self.fields.values()):
            raise UsageError("PageForm fields must be text")

    def html(self, *, nonce: str | None = None) -> str:
        """A whole UTF-8 HTML page whose form submits itself when loaded.

        Every value is escaped for an attribute (``&``, ``<``, ``>``, both quotes), so a
        field holding markup cannot leave its ``value``.  A browser without scripts shows a
        button instead.  ``nonce`` goes on the inline script for a Content-Security-Policy
        with ``script-src 'nonce-…'``.
        """
        if nonce is not None and not isinstance(nonce, str):
            raise UsageError(f"nonce must be text, not {type(nonce).__name__}")
        inputs = "".join(
            f'<input type="hidden" name="{_attr(name)}" value="{_attr(value)}">'
            for name, value in self.fields.items()
        )
        nonce_attr = f' nonce="{_attr(nonce)}"' if nonce is not None else ""
        return (
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>IDcode</title></head>'
            f'<body><form id="idcode-page" method="{_attr(self.method.lower())}" '
            f'action="{_attr(self.action)}" accept-charset="UTF-8">{inputs}'
            '<noscript><button type="submit">继续 / Continue</button></noscript></form>'
            f'<script{nonce_attr}>document.getElementById("idcode-page").submit();</script>'
            "</body></html>"
        )


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _refuse_call_on_page(spec: Spec) -> None:
    """A page interface has no JSON answer: say which call opens it (405 is POST only)."""
    if spec.is_page and "GET" not in spec.documented_methods:
        raise UsageError(
            f"endpoint {spec.number} is a page interface documented as POST only: serve "
            "client.page_form(spec).html() to the user's browser"
        )
    refuse_call_on_page(spec)


class IdcodeClient(httpx.AsyncClient):
    """Async client for the IDcode SP API.

    ``access_token`` and ``auth_code`` are the SP's authorisation key and system authorisation
    code (seed §三/§四); left out, they are read from ``IDCODE_ACCESS_TOKEN`` and
    ``IDCODE_AUTH_CODE`` (a :class:`UsageError` names what is missing).  ``base_url`` comes
    from the argument, else ``IDCODE_BASE_URL``, else the centre's *test* host; pass
    :data:`PRODUCTION_BASE_URL` deliberately.  Any other keyword goes to ``httpx.AsyncClient``
    (``transport=``, ``proxy=``, ``limits=``, ``event_hooks=`` …).  ``limits`` defaults to
    :data:`DEFAULT_LIMITS`; ``transport=aiohttp_transport()`` runs on aiohttp (asyncio only).
    """

    def __init__(
        self,
        *,
        access_token: str | None = None,
        auth_code: str | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        upload_timeout: float | httpx.Timeout = UPLOAD_TIMEOUT,
        retry: RetryPolicy | None = None,
        clock: Callable[[], int] = current_millis,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        **kwargs: Any,
    ) -> None:
        credentials = resolve_credentials(
            access_token, auth_code, base_url, default_base_url=TEST_BASE_URL
        )
        self._idcode_auth = IdcodeAuth(credentials.access_token, credentials.auth_code, clock=clock)
        checked_timeout(timeout)
        checked_timeout(upload_timeout, "upload_timeout")
        kwargs.setdefault("limits", DEFAULT_LIMITS)
        self._gate = pool_gate(kwargs)
        super().__init__(
            base_url=credentials.base_url, auth=self._idcode_auth, timeout=timeout, **kwargs
        )
        self.cookies = self._cookies  # the jar as an _AnswerCookies (same cookies)
        self.upload_timeout = httpx.Timeout(upload_timeout)
        self.retry = retry if retry is not None else RetryPolicy()
        self.max_response_bytes = _checked_cap(max_response_bytes)
        self._endpoint_urls: dict[str, httpx.URL] = {}
        self._known_bounds: dict[int, _Bounds] = {}
        self._headers_seen: list[Entry] | None = None
        self._headers_sent: list[tuple[bytes, bytes]] = []
        self._headers_base: httpx.URL | None = None
        self._endpoint_urls_base = self.base_url
        self._scoped_base: httpx.URL | None = None
        self._in_process = isinstance(kwargs.get("transport"), _IN_PROCESS_TRANSPORTS)
        self._scope_signing()
        install_httpx_redaction(credentials.access_token, credentials.auth_code)

    def __repr__(self) -> str:
        return f"IdcodeClient(base_url={shown_url(self.base_url)!r})"

    def _scope_signing(self) -> None:
        """Sign for the origin of the current ``base_url`` (it may be reassigned)."""
        if self._scoped_base is not self.base_url:
            self._idcode_auth.scope_to(self.base_url)
            self._scoped_base = self.base_url
            if not self._in_process:  # nothing travels over a network in-process
                warn_if_cleartext(self.base_url)

    @overload
    async def call(
        self,
        spec: Endpoint[R],
        *,
        retries: int | None = None,
        timeout: TimeoutArg = USE_DEFAULT,
        deadline: float | None = None,
    ) -> R: ...

    @overload
    async def call(
        self,
        spec: Spec,
        *,
        retries: int | None = None,
        timeout: TimeoutArg = USE_DEFAULT,
        deadline: float | None = None,
    ) -> Response: ...

    async def call(
        self,
        spec: Spec,
        *,
        retries: int | None = None,
        timeout: TimeoutArg = USE_DEFAULT,
        deadline: float | None = None,
    ) -> Response:
        """Send ``spec`` and return its decoded response; raise for any result code but 1.

        ``retries`` overrides the client's :class:`RetryPolicy` count for this call, and
        ``timeout`` its timeout; each attempt lasts at most the largest value of its timeout.
        ``deadline`` (seconds) bounds the whole call, retries and backoff pauses included.
        Every attempt is signed afresh.
        """
        require_spec(spec)
        _refuse_call_on_page(spec)
        if not isinstance(spec, Endpoint):
            raise UsageError(f"{type(spec).__name__} is not an endpoint spec")
        if self.is_closed:
            raise UsageError("the client is closed; open a new IdcodeClient")
        count = checked_retries(retries)
        bounds = self._bounds(spec, timeout)
        limit = checked_deadline(deadline)
        policy = self.retry if count is None else attrs.evolve(self.retry, max_retries=count)
        wire = spec.wire()
        try:
            if limit is None:
                return await self._with_retries(spec, wire, policy, bounds)
            if policy.max_retries == 0:  # one attempt: one scope, whichever bound is sooner
                return await self._with_retries(spec, wire, policy, bounds.within(limit))
            with anyio.move_on_after(limit):
                return await self._with_retries(spec, wire, policy, bounds)
        finally:
            wire.close()
        # reached only when the deadline's scope cut the call short
        raise TimeoutError(f"the call's deadline of {limit} s passed", endpoint=spec.number)

    def _bounds(self, spec: Endpoint[Any], timeout: TimeoutArg) -> _Bounds:
        """The chosen timeout with what each attempt derives from it, worked out once per
        client timeout (an ``httpx.Timeout`` is mutable: its values are compared too)."""
        if not isinstance(timeout, _UseDefault):
            checked = checked_timeout(timeout)
            return _Bounds.of(None if checked is None else httpx.Timeout(checked))
        chosen = self.upload_timeout if spec.upload else self.timeout
        known = self._known_bounds.get(id(chosen))
        if known is None or known.timeout is not chosen or known.values != _values(chosen):
            if len(self._known_bounds) > 8:  # timeouts reassigned again and again
                self._known_bounds.clear()
            known = self._known_bounds[id(chosen)] = _Bounds.of(chosen)
        return known

    async def _with_retries(
        self, spec: Endpoint[Any], wire: Any, policy: RetryPolicy, bounds: _Bounds
    ) -> Response:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._attempt(spec, wire, bounds, attempt)
            except (httpx.HTTPError, IdcodeError) as exc:
                failure: Exception = exc
            # decided outside the handler, so that no __context__ links to a dropped cause
            if attempt > policy.max_retries or not is_retryable(failure, writes=spec.writes):
                scrub = self._idcode_auth.scrubber(*secret_values(spec))
                raise scrub.error(_as_sdk_error(failure, spec.number)) from _cause(failure, scrub)
            delay = policy.delay(attempt)
            logger.info(
                "endpoint=%s attempt=%d retrying in %.2fs after %s",
                spec.number,
                attempt,
                delay,
                type(failure).__name__,
                extra={"endpoint": spec.number, "method": spec.method, "attempt": attempt},
            )
            await anyio.sleep(delay)

    async def _attempt(
        self, spec: Endpoint[Any], wire: Any, bounds: _Bounds, attempt: int
    ) -> Response:
        started = time.perf_counter()
        exchanged = await self._bounded_exchange(spec, wire, bounds)
        if exchanged is None:
            raise TimeoutError(bounds.expired, endpoint=spec.number)
        response, content = exchanged
        result_code: int | str = "-"
        try:
            decoded = decode_answer(
                content,
                status=response.status_code,
                endpoint=spec.number,
                response_type=spec.response_type,
            )
            result_code = decoded.result_code
            return decoded
        except ApiError as exc:
            result_code = exc.code
            raise
        finally:
            _log_attempt(spec, response.status_code, result_code, attempt, started)

    def build_request(self, *args: Any, **kwargs: Any) -> httpx.Request:
        """``httpx.AsyncClient.build_request``; text that cannot be encoded is a
        :class:`ValidationError` that quotes none of it (it may hold a password)."""
        with suppress(UnicodeEncodeError):
            return super().build_request(*args, **kwargs)
        raise ValidationError("request", _UNENCODABLE)

    async def _bounded_exchange(
        self, spec: Endpoint[Any], wire: WireParams, bounds: _Bounds
    ) -> tuple[httpx.Response, bytes] | None:
        """The attempt's signed request exchanged within its bound, ``None`` when the bound
        ran out.

        A transport that bounds an attempt itself (aiohttp's, through its ``total`` timeout)
        gets the bound as a request extension; any other transport, or a client with event
        hooks (they run inside the attempt and may wait), runs in an anyio cancel scope.  An
        unbounded phase leaves the attempt unbounded: no bound at all.

        A transport that also admits attempts (:class:`._attempt.Admission`: aiohttp's, as many
        as its pool has connections) is waited for first, within the attempt's bound and its
        pool timeout, and only then is the request built and signed: a call queued behind
        others holds nothing but its spec meanwhile (about 1 KiB instead of 12), and goes out
        with a fresh ``time``.
        """
        if bounds.attempt is None:
            request = self._dispatched_request(spec, wire, bounds)
            return await self._exchange(request, spec.number, bounds.pool)
        transport = self._bounding_transport(spec.path)
        if transport is None:
            request = self._dispatched_request(spec, wire, bounds)
            with anyio.move_on_after(bounds.attempt):
                return await self._exchange(request, spec.number, bounds.pool)
            return None
        admission, left = transport.admission, bounds.attempt
        if admission is not None:  # the pool timeout, if any, within the attempt's bound
            left -= await admission.enter(left if bounds.pool is None else min(left, bounds.pool))
        try:
            request = self._dispatched_request(spec, wire, bounds)
            request.extensions[ATTEMPT_EXTENSION] = left
            try:
                return await self._answer(request, spec.number)
            except AttemptTimeout:
                return None  # reported by the caller, outside this handler
        finally:
            if admission is not None:
                admission.leave()

    def _bounding_transport(self, path: str) -> AttemptBoundingTransport | None:
        """The transport of an endpoint when it bounds attempts itself and may: not behind
        httpx's pool gate, nor with event hooks (they run inside the attempt and may wait)."""
        hooks = self.event_hooks
        if self._gate is not None or hooks["request"] or hooks["response"]:
            return None
        transport = self._transport_for_url(self._endpoint_url(path))
        return transport if isinstance(transport, AttemptBoundingTransport) else None

    async def _exchange(
        self, request: httpx.Request, endpoint: int, pool: float | None
    ) -> tuple[httpx.Response, bytes]:
        """Send, read capped and close; on httpx's own pool only after a place among the
        calls in flight (:class:`PoolGate`, waited for at most the ``pool`` timeout)."""
        if self._gate is None:
            return await self._answer(request, endpoint)
        async with self._gate.slot(pool):
            return await self._answer(request, endpoint)

    async def _answer(self, request: httpx.Request, endpoint: int) -> tuple[httpx.Response, bytes]:
        response = await self._follow(request, self.follow_redirects, presigned=True)
        try:
            content = await read_capped(response, self.max_response_bytes, endpoint=endpoint)
        finally:
            await _closed(response)
        return response, content

    def _dispatched_request(
        self, spec: Endpoint[Any], wire: WireParams, bounds: _Bounds
    ) -> httpx.Request:
        """The signed request of one attempt, built once: what ``build_request`` and the auth
        hook would make of it together (the client's headers and cookies, the timeout, the
        encodings :mod:`._body` decodes), without building and copying a template first."""
        if self.is_closed:
            raise UsageError("the client is closed; open a new IdcodeClient")
        self._scope_signing()
        url = self._endpoint_url(spec.path)
        extensions = {
            "timeout": dict(bounds.extension),
            MAX_BODY_EXTENSION: self.max_response_bytes,
        }
        try:
            headers = self._request_headers(spec.method, url, extensions)
            return self._idcode_auth.dispatched_request(spec.method, url, wire, headers, extensions)
        except UnicodeEncodeError:
            pass  # the error is raised outside the handler: it would quote the text
        raise ValidationError("request", _UNENCODABLE)

    def _request_headers(
        self, method: str, url: httpx.URL, extensions: dict[str, Any]
    ) -> list[tuple[bytes, bytes]]:
        """The client's headers as a dispatched request carries them, ``Host`` first as httpx
        puts it; without cookies the same list until the client's headers or ``base_url``
        change (the list is only ever copied)."""
        if self.cookies:  # httpx's own merge puts the Cookie header in its place
            template = self.build_request(method, url, extensions=extensions)
            return _with_accept_encoding(template.headers.raw)
        own = entries(self.headers)
        if own != self._headers_seen or self._headers_base is not self.base_url:
            self._headers_sent = with_host(url, _with_accept_encoding(self.headers.raw))
            self._headers_seen = own.copy()  # the client's headers may change in place
            self._headers_base = self.base_url
        return self._headers_sent

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = USE_CLIENT_DEFAULT,
        follow_redirects: Any = USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        """``httpx.AsyncClient.send``, signing only for the centre and following redirects safely.

        Redirects are followed one hop at a time (see :mod:`._redirects`): a signed request
        never leaves the centre's origin, and a same-origin hop is signed afresh.
        """
        if self.is_closed:
            raise UsageError("the client is closed; open a new IdcodeClient")
        self._scope_signing()
        follow = follow_redirects
        if follow_redirects is USE_CLIENT_DEFAULT:
            follow = self.follow_redirects
        response = await self._follow(request, follow, auth=auth)
        if not stream:
            try:
                await response.aread()
            except BaseException:
                await response.aclose()
                raise
        return response

    async def _follow(
        self,
        request: httpx.Request,
        follow: bool,
        *,
        auth: Any = USE_CLIENT_DEFAULT,
        presigned: bool = False,
    ) -> httpx.Response:
        """Send ``request`` (streamed), following redirects one checked hop at a time.

        A ``presigned`` request (the dispatcher's) goes out as it is; every hop after it passes
        through httpx's ``send`` and so through the auth hook, which signs it afresh.
        """
        history: list[httpx.Response] = []
        while True:
            if presigned:
                response = await self._send_presigned(request)
                presigned = False
            else:
                with hostile_location(request):
                    response = await super().send(
                        request, stream=True, auth=auth, follow_redirects=False
                    )
            if not follow or response.next_request is None:
                break
            await response.aclose()  # a hop's body is never needed, and may be endless
            history.append(response)
            if len(history) > self.max_redirects:
                raise httpx.TooManyRedirects("Exceeded maximum allowed redirects.", request=request)
            request = next_hop(response)
        response.history = history
        return response

    async def _send_presigned(self, request: httpx.Request) -> httpx.Response:
        """One hop of an already signed request: httpx's ``send`` without its auth generator
        and redirect loop (both replaced here), keeping the users' event hooks, the transport
        chosen for the URL (mounts, proxies), cookies, ``elapsed`` and httpx's request log."""
        hooks = self.event_hooks
        for hook in hooks["request"]:
            await hook(request)
        response = await self._send_single_request(request)
        try:
            for hook in hooks["response"]:
                await hook(response)
            # httpx's check only for a redirect status: it looks its statuses up in an enum
            if response.status_code in _REDIRECTS and response.has_redirect_location:
                with hostile_location(request):
                    response.next_request = self._build_redirect_request(request, response)
        except BaseException:
            await response.aclose()
            raise
        return response

    async def _send_single_request(self, request: httpx.Request) -> httpx.Response:
        """httpx's ``_send_single_request`` (0.28), step for step, with its ``request_context``
        (a generator-based context manager on every request) written as a plain handler.

        The transport chosen for the URL (mounts, proxies), the response bound to its request
        and to ``elapsed``, the cookie jar, the default encoding and httpx's request log are
        all kept; so is the request attached to a transport error.
        """
        transport = self._transport_for_url(request.url)
        start = time.perf_counter()
        if not isinstance(request.stream, httpx.AsyncByteStream):
            raise RuntimeError("Attempted to send an sync request with an AsyncClient instance.")
        try:
            response = await transport.handle_async_request(request)
        except httpx.RequestError as exc:
            exc.request = request
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.request = request
        response.stream = BoundAsyncStream(response.stream, response=response, start=start)
        self.cookies.extract_cookies(response)
        response.default_encoding = self._default_encoding
        if _HTTPX_LOG.isEnabledFor(logging.INFO):  # its arguments decode two extensions
            _HTTPX_LOG.info(
                'HTTP Request: %s %s "%s %d %s"',
                request.method,
                request.url,
                response.http_version,
                response.status_code,
                response.reason_phrase,
            )
        return response

    @property
    def cookies(self) -> httpx.Cookies:
        """httpx's cookie jar, which skips the (costly) jar update for an answer without
        ``Set-Cookie``: the centre's answers set none."""
        return self._cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:  # what httpx.Cookies() takes
        self._cookies = _AnswerCookies(cookies)

    def bind(self, spec_type: Callable[P, Endpoint[R]]) -> Callable[P, Awaitable[R]]:
        """A coroutine function taking ``spec_type``'s own parameters (typed via ParamSpec).

        >>> register = client.bind(UnitRegist)
        >>> unit = await register(login_name="…", organunit_name="…", code=1, …)

        The spec is built (and validated) on each call, then sent with :meth:`call`.
        """
        require_bindable(spec_type)

        async def call_endpoint(*args: P.args, **kwargs: P.kwargs) -> R:
            return await self.call(spec_type(*args, **kwargs))

        call_endpoint.__name__ = getattr(spec_type, "__name__", "call_endpoint")
        call_endpoint.__doc__ = getattr(spec_type, "__doc__", None)
        return call_endpoint

    def _endpoint_url(self, path: str) -> httpx.URL:
        """The absolute URL of an endpoint path, merged with ``base_url`` once per path."""
        if self._endpoint_urls_base is not self.base_url:  # base_url was reassigned
            self._endpoint_urls = {}
            self._endpoint_urls_base = self.base_url
        url = self._endpoint_urls.get(path)
        if url is None:
            url = self._endpoint_urls[path] = self.build_request("GET", path).url
        return url

    def page_url(self, spec: PageEndpoint) -> str:
        """The signed URL of a page interface (401/408/607), to open in a browser.

        405 is documented as POST only: a link would be a GET the centre may refuse, so it is
        refused here; render :meth:`page_form` as an auto-submitting form instead.
        """
        require_spec(spec)
        if spec.is_page and "GET" not in spec.documented_methods:
            raise UsageError(
                f"endpoint {spec.number} is documented as POST only: serve "
                "client.page_form(spec).html() to the user's browser"
            )
        form = self.page_form(spec)
        return str(httpx.URL(form.action, params=form.fields))

    def page_form(self, spec: PageEndpoint) -> PageForm:
        """The signed fields of a page interface, for a form posted by the user's browser."""
        require_spec(spec)
        if not spec.is_page:
            raise UsageError(f"endpoint {spec.number} is a data interface: use client.call(spec)")
        url = self._endpoint_url(spec.path)
        fields = self._idcode_auth.signed_fields(url.path, spec.wire())
        return PageForm(spec.method, str(url), fields)


def _values(timeout: httpx.Timeout) -> tuple[float | None, ...]:
    return (timeout.connect, timeout.read, timeout.write, timeout.pool)


@attrs.frozen
class _Bounds:
    """A call's timeout and what every attempt derives from it (:mod:`._deadline`)."""

    timeout: httpx.Timeout | None
    values: tuple[float | None, ...]
    attempt: float | None
    """The whole attempt's bound (``attempt_limit``); ``None``: unbounded."""
    pool: float | None
    extension: dict[str, float | None]
    """httpx's ``timeout`` request extension (copied into each request)."""
    expired: str = "the attempt's timeout passed"
    """The text of the :class:`TimeoutError` when the attempt's scope runs out."""

    def within(self, deadline: float) -> _Bounds:
        """The bounds of a call's only attempt under the call's ``deadline``: one scope for
        both, and its error names the one that ran out (the deadline when they tie)."""
        if self.attempt is not None and self.attempt < deadline:
            return self
        expired = f"the call's deadline of {deadline} s passed"
        return attrs.evolve(self, attempt=deadline, expired=expired)

    @classmethod
    def of(cls, timeout: httpx.Timeout | None) -> _Bounds:
        values = (None,) * 4 if timeout is None else _values(timeout)
        return cls(
            timeout,
            values,
            attempt_limit(timeout),
            None if timeout is None else timeout.pool,
            httpx.Timeout(timeout).as_dict(),
        )


_HTTPX_LOG: Final = logging.getLogger("httpx")
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
"""The statuses httpx's ``has_redirect_location`` follows."""

_UNENCODABLE = "contains text that cannot be encoded as UTF-8 (e.g. a lone surrogate)"
_ACCEPT_ENCODING = ACCEPT_ENCODING.encode("ascii")
_BODY_HEADERS = frozenset({b"content-length", b"content-type", b"transfer-encoding"})


def _with_accept_encoding(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The headers without body headers, ``accept-encoding`` set as ``Headers.__setitem__``
    sets it (the first one replaced in its place, others dropped, else appended)."""
    headers: list[tuple[bytes, bytes]] = []
    placed = False
    for name, value in raw:
        lower = name.lower()
        if lower in _BODY_HEADERS:
            continue
        if lower == b"accept-encoding":
            if placed:
                continue
            value, placed = _ACCEPT_ENCODING, True
        headers.append((name, value))
    if not placed:
        headers.append((b"accept-encoding", _ACCEPT_ENCODING))
    return headers


class _AnswerCookies(httpx.Cookies):
    """``httpx.Cookies`` that reads an answer's cookies only when it sets any.

    httpx builds urllib stand-ins of the request and the response for every answer before
    the jar looks for ``Set-Cookie``: a tenth of a dispatched call's client time.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        # httpx's entries: its ``in`` decodes every header to find their encoding first
        if not _SET_COOKIE.isdisjoint(lower_names(response.headers)):
            super().extract_cookies(response)

    def __bool__(self) -> bool:
        """Whether the jar holds a cookie; an empty jar is told without iterating it (the
        dispatcher asks on every call).  The standard jar keeps its cookies in a dictionary
        by domain that is empty when it holds none; any other layout is iterated."""
        stored = getattr(self.jar, "_cookies", None)
        if isinstance(stored, dict) and not stored:
            return False
        return super().__bool__()


_SET_COOKIE: Final = frozenset({b"set-cookie", b"set-cookie2"})


_SPENT: Final = httpx.ByteStream(b"")


async def _closed(response: httpx.Response) -> None:
    """Close a dispatched answer, also when the attempt's bound cut it, and free it at once.

    httpx's response and the stream wrapper it puts around the transport's stream refer to
    each other: left so, every answer (with its request, headers and body) waits for the
    cyclic garbage collector, a tenth of a call's client time under load.  Once closed the
    response never reads its stream again (it raises ``StreamClosed``), so the wrapper is
    dropped.  A body the transport read whole (:data:`BODY_EXTENSION`) closes without
    waiting, so it needs no shield from the cancelled scope.
    """
    if BODY_EXTENSION in response.extensions:
        # ``Response.aclose`` for an in-memory body, without the context manager that would
        # attach the request to a transport error: closing bytes in memory raises none
        stream = response.stream
        if not response.is_closed and isinstance(stream, httpx.AsyncByteStream):
            response.is_closed = True
            await stream.aclose()  # httpx's wrapper: sets ``elapsed``
        else:
            await response.aclose()  # closed already, or a sync stream: httpx's own check
    else:
        with anyio.CancelScope(shield=True):
            await response.aclose()
    response.stream = _SPENT


def _log_attempt(
    spec: Endpoint[Any], status: int, result_code: int | str, attempt: int, started: float
) -> None:
    """One DEBUG record per attempt; the values ride as record attributes too (``extra``)."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    logger.debug(
        "endpoint=%s method=%s status=%d result_code=%s attempt=%d elapsed_ms=%.1f",
        spec.number,
        spec.method,
        status,
        result_code,
        attempt,
        elapsed_ms,
        extra={
            "endpoint": spec.number,
            "method": spec.method,
            "status": status,
            "result_code": result_code,
            "attempt": attempt,
            "elapsed_ms": elapsed_ms,
        },
    )


def _checked_cap(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise UsageError(f"max_response_bytes must be a whole number above 0, not {value!r}")
    return value


def _as_sdk_error(exc: Exception, endpoint: int) -> IdcodeError:
    if isinstance(exc, IdcodeError):
        return exc
    text = redact(str(exc)) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return TimeoutError(f"{type(exc).__name__}: {text}", endpoint=endpoint)
    return TransportError(f"{type(exc).__name__}: {text}", endpoint=endpoint)


def _cause(exc: Exception, scrub: Scrubber) -> BaseException | None:
    """The exception to chain: an httpx error only if its text carries no credential."""
    if isinstance(exc, IdcodeError):
        return exc.__cause__
    text = str(exc)
    if redact(text) != text or not scrub.is_clean(text):
        return None
    # the exception keeps its request: 608's signed GET holds the token in that URL
    request = getattr(exc, "_request", None)
    if isinstance(request, httpx.Request) and redact(str(request.url)) != str(request.url):
        return None
    return exc
