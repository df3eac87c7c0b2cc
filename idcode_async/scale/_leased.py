"""What every leased run store in Redis shares: settings, the lease steps, the halt flag.

A run store (registration rows in :mod:`.redis_journal`, upload requests in
:mod:`.redis_uploads`) hands items to workers under leases that only Lua scripts on Redis's
clock may grant, renew, release or requeue.  The scripts differ by store; the way a worker
calls the lease steps and reads the halt flag does not, and lives here once, together with
the worker's side of a lease: :func:`keep_leases`, which renews what a worker holds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, Final, Generic, Protocol, TypeVar

import anyio
import anyio.to_thread
import attrs

from .._logging import logger, redact
from ._redis import RedisError, SyncRedis

__all__ = [
    "IDLE_POLL",
    "RELEASE_LUA",
    "RENEW_LUA",
    "ClaimLoop",
    "LeasedRunStore",
    "Renewal",
    "check_claim_settings",
    "keep_leases",
    "microseconds",
]

# The lease steps every run store shares, written once.  The store's prelude defines ``prefix``,
# ``meta``, ``held``, ``todo``, ``now`` (Redis TIME, µs), ``fmt``, ``event``, ``A`` (the index of
# the step's first argument), ``ORDER`` (the item field that orders the queue) and
# ``settled(state)``.

RENEW_LUA: Final = """
-- ARGV[A..]: worker, lease (µs), item ids; extends the worker's leases, reports the lost ones
local worker, lease = ARGV[A], tonumber(ARGV[A + 1])
local lost = {}
for i = A + 2, #ARGV do
  local id = ARGV[i]
  local rk = prefix .. id
  local f = redis.call('HMGET', rk, 'holder', 'state')
  if f[1] == worker then
    redis.call('HSET', rk, 'lease_until', fmt(now + lease))
    redis.call('ZADD', held, fmt(now + lease), id)
  elseif not settled(f[2]) then
    table.insert(lost, id)
  end
end
return {redis.call('HGET', meta, 'halted') or '', lost}
"""

RELEASE_LUA: Final = """
-- ARGV[A..]: worker, why, item ids; unsettled items go back to the queue at once
local worker, why = ARGV[A], ARGV[A + 1]
local released = 0
for i = A + 2, #ARGV do
  local id = ARGV[i]
  local rk = prefix .. id
  local f = redis.call('HMGET', rk, 'holder', 'state', ORDER)
  if f[1] == worker then
    redis.call('HSET', rk, 'holder', '', 'lease_until', 0)
    redis.call('ZREM', held, id)
    if not settled(f[2]) then
      redis.call('ZADD', todo, f[3], id)
      event(id, 'released', why .. ', state ' .. f[2], worker)
      released = released + 1
    end
  end
