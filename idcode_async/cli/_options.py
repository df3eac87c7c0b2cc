"""Options several commands share, and the parameter types that refuse bad numbers early.

Credentials are read from the ``IDCODE_*`` variables named in :mod:`idcode_async._env` (an
option is accepted too, but shows in ``ps``); the base URL from ``--base-url`` or
``IDCODE_BASE_URL``.  Numbers are checked by their type: ``--max-retries -1`` or
``--timeout nan`` is a usage error (exit 2) before anything is read or sent.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final, TypeGuard, TypeVar

import attrs
import click
import httpx

from .._client import TEST_BASE_URL, UPLOAD_TIMEOUT, IdcodeClient
from .._env import ENV_AUTH_CODE, ENV_BASE_URL, ENV_TOKEN
from ._exit import EXIT_USAGE, CommandError

__all__ = [
    "MAX_COUNT",
    "MAX_SECONDS",
    "MAX_WORKERS",
    "PROGRESS_CHOICES",
    "ClientSettings",
    "Credentials",
    "capped_timeout",
    "client_options",
    "client_settings",
    "count_option",
    "credential_options",
    "json_option",
    "progress_option",
    "require_credentials",
    "run_options",
    "scale_options",
    "seconds",
    "seconds_option",
]

F = TypeVar("F", bound=Callable[..., Any])

PROGRESS_CHOICES = ("auto", "bar", "plain", "none")


MAX_SECONDS: Final = 86_400.0
"""No option in seconds may exceed a day: a larger pause or timeout is a typo, not a plan."""

MAX_COUNT: Final = 1_000_000_000
"""The ceiling of a count option without its own (10**30 must not reach an index)."""


def seconds(minimum: float = 0.0, *, inclusive: bool = False) -> dict[str, Any]:
    """``type`` and ``callback`` of an option in seconds: finite, above ``minimum`` (or at
    least it, with ``inclusive``) and at most :data:`MAX_SECONDS`; ``nan``, ``inf``,
    negatives and ``1e308`` are usage errors."""

    def check(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
        if value is None:
            return None
        if not math.isfinite(value):
            raise click.BadParameter(f"{value} is not a finite number of seconds")
        if value < minimum or (value == minimum and not inclusive):
            bound = "at least" if inclusive else "more than"
            raise click.BadParameter(f"{value:g} must be {bound} {minimum:g} seconds")
        if value > MAX_SECONDS:
            raise click.BadParameter(f"{value:g} is more than a day ({MAX_SECONDS:g} seconds)")
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

    def open(
        self, credentials: Credentials | None, *, upload_timeout: float | None = None
    ) -> IdcodeClient:
        """A client with these settings (``upload_timeout`` for 5011-5014 when given); a
        connection may take at most 10 s to open."""
        assert credentials is not None, "the settings require credentials when sending"
        return IdcodeClient(
            access_token=credentials.access_token,
            auth_code=credentials.auth_code,
            base_url=self.base_url,
            timeout=capped_timeout(self.timeout),
            upload_timeout=(
                UPLOAD_TIMEOUT if upload_timeout is None else capped_timeout(upload_timeout)
            ),
        )


def capped_timeout(timeout: float) -> httpx.Timeout:
    """``timeout`` for every phase of a request, but at most 10 s to open a connection."""
    return httpx.Timeout(timeout, connect=min(10.0, timeout))


def count_option(
    flag: str, *, default: int, help: str, minimum: int = 1, maximum: int = MAX_COUNT
) -> Callable[[F], F]:
    """An integer option from ``minimum`` to ``maximum`` (a usage error outside)."""
    return click.option(
        flag,
        type=click.IntRange(min=minimum, max=maximum),
        default=default,
        show_default=True,
        help=help,
    )


def seconds_option(
    flag: str,
    *,
    help: str,
    default: float | None = None,
    minimum: float = 0.0,
    inclusive: bool = False,
) -> Callable[[F], F]:
    """An option in seconds, checked by :func:`seconds`."""
    return click.option(
        flag,
        **seconds(minimum, inclusive=inclusive),
        default=default,
        show_default=default is not None,
        help=help,
    )


MAX_WORKERS: Final = 64
"""Local worker processes one command may start (each is a Python process)."""


def scale_options(what: str, *, named_by: str) -> Callable[[F], F]:
    """``--redis`` (``what`` is shared through Redis under the name ``named_by`` gives),
    ``--workers`` and ``--lease``: the options of a command that can run distributed."""

    def decorate(func: F) -> F:
        func = seconds_option(
            "--lease", help="with --redis: seconds a worker's claim outlives it  [default: 60]"
        )(func)
        func = count_option(
            "--workers",
            default=1,
            minimum=0,
            maximum=MAX_WORKERS,
            help="with --redis: local worker processes",
        )(func)
        return click.option(
            "--redis",
            metavar="URL",
            is_flag=False,
            flag_value="",
            help=f"share {what} through Redis (the redis extra); {named_by} names it there "
            "(see docs/scale-out.md)",
        )(func)

    return decorate


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
    func = seconds_option("--timeout", default=30.0, help="request timeout, seconds")(func)
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


def run_options(what: str, *, named_by: str) -> Callable[[F], F]:
    """The options of a long run that sends: ``--progress``, ``--json``, the client's and
    the credentials, and :func:`scale_options`."""

    def decorate(func: F) -> F:
        func = scale_options(what, named_by=named_by)(func)
        for option in (credential_options, client_options, json_option, progress_option):
            func = option(func)
        return func

    return decorate


def client_settings(options: dict[str, Any]) -> ClientSettings:
    """``--base-url`` and ``--timeout`` (:func:`client_options`) as settings."""
    return ClientSettings(options["base_url"], options["timeout"])


def require_credentials(access_token: str | None, auth_code: str | None) -> Credentials:
    """Both credentials, or a usage error naming the variables (blank counts as missing: a
    variable set to spaces would otherwise reach the centre and come back as 10001)."""
    if not _given(access_token) or not _given(auth_code):
        raise CommandError(
            f"set {ENV_TOKEN} and {ENV_AUTH_CODE} to reach the centre",
            code=EXIT_USAGE,
            hint="or give --access-token/--auth-code (they show in ps)",
        )
    return Credentials(access_token, auth_code)


def _given(value: str | None) -> TypeGuard[str]:
    return value is not None and bool(value.strip())
