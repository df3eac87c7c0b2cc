"""Text of input files the way offices produce it: UTF-8 (with or without BOM) or GB18030.

Excel on Chinese Windows saves "CSV" in the ANSI code page, GBK, which GB18030 contains; other
tools write UTF-8, often with a byte-order mark.  Reading tries UTF-8 first: a GBK file of
Chinese text is practically never valid UTF-8 (its lead bytes 0x81-0xFE are followed by
bytes that UTF-8 forbids there), so the fallback does not misread a UTF-8 file.  The caller is
told which encoding was used when it was guessed, so the user sees it in one line.

Pure functions over bytes, so that every reader (CSV, JSONL, standard input) decodes alike.
"""

from __future__ import annotations

import codecs

import attrs

__all__ = ["AUTO", "DecodedText", "TextDecodeError", "decode_text"]

AUTO = "auto"
"""``encoding=AUTO``: UTF-8 (a BOM is dropped), else GB18030 when the bytes are valid GB18030."""


class TextDecodeError(ValueError):
    """The bytes are not text in the encoding asked for (or in UTF-8 nor GB18030)."""

    def __init__(self, line: int, encoding: str, reason: str) -> None:
        super().__init__(f"line {line} is not {encoding} text ({reason})")
        self.line = line
        self.encoding = encoding


@attrs.frozen
class DecodedText:
    """The text, the codec that read it, and a one-line notice when the codec was guessed."""

    text: str
    encoding: str
    notice: str | None = None


def decode_text(raw: bytes, encoding: str = AUTO) -> DecodedText:
    """Decode ``raw``; ``encoding`` is a codec name or :data:`AUTO` (the default)."""
    if encoding != AUTO:
        name = _codec_name(encoding)
        if name == "utf-8":
            name = "utf-8-sig"
        return DecodedText(_decode(raw, name, encoding), encoding)
    try:
        return DecodedText(raw.decode("utf-8-sig"), "utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise _error(raw, utf8_error, "UTF-8 (nor GB18030)") from None
    return DecodedText(
        text,
        "gb18030",
        "read as GB18030 (GBK), since the file is not UTF-8; --encoding chooses another",
    )


def _codec_name(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
        "".encode(name)  # refuses bytes-to-bytes codecs (hex, rot13) and "undefined"
        return name
    except (LookupError, UnicodeError):
        raise ValueError(f"unknown encoding {encoding!r}") from None


def _decode(raw: bytes, codec: str, label: str) -> str:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise _error(raw, exc, label) from None


def _error(raw: bytes, exc: UnicodeDecodeError, label: str) -> TextDecodeError:
    return TextDecodeError(raw.count(b"\n", 0, exc.start) + 1, label, exc.reason)
