"""Batch inputs: CSV and JSONL files of unit registrations, read row by row.

Both readers take UTF-8 with or without a byte-order mark (Excel writes one), use the
document's wire names as column names or keys, and coerce integer columns.  A row that cannot
become a :class:`UnitRegistration` is not an exception: it is yielded as a
:class:`SourceRow` with a ``problem``, so that the whole file is checked and every bad row is
reported with its number.  A file whose header is wrong (an unknown column, a missing
required one, a password column) is refused as a whole with :class:`InputFormatError`.

Row numbers are those a spreadsheet shows: in a CSV the header is row 1 and the first unit row
2; in JSONL the row is the line number.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import attrs

from .._denylist import is_secret_name
from .._errors import IdcodeError
from .records import FIELDS, INT_FIELDS, REQUIRED_FIELDS, UnitRegistration

__all__ = [
    "InputFormatError",
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


def read_units(path: str | os.PathLike[str]) -> Iterator[SourceRow]:
    """Read ``.csv`` or ``.jsonl``/``.ndjson`` by the file's suffix."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return read_units_csv(path)
    if suffix in {".jsonl", ".ndjson"}:
        return read_units_jsonl(path)
    raise InputFormatError(f"{os.fspath(path)}: expected a .csv or .jsonl file")


def read_units_csv(path: str | os.PathLike[str]) -> Iterator[SourceRow]:
    """The rows of a CSV file whose header row names 309's parameters."""
    where = os.fspath(path)
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputFormatError(f"{where}: line {line} is not UTF-8 text ({exc.reason})") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    columns = [name.strip() for name in header]
    _check_columns(where, columns)
    row = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputFormatError(f"{where}: row {row + 1}: {exc}") from exc
        row += 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            yield SourceRow(
                row, None, f"has {len(cells)} cells; the header has {len(columns)} columns"
            )
            continue
        yield _source_row(row, dict(zip(columns, cells, strict=True)))


def read_units_jsonl(path: str | os.PathLike[str]) -> Iterator[SourceRow]:
    """The rows of a JSON Lines file: one JSON object per line, keys = 309's parameters."""
    with open(path, "rb") as stream:
        for row, raw in enumerate(stream, start=1):
            if row == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield SourceRow(row, None, f"is not UTF-8 text ({exc.reason})")
                continue
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                yield SourceRow(row, None, f"is not valid JSON ({exc.msg})")
                continue
            if not isinstance(value, dict):
                yield SourceRow(row, None, "is not a JSON object")
                continue
            if not _encodable(value):
                # JSON may escape a lone surrogate ("\\ud800"): valid JSON, but no text; it
                # could be neither hashed into the row's key nor journaled nor reported.
                yield SourceRow(row, None, "holds a \\u escape that is no Unicode character")
                continue
            secret = sorted(key for key in value if is_secret_name(str(key)))
            if secret:
                raise InputFormatError(
                    f"{os.fspath(path)}: row {row} has {', '.join(secret)}: 309 takes no "
                    "password or credential, and the batch never stores one"
                )
            unknown = sorted(str(key) for key in value if key not in FIELDS)
            if unknown:
                yield SourceRow(row, None, f"has unknown keys: {', '.join(unknown)}")
                continue
            yield _source_row(row, value)


def _encodable(value: dict[Any, Any]) -> bool:
    """Whether every key and text value of a JSON object is encodable as UTF-8."""
    texts = [str(key) for key in value] + [item for item in value.values() if isinstance(item, str)]
    try:
        for text in texts:
            text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def registration_from_mapping(values: Mapping[str, Any]) -> UnitRegistration:
    """A record from wire-named values; raises ``ValueError`` naming the first bad field."""
    fields: dict[str, Any] = {}
    missing = []
    for name in FIELDS:
        value = _coerce(name, values.get(name))
        if value is None:
            if name in REQUIRED_FIELDS:
                missing.append(name)
            continue
        fields[name] = value
    if missing:
        raise ValueError(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required")
    return UnitRegistration(**fields)


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


def _check_columns(where: str, columns: list[str]) -> None:
    secret = sorted(name for name in columns if is_secret_name(name))
    if secret:
        raise InputFormatError(
            f"{where}: column {', '.join(secret)}: 309 takes no password or credential, and the "
            "batch never stores one; remove the column"
        )
    unknown = sorted(name for name in columns if name not in FIELDS)
    if unknown:
        raise InputFormatError(
            f"{where}: unknown column(s) {', '.join(unknown)}; columns are 309's parameter "
            f"names: {', '.join(FIELDS)}"
        )
    duplicated = sorted({name for name in columns if columns.count(name) > 1})
    if duplicated:
        raise InputFormatError(f"{where}: column(s) {', '.join(duplicated)} appear twice")
    missing = sorted(REQUIRED_FIELDS - set(columns))
    if missing:
        raise InputFormatError(f"{where}: required column(s) missing: {', '.join(missing)}")
