"""One worker's share of a shared run: claim rows, settle them with the batch runner, repeat.

:func:`drain_run` is the body of every worker, whether arq runs it (:mod:`.arq_jobs`), the
``idcode register-units --redis`` command starts it in local processes, or ``idcode worker
--run`` runs it on a remote machine.  It loops:

1. **claim** up to ``batch_size`` rows (:meth:`RedisJournal.claim`; rows of a crashed worker
   come back once their lease has run out);
2. **settle** them with :func:`~idcode_async.registration.register_units`, unchanged: the journal it
   gets is the claim's view of the shared journal (:class:`~.redis_journal.ClaimView`) and the
   pacer is the token's shared :class:`~.redis_pacer.RedisPacer`.  So every rule of the batch
   holds as on one machine: pre-flight check, intent before send, one paced slot per attempt,
   a 307 lookup before resending a row that may have reached the centre (rows taken over from
   a crashed worker are such rows when their journal state is ``in_flight``/``unknown``);
3. **release** whatever it could not settle (out of tries, stopped), so that another claim can
   take it; a row claimed ``max_claims`` times without an outcome is set aside as stuck;

until nothing is left to claim and nothing is held, or the run is halted.  Meanwhile a lease
keeper renews the leases of the rows in hand every third of the lease, and notices a halt.

A halt (the run stopped itself: the access token refused, the centre unreachable) is recorded
in the run; every worker stops at its next claim or renewal, and loading the run again lifts it.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Protocol, TypeVar

import anyio
import anyio.to_thread
import attrs
import httpx

from .._client import IdcodeClient
from .._errors import IdcodeError
from ..domain.regions import RegionDirectory
from ..registration.inputs import SourceRow
from ..registration.outcomes import BatchSummary, RowOutcome
from ..registration.runner import BatchAbortedError, register_units
from ._keys import token_id
from ._leased import ClaimLoop, WorkerSummary
from ._redis import SyncRedis, connect_sync
from .redis_journal import Claim, LeaseLostError, RedisJournal
from .redis_pacer import RedisPacer
from .runs import RunConfig, read_config

__all__ = [
    "DrainSummary",
    "ScaleError",
    "WorkerSummary",
    "default_worker_id",
    "drain_run",
    "serve_run",
]


class ScaleError(IdcodeError):
    """A worker cannot take part in a run (wrong access token, no such run)."""


def default_worker_id() -> str:
    """``host/pid/random``: unique per worker, readable in the run's events."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:6]}"


@attrs.frozen(kw_only=True)
class DrainSummary(WorkerSummary):
    """What one worker did for a registration run."""

    rows: int = 0
    """Rows claimed (a row taken over from a crashed worker counts for each claimer)."""
    registered: int = 0
    existing: int = 0
    submissions: int = 0


class _RunConfig(Protocol):
    @property
    def token_id(self) -> str: ...


ConfigT = TypeVar("ConfigT", bound=_RunConfig)
ResultT = TypeVar("ResultT")


async def serve_run(
    redis_url: str,
    run_id: str,
    access_token: str,
    read: Callable[[SyncRedis, str], ConfigT],
    work: Callable[[SyncRedis, ConfigT], Awaitable[ResultT]],
) -> ResultT:
    """One worker's connection to a run of any kind: read the run's settings, check that the
    worker's access token is the run's (by its hash: the token is not in Redis), do ``work``,
    and close the connection whatever happens."""
    sync = connect_sync(redis_url)
    try:
        config = await anyio.to_thread.run_sync(read, sync, run_id)
        if token_id(access_token) != config.token_id:
            raise ScaleError(
                f"run {run_id} was loaded for another access token than this worker's "
                "IDCODE_ACCESS_TOKEN: its pace and its items belong to that token"
            )
        return await work(sync, config)
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(sync.close)


async def drain_run(
    redis_url: str,
    run_id: str,
    *,
    access_token: str,
    auth_code: str,
    worker: str | None = None,
    stop: anyio.Event | None = None,
) -> DrainSummary:
    """Settle rows of ``run_id`` until none is left; return what this worker did.

    The credentials come from the caller (the worker's environment): they are not in Redis.
    ``access_token`` must be the run's (checked by its hash).  ``stop``: once set, no new
    submission starts; the one in flight finishes, and held rows are released.
    """

    async def work(sync: SyncRedis, config: RunConfig) -> DrainSummary:
        drain = _Drain(
            run_id=run_id,
            worker=worker or default_worker_id(),
            config=config,
            sync=sync,
            access_token=access_token,
            stop=stop,
        )
        async with IdcodeClient(
            access_token=access_token,
            auth_code=auth_code,
            base_url=config.target,
            timeout=httpx.Timeout(config.timeout, connect=min(10.0, config.timeout)),
        ) as client:
            return await drain.run(client)

    return await serve_run(redis_url, run_id, access_token, read_config, work)


class _Drain(ClaimLoop[Claim]):
    item_count = "rows"

    def __init__(
        self,
        *,
        run_id: str,
        worker: str,
        config: RunConfig,
        sync: SyncRedis,
        access_token: str,
        stop: anyio.Event | None,
    ) -> None:
        self.run_id = run_id
        self.worker = worker
        self.config = config
        self.journal = RedisJournal(
            sync, run_id, worker=worker, lease=config.lease, max_claims=config.max_claims
        )
        super().__init__(
            self.journal,
            batch_size=config.batch_size,
            lease=config.lease,
            label=f"run {run_id} ({worker})",
            stop=stop,
            counters=("registered", "existing", "failed", "submissions", "reconciled"),
        )
        self.pacer = RedisPacer(
            sync,
            access_token,
            config.min_interval,
            config.max_interval,
            concurrency=config.concurrency,
            lease=config.slot_lease,
        )
        self.outcomes: list[RowOutcome] = []

    async def run(self, client: IdcodeClient) -> DrainSummary:
        self.client = client
        self.regions = await RegionDirectory.load(client) if self.config.check_regions else None
        await self.loop()
        return DrainSummary(run_id=self.run_id, worker=self.worker, **self.summary())

    async def settle_claim(self, claim: Claim) -> None:
        self.outcomes = []
        try:
            summary = await register_units(
                self.client,
                [SourceRow(row.entry.row, row.record) for row in claim.rows],
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

    async def after_claim(self, claim: Claim) -> None:
        """A row the worker's own pre-flight refuses (the 101 table changed since the run was
        loaded) is never sent; it is recorded as failed with the reason, not left to loop."""
        for outcome in self.outcomes:
            if outcome.status == "invalid" and outcome.key is not None:
                try:
                    await anyio.to_thread.run_sync(
                        partial(
                            self.journal.finish,
                            outcome.key,
                            "failed",
                            message=f"invalid: {outcome.message}",
                        )
                    )
                except LeaseLostError:
                    continue
                self.counts["failed"] += 1

    def _count(self, summary: BatchSummary) -> None:
        self.counts["registered"] += summary.registered
        self.counts["existing"] += summary.existing
        self.counts["failed"] += summary.failed
        self.counts["submissions"] += summary.submissions
        self.counts["reconciled"] += summary.reconciled
