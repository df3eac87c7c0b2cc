"""One pace per access token, shared by every process on every machine (309: 0.5–1 s apart).

The centre's pause between submissions (309) applies to the access token, not to a process:
four workers that each pace themselves submit four times too fast.  :class:`RedisPacer` keeps
the pace in one hash per token (keyed by :func:`~.keys.token_id`, never by the token) holding,
per lane, when it may next start (``r<i>``: the end of its last submission plus the pause drawn
for it), its holder, lease expiry and grant time (``h<i>``/``x<i>``/``g<i>``).

**One atomic Lua script per step**, so that no two processes can both see a lane free:
*acquire* expires holders whose lease ran out (their submission ended by the expiry at the
latest, so the lane's next start is no earlier), then takes the free lane ready soonest, or
answers how long to wait; *renew* extends the lease every third of it while the body runs;
*release* sets the lane's next start to *now + pause* and logs the slot (``grant end pause
lane`` in µs, the token's last 1,000 slots, for operators and the acceptance tests).

**Clocks.**  Every time in the state is Redis's own (``TIME``); a worker only receives
*durations* and sleeps them, so its own clock never matters and a start is at most one wake-up
and one round trip late, never early.  The pause is drawn on the client by the one rule
(:class:`~idcode_async.pacing.Interval`): Redis's Lua ``math.random`` is deterministic by
design, the opposite of jitter.  A waiter for a held lane polls every ``poll`` seconds (a
quarter of the minimum pause, 5–100 ms), which costs no pace.  Every process of a token must
use the same ``concurrency`` (a conflict is an error while a lane is held) and bounds.

**anyio, so trio too.**  Each script runs in a worker thread on redis-py's blocking client,
and waiting is ``anyio.sleep``: asyncio (arq's loop) and trio alike.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Final

import anyio

from ..pacing import DEFAULT_MAX_INTERVAL, DEFAULT_MIN_INTERVAL, PacerSettings
from ._redis import ResponseError, SyncRedis, microseconds
from .keys import PaceKeys, default_worker_id

__all__ = ["DEFAULT_SLOT_LEASE", "PaceConflictError", "RedisPacer"]

logger = logging.getLogger("idcode_async.scale")

DEFAULT_SLOT_LEASE: Final = 10.0
"""Seconds a slot's holder may go without renewing before the slot is taken from it."""

_LOG_SLOTS: Final = 1000
"""Slots the pace log keeps."""

_KEEP_US: Final = 60_000_000
"""How long the state outlives its last use (µs): far beyond any pause, so idle state expires."""

_PRELUDE: Final = f"""
local key, log, holder, lease = KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function num(v) if v then return tonumber(v) end return 0 end
local function fmt(x) return string.format('%.0f', x) end
local function keep_for(us)
  local want = math.floor((us + {_KEEP_US}) / 1000)
  if redis.call('PTTL', key) < want then redis.call('PEXPIRE', key, want) end
end
"""

_ACQUIRE: Final = """
local lanes, poll = tonumber(ARGV[3]), tonumber(ARGV[4])
local stored = num(redis.call('HGET', key, 'lanes'))
if stored ~= lanes then
  -- first use, or the concurrency changed while no lane was held: start from the latest
  -- moment any old lane allowed, so that the change cannot shorten a pause
  local latest = 0
  for i = 0, stored - 1 do
    local f = redis.call('HMGET', key, 'h' .. i, 'x' .. i, 'r' .. i)
    if f[1] and f[1] ~= '' then
      if num(f[2]) > now then
        return redis.error_reply('IDCODE_PACE_CONCURRENCY the pace of this access token is in use '
          .. 'with concurrency ' .. stored)
      end
      latest = math.max(latest, num(f[2]))
    end
    latest = math.max(latest, num(f[3]))
  end
  local expired = redis.call('HGET', key, 'expired')
  redis.call('DEL', key)
  redis.call('HSET', key, 'lanes', lanes, 'expired', expired or 0)
  for i = 0, lanes - 1 do redis.call('HSET', key, 'r' .. i, fmt(latest)) end
end
local best, best_ready = -1, 0
for i = 0, lanes - 1 do
  local f = redis.call('HMGET', key, 'h' .. i, 'x' .. i, 'r' .. i)
  local h, x, r = f[1], num(f[2]), num(f[3])
  if h and h ~= '' and x <= now then
    -- the holder stopped renewing (crashed, or cut off from Redis): its submission ended by
    -- the lease expiry at the latest, so the lane's next start is no earlier than that
    r = math.max(r, x)
    redis.call('HSET', key, 'h' .. i, '', 'r' .. i, fmt(r))
    redis.call('HINCRBY', key, 'expired', 1)
    h = ''
  end
  if (not h or h == '') and (best < 0 or r < best_ready) then best, best_ready = i, r end
end
if best < 0 then return {0, poll} end
if best_ready > now then return {0, best_ready - now} end
redis.call('HSET', key, 'h' .. best, holder, 'x' .. best, fmt(now + lease), 'g' .. best, fmt(now))
keep_for(lease)
return {1, best}
"""

