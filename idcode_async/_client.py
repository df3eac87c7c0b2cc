"""``IdcodeClient``: an ``httpx.AsyncClient`` that signs, dispatches and decodes.

``await client.call(spec)`` is the one dispatcher: it turns any endpoint spec into a signed
request, retries what may safely be retried, and returns the spec's response class or raises
the exception for the result code.  Everything else (batch runners, uploads, the demo) is built
on it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, Final, ParamSpec, TypeVar, overload

import anyio
import attrs
import cattrs
import httpx

from ._auth import WIRE_EXTENSION, IdcodeAuth
from ._converter import decode_json, normalise_keys, structure
from ._errors import (
    ApiError,
    HttpStatusError,
    IdcodeError,
    ResponseDecodeError,
    TimeoutError,
    TransportError,
    UsageError,
    error_for_code,
)
from ._logging import install_httpx_redaction, logger, redact
from ._retry import RetryPolicy, is_retryable
from ._signing import current_millis
from ._spec import Endpoint, PageEndpoint, Response, Spec, refuse_call_on_page
from ._transport import DEFAULT_LIMITS

__all__ = [
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


class _UseDefault:
    def __repr__(self) -> str:
        return "USE_DEFAULT"


USE_DEFAULT: Final = _UseDefault()
TimeoutArg = float | httpx.Timeout | None | _UseDefault


@attrs.frozen
class PageForm:
    """A signed page request for an auto-submitting HTML form (405 is documented POST only)."""

    method: str
    action: str
    fields: dict[str, str] = attrs.field(repr=False)


class IdcodeClient(httpx.AsyncClient):
    """Async client for the IDcode SP API.

    ``access_token`` and ``auth_code`` are the SP's authorisation key and system authorisation
    code (seed §三/§四).  ``base_url`` defaults to the centre's *test* host; pass
    :data:`PRODUCTION_BASE_URL` deliberately.  Any other keyword goes to ``httpx.AsyncClient``
    (``transport=``, ``proxy=``, ``limits=``, ``event_hooks=`` …).  ``limits`` defaults to
    :data:`DEFAULT_LIMITS`; ``transport=aiohttp_transport()`` runs on aiohttp (asyncio only).
    """

    def __init__(
        self,
        *,
        access_token: str,
        auth_code: str,
        base_url: str | httpx.URL = TEST_BASE_URL,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        upload_timeout: float | httpx.Timeout = UPLOAD_TIMEOUT,
        retry: RetryPolicy | None = None,
        clock: Callable[[], int] = current_millis,
        **kwargs: Any,
    ) -> None:
        self._idcode_auth = IdcodeAuth(access_token, auth_code, clock=clock)
        kwargs.setdefault("limits", DEFAULT_LIMITS)
        super().__init__(base_url=base_url, auth=self._idcode_auth, timeout=timeout, **kwargs)
        self.upload_timeout = httpx.Timeout(upload_timeout)
        self.retry = retry if retry is not None else RetryPolicy()
        self._endpoint_urls: dict[str, httpx.URL] = {}
        self._endpoint_urls_base = self.base_url
        install_httpx_redaction()

    def __repr__(self) -> str:
        return f"IdcodeClient(base_url={str(self.base_url)!r})"

    @overload
    async def call(
        self, spec: Endpoint[R], *, retries: int | None = None, timeout: TimeoutArg = USE_DEFAULT
    ) -> R: ...

    @overload
    async def call(
        self, spec: Spec, *, retries: int | None = None, timeout: TimeoutArg = USE_DEFAULT
    ) -> Response: ...

    async def call(
        self, spec: Spec, *, retries: int | None = None, timeout: TimeoutArg = USE_DEFAULT
    ) -> Response:
        """Send ``spec`` and return its decoded response; raise for any result code but 1.

        ``retries`` overrides the client's :class:`RetryPolicy` count for this call, and
        ``timeout`` its timeout.  Every attempt is signed afresh.
        """
        refuse_call_on_page(spec)
        if not isinstance(spec, Endpoint):
            raise UsageError(f"{type(spec).__name__} is not an endpoint spec")
        policy = self.retry if retries is None else attrs.evolve(self.retry, max_retries=retries)
        wire = spec.wire()
        try:
            attempt = 0
            while True:
                attempt += 1
                started = time.perf_counter()
                try:
                    return await self._attempt(spec, wire, timeout, attempt, started)
                except (httpx.HTTPError, IdcodeError) as exc:
                    if attempt > policy.max_retries or not is_retryable(exc, writes=spec.writes):
                        raise _as_sdk_error(exc, spec.number) from _cause(exc)
                    delay = policy.delay(attempt)
                    logger.info(
                        "endpoint=%s attempt=%d retrying in %.2fs after %s",
                        spec.number,
                        attempt,
                        delay,
                        type(exc).__name__,
                    )
                    await anyio.sleep(delay)
        finally:
            wire.close()

    async def _attempt(
        self, spec: Endpoint[Any], wire: Any, timeout: TimeoutArg, attempt: int, started: float
    ) -> Response:
        if isinstance(timeout, _UseDefault):
            chosen: Any = self.upload_timeout if spec.upload else httpx.USE_CLIENT_DEFAULT
        else:
            chosen = timeout
        request = self.build_request(
            spec.method,
            self._endpoint_url(spec.path),
            timeout=chosen,
            extensions={WIRE_EXTENSION: wire},
        )
        response = await self.send(request)
        result_code: int | str = "-"
        try:
            decoded = _decode(spec, response)
            result_code = decoded.result_code
            return decoded
        except ApiError as exc:
            result_code = exc.code
            raise
        finally:
            logger.debug(
                "endpoint=%s method=%s status=%d result_code=%s attempt=%d elapsed_ms=%.1f",
                spec.number,
                spec.method,
                response.status_code,
                result_code,
                attempt,
                (time.perf_counter() - started) * 1000,
            )

    def bind(self, spec_type: Callable[P, Endpoint[R]]) -> Callable[P, Awaitable[R]]:
        """A coroutine function taking ``spec_type``'s own parameters (typed via ParamSpec).

        >>> register = client.bind(UnitRegist)
        >>> unit = await register(login_name="…", organunit_name="…", code=1, …)

        The spec is built (and validated) on each call, then sent with :meth:`call`.
        """

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
        if spec.is_page and "GET" not in spec.documented_methods:
            raise UsageError(
                f"endpoint {spec.number} is documented as POST only: use client.page_form(spec)"
            )
        form = self.page_form(spec)
        return str(httpx.URL(form.action, params=form.fields))

    def page_form(self, spec: PageEndpoint) -> PageForm:
        """The signed fields of a page interface, for a form posted by the user's browser."""
        if not spec.is_page:
            raise UsageError(f"endpoint {spec.number} is a data interface: use client.call(spec)")
        url = self._endpoint_url(spec.path)
        fields = self._idcode_auth.signed_fields(url.path, spec.wire())
        return PageForm(spec.method, str(url), fields)


