"""What a batch reports: each row's outcome, the run's summary, progress, results files.

Four outcomes, by what the operator must do next:

- ``registered``: the centre created the unit for this row (``organunit_idcode`` is its main
  code, ``login_name`` its user name; the default password is the licence number's last six
  characters and is never stored);
- ``existing``: the centre already had the unit name (10007) or user name (10008), so nothing
  was created; ``organunit_idcode`` is the existing unit's main code when 307 finds it;
- ``invalid``: the row breaks a documented rule and was never sent;
- ``failed``: the centre refused the row (``code``/``message``), or no answer could be had.

A :class:`Progress` snapshot's rate is measured over this run's recent completions (resumed
rows are not work done now), so the estimate follows the pacing actually achieved.

The results writers take outcomes as the runner produces them (``on_outcome=writer.write``), so
the file grows while the batch runs and an interrupted run still leaves what it did; a resumed
run writes every row again (``resumed``), so the last file is complete.  Records hold no
secret: the fields are those of :class:`RowOutcome`, checked against the denylist on every
write.
"""

from __future__ import annotations

import collections
import csv
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Final, Literal, Protocol, Self

import attrs

from .._denylist import check_no_secret_names
from .records import UnitRegistration

__all__ = [
    "OUTCOME_FIELDS",
    "ROW_COUNTS",
    "BatchSummary",
    "CsvResultsWriter",
    "JsonlResultsWriter",
    "Progress",
    "ProgressTracker",
    "ResultsWriter",
    "RowCounts",
    "RowOutcome",
    "Status",
    "describe_rows",
    "open_results",
]

Status = Literal["registered", "existing", "invalid", "failed"]


@attrs.frozen(kw_only=True)
class RowOutcome:
    """The outcome of one input row."""

    row: int
    """The row number in the input (a CSV's header is row 1; a JSONL row is its line)."""
    status: Status
    organunit_name: str | None
    login_name: str | None = None
    organunit_idcode: str | None = None
    code: int | None = None
    """The centre's result code of a refusal (``failed``/``existing``); ``None`` otherwise."""
    message: str | None = None
    """Why the row is ``invalid`` or ``failed``, or how an ``existing`` unit was found."""
    attempts: int = 0
    """309 submissions made for this row, over every run of the journal."""
    reconciled: bool = False
    """The outcome was established by a 307 lookup after an answer was lost."""
    resumed: bool = False
    """The outcome was recorded by an earlier run and read back from the journal."""
    key: str | None = None
    """The row's journal key (sha256 of the normalised record); ``None`` for unreadable rows."""

    @classmethod
    def invalid(cls, row: int, record: UnitRegistration | None, reason: str) -> RowOutcome:
        """A row the pre-flight check refused: never sent, never in the journal."""
        return cls(
            row=row,
            status="invalid",
            organunit_name=None if record is None else record.organunit_name,
            login_name=None if record is None else record.login_name,
            message=reason,
            key=None if record is None else record.key,
        )

    def as_record(self) -> dict[str, Any]:
        """A flat mapping for results (checked against the secrets denylist)."""
        record = attrs.asdict(self)
        check_no_secret_names(record, where="results")
        return record


OUTCOME_FIELDS: Final = tuple(field.name for field in attrs.fields(RowOutcome))


@attrs.frozen(kw_only=True)
class RowCounts:
    """The rows of a batch by outcome: what its progress and a shared run's counts both give."""

    total: int
    registered: int = 0
    existing: int = 0
    invalid: int = 0
    failed: int = 0


ROW_COUNTS: Final = tuple(f.name for f in attrs.fields(RowCounts) if f.name != "total")
"""The counts every report of a batch gives, in the order an operator reads them."""


def describe_rows(counts: Any) -> list[str]:
    """``"N rows"`` and :data:`ROW_COUNTS` of a summary, a progress or a shared run's counts."""
    return [f"{counts.total} rows", *(f"{getattr(counts, n)} {n}" for n in ROW_COUNTS)]


