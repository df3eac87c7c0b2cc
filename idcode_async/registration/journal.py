"""The durable journal of a batch: what was about to be sent, and what came of it.

A row's *intent* is committed **before** its 309 request leaves and its *outcome* after the
answer, so a process killed at any point leaves each row in a state that says what is known:

======================  ==================================================================
``pending``             never sent, or sent and provably not acted on (busy, no connection)
``in_flight``           intent recorded; the request may or may not have reached the centre
``unknown``             sent, but the answer was lost (read timeout, dropped connection, 5xx)
``done``                outcome recorded: ``registered``, ``existing`` or ``failed``
======================  ==================================================================

A resumed run skips ``done`` rows and settles ``in_flight``/``unknown`` ones with a 307 lookup
before any resend (:func:`~.runner.find_unit`).  Storage, lock and durability are the SQLite
store's (:mod:`idcode_async.durable.sqlite`).  Stored: the row key, row number, unit and user
names, state, outcome, main code, result code and message, and an append-only event log; never
the access token, the authorisation code or any password (:mod:`idcode_async._denylist`), and
not the other registration fields (phone, e-mail, logo), which resuming does not need.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import ClassVar

import attrs

from ..durable.sqlite import SqliteStore
from ..durable.store import Entry, Store, StoreError, StoreLockedError
from .outcomes import OUTCOME_FIELDS, RowOutcome, Status
from .records import UnitRegistration

__all__ = [
    "Journal",
    "JournalEntry",
    "JournalError",
    "JournalLockedError",
    "RowState",
    "SqliteJournal",
    "journal_data",
]


class JournalError(StoreError):
    """The journal cannot be used for this run."""


class JournalLockedError(JournalError, StoreLockedError):
    """Another run holds the journal."""


class RowState(enum.StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    UNKNOWN = "unknown"
    DONE = "done"


@attrs.frozen(kw_only=True)
class JournalEntry(Entry):
    """One row's line in the journal (``attempts``: its 309 requests, over every run): enough
    of its record to report and to resume, no secret."""

    row: int
    """The row's number in the input it was last entered from."""
    organunit_name: str
    name_key: str
    """The unit name as the centre's uniqueness rule (10007) sees it: white space collapsed."""
    login_name: str
    state: RowState
    outcome: Status | None = None
    organunit_idcode: str | None = None
    """The unit's main code, from 309's answer or from 307."""
    code: int | None = None

    @property
    def settled(self) -> bool:
        return self.state is RowState.DONE

    def as_outcome(
        self, *, row: int | None = None, resumed: bool = False, why: str | None = None
    ) -> RowOutcome:
        """The row's outcome as this entry records it (at ``row``, its place in this input, if
        given); a row not settled yet is ``failed`` for now, saying ``why`` (default: its
        state) and what the next run does with it.  Lives here, not on :class:`RowOutcome`, so
        that outcomes need not know journals."""
        fields = attrs.asdict(self, recurse=False, filter=lambda a, _: a.name in OUTCOME_FIELDS)
        fields |= {"row": self.row if row is None else row, "resumed": resumed}
        if self.settled and self.outcome is not None:
            return RowOutcome(**fields, status=self.outcome)
        then = (
            "it may have reached the centre: the next run settles it with 307 first"
            if self.maybe_sent
            else "nothing was registered: the next run sends it"
        )
        fields |= {"organunit_idcode": None, "code": None, "reconciled": False}
        text = f"{why or f'not settled ({self.state})'}; {then}"
        return RowOutcome(**fields | {"message": text}, status="failed")


Journal = Store[JournalEntry]
"""The store a batch runs on: :class:`SqliteJournal`, or the shared ``RedisJournal``."""


class SqliteJournal(SqliteStore[JournalEntry]):
    """The journal in one SQLite file (WAL, ``synchronous=FULL``); a context manager, or call
    :meth:`close`."""

    kind = "journal"
    item_word = "row"
    entry_type = JournalEntry
    outcomes = ("registered", "existing", "failed")
    receipt_field = "organunit_idcode"
    renames: ClassVar[Mapping[str, str]] = {"seq": "row"}
    error = JournalError
    locked_error = JournalLockedError
    mismatch_error = JournalError

    def _state(self, state: str, outcome: str | None) -> RowState:
        return RowState.IN_FLIGHT if state == "intent" else RowState(state)


def journal_data(record: UnitRegistration) -> dict[str, str]:
    """A row's item data as the journal stores it."""
    return {name: getattr(record, name) for name in ("organunit_name", "name_key", "login_name")}
