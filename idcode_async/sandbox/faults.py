"""Fault injection: the ways the real centre and its gateway fail, on demand.

Kinds (:class:`FaultKind`):

- ``latency``: the answer is delayed by ``latency_seconds`` (``anyio.sleep``).
- ``busy``: the centre answers ``{"result_code": -1, "result_msg": "系统繁忙，请稍后再试"}``
  without processing the request (every endpoint documents -1).
- ``html_502``: the gateway answers HTTP 502 with an HTML page (API-NOTES: the server
  sometimes answers with an HTML page), without processing the request.
- ``drop_before``: the connection is dropped before the centre processes the request.
- ``drop_after``: the centre processes the request (a registration happens, the submission is
  counted), then the connection is dropped and the answer is lost.  This is the fault that
  exactly-once tests need: the client cannot tell it from ``drop_before``.

How a drop is done: the app sends the status line and headers of a 200 answer whose body
never comes, then raises :class:`ConnectionDropped`, a subclass of
``httpx.RemoteProtocolError``.  In-process, ``httpx.ASGITransport`` re-raises it, so the
client sees the same exception type it would see over a socket.  Under uvicorn (h11), an app
exception after the response has started makes the server close the connection, so httpx
raises ``RemoteProtocolError`` ("peer closed connection without sending complete message
body"); :mod:`.serve` filters uvicorn's traceback for these deliberate drops.

Probabilities are drawn from a ``random.Random`` seeded by :attr:`Faults.seed`: the same seed
and the same sequence of requests give the same faults.  :meth:`Faults.schedule` forces faults
on the next matching requests, for tests that need one exact failure.  Faults touch only the
API paths (``/sp/...``), never ``/_sandbox/...``.
"""

from __future__ import annotations

import enum
import random

import attrs
import httpx

__all__ = ["HTML_502_PAGE", "ConnectionDropped", "FaultKind", "FaultPlan", "Faults"]


class FaultKind(enum.StrEnum):
    """The kinds of fault the sandbox injects."""

    LATENCY = "latency"
    BUSY = "busy"
    HTML_502 = "html_502"
    DROP_BEFORE = "drop_before"
    DROP_AFTER = "drop_after"


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised by the app to drop a connection on purpose (see the module docstring)."""


HTML_502_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
"""What a gateway in front of the centre answers when the backend is down."""

_BEFORE_KINDS = (FaultKind.DROP_BEFORE, FaultKind.HTML_502, FaultKind.BUSY)


@attrs.frozen
class FaultPlan:
    """What happens to one request: a delay, a fault before processing, a drop after it."""

    latency: float = 0.0
    before: FaultKind | None = None
    drop_after: bool = False

    @property
    def kinds(self) -> list[FaultKind]:
        """The faults of this plan, for the counters."""
        kinds = [FaultKind.LATENCY] if self.latency > 0 else []
        if self.before is not None:
            kinds.append(self.before)
        if self.drop_after:
            kinds.append(FaultKind.DROP_AFTER)
        return kinds


@attrs.define
class _Scheduled:
    kind: FaultKind
    endpoint: int | None
    remaining: int
    seconds: float | None


@attrs.define
class Faults:
    """Fault settings, adjustable at runtime (``sandbox.faults.busy_probability = 0.3``).

    Probabilities are per request, in [0, 1]; ``drop_before``, ``html_502`` and ``busy``
    exclude each other (one draw decides which, if any); ``drop_after`` is drawn apart.
    ``endpoints`` limits probabilistic faults to those endpoint numbers (``None``: all).
    """

    busy_probability: float = 0.0
    html_502_probability: float = 0.0
    drop_before_probability: float = 0.0
    drop_after_probability: float = 0.0
    latency_seconds: float = 0.0
    """The delay of a ``latency`` fault."""
    latency_probability: float = 1.0
    """How often ``latency_seconds`` applies (when it is above zero)."""
    endpoints: frozenset[int] | None = None
    seed: int = 0
    _rng: random.Random = attrs.field(init=False, repr=False, eq=False)
    _scheduled: list[_Scheduled] = attrs.field(init=False, factory=list, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def reseed(self, seed: int) -> None:
        """Restart the random sequence from ``seed``."""
        self.seed = seed
        self._rng = random.Random(seed)

    def schedule(
        self,
        kind: FaultKind | str,
        *,
        endpoint: int | None = None,
        times: int = 1,
        seconds: float | None = None,
    ) -> None:
        """Force ``kind`` on the next ``times`` requests to ``endpoint`` (any endpoint if None).

        ``seconds`` is the delay of a scheduled ``latency`` fault (default ``latency_seconds``).
        Scheduled faults come before probabilistic ones and are used up in order.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        self._scheduled.append(_Scheduled(FaultKind(kind), endpoint, times, seconds))

    def clear(self) -> None:
        """No more faults: probabilities and latency to zero, schedule emptied."""
        self.busy_probability = self.html_502_probability = 0.0
        self.drop_before_probability = self.drop_after_probability = 0.0
        self.latency_seconds = 0.0
        self.latency_probability = 1.0
        self.endpoints = None
        self._scheduled.clear()

    def plan(self, endpoint: int) -> FaultPlan:
        """Decide the faults of one request to ``endpoint`` (consumes random draws)."""
        latency, before, drop_after = self._take_scheduled(endpoint)
        if self.endpoints is None or endpoint in self.endpoints:
            draw_latency, draw_before, draw_after = (self._rng.random() for _ in range(3))
            if latency == 0.0 and draw_latency < self.latency_probability:
                latency = self.latency_seconds
            before = before or self._pick_before(draw_before)
            drop_after = drop_after or draw_after < self.drop_after_probability
        return FaultPlan(max(latency, 0.0), before, drop_after)

    def _pick_before(self, draw: float) -> FaultKind | None:
        threshold = 0.0
        for kind in _BEFORE_KINDS:
            threshold += self._probability(kind)
            if draw < threshold:
                return kind
        return None

    def _probability(self, kind: FaultKind) -> float:
        return {
            FaultKind.DROP_BEFORE: self.drop_before_probability,
            FaultKind.HTML_502: self.html_502_probability,
            FaultKind.BUSY: self.busy_probability,
        }[kind]

    def _take_scheduled(self, endpoint: int) -> tuple[float, FaultKind | None, bool]:
        latency, before, drop_after = 0.0, None, False
        for item in list(self._scheduled):
            if item.endpoint is not None and item.endpoint != endpoint:
                continue
            if item.kind is FaultKind.LATENCY and latency == 0.0:
                latency = item.seconds if item.seconds is not None else self.latency_seconds
            elif item.kind is FaultKind.DROP_AFTER and not drop_after:
                drop_after = True
            elif item.kind in _BEFORE_KINDS and before is None:
                before = item.kind
            else:
                continue
            item.remaining -= 1
            if item.remaining == 0:
                self._scheduled.remove(item)
        return latency, before, drop_after
