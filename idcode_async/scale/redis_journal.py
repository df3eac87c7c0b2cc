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
from typing import TYPE_CHECKING, Any, Final, cast

import attrs

from .._denylist import check_no_secret_names
from .._logging import redact
from ..registration.inputs import registration_from_mapping
from ..registration.journal import JournalEntry, JournalError, RowState
from ..registration.outcomes import Status
from ..registration.records import UnitRegistration
from ._keys import RunKeys
from ._leased import RELEASE_LUA, RENEW_LUA, LeasedRunStore, Renewal, microseconds
from ._redis import ResponseError, SyncRedis, run_sync

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

DEFAULT_LEASE: Final = 60.0
"""Seconds a claim lasts without renewal; longer than the default request timeout (30 s)."""

DEFAULT_BATCH: Final = 10
"""Rows a worker claims at a time."""

DEFAULT_MAX_CLAIMS: Final = 5
"""Claims of one row without an outcome before it is set aside as stuck."""

EVENT_CAP: Final = 10_000
"""Events kept per run (the oldest are dropped)."""

_LOAD_CHUNK: Final = 500

_PRELUDE: Final = """
local meta, order, todo, held, stuck, failed, names, counts, events =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local prefix = ARGV[1]
local cap = tonumber(ARGV[2])
local A, ORDER = 3, 'row'
local function settled(state) return state == 'done' end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function num(v) if v then return tonumber(v) end return 0 end
local function fmt(x) return string.format('%.0f', x) end
local function bucket(state, outcome)
  if state == 'done' then return outcome end
  return state
end
local function event(key, name, detail, worker)
  local entry = {key = key, at_ms = math.floor(now / 1000), event = name}
  if detail and detail ~= '' then entry.detail = detail end
  if worker and worker ~= '' then entry.worker = worker end
  redis.call('RPUSH', events, cjson.encode(entry))
  redis.call('LTRIM', events, -cap, -1)
end
"""

_LOAD: Final = (
    _PRELUDE
    + """
-- ARGV[3..]: groups of key, row, organunit_name, name_key, login_name, record
local created = 0
for i = 3, #ARGV, 6 do
  local key, row = ARGV[i], ARGV[i + 1]
  local rk = prefix .. key
  if redis.call('EXISTS', rk) == 1 then
    if redis.call('HGET', rk, 'row') ~= row then
      redis.call('HSET', rk, 'row', row)
      redis.call('ZADD', order, row, key)
      for _, set in ipairs({todo, stuck, failed}) do
        if redis.call('ZSCORE', set, key) then redis.call('ZADD', set, row, key) end
      end
    end
  else
    redis.call('HSET', rk, 'row', row, 'organunit_name', ARGV[i + 2], 'name_key', ARGV[i + 3],
      'login_name', ARGV[i + 4], 'record', ARGV[i + 5], 'state', 'pending', 'outcome', '',
      'organunit_idcode', '', 'code', '', 'message', '', 'attempts', 0, 'reconciled', 0,
      'holder', '', 'lease_until', 0, 'claims', 0, 'updated_ms', fmt(math.floor(now / 1000)))
    redis.call('ZADD', order, row, key)
    redis.call('ZADD', todo, row, key)
    redis.call('HINCRBY', counts, 'pending', 1)
    local same = redis.call('HGET', names, ARGV[i + 3])
    if same then same = same .. ' ' .. key else same = key end
    redis.call('HSET', names, ARGV[i + 3], same)
    event(key, 'row', 'row ' .. row, '')
    created = created + 1
  end
end
return created
"""
)