def _decode(spec: Endpoint[Any], response: httpx.Response) -> Response:
    status = response.status_code
    content = response.content
    if _looks_like_html(response):
        raise ResponseDecodeError(
            f"HTTP {status}: an HTML page instead of JSON",
            status_code=status,
            endpoint=spec.number,
            is_html=True,
        )
    try:
        body = decode_json(content)
    except ValueError as exc:
        if status >= 400:
            raise HttpStatusError(status, endpoint=spec.number) from exc
        raise ResponseDecodeError(
            f"HTTP {status}: the answer is not JSON", status_code=status, endpoint=spec.number
        ) from exc
    if not isinstance(body, dict):
        raise ResponseDecodeError(
            f"HTTP {status}: expected a JSON object", status_code=status, endpoint=spec.number
        )
    body = normalise_keys(body)
    code = body.get("result_code")
    if code is None:
        if status >= 400:
            raise HttpStatusError(status, endpoint=spec.number)
        raise ResponseDecodeError(
            f"HTTP {status}: the answer has no result_code",
            status_code=status,
            endpoint=spec.number,
        )
    try:
        code = int(code)
    except (TypeError, ValueError) as exc:
        raise ResponseDecodeError(
            f"result_code {code!r} is not an integer", status_code=status, endpoint=spec.number
        ) from exc
    if code != 1:
        raise error_for_code(code, str(body.get("result_msg") or ""), spec.number, body)
    try:
        return structure(body, spec.response_type)
    except (cattrs.BaseValidationError, ValueError, TypeError) as exc:
        raise ResponseDecodeError(
            f"the answer does not match the documented fields: {_describe(exc)}",
            status_code=status,
            endpoint=spec.number,
        ) from exc


def _looks_like_html(response: httpx.Response) -> bool:
    if "html" in response.headers.get("content-type", ""):
        return True
    return response.content.lstrip()[:1] == b"<"


def _describe(exc: Exception) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        return "; ".join(str(e) for e in cattrs.transform_error(exc))
    return str(exc)


def _as_sdk_error(exc: Exception, endpoint: int) -> IdcodeError:
    if isinstance(exc, IdcodeError):
        return exc
    text = redact(str(exc)) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return TimeoutError(f"{type(exc).__name__}: {text}", endpoint=endpoint)
    return TransportError(f"{type(exc).__name__}: {text}", endpoint=endpoint)


def _cause(exc: Exception) -> BaseException | None:
    return exc.__cause__ if isinstance(exc, IdcodeError) else exc
