"""The one leased Redis store: items of any kind claimed by workers under leases, exactly once.

Every shared run (registration rows, 309; upload requests, 5011–5014) keeps its items the same
way; an item is a flat hash of text fields its kind's facade (:mod:`.redis_journal`,
:mod:`.redis_uploads`) writes and reads (:func:`decode`).  Each step is one atomic Lua script on
Redis's clock (``TIME``), all on one prelude:

1. **load**: new items enter ``pending`` in the *todo* queue (by row or plan position); an item
   already in the run keeps its state.
2. **claim**: expired leases go back to *todo* first (their holder crashed); then up to
   ``limit`` items are taken under a lease.  An item claimed ``max_claims`` times without an
   outcome is set aside as *stuck*.
3. **transition** (intent, outcome): only by the holder, from the states the kind allows; the
   intent (the point of no return) only while the lease runs.  A worker that lost its claim
   gets :class:`~idcode_async.durable.store.LeaseLostError`.
4. **hand back**: renew the leases, release unsettled items (claimable again at once), or set
   one aside as *stuck*.
5. **requeue**: an operator's new run puts stuck items (and, if asked, failed ones) back.

An item's *bucket* is its state, or its outcome once settled; the run's counts are kept by
bucket.  A settled ``failed`` item joins the *failed* set; any other settled item has its blob
(a 5011 chunk) deleted and its ``weight`` (codes) counted.  A field the kind names unique (the
upload's ``uploadcode_id``) belongs to one item of the run only.
"""

from __future__ import annotations

import json
import math
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Final, Generic, Protocol, TypeVar, cast

import attrs
import cattrs

from .._denylist import check_no_secret_names
from .._logging import redact
from ..durable.sqlite import SqliteStore, clean_text
from ..durable.store import LeaseLostError, Settlement
from ..registration.outcomes import RowCounts, describe_rows
from ._redis import ResponseError, SyncRedis, microseconds
from .keys import StoreKeys

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_LEASE",
    "DEFAULT_MAX_CLAIMS",
    "EVENT_CAP",
    "Claim",
    "LeasedStore",
    "Renewal",
    "RunCounts",
    "decode",
]

DEFAULT_LEASE: Final = 60.0
"""Seconds a claim lasts without renewal; longer than the default request timeout (30 s)."""

DEFAULT_BATCH: Final = 10
"""Items a worker claims at a time."""

DEFAULT_MAX_CLAIMS: Final = 5
"""Claims of one item without an outcome before it is set aside as stuck."""

EVENT_CAP: Final = 10_000
"""Events kept per run (the oldest are dropped)."""

_LOAD_CHUNK: Final = 500

_PRELUDE: Final = """
local meta, order, todo, held, stuck, failed, groups, uniques, counts, events =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local prefix, blobs, cap = ARGV[1], ARGV[2], tonumber(ARGV[3])
local ends, word, worker, lease = ' ' .. ARGV[4] .. ' ', ARGV[5], ARGV[6], tonumber(ARGV[7])
local A = 8
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now_ms = math.floor(now / 1000)
local function settled(state)
  return state and string.find(ends, ' ' .. state .. ' ', 1, true) ~= nil
end
local function num(v) if v and v ~= '' then return tonumber(v) end return 0 end
local function fmt(x) return string.format('%.0f', x) end
local function event(id, name, detail, by)
  local entry = {key = id, at_ms = now_ms, event = name}
  if detail and detail ~= '' then entry.detail = detail end
  if by and by ~= '' then entry.worker = by end
  redis.call('RPUSH', events, cjson.encode(entry))
  redis.call('LTRIM', events, -cap, -1)
end
local function requeue(id) redis.call('ZADD', todo, redis.call('ZSCORE', order, id), id) end
local function hold(id)
  redis.call('HSET', prefix .. id, 'holder', worker, 'lease_until', fmt(now + lease))
  redis.call('ZADD', held, fmt(now + lease), id)
end
local function unhold(id)
  redis.call('HSET', prefix .. id, 'holder', '', 'lease_until', 0)
  redis.call('ZREM', held, id)
end
local function set_aside(id, why, by)
  redis.call('ZREM', todo, id)
  redis.call('ZADD', stuck, redis.call('ZSCORE', order, id), id)
  redis.call('HSET', prefix .. id, 'stuck_reason', why)
  event(id, 'stuck', why, by)
end
local function recount(from, to)
  redis.call('HINCRBY', counts, from, -1)
  redis.call('HINCRBY', counts, to, 1)
end
"""