end
return released
"""


@attrs.frozen
class Renewal:
    lost: tuple[str, ...] = ()
    """Items this worker held and holds no more (another worker claimed them)."""
    halted: str | None = None


class _RunKeys(Protocol):
    @property
    def meta(self) -> str: ...


def check_claim_settings(*, lease: float, max_claims: int, worker: str) -> None:
    """The settings every leased store (registration rows, upload requests) shares."""
    if not 0 < lease < math.inf:
        raise ValueError(f"lease must be a positive number of seconds, got {lease}")
    if max_claims < 1:
        raise ValueError(f"max_claims must be at least 1, got {max_claims}")
    if not worker or " " in worker:
        raise ValueError("worker must be a non-empty id without spaces")


def microseconds(seconds: float) -> int:
    """Durations go to the scripts in whole microseconds, the unit of Redis ``TIME``."""
    return round(seconds * 1_000_000)


class LeasedRunStore:
    """Base of the Redis run stores; subclasses register their own ``_renew``, ``_release``
    and ``_requeue`` scripts and say how a script is called (:meth:`_script`)."""

    _renew: Any
    _release: Any
    _requeue: Any

    def __init__(
        self,
        redis: SyncRedis,
        run_id: str,
        keys: _RunKeys,
        *,
        worker: str,
        lease: float,
        max_claims: int,
    ) -> None:
        check_claim_settings(lease=lease, max_claims=max_claims, worker=worker)
        self.run_id = run_id
        self.worker = worker
        self.lease = float(lease)
        self.max_claims = max_claims
        self._run_keys = keys
        self._redis = redis

    @property
    def redis(self) -> SyncRedis:
        """The client (for reads beside the store's own: progress, results)."""
        return self._redis

    def _script(self, script: Any, args: Sequence[Any]) -> Any:
        raise NotImplementedError

    def _renew_ids(self, ids: Iterable[str]) -> Renewal:
        """Extend this worker's leases; report ids taken over by others and a halt."""
        reply = self._script(self._renew, [self.worker, microseconds(self.lease), *ids])
        return Renewal(tuple(str(i) for i in reply[1]), str(reply[0]) or None)

    def _release_ids(self, ids: Iterable[str], reason: str) -> int:
        """Hand back items this worker holds; unsettled ones are claimable again at once."""
        ids = list(ids)
        if not ids:
            return 0
        return int(self._script(self._release, [self.worker, reason.replace(" ", "-"), *ids]))

    def requeue(self, *, retry_failed: bool = False) -> tuple[int, int]:
        """A new run: stuck items back in the queue, fresh claim counts, the halt lifted, and
        with ``retry_failed`` failed items pending again.  Returns (requeued, retried)."""
        reply = self._script(self._requeue, ["1" if retry_failed else "0"])
        return int(reply[0]), int(reply[1])

    def halt(self, reason: str) -> None:
        """Stop every worker of the run (the access token was refused, the centre is down)."""
        self._redis.hset(self._run_keys.meta, "halted", redact(reason) or "halted")

    def halted(self) -> str | None:
        reason = self._redis.hget(self._run_keys.meta, "halted")
        return str(reason) if reason else None


class _Leases(Protocol):
    def renew(self, keys: Iterable[str]) -> Renewal: ...

    def halted(self) -> str | None: ...


async def keep_leases(
    store: _Leases,
    held: set[str],
    *,
    lease: float,
    label: str,
    on_halt: Callable[[str], None],
) -> None:
    """Renew the leases on ``held`` every third of the lease, and notice a halt of the run.

    A Redis error is not fatal yet (the lease still runs, and the store's own writes fail
    loudly); items taken over are logged (the new holder settles them, fenced by the lease).
    Run it in the worker's task group; it returns only by cancellation.
    """
    while True:
        await anyio.sleep(lease / 3)
        keys = sorted(held)
        try:
            if keys:
                renewal = await anyio.to_thread.run_sync(store.renew, keys)
            else:
                renewal = Renewal(halted=await anyio.to_thread.run_sync(store.halted))
        except RedisError as exc:
            logger.warning("%s: renewing leases failed: %s", label, exc)
            continue
        if renewal.lost:
            logger.warning("%s: %d item(s) taken over by another worker", label, len(renewal.lost))
        if renewal.halted:
            on_halt(renewal.halted)


IDLE_POLL: Final = 0.5
"""Seconds between claims while every remaining item is in other workers' hands."""


class _Claim(Protocol):
    @property
    def halted(self) -> str | None: ...

    @property
    def finished(self) -> bool: ...

    @property
    def next_expiry(self) -> float | None: ...


ClaimT = TypeVar("ClaimT", bound=_Claim)
ClaimT_co = TypeVar("ClaimT_co", bound=_Claim, covariant=True)


class _ClaimingStore(_Leases, Protocol[ClaimT_co]):
    def claim(self, limit: int) -> ClaimT_co: ...


class ClaimLoop(Generic[ClaimT]):
    """The one claim / renew / release loop of a worker, for every kind of leased run.

    Claim a batch, settle it (:meth:`settle`, the subclass's), repeat until the run is
    finished, halted or ``stop`` is set; meanwhile :func:`keep_leases` renews what is held
    (``held``, kept by :meth:`settle`).  When every remaining item is in other workers' hands,
    wait for them, or for a lease to run out (a crashed worker's items come back).
    """

    def __init__(
        self,
        store: _ClaimingStore[ClaimT],
        *,
        batch_size: int,
        lease: float,
        label: str,
        stop: anyio.Event | None,
    ) -> None:
        self.claims = store
        self.batch_size = batch_size
        self.lease = lease
        self.label = label
        self.outer_stop = stop
        self.stop = anyio.Event()
        self.held: set[str] = set()
        self.halted: str | None = None
        self.started = anyio.current_time()

    async def settle(self, claim: ClaimT) -> bool:
        """Settle a claim's items; ``False`` if the claim held none."""
        raise NotImplementedError

    def stopping(self) -> None:
        """Called when the worker stops (a halt, or ``stop``): stop what is in flight too."""
        self.stop.set()

    async def loop(self) -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(
                partial(
                    keep_leases,
                    self.claims,
                    self.held,
                    lease=self.lease,
                    label=self.label,
                    on_halt=self._on_halt,
                )
            )
            if self.outer_stop is not None:
                group.start_soon(self._relay, self.outer_stop)
            while not self.stop.is_set():
                claim = await anyio.to_thread.run_sync(self.claims.claim, self.batch_size)
                if claim.halted is not None:
                    self.halted = claim.halted
                    break
                if not await self.settle(claim):
                    if claim.finished:
                        break
                    wait = IDLE_POLL if claim.next_expiry is None else claim.next_expiry + 0.01
                    with anyio.move_on_after(min(wait, IDLE_POLL)):
                        await self.stop.wait()
            group.cancel_scope.cancel()

    async def _relay(self, stop: anyio.Event) -> None:
        await stop.wait()
        self.stopping()

    def _on_halt(self, reason: str) -> None:
        if not self.stop.is_set():
            self.halted = reason
            logger.error("%s was halted: %s", self.label, reason)
            self.stopping()