_CLAIM: Final = (
    _PRELUDE
    + """
local worker, limit = ARGV[3], tonumber(ARGV[4])
local lease, max_claims = tonumber(ARGV[5]), tonumber(ARGV[6])
local halted = redis.call('HGET', meta, 'halted')
if halted and halted ~= '' then return {'halted', halted} end
-- leases that ran out: the holder stopped renewing (crashed, or cut off from Redis)
local expired = redis.call('ZRANGEBYSCORE', held, '-inf', fmt(now), 'LIMIT', 0, 1000)
for _, key in ipairs(expired) do
  local rk = prefix .. key
  local f = redis.call('HMGET', rk, 'holder', 'state', 'row')
  redis.call('HSET', rk, 'holder', '', 'lease_until', 0)
  redis.call('ZREM', held, key)
  if not settled(f[2]) then redis.call('ZADD', todo, f[3], key) end
  event(key, 'lease-expired', 'held by ' .. (f[1] or '?') .. ', state ' .. (f[2] or '?'), '')
end
local claimed = {}
while #claimed < limit do
  local top = redis.call('ZPOPMIN', todo, 1)
  if #top == 0 then break end
  local key, row = top[1], top[2]
  local rk = prefix .. key
  local f = redis.call('HMGET', rk, 'claims', 'state')
  local claims = num(f[1])
  if claims >= max_claims then
    redis.call('ZADD', stuck, row, key)
    event(key, 'stuck', claims .. ' claims without an outcome', worker)
  else
    redis.call('HSET', rk, 'holder', worker, 'lease_until', fmt(now + lease), 'claims', claims + 1)
    redis.call('ZADD', held, fmt(now + lease), key)
    local detail = 'state ' .. f[2]
    if claims > 0 then detail = detail .. ', claim ' .. (claims + 1) end
    event(key, 'claimed', detail, worker)
    table.insert(claimed, key)
  end
end
local wait = -1
local first = redis.call('ZRANGE', held, 0, 0, 'WITHSCORES')
if #first > 0 then wait = math.max(0, tonumber(first[2]) - now) end
return {'ok', claimed, redis.call('ZCARD', held), redis.call('ZCARD', todo), wait}
"""
)

_TRANSITION: Final = (
    _PRELUDE
    + """
-- ARGV: worker, key, new state, lease (intent only), event, detail, fields (JSON object)
local worker, key, state = ARGV[3], ARGV[4], ARGV[5]
local lease = tonumber(ARGV[6])
local rk = prefix .. key
if redis.call('EXISTS', rk) == 0 then return redis.error_reply('IDCODE_NO_ROW ' .. key) end
local f = redis.call('HMGET', rk, 'holder', 'lease_until', 'state', 'outcome', 'row')
if f[1] ~= worker then
  return redis.error_reply('IDCODE_LEASE_LOST held by ' .. ((f[1] ~= '' and f[1]) or 'nobody'))
end
if state == 'in_flight' then
  -- the intent is the point of no return: only a running lease may pass it
  if num(f[2]) <= now then return redis.error_reply('IDCODE_LEASE_LOST the lease expired') end
  redis.call('HINCRBY', rk, 'attempts', 1)
  redis.call('HINCRBY', counts, 'submissions', 1)
  redis.call('HSET', rk, 'lease_until', fmt(now + lease))
  redis.call('ZADD', held, fmt(now + lease), key)
end
local fields = cjson.decode(ARGV[9])
for name, value in pairs(fields) do
  if name == 'reconciled' then
    if value == '1' then redis.call('HSET', rk, 'reconciled', 1) end
  else
    redis.call('HSET', rk, name, value)
  end
end
if state ~= 'done' then redis.call('HSET', rk, 'outcome', '') end
redis.call('HSET', rk, 'state', state, 'updated_ms', fmt(math.floor(now / 1000)))
if state == 'done' then
  redis.call('HSET', rk, 'holder', '', 'lease_until', 0)
  redis.call('ZREM', held, key)
  redis.call('ZREM', todo, key)
  if fields['outcome'] == 'failed' then
    redis.call('ZADD', failed, f[5], key)
  else
    redis.call('ZREM', failed, key)
  end
end
local old = bucket(f[3], f[4])
local new = bucket(state, redis.call('HGET', rk, 'outcome'))
if old ~= new then
  redis.call('HINCRBY', counts, old, -1)
  redis.call('HINCRBY', counts, new, 1)
end
event(key, ARGV[7], ARGV[8], worker)
return num(redis.call('HGET', rk, 'attempts'))
"""
)

