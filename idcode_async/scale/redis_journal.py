"""The shared journal of a multi-worker run: rows claimed with leases, exactly once, in Redis.

:class:`~idcode_async.registration.SqliteJournal` stays the single-machine default.  When several
workers (processes, machines) share one batch, each row must be sent by one worker at a time,
and a crashed worker's rows must not be lost.  :class:`RedisJournal` keeps the batch journal's
rows and states (``pending``, ``in_flight``, ``unknown``, ``done``) and adds a *claim* to each
row: a holder (the worker's id) and a lease expiry, in Redis time.

The life of a row, each step one atomic Lua script:

1. **load** (:meth:`RedisJournal.load`, by the enqueuer): the checked row enters the run as
   ``pending`` and joins the *todo* set, with the registration fields a worker needs to send it
   (309's fields; never a credential: the names are checked against the batch denylist).
2. **claim** (:meth:`RedisJournal.claim`): first, rows whose lease expired go back to *todo*
   (their holder stopped renewing: it crashed); then up to ``limit`` rows are taken from
   *todo* in row order, each with ``holder = worker`` and ``lease = now + lease``.  A row
   claimed ``max_claims`` times without an outcome is set aside as *stuck* instead.
3. **renew**: a live worker extends the leases of the rows it holds every third of the lease.
4. **intent** (``mark_intent``): allowed only to the holder, and only while its lease is
   running (checked on Redis's clock inside the script); the same step extends the lease.  Only
   then does the runner send 309.
5. **outcome** (``finish``, ``mark_unknown``, ``mark_pending``): allowed only to the holder.  A
   worker that lost its claim gets :class:`LeaseLostError` and its late answer is dropped; the
   new holder settles the row itself.
6. **release**: a worker hands back rows it could not settle (out of tries, stopped); they are
   claimable again at once.

A row taken over after its holder crashed may be ``in_flight`` or ``unknown``: the request may
have reached the centre.  The batch runner already treats such rows: a 307 lookup before any
resend (:mod:`idcode_async.registration.reconcile`).  The claim only decides *who* does that.

Durability: Redis acknowledges a write once it is applied in memory.  For the intent to
survive a crash of Redis itself, run it with ``appendonly yes`` and ``appendfsync always``
(then each reply comes after the fsync); see ``docs/scale-out.md``.

What is stored per row: row number, unit and user names, state, outcome, main code, result
code and message, attempts, the claim (holder, lease, claim count) and 309's registration
fields.  Never the access token, the authorisation code or a password.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, ClassVar, cast

import attrs

from .._denylist import check_no_secret_names
from .._logging import redact
from ..durable.store import LeaseLostError
from ..registration.inputs import registration_from_mapping
from ..registration.journal import JournalEntry, JournalError, RowState, outcome_detail
from ..registration.outcomes import Status
from ..registration.records import UnitRegistration
from ._keys import RunKeys
from ._leased import Renewal
from .leased_store import DEFAULT_BATCH, DEFAULT_LEASE, DEFAULT_MAX_CLAIMS, ItemClaim, LeasedStore

if TYPE_CHECKING:
    from ..registration.journal import Journal

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_LEASE",
    "DEFAULT_MAX_CLAIMS",
    "Claim",
    "ClaimView",
    "ClaimedRow",
    "LeaseLostError",
    "RedisJournal",
    "Renewal",
    "RunCounts",
]


@attrs.frozen
class ClaimedRow:
    """A claimed row: its journal entry and the registration to send."""

    entry: JournalEntry
    record: UnitRegistration


class Claim(ItemClaim[ClaimedRow]):
    """What one claim returned: the claimed rows and the run's state."""

    @property
    def rows(self) -> tuple[ClaimedRow, ...]:
        return self.items

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(row.entry.key for row in self.items)


