"""One worker's share of a shared run: claim items, settle them, repeat (:func:`drain_run`).

Every arq job runs :func:`drain_run`.  What a worker does with its leases (renew every third
of the lease, claim again, notice a halt, hand back what it could not settle) is the same for
both kinds of run and lives here once (:class:`ClaimLoop`); each kind says only how to settle a
claim.  Rows go through :func:`~idcode_async.registration.register_units` unchanged, on the
claim's view of the shared journal and the token's shared :class:`~.redis_pacer.RedisPacer`,
so every rule of the batch holds as on one machine (one paced slot per attempt, a 307 lookup
before resending a row taken over in ``in_flight``/``unknown``).  Upload requests are rebuilt
from Redis (:func:`~.uploads.materialise`, each chunk checked against the plan) and settled by
the upload executor's session (a 502/505 lookup first for one taken over; one the centre's
records cannot decide is set aside as *stuck*, never sent blindly).  A halt (the access token
refused, the centre unreachable) stops every worker at its next claim or renewal.
"""

from __future__ import annotations

import collections
from functools import partial
from typing import Any, Generic, TypeVar

import anyio
import anyio.to_thread
import attrs

from .._client import IdcodeClient
from .._env import ENV_TOKEN
from .._logging import logger, redact
from ..domain.regions import RegionDirectory
from ..durable.engine import relay
from ..durable.store import LeaseLostError, Settlement
from ..pacing import Pacer
from ..registration.inputs import SourceRow
from ..registration.outcomes import BatchSummary, RowOutcome
from ..registration.runner import BatchAbortedError, register_units
from ..uploads.executor import UploadSession
from ..uploads.manifest import ManifestEntry
from ..uploads.plan import CodeFile
from ..uploads.spool import Workspace
from ._redis import RedisError, connect_sync
from .errors import ScaleError
from .keys import default_worker_id, token_id
from .leased_store import Claim, LeasedStore, Renewal
from .redis_journal import RedisJournal
from .redis_pacer import RedisPacer
from .redis_uploads import RedisUploadManifest
from .runs import RunConfig, client_for, open_store, read_config
from .uploads import UnusableError, materialise, upload_session

__all__ = ["IDLE_POLL", "ClaimLoop", "DrainSummary", "drain_run"]

IDLE_POLL = 0.5
"""Seconds between claims while every remaining item is in other workers' hands."""


@attrs.frozen(kw_only=True)
class DrainSummary:
    """What one worker did for a run (an arq job's result, as a dict)."""

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


async def drain_run(
    redis_url: str,
    run_id: str,
    *,
    access_token: str,
    auth_code: str,
    worker: str | None = None,
    stop: anyio.Event | None = None,
    pacer: Pacer | None = None,
) -> DrainSummary:
    """Settle items of ``run_id`` (either kind) until none is left; return what this worker did.

    The credentials come from the caller, never from Redis; ``access_token`` must be the run's
    (checked by its hash).  ``stop``: once set, no new submission starts; the one in flight
    finishes, and held items are released.  ``pacer``: registration runs use the token's
    shared :class:`RedisPacer` unless one is given; upload runs are not paced unless one is
    given (the document gives no pause rule for 5011–5014).
    """
    sync = connect_sync(redis_url)
    try:
        config = await anyio.to_thread.run_sync(read_config, sync, run_id)
        if token_id(access_token) != config.token_id:
            raise ScaleError(
                f"run {run_id} was loaded for another access token than this worker's "
                f"{ENV_TOKEN}: its pace and its items belong to that token"
            )
        store = open_store(sync, config, run_id, worker or default_worker_id())
        async with client_for(config, access_token, auth_code) as client:
            if isinstance(store, RedisUploadManifest):
                session = upload_session(client, store, config, pacer=pacer)
                workspace = Workspace()
                try:
                    return await _UploadDrain(store, config, stop, session, workspace).run()
                finally:
                    workspace.cleanup()
            if pacer is None:
                pacer = RedisPacer(
                    sync,
                    access_token,
                    config.min_interval,
                    config.max_interval,
                    concurrency=config.concurrency,
                    lease=config.slot_lease,
                )
            regions = await RegionDirectory.load(client) if config.check_regions else None
            return await _RowDrain(store, config, stop, client, pacer, regions).run()
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(sync.close)


StoreT = TypeVar("StoreT", bound=LeasedStore[Any, Any])


