"""A signed form request built once, with the bytes httpx's ``data=`` would send (seed §四).

httpx's ``Request(data=…)`` urlencodes through ``urllib.parse.urlencode``, lays the headers out
twice (``setdefault`` of each body header, then a new ``Headers`` with ``Host`` in front) and
looks the content type up again: a third of a dispatched call's client time on the aiohttp
transport.  :func:`form_request` encodes the form and lays the headers out once, in httpx's
order, and gives httpx the body as an in-memory stream: ``Request(stream=…)`` is public API
and adds nothing to a request.  ``request.content`` is then made available to every transport,
as ``data=`` does: what :meth:`httpx.Request.read` stores, stored directly (its check that the
stream is a ``typing.Iterable`` runs typing's and abc's instance checks in Python on every
call), once an import-time check has found that this httpx reads an in-memory body so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote_plus

import httpx

from ._headers import headers_of

__all__ = ["form_body", "form_request", "query_request", "with_host"]

_FORM_TYPE: Final = b"application/x-www-form-urlencoded"
_PLAIN: Final = re.compile(r"[A-Za-z0-9_.~-]*")
"""Text that ``quote_plus`` leaves as it is (its always-safe characters)."""


def _quoted(text: str) -> str:
    return text if _PLAIN.fullmatch(text) else quote_plus(text)


def form_body(fields: Mapping[str, str]) -> bytes:
    """``urlencode(fields)``: ``quote_plus`` of each name and value (UTF-8), joined by ``&``.

    Text that cannot be encoded (a lone surrogate) raises ``UnicodeEncodeError``, as httpx does.
    Names and values that are all plain (a signed query's usually are: codes, digits, the
    hash) are checked with one match over them all and joined as they are.
    """
    if _PLAIN.fullmatch("".join(fields) + "".join(fields.values())):
        return "&".join(map("=".join, fields.items())).encode("ascii")
    return "&".join(f"{_quoted(name)}={_quoted(value)}" for name, value in fields.items()).encode(
        "ascii"
    )


def form_request(
    method: str,
    url: httpx.URL,
    fields: Mapping[str, str],
    headers: list[tuple[bytes, bytes]],
    extensions: Mapping[str, Any],
) -> httpx.Request:
    """``httpx.Request(method, url, data=fields, headers=headers, extensions=extensions)``,
    built in one pass.  ``headers`` are the client's, without body headers."""
    body = form_body(fields)
    laid_out = with_host(url, headers)
    laid_out.append((b"Content-Length", str(len(body)).encode("ascii")))
    laid_out.append((b"Content-Type", _FORM_TYPE))
    return _request(method, url, laid_out, body, extensions)


def query_request(
    url: httpx.URL,
    fields: Mapping[str, str],
    headers: list[tuple[bytes, bytes]],
    extensions: Mapping[str, Any],
) -> httpx.Request:
    """``httpx.Request("GET", url, params=fields, headers=headers, extensions=extensions)``
    for a ``url`` without a query, built in one pass (the same URL and headers)."""
    query = form_body(fields)
    with_query = url.copy_with(query=query) if query else url
    return _request("GET", with_query, with_host(url, headers), b"", extensions)


def with_host(url: httpx.URL, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A copy of ``headers`` in httpx's order: ``Host`` first unless they carry one (the
    client's cached list already starts with it: found at once)."""
    laid_out = list(headers)
    if laid_out and laid_out[0][0].lower() == b"host":
        return laid_out
    if not any(name.lower() == b"host" for name, _ in laid_out):
        laid_out.insert(0, (b"Host", url.netloc))
    return laid_out


def _request(
    method: str,
    url: httpx.URL,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    extensions: Mapping[str, Any],
) -> httpx.Request:
    request = httpx.Request(
        method,
        url,
        headers=headers_of(headers),  # laid out in one pass; the request copies the entries
        stream=httpx.ByteStream(body),
        extensions=extensions,
    )
    # the caller's URL object rather than httpx's equal copy of it: a dispatched request then
    # carries the client's URL of its endpoint, which a transport can recognise by identity
    request.url = url
    _loaded(request, body)
    return request


def _stored(request: httpx.Request, body: bytes) -> None:
    request._content = body  # what read() stores for an in-memory stream (checked on import)


def _read(request: httpx.Request, body: bytes) -> None:
    request.read()


def _reads_as_stored() -> bool:
    """Whether this httpx's ``read()`` of an in-memory stream stores just its bytes: the
    same request then, whether read or given its bytes."""
    read, given = (
        httpx.Request("POST", "http://idcode.invalid/", stream=httpx.ByteStream(b"a=1"))
        for _ in range(2)
    )
    read.read()
    _stored(given, b"a=1")
    return (
        read.content == given.content == given.read() == b"a=1"
        and vars(read).keys() == vars(given).keys()
        and type(read.stream) is type(given.stream) is httpx.ByteStream
    )


_loaded: Final = _stored if _reads_as_stored() else _read
"""Makes ``request.content`` the request's in-memory body, as ``request.read()`` does."""
