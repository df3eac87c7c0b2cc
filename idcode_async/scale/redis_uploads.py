"""The shared manifest of a multi-worker code upload: requests claimed with leases, in Redis.

:class:`~idcode_async.uploads.UploadManifest` (SQLite) stays the single-machine default.  When
several workers share one upload (5011–5014, seed §十), each request of the plan must be sent by
one worker at a time and a crashed worker's requests must not be lost.
:class:`RedisUploadManifest` keeps the SQLite manifest's states (``pending``, ``intent``,
``unknown``, ``accepted``, ``failed``) and its transitions, and adds a *claim* per request: a
holder and a lease expiry on Redis's clock.  It is the leased store
(:class:`~.leased_store.LeasedStore`, the same scripts as :class:`~.redis_journal.
RedisJournal`) bound to upload requests: a request's fields are its plan record, its blob the
5011 chunk, its unique field the ``uploadcode_id``.

The life of a request:

1. **load** (by the operator, :func:`~.uploads.load_upload`): every request of the plan enters
   as ``pending`` with what a worker needs to send it (ranges and lists in the hash; a 5011
   chunk's bytes in a blob key beside it); a request already in the run keeps its state.
2. **claim**: expired leases go back to *todo* first; then up to ``limit`` requests are taken
   in plan order.  A request claimed ``max_claims`` times without an outcome is set aside as
   *stuck*.
3. **intent** (``mark_intent``): only the holder, only while its lease runs (checked on Redis's
   clock in the script), and only from ``pending``; it extends the lease and records
   ``intent_ms`` (Redis time, the clock the reconciliation grace is measured with).  Only then
   is the request sent.
4. **outcome** (``mark_accepted``/``_failed``/``_unknown``/``_pending``): only the holder, from
   the states the SQLite manifest allows.  ``accepted`` records the ``uploadcode_id`` (unique
   in the run, as the SQLite manifest's index makes it) and deletes the chunk's blob.
5. **set aside** (:meth:`RedisUploadManifest.set_aside`): a request whose fate the centre's
   records cannot decide is not sent again: it leaves the claims as *stuck*, with the reason,
   for the operator (loading the run again gives it fresh claims).

A request taken over in ``intent``/``unknown`` may have reached the centre: the new holder
settles it with the upload executor's own reconciliation (502/505, :mod:`~idcode_async.
uploads.reconcile`) before anything is sent; :mod:`.uploads` does that.

Durability is Redis's (``appendonly yes``, ``appendfsync always``: ``docs/scale-out.md``).
Nothing here names the access token or the authorisation code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Final, cast

import attrs

from .._denylist import check_no_secret_names
from ..durable.store import LeaseLostError
from ..uploads.manifest import EntryState, ManifestEntry, ManifestError, RequestRecord
from ._keys import UploadKeys, entry_id
from .leased_store import (
    DEFAULT_BATCH,
    ItemClaim,
    LeasedStore,
    clean_text,
)

_SENT: Final = ("intent", "unknown")
"""The states a request leaves with an answer (or a lookup)."""

__all__ = [
    "LeaseLostError",
    "RedisUploadManifest",
    "UploadClaim",
    "UploadCounts",
    "UploadKeys",
    "entry_id",
]


class UploadClaim(ItemClaim[ManifestEntry]):
    """What one claim returned: the claimed requests (in plan order) and the run's state;
    ``ready`` is ``False`` while the operator is still loading the run."""

    @property
    def entries(self) -> tuple[ManifestEntry, ...]:
        return self.items

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(entry.key for entry in self.items)


@attrs.frozen(kw_only=True)
class UploadCounts:
    """Requests of an upload run by state, and codes, read in one step."""

    requests: int = 0
    pending: int = 0
    intent: int = 0
    unknown: int = 0
    accepted: int = 0
    failed: int = 0
    held: int = 0
    stuck: int = 0
    todo: int = 0
    codes: int = 0
    accepted_codes: int = 0
    submissions: int = 0
    halted: str | None = None

    @property
    def unsettled(self) -> int:
        return self.pending + self.intent + self.unknown

    @property
    def finished(self) -> bool:
        """No request held or waiting: each is settled or stuck (or the run halted)."""
        return self.held == 0 and (self.todo == 0 or self.halted is not None)

    @property
    def complete(self) -> bool:
        return self.requests > 0 and self.accepted == self.requests

    def describe(self) -> str:
        text = (
            f"{self.accepted_codes}/{self.codes} codes accepted; {self.requests} requests: "
            f"{self.accepted} accepted, {self.failed} failed, {self.unsettled} not settled "
            f"({self.held} claimed, {self.stuck} stuck); {self.submissions} submissions"
        )
        return text + (f"; halted: {self.halted}" if self.halted else "")


class RedisUploadManifest(LeasedStore):
    """The manifest of one shared upload run, as worker ``worker`` sees and writes it.

    It has the methods of the executor's manifest protocol
    (:class:`~idcode_async.uploads.executor.ManifestStore`), so the upload executor's own
    settling and reconciliation run on it; its writes are fenced by the worker's claims.
    ``redis`` is a blocking client (the executor calls its manifest from worker threads).
    """

    keys: UploadKeys
    layout: ClassVar = UploadKeys
    settled_states: ClassVar = ("accepted", "failed")
    order_field: ClassVar = "seq"
    load_event: ClassVar = "request"
    item_word: ClassVar = "request"
    error: ClassVar = ManifestError
    gated: ClassVar = True
    unique_field: ClassVar = "uploadcode_id"

    path: Path | None = None

    # -- facts ----------------------------------------------------------------------------------

    def get_fact(self, name: str) -> Any:
        text = self._redis.hget(self.keys.meta, f"fact.{name}")
        return None if text is None else json.loads(str(text))

    def set_fact(self, name: str, value: Any) -> None:
        check_no_secret_names([name], where=f"upload run {self.run_id}")
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        self._redis.hset(self.keys.meta, f"fact.{name}", text)

    def baseline(self) -> frozenset[str] | None:
        ids = self.get_fact("baseline")
        return None if ids is None else frozenset(str(i) for i in ids)

    def set_baseline(self, ids: Iterable[str]) -> None:
        """Record the baseline; refused once any request was attempted (it would hold ours)."""
        if int(str(self._redis.hget(self.keys.counts, "submissions") or 0)):
            raise ManifestError("a baseline must be taken before the first request is sent")
        self.set_fact("baseline", sorted(ids))

    def now_ms(self) -> int:
        """Redis's clock: the one ``intent_ms`` is recorded with, on every worker alike."""
        seconds, micros = cast(tuple[int, int], self._redis.time())
        return int(seconds) * 1000 + int(micros) // 1000

    # -- the plan -------------------------------------------------------------------------------

    def adopt_plan(self, records: Sequence[RequestRecord]) -> bool:
        """Requests enter a shared run through :meth:`load` (with their payloads)."""
        raise ManifestError("load a shared upload run with load_upload / enqueue_upload")

    def load(self, record: RequestRecord, blob: str = "") -> EntryState:
        """Enter one request (and its 5011 chunk as text); returns its state in the run."""
        fields = {
            name: "" if value is None else str(value)
            for name, value in attrs.asdict(record).items()
        }
        fields.update(weight=str(record.count), reconciled="0")
        _, states = self._load_items([(entry_id(record.key), record.seq, fields, blob)])
        return EntryState(states[0])

    def blob(self, key: str) -> str | None:
        value = self._redis.get(self.keys.blob(key))
        return None if value is None else str(value)

    # -- reads ------------------------------------------------------------------------------------

    def entries(self) -> list[ManifestEntry]:
        """Every request, in plan order (the executor counts accepted IDs of all workers)."""
        ids = cast(list[str], self._redis.zrange(self.keys.order, 0, -1))
        return self._entries(ids)

    def entry(self, key: str) -> ManifestEntry:
        found = self._entries([entry_id(key)])
        if not found:
            raise ManifestError(f"request {key} is not in upload run {self.run_id}")
        return found[0]

    def stuck(self) -> list[tuple[ManifestEntry, str]]:
        """Requests set aside, with the reason."""
        ids = cast(list[str], self._redis.zrange(self.keys.stuck, 0, -1))
        hashes = self._hashes(ids)
        return [(_entry(f), f.get("stuck_reason", "")) for f in hashes if f]

    def counts(self) -> UploadCounts:
        values, requests, held, stuck, todo, halted = self._counts()
        names = ("pending", "intent", "unknown", "accepted", "failed", "submissions")
        return UploadCounts(
            requests=requests,
            held=held,
            stuck=stuck,
            todo=todo,
            halted=halted,
            codes=values.get("weight", 0),
            accepted_codes=values.get("settled_weight", 0),
            **{name: values.get(name, 0) for name in names},
        )

    # -- claims -----------------------------------------------------------------------------------

    def claim(self, limit: int = DEFAULT_BATCH) -> UploadClaim:
        raw = self._claim_ids(limit)
        return UploadClaim.carrying(raw, self._entries(raw.items))

    # -- transitions (fenced: only the holder) -----------------------------------------------------

    def mark_intent(self, key: str) -> int:
        return self._step(
            key, "intent", allowed=("pending",), intent=True, event="intent", detail=None, fields={}
        )

    def mark_accepted(
        self,
        key: str,
        uploadcode_id: str | None,
        *,
        reconciled: bool = False,
        message: str | None = None,
    ) -> None:
        detail = " ".join(
            p for p in (uploadcode_id, "reconciled" if reconciled else None, message) if p
        )
        fields = {
            "uploadcode_id": uploadcode_id or "",
            "reconciled": "1" if reconciled else "0",
            "result_code": "",
            "message": clean_text(message),
        }
        self._settle(key, "accepted", detail, fields)

    def mark_unknown(self, key: str, message: str) -> None:
        fields = {"message": clean_text(message)}
        self._step(key, "unknown", allowed=_SENT, event="unknown", detail=message, fields=fields)

    def mark_pending(self, key: str, message: str, *, event: str = "not-applied") -> None:
        fields = {"message": clean_text(message)}
        allowed = (*_SENT, "pending")
        self._step(key, "pending", allowed=allowed, event=event, detail=message, fields=fields)

    def mark_failed(self, key: str, code: int | None, message: str) -> None:
        fields = {"result_code": "" if code is None else str(code), "message": clean_text(message)}
        self._settle(
            key, "failed", f"code={code} {message}" if code is not None else message, fields
        )

    def _settle(self, key: str, state: str, detail: str, fields: dict[str, str]) -> None:
        self._step(key, state, allowed=_SENT, event=state, detail=detail, fields=fields)

    # -- internals --------------------------------------------------------------------------------

    def _entries(self, ids: Sequence[str]) -> list[ManifestEntry]:
        return [_entry(fields) for fields in self._hashes(ids) if fields]


def _entry(fields: dict[str, str]) -> ManifestEntry:
    def text(name: str) -> str | None:
        return fields.get(name) or None

    def number(name: str) -> int | None:
        value = fields.get(name)
        return int(value) if value else None

    return ManifestEntry(
        key=fields["key"],
        seq=int(fields["seq"]),
        endpoint=int(fields["endpoint"]),
        count=int(fields["count"]),
        first_code=fields["first_code"],
        last_code=fields["last_code"],
        size=int(fields["size"]),
        sha256=text("sha256"),
        prefix_str=fields.get("prefix_str") if fields.get("start_num") else None,
        start_num=number("start_num"),
        end_num=number("end_num"),
        length=number("length"),
        state=EntryState(fields["state"]),
        uploadcode_id=text("uploadcode_id"),
        attempts=int(fields.get("attempts") or 0),
        reconciled=fields.get("reconciled") == "1",
        result_code=number("result_code"),
        message=text("message"),
        intent_ms=number("intent_ms"),
    )
