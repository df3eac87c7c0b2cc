"""The :class:`Sandbox`: one emulated centre, its state, its faults, its counters, its app."""

from __future__ import annotations

from typing import Any

import attrs
import httpx
from starlette.types import ASGIApp

from .._client import IdcodeClient
from .app import build_app
from .clock import Clock
from .config import SandboxConfig
from .faults import Faults
from .seeded import seed_state
from .state import State
from .stats import Stats, StatsSnapshot

__all__ = ["SANDBOX_BASE_URL", "Sandbox", "create_app"]

SANDBOX_BASE_URL = "http://sandbox.local"
"""Base URL of in-process clients; any host works, the transport never resolves it."""


class Sandbox:
    """A stateful local emulation of the centre's whole SP API.

    >>> sandbox = Sandbox(approval_delay=0)
    >>> async with sandbox.client() as client: ...          # doctest: +SKIP

    ``Sandbox(config)`` or ``Sandbox(**fields)`` (fields of :class:`SandboxConfig`, applied
    over ``config`` when both are given).  Each instance has its own state; nothing is shared.
    ``Sandbox(seeded=True)`` starts from the document's example unit ``i.86.120103.1021`` and
    its categories (:mod:`.seeded`) instead of an empty centre.

    The sandbox builds its app from itself (:func:`.app.build_app` reads it through the
    :class:`.app.Centre` protocol and never imports this module).  Its client is the SDK's;
    the requests it receives are still verified by the sandbox's own code (:mod:`.verifier`).
    """

    def __init__(self, config: SandboxConfig | None = None, **overrides: Any) -> None:
        config = config or SandboxConfig()
        self.config: SandboxConfig = attrs.evolve(config, **overrides) if overrides else config
        self.clock = Clock(self.config.clock)
        """Wall clock plus the offset :meth:`advance_time` moves (see :mod:`.clock`)."""
        initial = self.config.faults
        self.faults: Faults = attrs.evolve(initial)
        """Fault settings, adjustable at runtime (a copy of ``config.faults``)."""
        self.counters = Stats()
        """What was received; :meth:`stats` and ``GET /_sandbox/stats`` read it."""
        self.state = State(self.config, self.clock)
        """Units, registrations, uploads… (for inspection in tests; change it at your risk)."""
        if self.config.seeded:
            seed_state(self.state)
        self.app: ASGIApp = build_app(self)
        """The ASGI application."""

    def transport(self) -> httpx.ASGITransport:
        """An httpx transport that sends requests to this sandbox in-process."""
        return httpx.ASGITransport(app=self.app)

    def client(self, **kwargs: Any) -> IdcodeClient:
        """An :class:`~idcode_async.IdcodeClient` wired to this sandbox in-process.

        Signs with the first configured key; ``kwargs`` go to the client (e.g. ``retry=``,
        ``clock=``; ``access_token``/``auth_code`` to use another key).
        """
        token, auth_code = next(iter(self.config.keys.items()))
        kwargs.setdefault("access_token", token)
        kwargs.setdefault("auth_code", auth_code)
        kwargs.setdefault("base_url", SANDBOX_BASE_URL)
        kwargs.setdefault("transport", self.transport())
        return IdcodeClient(**kwargs)

    def stats(self) -> StatsSnapshot:
        """The counters, as ``GET /_sandbox/stats`` answers them (see :mod:`.stats`)."""
        return self.counters.snapshot()

    def advance_time(self, seconds: float) -> None:
        """Move the centre's clock: reviews finish, verification codes expire, short codes
        appear, without sleeping.  Request ``time`` checks keep to the wall clock."""
        self.clock.advance(seconds)

    def now_ms(self) -> int:
        """The centre's time, epoch milliseconds."""
        return self.clock.now_ms()

    def verify_code(self, phone: str) -> str | None:
        """The code 302/303 last issued for ``phone`` (the SMS the centre would send)."""
        issued = self.state.verify_codes.get(phone)
        return issued[0] if issued else None

    def close(self) -> None:
        """Remove the sandbox's temporary files (5011 code files)."""
        self.state.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def create_app(config: SandboxConfig | None = None) -> ASGIApp:
    """A fresh sandbox's ASGI app (e.g. ``uvicorn --factory idcode_async.sandbox:create_app``)."""
    return Sandbox(config).app