_RENEW: Final = _PRELUDE + RENEW_LUA

_RELEASE: Final = _PRELUDE + RELEASE_LUA

_REQUEUE: Final = (
    _PRELUDE
    + """
-- an operator's new run of the same batch: fresh claims for every unsettled row, stuck ones
-- back in todo, optionally failed ones sent again; the halt (if any) is lifted
local reset_failed = ARGV[3] == '1'
local requeued, retried = 0, 0
local stuck_rows = redis.call('ZRANGE', stuck, 0, -1, 'WITHSCORES')
for i = 1, #stuck_rows, 2 do
  redis.call('ZADD', todo, stuck_rows[i + 1], stuck_rows[i])
  event(stuck_rows[i], 'requeued', 'was stuck', '')
  requeued = requeued + 1
end
redis.call('DEL', stuck)
if reset_failed then
  local rows = redis.call('ZRANGE', failed, 0, -1, 'WITHSCORES')
  for i = 1, #rows, 2 do
    local key = rows[i]
    local rk = prefix .. key
    redis.call('HSET', rk, 'state', 'pending', 'outcome', '',
      'updated_ms', fmt(math.floor(now / 1000)))
    redis.call('HINCRBY', counts, 'failed', -1)
    redis.call('HINCRBY', counts, 'pending', 1)
    redis.call('ZADD', todo, rows[i + 1], key)
    event(key, 'retry-failed', '', '')
    retried = retried + 1
  end
  redis.call('DEL', failed)
end
local waiting = redis.call('ZRANGE', todo, 0, -1)
for _, key in ipairs(waiting) do redis.call('HSET', prefix .. key, 'claims', 0) end
redis.call('HDEL', meta, 'halted')
return {requeued, retried}
"""
)


class LeaseLostError(JournalError):
    """This worker no longer holds the row (its lease expired and another worker claimed it,
    or it never held it): the write was refused, and the row is the new holder's to settle."""


@attrs.frozen
class ClaimedRow:
    """A claimed row: its journal entry and the registration to send."""

    entry: JournalEntry
    record: UnitRegistration


@attrs.frozen
class Claim:
    """What one claim returned."""

    rows: tuple[ClaimedRow, ...] = ()
    held: int = 0
    """Rows held by any worker after this claim (this one's included)."""
    todo: int = 0
    """Rows still waiting to be claimed."""
    next_expiry: float | None = None
    """Seconds until the earliest lease runs out (``None``: nothing held)."""
    halted: str | None = None
    """The run was stopped (token refused …): the reason; nothing was claimed."""

    @property
    def finished(self) -> bool:
        """Nothing to claim and nothing held: every row is settled or stuck."""
        return not self.rows and self.halted is None and self.held == 0 and self.todo == 0


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