@attrs.frozen(kw_only=True)
class RunCounts:
    """Rows of a run by state/outcome, and the claims, read from the journal in one step."""

    rows: int = 0
    pending: int = 0
    in_flight: int = 0
    unknown: int = 0
    registered: int = 0
    existing: int = 0
    failed: int = 0
    held: int = 0
    stuck: int = 0
    submissions: int = 0
    """309 intents recorded over the run's life (every attempt, resends included)."""

    @property
    def done(self) -> int:
        return self.registered + self.existing + self.failed

    @property
    def unsettled(self) -> int:
        return self.pending + self.in_flight + self.unknown


class RedisJournal(LeasedStore):
    """The batch journal of one run in Redis, with per-row claims for worker ``worker``.

    The leased store (:class:`~.leased_store.LeasedStore`) bound to registration rows: a row's
    state is ``pending``, ``in_flight``, ``unknown`` or ``done`` (with its outcome as the
    bucket it counts in).  The batch runner calls it from worker threads, like
    :class:`~idcode_async.registration.SqliteJournal`; the writes it makes (``mark_*``,
    ``finish``) are fenced: refused with :class:`LeaseLostError` unless this worker holds the
    row.
    """

    keys: RunKeys
    layout: ClassVar = RunKeys
    settled_states: ClassVar = ("done",)
    order_field: ClassVar = "row"
    load_event: ClassVar = "row"
    item_word: ClassVar = "row"
    error: ClassVar = JournalError

    # -- the Journal protocol -----------------------------------------------------------------

    def bind(self, target: str) -> None:
        self._redis.hsetnx(self.keys.meta, "target", target)
        bound = self._redis.hget(self.keys.meta, "target")
        if bound != target:
            raise JournalError(
                f"run {self.run_id} records a batch against {bound}, not {target}: its 'done' "
                "rows say nothing about this centre; use another run id"
            )

    def entries(self) -> dict[str, JournalEntry]:
        """Every row of the run by key (row order); for reports, not for workers."""
        keys = cast(list[str], self._redis.zrange(self.keys.order, 0, -1))
        return {entry.key: entry for entry in self._entries(keys)}

    def entry(self, key: str) -> JournalEntry | None:
        found = self._entries([key])
        return found[0] if found else None

    def add_pending(self, rows: Iterable[tuple[str, int, str, str, str]]) -> None:
        """Rows enter a shared run through :meth:`load` (which stores what workers need to send
        them); here the runner only confirms that the rows it was given are in the run."""
        keys = [row[0] for row in rows]
        if not keys:
            return
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.exists(self.keys.row(key))
        missing = [key for key, found in zip(keys, pipe.execute(), strict=True) if not found]
        if missing:
            raise JournalError(
                f"{len(missing)} row(s) are not in run {self.run_id} (first {missing[0][:12]}…): "
                "load rows into a shared run with RedisJournal.load / enqueue_registration"
            )

    def mark_intent(self, key: str) -> int:
        return self._step(key, "in_flight", intent=True, event="sending", detail=None, fields={})

    def mark_unknown(self, key: str, message: str) -> None:
        fields = {"outcome": "", "message": redact(message)}
        self._step(key, "unknown", event="unknown", detail=message, fields=fields)

    def mark_pending(self, key: str, message: str) -> None:
        fields = {"outcome": "", "message": redact(message)}
        self._step(key, "pending", event="not-sent", detail=message, fields=fields)

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
        fields = {
            "outcome": outcome,
            "organunit_idcode": organunit_idcode or "",
            "code": "" if code is None else str(code),
            "message": "" if message is None else redact(message),
        }
        if reconciled:
            fields["reconciled"] = "1"
        if login_name:
            fields["login_name"] = login_name
        self._step(key, "done", bucket=outcome, event=outcome, detail=detail, fields=fields)

    # -- claims -------------------------------------------------------------------------------

    def load(self, rows: Sequence[tuple[int, UnitRegistration]]) -> int:
        """Enter checked rows (row number, record) as ``pending``; returns how many were new.

        A row already in the run (same key) keeps its state: loading the same input again
        resumes the run.
        """
        items = []
        for row, record in rows:
            values = record.wire_values()
            check_no_secret_names(values, where=f"run {self.run_id}")
            fields = {
                "row": str(row),
                "organunit_name": record.organunit_name,
                "name_key": record.name_key,
                "group": record.name_key,
                "login_name": record.login_name,
                "record": json.dumps(values, ensure_ascii=False, separators=(",", ":")),
                "outcome": "",
                "organunit_idcode": "",
                "code": "",
                "message": "",
                "reconciled": "0",
            }
            items.append((record.key, row, fields, ""))
        return self._load_items(items)[0]

    def claim(self, limit: int = DEFAULT_BATCH) -> Claim:
        """Claim up to ``limit`` rows for this worker (expired leases first go back to todo)."""
        raw = self._claim_ids(limit)
        return Claim.carrying(raw, self._claimed_rows(raw.items))

    def counts(self) -> RunCounts:
        values, rows, held, stuck, _, _ = self._counts()
        names = ("pending", "in_flight", "unknown", "registered", "existing", "failed")
        return RunCounts(
            rows=rows,
            held=held,
            stuck=stuck,
            submissions=values.get("submissions", 0),
            **{name: values.get(name, 0) for name in names},
        )

    def view(self, keys: Iterable[str]) -> ClaimView:
        """This journal as the runner should see it for one claim (see :class:`ClaimView`)."""
        return ClaimView(self, keys)

    # -- internals ------------------------------------------------------------------------------

    def _entries(self, keys: Sequence[str]) -> list[JournalEntry]:
        hashes = self._hashes(keys)
        return [_entry(key, fields) for key, fields in zip(keys, hashes, strict=True) if fields]

    def _claimed_rows(self, keys: Sequence[str]) -> list[ClaimedRow]:
        rows = []
        for key, fields in zip(keys, self._hashes(keys), strict=True):
            record = registration_from_mapping(json.loads(fields["record"]))
            if record.key != key:
                raise JournalError(f"row {key[:12]}… of run {self.run_id} does not match its key")
            rows.append(ClaimedRow(_entry(key, fields), record))
        return rows

    def _siblings(self, keys: Sequence[str]) -> list[str]:
        """Keys of the rows that share a unit name with any of ``keys`` (``keys`` included)."""
        wanted = [f["group"] for f in self._hashes(keys) if f]
        found = dict.fromkeys(keys)
        if not wanted:
            return list(found)
        name_keys = cast(list[str | None], self._redis.hmget(self.keys.groups, wanted))
        for value in name_keys:
            for key in (value or "").split():
                found[key] = None
        return list(found)


