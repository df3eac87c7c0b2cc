"""Every expected failure of a command as one ``error:`` line, a ``hint:`` and an exit code.

The one place that knows the SDK's typed exceptions from the command line's side: a wrong
access token (10001/10002), a parameter refused (10000, which a wrong authorisation code also
gives, since the signature is keyed by it), an unreachable centre, a journal or manifest that
cannot be used, an extra that is not installed.  Exceptions out of a task group arrive wrapped
in an ``ExceptionGroup``; the first real one decides.  Anything not known here is a bug: the
command says so in one line and ``--debug`` shows the traceback.
"""

from __future__ import annotations

import sqlite3

import click

from .._env import ENV_AUTH_CODE, ENV_REDIS_URL, ENV_TOKEN
from .._errors import (
    ApiError,
    AuthError,
    InvalidParameterError,
    RedirectError,
    ResponseDecodeError,
    TransportError,
    UsageError,
    ValidationError,
)
from ..durable.store import StoreError, StoreLockedError
from ..registration import BatchAbortedError, InputFormatError
from ..scale import MissingExtraError
from ..scale.errors import RunKindError, ScaleError
from ..uploads import ManifestMismatchError, UnresolvedUploadError, UploadAbortedError
from ._exit import EXIT_ABORTED, EXIT_USAGE, CommandError

__all__ = ["as_command_error", "innermost"]


def innermost(exc: BaseException) -> BaseException:
    """The first leaf of nested exception groups (the cause a task group wrapped)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def as_command_error(exc: BaseException, *, base_url: str | None = None) -> CommandError | None:
    """The error line, hint and exit code for ``exc``; ``None`` when it is not expected."""
    exc = innermost(exc)
    if isinstance(exc, CommandError):
        return exc
    if isinstance(exc, click.ClickException):
        return CommandError(exc.format_message(), code=EXIT_USAGE)
    if isinstance(exc, (BatchAbortedError, UploadAbortedError, UnresolvedUploadError)):
        cause = exc.__cause__ or exc.__context__
        known = as_command_error(cause, base_url=base_url) if cause is not None else None
        hint = known.hint if known is not None else None
        return CommandError(str(exc), code=EXIT_ABORTED, hint=hint)
    if isinstance(exc, AuthError):
        return CommandError(
            f"the centre refused the access token (result code {exc.code}: {exc.message})",
            code=EXIT_ABORTED,
            hint=f"check {ENV_TOKEN} (or --access-token) and --base-url",
        )
    if isinstance(exc, InvalidParameterError) and exc.endpoint == 101:
        return CommandError(
            f"the centre refused the first request (result code {exc.code}: {exc.message})",
            code=EXIT_ABORTED,
            hint=f"a wrong {ENV_AUTH_CODE} (the signature key) gives 10000: check it",
        )
    if isinstance(exc, ApiError):
        return CommandError(str(exc), code=EXIT_ABORTED)
    if isinstance(exc, (ResponseDecodeError, RedirectError)):
        # It was reached: what answered is not the centre's API (a proxy page, a web site).
        return CommandError(
            f"the server did not answer as the IDcode centre does: {exc}",
            code=EXIT_ABORTED,
            hint="check that --base-url is the centre's API address, then run the same command",
        )
    if isinstance(exc, TransportError):
        where = f" at {base_url}" if base_url else ""
        return CommandError(
            f"cannot reach the centre{where}: {exc}",
            code=EXIT_ABORTED,
            hint="check --base-url and the network, then run the same command again",
        )
    if isinstance(exc, RunKindError):
        return CommandError(
            str(exc),
            code=EXIT_USAGE,
            hint="a run id (register-units --redis --journal, upload-codes --run) names one run",
        )
    if isinstance(exc, ScaleError):  # no such run, another token's run, a worker's settings
        return CommandError(str(exc), code=EXIT_USAGE)
    if isinstance(exc, StoreLockedError):
        return CommandError(
            str(exc), code=EXIT_USAGE, hint="another run uses it: wait for it, or choose another"
        )
    if isinstance(exc, ManifestMismatchError):
        return CommandError(
            str(exc),
            code=EXIT_USAGE,
            hint="a manifest belongs to one upload: give --manifest a new file for another",
        )
    if isinstance(exc, StoreError):
        return CommandError(str(exc), code=EXIT_USAGE)
    if isinstance(exc, sqlite3.DatabaseError):
        return CommandError(
            f"the journal or manifest cannot be used: {exc}",
            code=EXIT_USAGE,
            hint="give a journal/manifest file this command created, or a new file name",
        )
    if type(exc).__module__.startswith("redis."):
        # redis is optional: its errors are recognised by their module, not imported here.
        return CommandError(
            f"Redis at the given URL: {type(exc).__name__}: {exc}",
            code=EXIT_ABORTED,
            hint=f"check --redis / {ENV_REDIS_URL} and that the server is up",
        )
    if isinstance(exc, MissingExtraError):
        return CommandError(str(exc), code=EXIT_USAGE)
    if isinstance(exc, (InputFormatError, ValidationError, UsageError)):
        return CommandError(str(exc), code=EXIT_USAGE)
    if isinstance(exc, OSError):
        name = f"{exc.filename}: " if exc.filename else ""
        return CommandError(f"{name}{exc.strerror or exc}", code=EXIT_USAGE)
    return None
