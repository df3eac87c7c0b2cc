"""Batch unit registration (309): paced, resumable, exactly-once, with progress.

>>> from idcode_async.registration import register_units, read_units_csv, SqliteJournal
>>> summary = await register_units(client, read_units_csv("units.csv"), journal="run.db")
"""

from __future__ import annotations

from ..pacing import DEFAULT_MAX_INTERVAL, DEFAULT_MIN_INTERVAL, LocalPacer, Pacer
from .inputs import InputFormatError, SourceRow, read_units, read_units_csv, read_units_jsonl
from .journal import (
    Journal,
    JournalEntry,
    JournalError,
    JournalLockedError,
    RowState,
    SqliteJournal,
)
from .outcomes import (
    BatchSummary,
    CsvResultsWriter,
    JsonlResultsWriter,
    Progress,
    ResultsWriter,
    RowOutcome,
    Status,
    open_results,
)
from .records import UnitRegistration
from .runner import BatchAbortedError, register_units
from .validation import PreflightError

__all__ = [
    "DEFAULT_MAX_INTERVAL",
    "DEFAULT_MIN_INTERVAL",
    "BatchAbortedError",
    "BatchSummary",
    "CsvResultsWriter",
    "InputFormatError",
    "Journal",
    "JournalEntry",
    "JournalError",
    "JournalLockedError",
    "JsonlResultsWriter",
    "LocalPacer",
    "Pacer",
    "PreflightError",
    "Progress",
    "ResultsWriter",
    "RowOutcome",
    "RowState",
    "SourceRow",
    "SqliteJournal",
    "Status",
    "UnitRegistration",
    "open_results",
    "read_units",
    "read_units_csv",
    "read_units_jsonl",
    "register_units",
]
