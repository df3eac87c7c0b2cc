"""``httpx.Headers`` from header bytes, laid out once instead of normalised header by header.

httpx normalises every header it is given, one function call per name and per value, though
bytes pass through unchanged: for a dispatched call's request (seven headers) and its answer
that is a tenth of the client layer's interpreter work on the aiohttp transport (issue 13).
The SDK's own headers are already bytes (the client's cached list, the form's two, aiohttp's
raw answer), so :func:`headers_of` builds the entries httpx would build from them in one pass.

An ``httpx.Headers`` keeps ``(name, lower-case name, value)`` entries; httpx's own ``copy`` and
``update`` read that list across instances, and ``Request``/``Response`` copy it from a
``Headers`` they are given.  Whether this httpx lays headers out so is checked once, on
import, against httpx's own constructor; if it does not, httpx's constructor is used.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from typing import Final

import httpx

__all__ = ["Entry", "entries", "headers_of", "lower_names"]

Pairs = list[tuple[bytes, bytes]] | tuple[tuple[bytes, bytes], ...]
Entry = tuple[bytes, bytes, bytes]
"""One header as httpx keeps it: the name, its lower-case form and the value, all bytes."""


class _LaidOut(httpx.Headers):
    """Headers whose entries are given finished: what ``Headers(pairs)`` builds from bytes."""

    def __init__(self, entries: list[tuple[bytes, bytes, bytes]]) -> None:
        self._list = entries
        self._encoding = None


def _laid_out(pairs: Pairs) -> httpx.Headers:
    if not pairs:
        return _LaidOut([])
    names, values = zip(*pairs, strict=True)  # at C speed: no interpreter step per header
    return _LaidOut(list(zip(names, map(bytes.lower, names), values, strict=True)))


def _normalised(pairs: Pairs) -> httpx.Headers:
    return httpx.Headers(list(pairs))


def _same_layout() -> bool:
    """Whether httpx's own constructor lays out header bytes as :class:`_LaidOut` does."""
    pairs = [(b"Content-Type", b"text/plain"), (b"X-Twice", b"1"), (b"x-twice", b"\xe9")]
    made = httpx.Headers(pairs)
    laid = _laid_out(pairs)
    return (
        getattr(made, "_list", None) == getattr(laid, "_list", ())
        and getattr(made, "_encoding", 0) is None
        and made.raw == laid.raw
        and made.multi_items() == laid.multi_items()
        and httpx.Headers(laid).raw == pairs
    )


def _own_entries(headers: httpx.Headers) -> list[Entry]:
    return headers._list  # the layout is checked on import


def _built_entries(headers: httpx.Headers) -> list[Entry]:
    return [(name, name.lower(), value) for name, value in headers.raw]


_LAID_OUT: Final = _same_layout()

headers_of: Final = _laid_out if _LAID_OUT else _normalised
"""``httpx.Headers(pairs)`` for header names and values that are bytes, as httpx builds it."""

entries: Final = _own_entries if _LAID_OUT else _built_entries
"""The :data:`Entry` of each header, in order: httpx's own list, to be read and never changed.

``Headers.raw`` builds a new list of pairs on every read, and the SDK reads four header lists
per call (the client's, the request's, the answer's twice): comparing and scanning httpx's
entries as they are saves each of those copies and every ``lower()`` of a name."""


def lower_names(headers: httpx.Headers) -> Iterator[bytes]:
    """The lower-case name of each header, in order, read at C speed (``name in …``)."""
    return map(_LOWER_NAME, entries(headers))


_LOWER_NAME: Final = operator.itemgetter(1)
