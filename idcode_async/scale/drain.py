"""One worker's share of a shared run: claim items, settle them, repeat (:func:`drain_run`).

:func:`drain_run` is the body of every worker: the arq job (:mod:`.arq_jobs`) runs it, on any
machine that reaches the Redis.  It serves both kinds of run through the one claim loop
(:class:`~.claims.ClaimLoop`):

- **registration rows** are settled with :func:`~idcode_async.registration.register_units`,
  unchanged: the journal it gets is the claim's view of the shared journal
  (:meth:`~.redis_journal.RedisJournal.view`) and the pacer is the token's shared
  :class:`~.redis_pacer.RedisPacer`.  So every rule of the batch holds as on one machine:
  pre-flight check, intent before send, one paced slot per attempt, a 307 lookup before
  resending a row that may have reached the centre (a row taken over from a crashed worker
  in ``in_flight``/``unknown`` is such a row);
- **upload requests** are settled by the upload executor (:mod:`.uploads`).

A halt (the run stopped itself: the access token refused, the centre unreachable) is recorded
in the run; every worker stops at its next claim or renewal, and loading the run again lifts it.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio
import anyio.to_thread

from .._client import IdcodeClient
from .._env import ENV_TOKEN
from ..domain.regions import RegionDirectory
from ..durable.store import LeaseLostError, Settlement
from ..pacing import Pacer
from ..registration.inputs import SourceRow
from ..registration.outcomes import BatchSummary, RowOutcome
from ..registration.runner import BatchAbortedError, register_units
from ._redis import connect_sync
from .claims import ClaimLoop, DrainSummary, default_worker_id
from .keys import token_id
from .leased_store import Claim
from .redis_journal import ClaimedRow, RedisJournal
from .redis_pacer import RedisPacer
from .runs import RunConfig, ScaleError, client_for, open_store, read_config
from .uploads import UploadDrain

__all__ = ["DrainSummary", "drain_run"]


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

    The credentials come from the caller (the worker's environment): they are not in Redis.
    ``access_token`` must be the run's (checked by its hash).  ``stop``: once set, no new
    submission starts; the one in flight finishes, and held items are released.  ``pacer``:
    registration runs use the token's shared :class:`RedisPacer` unless one is given; upload
    runs are not paced unless one is given (the document gives no pause rule for 5011–5014).
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
            if isinstance(store, RedisJournal):
                if pacer is None:
                    pacer = RedisPacer(
                        sync,
                        access_token,
                        config.min_interval,
                        config.max_interval,
                        concurrency=config.concurrency,
                        lease=config.slot_lease,
                    )
                return await _RowDrain(store, config, client, stop, pacer).run()
            return await UploadDrain(store, config, client, stop, pacer).run()
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(sync.close)


class _RowDrain(ClaimLoop):
    def __init__(
        self,
        journal: RedisJournal,
        config: RunConfig,
        client: IdcodeClient,
        stop: anyio.Event | None,
        pacer: Pacer,
    ) -> None:
        super().__init__(journal, batch_size=config.batch_size, stop=stop)
        self.journal = journal
        self.config = config
        self.client = client
        self.pacer = pacer
        self.outcomes: list[RowOutcome] = []

    async def run(self) -> DrainSummary:
        check = self.config.check_regions
        self.regions = await RegionDirectory.load(self.client) if check else None
        await self.loop()
        return self.summary()

    async def settle_claim(self, claim: Claim[Any]) -> None:
        rows: tuple[ClaimedRow, ...] = claim.items
        self.outcomes = []
        try:
            summary = await register_units(
                self.client,
                [SourceRow(row.entry.row, row.record) for row in rows],
                journal=self.journal.view(claim.keys),
                pacer=self.pacer,
                regions=self.regions,
                check_regions=self.config.check_regions,
                retry=self.config.retry,
                stop=self.stop,
                abort_after=self.config.abort_after,
                on_outcome=self.outcomes.append,
            )
            self._count(summary)
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
                message = f"invalid: {outcome.message}"
                failed = Settlement(outcome="failed", message=message)
                finish = partial(self.journal.settle, outcome.key, failed)
                try:
                    await anyio.to_thread.run_sync(finish)
                except LeaseLostError:
                    continue
                self.counts["failed"] += 1

    def _count(self, summary: BatchSummary) -> None:
        for name in ("registered", "existing", "failed", "submissions", "reconciled"):
            self.counts[name] += getattr(summary, name)
