"""Options several commands share, and the parameter types that refuse bad numbers early.

Credentials are read from the ``IDCODE_*`` variables named in :mod:`idcode_async._env` (an
option is accepted too, but shows in ``ps``); the base URL from ``--base-url`` or
``IDCODE_BASE_URL``.  Numbers are checked by their type: ``--max-retries -1`` or
``--timeout nan`` is a usage error (exit 2) before anything is read or sent.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import click

from .._client import TEST_BASE_URL
from .._env import ENV_AUTH_CODE, ENV_BASE_URL, ENV_TOKEN
from ._exit import EXIT_USAGE, CommandError

__all__ = [
    "PROGRESS_CHOICES",
    "ClientSettings",
    "Credentials",
    "client_options",
    "credential_options",
    "json_option",
    "progress_option",
    "require_credentials",
    "seconds",
]

F = TypeVar("F", bound=Callable[..., Any])

PROGRESS_CHOICES = ("auto", "bar", "plain", "none")


def seconds(minimum: float = 0.0, *, inclusive: bool = False) -> dict[str, Any]:
    """``type`` and ``callback`` of an option in seconds: finite, above ``minimum`` (or at
    least it, with ``inclusive``); ``nan``, ``inf`` and negatives are usage errors."""

    def check(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
        if value is None:
            return None
        if not math.isfinite(value):
            raise click.BadParameter(f"{value} is not a finite number of seconds")
        if value < minimum or (value == minimum and not inclusive):
            bound = "at least" if inclusive else "more than"
            raise click.BadParameter(f"{value:g} must be {bound} {minimum:g} seconds")
        return value

    return {"type": float, "callback": check, "metavar": "SECONDS"}


@attrs.frozen
class Credentials:
    """The access token and the authorisation code (never in a repr, a hint or a log)."""

    access_token: str = attrs.field(repr=False)
    auth_code: str = attrs.field(repr=False)


@attrs.frozen
class ClientSettings:
    """Where and how to reach the centre."""

    base_url: str
    timeout: float


def credential_options(func: F) -> F:
    """``--access-token`` / ``--auth-code``, defaulting to the ``IDCODE_*`` variables."""
    func = click.option(
        "--auth-code",
        envvar=ENV_AUTH_CODE,
        show_envvar=True,
        help="the system authorisation code (prefer the variable: options show in ps)",
    )(func)
    return click.option(
        "--access-token",
        envvar=ENV_TOKEN,
        show_envvar=True,
        help="the SP's access token (prefer the variable: options show in ps)",
    )(func)


def client_options(func: F) -> F:
    """``--base-url`` and ``--timeout`` of the requests."""
    func = click.option(
        "--timeout",
        **seconds(),
        default=30.0,
        show_default=True,
        help="request timeout, seconds",
    )(func)
    return click.option(
        "--base-url",
        envvar=ENV_BASE_URL,
        show_envvar=True,
        default=TEST_BASE_URL,
        show_default=True,
        help="the centre",
    )(func)


def progress_option(func: F) -> F:
    return click.option(
        "--progress",
        type=click.Choice(PROGRESS_CHOICES),
        default="auto",
        show_default=True,
        help="progress on stderr: a bar on a terminal, plain lines otherwise, or none",
    )(func)


def json_option(func: F) -> F:
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="print one JSON summary object on stdout (messages stay on stderr)",
    )(func)


def require_credentials(access_token: str | None, auth_code: str | None) -> Credentials:
    """Both credentials, or a usage error naming the variables."""
    if not access_token or not auth_code:
        raise CommandError(
            f"set {ENV_TOKEN} and {ENV_AUTH_CODE} to reach the centre",
            code=EXIT_USAGE,
            hint="or give --access-token/--auth-code (they show in ps)",
        )
    return Credentials(access_token, auth_code)
