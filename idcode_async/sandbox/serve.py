"""Serving a sandbox over HTTP on the loopback interface, for other processes and languages.

:func:`serve` blocks (``idcode sandbox serve --port 8765``); :func:`running` runs the server
in a background thread for the duration of a ``with`` block and yields its base URL (port 0
picks a free port).  The server always binds 127.0.0.1: the sandbox accepts the document's
public test key, so it must not be reachable from other machines.

uvicorn runs with its h11 protocol, so the ``drop_*`` faults close the connection after the
status line (see :mod:`.faults`); uvicorn's error log line for those deliberate drops is
filtered out.

The server is bounded (:class:`ServerLimits`) so that a misbehaving peer cannot stop it
answering others: request bodies are capped by the app (413, :mod:`.body_limit`); a request
head larger than ``max_header_bytes`` is answered 431; malformed HTTP gets h11's 400; a
request head must arrive whole within ``header_timeout`` seconds of the connection opening
(or of the previous answer), however slowly its bytes trickle in (slowloris), else 408 and
the connection is closed; a body that stops arriving for ``body_timeout`` seconds closes
the connection; an idle keep-alive connection is closed after ``keep_alive`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .core import Sandbox
from .faults import ConnectionDropped

__all__ = ["HOST", "ServerLimits", "running", "serve"]

HOST = "127.0.0.1"

_CLOSING = b"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout" + _CLOSING
_HEAD_TOO_LARGE = b"HTTP/1.1 431 Request Header Fields Too Large" + _CLOSING


@attrs.frozen(kw_only=True)
class ServerLimits:
    """Bounds of the loopback server (the body cap is ``SandboxConfig.max_body_bytes``)."""

    max_header_bytes: int = attrs.field(default=16 * 1024, validator=attrs.validators.ge(1024))
    """Request line plus headers; more is answered 431 and the connection closed."""
    header_timeout: float = attrs.field(default=10.0, validator=attrs.validators.gt(0))
    """Seconds for a whole request head to arrive, counted from when the server waits for it."""
    body_timeout: float = attrs.field(default=10.0, validator=attrs.validators.gt(0))
    """Seconds a request body may pause between two reads."""
    keep_alive: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    """Seconds an idle keep-alive connection is kept."""


class _BoundedH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline on request heads and on pauses in bodies.

    uvicorn restarts its keep-alive timer on every byte, so a peer sending one header byte a
    second holds a connection forever.  Here a head has one deadline, set when the server
    starts waiting for it and never moved by data; a body's timer restarts on each read.
    h11 limits a head only while it is incomplete (a whole 1 MiB head in one read passes), so
    the bytes of a head are counted here too.
    """

    limits: ServerLimits = ServerLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._head_bytes = 0

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.conn.their_state is h11.SEND_BODY and self.flow.read_paused:
            self._arm(self.limits.body_timeout)  # the app is slow to read: not the peer's pause
            return
        if self.conn.their_state is h11.IDLE and self.conn.our_state is h11.IDLE:
            self.transport.write(_REQUEST_TIMEOUT)
        self.transport.close()

    def _refuse_head(self) -> None:
        self._disarm()
        self.transport.write(_HEAD_TOO_LARGE)
        self.transport.close()

    def _watch(self) -> None:
        """Set the deadline that fits what the peer owes now."""
        if self.transport.is_closing():
            self._disarm()
        elif self.conn.their_state is h11.IDLE:
            if self._deadline is None:
                self._arm(self.limits.header_timeout)
        elif self.conn.their_state is h11.SEND_BODY:
            self._head_bytes = 0
            self._arm(self.limits.body_timeout)
        else:
            self._head_bytes = 0
            self._disarm()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            end = data.find(b"\r\n\r\n")
            self._head_bytes += len(data) if end < 0 else end + 4
            if self._head_bytes > self.limits.max_header_bytes:
                self._refuse_head()
                return
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def _protocol(limits: ServerLimits) -> type[_BoundedH11]:
    return type("BoundedH11", (_BoundedH11,), {"limits": limits})


class _DropFilter(logging.Filter):
    """Hide uvicorn's "Exception in ASGI application" for deliberate connection drops."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


def _install_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropFilter) for f in logger.filters):
        logger.addFilter(_DropFilter())


def _server(
    sandbox: Sandbox, port: int, log_level: str, limits: ServerLimits | None, host: str = HOST
) -> uvicorn.Server:
    _install_filter()
    limits = limits or ServerLimits()
    config = uvicorn.Config(
        sandbox.app,
        host=host,
        port=port,
        http=_protocol(limits),
        lifespan="off",
        log_level=log_level,
        access_log=False,
        timeout_keep_alive=limits.keep_alive,
        h11_max_incomplete_event_size=limits.max_header_bytes,
    )
    return uvicorn.Server(config)


def serve(
    sandbox: Sandbox | None = None,
    *,
    port: int = 8765,
    log_level: str = "info",
    limits: ServerLimits | None = None,
    host: str = HOST,
) -> None:
    """Serve ``sandbox`` (a fresh one by default) on ``http://127.0.0.1:<port>`` until stopped.

    ``host`` other than loopback exposes the document's public test key to the network: the
    ``idcode sandbox serve`` command asks for an explicit flag before passing one.
    """
    _server(sandbox or Sandbox(), port, log_level, limits, host).run()


@contextmanager
def running(
    sandbox: Sandbox,
    *,
    port: int = 0,
    log_level: str = "warning",
    timeout: float = 10.0,
    limits: ServerLimits | None = None,
) -> Iterator[str]:
    """Serve ``sandbox`` in a background thread; yield ``http://127.0.0.1:<port>``."""
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets created with it, and
    # without it every loopback answer waits ~40 ms for the delayed-ACK timer.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, port))
    bound_port = listener.getsockname()[1]
    server = _server(sandbox, bound_port, log_level, limits)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="idcode-sandbox", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            listener.close()
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{HOST}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        listener.close()
