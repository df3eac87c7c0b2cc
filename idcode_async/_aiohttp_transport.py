"""httpx's transport interface over an aiohttp session, with aiohttp's failures told apart the
way the retry rule needs.

The request httpx built goes out as it is: its encoded body as one payload (a multipart upload
as the stream it is, so its memory stays flat), its headers as they are (aiohttp adds none of
its own: ``skip_auto_headers`` names those it would add, when the request lacks one), no
redirects, no decompression (:mod:`._body` inflates with a cap).  An answer that declares a
``Content-Length`` within ``max_body`` (the client's ``max_response_bytes``, passed per
request) is read whole before it is handed back, so httpx gets it in memory; a longer or
undeclared one is streamed.

Failures are mapped by their cause, so that ``_retry.py`` never resends a write that may have
happened (the ``httpx_aiohttp`` package maps every ``aiohttp.ClientConnectionError``, a server
that disconnected after reading the request included, to ``httpx.ConnectTimeout``):

- the connection was never made (``ClientConnectorError``, a connect or pool timeout):
  ``httpx.ConnectError`` / ``httpx.ConnectTimeout``, retried even for writes;
- anything after the request may have left (a disconnect, a reset, a read timeout, a bad
  answer): ``RemoteProtocolError`` / ``WriteError`` / ``ReadError`` / ``ReadTimeout``,
  retried for reads only.

Two behaviours of httpx's transport are kept that aiohttp lacks: a pooled connection the peer
has closed (or written to) while idle is not reused (:class:`_CheckedConnector`), and an
informational answer that reaches the client (a ``101`` nobody asked for) is a protocol error,
not an answer.

Messages are redacted and the aiohttp exception is not chained: its text can carry the
request URL, and 608's query string holds the access token and hash.  The aiohttp session
keeps no cookies (httpx's client owns cookies) and aiohttp runs under asyncio only.
"""

from __future__ import annotations

import builtins
import math
import select
import ssl
import time
from collections.abc import AsyncIterator, Mapping, MutableMapping
from typing import Any, Final

import aiohttp
import httpx
from multidict import CIMultiDict, CIMultiDictProxy

from ._aiohttp_wire import RequestHead
from ._attempt import ATTEMPT_EXTENSION, Admission, AttemptBoundingTransport, AttemptTimeout
from ._body import BODY_EXTENSION, MAX_BODY_EXTENSION
from ._deadline import ATTEMPT_SLACK
from ._headers import headers_of
from ._logging import redact

__all__ = ["IdcodeAiohttpTransport", "translate"]

_READ_WHOLE: Final = 1024 * 1024
"""Read whole up to this many declared bytes when a request does not say (raw httpx use)."""


_BY_CAUSE: Final[tuple[tuple[type[BaseException], type[httpx.TransportError]], ...]] = (
    # Never sent: safe to resend a write.
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.ClientProxyConnectionError, httpx.ProxyError),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.NonHttpUrlClientError, httpx.UnsupportedProtocol),
    # Possibly sent: a write is not resent.
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientHttpProxyError, httpx.ProxyError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.ReadError),
    (aiohttp.ClientConnectionResetError, httpx.WriteError),
    (aiohttp.ClientError, httpx.ReadError),
    (builtins.TimeoutError, AttemptTimeout),  # aiohttp's ``total``: the attempt's bound
)


def translate(error: BaseException) -> httpx.TransportError | None:
    """The httpx exception for an aiohttp failure, with a redacted message.

    ``None`` for anything else (cancellation, httpx's own errors, bugs): those pass unchanged.
    """
    for source, target in _BY_CAUSE:
        if isinstance(error, source):
            text = redact(str(error)) or type(error).__name__
            return target(f"{type(error).__name__}: {text}")
    return None


class _CheckedConnector(aiohttp.TCPConnector):
    """aiohttp's pool, which also drops an idle connection whose socket is readable.

    An idle keep-alive connection has nothing to read unless the peer closed it (or wrote
    garbage).  aiohttp notices a close only once the event loop has read the FIN, so a call
    made right after an answer from a server that closes without ``Connection: close`` took
    the dead connection and failed ("Can not write request body"): every other call, and a
    write could not be retried.  httpcore polls an idle socket before reusing it; so does this
    (one ``poll`` per reused connection).  ``_get`` is the pool's lookup (aiohttp 3.11 on).
    """

    async def _get(self, *args: Any, **kwargs: Any) -> Any:
        while True:
            connection = await super()._get(*args, **kwargs)
            if connection is None or not _readable(connection.transport):
                return connection
            connection.close()


