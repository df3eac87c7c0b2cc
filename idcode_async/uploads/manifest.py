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

A request whose answer was lost is settled by asking the centre (:mod:`.reconcile`).  The
store itself (lock, refusal of foreign files, items, events, facts) is
:mod:`idcode_async.durable.sqlite`, shared with the batch journal; this module says what a
request is and which transitions it may take.

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
field names are checked against the batch's deny-list, and messages pass through
:func:`~idcode_async._logging.redact`.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

import attrs

from ..durable.sqlite import SqliteStore
from ..durable.store import Entry, StoreError, StoreLockedError
from .plan import CodeList, FixedLengthRange, PrefixRange, UploadRequest

__all__ = [
    "EntryState",
    "ManifestEntry",
    "ManifestError",
    "ManifestLockedError",
    "ManifestMismatchError",
    "RequestRecord",
    "UploadManifest",
    "describe_request",
    "request_key",
]


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
class ManifestEntry(RequestRecord, Entry):
    """One request with its state."""

    state: EntryState
    uploadcode_id: str | None = None
    result_code: int | None = None
    intent_ms: int | None = None
    """Local wall-clock time (epoch ms) of the latest intent."""

    @property
    def accepted(self) -> bool:
        return self.state is EntryState.ACCEPTED


def request_key(request: UploadRequest) -> str:
    """The stable key of a plan request (see the module docstring)."""
    return describe_request(request, 0).key


def describe_request(request: UploadRequest, seq: int) -> RequestRecord:
    """The manifest's record of ``request``, the ``seq``-th of its plan."""
    what: dict[str, Any]
    if isinstance(request, PrefixRange | FixedLengthRange):
        what = attrs.asdict(request) | {"size": 0}
        parts: list[Any] = [request.endpoint, *attrs.astuple(request)]
    else:
        if isinstance(request, CodeList):
            text = request.code_list_str
            sha256, size = hashlib.sha256(text.encode()).hexdigest(), len(text)
        else:
            sha256, size = request.sha256, request.size
        what = {"sha256": sha256, "size": size}
        parts = [request.endpoint, sha256, request.count, request.first_code, request.last_code]
    return RequestRecord(
        key=json.dumps(parts, ensure_ascii=True, separators=(",", ":")),
        seq=seq,
        endpoint=request.endpoint,
        count=request.count,
        first_code=request.first_code,
        last_code=request.last_code,
        **what,
    )


_SENT: Final = ("intent", "unknown")
"""The states a request leaves with an answer (or a lookup)."""


class UploadManifest(SqliteStore[ManifestEntry]):
    """The manifest in one SQLite file (WAL, ``synchronous=FULL``); ``None``: in memory, the
    same bookkeeping (reconciliation of lost answers included) without crash safety.
    ``lock=False`` opens an existing manifest another run may hold, to read it (``verify``,
    monitors).  A context manager, or call :meth:`close`.
    """

    kind = "manifest"
    item_word = "request"
    entry_type = ManifestEntry
    outcomes = ("accepted", "failed")
    receipt_field = "uploadcode_id"
    renames: ClassVar[Mapping[str, str]] = {"code": "result_code", "receipt": "uploadcode_id"}
    error = ManifestError
    locked_error = ManifestLockedError
    mismatch_error = ManifestMismatchError
    allowed_from: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "intent": ("pending",),
        "unknown": _SENT,
        "pending": (*_SENT, "pending"),
        "accepted": _SENT,
        "failed": _SENT,
    }

    def __repr__(self) -> str:
        return f"UploadManifest({str(self.path) if self.path else ':memory:'!r})"

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
        with self._write() as db:
            known = dict(db.execute("SELECT key, attempts FROM items").fetchall())
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
            db.execute("DELETE FROM items")
            for r in records:
                data = attrs.asdict(
                    r, filter=lambda a, v: v is not None and a.name not in ("key", "seq")
                )
                self._insert(db, r.key, r.seq, data, "planned")
            return True

    def counts(self) -> dict[EntryState, int]:
        """Requests by state (every state present, zeros included)."""
        rows = self._read("SELECT COALESCE(outcome, state), COUNT(*) FROM items GROUP BY 1")
        found = {EntryState(state): n for state, n in rows}
        return {state: found.get(state, 0) for state in EntryState}

    def _state(self, state: str, outcome: str | None) -> EntryState:
        return EntryState(outcome or state)
