"""The upload manifest: which requests of a plan the centre accepted, durably, per request.

A bulk upload (seed §十, 5011–5014) is a few to a few thousand requests, each one a write the
centre cannot undo (there is no "delete upload" interface).  The manifest makes a re-run after
a crash skip what was accepted and never send twice what may have arrived.  It rests on the
same ordering as the registration journal (:mod:`idcode_async.registration.journal`): a
request's *intent* is committed and fsynced **before** its first byte leaves, and its outcome
after the answer.

States of a request (one row per request of the plan):

============  ===============================================================================
``pending``   never sent, or sent and provably not acted on (busy -1, no connection, or the
              centre's records show it absent after reconciliation)
``intent``    about to be sent: a crash leaves it here; it may or may not have arrived
``unknown``   sent, answer lost (read timeout, dropped connection, HTML 502, 5xx)
``accepted``  the centre answered success (``uploadcode_id`` with version 2.0), or
              reconciliation found the batch on the centre (``reconciled``)
``failed``    the centre refused it with a result code (nothing was uploaded)
============  ===============================================================================

There is no separate ``sent`` state.  Between "intent committed" and "answer read" no local
record can prove how many bytes reached the centre: a request killed before its first byte and
one killed after its last leave the same trace, and both must be settled the same way (by
asking the centre, :mod:`.reconcile`).  A ``sent`` mark would cost one more fsync per request
and decide nothing.

Why SQLite (WAL, ``synchronous=FULL``) rather than JSONL with fsync: rows change state in
place and are looked up by key on every run; a settlement after reconciliation changes several
rows atomically; and a reader (a progress monitor, a test, ``--plan-only``) may read the file
while a run writes it.  JSONL would need a replay on open and careful handling of a torn last
line; SQLite's WAL gives the same durability (each commit is fsynced before it returns) with
transactions and concurrent readers, and is what the batch journal already uses.  One run at a
time may use a manifest: a second one is refused by an OS lock the kernel releases even on
SIGKILL (the batch journal's lock, reused).

Key of a request: the JSON array ``[endpoint, …]`` of what identifies its content:
``[5013, prefix, start, end]``, ``[5014, prefix, start, end, length]``, and for 5011/5012
``[endpoint, sha256, count, first_code, last_code]`` (the SHA-256 of the file's bytes, or of
``code_list_str``).  The planner is deterministic, so the same input and options give the same
keys on every run; a manifest refuses a plan whose keys differ once anything was sent
(:meth:`UploadManifest.adopt_plan`).

What is stored: the target (base URL, unit main code, category registration ID, options), the
requests' descriptions and states, the upload IDs, result codes and redacted messages, the
upload IDs that existed before the first request (the *baseline*, for reconciliation), and an
append-only event log.  Never the access token, the authorisation code, a hash or a password:
column names are checked against the batch's deny-list, and messages pass through
:func:`~idcode_async._logging.redact`.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Final

import attrs

from .._denylist import check_no_secret_names
from ..durable.sqlite import SqliteStore, clean_message
from ..durable.store import StoreError, StoreEvent, StoreLockedError
from .plan import CodeFile, CodeList, FixedLengthRange, PrefixRange, UploadRequest

__all__ = [
    "MANIFEST_SCHEMA_VERSION",
    "EntryState",
    "ManifestEntry",
    "ManifestError",
    "ManifestEvent",
    "ManifestLockedError",
    "ManifestMismatchError",
    "RequestRecord",
    "UploadManifest",
    "describe_request",
    "request_key",
]

MANIFEST_SCHEMA_VERSION: Final = 1


class ManifestError(StoreError):
    """The manifest cannot be used for this upload."""


class ManifestLockedError(ManifestError, StoreLockedError):
    """Another run holds the manifest."""


class ManifestMismatchError(ManifestError):
    """The manifest belongs to another upload: other target, options or plan."""


class EntryState(enum.StrEnum):
    PENDING = "pending"
    INTENT = "intent"
    UNKNOWN = "unknown"
    ACCEPTED = "accepted"
    FAILED = "failed"


@attrs.frozen(kw_only=True)
class RequestRecord:
    """What the manifest keeps about one request of a plan (its description, not its state)."""

    key: str
    seq: int
    """Position in the plan, from 1 (the sending order)."""
    endpoint: int
    count: int
    first_code: str
    last_code: str
    size: int
    """Bytes of the payload: the 5011 file, 5012's ``code_list_str``; 0 for a range."""
    sha256: str | None = None
    """SHA-256 of the 5011 file's bytes or of 5012's ``code_list_str``; ``None`` for ranges."""
    prefix_str: str | None = None
    start_num: int | None = None
    end_num: int | None = None
    length: int | None = None


