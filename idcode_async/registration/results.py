"""Results files: one line per input row with its outcome, as JSON Lines or CSV.

The writers take :class:`RowOutcome` values as the runner produces them (pass
``on_outcome=writer.write``), so the file grows while the batch runs and an interrupted run
still leaves what it did.  A resumed run writes every row again, earlier runs' outcomes
included (``resumed``), so the last file is complete.  Records hold no secret: the fields are
those of :class:`RowOutcome`, checked against the denylist on every write.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import IO, Any, Protocol

from .outcomes import OUTCOME_FIELDS, RowOutcome

__all__ = ["CsvResultsWriter", "JsonlResultsWriter", "ResultsWriter", "open_results"]


class ResultsWriter(Protocol):
    def write(self, outcome: RowOutcome) -> None: ...

    def close(self) -> None: ...


class _FileWriter:
    def __init__(self, path: str | os.PathLike[str], *, encoding: str = "utf-8") -> None:
        self.path = Path(path)
        self._stream: IO[str] = open(self.path, "w", encoding=encoding, newline="")  # noqa: SIM115

    def __enter__(self) -> _FileWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stream.close()

    def _flush(self) -> None:
        # Each line is handed to the OS at once, so a killed run leaves whole lines behind.
        self._stream.flush()


class JsonlResultsWriter(_FileWriter):
    """One JSON object per row (UTF-8, Chinese kept as text)."""

    def write(self, outcome: RowOutcome) -> None:
        self._stream.write(json.dumps(outcome.as_record(), ensure_ascii=False) + "\n")
        self._flush()


class CsvResultsWriter(_FileWriter):
    """A CSV with a header row, UTF-8 with a byte-order mark so that Excel reads Chinese.

    Safe to open in a spreadsheet: a text cell that begins with ``=``, ``+``, ``-``, ``@``, a
    tab or a carriage return would be run as a formula (a unit named ``=HYPERLINK(…)``), so it
    is written with a leading ``'``, which Excel shows as text (OWASP "CSV injection").
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path, encoding="utf-8-sig")
        self._writer = csv.DictWriter(self._stream, fieldnames=OUTCOME_FIELDS)
        self._writer.writeheader()

    def write(self, outcome: RowOutcome) -> None:
        self._writer.writerow({k: _cell(v) for k, v in outcome.as_record().items()})
        self._flush()


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def open_results(path: str | os.PathLike[str]) -> JsonlResultsWriter | CsvResultsWriter:
    """A writer chosen by the file's suffix: ``.csv`` → CSV, anything else → JSON Lines."""
    if Path(path).suffix.lower() == ".csv":
        return CsvResultsWriter(path)
    return JsonlResultsWriter(path)
