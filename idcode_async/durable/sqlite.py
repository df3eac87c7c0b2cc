"""Durable local stores: one SQLite file per run, one item table for every item kind.

The registration journal (309) and the upload manifest (5011–5014) both record an item's
*intent* before its request and its outcome after, so that a killed process resumes without
sending anything twice.  They share everything here: WAL mode with a ``synchronous`` level that
makes every commit durable, ``BEGIN IMMEDIATE`` transactions, an OS lock so that two runs never
share a file, a refusal of any file that is not this kind of store *before* anything in it is
changed, and one schema (``items``: the engine's columns plus ``data``, a JSON object the kind
fills with what describes its item; ``events``: the append-only log of every transition;
``facts``: JSON values about the run).

Why SQLite (WAL, ``synchronous=FULL``) rather than JSONL with fsync: items change state in
place and are looked up by key on every run, and a reader (a progress monitor, a test,
``--plan-only``) may read the file while a run writes it; SQLite's WAL gives the durability of
an fsynced log with transactions and concurrent readers.  ``FULL`` is fixed: at ``NORMAL`` a
WAL commit may be lost on power failure, and an intent lost after its request left would let
the next run send it again.  There is no ``sent`` state: between
"intent committed" and "answer read" no local record can prove how many bytes reached the
centre (a request killed before its first byte and one killed after its last leave the same
trace, and both are settled by asking the centre); a ``sent`` mark would cost one more fsync
per item and decide nothing.

The lock belongs to the file's identity (``st_dev``, ``st_ino``), not to the path string: a
symlink, a hard link or a relative path to the same store reaches the same lock, so a second
run is refused however it names the file.  No column, data field or fact may be named like a
secret (:mod:`idcode_async._denylist`); messages are redacted.

A reader (``lock=False``: a monitor, ``verify``, a status command) takes no lock and writes
nothing: it opens the file read-only (``mode=ro``) for each read and closes it after, so it sees
the store as it is now and holds nothing open between reads.  A store at rest (no run holds it,
none may start during the read, no ``-wal`` file) is read ``immutable``, so that even the
``-wal``/``-shm`` files SQLite would create for a reader are not; a store a run holds is read
through the run's WAL.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import sqlite3
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, ClassVar, Final, Generic, Self, TypeVar

import attrs
from attrs import AttrsInstance

from .._denylist import check_no_secret_names
from .._logging import redact
from .store import Settlement, StoreError, StoreEvent, StoreLockedError

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "SqliteStore",
    "acquire_run_lock",
    "clean_text",
    "release_run_lock",
]

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock
    fcntl = None  # type: ignore[assignment]

EntryT = TypeVar("EntryT", bound=AttrsInstance)

READER_WAIT: Final = 5.0
"""Seconds a run waits for readers (each holds the file for one query) before it is refused."""

APPLICATION_ID: Final = 0x1DC0DE01
"""Written into every store this SDK creates (``PRAGMA application_id``), so that a foreign
SQLite file is recognised before anything in it is touched."""

SCHEMA_VERSION: Final = 2
"""Version 1 (idcode-async 0.1.0) kept a table per kind (``rows``, ``requests``, ``meta``)."""

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS facts (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL CHECK (json_valid(value))
);
CREATE TABLE IF NOT EXISTS items (
    key TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'intent', 'unknown', 'done')),
    outcome TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    reconciled INTEGER NOT NULL DEFAULT 0,
    code INTEGER,
    message TEXT,
    receipt TEXT UNIQUE,
    intent_ms INTEGER,
    data TEXT NOT NULL CHECK (json_valid(data)),
    updated_ms INTEGER NOT NULL,
    CHECK ((state = 'done') = (outcome IS NOT NULL)),
    CHECK (receipt IS NULL OR state = 'done')
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL REFERENCES items (key) ON DELETE CASCADE,
    at_ms INTEGER NOT NULL,
    event TEXT NOT NULL,
    detail TEXT
);
"""
_TABLES: Final = frozenset({"facts", "items", "events"})
_OLD_TABLES: Final = (
    frozenset({"meta", "rows", "events"}),
    frozenset({"meta", "requests", "events"}),
)
_TABLE_NAMES: Final = (
    "SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%'"
)
_NAMES: Final = "key, seq, state, outcome, attempts, reconciled, code, message, receipt, intent_ms"


