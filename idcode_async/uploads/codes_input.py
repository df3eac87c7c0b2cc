"""Where codes come from: an iterable, an async iterable, or a text file with one code a line.

Nothing here holds more than one line (or one batch of an async source) at a time.

Decisions:

* A ``str`` (or any :class:`os.PathLike`) is a **path**, never an iterable of codes: iterating a
  string yields characters, which is never what a caller means.  ``bytes`` are refused for the
  same reason (pass the path of a binary file instead).
* Files are read as UTF-8 with a byte order mark skipped (``utf-8-sig``) and universal
  newlines (``\\n``, ``\\r\\n``, ``\\r``), so the line numbers in reports are the ones an editor
  shows.  Bytes that are not UTF-8 (a GBK file) do not stop the run: they decode to surrogates,
  and the line is rejected as "not printable ASCII" with its number.
* A file line is read at most :data:`MAX_LINE` characters at a time, so a file that is not a
  code list (a zip passed by mistake, a dump without newlines) cannot pull gigabytes into one
  string: the excess of an over-long line is skipped, keeping just enough for the planner to
  reject it (or, if the excess was only surrounding whitespace, to accept the code).
* Items of an iterable are numbered from 1, like lines.  Each item must be a ``str``.
* Stripping: surrounding whitespace (including ideographic spaces, U+3000, common in Chinese
  spreadsheets) is removed by the planner's fast path; :func:`strip_marks` also removes byte
  order marks, which ``str.strip`` keeps and which appear mid-stream when files were
  concatenated.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import AsyncIterable, Iterable, Iterator
from typing import IO, TypeAlias

from .._errors import UsageError

__all__ = [
    "MAX_LINE",
    "AsyncCodeSource",
    "CodeSource",
    "open_source",
    "strip_marks",
]

CodeSource: TypeAlias = "str | os.PathLike[str] | Iterable[str]"
"""A path to a text file (one code a line) or an iterable of codes."""

AsyncCodeSource: TypeAlias = "CodeSource | AsyncIterable[str]"
"""Anything :data:`CodeSource` accepts, or an async iterable of codes."""

_BOM = "\ufeff"

MAX_LINE = 65_536
"""Characters of a file line held at once (far above any acceptable code)."""


def strip_marks(code: str) -> str:
    """``code`` without surrounding whitespace and byte order marks (in any mix)."""
    previous = None
    while previous != code:
        previous = code
        code = code.strip().strip(_BOM)
    return code


@contextlib.contextmanager
def open_source(source: CodeSource) -> Iterator[Iterator[object]]:
    """The raw lines (or items) of ``source``; a file is closed when the block ends.

    An open text file (standard input, say) is read like a path, a line at most
    :data:`MAX_LINE` characters at a time, and is left open.

    Items are yielded unchecked: the planner refuses a non-``str`` item with its number.
    """
    if isinstance(source, str | os.PathLike):
        with open(source, encoding="utf-8-sig", errors="surrogateescape", newline=None) as file:
            yield _bounded_lines(file)
        return
    if isinstance(source, io.TextIOBase):  # an open text file: bounded like a path's lines
        yield _bounded_lines(source)
        return
    if isinstance(source, bytes | bytearray | memoryview):
        raise UsageError(
            "codes must be an iterable of str or a path; got bytes (pass the file's path)"
        )
    if isinstance(source, AsyncIterable):
        raise UsageError("an async iterable needs plan_upload_async(), not plan_upload()")
    if not isinstance(source, Iterable):
        raise UsageError(f"codes must be an iterable of str or a path, not {type(source)!r}")
    yield iter(source)


def _bounded_lines(file: IO[str] | io.TextIOBase) -> Iterator[str]:
    """The file's lines, none longer than :data:`MAX_LINE` (universal newlines give ``\n``).

    An over-long line is consumed whole and stands as its content if everything beyond
    :data:`MAX_LINE` characters of it is trailing whitespace (the code may be fine).  Otherwise
    it stands as something no rule accepts: its first :data:`MAX_LINE` characters (too long),
    or, when they end inside whitespace followed by more text, that text and a space.
    """
    readline = file.readline
    while line := readline(MAX_LINE):
        if len(line) < MAX_LINE or line[-1] == "\n":
            yield line
            continue
        kept, overflow, ended = line.lstrip(), False, False
        while not ended:
            piece = readline(MAX_LINE)
            ended = not piece or piece[-1] == "\n"
            kept += piece if kept else piece.lstrip()
            if len(kept) > MAX_LINE:
                overflow = overflow or not kept[MAX_LINE:].isspace()
                kept = kept[:MAX_LINE]
        yield kept.rstrip() + " \u2026" if overflow and kept[-1].isspace() else kept
