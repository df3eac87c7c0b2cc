"""Batch inputs: CSV and JSONL files of unit registrations, read row by row.

Both readers take UTF-8 with or without a byte-order mark (Excel writes one) and, when a file is
not UTF-8 but valid GB18030 (Excel on Chinese Windows), read it as GB18030 and say so through
``on_notice``; ``encoding=`` names another codec.  They use the document's wire names as column
names or keys, and coerce integer columns.  Columns or keys that are not 309's (a ``备注``
remarks column, say) are ignored with a notice naming them, or refused with
``strict_columns=True``.  A row that cannot
become a :class:`UnitRegistration` is not an exception: it is yielded as a
:class:`SourceRow` with a ``problem``, so that the whole file is checked and every bad row is
reported with its number.  A file whose header is wrong (a missing required column, a
password column) is refused as a whole with :class:`InputFormatError`.

Row numbers are those a spreadsheet shows: in a CSV the header is row 1 and the first unit row
2; in JSONL the row is the line number.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Final, Literal, TypedDict, Unpack

import attrs

from .._denylist import is_secret_name
from .._errors import IdcodeError
from .._text_input import AUTO, TextDecodeError, decode_text
from .records import FIELDS, INT_FIELDS, REQUIRED_FIELDS, UnitRegistration

__all__ = [
    "InputFormatError",
    "ReadOptions",
    "SourceRow",
    "read_units",
    "read_units_csv",
    "read_units_jsonl",
    "registration_from_mapping",
]

_INTEGER: Final = re.compile(r"[+-]?\d+")


class InputFormatError(IdcodeError, ValueError):
    """The input file as a whole cannot be read as unit registrations."""


@attrs.frozen
class SourceRow:
    """A row of the input: its number and either the record or why there is none."""

    row: int
    record: UnitRegistration | None
    problem: str | None = None


Source = str | os.PathLike[str] | IO[bytes]
"""A file name, or an open binary stream (standard input, say)."""
Notice = Callable[[str], None]
"""Where the readers tell what they did on the user's behalf (encoding guessed, columns
ignored): one line each."""


class ReadOptions(TypedDict, total=False):
    """What every reader takes (see the module docstring): ``encoding`` (default: UTF-8, else
    GB18030), ``strict_columns`` (refuse columns that are not 309's rather than ignore them),
    ``on_notice``."""

    encoding: str
    strict_columns: bool
    on_notice: Notice | None


def read_units(
    source: Source,
    *,
    kind: Literal["csv", "jsonl"] | None = None,
    **options: Unpack[ReadOptions],
) -> Iterator[SourceRow]:
    """Read ``.csv`` or ``.jsonl``/``.ndjson`` by the file's suffix (or ``kind``).

    A stream without ``kind`` is JSON Lines when its first non-blank byte is ``{``.
    """
    if kind is None and not isinstance(source, str | os.PathLike):
        raw = source.read()
        kind = "jsonl" if raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "csv"
        source = io.BytesIO(raw)
    if kind is None:
        suffix = Path(source).suffix.lower()  # type: ignore[arg-type]
        kind = "csv" if suffix == ".csv" else "jsonl" if suffix in {".jsonl", ".ndjson"} else None
    if kind == "csv":
        return read_units_csv(source, **options)
    if kind == "jsonl":
        return read_units_jsonl(source, **options)
    raise InputFormatError(f"{source}: expected a .csv or .jsonl file")


def read_units_csv(source: Source, **options: Unpack[ReadOptions]) -> Iterator[SourceRow]:
    """The rows of a CSV file whose header row names 309's parameters."""
    on_notice = options.get("on_notice")
    where, raw = _load(source)
    text = _decode(raw, where, options.get("encoding", AUTO), on_notice)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return
    columns = [name.strip() for name in header]
    _check_columns(where, columns, strict=options.get("strict_columns", False), on_notice=on_notice)
    row = 1
    try:
        for row, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(columns):
                problem = f"has {len(cells)} cells; the header has {len(columns)} columns"
                yield SourceRow(row, None, problem)
                continue
            yield _source_row(row, dict(zip(columns, cells, strict=True)))
    except csv.Error as exc:
        raise InputFormatError(f"{where}: row {row + 1}: {exc}") from exc


def read_units_jsonl(source: Source, **options: Unpack[ReadOptions]) -> Iterator[SourceRow]:
    """The rows of a JSON Lines file: one JSON object per line, keys = 309's parameters."""
    encoding = options.get("encoding", AUTO)
    on_notice = options.get("on_notice")
    where, raw = _load(source)
    # Lines end at "\n" only: ``str.splitlines`` would also split at U+2028 and the like, which
    # JSON allows unescaped inside a string, and cut one row in two.
    try:
        lines: list[str | None] = list(_decode(raw, where, encoding, on_notice).split("\n"))
    except InputFormatError:
        if encoding != AUTO:
            raise
        # Neither UTF-8 nor GB18030 as a whole: each line on its own, a bad one is a bad row.
        lines = [_utf8_or_none(line, first=n == 0) for n, line in enumerate(raw.split(b"\n"))]
    ignored: set[str] = set()
    for row, line in enumerate(lines, start=1):
        if line is None:
            yield SourceRow(row, None, "is not UTF-8 text")
            continue
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield SourceRow(row, None, f"is not valid JSON ({exc.msg})")
            continue
        except RecursionError:  # "[[[[…" past the decoder's depth: no row either
            yield SourceRow(row, None, "is not valid JSON (nested too deeply)")
            continue
        if not isinstance(value, dict):
            yield SourceRow(row, None, "is not a JSON object")
            continue
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            # JSON may escape a lone surrogate ("\\ud800"): valid JSON, but no text; it
            # could be neither hashed into the row's key nor journaled nor reported.
            yield SourceRow(row, None, "holds a \\u escape that is no Unicode character")
            continue
        unknown = _unknown(f"{where}: row {row} key", list(value))
        if unknown and options.get("strict_columns", False):
            yield SourceRow(row, None, f"has unknown keys: {', '.join(unknown)}")
            continue
        if on_notice is not None and not ignored.issuperset(unknown):
            on_notice(f"{where}: ignoring key(s) that are not 309's: {', '.join(unknown)}")
        ignored.update(unknown)
        yield _source_row(row, value)


def _load(source: Source) -> tuple[str, bytes]:
    """Where the rows come from (for messages) and their bytes."""
    if isinstance(source, str | os.PathLike):
        return os.fspath(source), Path(source).read_bytes()
    return str(getattr(source, "name", "<stream>")), source.read()


def _utf8_or_none(line: bytes, *, first: bool) -> str | None:
    try:
        return line.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError:
        return None


def _decode(raw: bytes, where: str, encoding: str, on_notice: Notice | None) -> str:
    try:
        decoded = decode_text(raw, encoding)
    except TextDecodeError as exc:
        hint = "; --encoding names the file's encoding" if encoding == AUTO else ""
        raise InputFormatError(f"{where}: {exc}{hint}") from None
    except ValueError as exc:
        raise InputFormatError(str(exc)) from None
    if decoded.notice is not None and on_notice is not None:
        on_notice(f"{where}: {decoded.notice}")
    return decoded.text


def registration_from_mapping(values: Mapping[str, Any]) -> UnitRegistration:
    """A record from wire-named values; raises ``ValueError`` naming the first bad field."""
    fields = {name: _coerce(name, values.get(name)) for name in FIELDS}
    missing = [name for name in FIELDS if name in REQUIRED_FIELDS and fields[name] is None]
    if missing:
        raise ValueError(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required")
    return UnitRegistration(**{name: value for name, value in fields.items() if value is not None})


def _source_row(row: int, values: Mapping[str, Any]) -> SourceRow:
    try:
        return SourceRow(row, registration_from_mapping(values))
    except ValueError as exc:
        return SourceRow(row, None, str(exc))


def _coerce(name: str, value: Any) -> Any:
    """Cell or JSON value → the record's type; ``None`` for empty; ``ValueError`` otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{name} must be text or an integer, got {json.dumps(value)[:40]}")
    if name in INT_FIELDS:
        if isinstance(value, int):
            return value
        if not _INTEGER.fullmatch(value.strip()):
            raise ValueError(f"{name} must be an integer, got {value.strip()[:40]!r}")
        return int(value)
    # Licence and phone numbers sometimes arrive as JSON numbers; as text they are the same.
    return str(value) if isinstance(value, int) else value


def _check_columns(
    where: str, columns: list[str], *, strict: bool, on_notice: Notice | None
) -> None:
    unknown = _unknown(f"{where}: column", columns)
    if unknown and strict:
        raise InputFormatError(
            f"{where}: unknown column(s) {', '.join(unknown)}; columns are 309's parameter "
            f"names: {', '.join(FIELDS)}"
        )
    if unknown and on_notice is not None:
        on_notice(f"{where}: ignoring column(s) that are not 309's: {', '.join(unknown)}")
    duplicated = sorted({name for name in columns if columns.count(name) > 1})
    if duplicated:
        raise InputFormatError(f"{where}: column(s) {', '.join(duplicated)} appear twice")
    missing = sorted(REQUIRED_FIELDS - set(columns))
    if missing:
        raise InputFormatError(f"{where}: required column(s) missing: {', '.join(missing)}")


def _unknown(where: str, names: list[str]) -> list[str]:
    """The names that are not 309's; a credential's name refuses the whole file (309 takes no
    password or credential, and the batch never stores one)."""
    secret = sorted(name for name in names if is_secret_name(name))
    if secret:
        raise InputFormatError(
            f"{where} {', '.join(secret)}: 309 takes no password or credential, and the batch "
            "never stores one; remove it"
        )
    return sorted(name for name in names if name not in FIELDS)