def acquire_run_lock(path: Path, locked: Callable[[str], Exception]) -> IO[bytes] | None:
    """An exclusive, non-blocking OS lock on the identity of the file at ``path``.

    The file is created (empty, which SQLite reads as a new database) if it does not exist, so
    that it has an identity; the lock lives in a per-user directory under the system's temporary
    directory, named ``<st_dev>-<st_ino>.lock``, so every path to one file meets one lock.
    ``flock`` is released by the kernel when the process dies, even by SIGKILL, so a crashed
    run never leaves a stale lock behind; :func:`release_run_lock` deletes the lock file while
    it still holds the lock, so finished runs leave no files behind either.  A reader holds the
    same lock shared for one read (see :meth:`SqliteStore._reading`): the run waits for it, up
    to :data:`READER_WAIT` seconds.  ``None`` where ``flock`` does not exist (Windows: one run
    at a time is then the user's care).
    """
    if fcntl is None:  # pragma: no cover - Windows
        return None
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    deadline = time.monotonic() + READER_WAIT
    while (stream := _flock(path, locked, fcntl.LOCK_EX)) is None:
        reader = _flock(path, locked, fcntl.LOCK_SH)  # taken: only readers hold the file
        if reader is None or time.monotonic() > deadline:
            raise locked(
                f"{path} is in use by another run; wait for it to finish (one run per file)"
            )
        reader.close()
        _wait_for_readers()
    return stream


def _flock(path: Path, locked: Callable[[str], Exception], mode: int) -> IO[bytes] | None:
    """The lock file of the file at ``path``, locked in ``mode`` (non-blocking); ``None`` if
    another holds it in a mode that excludes ours."""
    assert fcntl is not None
    identity = os.stat(path)
    lock_path = _lock_folder(locked) / f"{identity.st_dev}-{identity.st_ino}.lock"
    while True:
        stream = open(lock_path, "ab")  # noqa: SIM115 - held for the run (or the read)
        try:
            fcntl.flock(stream.fileno(), mode | fcntl.LOCK_NB)
        except OSError:
            stream.close()
            return None
        # A run that was finishing may have deleted the file between our open and our lock:
        # then we hold a lock on a name nobody else can reach any more, and must start again.
        with contextlib.suppress(FileNotFoundError):
            if os.stat(lock_path).st_ino == os.fstat(stream.fileno()).st_ino:
                return stream
        stream.close()


def _wait_for_readers() -> None:
    time.sleep(0.005)


