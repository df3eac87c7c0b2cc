"""File parameters (304 ``file1``, 305 ``unit_logo``, 5011 ``code_file``): what is accepted.

Accepted are raw ``bytes``, the path of a *regular* file, and a readable binary stream.  Every
thing else is a :class:`ValidationError` before anything is sent, because each of the other
kinds breaks the client in its own way: a FIFO blocks the event loop on open, a device such as
``/dev/zero`` streams without end, a text-mode file yields ``str`` inside the multipart body,
a name that is not UTF-8 cannot go in the part header, and a stream that cannot be measured
slips past the document's size limits (304/305: 5 MB) and cannot be re-sent on a retry.

Nothing here blocks: a path is checked with ``stat`` before it is opened (and the open file
again with ``fstat``), a stream backed by a descriptor must be a regular file, and a stream
without one that cannot seek is read into memory, at most its limit plus one byte, before the
request is built.
"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path
from typing import IO, Any, Final

from ._validators import text_problem
from ._wire import UploadFile

__all__ = ["UNMEASURED_STREAM_MAX_BYTES", "FileRefusedError", "file_shape_problem", "open_file"]

UNMEASURED_STREAM_MAX_BYTES: Final = 64 * 1024 * 1024
"""Where the document sets no size limit (5011), a stream that cannot seek is read into memory
up to this size; a larger upload should be given as a path or a seekable file."""

_KINDS: Final = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


class FileRefusedError(Exception):
    """Why a file parameter is refused; the spec turns it into a ValidationError."""


def _kind(mode: int) -> str | None:
    """What a non-regular file is, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def _path_problem(path: object) -> str | None:
    if not isinstance(path, str):
        return f"must be a text path, got {type(path).__name__}"
    if "\x00" in path:
        return "is a path with a NUL character"
    if not path:
        return "is an empty path"
    return _name_problem(os.path.basename(path))


def _name_problem(name: str) -> str | None:
    problem = text_problem(name)
    if problem is not None:
        return f"has a file name that is not UTF-8 text ({problem}); rename the file"
    return None


def file_shape_problem(value: Any) -> str | None:
    """Checks that need no I/O, run when the spec is built: path text, stream mode and state."""
    if isinstance(value, bytes):
        return None
    if isinstance(value, str | os.PathLike):
        return _path_problem(os.fspath(value))
    return _stream_problem(value)


def _stream_problem(stream: Any) -> str | None:
    if isinstance(stream, io.TextIOBase):
        return "is a text-mode file: open it with mode 'rb'"
    mode = getattr(stream, "mode", None)
    if isinstance(mode, str) and "b" not in mode and "r" in mode:
        return f"is a text-mode file (mode {mode!r}): open it with mode 'rb'"
    if getattr(stream, "closed", False) is True:
        return "is a closed file"
    readable = getattr(stream, "readable", None)
    if callable(readable):
        try:
            if not readable():
                return "is a stream that is not readable"
        except (OSError, ValueError):
            return "is a stream that is not readable"
    name = getattr(stream, "name", None)
    if isinstance(name, str):
        return _name_problem(os.path.basename(name))
    return None


def open_file(value: Any, default_name: str, max_bytes: int | None) -> UploadFile:
    """The file parameter ready for multipart, measured; raises :class:`FileRefusedError`."""
    problem = file_shape_problem(value)
    if problem is not None:
        raise FileRefusedError(problem)
    if isinstance(value, bytes):
        return _checked(UploadFile(default_name, value, len(value)), max_bytes)
    if isinstance(value, str | os.PathLike):
        return _checked(_open_path(os.fspath(value)), max_bytes)
    return _checked(_open_stream(value, default_name, max_bytes), max_bytes)


def _checked(upload: UploadFile, max_bytes: int | None) -> UploadFile:
    if max_bytes is not None and upload.size > max_bytes:
        if upload.owned and not isinstance(upload.content, bytes):
            upload.content.close()
        raise FileRefusedError(f"is {upload.size} bytes; the document allows at most {max_bytes}")
    return upload