_LOAD: Final = """
-- ARGV[A]: the order field; then groups of id, order, fields, blob
local order_field = ARGV[A]
local created, states = 0, {}
for i = A + 1, #ARGV, 4 do
  local id, score, blob = ARGV[i], ARGV[i + 1], ARGV[i + 3]
  local rk = prefix .. id
  local f = redis.call('HMGET', rk, 'state', 'bucket')
  local state = f[1]
  if state then
    if tonumber(redis.call('ZSCORE', order, id)) ~= tonumber(score) then
      redis.call('HSET', rk, order_field, score)
      for _, set in ipairs({order, todo, stuck, failed}) do
        if redis.call('ZSCORE', set, id) then redis.call('ZADD', set, score, id) end
      end
    end
    if state == 'pending' and not redis.call('ZSCORE', held, id)
        and not redis.call('ZSCORE', stuck, id) then
      redis.call('ZADD', todo, score, id)
    end
  else
    local fields = cjson.decode(ARGV[i + 2])
    for field, value in pairs(fields) do redis.call('HSET', rk, field, value) end
    redis.call('HSET', rk, 'state', 'pending', 'bucket', 'pending', 'attempts', 0, 'holder', '',
      'lease_until', 0, 'claims', 0, 'updated_ms', now_ms)
    redis.call('ZADD', order, score, id)
    redis.call('ZADD', todo, score, id)
    redis.call('HINCRBY', counts, 'pending', 1)
    redis.call('HINCRBY', counts, 'weight', num(fields['weight']))
    local group = fields['group']
    if group and group ~= '' then
      local same = redis.call('HGET', groups, group)
      redis.call('HSET', groups, group, (same and same .. ' ' .. id) or id)
    end
    event(id, word, order_field .. ' ' .. score, '')
    created = created + 1
    state, f[2] = 'pending', 'pending'
  end
  if blob ~= '' and not (settled(state) and f[2] ~= 'failed') then
    redis.call('SET', blobs .. id, blob)
  end
  table.insert(states, state)
end
return {created, states}
"""

_CLAIM: Final = """
-- ARGV[A..]: limit, max claims, gated ('1': wait for meta 'ready')
local limit, max_claims = tonumber(ARGV[A]), tonumber(ARGV[A + 1])
local halted = redis.call('HGET', meta, 'halted')
if halted and halted ~= '' then return {'halted', halted} end
if ARGV[A + 2] == '1' and redis.call('HGET', meta, 'ready') ~= '1' then return {'not-ready'} end
-- leases that ran out: the holder stopped renewing (crashed, or cut off from Redis)
for _, id in ipairs(redis.call('ZRANGEBYSCORE', held, '-inf', fmt(now), 'LIMIT', 0, 1000)) do
  local f = redis.call('HMGET', prefix .. id, 'holder', 'state')
  unhold(id)
  if not settled(f[2]) then requeue(id) end
  event(id, 'lease-expired', 'held by ' .. (f[1] or '?') .. ', state ' .. (f[2] or '?'), '')
end
local claimed = {}
while #claimed < limit do
  local top = redis.call('ZPOPMIN', todo, 1)
  if #top == 0 then break end
  local id = top[1]
  local f = redis.call('HMGET', prefix .. id, 'claims', 'state')
  local claims = num(f[1])
  if settled(f[2]) then
    -- settled meanwhile (a resumed run): nothing to claim
  elseif claims >= max_claims then
    set_aside(id, claims .. ' claims without an outcome', worker)
  else
    hold(id)
    redis.call('HSET', prefix .. id, 'claims', claims + 1)
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

_TRANSITION: Final = """
-- ARGV[A..]: id, state, bucket, allowed states ('' for any), intent ('1'), event, detail,
-- fields (JSON object), the unique field ('' for none)
local id, state, bucket, allowed = ARGV[A], ARGV[A + 1], ARGV[A + 2], ARGV[A + 3]
local unique, rk = ARGV[A + 8], prefix .. id
if redis.call('EXISTS', rk) == 0 then
  return redis.error_reply('IDCODE_BAD_STATE not in the run')
