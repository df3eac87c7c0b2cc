"""The remainder on disk: codes outside ranges, written as ready-to-send 5011 TXT chunks.

Codes are written as they are decided, so memory does not grow with the remainder; each chunk
is closed when the next code would pass ``max_file_codes`` or ``max_file_bytes``, which makes
chunk boundaries a function of the input alone.  Size and SHA-256 are computed while writing
(the executor and the manifest need them; no second read).

The files belong to a :class:`Workspace`: a private temporary directory created on first use
(a plan made only of ranges touches no disk) and removed with the plan.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import IO, ClassVar, Literal

import attrs

__all__ = ["CodeFile", "RemainderSpool", "Workspace", "read_chunk"]

_FLUSH_EVERY = 4096  # codes buffered before one write: one syscall and one hash update


def read_chunk(path: Path, newline: str) -> list[str]:
    """The codes of a chunk file (at most ``max_file_bytes``, so reading it whole is fine)."""
    text = path.read_bytes().decode("ascii")
    return text.split(newline) if text else []


class Workspace:
    """A temporary directory created on demand and removed by :meth:`cleanup`.

    A ``weakref.finalize`` removes it too if the owner is collected or the interpreter exits
    without :meth:`cleanup`, so forgotten plans do not leave gigabytes in ``/tmp``.
    """

    def __init__(self, parent: str | os.PathLike[str] | None = None) -> None:
        self._parent = parent
        self._path: Path | None = None
        self._finalizer: weakref.finalize[..., object] | None = None

    @property
    def path(self) -> Path:
        if self._path is None:
            self._path = Path(tempfile.mkdtemp(prefix="idcode-plan-", dir=self._parent))
            self._finalizer = weakref.finalize(self, shutil.rmtree, self._path, True)
        return self._path

    def cleanup(self) -> None:
        if self._finalizer is not None:
            self._finalizer()


@attrs.frozen
class CodeFile:
    """5011: a TXT file, one code a line, spooled in the plan's temporary directory.

    ``size`` and ``sha256`` describe the bytes at ``path`` (for multipart length and the
    manifest); ``newline`` separates lines (none after the last).  The item keeps the plan's
    temporary directory alive: ``plan_upload(codes).requests`` does not lose its files when
    the plan itself is dropped (``plan.close()`` still removes them).
    """

    endpoint: ClassVar[Literal[5011]] = 5011
    path: Path
    count: int
    size: int
    sha256: str
    first_code: str
    last_code: str
    newline: str = "\r\n"
    _workspace: Workspace | None = attrs.field(
        default=None, kw_only=True, eq=False, repr=False, alias="workspace"
    )

    def codes(self) -> Iterator[str]:
        """The file's codes, read back from disk (the file must still exist)."""
        return iter(read_chunk(self.path, self.newline))


class RemainderSpool:
    """Appends codes to numbered chunk files ``codes-000001.txt``, … in ``workspace``."""

    def __init__(
        self, workspace: Workspace, *, max_codes: int, max_bytes: int, newline: str
    ) -> None:
        self._workspace = workspace
        self._max_codes = max_codes
        self._max_bytes = max_bytes
        self._newline = newline
        self._chunks: list[CodeFile] = []
        self._file: IO[bytes] | None = None
        self._path = Path()
        self._sha = hashlib.sha256()
        self._buffer: list[str] = []
        self._count = self._bytes = 0
        self._first = self._last = ""

    def write(self, code: str) -> None:
        """Append ``code`` (ASCII, checked by the rules, so characters are bytes)."""
        size = len(code)
        if self._count:
            size += len(self._newline)
            if self._count >= self._max_codes or self._bytes + size > self._max_bytes:
                self._close_chunk()
                size = len(code)
        if not self._count:
            self._first = code
        self._buffer.append(code)
        self._count += 1
        self._bytes += size
        if len(self._buffer) >= _FLUSH_EVERY:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        text = self._newline.join(self._buffer)
        if self._file is None:
            self._path = self._workspace.path / f"codes-{len(self._chunks) + 1:06d}.txt"
            self._file = open(self._path, "wb")  # noqa: SIM115 - closed in _close_chunk()
        else:
            text = self._newline + text
        data = text.encode("ascii")
        self._sha.update(data)
        self._file.write(data)
        self._last = self._buffer[-1]
        self._buffer.clear()

    def _close_chunk(self) -> None:
        self._flush()
        if self._file is None:
            return
        self._file.close()
        self._file = None
        self._chunks.append(
            CodeFile(
                self._path,
                self._count,
                self._bytes,
                self._sha.hexdigest(),
                self._first,
                self._last,
                self._newline,
                workspace=self._workspace,
            )
        )
        self._sha = hashlib.sha256()
        self._count = self._bytes = 0

    def codes(self) -> Iterator[str]:
        """Every code written so far, in order, read back from disk (a chunk at a time)."""
        self._flush()
        paths = [chunk.path for chunk in self._chunks]
        if self._file is not None:
            self._file.flush()
            paths.append(self._path)
        for path in paths:
            yield from read_chunk(path, self._newline)

    def close(self) -> list[CodeFile]:
        """Close the open chunk and return every chunk, in order."""
        self._close_chunk()
        return list(self._chunks)

    def discard(self) -> None:
        """Close without keeping anything (the files go with the workspace)."""
        if self._file is not None:
            self._file.close()
            self._file = None
