"""Run an example the way ``examples/README.md`` says, as a child process on 127.0.0.1.

The in-process tests inject a sandbox-backed client; these runs check the other half: the
module-level app configured from the environment, started by its documented command, talking
HTTP to a sandbox served on loopback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

__all__ = ["REPO", "free_port", "loopback_browser", "running"]

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def free_port() -> int:
    """A port that was free a moment ago (the example binds it itself)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running(
    argv: Sequence[str],
    *,
    origin: str,
    env: Mapping[str, str],
    pass_fds: Sequence[int] = (),
    timeout: float = 30.0,
) -> Iterator[None]:
    """Run ``python <argv>`` from the repository root until ``origin`` answers HTTP."""
    environ = {**os.environ, **env, "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryFile() as log:
        child = subprocess.Popen(
            [sys.executable, *argv],
            cwd=REPO,
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=tuple(pass_fds),
        )
        try:
            _wait_until_up(child, origin, timeout, log)
            yield
        finally:
            child.terminate()
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _wait_until_up(
    child: subprocess.Popen[bytes], origin: str, timeout: float, log: IO[bytes]
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if child.poll() is not None:
            log.seek(0)
            raise AssertionError(f"the example exited ({child.returncode}):\n{log.read().decode()}")
        try:
            httpx.get(f"{origin}/scan", timeout=1.0, trust_env=False)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        else:
            return


def loopback_browser() -> httpx.AsyncClient:
    """A real HTTP client that refuses any host but 127.0.0.1."""

    async def only_loopback(request: httpx.Request) -> None:
        assert request.url.host == HOST, f"no network in tests: {request.url.host}"

    return httpx.AsyncClient(event_hooks={"request": [only_loopback]}, trust_env=False)
