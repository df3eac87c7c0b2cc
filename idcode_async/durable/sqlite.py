"""Durable local stores: SQLite files that survive a crash, one run at a time.

The batch journal (309) and the upload manifest (5011–5014) both record an intent *before* a
request and its outcome *after*, so that a killed process resumes without sending anything
twice.  That needs the same four things from SQLite, kept here once: WAL mode with a
``synchronous`` level that makes every commit durable, ``BEGIN IMMEDIATE`` transactions, an OS
lock so that two runs never share a file, and a refusal of any SQLite file that is not one of
ours *before* anything in it is changed.  No column may be named like a secret.

The lock belongs to the file's identity (``st_dev``, ``st_ino``), not to the path string: a
symlink, a hard link or a relative path to the same journal reaches the same lock, so a second
run is refused however it names the file.
"""

from __future__ import annotations

import os
import re
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, ClassVar, Literal, Self

from .._denylist import check_no_secret_names
from .._logging import redact
from .store import StoreEvent

__all__ = [
    "APPLICATION_ID",
    "SqliteStore",
    "Synchronous",
    "Transaction",
    "acquire_run_lock",
    "clean_message",
    "open_store",
]

Synchronous = Literal["FULL", "EXTRA", "NORMAL"]
ErrorFactory = Callable[[str], Exception]

APPLICATION_ID = 0x1DC0DE01
"""Written into every store this SDK creates (``PRAGMA application_id``), so that a foreign
SQLite file is recognised before anything in it is touched."""


class Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (or ``ROLLBACK`` on error): one durable step."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")


