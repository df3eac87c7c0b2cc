"""The durable journal of a batch: what was about to be sent, and what came of it.

Exactly-once registration rests on one ordering: a row's *intent* (state ``in_flight``) is
committed and fsynced **before** its 309 request leaves, and its *outcome* is committed after
the answer.  A process killed at any point therefore leaves each row in a state that says what
is known:

======================  ==================================================================
``pending``             never sent, or sent and provably not acted on (busy, no connection)
``in_flight``           intent recorded; the request may or may not have reached the centre
``unknown``             sent, but the answer was lost (read timeout, dropped connection, 5xx)
``done``                outcome recorded: ``registered``, ``existing`` or ``failed``
======================  ==================================================================

A resumed run skips ``done`` rows and settles ``in_flight``/``unknown`` ones with a 307 lookup
before any resend (:mod:`.reconcile`).

Storage is SQLite in WAL mode with ``synchronous=FULL``: each commit is on disk before it
returns, so no intent can be lost to a crash, and a reader (a progress monitor, a test) can look
at the file while a run writes it.  One run at a time may use a journal: a second one is
refused (an OS file lock, released by the kernel when the holder dies, even by SIGKILL).

What is stored: the row key, row number, unit name and user name, state, outcome, main code,
result code and message, and an append-only event log.  Never the access token, the
authorisation code or any password (:mod:`idcode_async._denylist`); the other registration
fields (phone, e-mail, logo) are not needed to resume and are not stored either.
"""

from __future__ import annotations

import enum
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final, Protocol, cast

import attrs

from .._logging import redact
from ..durable.sqlite import SqliteStore, Synchronous, clean_message
from ..durable.store import StoreError, StoreEvent, StoreLockedError
from .outcomes import Status

__all__ = [
    "SCHEMA_VERSION",
    "Journal",
    "JournalEntry",
    "JournalError",
    "JournalEvent",
    "JournalLockedError",
    "RowState",
    "SqliteJournal",
    "outcome_detail",
]

SCHEMA_VERSION: Final = 1


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
class JournalEntry:
    """One row's line in the journal."""

    key: str
    row: int
    organunit_name: str
    name_key: str
    login_name: str
    state: RowState
    outcome: Status | None = None
    organunit_idcode: str | None = None
    code: int | None = None
    message: str | None = None
    attempts: int = 0
    """309 requests whose intent was recorded for this row (over every run)."""
    reconciled: bool = False

    @property
    def settled(self) -> bool:
        return self.state is RowState.DONE

    @property
    def maybe_sent(self) -> bool:
        """A request may have reached the centre and its answer is not known."""
        return self.state in (RowState.IN_FLIGHT, RowState.UNKNOWN)


JournalEvent = StoreEvent
"""One transition in the append-only event log (every store's :class:`StoreEvent`)."""


class Journal(Protocol):
    """What the runner needs from a journal; :class:`SqliteJournal` is the implementation.

    Every method that changes a row commits durably before it returns.
    """

    def bind(self, target: str) -> None:
        """Tie the journal to one centre (base URL); refuse a different one later."""

    def entries(self) -> dict[str, JournalEntry]:
        """Every row of the journal by key."""

    def entry(self, key: str) -> JournalEntry | None:
        """One row by key."""

    def add_pending(self, rows: Iterable[tuple[str, int, str, str, str]]) -> None:
        """Record (key, row, organunit_name, name_key, login_name) rows not yet journaled."""

    def mark_intent(self, key: str) -> int:
        """Record the intent to send ``key`` now; returns the row's attempt count."""

    def mark_unknown(self, key: str, message: str) -> None:
        """The request may have arrived; its answer was lost."""

    def mark_pending(self, key: str, message: str) -> None:
        """The request provably had no effect (busy answer, connection never made)."""

    def finish(
        self,
        key: str,
        outcome: Status,
        *,
        organunit_idcode: str | None = None,
        login_name: str | None = None,
        code: int | None = None,
        message: str | None = None,
        reconciled: bool = False,
    ) -> None:
        """Record the row's outcome (and the user name the centre answered); the row is
        ``done``."""

    def reset_failed(self) -> int:
        """Put ``failed`` rows back to ``pending`` (an operator's retry); returns how many."""

    def close(self) -> None: ...


