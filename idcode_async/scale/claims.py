"""The worker's side of a lease: :class:`ClaimLoop`, the one claim / renew / settle / release
loop for every item kind, and what a worker reports (:class:`DrainSummary`).

The leased store (:mod:`.leased_store`) grants, renews and releases leases in Lua on Redis's
clock; what a worker does with them (renew every third of the lease, claim again, notice a
halt, hand back what it could not settle) is the same for registration rows and upload
requests, and lives here once.  Each kind says only how to settle one claim.
"""

from __future__ import annotations

import collections
import os
import socket
import uuid
from typing import Any

import anyio
import anyio.to_thread
import attrs

from .._logging import logger, redact
from ..durable.store import LeaseLostError
from ._redis import RedisError
from .leased_store import Claim, LeasedStore, Renewal

__all__ = ["IDLE_POLL", "ClaimLoop", "DrainSummary", "default_worker_id"]

IDLE_POLL = 0.5
"""Seconds between claims while every remaining item is in other workers' hands."""


def default_worker_id() -> str:
    """``host/pid/random``: unique per worker, readable in the run's events."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:6]}"


@attrs.frozen(kw_only=True)
class DrainSummary:
    """What one worker did for a run (an arq job's result, as :meth:`as_dict`)."""

    run_id: str
    worker: str
    claims: int = 0
    items: int = 0
    """Items claimed (one taken over from a crashed worker counts for each claimer)."""
    registered: int = 0
    existing: int = 0
    accepted: int = 0
    failed: int = 0
    """Items the centre refused (or, for rows, out of tries without an answer: released)."""
    stuck: int = 0
    """Requests set aside: undecidable from the centre's records, or their payload unusable."""
    submissions: int = 0
    sent: int = 0
    reconciled: int = 0
    """Items settled from the centre's records after a lost answer, without a resend."""
    lease_lost: int = 0
    """Claims in which an item was taken over by another worker while this one held it."""
    halted: str | None = None
    interrupted: bool = False
    elapsed: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


class ClaimLoop:
    """Claim a batch, settle it (:meth:`settle_claim`, the kind's), release what is left
    unsettled, repeat until the run is finished, halted or ``stop`` is set.

    Meanwhile :meth:`keep_leases` renews what is held.  When every remaining item is in other
    workers' hands, wait for them, or for a lease to run out (a crashed worker's items come
    back).  A lost lease ends the claim's settling (the new holder settles those items); a
    halt is recorded in the run, and every worker stops at its next claim or renewal.
    """

    def __init__(
        self, store: LeasedStore[Any], *, batch_size: int, stop: anyio.Event | None
    ) -> None:
        self.store = store
        self.batch_size = batch_size
        self.label = f"run {store.run_id} ({store.worker})"
        self.outer_stop = stop
        self.stop = anyio.Event()
        self.held: set[str] = set()
        self.halted: str | None = None
        self.started = anyio.current_time()
        self.counts: collections.Counter[str] = collections.Counter()

    async def settle_claim(self, claim: Claim[Any]) -> None:
        """Settle a claim's items (the kind's own way)."""
        raise NotImplementedError

    async def after_claim(self, claim: Claim[Any]) -> None:
        """Last writes before the claim's items are released (shielded from cancellation)."""

    def stopping(self) -> None:
        """Called when the worker stops (a halt, or ``stop``): stop what is in flight too."""
        self.stop.set()

    def summary(self, **counts: int) -> DrainSummary:
        return DrainSummary(
            run_id=self.store.run_id,
            worker=self.store.worker,
            halted=self.halted,
            interrupted=self.stop.is_set() and self.halted is None,
            elapsed=anyio.current_time() - self.started,
            **{**self.counts, **counts},
        )

    def lost(self, exc: BaseException) -> None:
        """This worker's claim on an item was taken over: count it; the new holder settles."""
        self.counts["lease_lost"] += 1
        logger.warning("%s lost a claim: %s", self.label, exc)

    async def halt_run(self, reason: str) -> None:
        """Stop the whole run (the access token was refused …): every worker stops."""
        if self.halted is None:
            self.halted = redact(reason)
            await anyio.to_thread.run_sync(self.store.halt, reason)
            logger.error("%s halted the run: %s", self.label, self.halted)
        self.stop.set()

    async def loop(self) -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(self.keep_leases)
            if self.outer_stop is not None:
                group.start_soon(self._relay, self.outer_stop)
            while not self.stop.is_set():
                claim = await anyio.to_thread.run_sync(self.store.claim, self.batch_size)
                if claim.halted is not None:
                    self.halted = claim.halted
                    break
                if not await self._settle(claim):
                    if claim.finished:
                        break
                    wait = IDLE_POLL if claim.next_expiry is None else claim.next_expiry + 0.01
                    with anyio.move_on_after(min(wait, IDLE_POLL)):
                        await self.stop.wait()
            group.cancel_scope.cancel()

    async def keep_leases(self) -> None:
        """Renew the leases held every third of the lease, and notice a halt of the run.

        A Redis error is not fatal yet (the lease still runs, and the store's own writes fail
        loudly); items taken over are logged (the new holder settles them, fenced by the lease).
        """
        while True:
            await anyio.sleep(self.store.lease / 3)
            keys = sorted(self.held)
            try:
                if keys:
                    renewal = await anyio.to_thread.run_sync(self.store.renew, keys)
                else:
                    renewal = Renewal(halted=await anyio.to_thread.run_sync(self.store.halted))
            except RedisError as exc:
                logger.warning("%s: renewing leases failed: %s", self.label, exc)
                continue
            if renewal.lost:
                logger.warning("%s: %d item(s) taken over", self.label, len(renewal.lost))
            if renewal.halted and not self.stop.is_set():
                self.halted = renewal.halted
                logger.error("%s was halted: %s", self.label, renewal.halted)
                self.stopping()

    async def _settle(self, claim: Claim[Any]) -> bool:
        """Settle a claim's items and release the rest; ``False`` if the claim held none."""
        keys = claim.keys
        if not keys:
            return False
        self.held.update(keys)
        self.counts["claims"] += 1
        self.counts["items"] += len(keys)
        try:
            await self.settle_claim(claim)
        except* LeaseLostError as group:
            self.lost(group.exceptions[0])
        finally:
            with anyio.CancelScope(shield=True):
                await self.after_claim(claim)
                await anyio.to_thread.run_sync(self.store.release, keys)
            self.held.difference_update(keys)
        return True

    async def _relay(self, stop: anyio.Event) -> None:
        await stop.wait()
        self.stopping()