@attrs.frozen(kw_only=True)
class ManifestEntry(RequestRecord):
    """One request with its state."""

    state: EntryState
    uploadcode_id: str | None = None
    attempts: int = 0
    """Intents recorded for this request, over every run (≥ the requests actually sent)."""
    reconciled: bool = False
    """Settled from the centre's records after a lost answer, not from an answer."""
    result_code: int | None = None
    message: str | None = None
    intent_ms: int | None = None
    """Local wall-clock time (epoch ms) of the latest intent."""

    @property
    def maybe_sent(self) -> bool:
        """A request may have reached the centre and its outcome is not known."""
        return self.state in (EntryState.INTENT, EntryState.UNKNOWN)

    @property
    def accepted(self) -> bool:
        return self.state is EntryState.ACCEPTED


ManifestEvent = StoreEvent
"""One transition in the manifest's event log (every store's :class:`StoreEvent`)."""


def request_key(request: UploadRequest) -> str:
    """The stable key of a plan request (see the module docstring)."""
    parts: list[object]
    if isinstance(request, FixedLengthRange):
        parts = [5014, request.prefix_str, request.start_num, request.end_num, request.length]
    elif isinstance(request, PrefixRange):
        parts = [5013, request.prefix_str, request.start_num, request.end_num]
    elif isinstance(request, CodeList):
        parts = [5012, _sha256_text(request.code_list_str), request.count]
        parts += [request.first_code, request.last_code]
    else:
        parts = [5011, request.sha256, request.count, request.first_code, request.last_code]
    return json.dumps(parts, ensure_ascii=True, separators=(",", ":"))


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def describe_request(request: UploadRequest, seq: int) -> RequestRecord:
    """The manifest's record of ``request``, the ``seq``-th of its plan."""
    record = partial(
        RequestRecord,
        key=request_key(request),
        seq=seq,
        endpoint=request.endpoint,
        count=request.count,
        first_code=request.first_code,
        last_code=request.last_code,
    )
    if isinstance(request, CodeFile):
        return record(size=request.size, sha256=request.sha256)
    if isinstance(request, CodeList):
        text = request.code_list_str
        return record(size=len(text), sha256=_sha256_text(text))
    return record(
        size=0,
        prefix_str=request.prefix_str,
        start_num=request.start_num,
        end_num=request.end_num,
        length=request.length if isinstance(request, FixedLengthRange) else None,
    )