def acquire_run_lock(path: Path, locked: ErrorFactory) -> IO[bytes] | None:
    """An exclusive, non-blocking OS lock on the identity of the file at ``path``.

    The file is created (empty, which SQLite reads as a new database) if it does not exist, so
    that it has an identity; the lock lives in a per-user directory under the system's temporary
    directory, named ``<st_dev>-<st_ino>.lock``, so every path to one file meets one lock.
    ``flock`` is released by the kernel when the process dies, even by SIGKILL, so a crashed
    run never leaves a stale lock behind.  ``None`` where ``flock`` does not exist (Windows:
    one run at a time is then the user's care).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    identity = os.stat(path)
    folder = Path(tempfile.gettempdir()) / f"idcode-async-locks-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    name = f"{identity.st_dev}-{identity.st_ino}.lock"
    stream = open(folder / name, "ab")  # noqa: SIM115 - held for the run
    try:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        stream.close()
        raise locked(
            f"{path} is in use by another run; wait for it to finish (one run per file)"
        ) from exc
    return stream


def open_store(
    path: Path | None,
    schema: str,
    *,
    synchronous: Synchronous = "FULL",
    error: ErrorFactory,
) -> sqlite3.Connection:
    """Open (or create) a store: WAL, ``synchronous``, foreign keys, ``schema``, no secrets.

    ``path=None`` gives an in-memory store (tests, ``--plan-only``), where durability settings
    do not apply.  ``error`` builds the caller's own exception type for refusals.
    """
    if synchronous not in ("FULL", "EXTRA", "NORMAL"):
        raise error(f"synchronous must be FULL, EXTRA or NORMAL, not {synchronous!r}")
    db = sqlite3.connect(
        ":memory:" if path is None else path,
        isolation_level=None,
        check_same_thread=False,
        timeout=30.0,
    )
    try:
        _refuse_foreign(db, path, schema, error)
        if path is not None:
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise error(f"{path}: SQLite refused WAL mode here (got {mode!r})")
            db.execute(f"PRAGMA synchronous={synchronous}")
        db.execute("PRAGMA foreign_keys=ON")
        db.executescript(schema)
        db.execute(f"PRAGMA application_id={APPLICATION_ID}")
        check_no_secret_names(_column_names(db), where=str(path or "in-memory store"))
    except BaseException:
        db.close()
        raise
    return db


def clean_message(text: str | None) -> str | None:
    """A message as a store keeps it: secrets redacted, at most 2,000 characters."""
    return None if text is None else redact(text)[:2000]


class SqliteStore:
    """One store file held by one run: its lock, its connection, its schema version, its items.

    The journal (309) and the manifest (5011–5014) are this with their own item table (named
    by :attr:`table`, keyed by :attr:`key_column`, read as :attr:`columns`) and an event log
    ``events``; the steps every kind shares (a fenced state transition with its event, the
    event log, failed items sent again) are written here once.  Methods are synchronous and
    hold ``_mutex``: the engine calls them from worker threads, so that an fsync never stalls
    the event loop.  ``path=None``: in memory.
    """

    kind: ClassVar[str]
    item_word: ClassVar[str]
    table: ClassVar[str]
    key_column: ClassVar[str]
    columns: ClassVar[str]
    schema: ClassVar[str]
    schema_version: ClassVar[int]
    error: ClassVar[type[Exception]]
    locked_error: ClassVar[type[Exception]]

    def __init__(
        self,
        path: Path | None,
        *,
        synchronous: Synchronous = "FULL",
        lock: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self._clock = clock
        self._mutex = threading.Lock()
        self._lock_file: IO[bytes] | None = None
        if path is not None and lock:
            self._lock_file = acquire_run_lock(path, self.locked_error)
        try:
            self._db = open_store(path, self.schema, synchronous=synchronous, error=self.error)
            self._check_schema()
        except BaseException:
            self._release_lock()
            raise

    def _check_schema(self) -> None:
        with Transaction(self._db) as db:
            row = db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(self.schema_version),))
            elif int(row[0]) != self.schema_version:
                raise self.error(
                    f"{self.path}: {self.kind} schema {row[0]}, expected {self.schema_version}"
                )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._mutex:
            self._db.close()
            self._release_lock()

    @property
    def synchronous(self) -> int:
        """SQLite's ``synchronous`` level in force (2 = FULL, 3 = EXTRA)."""
        return int(self._db.execute("PRAGMA synchronous").fetchone()[0])

    @property
    def journal_mode(self) -> str:
        return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    def now_ms(self) -> int:
        """The store's clock (epoch ms; injectable for tests)."""
        return int(self._clock() * 1000)

    def _transaction(self) -> Transaction:
        return Transaction(self._db)

    # -- items --------------------------------------------------------------------------------

    def _select(self, where: str = "", params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        query = f"SELECT {self.columns} FROM {self.table} {where}"
        with self._mutex:
            return self._db.execute(query, params).fetchall()

    def events(self, key: str | None = None) -> list[StoreEvent]:
        """The event log, oldest first; of one item if ``key`` is given."""
        query = f"SELECT {self.key_column}, at_ms, event, detail FROM events"
        params: tuple[str, ...] = ()
        if key is not None:
            query += f" WHERE {self.key_column} = ?"
            params = (key,)
        with self._mutex:
            rows = self._db.execute(query + " ORDER BY id", params).fetchall()
        return [StoreEvent(key=r[0], at_ms=r[1], event=r[2], detail=r[3]) for r in rows]

    def _step(
        self,
        key: str,
        state: str,
        assignments: str,
        values: tuple[Any, ...],
        event: str,
        detail: str | None,
        *,
        allowed: tuple[str, ...] | None = None,
    ) -> int:
        """Move ``key`` to ``state`` (from an ``allowed`` state), set ``assignments``, log
        ``event``: one durable commit.  Returns the item's attempts."""
        table, column = self.table, self.key_column
        now = self.now_ms()
        with self._mutex, self._transaction() as db:
            row = db.execute(
                f"SELECT state, attempts FROM {table} WHERE {column} = ?", (key,)
            ).fetchone()
            if row is None:
                raise self.error(f"{self.item_word} {key} is not in the {self.kind}")
            if allowed is not None and row[0] not in allowed:
                raise self.error(f"{self.item_word} {key}: cannot go from {row[0]} to {state}")
            db.execute(
                f"UPDATE {table} SET state = ?, {assignments}, updated_ms = ? WHERE {column} = ?",
                (state, *values, now, key),
            )
            self._log(db, key, now, event, detail)
            return int(
                db.execute(f"SELECT attempts FROM {table} WHERE {column} = ?", (key,)).fetchone()[0]
            )

    def _reset(self, where: str, clear: str = "") -> int:
        """Items matching ``where`` (failed ones) back to ``pending``, ``clear`` set too (an
        operator's retry); returns how many."""
        now = self.now_ms()
        assignments = "state = 'pending', " + (f"{clear}, " if clear else "")
        with self._mutex, self._transaction() as db:
            keys = [
                r[0]
                for r in db.execute(f"SELECT {self.key_column} FROM {self.table} WHERE {where}")
            ]
            for key in keys:
                db.execute(
                    f"UPDATE {self.table} SET {assignments}updated_ms = ?"
                    f" WHERE {self.key_column} = ?",
                    (now, key),
                )
                self._log(db, key, now, "retry-failed", None)
            return len(keys)

    def _log(
        self, db: sqlite3.Connection, key: str, now: int, event: str, detail: str | None
    ) -> None:
        db.execute(
            f"INSERT INTO events ({self.key_column}, at_ms, event, detail) VALUES (?, ?, ?, ?)",
            (key, now, event, clean_message(detail)),
        )

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None


def _refuse_foreign(
    db: sqlite3.Connection, path: Path | None, schema: str, error: ErrorFactory
) -> None:
    """Refuse a file that is not this kind of store, reading only: nothing is written first.

    A store is ours if it is empty, or carries :data:`APPLICATION_ID` (or none, as stores
    written before the id existed did) and holds exactly the tables ``schema`` creates.
    """
    try:
        tables = {str(row[0]) for row in db.execute(_TABLES)}
        application_id = int(db.execute("PRAGMA application_id").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise error(f"{path}: not an SQLite file this SDK wrote ({exc})") from None
    if not tables and application_id == 0:
        return
    expected = set(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", schema))
    if application_id not in (0, APPLICATION_ID) or tables != expected:
        raise error(
            f"{path}: an SQLite file of another kind (tables {sorted(tables)}); "
            "refused without changing it - give a new file or one written by the same command"
        )


_TABLES = "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"


def _column_names(db: sqlite3.Connection) -> Iterator[str]:
    tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        for column in db.execute(f"PRAGMA table_info({table})"):
            yield str(column[1])