end
local f = redis.call('HMGET', rk, 'holder', 'lease_until', 'state', 'bucket', 'weight')
if f[1] ~= worker then
  return redis.error_reply('IDCODE_LEASE_LOST held by ' .. ((f[1] ~= '' and f[1]) or 'nobody'))
end
if allowed ~= '' and not string.find(' ' .. allowed .. ' ', ' ' .. f[3] .. ' ', 1, true) then
  return redis.error_reply('IDCODE_BAD_STATE cannot go from ' .. f[3] .. ' to ' .. state)
end
local fields = cjson.decode(ARGV[A + 7])
if ARGV[A + 4] == '1' then
  -- the intent is the point of no return: only a running lease may pass it
  if num(f[2]) <= now then return redis.error_reply('IDCODE_LEASE_LOST the lease expired') end
  redis.call('HINCRBY', rk, 'attempts', 1)
  redis.call('HINCRBY', counts, 'submissions', 1)
  redis.call('HSET', rk, 'intent_ms', now_ms)
  hold(id)
end
if unique ~= '' and fields[unique] and fields[unique] ~= '' then
  local owner = redis.call('HGET', uniques, fields[unique])
  if owner and owner ~= id then
    return redis.error_reply('IDCODE_BAD_STATE ' .. unique .. ' ' .. fields[unique] ..
      ' is already another ' .. word .. '\\'s')
  end
  redis.call('HSET', uniques, fields[unique], id)
end
for name, value in pairs(fields) do redis.call('HSET', rk, name, value) end
redis.call('HSET', rk, 'state', state, 'bucket', bucket, 'updated_ms', now_ms)
if settled(state) then
  unhold(id)
  redis.call('ZREM', todo, id)
  if bucket == 'failed' then
    redis.call('ZADD', failed, redis.call('ZSCORE', order, id), id)
  else
    redis.call('ZREM', failed, id)
    redis.call('DEL', blobs .. id)
    redis.call('HINCRBY', counts, 'settled_weight', num(f[5]))
  end
end
if f[4] ~= bucket then recount(f[4], bucket) end
event(id, ARGV[A + 5], ARGV[A + 6], worker)
return num(redis.call('HGET', rk, 'attempts'))
"""

_HANDBACK: Final = """
-- ARGV[A..]: what ('renew' the leases, 'release' the items, set them 'aside' as stuck), why,
-- item ids; only the holder's items: the others, unsettled, are reported lost.  Released
-- items, unsettled, go back to the queue at once.
local what, why = ARGV[A], ARGV[A + 1]
local done, lost = 0, {}
for i = A + 2, #ARGV do
  local id = ARGV[i]
  local f = redis.call('HMGET', prefix .. id, 'holder', 'state')
  if f[1] ~= worker then
    if not settled(f[2]) then table.insert(lost, id) end
  elseif what == 'renew' then
    hold(id)
  else
    unhold(id)
    if what == 'aside' then
      set_aside(id, why, worker)
      done = done + 1
    elseif not settled(f[2]) then
      requeue(id)
      event(id, 'released', why .. ', state ' .. f[2], worker)
      done = done + 1
    end
  end
end
return {redis.call('HGET', meta, 'halted') or '', lost, done}
"""

_REQUEUE: Final = """
-- an operator's new run: stuck items back in todo with fresh claims, failed ones pending again
-- if asked (ARGV[A] == '1'), the halt lifted
local requeued, retried = 0, 0
local rows = redis.call('ZRANGE', stuck, 0, -1, 'WITHSCORES')
for i = 1, #rows, 2 do
  redis.call('ZADD', todo, rows[i + 1], rows[i])
  redis.call('HDEL', prefix .. rows[i], 'stuck_reason')
  event(rows[i], 'requeued', 'was stuck', '')
  requeued = requeued + 1
end
redis.call('DEL', stuck)
if ARGV[A] == '1' then
  rows = redis.call('ZRANGE', failed, 0, -1, 'WITHSCORES')
  for i = 1, #rows, 2 do
    redis.call('HSET', prefix .. rows[i], 'state', 'pending', 'bucket', 'pending', 'outcome', '',
      'updated_ms', now_ms)
    recount('failed', 'pending')
    redis.call('ZADD', todo, rows[i + 1], rows[i])
    event(rows[i], 'retry-failed', '', '')
    retried = retried + 1
  end
  redis.call('DEL', failed)
end
for _, id in ipairs(redis.call('ZRANGE', todo, 0, -1)) do
  redis.call('HSET', prefix .. id, 'claims', 0)
end
redis.call('HDEL', meta, 'halted')
return {requeued, retried}
"""


@attrs.frozen
class Renewal:
    lost: tuple[str, ...] = ()
    """Items this worker held and holds no more (another worker claimed them)."""
    halted: str | None = None


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...


ItemT = TypeVar("ItemT", bound=_Keyed)
EntryT = TypeVar("EntryT")


@attrs.frozen
class Claim(Generic[ItemT]):
    """What one claim returned: the claimed items (in queue order) and the run's state."""

    items: tuple[ItemT, ...] = ()
    held: int = 0
    """Items held by any worker after this claim (this one's included)."""
    todo: int = 0
    next_expiry: float | None = None
    """Seconds until the earliest lease runs out (``None``: nothing held)."""
    halted: str | None = None
    ready: bool = True
    """``False`` while the operator is still loading a gated run."""

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.items)

    @property
    def finished(self) -> bool:
        """Nothing to claim and nothing held: every item is settled or stuck."""
        return self.ready and not self.items and self.halted is None and not self.held + self.todo