def release_run_lock(stream: IO[bytes]) -> None:
    """Delete the lock file, then release the lock: whoever opened it meanwhile starts again."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(stream.name)
    stream.close()


def _lock_folder(locked: Callable[[str], Exception]) -> Path:
    """The per-user lock directory, refused unless it is a private directory of this user: in a
    shared temporary directory another user could otherwise create it first and hold or delete
    our locks."""
    folder = Path(tempfile.gettempdir()) / f"idcode-async-locks-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise locked(
            f"the lock directory {folder} is not a private directory of this user; remove it"
        )
    return folder


def clean_text(text: str | None) -> str | None:
    """A message as a store keeps it: secrets redacted, at most 2,000 characters."""
    return None if text is None else redact(text)[:2000]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


class SqliteStore(Generic[EntryT]):
    """One store file held by one run: its lock, its connection, its items, events and facts.

    A kind (:class:`~idcode_async.registration.SqliteJournal`,
    :class:`~idcode_async.uploads.UploadManifest`) names itself, its errors, its entry type and
    the states each transition may start from (:attr:`allowed_from`); every step of the
    :class:`~.store.Store` contract is written here once.  Methods hold ``_mutex`` (the engine
    calls them from worker threads).  ``path=None``: in memory (tests, ``--plan-only``).
    ``lock=False``: read-only (see the module docstring); every write raises :attr:`error`.
    """

    kind: ClassVar[str]
    item_word: ClassVar[str]
    error: ClassVar[type[StoreError]]
    locked_error: ClassVar[type[StoreLockedError]]
    mismatch_error: ClassVar[type[StoreError]]
    entry_type: type[EntryT]
    outcomes: ClassVar[tuple[str, ...]]
    """The kind's outcome words (:attr:`~.store.Settlement.outcome`)."""
    receipt_field: ClassVar[str]
    """The entry field a settlement's receipt fills: kept in the unique ``receipt`` column when
    :attr:`renames` names that column (an upload ID is one batch's), else in the item's data
    (two rows of one unit name share a main code)."""
    renames: ClassVar[Mapping[str, str]] = {}
    """Entry fields named otherwise than the item's column (``seq`` → ``row``)."""
    allowed_from: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    """Per transition (``intent``, ``unknown``, ``pending``, an outcome), the states (or
    outcomes) an item may leave for it; a transition not named here is allowed from any."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, lock: bool = True) -> None:
        self.path = None if path is None else Path(path)
        self.read_only = self.path is not None and not lock
        if self.path is not None and self.read_only and not self.path.exists():
            raise self.error(f"{self.path}: no such {self.kind}")
        self._mutex = threading.Lock()
        self._lock_file: IO[bytes] | None = None
        if self.path is not None and lock:
            self._lock_file = acquire_run_lock(self.path, self.locked_error)
        try:
            if self.read_only:
                with self._reading():  # refuses a foreign file; each read opens it again
                    pass
            else:
                self._db = self._open()
        except BaseException:
            self._release_lock()
            raise

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """The file opened read-only for one read, under a shared hold of its run lock.

        Held (no run has the file, and none can start until the read ends), a file without a
        ``-wal`` is read ``immutable``, so no ``-wal``/``-shm`` is created; a run's crash may
        have left a ``-wal`` with commits in it, and a run that holds the file writes one, so
        both are read through it.  The lock file is left for the next run to delete: deleting it
        takes the exclusive lock, which would refuse a run starting in that moment.
        """
        assert self.path is not None
        held = _flock(self.path, self.locked_error, fcntl.LOCK_SH) if fcntl else None
        try:
            wal = Path(f"{self.path.resolve()}-wal")
            at_rest = (held is not None or fcntl is None) and not wal.exists()
            with contextlib.closing(self._open(at_rest=at_rest)) as db:
                yield db
        finally:
            if held is not None:
                held.close()

    def _open(self, *, at_rest: bool = False) -> sqlite3.Connection:
        where: str | Path = self.path or ":memory:"
        if self.path is not None and self.read_only:
            where = f"{self.path.resolve().as_uri()}?mode=ro{'&immutable=1' if at_rest else ''}"
        db = sqlite3.connect(
            where, isolation_level=None, check_same_thread=False, timeout=30.0, uri=self.read_only
        )
        try:
            empty = self._refuse_foreign(db)
            if self.read_only and not empty:
                return db
            if self.read_only:  # an empty file is a new store: read as one, in memory
                db.close()
                db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            elif self.path is not None:
                mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise self.error(f"{where}: SQLite refused WAL mode here (got {mode!r})")
                db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            facts = f"('kind', '{_json(self.kind)}'), ('schema', '{SCHEMA_VERSION}')"
            db.executescript(
                f"BEGIN IMMEDIATE; {_SCHEMA} INSERT OR IGNORE INTO facts VALUES {facts}; COMMIT;"
            )
            db.execute(f"PRAGMA application_id={APPLICATION_ID}")
        except BaseException:
            db.close()
            raise
        return db

    def _refuse_foreign(self, db: sqlite3.Connection) -> bool:
        """Refuse a file that is not this kind of store, reading only: nothing is written first.
        ``True``: the file is empty (a new store).

        Ours is an empty file, or one with :data:`APPLICATION_ID` (or none, as 0.1.0 wrote),
        exactly our tables, this kind and this schema version.
        """
        where, facts = self.path, {}
        try:
            tables = {row[0] for row in db.execute(_TABLE_NAMES)}
            application_id = int(db.execute("PRAGMA application_id").fetchone()[0])
            if tables == _TABLES:
                facts = dict(db.execute("SELECT name, value FROM facts").fetchall())
        except sqlite3.DatabaseError as exc:
            raise self.error(f"{where}: not an SQLite file this SDK wrote ({exc})") from None
        if not tables and application_id in (0, APPLICATION_ID):
            return True
        if application_id in (0, APPLICATION_ID) and tables in _OLD_TABLES:
            raise self.error(
                f"{where} was written by an older version (idcode-async 0.1.0, schema 1); "
                f"finish its run with idcode-async 0.1.0, or start a new {self.kind}"
            )
        kind = json.loads(facts.get("kind", "null"))
        if application_id not in (0, APPLICATION_ID) or tables != _TABLES or kind != self.kind:
            what = f"a {kind}" if isinstance(kind, str) else f"tables {sorted(tables)}"
            raise self.error(
                f"{where}: an SQLite file of another kind ({what}); refused without changing "
                "it - give a new file or one written by the same command"
            )
        if json.loads(facts.get("schema", "null")) != SCHEMA_VERSION:
            raise self.error(
                f"{where}: {self.kind} schema {facts.get('schema')}, expected {SCHEMA_VERSION}"
            )
        return False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._mutex:
            if not self.read_only:
                self._db.close()
            self._release_lock()

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            release_run_lock(self._lock_file)
            self._lock_file = None

    @property
    def synchronous(self) -> int:
        """SQLite's ``synchronous`` level in force (2 = FULL)."""
        return int(self._read("PRAGMA synchronous")[0][0])

    def now_ms(self) -> int:
        return int(time.time() * 1000)

    def _read(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._mutex:
            if not self.read_only:
                return self._db.execute(query, params).fetchall()
            with self._reading() as db:
                return db.execute(query, params).fetchall()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error): one durable step."""
        if self.read_only:
            raise self.error(f"{self.path} was opened for reading (lock=False): no writes")
        with self._mutex:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- facts ---------------------------------------------------------------------------------

    def get_fact(self, name: str) -> Any:
        rows = self._read("SELECT value FROM facts WHERE name = ?", (name,))
        return json.loads(rows[0][0]) if rows else None

    def set_fact(self, name: str, value: Any) -> None:
        check_no_secret_names([name], where=str(self.path or self.kind))
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO facts VALUES (?, ?)", (name, _json(value)))

    def bind(self, target: str | Mapping[str, str]) -> None:
        """A later run with any different value is refused: what the store settled against one
        target says nothing about another."""
        values = {"base_url": target} if isinstance(target, str) else target
        with self._write() as db:
            for name, value in sorted(values.items()):
                row = db.execute("SELECT value FROM facts WHERE name = ?", (f"target.{name}",))
                found = row.fetchone()
                if found is None:
                    db.execute("INSERT INTO facts VALUES (?, ?)", (f"target.{name}", _json(value)))
                elif (old := json.loads(found[0])) != value:
                    raise self.mismatch_error(
                        f"{self.path or f'the {self.kind}'} records a run with {name} {old!r}, "
                        f"not {value!r}: what it settled says nothing about this one; use "
                        f"another {self.kind} (or the same settings)"
                    )

    # -- items ---------------------------------------------------------------------------------

    def _state(self, state: str, outcome: str | None) -> enum.StrEnum:
        """The kind's state of an item in ``state`` with ``outcome``."""
        raise NotImplementedError

    def _items(self, where: str = "", params: tuple[Any, ...] = ()) -> list[EntryT]:
        """Entries decoded by name: the item's data, then its columns (renamed as the kind's
        entry calls them), whatever the entry has a field for."""
        names = [n.strip() for n in _NAMES.split(",")]
        fields = attrs.fields_dict(self.entry_type)
        entries = []
        for row in self._read(f"SELECT {_NAMES}, data FROM items {where} ORDER BY seq", params):
            item = {self.renames.get(n, n): value for n, value in zip(names, row, strict=False)}
            item |= json.loads(row[-1])
            item["state"] = self._state(item["state"], item["outcome"])
            item["reconciled"] = bool(item["reconciled"])
            entries.append(self.entry_type(**{k: v for k, v in item.items() if k in fields}))
        return entries

    def entry(self, key: str) -> EntryT | None:
        found = self._items("WHERE key = ?", (key,))
        return found[0] if found else None

    def entries(self) -> list[EntryT]:
        return self._items()

    def _insert(
        self, db: sqlite3.Connection, key: str, seq: int, data: dict[str, Any], event: str
    ) -> None:
        """Add an item as ``pending`` (logging ``event``); an item already there keeps its
        state and only follows a new position."""
        now = self.now_ms()
        added = db.execute(
            "INSERT INTO items (key, seq, state, data, updated_ms) VALUES (?, ?, 'pending', ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET seq = excluded.seq WHERE seq != excluded.seq",
            (key, seq, self._data(data), now),
        ).rowcount
        if added:
            self._log(db, key, now, event, f"#{seq}")

    def add_pending(self, items: Iterable[tuple[str, int, Mapping[str, str]]]) -> None:
        with self._write() as db:
            for key, seq, data in items:
                self._insert(db, key, seq, dict(data), self.item_word)

    def _data(self, data: dict[str, Any]) -> str:
        """An item's data as stored: JSON, no field named like a secret."""
        check_no_secret_names(data, where=str(self.path or self.kind))
        return _json(data)

    def mark_intent(self, key: str) -> int:
        return self._move(key, "intent", "intent", None, intent=True)

    def mark_unknown(self, key: str, message: str) -> None:
        self._move(key, "unknown", "unknown", message, message=message)

    def mark_pending(self, key: str, message: str, *, event: str | None = None) -> None:
        self._move(key, "pending", event or "not-applied", message, message=message)

    def settle(self, key: str, done: Settlement) -> None:
        if done.outcome not in self.outcomes:
            raise self.error(f"{done.outcome!r} is not a {self.kind} outcome")
        data: dict[str, Any] = dict(done.data)
        columns = attrs.asdict(done, filter=lambda a, _: a.name != "data")
        if "receipt" not in self.renames:
            data[self.receipt_field] = columns.pop("receipt")
        self._move(key, "done", done.outcome, done.detail or None, data=data, **columns)

    def reset_failed(self) -> int:
        now = self.now_ms()
        with self._write() as db:
            keys = db.execute("SELECT key FROM items WHERE outcome = 'failed'").fetchall()
            db.execute(
                "UPDATE items SET state = 'pending', outcome = NULL, updated_ms = ?"
                " WHERE outcome = 'failed'",
                (now,),
            )
            for (key,) in keys:
                self._log(db, key, now, "retry-failed", None)
            return len(keys)

    def _move(
        self,
        key: str,
        state: str,
        event: str,
        detail: str | None,
        *,
        intent: bool = False,
        data: dict[str, Any] | None = None,
        **columns: Any,
    ) -> int:
        """Move ``key`` to ``state`` (or ``done`` with ``outcome=``), set ``columns``, merge
        ``data`` into the item's, log ``event``: one durable commit.  Returns the attempts."""
        now = self.now_ms()
        target = columns.get("outcome") or state
        if "message" in columns:
            columns["message"] = clean_text(columns["message"])
        sets = [f"{name} = ?" for name in columns]
        values: list[Any] = list(columns.values())
        if intent:
            sets += ["attempts = attempts + 1", "intent_ms = ?"]
            values.append(now)
        with self._write() as db:
            row = db.execute(
                "SELECT state, outcome, data FROM items WHERE key = ?", (key,)
            ).fetchone()
            if row is None:
                raise self.error(f"{self.item_word} {key} is not in the {self.kind}")
            allowed = self.allowed_from.get(target)
            if allowed is not None and (row[1] or row[0]) not in allowed:
                raise self.error(
                    f"{self.item_word} {key}: cannot go from {row[1] or row[0]} to {target}"
                )
            if data:
                sets.append("data = ?")
                values.append(self._data({**json.loads(row[2]), **data}))
            try:
                db.execute(
                    f"UPDATE items SET state = ?, {', '.join(sets)}, updated_ms = ? WHERE key = ?",
                    (state, *values, now, key),
                )
            except sqlite3.IntegrityError as exc:
                raise self.error(f"{self.item_word} {key}: {exc}") from None
            (attempts,) = db.execute("SELECT attempts FROM items WHERE key = ?", (key,)).fetchone()
            self._log(db, key, now, event, detail)
            return int(attempts)

    def events(self, key: str | None = None) -> list[StoreEvent]:
        """The event log, oldest first; of one item if ``key`` is given."""
        where, params = ("WHERE key = ?", (key,)) if key is not None else ("", ())
        rows = self._read(
            f"SELECT key, at_ms, event, detail FROM events {where} ORDER BY id", params
        )
        return [StoreEvent(key=r[0], at_ms=r[1], event=r[2], detail=r[3]) for r in rows]

    def _log(
        self, db: sqlite3.Connection, key: str, now: int, event: str, detail: str | None
    ) -> None:
        db.execute(
            "INSERT INTO events (key, at_ms, event, detail) VALUES (?, ?, ?, ?)",
            (key, now, event, clean_text(detail)),
        )
