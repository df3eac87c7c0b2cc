"""A throwaway ``redis-server`` on 127.0.0.1, for the scale-out tests and benchmarks.

``with local_redis() as url: …`` (``tests/scale`` and ``benchmarks/bench_scale.py``).  The server
binds the loopback interface only, keeps nothing on disk, and is stopped when the block ends.
It needs the ``redis-server`` program on ``PATH`` (``apt-get install redis-server``), not the
``redis`` extra.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["RedisServerError", "free_port", "local_redis", "redis_server_path"]

HOST = "127.0.0.1"


class RedisServerError(RuntimeError):
    """``redis-server`` is not installed, or did not start."""


def redis_server_path() -> str | None:
    """Where ``redis-server`` is, or ``None``."""
    return shutil.which("redis-server")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the time of asking)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def local_redis(*, port: int | None = None, timeout: float = 10.0) -> Iterator[str]:
    """Start ``redis-server`` on 127.0.0.1 (a free port by default); yield its URL; stop it."""
    program = redis_server_path()
    if program is None:
        raise RedisServerError("redis-server is not on PATH (apt-get install redis-server)")
    chosen = port if port is not None else free_port()
    with tempfile.TemporaryDirectory(prefix="idcode-redis-") as folder:
        process = subprocess.Popen(
            [
                program,
                "--port",
                str(chosen),
                "--bind",
                HOST,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                folder,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_listening(process, chosen, timeout)
            yield f"redis://{HOST}:{chosen}/0"
        finally:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:  # pragma: no cover - a wedged server
                process.kill()
                process.wait(timeout)
            if process.stdout is not None:
                process.stdout.close()


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise RedisServerError(f"redis-server exited at start: {output[-500:]}")
        try:
            with socket.create_connection((HOST, port), timeout=0.2) as probe:
                probe.sendall(b"PING\r\n")
                if probe.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RedisServerError(f"redis-server did not answer on port {port}")
        time.sleep(0.02)