_RENEW: Final = """
local lane = ARGV[3]
if redis.call('HGET', key, 'h' .. lane) ~= holder then return 0 end
redis.call('HSET', key, 'x' .. lane, fmt(now + lease))
keep_for(lease)
return 1
"""

_RELEASE: Final = """
local lane, pause, cap = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local f = redis.call('HMGET', key, 'h' .. lane, 'r' .. lane, 'g' .. lane)
-- max(): if the lease was lost and the lane granted again, never move its next start earlier
redis.call('HSET', key, 'r' .. lane, fmt(math.max(num(f[2]), now + pause)))
keep_for(pause)
if f[1] ~= holder then return 0 end
redis.call('HSET', key, 'h' .. lane, '')
redis.call('RPUSH', log, fmt(num(f[3])) .. ' ' .. fmt(now) .. ' ' .. fmt(pause) .. ' ' .. lane)
redis.call('LTRIM', log, -cap, -1)
redis.call('PEXPIRE', log, 86400000)
return 1
"""


class PaceConflictError(RuntimeError):
    """Another process uses this access token's pace with a different ``concurrency``."""


class RedisPacer(PacerSettings):
    """The batch pacer with its state in Redis, shared by every process of an access token.

    ``access_token`` only names the pace (hashed at once, not kept); ``concurrency`` is how
    many submissions of the token may run at once across all processes; ``lease``: seconds
    after which a holder that stopped renewing (crashed) loses its slot.
    """

    def __init__(
        self,
        redis: SyncRedis,
        access_token: str,
        min_interval: float = DEFAULT_MIN_INTERVAL,
        max_interval: float = DEFAULT_MAX_INTERVAL,
        *,
        concurrency: int = 1,
        lease: float = DEFAULT_SLOT_LEASE,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        super().__init__(min_interval, max_interval, concurrency, rng, sleep)
        if not 0 < lease < math.inf:
            raise ValueError(f"lease must be a positive number of seconds, got {lease}")
        self.lease = float(lease)
        self.poll = min(0.1, max(0.005, self.interval.minimum / 4))
        self.keys = PaceKeys.for_token(access_token)
        self._redis = redis
        self._scripts = {
            name: redis.register_script(_PRELUDE + text)
            for name, text in (("acquire", _ACQUIRE), ("renew", _RENEW), ("release", _RELEASE))
        }
        self._holder_prefix = default_worker_id()
        self._serial = itertools.count(1)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        holder = f"{self._holder_prefix}:{next(self._serial)}"
        lane = await self._acquire(holder)
        try:
            try:
                async with anyio.create_task_group() as group:
                    group.start_soon(self._keep, lane, holder)
                    try:
                        yield
                    finally:
                        group.cancel_scope.cancel()
            except BaseExceptionGroup as group:
                # _keep never raises: the group carries the body's own exception; hand it on
                # as it was raised, so that a pacer never changes what its body throws.
                error = group.exceptions[0]
                raise error from error.__cause__
        finally:
            with anyio.CancelScope(shield=True):
                await self._release(lane, holder)

    async def _acquire(self, holder: str) -> int:
        """Wait for a lane and take it; returns the lane.  Cancelled while waiting: no lane."""
        while True:
            # Shielded: a cancellation arriving while the script runs must not lose a granted
            # lane (it would stay held until its lease ran out).
            with anyio.CancelScope(shield=True):
                try:
                    poll = microseconds(self.poll)
                    reply = await self._run("acquire", holder, self.concurrency, poll)
                except ResponseError as exc:
                    if "IDCODE_PACE_CONCURRENCY" in str(exc):
                        raise PaceConflictError(str(exc).split(" ", 1)[1]) from None
                    raise
            granted, value = int(reply[0]), int(reply[1])
            if granted:
                return value
            await self._sleep(value / 1_000_000)

    async def _keep(self, lane: int, holder: str) -> None:
        """Renew the lease every third of it while the body runs."""
        while True:
            await anyio.sleep(self.lease / 3)
            try:
                kept = await self._run("renew", holder, lane)
            except Exception as exc:  # a blip: the next renewal may succeed within the lease
                logger.warning("pace: renewing the slot lease failed: %s", type(exc).__name__)
                continue
            if not int(kept):
                logger.warning(
                    "pace: the slot lease expired while held; another process may have started "
                    "a submission (raise the lease, or look for a stalled event loop)"
                )
                return

    async def _release(self, lane: int, holder: str) -> None:
        pause = microseconds(self.interval.draw(self._rng))
        if not int(await self._run("release", holder, lane, pause, _LOG_SLOTS)):
            logger.warning("pace: released a slot whose lease had expired")

    async def _run(self, name: str, holder: str, *args: Any) -> Any:
        """One Lua script call in a worker thread: the event loop (asyncio or trio) never
        blocks on Redis."""
        fixed: list[Any] = [holder, microseconds(self.lease), *args]
        run = functools.partial(self._scripts[name], [self.keys.state, self.keys.log], fixed)
        return await anyio.to_thread.run_sync(run)
