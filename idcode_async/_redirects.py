"""Following redirects without carrying a signature to another origin.

httpx follows a redirect by copying the request: a 307/308 re-sends the body, and the query of
a signed GET goes wherever ``Location`` points.  For a signed request that would hand 601's
``login_pswd`` or the access token to a foreign host, and let that host's
``{"result_code": 1}`` pass for the centre's answer.  So the client follows redirects itself,
one hop at a time:

* a signed request redirected within the centre's origin is signed afresh for the new path
  (a hop that turns a POST into a GET is signed from its own query, never from the form);
* a signed request redirected to any other origin raises :class:`RedirectError`;
* an unsigned request is followed as httpx would, and its hops are never signed, even if a
  foreign host points them at the centre (which would make the client a signing oracle).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from ._auth import SIGNED_EXTENSION, UNSIGNED_EXTENSION, WIRE_EXTENSION
from ._errors import RedirectError
from ._origin import origin_of

__all__ = ["hostile_location", "next_hop"]


def next_hop(response: httpx.Response, *, endpoint: int | None = None) -> httpx.Request:
    """The request that follows the redirect ``response`` (whose ``next_request`` is set)."""
    sent = response.request
    hop = response.next_request
    if hop is None:
        raise ValueError("not a redirect")
    extensions = {k: v for k, v in hop.extensions.items() if k != SIGNED_EXTENSION}
    if sent.extensions.get(SIGNED_EXTENSION):
        if origin_of(hop.url) != origin_of(sent.url):
            scheme, host, port = origin_of(hop.url)
            raise RedirectError(
                response.status_code, f"{scheme}://{host}:{port}", endpoint=endpoint
            )
        if hop.method != sent.method:
            extensions.pop(WIRE_EXTENSION, None)
    else:
        extensions[UNSIGNED_EXTENSION] = True
    hop.extensions = extensions
    return hop


@contextmanager
def hostile_location(request: httpx.Request) -> Iterator[None]:
    """Make a ``Location`` httpx cannot follow a protocol error, like httpx's own check.

    httpx works out the next request of every redirect while it sends, and only some bad
    ``Location`` values become ``RemoteProtocolError``: ``javascript:alert(1)`` escapes as a
    raw ``InvalidURL`` and ``https://xn--a-.example/`` as ``idna.IDNAError`` (a
    ``UnicodeError``).  A peer chooses that header, so both are the peer's protocol error;
    the header's text is not quoted.
    """
    try:
        yield
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise httpx.RemoteProtocolError(
            f"Invalid URL in location header ({type(exc).__name__})", request=request
        ) from None