class RedisJournal(LeasedRunStore):
    """The batch journal of one run in Redis, with per-row claims for worker ``worker``.

    ``redis`` is a blocking client (:func:`~._redis.connect_sync`): the batch runner calls the
    journal from worker threads, like :class:`~idcode_async.registration.SqliteJournal`.  ``lease``
    (seconds) must exceed the request timeout: a worker cut off from Redis then has its answer
    (or its timeout) before anyone else may claim the row.  The writes the runner makes
    (``mark_*``, ``finish``) are *fenced*: refused with :class:`LeaseLostError` unless this
    worker holds the row.
    """

    def __init__(
        self,
        redis: SyncRedis,
        run_id: str,
        *,
        worker: str,
        lease: float = DEFAULT_LEASE,
        max_claims: int = DEFAULT_MAX_CLAIMS,
        owns_connection: bool = False,
    ) -> None:
        self.keys = RunKeys.for_run(run_id)
        super().__init__(
            redis, run_id, self.keys, worker=worker, lease=lease, max_claims=max_claims
        )
        self._owns = owns_connection
        self._load = redis.register_script(_LOAD)
        self._claim = redis.register_script(_CLAIM)
        self._transition = redis.register_script(_TRANSITION)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)
        self._requeue = redis.register_script(_REQUEUE)

    def __repr__(self) -> str:
        return f"RedisJournal(run_id={self.run_id!r}, worker={self.worker!r}, lease={self.lease})"

    def __enter__(self) -> RedisJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns:
            self._redis.close()

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
        return self._step(key, "in_flight", "sending", None, {})

    def mark_unknown(self, key: str, message: str) -> None:
        self._step(key, "unknown", "unknown", message, {"message": redact(message)})

    def mark_pending(self, key: str, message: str) -> None:
        self._step(key, "pending", "not-sent", message, {"message": redact(message)})

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
        if outcome not in ("registered", "existing", "failed"):
            raise JournalError(f"{outcome!r} is not a journal outcome")
        fields = {
            "outcome": outcome,
            "organunit_idcode": organunit_idcode or "",
            "code": "" if code is None else str(code),
            "message": "" if message is None else redact(message),
            "reconciled": "1" if reconciled else "0",
        }
        if login_name:
            fields["login_name"] = login_name
        detail = " ".join(
            part
            for part in (
                organunit_idcode,
                None if code is None else f"code={code}",
                "reconciled" if reconciled else None,
            )
            if part
        )
        self._step(key, "done", outcome, detail, fields)

    def reset_failed(self) -> int:
        return int(self._script(self._requeue, ["1"])[1])

    # -- claims -------------------------------------------------------------------------------

    def load(self, rows: Sequence[tuple[int, UnitRegistration]]) -> int:
        """Enter checked rows (row number, record) as ``pending``; returns how many were new.

        A row already in the run (same key) keeps its state: loading the same input again
        resumes the run.
        """
        created = 0
        for start in range(0, len(rows), _LOAD_CHUNK):
            args: list[Any] = []
            for row, record in rows[start : start + _LOAD_CHUNK]:
                values = record.wire_values()
                check_no_secret_names(values, where=f"run {self.run_id}")
                args += [
                    record.key,
                    row,
                    record.organunit_name,
                    record.name_key,
                    record.login_name,
                    json.dumps(values, ensure_ascii=False, separators=(",", ":")),
                ]
            created += int(self._script(self._load, args))
        return created

    def claim(self, limit: int = DEFAULT_BATCH) -> Claim:
        """Claim up to ``limit`` rows for this worker (expired leases first go back to todo)."""
        reply = self._script(
            self._claim, [self.worker, limit, microseconds(self.lease), self.max_claims]
        )
        if reply[0] == "halted":
            return Claim(halted=str(reply[1]))
        keys = [str(key) for key in reply[1]]
        rows = tuple(self._claimed_rows(keys))
        wait = int(reply[4])
        return Claim(
            rows=rows,
            held=int(reply[2]),
            todo=int(reply[3]),
            next_expiry=None if wait < 0 else wait / 1_000_000,
        )

    def renew(self, keys: Iterable[str]) -> Renewal:
        """Extend this worker's leases on ``keys``; report rows taken over and a halt."""
        return self._renew_ids(keys)

    def release(self, keys: Iterable[str], reason: str = "released") -> int:
        """Hand back rows this worker holds; unsettled ones are claimable again at once."""
        return self._release_ids(keys, reason)

    def counts(self) -> RunCounts:
        pipe = self._redis.pipeline(transaction=True)
        pipe.hgetall(self.keys.counts)
        pipe.zcard(self.keys.order)
        pipe.zcard(self.keys.held)
        pipe.zcard(self.keys.stuck)
        counts, rows, held, stuck = pipe.execute()
        values = {name: int(value) for name, value in counts.items()}
        return RunCounts(
            rows=int(rows),
            pending=values.get("pending", 0),
            in_flight=values.get("in_flight", 0),
            unknown=values.get("unknown", 0),
            registered=values.get("registered", 0),
            existing=values.get("existing", 0),
            failed=values.get("failed", 0),
            held=int(held),
            stuck=int(stuck),
            submissions=values.get("submissions", 0),
        )

    def events(self, key: str | None = None) -> list[dict[str, Any]]:
        """The run's recent transitions, oldest first (of one row if ``key`` is given)."""
        lines = cast(list[str], self._redis.lrange(self.keys.events, 0, -1))
        decoded = [json.loads(line) for line in lines]
        return [e for e in decoded if key is None or e.get("key") == key]

    def view(self, keys: Iterable[str]) -> ClaimView:
        """This journal as the runner should see it for one claim (see :class:`ClaimView`)."""
        return ClaimView(self, keys)

    # -- internals ------------------------------------------------------------------------------

    def _step(
        self, key: str, state: str, event: str, detail: str | None, fields: dict[str, str]
    ) -> int:
        args = [
            self.worker,
            key,
            state,
            microseconds(self.lease),
            event,
            "" if detail is None else redact(detail),
            json.dumps(fields, ensure_ascii=False),
        ]
        try:
            return int(self._script(self._transition, args))
        except ResponseError as exc:
            text = str(exc)
            if text.startswith("IDCODE_LEASE_LOST"):
                raise LeaseLostError(
                    f"row {key[:12]}… of run {self.run_id}: {text.split(' ', 1)[1]}"
                ) from None
            if text.startswith("IDCODE_NO_ROW"):
                raise JournalError(f"row {key[:12]}… is not in run {self.run_id}") from None
            raise

    def _script(self, script: Any, args: Sequence[Any]) -> Any:
        return run_sync(script, self.keys.script_keys, [self.keys.row_prefix, EVENT_CAP, *args])

    def _hashes(self, keys: Sequence[str]) -> list[dict[str, str]]:
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(self.keys.row(key))
        return cast(list[dict[str, str]], pipe.execute())

    def _entries(self, keys: Sequence[str]) -> list[JournalEntry]:
        entries = []
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            for key, fields in zip(chunk, self._hashes(chunk), strict=True):
                if fields:
                    entries.append(_entry(key, fields))
        return entries

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
        wanted = [f["name_key"] for f in self._hashes(keys) if f]
        found = dict.fromkeys(keys)
        if not wanted:
            return list(found)
        name_keys = cast(list[str | None], self._redis.hmget(self.keys.names, wanted))
        for value in name_keys:
            for key in (value or "").split():
                found[key] = None
        return list(found)


