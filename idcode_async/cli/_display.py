"""Progress on standard error: a rich bar on a terminal, plain lines otherwise, or nothing.

The bars are laid out to read at 80 columns: the bar itself, the counts and the times each
get their own line where one line would squeeze the bar to nothing, and times are whole
``m:ss`` (never cut to ``0:…``).
"""

from __future__ import annotations

import sys
from typing import Any, Generic, Self, TextIO, TypeVar

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from ..registration import Progress
from ..uploads import UploadProgress

__all__ = ["Display", "format_duration", "registration_display", "upload_display"]

T = TypeVar("T")


def format_duration(seconds: float | None) -> str:
    """``m:ss`` or ``h:mm:ss``; ``-`` when unknown (an ETA before the first row)."""
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Display(Generic[T]):
    """Shows progress snapshots of type ``T``; this base shows nothing (``--progress none``).

    A context manager, so that a live bar is torn down cleanly however the run ends.
    """

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, progress: T) -> None:
        return None


class _Plain(Display[T]):
    """A line on stderr when ``due`` says so (at most every ``every`` seconds, and at the end)."""

    def __init__(self, describe: Any, due: Any, stream: TextIO, every: float = 5.0) -> None:
        self._describe = describe
        self._due = due
        self._stream = stream
        self._every = every
        self._last = -float("inf")
        self._state: object = None

    def update(self, progress: T) -> None:
        elapsed: float = getattr(progress, "elapsed", 0.0)
        timely = elapsed - self._last >= self._every
        state = self._due(progress)
        if timely or state != self._state:
            self._last = elapsed
            self._state = state
            print(self._describe(progress), file=self._stream, flush=True)


class _Live(Display[T]):
    """A rich ``Live`` of progress bars and text lines on stderr (stdout is for results)."""

    def __init__(self, render: Any) -> None:
        self._render = render
        self._live = Live(console=Console(stderr=True), refresh_per_second=8, transient=False)

    def __enter__(self) -> Self:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()

    def update(self, progress: T) -> None:
        self._live.update(self._render(progress))


def _choose(kind: str, live: Any, plain: Display[T]) -> Display[T]:
    if kind == "none":
        return Display()
    if kind == "bar" or (kind == "auto" and sys.stderr.isatty()):
        return _Live(live)
    return plain


# -- 309 registration ---------------------------------------------------------------------------


def _counts(progress: Progress) -> str:
    return (
        f"registered {progress.registered} · existing {progress.existing} · "
        f"invalid {progress.invalid} · failed {progress.failed}"
    )


def describe_registration(progress: Progress) -> str:
    rate = "" if progress.rate is None else f", {progress.rate:.2f} rows/s"
    return (
        f"{progress.done}/{progress.total}: {_counts(progress)}{rate}, "
        f"ETA {format_duration(progress.eta)}"
    )


def _render_registration(progress: Progress) -> Any:
    head = Table.grid(expand=True, padding=(0, 1))
    head.add_column(width=3)
    head.add_column(ratio=1)
    head.add_column(justify="right", no_wrap=True)
    head.add_row(
        Text("309", style="bold"),
        ProgressBar(total=max(progress.total, 1), completed=progress.done),
        f"{progress.done}/{progress.total}",
    )
    rate = "-" if progress.rate is None else f"{progress.rate:.2f}/s"
    times = (
        f"{rate} · elapsed {format_duration(progress.elapsed)} · "
        f"ETA {format_duration(progress.eta)}"
    )
    return Group(head, Text(_counts(progress), overflow="fold"), Text(times, style="dim"))


def registration_display(kind: str) -> Display[Progress]:
    """The ``--progress`` display of ``register-units``."""
    plain: Display[Progress] = _Plain(describe_registration, lambda p: p.remaining == 0, sys.stderr)
    return _choose(kind, _render_registration, plain)


# -- 5011-5014 uploads --------------------------------------------------------------------------


def describe_upload(progress: UploadProgress) -> str:
    """One plain line for a progress snapshot."""
    if progress.phase == "planning":
        return (
            f"planning: {progress.codes} lines read ({progress.bytes} characters), "
            f"{format_duration(progress.elapsed)}"
        )
    return (
        f"{progress.phase}: {progress.codes_done}/{progress.codes} codes, "
        f"{progress.requests_done}/{progress.requests} requests, "
        f"{progress.bytes_done}/{progress.bytes} bytes, {format_duration(progress.elapsed)}"
    )


def _render_upload(progress: UploadProgress) -> Any:
    if progress.phase == "planning":
        return Text(describe_upload(progress))
    grid = Table.grid(expand=True, padding=(0, 1))
    grid.add_column(width=9, no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_column(justify="right", no_wrap=True)
    grid.add_row(
        Text("codes" if progress.phase != "reconciling" else "reconcile", style="bold"),
        ProgressBar(total=max(progress.codes, 1), completed=progress.codes_done),
        f"{progress.codes_done}/{progress.codes}",
    )
    grid.add_row(
        Text("bytes", style="bold"),
        ProgressBar(total=max(progress.bytes, 1), completed=progress.bytes_done),
        f"{progress.bytes_done}/{progress.bytes}",
    )
    detail = f"{progress.requests_done}/{progress.requests} requests"
    if progress.current and progress.phase == "uploading":
        detail += f" · {progress.current}"
    detail += f" · elapsed {format_duration(progress.elapsed)}"
    return Group(grid, Text(detail, style="dim", overflow="fold"))


def upload_display(kind: str) -> Display[UploadProgress]:
    """The ``--progress`` display of ``upload-codes``."""
    plain: Display[UploadProgress] = _Plain(describe_upload, lambda p: p.phase, sys.stderr)
    return _choose(kind, _render_upload, plain)