@attrs.frozen(kw_only=True)
class RunCounts(RowCounts):
    """A run of either kind (``run``: rows, ``upload``: requests) by bucket; the buckets a kind
    does not use stay 0.  ``total`` counts the items and the rows the pre-flight check refused
    (``invalid``, never in the store)."""

    run_id: str
    kind: str
    items: int = 0
    pending: int = 0
    in_flight: int = 0
    intent: int = 0
    unknown: int = 0
    accepted: int = 0
    held: int = 0
    stuck: int = 0
    todo: int = 0
    codes: int = 0
    accepted_codes: int = 0
    submissions: int = 0
    """Intents recorded over the run's life (every attempt, resends included)."""
    halted: str | None = None

    @property
    def done(self) -> int:
        return self.registered + self.existing + self.accepted + self.failed

    @property
    def unsettled(self) -> int:
        return self.pending + self.in_flight + self.intent + self.unknown

    @property
    def finished(self) -> bool:
        """Each item is settled or stuck, or the run halted, and none is held."""
        return self.held == 0 and (self.todo == 0 or self.halted is not None)

    @property
    def complete(self) -> bool:
        return self.unsettled == 0 and self.failed == 0

    def describe(self) -> str:
        unsettled = f"{self.unsettled} not settled ({self.held} claimed, {self.stuck} stuck)"
        if self.kind == "upload":
            text = (
                f"{self.accepted_codes}/{self.codes} codes accepted; {self.items} requests: "
                f"{self.accepted} accepted, {self.failed} failed, {unsettled}; "
                f"{self.submissions} submissions"
            )
        else:
            parts = [
                *describe_rows(self),
                *([unsettled] if self.unsettled else []),
                f"{self.submissions} submissions",
            ]
            text = ", ".join(parts)
        return text + (f"; halted: {self.halted}" if self.halted else "")


_TEXT: Final = cattrs.Converter(detailed_validation=False)
"""Item hashes hold text: ``1`` is true, and an empty text is ``None`` where that is allowed."""
_TEXT.register_structure_hook(bool, lambda value, _: value == "1")


@_TEXT.register_structure_hook_factory(lambda kind: type(None) in typing.get_args(kind))
def _optional(kind: Any) -> Callable[[Any, Any], Any]:
    some = next(arg for arg in typing.get_args(kind) if arg is not type(None))
    inner = _TEXT.get_structure_hook(some)
    return lambda value, _: None if value in ("", None) else inner(value, some)


def decode(cls: type[EntryT], fields: Mapping[str, str], **given: Any) -> EntryT:
    """An entry (``JournalEntry``, ``ManifestEntry``) from its item hash (fields it does not
    name are left out), with ``given`` values taken as they are (a range's prefix may be
    ``""``)."""
    entry: Any = _TEXT.structure({**fields, **given}, cls)
    return cast(EntryT, attrs.evolve(entry, **given))