def _readable(transport: Any) -> bool:
    """Whether an idle connection's socket has something to read (a FIN, or stray bytes);
    a connection without a socket is gone."""
    sock = None if transport is None else transport.get_extra_info("socket")
    fd = -1 if sock is None else sock.fileno()
    if fd < 0:
        return True
    if not hasattr(select, "poll"):  # Windows
        return bool(select.select([fd], [], [], 0)[0])
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class _StreamedBody(httpx.AsyncByteStream):
    """An answer's body read from aiohttp as it arrives, read failures mapped as above."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = self._response.content.iter_any().__aiter__()
        while True:
            mapped: httpx.TransportError | None = None
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                return
            except Exception as exc:
                mapped = translate(exc)
                if mapped is None:
                    raise
            if mapped is not None:
                raise mapped  # outside the handler: the aiohttp exception is not chained
            yield chunk

    async def aclose(self) -> None:
        self._response.release()


class _RequestBody:
    """A streamed request body (a multipart upload) as the async iterable aiohttp sends."""

    def __init__(self, stream: httpx.AsyncByteStream) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk


class IdcodeAiohttpTransport(AttemptBoundingTransport):
    """An aiohttp session behind httpx's transport interface (module doc).

    One session per transport, made in the event loop on the first request: a pool of
    ``limits.max_connections`` (0: unbounded) kept alive ``limits.keepalive_expiry`` seconds,
    no cookie jar.  A request carrying :data:`ATTEMPT_EXTENSION` is bounded as a whole by
    aiohttp's own ``total`` timeout (one timer on the loop, which aiohttp starts anyway for a
    read timeout), so the client needs no cancel scope of its own around it.
    """

    def __init__(
        self,
        *,
        limits: httpx.Limits,
        verify: ssl.SSLContext | str | bool = True,
        trust_env: bool = True,
    ) -> None:
        self.limits = limits
        self.ssl_context = httpx.create_ssl_context(verify=verify, trust_env=trust_env)
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}
        self._head = RequestHead()
        if limits.max_connections:  # the client waits for a place before it builds a request
            self.admission = Admission(limits.max_connections)

    def _new_session(self) -> aiohttp.ClientSession:
        connector = _CheckedConnector(
            limit=self.limits.max_connections or 0,
            keepalive_timeout=self.limits.keepalive_expiry,
            ssl=self.ssl_context,
        )
        session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
        )
        # aiohttp resends a GET (608) once, unasked, when a reused connection fails: the
        # client's RetryPolicy alone decides how many attempts reach the server, as on httpcore
        session._retry_connection = False
        return session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        mapped: httpx.TransportError | None = None
        try:
            return await self._exchange(request)
        except Exception as exc:
            mapped = translate(exc)
            if mapped is None:
                raise
        raise mapped  # outside the handler: the aiohttp exception is not chained

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        session = self._session
        if session is None:
            session = self._session = self._new_session()
        extensions = request.extensions
        head = self._head.head(request)
        headers: CIMultiDictProxy[str] | CIMultiDict[str] = head.headers
        data: Any
        try:
            data = request.content or None
        except httpx.RequestNotRead:
            stream = request.stream
            if not isinstance(stream, httpx.AsyncByteStream):
                raise TypeError(
                    "a request body stream must be async on an async transport"
                ) from None
            data = _RequestBody(stream)
            headers = CIMultiDict(headers)
            headers.popall("Transfer-Encoding", None)  # aiohttp frames the body itself
        answer = await session.request(
            request.method,
            self._head.url(request),
            data=data,
            headers=headers,
            skip_auto_headers=head.skip,
            allow_redirects=False,
            timeout=self._timeout(extensions),
            server_hostname=extensions.get("sni_hostname"),
        )
        try:
            if answer.status < 200:  # aiohttp skips 1xx but an upgrade (101), and passes 0xx
                raise httpx.RemoteProtocolError(f"status {answer.status} is not a final answer")
            return await _response(answer, extensions)
        except BaseException:
            answer.release()
            raise

    def _timeout(self, extensions: MutableMapping[str, Any]) -> aiohttp.ClientTimeout:
        """httpx's timeout as aiohttp's: connect per socket, read per read, pool as the
        whole wait for a connection; the attempt's bound, if any, as ``total``."""
        timeout: Mapping[str, float | None] | None = extensions.get("timeout")
        parts = (
            (None, None, None)
            if not timeout
            else (
                timeout.get("connect"),
                timeout.get("read"),
                timeout.get("pool"),
            )
        )
        bound = extensions.get(ATTEMPT_EXTENSION)
        if bound is not None:
            return _attempt_timeout(extensions, parts, bound)
        known = self._timeouts.get(parts)
        if known is None:
            connect, read, pool = parts
            known = self._timeouts[parts] = aiohttp.ClientTimeout(
                total=None, sock_connect=connect, sock_read=read, connect=pool
            )
        return known

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


