"""The shared manifest of a multi-worker code upload: requests claimed with leases, in Redis.

:class:`~idcode_async.uploads.UploadManifest` (SQLite) stays the single-machine default.  When
several workers share one upload (5011–5014, seed §十), each request of the plan must be sent by
one worker at a time and a crashed worker's requests must not be lost.
:class:`RedisUploadManifest` keeps the SQLite manifest's states (``pending``, ``intent``,
``unknown``, ``accepted``, ``failed``) and its transitions, and adds a *claim* per request: a
holder and a lease expiry on Redis's clock.  It has the shape of
:class:`~.redis_journal.RedisJournal` (the same claim, renew, release and requeue steps, one
atomic Lua script each), but its own scripts: a request's states, its fields and its 5011
payload are not a registration row's, and one script generalised over both would be harder to
read than two short ones.

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

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final, cast

import attrs

from .._denylist import check_no_secret_names
from .._logging import redact
from ..uploads.manifest import EntryState, ManifestEntry, ManifestError, RequestRecord
from ._keys import check_run_id
from ._leased import RELEASE_LUA, RENEW_LUA, LeasedRunStore, Renewal, microseconds
from ._redis import ResponseError, SyncRedis, run_sync
from .redis_journal import (
    DEFAULT_BATCH,
    DEFAULT_LEASE,
    DEFAULT_MAX_CLAIMS,
    EVENT_CAP,
    LeaseLostError,
)

__all__ = [
    "RedisUploadManifest",
    "UploadClaim",
    "UploadCounts",
    "UploadKeys",
    "entry_id",
]

_PRELUDE: Final = """
local meta, order, todo, held, stuck, counts, events, ids =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local prefix, blobs = ARGV[1], ARGV[2]
local cap = tonumber(ARGV[3])
local A, ORDER = 4, 'seq'
local function settled(state) return state == 'accepted' or state == 'failed' end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now_ms = math.floor(now / 1000)
local function num(v) if v and v ~= '' then return tonumber(v) end return 0 end
local function fmt(x) return string.format('%.0f', x) end
local function event(id, name, detail, worker)
  local entry = {key = id, at_ms = now_ms, event = name}
  if detail and detail ~= '' then entry.detail = detail end
  if worker and worker ~= '' then entry.worker = worker end
  redis.call('RPUSH', events, cjson.encode(entry))
  redis.call('LTRIM', events, -cap, -1)
end
"""

_LOAD: Final = (
    _PRELUDE
    + """
-- ARGV[4..6]: id, seq, fields (JSON object); ARGV[7]: the 5011 chunk ('' for none)
local id, seq = ARGV[4], ARGV[5]
local rk = prefix .. id
local state = redis.call('HGET', rk, 'state')
if not state then
  local fields = cjson.decode(ARGV[6])
  for name, value in pairs(fields) do redis.call('HSET', rk, name, value) end
  redis.call('HSET', rk, 'state', 'pending', 'attempts', 0, 'reconciled', 0, 'holder', '',
    'lease_until', 0, 'claims', 0, 'updated_ms', now_ms)
  redis.call('ZADD', order, seq, id)
  redis.call('ZADD', todo, seq, id)
  redis.call('HINCRBY', counts, 'pending', 1)
  redis.call('HINCRBY', counts, 'codes', num(fields['count']))
  event(id, 'request', 'seq ' .. seq, '')
  state = 'pending'
end
if ARGV[7] ~= '' and state ~= 'accepted' then redis.call('SET', blobs .. id, ARGV[7]) end
if state == 'pending' and not redis.call('ZSCORE', held, id) then
  redis.call('ZADD', todo, seq, id)
end
return state
"""
)

_CLAIM: Final = (
    _PRELUDE
    + """
