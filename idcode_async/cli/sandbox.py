"""``idcode sandbox serve``: the local sandbox over HTTP, for other processes and languages.

The sandbox accepts the document's public test key, so it listens on loopback unless
``--allow-remote`` says otherwise explicitly.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import attrs
import click

from .._env import ENV_AUTH_CODE, ENV_TOKEN
from ._exit import EXIT_OK, EXIT_USAGE, CommandError
from ._extras import SANDBOX_MODULES, require_extra

__all__ = ["ServeSettings", "sandbox"]


@attrs.frozen
class ServeSettings:
    host: str
    port: int
    seeded: bool = False
    max_body_bytes: int | None = None


@click.group("sandbox", short_help="the local IDcode sandbox server")
def sandbox() -> None:
    """The local IDcode sandbox: the whole SP API emulated, with its own signature verifier."""


@sandbox.command("serve", short_help="serve the sandbox over HTTP (loopback by default)")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="TCP port"
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="listen on a non-loopback --host (the public test key is then reachable by others)",
)
@click.option(
    "--seeded",
    is_flag=True,
    help="start from the document's example unit i.86.120103.1021 and its categories",
)
@click.option(
    "--max-body-bytes",
    type=click.IntRange(min=1),
    help="answer 413 to request bodies larger than this  [default: 8 MiB]",
)
def serve(
    host: str, port: int, allow_remote: bool, seeded: bool, max_body_bytes: int | None
) -> int:
    """Serves a fresh sandbox until Ctrl-C. Point a client at the printed URL with the
    document's test key (printed too); every request is verified as the centre would."""
    if not allow_remote and not is_loopback(host):
        raise CommandError(
            f"--host {host} is not a loopback address: the sandbox accepts a public test key",
            code=EXIT_USAGE,
            hint="add --allow-remote if other machines must reach it",
        )
    require_extra("sandbox", (*SANDBOX_MODULES, "uvicorn"))
    run_server(ServeSettings(host=host, port=port, seeded=seeded, max_body_bytes=max_body_bytes))
    return EXIT_OK


def is_loopback(host: str) -> bool:
    """``localhost`` or an address in 127.0.0.0/8 or ``::1``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_server(settings: ServeSettings) -> None:
    """Check the address is free, say where and with which key, then serve until stopped."""
    # The sandbox extra (starlette, uvicorn) is not the cli extra: imported once it is known
    # to be there, so that every other command works without it.
    from ..sandbox import Sandbox
    from ..sandbox.config import TEST_ACCESS_TOKEN, TEST_AUTH_CODE
    from ..sandbox.serve import serve

    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((settings.host, settings.port))
    except OSError as exc:
        raise CommandError(
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}",
            code=EXIT_USAGE,
            hint="choose another --port",
        ) from None
    caps: dict[str, Any] = {}
    if settings.max_body_bytes is not None:
        caps["max_body_bytes"] = settings.max_body_bytes
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    click.echo(f"sandbox: http://{host}:{settings.port}")
    click.echo(f"  test key: {ENV_TOKEN}={TEST_ACCESS_TOKEN}")
    click.echo(f"            {ENV_AUTH_CODE}={TEST_AUTH_CODE}")
    click.echo("  Ctrl-C stops it", err=True)
    serve(Sandbox(seeded=settings.seeded, **caps), port=settings.port, host=settings.host)