_UNTIL: Final = "idcode.attempt_until"
"""Request extension the transport sets on an attempt's first hop: the monotonic time the
attempt ends.  httpx copies a request's extensions to its redirect hop, so hops share it."""


def _attempt_timeout(
    extensions: MutableMapping[str, Any],
    parts: tuple[float | None, float | None, float | None],
    bound: float,
) -> aiohttp.ClientTimeout:
    """aiohttp's timeout for one hop of an attempt bounded by ``bound`` seconds in all.

    ``total`` is what is left of the attempt (aiohttp runs it over connecting, sending, the
    head and the whole body), exact rather than rounded up to a whole second
    (``ceil_threshold``).  A read timeout that could fire at most :data:`ATTEMPT_SLACK`
    before the bound (the default timeout's read, its largest value) is left out: aiohttp
    would cancel and schedule a timer on every read for it, about a twentieth of a call's
    client work (issue 13).  A peer silent that long is then cut by the bound, a moment later
    and as the attempt's timeout rather than a ``ReadTimeout``: a timeout either way, retried
    for reads and never resent for writes.
    """
    now = time.monotonic()
    until = extensions.get(_UNTIL)
    if until is None:  # the first hop: the whole bound
        extensions[_UNTIL] = now + bound
        known = _FIRST_HOPS.get((parts, bound))
        if known is None:
            if len(_FIRST_HOPS) > 64:  # bounds chosen afresh call after call
                _FIRST_HOPS.clear()
            known = _FIRST_HOPS[parts, bound] = _hop_timeout(parts, bound, bound)
        return known
    left = until - now
    if left <= 0:
        raise AttemptTimeout("the attempt's bound ran out before this hop")
    return _hop_timeout(parts, bound, left)


_FIRST_HOPS: Final[dict[tuple[tuple[float | None, ...], float], aiohttp.ClientTimeout]] = {}
"""aiohttp's (immutable) timeout of a first hop, by httpx's timeout parts and the bound."""


def _hop_timeout(
    parts: tuple[float | None, float | None, float | None], bound: float, left: float
) -> aiohttp.ClientTimeout:
    connect, read, pool = parts
    return aiohttp.ClientTimeout(
        total=left,
        sock_connect=connect,
        sock_read=None if read is None or read + ATTEMPT_SLACK >= bound else read,
        connect=pool,
        ceil_threshold=math.inf,
    )


async def _response(
    answer: aiohttp.ClientResponse, extensions: Mapping[str, Any]
) -> httpx.Response:
    """httpx's response for aiohttp's: the body read whole when it declares a length within
    the caller's limit (an in-memory stream, and :data:`BODY_EXTENSION` for :mod:`._body`),
    else streamed as it arrives."""
    declared = answer.content_length
    limit = extensions.get(MAX_BODY_EXTENSION, _READ_WHOLE)
    meta: dict[str, Any] = {"http_version": b"HTTP/1.1", "reason_phrase": _reason(answer)}
    if declared is None or declared > limit:
        stream: httpx.AsyncByteStream = _StreamedBody(answer)
    else:
        body = meta[BODY_EXTENSION] = await answer.read()
        answer.release()
        stream = httpx.ByteStream(body)
    headers = headers_of(answer.raw_headers)  # aiohttp's bytes, laid out in one pass
    return httpx.Response(answer.status, headers=headers, stream=stream, extensions=meta)


def _reason(answer: aiohttp.ClientResponse) -> bytes:
    return answer.reason.encode("latin-1", "replace") if answer.reason else b""