local worker, limit = ARGV[4], tonumber(ARGV[5])
local lease, max_claims = tonumber(ARGV[6]), tonumber(ARGV[7])
local halted = redis.call('HGET', meta, 'halted')
if halted and halted ~= '' then return {'halted', halted} end
if redis.call('HGET', meta, 'ready') ~= '1' then return {'not-ready'} end
local expired = redis.call('ZRANGEBYSCORE', held, '-inf', fmt(now), 'LIMIT', 0, 1000)
for _, id in ipairs(expired) do
  local rk = prefix .. id
  local f = redis.call('HMGET', rk, 'holder', 'state', 'seq')
  redis.call('HSET', rk, 'holder', '', 'lease_until', 0)
  redis.call('ZREM', held, id)
  redis.call('ZADD', todo, f[3], id)
  event(id, 'lease-expired', 'held by ' .. (f[1] or '?') .. ', state ' .. (f[2] or '?'), '')
end
local claimed = {}
while #claimed < limit do
  local top = redis.call('ZPOPMIN', todo, 1)
  if #top == 0 then break end
  local id, seq = top[1], top[2]
  local rk = prefix .. id
  local f = redis.call('HMGET', rk, 'claims', 'state')
  local claims = num(f[1])
  if settled(f[2]) then
    -- settled meanwhile (a resumed run): nothing to claim
  elseif claims >= max_claims then
    redis.call('ZADD', stuck, seq, id)
    redis.call('HSET', rk, 'stuck_reason', claims .. ' claims without an outcome')
    event(id, 'stuck', claims .. ' claims without an outcome', worker)
  else
    redis.call('HSET', rk, 'holder', worker, 'lease_until', fmt(now + lease), 'claims', claims + 1)
    redis.call('ZADD', held, fmt(now + lease), id)
    local detail = 'state ' .. f[2]
    if claims > 0 then detail = detail .. ', claim ' .. (claims + 1) end
    event(id, 'claimed', detail, worker)
    table.insert(claimed, id)
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
-- ARGV: worker, id, new state, allowed states (space separated), lease, event, detail, fields
local worker, id, state, allowed = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local lease = tonumber(ARGV[8])
local rk = prefix .. id
if redis.call('EXISTS', rk) == 0 then return redis.error_reply('IDCODE_NO_ROW ' .. id) end
local f = redis.call('HMGET', rk, 'holder', 'lease_until', 'state', 'count')
if f[1] ~= worker then
  return redis.error_reply('IDCODE_LEASE_LOST held by ' .. ((f[1] ~= '' and f[1]) or 'nobody'))
end
if not string.find(' ' .. allowed .. ' ', ' ' .. f[3] .. ' ', 1, true) then
  return redis.error_reply('IDCODE_BAD_STATE cannot go from ' .. f[3] .. ' to ' .. state)
end
local fields = cjson.decode(ARGV[11])
if state == 'intent' then
  -- the point of no return: only a running lease may pass it
  if num(f[2]) <= now then return redis.error_reply('IDCODE_LEASE_LOST the lease expired') end
  redis.call('HINCRBY', rk, 'attempts', 1)
  redis.call('HINCRBY', counts, 'submissions', 1)
  redis.call('HSET', rk, 'lease_until', fmt(now + lease), 'intent_ms', now_ms)
  redis.call('ZADD', held, fmt(now + lease), id)
