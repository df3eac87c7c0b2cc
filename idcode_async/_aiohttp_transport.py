"""httpx over aiohttp, with aiohttp's failures told apart the way the retry rule needs.

``httpx_aiohttp.AiohttpTransport`` does the plumbing (an aiohttp session behind httpx's
transport interface).  Its own exception table is not safe for writes: it maps every
``aiohttp.ClientConnectionError`` (a server that disconnected after reading the request
included) to ``httpx.ConnectTimeout``, which ``_retry.py`` reads as "never sent" and would
resend a registration that may have happened.  This wrapper maps by the cause instead:

- the connection was never made (``ClientConnectorError``, a connect or pool timeout):
  ``httpx.ConnectError`` / ``httpx.ConnectTimeout``, retried even for writes;
- anything after the request may have left (a disconnect, a reset, a read timeout, a bad
  answer): ``RemoteProtocolError`` / ``WriteError`` / ``ReadError`` / ``ReadTimeout``,
  retried for reads only.

Messages are redacted and the aiohttp exception is not chained: its text can carry the
request URL, and 608's query string holds the access token and hash.  The aiohttp session
keeps no cookies (httpx's client owns cookies) and aiohttp runs under asyncio only.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator
from typing import Any, Final

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from ._logging import redact

__all__ = ["IdcodeAiohttpTransport", "translate"]

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
    (builtins.TimeoutError, httpx.ReadTimeout),
)


def translate(error: BaseException) -> httpx.TransportError | None:
    """The httpx exception for an aiohttp failure (or httpx_aiohttp's mapping of one).

    ``None`` for anything else (cancellation, httpx's own errors, bugs): those pass unchanged.
    """
    cause = error
    if isinstance(error, httpx.TransportError) and error.__cause__ is not None:
        cause = error.__cause__  # httpx_aiohttp chained the aiohttp exception
    for source, target in _BY_CAUSE:
        if isinstance(cause, source):
            text = redact(str(cause)) or type(cause).__name__
            return target(f"{type(cause).__name__}: {text}")
    return None


class _MappedStream(httpx.AsyncByteStream):
    """The answer's body, read through aiohttp, with read failures mapped as above."""

    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = self._inner.__aiter__()
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
        mapped: httpx.TransportError | None = None
        try:
            await self._inner.aclose()
        except Exception as exc:
            mapped = translate(exc)
            if mapped is None:
                raise
        if mapped is not None:
            raise mapped


class IdcodeAiohttpTransport(AiohttpTransport):
    """``httpx_aiohttp.AiohttpTransport`` with write-safe exception mapping (module doc)."""

    def get_client(self) -> aiohttp.ClientSession:
        """One session per transport: a pool of ``limits.max_connections``, no cookie jar."""
        connector = aiohttp.TCPConnector(
            limit=self.limits.max_connections or 0,
            keepalive_timeout=self.limits.keepalive_expiry,
            ssl=self.ssl_context,
        )
        return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        mapped: httpx.TransportError | None = None
        try:
            response = await super().handle_async_request(request)
        except Exception as exc:
            mapped = translate(exc)
            if mapped is None:
                raise
        if mapped is not None:
            raise mapped
        response.stream = _MappedStream(_as_stream(response.stream))
        return response


def _as_stream(stream: Any) -> httpx.AsyncByteStream:
    if not isinstance(stream, httpx.AsyncByteStream):  # pragma: no cover - library contract
        raise TypeError(f"unexpected response stream {type(stream).__name__}")
    return stream
