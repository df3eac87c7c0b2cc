"""httpx's request head as aiohttp takes it, remembered between the calls of one transport.

A client sends the same few header pairs call after call (its own headers, ``Host``, the
form's content type, usually the same length) to the same few endpoint URLs: decoding every
header to text and parsing every URL again with yarl cost about 37k instructions a call, a
twentieth of a whole call over loopback (issue 13).  :class:`RequestHead` keeps what it
decoded, bounded, in the transport that owns it, so that nothing outlives that transport.  A
URL with a query (608's signed GET, which carries the access token) is never kept.
"""

from __future__ import annotations

from typing import Final, cast

import httpx
from multidict import CIMultiDict
from yarl import URL

from ._headers import Entry, entries

__all__ = ["RequestHead"]

_MOST_PAIRS: Final = 256
"""Header pairs kept per transport; past it the memory starts again (cookies, say, vary)."""
_MOST_URLS: Final = 64
"""Endpoint URLs kept per transport (the document has about a hundred endpoints)."""


class RequestHead:
    """Header text and yarl URLs of the requests one transport sends, decoded once."""

    def __init__(self) -> None:
        self._texts: dict[Entry, tuple[str, str]] = {}
        self._urls: dict[int, tuple[httpx.URL, URL]] = {}

    def headers(self, request: httpx.Request) -> CIMultiDict[str]:
        """The request's headers as aiohttp's text (latin-1 maps byte for byte), in order."""
        own = entries(request.headers)
        known = list(map(self._texts.get, own))
        if None in known:
            return CIMultiDict([self._text(entry) for entry in own])
        return CIMultiDict(cast(list[tuple[str, str]], known))

    def _text(self, entry: Entry) -> tuple[str, str]:
        text = self._texts.get(entry)
        if text is None:
            name, _, value = entry
            text = (name.decode("latin-1"), value.decode("latin-1"))
            if len(self._texts) >= _MOST_PAIRS:
                self._texts.clear()
            self._texts[entry] = text
        return text

    def url(self, request: httpx.Request) -> URL:
        """The request's URL for aiohttp, as httpx encoded it.

        Known by identity: the dispatcher's requests carry the client's own URL object of their
        endpoint (an ``httpx.URL`` is immutable; it is kept here, so its id is not reused).
        """
        url = request.url
        known = self._urls.get(id(url))
        if known is not None and known[0] is url:
            return known[1]
        target = URL(str(url), encoded=True)
        if not url.query:
            if len(self._urls) >= _MOST_URLS:
                self._urls.clear()
            self._urls[id(url)] = (url, target)
        return target