_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS requests (
    request_key TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    endpoint INTEGER NOT NULL CHECK (endpoint IN (5011, 5012, 5013, 5014)),
    code_count INTEGER NOT NULL CHECK (code_count > 0),
    first_code TEXT NOT NULL,
    last_code TEXT NOT NULL,
    payload_bytes INTEGER NOT NULL,
    sha256 TEXT,
    prefix_str TEXT,
    start_num INTEGER,
    end_num INTEGER,
    length INTEGER,
    state TEXT NOT NULL
        CHECK (state IN ('pending', 'intent', 'unknown', 'accepted', 'failed')),
    uploadcode_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    reconciled INTEGER NOT NULL DEFAULT 0,
    result_code INTEGER,
    message TEXT,
    intent_ms INTEGER,
    updated_ms INTEGER NOT NULL,
    CHECK (uploadcode_id IS NULL OR state = 'accepted')
);
CREATE UNIQUE INDEX IF NOT EXISTS requests_by_upload
    ON requests (uploadcode_id) WHERE uploadcode_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_key TEXT NOT NULL REFERENCES requests (request_key) ON DELETE CASCADE,
    at_ms INTEGER NOT NULL,
    event TEXT NOT NULL,
    detail TEXT
);
"""

_COLUMNS: Final = (
    "request_key, seq, endpoint, code_count, first_code, last_code, payload_bytes, sha256, "
    "prefix_str, start_num, end_num, length, state, uploadcode_id, attempts, reconciled, "
    "result_code, message, intent_ms"
)

Target = Mapping[str, str]


class UploadManifest(SqliteStore):
    """The manifest in one SQLite file (WAL, ``synchronous=FULL``); ``None``: in memory.

    An in-memory manifest gives a single run the same bookkeeping (reconciliation of lost
    answers included) without crash safety.  Methods are synchronous and thread-safe: the
    executor calls them from a worker thread, so that an fsync never stalls the event loop.
    ``lock=False`` opens an existing manifest another run may hold, to read it (``verify``,
    monitors).
    Use as a context manager, or call :meth:`close`.
    """

    kind = "manifest"
    item_word = "request"
    table = "requests"
    key_column = "request_key"
    columns = _COLUMNS
    schema = _SCHEMA
    schema_version = MANIFEST_SCHEMA_VERSION
    error = ManifestError
    locked_error = ManifestLockedError

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        lock: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        where = Path(path) if path is not None else None
        if where is not None and not lock and not where.exists():
            raise ManifestError(f"{where}: no such manifest")
        super().__init__(where, lock=lock, clock=clock)

    def __repr__(self) -> str:
        return f"UploadManifest({str(self.path) if self.path else ':memory:'!r})"

    # -- the target and other facts about the upload ----------------------------------------

    def bind(self, target: Target) -> None:
        """Tie the manifest to one upload (centre, unit, category, version, options…).

        The first run records ``target``; a later run with any different value is refused:
        "accepted" on another centre, unit or category says nothing about this one, and other
        options give other requests.
        """
        with self._mutex, self._transaction() as db:
            for name, value in sorted(target.items()):
                row = db.execute(
                    "SELECT value FROM meta WHERE name = ?", (f"target.{name}",)
                ).fetchone()
                if row is None:
                    db.execute("INSERT INTO meta VALUES (?, ?)", (f"target.{name}", value))
                elif row[0] != value:
                    raise ManifestMismatchError(
                        f"{self.path or 'the manifest'} records an upload with {name} "
                        f"{row[0]!r}, not {value!r}: its accepted requests say nothing about "
                        "this one; use another manifest (or the same settings)"
                    )

    def target(self) -> dict[str, str]:
        with self._mutex:
            rows = self._db.execute(
                "SELECT name, value FROM meta WHERE name LIKE 'target.%'"
            ).fetchall()
        return {name.removeprefix("target."): value for name, value in rows}

    def get_fact(self, name: str) -> Any:
        """A JSON value the executor keeps (plan summary, category, baseline), or ``None``."""
        with self._mutex:
            row = self._db.execute(
                "SELECT value FROM meta WHERE name = ?", (f"fact.{name}",)
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def set_fact(self, name: str, value: Any) -> None:
        check_no_secret_names([name], where=str(self.path or "manifest"))
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        with self._mutex, self._transaction() as db:
            db.execute(
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = ?",
                (f"fact.{name}", text, text),
            )

    def baseline(self) -> frozenset[str] | None:
        """Upload IDs of the category before this manifest's first request, if known."""
        ids = self.get_fact("baseline")
        return None if ids is None else frozenset(str(i) for i in ids)

    def set_baseline(self, ids: Iterable[str]) -> None:
        """Record the baseline; refused once any request was attempted (it would hold ours)."""
        if any(e.attempts for e in self.entries()):
            raise ManifestError("a baseline must be taken before the first request is sent")
        self.set_fact("baseline", sorted(ids))

    # -- the plan ----------------------------------------------------------------------------

    def adopt_plan(self, records: Sequence[RequestRecord]) -> bool:
        """Enter the plan's requests; ``True`` if the manifest was new (or replaced).

        A manifest that already holds this plan (the same keys) is left as it is: that is a
        re-run.  A manifest holding another plan is replaced only if none of its requests was
        ever attempted; otherwise :class:`ManifestMismatchError`: the input or the options
        changed, and the new chunks would hold codes the old ones already carried.
        """
        wanted = {r.key for r in records}
        if len(wanted) != len(records):
            raise ManifestError("the plan holds two requests with the same key")
        now = self.now_ms()
        with self._mutex, self._transaction() as db:
            known = dict(db.execute("SELECT request_key, attempts FROM requests").fetchall())
            if set(known) == wanted:
                return False
            if any(known.values()):
                missing = len(set(known) - wanted)
                new = len(wanted - set(known))
                raise ManifestMismatchError(
                    f"{self.path or 'the manifest'} holds another plan ({missing} of its "
                    f"requests are not in this one, {new} of this one's are new): the codes or "
                    "the planning options changed since it was written. Re-run with the "
                    "original input and options, or start a new manifest for the new codes "
                    "(codes already accepted would be uploaded again)"
                )
            db.execute("DELETE FROM requests")
            db.executemany(
                "INSERT INTO requests (request_key, seq, endpoint, code_count, first_code, "
                "last_code, payload_bytes, sha256, prefix_str, start_num, end_num, length, "
                "state, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                [
                    (
                        r.key,
                        r.seq,
                        r.endpoint,
                        r.count,
                        r.first_code,
                        r.last_code,
                        r.size,
                        r.sha256,
                        r.prefix_str,
                        r.start_num,
                        r.end_num,
                        r.length,
                        now,
                    )
                    for r in records
                ],
            )
            db.executemany(
                "INSERT INTO events (request_key, at_ms, event, detail) "
                "VALUES (?, ?, 'planned', ?)",
                [(r.key, now, f"#{r.seq} {r.endpoint} {r.count} codes") for r in records],
            )
            return True

    def entries(self) -> list[ManifestEntry]:
        """Every request, in plan order."""
        return [_entry(row) for row in self._select("ORDER BY seq")]

    def entry(self, key: str) -> ManifestEntry:
        rows = self._select("WHERE request_key = ?", (key,))
        if not rows:
            raise ManifestError(f"request {key} is not in the manifest")
        return _entry(rows[0])

    def counts(self) -> dict[EntryState, int]:
        """Requests by state (every state present, zeros included)."""
        with self._mutex:
            rows = self._db.execute("SELECT state, COUNT(*) FROM requests GROUP BY state")
            found = {EntryState(state): n for state, n in rows}
        return {state: found.get(state, 0) for state in EntryState}

    # -- transitions (each one commit, fsynced before it returns) ----------------------------

    def mark_intent(self, key: str) -> int:
        """Record the intent to send ``key`` now; returns its attempt count."""
        assignments = "attempts = attempts + 1, intent_ms = ?"
        return self._step(
            key, "intent", assignments, (self.now_ms(),), "intent", None, allowed=("pending",)
        )

    def mark_accepted(
        self,
        key: str,
        uploadcode_id: str | None,
        *,
        reconciled: bool = False,
        message: str | None = None,
    ) -> None:
        """The centre holds the request's codes (as batch ``uploadcode_id`` when known)."""
        detail = " ".join(
            p for p in (uploadcode_id, "reconciled" if reconciled else None, message) if p
        )
        assignments = "uploadcode_id = ?, reconciled = ?, result_code = NULL, message = ?"
        values = (uploadcode_id, int(reconciled), clean_message(message))
        self._step(key, "accepted", assignments, values, "accepted", detail or None, allowed=_SENT)

    def mark_unknown(self, key: str, message: str) -> None:
        """The request may have arrived; its answer was lost."""
        values = (clean_message(message),)
        self._step(key, "unknown", "message = ?", values, "unknown", message, allowed=_SENT)

    def mark_pending(self, key: str, message: str, *, event: str = "not-applied") -> None:
        """The request provably had no effect (busy, no connection, absent on the centre)."""
        values = (clean_message(message),)
        allowed = (*_SENT, "pending")
        self._step(key, "pending", "message = ?", values, event, message, allowed=allowed)

    def mark_failed(self, key: str, code: int | None, message: str) -> None:
        """The centre refused the request (nothing was uploaded)."""
        detail = f"code={code} {message}" if code is not None else message
        values = (code, clean_message(message))
        assignments = "result_code = ?, message = ?"
        self._step(key, "failed", assignments, values, "failed", detail, allowed=_SENT)

    def reset_failed(self) -> int:
        """Put ``failed`` requests back to ``pending`` (an operator's retry); how many."""
        return self._reset("state = 'failed'")


_SENT: Final = ("intent", "unknown")
"""The states a request leaves with an answer (or a lookup)."""


def _entry(row: tuple[Any, ...]) -> ManifestEntry:
    return ManifestEntry(
        key=row[0],
        seq=row[1],
        endpoint=row[2],
        count=row[3],
        first_code=row[4],
        last_code=row[5],
        size=row[6],
        sha256=row[7],
        prefix_str=row[8],
        start_num=row[9],
        end_num=row[10],
        length=row[11],
        state=EntryState(row[12]),
        uploadcode_id=row[13],
        attempts=row[14],
        reconciled=bool(row[15]),
        result_code=row[16],
        message=row[17],
        intent_ms=row[18],
    )
