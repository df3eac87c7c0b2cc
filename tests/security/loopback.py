"""A raw HTTP/1.1 peer on 127.0.0.1, in a thread, for answers no framework would send.

It reads one request head (and its body, by Content-Length), records it, and lets a test
script the answer byte by byte: a body dribbled one byte at a time, a gzip bomb, a redirect.
Thread-based, so the same server serves tests under asyncio and trio.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

Script = Callable[[socket.socket, bytes], None]
"""Writes an answer on the connection, given the raw request (head and body)."""


@dataclass
class Peer:
    url: str
    requests: list[bytes] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


def read_head(conn: socket.socket) -> bytes:
    """The bytes up to the end of the request's head (its body may follow, partly or whole)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    return data


def _read_request(conn: socket.socket) -> bytes:
    data = read_head(conn)
    if b"\r\n\r\n" not in data:
        return data
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def accept_in_threads(
    listener: socket.socket, stop: threading.Event, handle: Callable[[socket.socket], None]
) -> threading.Thread:
    """Accept connections until ``stop`` is set (``listener`` has a timeout so the loop sees
    it), each served by ``handle`` on its own thread, so a slow script blocks no other client."""

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    return thread


@contextmanager
def serve(script: Script) -> Iterator[Peer]:
    """Run ``script`` for every connection until the block ends."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    peer = Peer(url=f"http://127.0.0.1:{listener.getsockname()[1]}")

    def handle(conn: socket.socket) -> None:
        with conn:
            request = _read_request(conn)
            peer.requests.append(request)
            with suppress(OSError):
                script(conn, request)

    thread = accept_in_threads(listener, peer.stop, handle)
    try:
        yield peer
    finally:
        peer.stop.set()
        thread.join(5)
        listener.close()


def dribble(interval: float) -> Script:
    """A 200 head promising 10,000 bytes, then one byte every ``interval`` seconds."""

    def script(conn: socket.socket, request: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        conn.sendall(b"Content-Length: 10000\r\n\r\n{")
        for _ in range(9999):
            time.sleep(interval)
            conn.sendall(b" ")

    return script


def answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> Script:
    """One fixed answer with a correct Content-Length."""
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()

    def script(conn: socket.socket, request: bytes) -> None:
        conn.sendall(head + body)

    return script
