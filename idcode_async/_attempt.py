"""How a transport bounds a whole attempt of ``client.call`` itself (issue 13).

The client bounds each attempt by the largest value of its timeout (:mod:`._deadline`),
normally with an anyio cancel scope.  A transport that can do this itself, more cheaply (the
aiohttp transport, with aiohttp's ``total`` timeout), says so by subclassing
:class:`AttemptBoundingTransport`; the client then passes the bound as a request extension.
"""

from __future__ import annotations

from typing import Final

import httpx

__all__ = ["ATTEMPT_EXTENSION", "AttemptBoundingTransport", "AttemptTimeout"]

ATTEMPT_EXTENSION: Final = "idcode.attempt"
"""Request extension: how many seconds the whole attempt may last, redirect hops included.

Set by the client only for an :class:`AttemptBoundingTransport`, which then bounds the attempt
itself instead of the client's anyio cancel scope (README "Performance": the scope, with its
event-loop timer and task bookkeeping, was the largest cost of an attempt the SDK owned)."""


class AttemptTimeout(httpx.ReadTimeout):
    """The whole attempt's bound (:data:`ATTEMPT_EXTENSION`) ran out inside the transport.

    A read timeout: the request may have been sent, so a write is never resent blindly; the
    client reports it as its own ``TimeoutError`` naming the bound that ran out.
    """


class AttemptBoundingTransport(httpx.AsyncBaseTransport):
    """A transport that bounds a request carrying :data:`ATTEMPT_EXTENSION` by that many
    seconds in all, from its first hop: connecting, sending, the answer's head and its whole
    body, and every redirect hop (which carries the same extensions), raising
    :class:`AttemptTimeout` when they run out."""
