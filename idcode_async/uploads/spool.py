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
from typing import IO

import attrs

__all__ = ["RemainderSpool", "SpooledChunk", "Workspace", "read_chunk"]

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

    @property
    def created(self) -> bool:
        return self._path is not None

    def cleanup(self) -> None:
        if self._finalizer is not None:
            self._finalizer()


@attrs.frozen
class SpooledChunk:
    """One closed chunk file: what a 5011 request needs and what a manifest records."""

    path: Path
    count: int
    size: int
    sha256: str
    first_code: str
    last_code: str


class RemainderSpool:
    """Appends codes to numbered chunk files ``codes-000001.txt``, … in ``workspace``."""

    def __init__(
        self, workspace: Workspace, *, max_codes: int, max_bytes: int, newline: str
    ) -> None:
        self._workspace = workspace
        self._max_codes = max_codes
        self._max_bytes = max_bytes
        self._newline = newline
        self._chunks: list[SpooledChunk] = []
        self._file: IO[bytes] | None = None
        self._path: Path | None = None
        self._sha = hashlib.sha256()
        self._buffer: list[str] = []
        self._count = 0
        self._bytes = 0
        self._first = ""
        self._last = ""
        self.total = 0

    def write(self, code: str) -> None:
        """Append ``code`` (ASCII, checked by the rules, so characters are bytes)."""
        size = len(code)
        if self._count:
            if (
                self._count >= self._max_codes
                or self._bytes + len(self._newline) + size > self._max_bytes
            ):
                self._close_chunk()
            else:
                size += len(self._newline)
        if not self._count:
            self._first = code
        self._buffer.append(code)
        self._last = code
        self._count += 1
        self._bytes += size
        self.total += 1
        if len(self._buffer) >= _FLUSH_EVERY:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        if self._file is None:
            number = len(self._chunks) + 1
            self._path = self._workspace.path / f"codes-{number:06d}.txt"
            self._file = open(self._path, "wb")  # noqa: SIM115 - closed in _close_chunk()
            text = self._newline.join(self._buffer)
        else:
            text = self._newline + self._newline.join(self._buffer)
        data = text.encode("ascii")
        self._sha.update(data)
        self._file.write(data)
        self._buffer.clear()

    def _close_chunk(self) -> None:
        self._flush()
        if self._file is None or self._path is None:
            return
        self._file.close()
        self._chunks.append(
            SpooledChunk(
                path=self._path,
                count=self._count,
                size=self._bytes,
                sha256=self._sha.hexdigest(),
                first_code=self._first,
                last_code=self._last,
            )
        )
        self._file = None
        self._path = None
        self._sha = hashlib.sha256()
        self._count = 0
        self._bytes = 0

    def codes(self) -> Iterator[str]:
        """Every code written so far, in order, read back from disk (a chunk at a time)."""
        self._flush()
        if self._file is not None:
            self._file.flush()
        paths = [chunk.path for chunk in self._chunks]
        if self._path is not None:
            paths.append(self._path)
        for path in paths:
            yield from read_chunk(path, self._newline)

    def close(self) -> list[SpooledChunk]:
        """Close the open chunk and return every chunk, in order."""
        self._close_chunk()
        return list(self._chunks)

    def discard(self) -> None:
        """Close without keeping anything (the files go with the workspace)."""
        if self._file is not None:
            self._file.close()
            self._file = None
