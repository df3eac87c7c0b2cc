"""httpx's request head as aiohttp takes it, remembered between the calls of one transport.

A client sends the same few header pairs call after call (its own headers, ``Host``, the
form's content type, usually the same length) to the same few endpoint URLs: decoding every
header to text and parsing every URL again with yarl cost about 37k instructions a call, a
twentieth of a whole call over loopback (issue 13).  :class:`RequestHead` keeps what it
decoded, bounded, in the transport that owns it, so that nothing outlives that transport: the
text of each header, and each whole set of headers as one read-only multidict that aiohttp
copies from (so calls in flight share one, instead of a multidict each).  A URL with a query
(608's signed GET, which carries the access token) is never kept.
"""

from __future__ import annotations

from typing import Final, NamedTuple

import httpx
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ._headers import Entry, entries

__all__ = ["AUTO_HEADERS", "Head", "RequestHead"]

AUTO_HEADERS: Final = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")
"""Headers aiohttp adds when a request lacks them: httpx decided, not aiohttp, so a request
lacking one asks aiohttp to skip it."""
_AUTO_LOWER: Final = frozenset(name.lower().encode("ascii") for name in AUTO_HEADERS)

_MOST_PAIRS: Final = 256
"""Header pairs kept per transport; past it the memory starts again (cookies, say, vary)."""
_MOST_HEADS: Final = 64
"""Whole sets of request headers kept per transport (they differ by body length, say)."""
_MOST_URLS: Final = 64
"""Endpoint URLs kept per transport (the document has about a hundred endpoints)."""


class Head(NamedTuple):
    """A request's headers as aiohttp takes them."""

    headers: CIMultiDictProxy[str]
    """Read-only, and one object for the same headers: aiohttp copies from it."""
    skip: tuple[str, ...] | None
    """aiohttp's ``skip_auto_headers``: :data:`AUTO_HEADERS` when the request lacks one of
    them, else ``None`` (then aiohttp has nothing to add, and skips building the skip set)."""


class RequestHead:
    """Header text and yarl URLs of the requests one transport sends, decoded once."""

    def __init__(self) -> None:
        self._texts: dict[Entry, tuple[str, str]] = {}
        self._heads: dict[tuple[Entry, ...], Head] = {}
        self._urls: dict[int, tuple[httpx.URL, URL]] = {}

    def head(self, request: httpx.Request) -> Head:
        """The request's headers as aiohttp's text (latin-1 maps byte for byte), in order."""
        own = tuple(entries(request.headers))
        known = self._heads.get(own)
        if known is None:
            text = CIMultiDictProxy(CIMultiDict([self._text(entry) for entry in own]))
            complete = {lower for _, lower, _ in own} >= _AUTO_LOWER
            known = Head(text, None if complete else AUTO_HEADERS)
            if len(self._heads) >= _MOST_HEADS:
                self._heads.clear()
            self._heads[own] = known
        return known

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