class LeasedStore(Generic[ItemT, EntryT]):
    """The leased run of one item kind, as worker ``worker`` sees and writes it.

    A kind's facade sets the class attributes and reads its claimed items (:meth:`_items`).
    ``redis`` is a blocking client: the engine calls its store from worker threads.  ``lease``
    (seconds) must exceed the request timeout: a worker cut off from Redis then has its answer
    (or its timeout) before anyone else may claim the item.
    """

    twin: ClassVar[type[SqliteStore[Any]]]
    """The kind's SQLite store, whose entry type, item word, errors, outcomes, field names and
    allowed transitions this store shares."""
    namespace: ClassVar[str]
    hashed: ClassVar[bool] = False
    settled_states: ClassVar[tuple[str, ...]]
    """States that end an item; another outcome settles it as ``done`` (a row's)."""
    gated: ClassVar[bool] = False
    """Claims wait until the operator marks the run ``ready``."""
    intent_state: ClassVar[str] = "intent"
    kept: ClassVar[tuple[str, ...]] = ()
    """Entry fields whose empty text is a value, not ``None`` (a range's prefix may be ``""``)."""

    def __init__(
        self,
        redis: SyncRedis,
        run_id: str,
        *,
        worker: str,
        lease: float = DEFAULT_LEASE,
        max_claims: int = DEFAULT_MAX_CLAIMS,
    ) -> None:
        if not 0 < lease < math.inf:
            raise ValueError(f"lease must be a positive number of seconds, got {lease}")
        if max_claims < 1:
            raise ValueError(f"max_claims must be at least 1, got {max_claims}")
        if not worker or " " in worker:
            raise ValueError("worker must be a non-empty id without spaces")
        self.keys = StoreKeys.for_run(self.namespace, run_id, hashed=self.hashed)
        self.run_id = run_id
        self.worker = worker
        self.lease = float(lease)
        self.max_claims = max_claims
        self.redis = redis
        scripts = {"load": _LOAD, "claim": _CLAIM, "transition": _TRANSITION}
        scripts |= {"handback": _HANDBACK, "requeue": _REQUEUE}
        self._scripts = {name: redis.register_script(_PRELUDE + s) for name, s in scripts.items()}

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(run_id={self.run_id!r}, worker={self.worker!r}, lease={self.lease})"

    def close(self) -> None:
        """Nothing to close: the client is its giver's, shared by the stores and the pacer."""

    # -- the store contract (idcode_async.durable.store.Store) ---------------------------------

    def bind(self, target: str | Mapping[str, str]) -> None:
        """Tie the run to one target; a worker bound to another is refused: what the run
        settled against one centre says nothing about another."""
        values = {"base_url": target} if isinstance(target, str) else target
        for name, value in sorted(values.items()):
            self.redis.hsetnx(self.keys.meta, f"target.{name}", value)
            bound = self.redis.hget(self.keys.meta, f"target.{name}")
            if bound != value:
                raise self.twin.error(
                    f"run {self.run_id} records {name} {bound!r}, not {value!r}: what it "
                    "settled says nothing about this one; use another run id"
                )

    def get_fact(self, name: str) -> Any:
        text = self.redis.hget(self.keys.meta, f"fact.{name}")
        return None if text is None else json.loads(str(text))

    def set_fact(self, name: str, value: Any) -> None:
        check_no_secret_names([name], where=f"run {self.run_id}")
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        self.redis.hset(self.keys.meta, f"fact.{name}", text)

    def now_ms(self) -> int:
        """Redis's clock: the one ``intent_ms`` is recorded with, on every worker alike."""
        seconds, micros = cast(tuple[int, int], self.redis.time())
        return int(seconds) * 1000 + int(micros) // 1000

    def add_pending(self, items: Iterable[tuple[str, int, Mapping[str, str]]]) -> None:
        """Items enter a shared run when it is loaded (with what workers need to send them);
        here a worker only confirms that the items it was given are in the run."""
        keys = [item[0] for item in items]
        pipe = self.redis.pipeline(transaction=False)
        for key in keys:
            pipe.exists(self.keys.item(key))
        missing = [key for key, found in zip(keys, pipe.execute(), strict=True) if not found]
        if missing:
            raise self.twin.error(
                f"{len(missing)} {self.twin.item_word}(s) are not in run {self.run_id} (first "
                f"{missing[0][:12]}…): load a shared run with load_run / load_upload"
            )

    def mark_intent(self, key: str) -> int:
        return self._step(key, self.intent_state, "intent", intent=True)

    def mark_unknown(self, key: str, message: str) -> None:
        self._step(key, "unknown", "unknown", message)

    def mark_pending(self, key: str, message: str, *, event: str | None = None) -> None:
        self._step(key, "pending", event or "not-applied", message)

    def settle(self, key: str, done: Settlement) -> None:
        if done.outcome not in self.twin.outcomes:
            raise self.twin.error(f"{done.outcome!r} is not an outcome of {self.twin.item_word}s")
        fields = {
            self.twin.receipt_field: done.receipt or "",
            self.twin.renames.get("code", "code"): "" if done.code is None else str(done.code),
            "reconciled": "1" if done.reconciled else "0",
            **done.data,
        }
        state = done.outcome if done.outcome in self.settled_states else "done"
        outcome, detail = done.outcome, done.detail
        self._step(key, state, outcome, done.message, bucket=outcome, detail=detail, fields=fields)

    def entries(self) -> list[EntryT]:
        return self._entries(cast(list[str], self.redis.zrange(self.keys.order, 0, -1)))

    def entry(self, key: str) -> EntryT | None:
        found = self._entries([self.keys.ident(key)])
        return found[0] if found else None

    # -- the lease steps ----------------------------------------------------------------------

    def claim(self, limit: int = DEFAULT_BATCH) -> Claim[ItemT]:
        """Claim up to ``limit`` items for this worker (expired leases first go back to todo)."""
        reply = self._script("claim", [limit, self.max_claims, "1" if self.gated else "0"])
        if reply[0] == "halted":
            return Claim(halted=str(reply[1]))
        if reply[0] == "not-ready":
            return Claim(ready=False)
        wait = int(reply[4])
        return Claim(
            items=tuple(self._items([str(i) for i in reply[1]])),
            held=int(reply[2]),
            todo=int(reply[3]),
            next_expiry=None if wait < 0 else wait / 1_000_000,
        )

    def renew(self, keys: Iterable[str]) -> Renewal:
        """Extend this worker's leases on ``keys``; report items taken over and a halt."""
        reply = self._handback("renew", "", keys)
        return Renewal(tuple(str(i) for i in reply[1]), str(reply[0]) or None)

    def release(self, keys: Iterable[str], reason: str = "released") -> int:
        """Hand back items this worker holds; unsettled ones are claimable again at once."""
        return int(self._handback("release", reason.replace(" ", "-"), keys)[2])

    def set_aside(self, key: str, reason: str) -> bool:
        """Stop claiming an item that may be on the centre but cannot be settled."""
        return bool(self._handback("aside", redact(reason), [key])[2])

    def requeue(self, *, retry_failed: bool = False) -> tuple[int, int]:
        """A new run (see ``_REQUEUE``); returns (requeued, retried)."""
        reply = self._script("requeue", ["1" if retry_failed else "0"])
        return int(reply[0]), int(reply[1])

    def reset_failed(self) -> int:
        return self.requeue(retry_failed=True)[1]

    def halt(self, reason: str) -> None:
        """Stop every worker of the run (the access token was refused, the centre is down)."""
        self.redis.hset(self.keys.meta, "halted", redact(reason) or "halted")

    def halted(self) -> str | None:
        reason = self.redis.hget(self.keys.meta, "halted")
        return str(reason) if reason else None

    def events(self, key: str | None = None) -> list[dict[str, Any]]:
        """The run's recent transitions, oldest first (of one item if ``key`` is given)."""
        lines = cast(list[str], self.redis.lrange(self.keys.events, 0, -1))
        decoded = [json.loads(line) for line in lines]
        ident = None if key is None else self.keys.ident(key)
        return [e for e in decoded if ident is None or e.get("key") == ident]

    def counts(self) -> RunCounts:
        """Read in one transaction."""
        keys = self.keys
        pipe = self.redis.pipeline(transaction=True)
        pipe.hget(keys.meta, "halted")
        pipe.hgetall(keys.counts)
        for name in (keys.order, keys.held, keys.stuck, keys.todo):
            pipe.zcard(name)
        pipe.llen(keys.invalid)
        halted, counts, *sizes = pipe.execute()
        found = {name: int(value) for name, value in counts.items()}
        values = {name: found[name] for name in attrs.fields_dict(RunCounts) if name in found}
        values |= zip(("items", "held", "stuck", "todo", "invalid"), map(int, sizes), strict=True)
        return RunCounts(
            run_id=self.run_id,
            kind=self.namespace,
            total=values["items"] + values["invalid"],
            halted=str(halted) if halted else None,
            codes=found.get("weight", 0),
            accepted_codes=found.get("settled_weight", 0),
            **values,
        )

    # -- for the facades ----------------------------------------------------------------------

    def _items(self, ids: Sequence[str]) -> list[ItemT]:
        raise NotImplementedError

    def _entries(self, ids: Sequence[str]) -> list[EntryT]:
        return [self._entry(ident, f) for ident, f in zip(ids, self._hashes(ids), strict=True) if f]

    def _entry(self, ident: str, fields: Mapping[str, str]) -> EntryT:
        """A journal row's key is its id, not a field."""
        kept = {name: fields.get(name) for name in self.kept}
        return cast(EntryT, decode(self.twin.entry_type, {"key": ident, **fields}, **kept))

    def _load_items(
        self, items: Sequence[tuple[str, int, dict[str, str], str]]
    ) -> tuple[int, list[str]]:
        """Enter (id, order, fields, blob) items; returns how many were new and each state."""
        created, states = 0, []
        for start in range(0, len(items), _LOAD_CHUNK):
            args: list[Any] = [self.twin.renames.get("seq", "seq")]
            for ident, order, fields, blob in items[start : start + _LOAD_CHUNK]:
                check_no_secret_names(fields, where=f"run {self.run_id}")
                args += [ident, order, json.dumps(fields, ensure_ascii=False), blob]
            reply = self._script("load", args)
            created += int(reply[0])
            states += [str(state) for state in reply[1]]
        return created, states

    def _step(
        self,
        key: str,
        state: str,
        event: str,
        message: str | None = None,
        *,
        intent: bool = False,
        bucket: str | None = None,
        detail: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> int:
        """Move the item to ``state`` (fenced by this worker's claim) from the states
        ``allowed_from`` names for it, writing ``fields``; returns its attempts.  ``message``:
        an answer's text, kept redacted (an intent leaves the previous one); the event's
        ``detail`` unless one is given."""
        written = dict(fields or {})
        if not intent:
            written |= {"outcome": bucket or "", "message": clean_text(message) or ""}
        detail, bucket = clean_text(message if detail is None else detail) or "", bucket or state
        allowed = " ".join(self.twin.allowed_from.get(bucket, ()))
        args = [self.keys.ident(key), state, bucket, allowed, "1" if intent else "0", event]
        args += [detail, json.dumps(written, ensure_ascii=False), self._unique_field]
        where = f"{self.twin.item_word} {key} of run {self.run_id}"
        try:
            return int(self._script("transition", args))
        except ResponseError as exc:
            kind, _, text = str(exc).partition(" ")
            if kind == "IDCODE_LEASE_LOST":
                raise LeaseLostError(f"{where}: {text}") from None
            if kind == "IDCODE_BAD_STATE":
                raise self.twin.error(f"{where}: {text}") from None
            raise

    def _handback(self, what: str, why: str, keys: Iterable[str]) -> Any:
        return self._script("handback", [what, why, *(self.keys.ident(key) for key in keys)])

    @property
    def _unique_field(self) -> str:
        """The receipt, where it may be one item's only: the SQLite twin keeps it in its unique
        ``receipt`` column (an upload ID is one batch's; two rows of a unit share a main code)."""
        receipt = self.twin.receipt_field
        return receipt if self.twin.renames.get("receipt") == receipt else ""

    def _script(self, name: str, args: Sequence[Any]) -> Any:
        keys, ends = self.keys, " ".join(self.settled_states)
        fixed: list[Any] = [keys.item_prefix, keys.blob_prefix, EVENT_CAP, ends]
        fixed += [self.twin.item_word, self.worker, microseconds(self.lease)]
        return self._scripts[name](keys=keys.script_keys, args=[*fixed, *args])

    def _hashes(self, ids: Sequence[str]) -> list[dict[str, str]]:
        found: list[dict[str, str]] = []
        for start in range(0, len(ids), 1000):
            pipe = self.redis.pipeline(transaction=False)
            for ident in ids[start : start + 1000]:
                pipe.hgetall(self.keys.item_prefix + ident)
            found += cast(list[dict[str, str]], pipe.execute())
        return found