end
if state == 'accepted' and fields['uploadcode_id'] and fields['uploadcode_id'] ~= '' then
  local owner = redis.call('HGET', ids, fields['uploadcode_id'])
  if owner and owner ~= id then
    return redis.error_reply('IDCODE_BAD_STATE batch ' .. fields['uploadcode_id'] ..
      ' is already another request\\'s')
  end
  redis.call('HSET', ids, fields['uploadcode_id'], id)
end
for name, value in pairs(fields) do redis.call('HSET', rk, name, value) end
redis.call('HSET', rk, 'state', state, 'updated_ms', now_ms)
if state == 'accepted' or state == 'failed' then
  redis.call('HSET', rk, 'holder', '', 'lease_until', 0)
  redis.call('ZREM', held, id)
  redis.call('ZREM', todo, id)
end
if state == 'accepted' then
  redis.call('DEL', blobs .. id)
  redis.call('HINCRBY', counts, 'accepted_codes', num(f[4]))
end
if f[3] ~= state then
  redis.call('HINCRBY', counts, f[3], -1)
  redis.call('HINCRBY', counts, state, 1)
end
event(id, ARGV[9], ARGV[10], worker)
return num(redis.call('HGET', rk, 'attempts'))
"""
)

_SET_ASIDE: Final = (
    _PRELUDE
    + """
local worker, id, reason = ARGV[4], ARGV[5], ARGV[6]
local rk = prefix .. id
local f = redis.call('HMGET', rk, 'holder', 'seq')
if f[1] ~= worker then return 0 end
redis.call('HSET', rk, 'holder', '', 'lease_until', 0, 'stuck_reason', reason)
redis.call('ZREM', held, id)
redis.call('ZREM', todo, id)
redis.call('ZADD', stuck, f[2], id)
event(id, 'stuck', reason, worker)
return 1
"""
)

_RENEW: Final = _PRELUDE + RENEW_LUA

_RELEASE: Final = _PRELUDE + RELEASE_LUA

_REQUEUE: Final = (
    _PRELUDE
    + """
-- the operator loads the run again: stuck requests back in todo with fresh claims, failed ones
-- pending again if asked, the halt lifted
local retry_failed = ARGV[4] == '1'
local requeued, retried = 0, 0
local rows = redis.call('ZRANGE', stuck, 0, -1, 'WITHSCORES')
for i = 1, #rows, 2 do
  redis.call('ZADD', todo, rows[i + 1], rows[i])
  redis.call('HDEL', prefix .. rows[i], 'stuck_reason')
  event(rows[i], 'requeued', 'was stuck', '')
  requeued = requeued + 1
end
redis.call('DEL', stuck)
if retry_failed then
  local all = redis.call('ZRANGE', order, 0, -1, 'WITHSCORES')
  for i = 1, #all, 2 do
    local rk = prefix .. all[i]
    if redis.call('HGET', rk, 'state') == 'failed' then
      redis.call('HSET', rk, 'state', 'pending', 'updated_ms', now_ms)
      redis.call('HINCRBY', counts, 'failed', -1)
      redis.call('HINCRBY', counts, 'pending', 1)
      redis.call('ZADD', todo, all[i + 1], all[i])
      event(all[i], 'retry-failed', '', '')
      retried = retried + 1
    end
  end
end
for _, id in ipairs(redis.call('ZRANGE', todo, 0, -1)) do
  redis.call('HSET', prefix .. id, 'claims', 0)
end
redis.call('HDEL', meta, 'halted')
return {requeued, retried}
"""
)


def entry_id(key: str) -> str:
    """A request's name in Redis: 32 hex digits of the SHA-256 of its manifest key (the key
    itself is a JSON array, awkward in key names)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


@attrs.frozen
class UploadKeys:
    """Where an upload run lives; one hash tag, so that a Redis Cluster keeps it in one slot.

    ``idcode:upload:{<run>}:meta`` (settings, target, facts, halt), ``:order``/``:todo``/
    ``:held``/``:stuck`` (sorted sets of request ids), ``:counts``, ``:events``, ``:ids``
    (accepted ``uploadcode_id`` → request id), ``:req:<id>`` (one request) and ``:blob:<id>``
    (a 5011 chunk's bytes, until accepted).
    """

    meta: str
    order: str
    todo: str
    held: str
    stuck: str
    counts: str
    events: str
    ids: str
    request_prefix: str
    blob_prefix: str

    @classmethod
    def for_run(cls, run_id: str) -> UploadKeys:
        base = f"idcode:upload:{{{check_run_id(run_id)}}}"
        return cls(
            meta=f"{base}:meta",
            order=f"{base}:order",
            todo=f"{base}:todo",
            held=f"{base}:held",
            stuck=f"{base}:stuck",
            counts=f"{base}:counts",
            events=f"{base}:events",
            ids=f"{base}:ids",
            request_prefix=f"{base}:req:",
            blob_prefix=f"{base}:blob:",
        )

    def request(self, key: str) -> str:
        return self.request_prefix + entry_id(key)

    def blob(self, key: str) -> str:
        return self.blob_prefix + entry_id(key)

    @property
    def script_keys(self) -> list[str]:
        return [
            self.meta,
            self.order,
            self.todo,
            self.held,
            self.stuck,
            self.counts,
            self.events,
            self.ids,
        ]


