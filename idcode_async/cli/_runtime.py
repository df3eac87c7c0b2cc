"""What every long-running command does the same way: messages, JSON, signals, resume hints.

Standard output carries the result (a summary line, or with ``--json`` one JSON object);
everything else (notices, progress, errors, hints) goes to standard error, so a script can
read stdout while a person watches stderr.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import anyio
import click
from click.core import ParameterSource

from .._env import ENV_REDIS_URL
from ._exit import EXIT_INTERRUPTED, CommandError

__all__ = [
    "Output",
    "checked_redis_url",
    "interruptible",
    "redis_url",
    "resume_command",
    "watch_signals",
]

T = TypeVar("T")

_REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})

_NEVER_REPEATED = frozenset({"access_token", "auth_code", "dry_run", "plan_only"})
"""Secrets are never printed; a dry run or plan is not what one resumes."""


class Output:
    """stdout for results, stderr for people."""

    def __init__(self, *, as_json: bool) -> None:
        self.as_json = as_json

    def notice(self, text: str) -> None:
        """One line for the person at the terminal."""
        click.echo(text, err=True)

    def result(self, text: str) -> None:
        """A result line on stdout (suppressed with ``--json``: the summary object says it)."""
        if not self.as_json:
            click.echo(text)

    def summary(self, data: dict[str, Any]) -> None:
        """With ``--json``: the one JSON object on stdout."""
        if self.as_json:
            click.echo(json.dumps(data, ensure_ascii=False, sort_keys=True))

    def interrupted(self, message: str, resume: str) -> int:
        """Say what an interruption left behind and how to resume; the exit code."""
        self.notice(message)
        self.notice(f"resume with: {resume}")
        return EXIT_INTERRUPTED


def resume_command(ctx: click.Context) -> str:
    """The command line that resumes this run: every argument and non-default option given,
    ``--base-url`` included even when it came from the environment; never a secret."""
    words = ["idcode", *_command_path(ctx)]
    for param in ctx.command.params:
        name = param.name or ""
        value = ctx.params.get(name)
        if isinstance(param, click.Argument):
            words.append(str(value))
            continue
        source = ctx.get_parameter_source(name)
        if name in _NEVER_REPEATED or source in (None, ParameterSource.DEFAULT):
            continue
        flag = param.opts[0]
        if isinstance(param, click.Option) and param.is_flag:
            if value:
                words.append(flag)
        elif value == "":
            words.append(flag)  # an option given without its value (``--redis``: the variable)
        elif value is not None:
            words += [flag, _without_password(str(value))]
    return shlex.join(words)


def _without_password(value: str) -> str:
    """A URL's password (``redis://:secret@host``) is not repeated in a hint."""
    return re.sub(r"^(\w+://[^:/@]*:)[^@]*@", r"\1***@", value)


def redis_url(value: str) -> str:
    """``--redis URL``, or ``--redis`` alone: the URL in ``$IDCODE_REDIS_URL``; checked."""
    url = (value or os.environ.get(ENV_REDIS_URL, "")).strip()
    if not url:
        raise CommandError(f"--redis needs a URL (or set {ENV_REDIS_URL})")
    return checked_redis_url(url)


def checked_redis_url(url: str) -> str:
    """``url`` when redis-py and arq can use it, else a usage error that does not quote it
    (it may hold a password): they fail late, with a bare ``ValueError``/``RuntimeError``."""
    problem = _redis_url_problem(url)
    if problem is not None:
        raise CommandError(f"the Redis URL {problem}", hint=f"check --redis / {ENV_REDIS_URL}")
    return url


def _redis_url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port  # a ValueError outside 0-65535
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in _REDIS_SCHEMES:
        return "must start with redis://, rediss:// or unix://"
    if parts.scheme != "unix" and not parts.hostname:
        return "names no host"
    if port == 0:
        return "has port 0"
    return None


def _command_path(ctx: click.Context) -> list[str]:
    names: list[str] = []
    while ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return names[::-1]


async def watch_signals(stop: anyio.Event, run_scope: anyio.CancelScope, what: str) -> None:
    """First SIGINT/SIGTERM: stop after the request in flight.  Second: cancel it."""
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            if not stop.is_set():
                print(
                    f"\nstopping after the {what} in flight (Ctrl-C again to abandon it)…",
                    file=sys.stderr,
                )
                stop.set()
            else:
                run_scope.cancel()


async def interruptible(work: Callable[[], Awaitable[T]]) -> T:
    """``await work()``, cancelled by the first SIGINT/SIGTERM, which then raises
    ``KeyboardInterrupt`` (exit 130) — for work that sends nothing to resume.

    Left to asyncio, Ctrl-C cancels the main task natively and the command ends in whatever
    the cancelled work raises on its way out (the hostile pass saw "cannot reach the centre",
    exit 3, not every time); SIGTERM would kill it without a word.  Here either signal
    cancels the work through an anyio scope, and the command ends the one documented way.
    """
    done: list[T] = []
    async with anyio.create_task_group() as group:
        group.start_soon(_cancel_on_signal, group.cancel_scope)
        done.append(await work())
        group.cancel_scope.cancel()
    if not done:
        raise KeyboardInterrupt
    return done[0]


async def _cancel_on_signal(scope: anyio.CancelScope) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            scope.cancel()
            return
