"""What one request carries before signing: text parameters, files, and 402's JSON envelope.

Specs turn themselves into a :class:`WireParams`; the auth hook adds ``access_token``,
``time`` and ``hash`` and encodes it.  Keeping this value separate from ``httpx.Request``
lets every attempt be re-signed from the same unsigned parameters.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import IO, Any, TypeAlias

import attrs

from ._denylist import is_secret_name

__all__ = ["FileInput", "UploadFile", "WireParams"]

FileInput: TypeAlias = bytes | str | os.PathLike[str] | IO[bytes]
"""A file parameter: raw bytes, a path, or an open binary file (streamed, not read whole)."""


def _content_repr(content: bytes | IO[bytes]) -> str:
    """File contents show by size in every repr, never byte by byte."""
    return f"<{len(content)} bytes>" if isinstance(content, bytes) else repr(content)


@attrs.frozen
class UploadFile:
    """A file parameter ready for multipart: its file name and its content or stream."""

    filename: str
    content: bytes | IO[bytes] = attrs.field(repr=_content_repr)
    size: int
    owned: bool = False
    """True when the SDK opened the file from a path and must close it."""

    def rewind(self) -> None:
        """Seek a stream back to its start so that a retried attempt sends it whole."""
        if not isinstance(self.content, bytes) and self.content.seekable():
            self.content.seek(0)


def _masked(value: Any) -> Any:
    """``value`` with the value of every secret-named key replaced by ``'***'``, at any depth."""
    if isinstance(value, Mapping):
        return {k: "***" if is_secret_name(str(k)) else _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


@attrs.frozen(repr=False)
class WireParams:
    """Unsigned request content.

    ``fields`` are text parameters by wire name (already stringified); ``files`` the file
    parameters; ``json_envelope`` is set only for 402, whose parameters travel as one
    ``json_str`` with the access token inside it (seed 402).

    It rides on every request's extensions, where debuggers, test doubles and error reports
    show it: its ``repr`` masks every credential and password by name.
    """

    fields: Mapping[str, str]
    files: Mapping[str, UploadFile] = attrs.field(factory=dict)
    json_envelope: Mapping[str, Any] | None = None

    def __repr__(self) -> str:
        return (
            f"WireParams(fields={_masked(self.fields)!r}, files={dict(self.files)!r}, "
            f"json_envelope={_masked(self.json_envelope)!r})"
        )

    def close(self) -> None:
        """Close the file handles this request opened from paths."""
        if not self.files:  # most requests carry no file: no loop to start
            return
        for upload in self.files.values():
            if upload.owned and not isinstance(upload.content, bytes):
                upload.content.close()