@attrs.frozen
class UploadClaim:
    """What one claim returned (``entries`` in plan order)."""

    entries: tuple[ManifestEntry, ...] = ()
    held: int = 0
    todo: int = 0
    next_expiry: float | None = None
    halted: str | None = None
    ready: bool = True
    """``False`` while the operator is still loading the run (its baseline not yet taken)."""

    @property
    def finished(self) -> bool:
        return (
            self.ready
            and not self.entries
            and self.halted is None
            and self.held == 0
            and self.todo == 0
        )


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


class RedisUploadManifest(LeasedRunStore):
    """The manifest of one shared upload run, as worker ``worker`` sees and writes it.

    It has the methods of the executor's manifest protocol
    (:class:`~idcode_async.uploads.executor.ManifestStore`), so the upload executor's own
    settling and reconciliation run on it; its writes are fenced by the worker's claims.
    ``redis`` is a blocking client (the executor calls its manifest from worker threads).
    """

    path: Path | None = None

    def __init__(
        self,
        redis: SyncRedis,
        run_id: str,
        *,
        worker: str,
        lease: float = DEFAULT_LEASE,
        max_claims: int = DEFAULT_MAX_CLAIMS,
    ) -> None:
        self.keys = UploadKeys.for_run(run_id)
        super().__init__(
            redis, run_id, self.keys, worker=worker, lease=lease, max_claims=max_claims
        )
        self._load = redis.register_script(_LOAD)
        self._claim = redis.register_script(_CLAIM)
        self._transition = redis.register_script(_TRANSITION)
        self._set_aside = redis.register_script(_SET_ASIDE)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)
        self._requeue = redis.register_script(_REQUEUE)

    def __repr__(self) -> str:
        return f"RedisUploadManifest(run_id={self.run_id!r}, worker={self.worker!r})"

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
        check_no_secret_names(fields, where=f"upload run {self.run_id}")
        state = self._script(
            self._load,
            [entry_id(record.key), record.seq, json.dumps(fields, ensure_ascii=False), blob],
        )
        return EntryState(str(state))

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
        pipe = self._redis.pipeline(transaction=True)
        pipe.hgetall(self.keys.counts)
        for name in (self.keys.order, self.keys.held, self.keys.stuck, self.keys.todo):
            pipe.zcard(name)
        pipe.hget(self.keys.meta, "halted")
        counts, requests, held, stuck, todo, halted = pipe.execute()
        values = {name: int(value) for name, value in counts.items()}
        return UploadCounts(
            requests=int(requests),
            held=int(held),
            stuck=int(stuck),
            todo=int(todo),
            halted=str(halted) if halted else None,
            **{
                name: values.get(name, 0)
                for name in (
                    "pending",
                    "intent",
                    "unknown",
                    "accepted",
                    "failed",
                    "codes",
                    "accepted_codes",
                    "submissions",
                )
            },
        )

    def events(self) -> list[dict[str, Any]]:
        return [
            json.loads(line)
            for line in cast(list[str], self._redis.lrange(self.keys.events, 0, -1))
        ]

    # -- claims -----------------------------------------------------------------------------------

    def claim(self, limit: int = DEFAULT_BATCH) -> UploadClaim:
        reply = self._script(
            self._claim, [self.worker, limit, microseconds(self.lease), self.max_claims]
        )
        if reply[0] == "halted":
            return UploadClaim(halted=str(reply[1]))
        if reply[0] == "not-ready":
            return UploadClaim(ready=False)
        wait = int(reply[4])
        return UploadClaim(
            entries=tuple(self._entries([str(i) for i in reply[1]])),
            held=int(reply[2]),
            todo=int(reply[3]),
            next_expiry=None if wait < 0 else wait / 1_000_000,
        )

    def renew(self, keys: Iterable[str]) -> Renewal:
        """Extend this worker's leases; report request ids taken over and a halt."""
        return self._renew_ids(entry_id(k) for k in keys)

    def release(self, keys: Iterable[str], reason: str = "released") -> int:
        return self._release_ids((entry_id(k) for k in keys), reason)

    def set_aside(self, key: str, reason: str) -> bool:
        """Stop claiming a request that may be on the centre but cannot be settled."""
        return bool(self._script(self._set_aside, [self.worker, entry_id(key), redact(reason)]))

    # -- transitions (fenced: only the holder) -----------------------------------------------------

    def mark_intent(self, key: str) -> int:
        return self._step(key, "intent", ("pending",), "intent", None, {})

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
            "message": _clean(message),
        }
        self._step(key, "accepted", ("intent", "unknown"), "accepted", detail, fields)

    def mark_unknown(self, key: str, message: str) -> None:
        fields = {"message": _clean(message)}
        self._step(key, "unknown", ("intent", "unknown"), "unknown", message, fields)

    def mark_pending(self, key: str, message: str, *, event: str = "not-applied") -> None:
        fields = {"message": _clean(message)}
        self._step(key, "pending", ("intent", "unknown", "pending"), event, message, fields)

    def mark_failed(self, key: str, code: int | None, message: str) -> None:
        fields = {"result_code": "" if code is None else str(code), "message": _clean(message)}
        detail = f"code={code} {message}" if code is not None else message
        self._step(key, "failed", ("intent", "unknown"), "failed", detail, fields)

    def reset_failed(self) -> int:
        return self.requeue(retry_failed=True)[1]

    # -- internals --------------------------------------------------------------------------------

    def _step(
        self,
        key: str,
        state: str,
        allowed: tuple[str, ...],
        event: str,
        detail: str | None,
        fields: dict[str, str],
    ) -> int:
        args = [
            self.worker,
            entry_id(key),
            state,
            " ".join(allowed),
            microseconds(self.lease),
            event,
            _clean(detail),
            json.dumps(fields, ensure_ascii=False),
        ]
        try:
            return int(self._script(self._transition, args))
        except ResponseError as exc:
            text = str(exc)
            if text.startswith("IDCODE_LEASE_LOST"):
                raise LeaseLostError(
                    f"request {key} of upload run {self.run_id}: {text.split(' ', 1)[1]}"
                ) from None
            if text.startswith("IDCODE_NO_ROW"):
                raise ManifestError(f"request {key} is not in upload run {self.run_id}") from None
            if text.startswith("IDCODE_BAD_STATE"):
                raise ManifestError(f"request {key}: {text.split(' ', 1)[1]}") from None
            raise

    def _script(self, script: Any, args: Sequence[Any]) -> Any:
        return run_sync(
            script,
            self.keys.script_keys,
            [self.keys.request_prefix, self.keys.blob_prefix, EVENT_CAP, *args],
        )

    def _hashes(self, ids: Sequence[str]) -> list[dict[str, str]]:
        pipe = self._redis.pipeline(transaction=False)
        for i in ids:
            pipe.hgetall(self.keys.request_prefix + i)
        return cast(list[dict[str, str]], pipe.execute())

    def _entries(self, ids: Sequence[str]) -> list[ManifestEntry]:
        found = []
        for start in range(0, len(ids), 1000):
            found += [_entry(f) for f in self._hashes(ids[start : start + 1000]) if f]
        return found


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


def _clean(text: str | None) -> str:
    return "" if text is None else redact(text)[:2000]
