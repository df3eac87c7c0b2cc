"""Serving a sandbox over HTTP on the loopback interface, for other processes and languages.

:func:`serve` blocks (``idcode sandbox serve --port 8765``); :func:`running` runs the server
in a background thread for the duration of a ``with`` block and yields its base URL (port 0
picks a free port).  The server always binds 127.0.0.1: the sandbox accepts the document's
public test key, so it must not be reachable from other machines.

uvicorn runs with its h11 protocol, so the ``drop_*`` faults close the connection after the
status line (see :mod:`.faults`); uvicorn's error log line for those deliberate drops is
filtered out.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from .core import Sandbox
from .faults import ConnectionDropped

__all__ = ["HOST", "running", "serve"]

HOST = "127.0.0.1"


class _DropFilter(logging.Filter):
    """Hide uvicorn's "Exception in ASGI application" for deliberate connection drops."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


def _install_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropFilter) for f in logger.filters):
        logger.addFilter(_DropFilter())


def _server(sandbox: Sandbox, port: int, log_level: str) -> uvicorn.Server:
    _install_filter()
    config = uvicorn.Config(
        sandbox.app,
        host=HOST,
        port=port,
        http="h11",
        lifespan="off",
        log_level=log_level,
        access_log=False,
    )
    return uvicorn.Server(config)


def serve(sandbox: Sandbox | None = None, *, port: int = 8765, log_level: str = "info") -> None:
    """Serve ``sandbox`` (a fresh one by default) on ``http://127.0.0.1:<port>`` until stopped."""
    _server(sandbox or Sandbox(), port, log_level).run()


@contextmanager
def running(
    sandbox: Sandbox, *, port: int = 0, log_level: str = "warning", timeout: float = 10.0
) -> Iterator[str]:
    """Serve ``sandbox`` in a background thread; yield ``http://127.0.0.1:<port>``."""
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets created with it, and
    # without it every loopback answer waits ~40 ms for the delayed-ACK timer.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, port))
    bound_port = listener.getsockname()[1]
    server = _server(sandbox, bound_port, log_level)
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
