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

import logging
import os
import socket
import uuid
from functools import partial
from typing import Any

import anyio
import anyio.to_thread
import attrs
import httpx

from .._client import IdcodeClient
from .._errors import IdcodeError
from .._logging import redact
from ..regions import RegionDirectory
from ..registration.inputs import SourceRow
from ..registration.outcomes import BatchSummary, RowOutcome
from ..registration.runner import BatchAbortedError, register_units
from ._keys import token_id
from ._leased import ClaimLoop
from ._redis import SyncRedis, connect_sync
from .redis_journal import Claim, LeaseLostError, RedisJournal
from .redis_pacer import RedisPacer
from .runs import RunConfig, read_config

__all__ = ["DrainSummary", "ScaleError", "default_worker_id", "drain_run"]

logger = logging.getLogger("idcode_async.scale")


class ScaleError(IdcodeError):
    """A worker cannot take part in a run (wrong access token, no such run)."""


def default_worker_id() -> str:
    """``host/pid/random``: unique per worker, readable in the run's events."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:6]}"


@attrs.frozen(kw_only=True)
class DrainSummary:
    """What one worker did for a run."""

    run_id: str
    worker: str
    claims: int = 0
    rows: int = 0
    """Rows claimed (a row taken over from a crashed worker counts for each claimer)."""
    registered: int = 0
    existing: int = 0
    failed: int = 0
    """Refused by the centre, or out of tries without an answer (then released, unsettled)."""
    submissions: int = 0
    reconciled: int = 0
    lease_lost: int = 0
    """Claims in which a row was taken over by another worker while this one held it."""
    halted: str | None = None
    interrupted: bool = False
    elapsed: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Plain values (an arq job's result)."""
        return attrs.asdict(self)


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
    worker = worker or default_worker_id()
    sync = connect_sync(redis_url)
    try:
        config = await anyio.to_thread.run_sync(read_config, sync, run_id)
        if token_id(access_token) != config.token_id:
            raise ScaleError(
                f"run {run_id} was loaded for another access token than this worker's "
                "IDCODE_ACCESS_TOKEN: its pace and its rows belong to that token"
            )
        drain = _Drain(
            run_id=run_id,
            worker=worker,
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
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(sync.close)


class _Drain(ClaimLoop[Claim]):
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
        )
        self.pacer = RedisPacer(
            sync,
            access_token,
            config.min_interval,
            config.max_interval,
            concurrency=config.concurrency,
            lease=config.slot_lease,
        )
        self.counts: dict[str, int] = dict.fromkeys(
            (
                "claims",
                "rows",
                "registered",
                "existing",
                "failed",
                "submissions",
                "reconciled",
                "lease_lost",
            ),
            0,
        )

    async def run(self, client: IdcodeClient) -> DrainSummary:
        self.client = client
        self.regions = await RegionDirectory.load(client) if self.config.check_regions else None
        await self.loop()
        return DrainSummary(
            run_id=self.run_id,
            worker=self.worker,
            halted=self.halted,
            interrupted=self.stop.is_set() and self.halted is None,
            elapsed=anyio.current_time() - self.started,
            **self.counts,
        )

    async def settle(self, claim: Claim) -> bool:
        if not claim.rows:
            return False
        await self._settle(self.client, claim, self.regions)
        return True

    async def _settle(
        self, client: IdcodeClient, claim: Claim, regions: RegionDirectory | None
    ) -> None:
        keys = [row.entry.key for row in claim.rows]
        self.held.update(keys)
        self.counts["claims"] += 1
        self.counts["rows"] += len(keys)
        outcomes: list[RowOutcome] = []
        try:
            summary = await register_units(
                client,
                [SourceRow(row.entry.row, row.record) for row in claim.rows],
                journal=self.journal.view(keys),
                pacer=self.pacer,
                regions=regions,
                check_regions=self.config.check_regions,
                retry=self.config.retry,
                stop=self.stop,
                abort_after=self.config.abort_after,
                on_outcome=outcomes.append,
            )
            self._count(summary)
        except* BatchAbortedError as group:
            aborted = group.exceptions[0]
            assert isinstance(aborted, BatchAbortedError)
            self._count(aborted.summary)
            self.halted = redact(aborted.reason)
            await anyio.to_thread.run_sync(self.journal.halt, aborted.reason)
            logger.error("run %s halted by %s: %s", self.run_id, self.worker, self.halted)
            self.stop.set()
        except* LeaseLostError as group:
            self.counts["lease_lost"] += 1
            logger.warning(
                "run %s: %s lost a claim: %s", self.run_id, self.worker, group.exceptions[0]
            )
        finally:
            with anyio.CancelScope(shield=True):
                await self._refuse_invalid(outcomes)
                await anyio.to_thread.run_sync(self.journal.release, keys)
            self.held.difference_update(keys)

    async def _refuse_invalid(self, outcomes: list[RowOutcome]) -> None:
        """A row the worker's own pre-flight refuses (the 101 table changed since the run was
        loaded) is never sent; it is recorded as failed with the reason, not left to loop."""
        for outcome in outcomes:
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