@attrs.define
class ClaimLoop(Generic[StoreT]):
    """Claim a batch, settle it (:meth:`settle_claim`, the kind's), release what is left
    unsettled, repeat until the run is finished, halted or ``outer_stop`` is set.

    Meanwhile :meth:`keep_leases` renews what is held.  When every remaining item is in other
    workers' hands, wait for them, or for a lease to run out (a crashed worker's items come
    back).  A lost lease ends the claim's settling (the new holder settles those items).
    """

    store: StoreT
    config: RunConfig
    outer_stop: anyio.Event | None
    stop: anyio.Event = attrs.field(init=False, factory=anyio.Event)
    held: set[str] = attrs.field(init=False, factory=set)
    halted: str | None = attrs.field(init=False, default=None)
    started: float = attrs.field(init=False, factory=anyio.current_time)
    counts: collections.Counter[str] = attrs.field(init=False, factory=collections.Counter)

    @property
    def label(self) -> str:
        return f"run {self.store.run_id} ({self.store.worker})"

    async def settle_claim(self, claim: Claim[Any]) -> None:
        raise NotImplementedError

    async def after_claim(self, claim: Claim[Any]) -> None:
        """Last writes before the claim's items are released (shielded from cancellation)."""

    def stopping(self) -> None:
        """The worker stops (a halt, or ``outer_stop``): stop what is in flight too."""
        self.stop.set()

    async def run(self) -> DrainSummary:
        async with anyio.create_task_group() as group:
            group.start_soon(self.keep_leases)
            if self.outer_stop is not None:
                group.start_soon(relay, self.outer_stop, self.stopping)
            while not self.stop.is_set():
                claim = await anyio.to_thread.run_sync(self.store.claim, self.config.batch_size)
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
        return DrainSummary(
            run_id=self.store.run_id,
            worker=self.store.worker,
            halted=self.halted,
            interrupted=self.stop.is_set() and self.halted is None,
            elapsed=anyio.current_time() - self.started,
            **self.counts,
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


@attrs.define
class _RowDrain(ClaimLoop[RedisJournal]):
    client: IdcodeClient
    pacer: Pacer
    regions: RegionDirectory | None
    outcomes: list[RowOutcome] = attrs.field(init=False, factory=list)

    async def settle_claim(self, claim: Claim[Any]) -> None:
        self.outcomes = []
        try:
            self._count(
                await register_units(
                    self.client,
                    [SourceRow(row.entry.row, row.record) for row in claim.items],
                    journal=self.store.view(claim.keys),
                    pacer=self.pacer,
                    regions=self.regions,
                    check_regions=self.config.check_regions,
                    retry=self.config.retry,
                    stop=self.stop,
                    abort_after=self.config.abort_after,
                    on_outcome=self.outcomes.append,
                )
            )
        except* BatchAbortedError as group:
            aborted = group.exceptions[0]
            assert isinstance(aborted, BatchAbortedError)
            self._count(aborted.summary)
            await self.halt_run(aborted.reason)

    async def after_claim(self, claim: Claim[Any]) -> None:
        """A row the worker's own pre-flight refuses (the 101 table changed since the run was
        loaded) is never sent; it is recorded as failed with the reason, not left to loop."""
        for outcome in self.outcomes:
            if outcome.status == "invalid" and outcome.key is not None:
                failed = Settlement(outcome="failed", message=f"invalid: {outcome.message}")
                try:
                    await anyio.to_thread.run_sync(self.store.settle, outcome.key, failed)
                except LeaseLostError:
                    continue
                self.counts["failed"] += 1

    def _count(self, summary: BatchSummary) -> None:
        for name in ("registered", "existing", "failed", "submissions", "reconciled"):
            self.counts[name] += getattr(summary, name)


@attrs.define
class _UploadDrain(ClaimLoop[RedisUploadManifest]):
    session: UploadSession
    workspace: Workspace

    def stopping(self) -> None:
        super().stopping()
        self.session.engine.halt.set()

    async def settle_claim(self, claim: Claim[Any]) -> None:
        requests, session = self.session.requests, self.session
        for entry in claim.items:
            if self.stop.is_set() or session.engine.halt.is_set():
                break
            rebuild = partial(materialise, entry, self.store, self.workspace)
            try:
                requests[entry.key] = await anyio.to_thread.run_sync(rebuild, self.config.newline)
            except UnusableError as exc:
                await self._set_aside(entry, f"not sent: {exc}")
                continue
            try:  # one taken over in intent/unknown is looked up (502/505) before any send
                state = await session.settle(entry)
            except LeaseLostError as exc:
                state = None
                self.lost(exc)
            if state is not None:  # accepted or failed
                self.counts[str(state)] += 1
            while session.unresolved:
                item = session.unresolved.pop()
                reason = f"may be on the centre, undecidable: {item.reason}"
                await self._set_aside(item.entry, reason)
            request = requests.pop(entry.key, None)
            if isinstance(request, CodeFile):
                request.path.unlink(missing_ok=True)
        self.counts["sent"], self.counts["reconciled"] = session.engine.sent, session.reconciled
        if session.engine.abort_reason is not None:
            await self.halt_run(session.engine.abort_reason)

    async def _set_aside(self, entry: ManifestEntry, reason: str) -> None:
        logger.error("%s: request #%d set aside: %s", self.label, entry.seq, reason)
        if await anyio.to_thread.run_sync(self.store.set_aside, entry.key, reason):
            self.counts["stuck"] += 1