@attrs.frozen(kw_only=True)
class Progress(RowCounts):
    """A snapshot of a batch."""

    resumed: int = 0
    """Rows whose outcome an earlier run had recorded in the journal."""
    elapsed: float = 0.0
    rate: float | None = None
    """Rows settled per second by this run, over its recent completions."""
    eta: float | None = None
    """Seconds until every row has an outcome, at ``rate``."""

    @property
    def done(self) -> int:
        return self.registered + self.existing + self.invalid + self.failed

    @property
    def remaining(self) -> int:
        return self.total - self.done


class ProgressTracker:
    """Turns outcomes into :class:`Progress` snapshots (``clock`` in seconds, monotonic)."""

    def __init__(self, total: int, *, clock: Callable[[], float], window: int = 50) -> None:
        self.total = total
        self._clock = clock
        self._started = clock()
        self.counts = collections.Counter[str]()
        self.resumed = 0
        self._recent: collections.deque[float] = collections.deque([self._started], window + 1)

    def record(self, outcome: RowOutcome) -> None:
        self.counts[outcome.status] += 1
        if outcome.resumed:
            self.resumed += 1
        elif outcome.status != "invalid":
            self._recent.append(self._clock())

    def snapshot(self) -> Progress:
        now = self._clock()
        completions = len(self._recent) - 1
        span = now - self._recent[0]
        rate = completions / span if completions and span > 0 else None
        eta = (self.total - sum(self.counts.values())) / rate if rate else None
        return Progress(
            total=self.total,
            **{name: self.counts[name] for name in ROW_COUNTS},
            resumed=self.resumed,
            elapsed=now - self._started,
            rate=rate,
            eta=eta,
        )


@attrs.frozen(kw_only=True)
class BatchSummary(Progress):
    """A run's last :class:`Progress`, over every row of the input (earlier runs' outcomes
    included), with what this run sent."""

    submissions: int = 0
    """309 requests sent by this run."""
    reconciled: int = 0
    """Rows settled by a 307 lookup in this run after an answer was lost."""
    interrupted: bool = False
    dry_run: bool = False

    @property
    def pending(self) -> int:
        """Valid rows without an outcome yet: a dry run, an interrupted or aborted run."""
        return self.remaining

    @property
    def complete(self) -> bool:
        """Every valid row has an outcome that needs no further run."""
        return self.pending == 0 and self.failed == 0

    def describe(self, *, sent: bool = True) -> str:
        """One line for people; ``sent=False`` leaves out the submissions (some may never have
        reached an unreachable centre)."""
        parts = describe_rows(self)
        if self.pending:
            parts.append(f"{self.pending} pending")
        if self.resumed:
            parts.append(f"{self.resumed} from earlier runs")
        if sent:
            parts.append(f"{self.submissions} submissions")
        return f"{', '.join(parts)} in {self.elapsed:.1f} s"


class ResultsWriter(Protocol):
    def write(self, outcome: RowOutcome) -> None: ...

    def close(self) -> None: ...


class _FileWriter:
    encoding = "utf-8"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._stream: IO[str] = open(self.path, "w", encoding=self.encoding, newline="")  # noqa: SIM115

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stream.close()

    def write(self, outcome: RowOutcome) -> None:
        self._write(outcome.as_record())
        # Each line is handed to the OS at once, so a killed run leaves whole lines behind.
        self._stream.flush()

    def _write(self, record: dict[str, Any]) -> None:
        raise NotImplementedError


class JsonlResultsWriter(_FileWriter):
    """One JSON object per row (UTF-8, Chinese kept as text)."""

    def _write(self, record: dict[str, Any]) -> None:
        self._stream.write(json.dumps(record, ensure_ascii=False) + "\n")


class CsvResultsWriter(_FileWriter):
    """A CSV with a header row, UTF-8 with a byte-order mark so that Excel reads Chinese.

    Safe to open in a spreadsheet: a text cell that begins with ``=``, ``+``, ``-``, ``@``, a
    tab or a carriage return would be run as a formula (a unit named ``=HYPERLINK(…)``), so it
    is written with a leading ``'``, which Excel shows as text (OWASP "CSV injection").
    """

    encoding = "utf-8-sig"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path)
        self._writer = csv.DictWriter(self._stream, fieldnames=OUTCOME_FIELDS)
        self._writer.writeheader()

    def _write(self, record: dict[str, Any]) -> None:
        self._writer.writerow({k: _cell(v) for k, v in record.items()})


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
