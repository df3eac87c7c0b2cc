"""What the batch commands (``register-units``, ``upload-codes``, ``worker``) share.

Exit codes, credential variables, the two-stage Ctrl-C and duration formatting are one
contract across commands, so scripts can treat every long-running ``idcode`` command alike.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Final, Generic, Self, TypeVar

import anyio

from ._env import ENV_AUTH_CODE, ENV_BASE_URL, ENV_TOKEN

__all__ = [
    "ENV_AUTH_CODE",
    "ENV_BASE_URL",
    "ENV_TOKEN",
    "EXIT_ABORTED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_ROWS",
    "EXIT_USAGE",
    "Display",
    "choose_display",
    "format_duration",
    "run_single_command",
    "single_command_parser",
    "watch_signals",
]

EXIT_OK: Final = 0
"""Everything settled."""
EXIT_ROWS: Final = 1
"""Some rows or requests were invalid or failed (see the results)."""
EXIT_USAGE: Final = 2
"""Bad usage or input."""
EXIT_ABORTED: Final = 3
"""The run stopped itself (token refused, centre unreachable, undecidable state)."""
EXIT_INTERRUPTED: Final = 130
"""Interrupted by Ctrl-C / SIGTERM; the journal or manifest is consistent: run again."""


async def watch_signals(stop: anyio.Event, run_scope: anyio.CancelScope) -> None:
    """First SIGINT/SIGTERM: stop after the request in flight.  Second: cancel it."""
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            if not stop.is_set():
                print(
                    "\nstopping after the request in flight (Ctrl-C again to abandon it)…",
                    file=sys.stderr,
                )
                stop.set()
            else:
                run_scope.cancel()


def format_duration(seconds: float | None) -> str:
    """``m:ss`` or ``h:mm:ss``; ``-`` when unknown (an ETA before the first row)."""
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


T = TypeVar("T")


class Display(Generic[T]):
    """Progress output for snapshots of type ``T``; this base shows nothing (``--progress none``).

    A context manager, so that a live terminal bar is torn down cleanly however the run ends.
    """

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, progress: T) -> None:
        return None


def choose_display(
    kind: str, rich: Callable[[], Display[T]], plain: Callable[[], Display[T]]
) -> Display[T]:
    """``--progress``: ``none``, ``bar``, ``plain``, or ``auto`` (a rich bar on a terminal)."""
    if kind == "none":
        return Display()
    if kind == "bar" or (kind == "auto" and sys.stderr.isatty()):
        try:
            return rich()
        except ImportError:  # pragma: no cover - rich is the 'cli' extra
            pass
    return plain()


AddCommand = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], object]


def single_command_parser(prog: str, add_command: AddCommand) -> argparse.ArgumentParser:
    """A parser with one subcommand, for ``python -m idcode_async.<package> …`` entry points
    that mirror ``idcode …`` exactly (subprocess tests and machines without the script)."""
    parser = argparse.ArgumentParser(prog=prog)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_command(commands)
    return parser


def run_single_command(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None, *, resume_hint: str
) -> int:
    """Parse, run the chosen handler, and turn a stray KeyboardInterrupt into exit 130."""
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return int(handler(args))
    except KeyboardInterrupt:
        print(f"interrupted; {resume_hint}", file=sys.stderr)
        return EXIT_INTERRUPTED