_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rows (
    row_key TEXT PRIMARY KEY,
    row_number INTEGER NOT NULL,
    organunit_name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    login_name TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'unknown', 'done')),
    outcome TEXT CHECK (outcome IN ('registered', 'existing', 'failed')),
    organunit_idcode TEXT,
    result_code INTEGER,
    message TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    reconciled INTEGER NOT NULL DEFAULT 0,
    updated_ms INTEGER NOT NULL,
    CHECK ((state = 'done') = (outcome IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS rows_by_name ON rows (name_key);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    row_key TEXT NOT NULL REFERENCES rows (row_key),
    at_ms INTEGER NOT NULL,
    event TEXT NOT NULL,
    detail TEXT
);
"""

_COLUMNS: Final = (
    "row_key, row_number, organunit_name, name_key, login_name, state, outcome, "
    "organunit_idcode, result_code, message, attempts, reconciled"
)


class SqliteJournal(SqliteStore):
    """The journal in one SQLite file (WAL, ``synchronous=FULL`` by default).

    Methods are synchronous and thread-safe: the runner calls them from a worker thread so that
    an fsync never stalls the event loop.  Use as a context manager, or call :meth:`close`.
    """

    kind = "journal"
    item_word = "row"
    table = "rows"
    key_column = "row_key"
    columns = _COLUMNS
    schema = _SCHEMA
    schema_version = SCHEMA_VERSION
    error = JournalError
    locked_error = JournalLockedError

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Synchronous = "FULL",
        lock: bool = True,
        clock: Any = time.time,
    ) -> None:
        super().__init__(Path(path), synchronous=synchronous, lock=lock, clock=clock)
        self.path: Path = Path(path)

    def bind(self, target: str) -> None:
        with self._mutex, self._transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE name = 'target'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta VALUES ('target', ?)", (target,))
            elif row[0] != target:
                raise JournalError(
                    f"{self.path} records a batch against {row[0]}, not {target}: its 'done' "
                    "rows say nothing about this centre; use another journal"
                )

    def entries(self) -> dict[str, JournalEntry]:
        return {entry.key: entry for entry in map(_entry, self._select())}

    def entry(self, key: str) -> JournalEntry | None:
        rows = self._select("WHERE row_key = ?", (key,))
        return _entry(rows[0]) if rows else None

    def add_pending(self, rows: Iterable[tuple[str, int, str, str, str]]) -> None:
        now = self.now_ms()
        with self._mutex, self._transaction() as db:
            for key, row, name, name_key, login_name in rows:
                inserted = db.execute(
                    "INSERT INTO rows (row_key, row_number, organunit_name, name_key, login_name,"
                    " state, updated_ms) VALUES (?, ?, ?, ?, ?, 'pending', ?)"
                    " ON CONFLICT (row_key) DO UPDATE SET row_number = excluded.row_number"
                    " WHERE row_number != excluded.row_number",
                    (key, row, name, name_key, login_name, now),
                ).rowcount
                if inserted:
                    self._log(db, key, now, "row", f"row {row}")

    def mark_intent(self, key: str) -> int:
        return self._step(key, "in_flight", "attempts = attempts + 1", (), "sending", None)

    def mark_unknown(self, key: str, message: str) -> None:
        self._step(key, "unknown", "message = ?", (redact(message),), "unknown", message)

    def mark_pending(self, key: str, message: str) -> None:
        self._step(key, "pending", "message = ?", (redact(message),), "not-sent", message)

    def finish(
        self,
        key: str,
        outcome: Status,
        *,
        organunit_idcode: str | None = None,
        login_name: str | None = None,
        code: int | None = None,
        message: str | None = None,
        reconciled: bool = False,
    ) -> None:
        detail = outcome_detail(outcome, organunit_idcode, code, reconciled)
        self._step(
            key,
            "done",
            "outcome = ?, organunit_idcode = ?, login_name = COALESCE(?, login_name), "
            "result_code = ?, message = ?, reconciled = reconciled OR ?",
            (outcome, organunit_idcode, login_name, code, clean_message(message), reconciled),
            outcome,
            detail or None,
        )

    def reset_failed(self) -> int:
        return self._reset("outcome = 'failed'", "outcome = NULL")


def outcome_detail(
    outcome: str, organunit_idcode: str | None, code: int | None, reconciled: bool
) -> str:
    """The event detail of a row's outcome (checked first: only a journal outcome is one)."""
    if outcome not in ("registered", "existing", "failed"):
        raise JournalError(f"{outcome!r} is not a journal outcome")
    parts = (
        organunit_idcode,
        None if code is None else f"code={code}",
        "reconciled" if reconciled else None,
    )
    return " ".join(part for part in parts if part)


def _entry(row: tuple[Any, ...]) -> JournalEntry:
    return JournalEntry(
        key=row[0],
        row=row[1],
        organunit_name=row[2],
        name_key=row[3],
        login_name=row[4],
        state=RowState(row[5]),
        outcome=cast(Status | None, row[6]),
        organunit_idcode=row[7],
        code=row[8],
        message=row[9],
        attempts=row[10],
        reconciled=bool(row[11]),
    )