class ClaimView(RedisJournal):
    """The shared journal seen through one claim: what the batch runner needs, and no more.

    The runner reads ``entries()`` once per call to learn the state of the rows it was given
    and of other rows with the same unit name (a row whose name an earlier request of the run
    may have registered is looked up with 307 before it is sent).  Over a shared run that is
    exactly: the claimed rows and their namesakes; reading all of a large run for every claim
    would be waste.  Every other method is the shared journal's own, fenced by the claim; the
    view does not own the connection.
    """

    def __init__(self, journal: RedisJournal, keys: Iterable[str]) -> None:
        vars(self).update(vars(journal))
        self._owns = False
        self.journal = journal
        self.claimed = tuple(keys)

    def entries(self) -> dict[str, JournalEntry]:
        return {entry.key: entry for entry in self._entries(self._siblings(self.claimed))}


def _entry(key: str, fields: dict[str, str]) -> JournalEntry:
    return JournalEntry(
        key=key,
        row=int(fields["row"]),
        organunit_name=fields["organunit_name"],
        name_key=fields["name_key"],
        login_name=fields["login_name"],
        state=RowState(fields["state"]),
        outcome=cast(Status, fields["outcome"]) if fields.get("outcome") else None,
        organunit_idcode=fields.get("organunit_idcode") or None,
        code=int(fields["code"]) if fields.get("code") else None,
        message=fields.get("message") or None,
        attempts=int(fields.get("attempts", 0)),
        reconciled=fields.get("reconciled") == "1",
    )


if TYPE_CHECKING:
    # Both are batch journals: mypy checks them against the protocol the runner uses.
    def _conforms(journal: RedisJournal, view: ClaimView) -> tuple[Journal, Journal]:
        return journal, view
