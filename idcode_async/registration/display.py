"""The progress output of ``register-units``: a rich bar on a terminal, else plain lines.

Shared by the single-machine command and the scale-out one (which reads its progress from
Redis), so that both print the same thing.
"""

from __future__ import annotations

import sys
from typing import TextIO

from .._cli_support import Display, choose_display, format_duration
from .progress import Progress

__all__ = ["progress_display"]


class _PlainDisplay(Display[Progress]):
    """A line on stderr at most every ``every`` seconds, and at the end."""

    def __init__(self, stream: TextIO, every: float = 5.0) -> None:
        self._stream = stream
        self._every = every
        self._last = -float("inf")
        self._latest: Progress | None = None

    def update(self, progress: Progress) -> None:
        self._latest = progress
        if progress.elapsed - self._last >= self._every or progress.remaining == 0:
            self._last = progress.elapsed
            print(_describe(progress), file=self._stream, flush=True)


class _RichDisplay(Display[Progress]):
    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("[bold]309[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TextColumn("{task.fields[rate]}"),
            TextColumn("ETA {task.fields[eta]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._task = self._bar.add_task("rows", total=total, counts="", rate="", eta="-")

    def __enter__(self) -> _RichDisplay:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def update(self, progress: Progress) -> None:
        self._bar.update(
            self._task,
            total=progress.total,
            completed=progress.done,
            counts=_counts(progress),
            rate="" if progress.rate is None else f"{progress.rate:.2f}/s",
            eta=format_duration(progress.eta),
        )


def progress_display(kind: str, total: int) -> Display[Progress]:
    """The progress output for ``--progress``: a rich bar on a terminal, else plain lines."""
    return choose_display(kind, lambda: _RichDisplay(total), lambda: _PlainDisplay(sys.stderr))


def _counts(progress: Progress) -> str:
    return (
        f"registered {progress.registered} · existing {progress.existing} · "
        f"invalid {progress.invalid} · failed {progress.failed}"
    )


def _describe(progress: Progress) -> str:
    rate = "" if progress.rate is None else f", {progress.rate:.2f} rows/s"
    return (
        f"{progress.done}/{progress.total}: {_counts(progress)}{rate}, "
        f"ETA {format_duration(progress.eta)}"
    )
