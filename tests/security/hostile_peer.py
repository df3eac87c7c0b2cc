"""A raw HTTP/1.1 peer on 127.0.0.1 that misbehaves on cue and answers properly otherwise.

Unlike ``loopback.serve`` it keeps connections alive, so a test can check that a client's pool
recovers from a fault: while ``hostile`` is set every request gets the scripted misbehaviour
(byte-level: a cut, a reset, a malformed head, a hang); once it is cleared every request gets
306's answer on the same or a new connection.  Thread-based, like ``loopback``, so it serves
both transports, and the client's event loop never has to run for the peer to act.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Literal

import anyio

from .loopback import _read_request, accept_in_threads, read_head

Then = Literal["keep", "close", "rst", "hang"]
"""After the scripted bytes: keep the connection, close it (FIN), reset it (RST), or hold it
open without a word until the test ends."""

Script = Callable[[socket.socket, bytes], Then]
"""Writes the misbehaviour on the connection, given the raw request; says what comes next."""

OK_BODY = b'{"result_code":1,"company_idcode":"i.86.1","organunit_name":"x"}'
OK_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
    len(OK_BODY),
    OK_BODY,
)


def sends(data: bytes, then: Then = "close") -> Script:
    """A script that writes ``data`` as it is, then does ``then``."""

    def script(conn: socket.socket, request: bytes) -> Then:
        conn.sendall(data)
        return then

    return script


@dataclass
class HostilePeer:
    url: str
    script: Script
    hostile: bool = True
    requests: list[bytes] = field(default_factory=list)
    """Every request received, in order (while hostile: the attempts that reached the peer)."""
    stop: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    """Ends every ``hang``."""
    _busy: int = 0
    _settled: threading.Condition = field(default_factory=threading.Condition)

    def settle(self, timeout: float = 10.0) -> None:
        """Wait, blocking, until no connection is inside a script: every scripted close or
        reset has been done, so its FIN or RST is on its way before the client goes on."""
        with self._settled:
            if not self._settled.wait_for(lambda: self._busy == 0, timeout):
                raise AssertionError("the peer is still playing its script")

    async def calm(self) -> None:
        """From now on answer properly, once what is under way has settled.

        The client's event loop runs meanwhile: a connection it dropped is only closed on
        its next iteration (asyncio), and a script still writing to it ends there."""
        self.hostile = False
        self.release.set()
        with anyio.fail_after(10):
            while self._busy:  # noqa: ASYNC110 (set by the peer's threads, not a task)
                await anyio.sleep(0.01)

    def _enter(self) -> None:
        with self._settled:
            self._busy += 1

    def _leave(self) -> None:
        with self._settled:
            self._busy -= 1
            self._settled.notify_all()


def _reset(conn: socket.socket) -> None:
    """Close with an RST instead of a FIN (linger on, zero seconds)."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _nothing(conn: socket.socket) -> bytes:
    """No request read: the connection itself (its first bytes are the client's hello)."""
    return b"\r\n\r\n"


@contextmanager
def hostile_peer(
    script: Script, *, read_body: bool = True, first_word: bool = False
) -> Iterator[HostilePeer]:
    """Serve until the block ends; ``read_body=False`` plays the script on the request's head
    while the body is still coming, ``first_word=True`` as soon as the client connects (before
    any TLS handshake); then the connection is never kept."""
    read = _read_request if read_body else read_head
    if first_word:
        read = _nothing
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    peer = HostilePeer(url=f"http://127.0.0.1:{listener.getsockname()[1]}", script=script)

    def serve_one(conn: socket.socket, request: bytes) -> Then:
        if not peer.hostile:
            conn.sendall(OK_ANSWER)
            return "keep"
        then = peer.script(conn, request)
        if then == "hang":
            peer.release.wait()
        return then

    def handle(conn: socket.socket) -> None:
        with conn:
            while True:
                try:
                    request = read(conn)
                except OSError:
                    return
                if b"\r\n\r\n" not in request:
                    return  # the client closed the connection
                peer.requests.append(request)
                peer._enter()
                try:
                    try:
                        then = serve_one(conn, request)
                    except OSError:
                        return
                    if then == "keep":
                        continue
                    if then == "rst":
                        _reset(conn)
                    else:
                        with suppress(OSError):
                            conn.shutdown(socket.SHUT_WR)
                    conn.close()
                    return
                finally:
                    peer._leave()

    thread = accept_in_threads(listener, peer.stop, handle)
    try:
        yield peer
    finally:
        peer.stop.set()
        peer.release.set()
        with suppress(OSError):  # wakes the accept() at once (Linux), not at its timeout
            listener.shutdown(socket.SHUT_RDWR)
        thread.join(5)
        listener.close()