class ClaimView:
    """The shared journal seen through one claim: what the batch runner needs, and no more.

    The runner reads ``entries()`` once per call to learn the state of the rows it was given
    and of other rows with the same unit name (a row whose name an earlier request of the run
    may have registered is looked up with 307 before it is sent).  Over a shared run that is
    exactly: the claimed rows and their namesakes; reading all of a large run for every claim
    would be waste.  Every other method is the shared journal's own, fenced by the claim.
    """

    def __init__(self, journal: RedisJournal, keys: Iterable[str]) -> None:
        self.journal = journal
        self.keys = tuple(keys)

    def bind(self, target: str) -> None:
        self.journal.bind(target)

    def entries(self) -> dict[str, JournalEntry]:
        related = self.journal._siblings(self.keys)
        return {entry.key: entry for entry in self.journal._entries(related)}

    def entry(self, key: str) -> JournalEntry | None:
        return self.journal.entry(key)

    def add_pending(self, rows: Iterable[tuple[str, int, str, str, str]]) -> None:
        self.journal.add_pending(rows)

    def mark_intent(self, key: str) -> int:
        return self.journal.mark_intent(key)

    def mark_unknown(self, key: str, message: str) -> None:
        self.journal.mark_unknown(key, message)

    def mark_pending(self, key: str, message: str) -> None:
        self.journal.mark_pending(key, message)

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
        self.journal.finish(
            key,
            outcome,
            organunit_idcode=organunit_idcode,
            login_name=login_name,
            code=code,
            message=message,
            reconciled=reconciled,
        )

    def reset_failed(self) -> int:
        return self.journal.reset_failed()

    def close(self) -> None:
        """The view does not own the journal."""


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
