"""Reading an answer's body with a cap on its *decompressed* size.

A peer decides how much it sends and how well it compresses: 1 MiB of gzip can inflate to
gigabytes.  The body is therefore read as a raw stream and inflated here in steps that never
produce more than the bytes still allowed, so memory stays within the cap whatever arrives.
Dispatched requests advertise only the encodings decoded here (``gzip``, ``deflate``); an
answer in any other encoding is a decode error rather than a body inflated blindly.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from typing import Final

import httpx

from ._errors import ResponseDecodeError, ResponseTooLargeError
from ._headers import entries, lower_names

__all__ = [
    "ACCEPT_ENCODING",
    "BODY_EXTENSION",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "MAX_BODY_EXTENSION",
    "read_capped",
]

DEFAULT_MAX_RESPONSE_BYTES: Final = 64 * 1024 * 1024
"""64 MiB.  The largest documented answer is 505, a whole upload batch's codes as one JSON list:
100,000 codes of about 100 characters each come to about 10 MiB, well within the default."""

ACCEPT_ENCODING: Final = "gzip, deflate"

MAX_BODY_EXTENSION: Final = "idcode.max_body"
"""Request extension: the most bytes of an answer the caller accepts (the client's
``max_response_bytes``).  A transport may read an answer declaring at most this many whole
before handing it back (the aiohttp transport does); :func:`read_capped` still checks it."""

BODY_EXTENSION: Final = "idcode.body"
"""Response extension: the raw (still encoded) body a transport has already read whole.

The same bytes are the response's stream, so anything else that reads the response gets them
too; :func:`read_capped` takes them from here, which spares httpx's stream machinery (and
``httpx.Response(content=…)``, which decodes the body once more) on every call."""

_STEP = 1024 * 1024
"""Most bytes inflated at once, so that memory holds the cap plus one step, never twice it."""
_IDENTITY = frozenset({"", "identity"})
_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}


class _Inflater:
    """Bounded zlib inflation; ``deflate`` falls back to raw deflate like browsers do."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._zlib = zlib.decompressobj(_WBITS[encoding])
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        """Inflate ``data`` into at most ``room`` bytes (the caller then knows it overflowed)."""
        try:
            out = self._zlib.decompress(data, room)
        except zlib.error:
            if self._encoding != "deflate" or self._started:
                raise
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._zlib.decompress(data, room)
        self._started = True
        return out

    @property
    def pending(self) -> bytes:
        """Input kept back because the output limit was reached."""
        return self._zlib.unconsumed_tail

    def flush(self, room: int) -> bytes:
        """The rest of the output; a stream cut short (no end marker) is corrupt."""
        out = self._zlib.flush(room) if room > 0 else b""
        if not self._zlib.eof:
            raise zlib.error("the compressed stream ends early")
        return out


async def read_capped(response: httpx.Response, limit: int, *, endpoint: int) -> bytes:
    """The decoded body of a streamed ``response``, or :class:`ResponseTooLargeError`."""
    status = response.status_code
    read_whole = response.extensions.get(BODY_EXTENSION)
    in_memory = None if isinstance(read_whole, bytes) else _already_read(response)
    if in_memory is not None:
        _check(in_memory, limit, status, endpoint)
        return in_memory
    encoding = _content_encoding(response.headers)
    if encoding not in _IDENTITY and encoding not in _WBITS:
        raise ResponseDecodeError(
            f"HTTP {status}: unsupported content encoding {encoding[:40]!r}",
            status_code=status,
            endpoint=endpoint,
        )
    if encoding in _IDENTITY and isinstance(read_whole, bytes):
        # read whole by the transport because it declared at most the limit: its length is
        # the declared one, checked here without httpx's ``Headers.get`` (it decodes them all)
        _check(read_whole, limit, status, endpoint)
        return read_whole
    declared = response.headers.get("content-length", "")
    if encoding in _IDENTITY and declared.isdigit() and int(declared) > limit:
        raise ResponseTooLargeError(limit, status_code=status, endpoint=endpoint)
    inflater = None if encoding in _IDENTITY else _Inflater(encoding)
    chunks = _one_chunk(read_whole) if isinstance(read_whole, bytes) else response.aiter_raw()
    body = bytearray()
    try:
        async for chunk in chunks:
            if inflater is None:
                body += chunk
                _check(body, limit, status, endpoint)
                continue
            data = chunk
            while data:
                body += inflater.feed(data, min(_STEP, limit + 1 - len(body)))
                _check(body, limit, status, endpoint)
                data = inflater.pending
        if inflater is not None:
            body += inflater.flush(min(_STEP, limit + 1 - len(body)))
            _check(body, limit, status, endpoint)
    except zlib.error:
        failed = True
    else:
        failed = False
    if failed:
        raise ResponseDecodeError(
            f"HTTP {status}: the {encoding} body is corrupt", status_code=status, endpoint=endpoint
        )
    return bytes(body)


def _content_encoding(headers: httpx.Headers) -> str:
    """``headers.get("content-encoding", "")`` stripped and lower-cased, read from httpx's
    entries: its ``Headers.get`` decodes every header to find their encoding on each lookup.
    Several headers are joined with ``", "`` as httpx joins them (and so refused below)."""
    if _ENCODING not in lower_names(headers):  # at C speed: most answers have none
        return ""
    values = [value for _, lower, value in entries(headers) if lower == _ENCODING]
    return b", ".join(values).decode("latin-1").strip().lower()


_ENCODING: Final = b"content-encoding"


async def _one_chunk(body: bytes) -> AsyncIterator[bytes]:
    yield body


def _already_read(response: httpx.Response) -> bytes | None:
    """The body of a response an in-process transport (a test double) built in memory."""
    try:
        return response.content
    except httpx.ResponseNotRead:
        return None


def _check(body: bytes | bytearray, limit: int, status: int, endpoint: int) -> None:
    if len(body) > limit:
        raise ResponseTooLargeError(limit, status_code=status, endpoint=endpoint)
