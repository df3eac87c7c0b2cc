"""Durable local stores: SQLite files that survive a crash, one run at a time.

The batch journal (309) and the upload manifest (5011–5014) both record an intent *before* a
request and its outcome *after*, so that a killed process resumes without sending anything
twice.  That needs the same three things from SQLite, kept here once: WAL mode with a
``synchronous`` level that makes every commit durable, ``BEGIN IMMEDIATE`` transactions, and an
OS lock so that two runs never share a file.  No column may be named like a secret.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Literal

from ._denylist import check_no_secret_names

__all__ = ["Synchronous", "Transaction", "acquire_run_lock", "open_store"]

Synchronous = Literal["FULL", "EXTRA", "NORMAL"]
ErrorFactory = Callable[[str], Exception]


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
    """An exclusive, non-blocking OS lock on ``<path>.lock``; ``None`` where unsupported.

    ``flock`` is released by the kernel when the process dies, even by SIGKILL, so a crashed
    run never leaves a stale lock behind.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: one run at a time is the user's care
        return None
    stream = open(path.with_name(path.name + ".lock"), "ab")  # noqa: SIM115 - held for the run
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
        if path is not None:
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise error(f"{path}: SQLite refused WAL mode here (got {mode!r})")
            db.execute(f"PRAGMA synchronous={synchronous}")
        db.execute("PRAGMA foreign_keys=ON")
        db.executescript(schema)
        check_no_secret_names(_column_names(db), where=str(path or "in-memory store"))
    except BaseException:
        db.close()
        raise
    return db


def _column_names(db: sqlite3.Connection) -> Iterator[str]:
    tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        for column in db.execute(f"PRAGMA table_info({table})"):
            yield str(column[1])