def _open_path(path: str) -> UploadFile:
    """Open a regular file; anything else is refused by ``stat`` before it is opened.

    The open descriptor is checked again, so a path swapped for something else between the
    two calls is refused too (only a swap to a FIFO inside that window could still make the
    open wait for a writer).
    """
    try:
        kind = _kind(os.stat(path).st_mode)
        if kind is not None:
            raise FileRefusedError(f"is {kind}, not a regular file")
        stream = Path(path).open("rb")  # noqa: SIM115 - closed by WireParams.close()
    except OSError as exc:
        raise FileRefusedError(f"cannot be read: {exc.strerror or type(exc).__name__}") from None
    try:
        info = os.fstat(stream.fileno())
        kind = _kind(info.st_mode)
        if kind is not None:
            raise FileRefusedError(f"is {kind}, not a regular file")
    except BaseException:
        stream.close()
        raise
    return UploadFile(os.path.basename(path), stream, info.st_size, owned=True)


def _descriptor(stream: Any) -> int | None:
    fileno = getattr(stream, "fileno", None)
    if not callable(fileno):
        return None
    try:
        fd = fileno()
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return None
    return fd if isinstance(fd, int) else None


def _open_stream(stream: Any, default_name: str, max_bytes: int | None) -> UploadFile:
    name = getattr(stream, "name", None)
    filename = os.path.basename(name) if isinstance(name, str) and name else default_name
    fd = _descriptor(stream)
    try:
        if fd is not None:
            kind = _kind(os.fstat(fd).st_mode)
            if kind is not None:
                raise FileRefusedError(
                    f"is a stream on {kind}: reading it could block or never end; "
                    "pass bytes, a regular file or a path"
                )
        if _first_bytes_problem(stream):
            raise FileRefusedError("is a stream that does not return bytes: open it with mode 'rb'")
        if _seekable(stream):
            # measured whole, from its start, wherever it stands: that is what goes out (the
            # multipart encoder seeks to 0), so a stream left at its end by an earlier call is
            # sent whole again and a large file cannot pass a size limit by being half read
            return UploadFile(filename, stream, stream.seek(0, os.SEEK_END))
        data = _read_bounded(stream, max_bytes)
        return UploadFile(filename, data, len(data))
    except (OSError, ValueError) as exc:
        raise FileRefusedError(f"cannot be read: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    strerror = getattr(exc, "strerror", None)
    return strerror if isinstance(strerror, str) else type(exc).__name__


def _seekable(stream: Any) -> bool:
    seekable = getattr(stream, "seekable", None)
    return bool(seekable()) if callable(seekable) else False


def _first_bytes_problem(stream: IO[bytes]) -> bool:
    """Whether a stream yields text: a zero-byte read tells, without consuming anything.

    The io module's binary classes are known to yield bytes and are not probed.
    """
    if isinstance(stream, io.BufferedIOBase | io.RawIOBase):
        return False
    return not isinstance(stream.read(0), bytes)


def _read_bounded(stream: IO[bytes], max_bytes: int | None) -> bytes:
    """Read a stream that cannot seek, at most one byte past its limit, into memory."""
    limit = UNMEASURED_STREAM_MAX_BYTES if max_bytes is None else max_bytes
    chunks: list[bytes] = []
    remaining = limit + 1
    while remaining > 0:
        chunk = stream.read(min(remaining, 1 << 20))
        if not isinstance(chunk, bytes):
            raise FileRefusedError("is a stream that does not return bytes: open it with mode 'rb'")
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    data = b"".join(chunks)
    if len(data) <= limit:
        return data
    if max_bytes is not None:
        raise FileRefusedError(
            f"holds more than {limit} bytes; the document allows at most {limit}"
        )
    raise FileRefusedError(
        f"is a stream that cannot seek and holds more than {limit} bytes, the most read "
        "into memory: pass a path or a seekable file"
    )
