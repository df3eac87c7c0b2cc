"""The code file read for planning in blocks, so that planning shows progress and stops fast.

Given a path, the planner reads the whole file in one worker thread: for a million codes that
is seconds in which nothing can be shown and Ctrl-C cannot stop it (a thread is not
cancelled).  The commands hand it this reader instead: the same lines (the planner's own
:func:`~idcode_async.uploads.codes_input.open_source` opens the file), in blocks of
:data:`BLOCK` lines read in a worker thread each, with the lines and characters read so far
reported after every block, and a stop request honoured between blocks by cancelling the
run (nothing is sent while planning, so there is nothing to finish).
"""

from __future__ import annotations

import io
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from typing import Final

import anyio
import anyio.lowlevel
import anyio.to_thread

from ..uploads.codes_input import open_source
from ._inputs import stdin_bytes

__all__ = ["BLOCK", "CodeReader"]

BLOCK: Final = 20_000
"""Lines per worker-thread hop: a few milliseconds of reading."""


class CodeReader:
    """An async iterable of the lines of ``source`` (a path, or ``-`` for standard input)."""

    def __init__(
        self,
        source: str,
        *,
        on_read: Callable[[int, int], object] | None = None,
        stop: anyio.Event | None = None,
        scope: anyio.CancelScope | None = None,
    ) -> None:
        self.source = source
        self.lines = 0
        self.chars = 0
        self._on_read = on_read
        self._stop = stop
        self._scope = scope

    def _open(self, stack: ExitStack) -> Iterator[object]:
        if self.source != "-":
            return stack.enter_context(open_source(self.source))
        # Standard input is decoded as a code file is (BOM, universal newlines), and read
        # through the same bounded reader: one endless line must not be held whole.
        stdin = stdin_bytes("codes")
        text = io.TextIOWrapper(stdin, encoding="utf-8-sig", errors="surrogateescape", newline=None)
        stack.callback(text.detach)  # stdin stays open for whoever owns it
        return stack.enter_context(open_source(text))

    async def __aiter__(self) -> AsyncIterator[str]:
        with ExitStack() as stack:
            lines = self._open(stack)
            while True:
                if self._stop is not None and self._stop.is_set() and self._scope is not None:
                    self._scope.cancel()
                    await anyio.lowlevel.checkpoint()
                block = await anyio.to_thread.run_sync(lambda: list(itertools.islice(lines, BLOCK)))
                if not block:
                    return
                self.lines += len(block)
                self.chars += sum(len(line) for line in block if isinstance(line, str))
                if self._on_read is not None:
                    self._on_read(self.lines, self.chars)
                for line in block:
                    yield line  # type: ignore[misc]
