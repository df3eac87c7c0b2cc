"""What happened to each row, and to the batch: the values the runner hands back.

Four outcomes, by what the operator must do next:

- ``registered``: the centre created the unit for this row (``organunit_idcode`` is its main
  code, ``login_name`` its user name; the default password is the licence number's last six
  characters and is never stored);
- ``existing``: the centre already had the unit name (10007) or user name (10008), so nothing
  was created; ``organunit_idcode`` is the existing unit's main code when 307 finds it;
- ``invalid``: the row breaks a documented rule and was never sent;
- ``failed``: the centre refused the row (``code``/``message``), or no answer could be had.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import attrs

from .._denylist import check_no_secret_names

__all__ = [
    "OUTCOME_FIELDS",
    "ROW_COUNTS",
    "BatchSummary",
    "RowCounts",
    "RowOutcome",
    "Status",
    "describe_rows",
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

    def as_record(self) -> dict[str, Any]:
        """A flat mapping for the results writers (checked against the secrets denylist)."""
        record = attrs.asdict(self)
        check_no_secret_names(record, where="results")
        return record


OUTCOME_FIELDS: Final = tuple(field.name for field in attrs.fields(RowOutcome))


@attrs.frozen(kw_only=True)
class RowCounts:
    """The rows of a batch by outcome: what its summary and its progress both count."""

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
class BatchSummary(RowCounts):
    """Counts of a run, over every row of the input (earlier runs' outcomes included)."""

    pending: int = 0
    """Valid rows without an outcome yet: a dry run, an interrupted or aborted run."""
    resumed: int = 0
    """Rows whose outcome an earlier run had recorded in the journal."""
    submissions: int = 0
    """309 requests sent by this run."""
    reconciled: int = 0
    """Rows settled by a 307 lookup in this run after an answer was lost."""
    elapsed: float = 0.0
    interrupted: bool = False
    dry_run: bool = False

    @property
    def complete(self) -> bool:
        """Every valid row has an outcome that needs no further run."""
        return self.pending == 0 and self.failed == 0

    def describe(self) -> str:
        """One line for people: the counts, in the order an operator reads them."""
        parts = describe_rows(self)
        if self.pending:
            parts.append(f"{self.pending} pending")
        if self.resumed:
            parts.append(f"{self.resumed} from earlier runs")
        parts.append(f"{self.submissions} submissions in {self.elapsed:.1f} s")
        return ", ".join(parts)
