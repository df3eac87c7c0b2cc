"""A shared run: its settings, loading its rows, and reading its progress and results.

A *run* is one batch of unit registrations in Redis under a name (the run id): its settings
(:class:`RunConfig`, the same for every worker), its rows (:class:`~.redis_journal.RedisJournal`)
and the rows the pre-flight check refused.  :func:`load_run` checks rows exactly as the batch
runner does (309's rules, regions against 101, duplicate names) and loads the valid ones;
workers (:mod:`.drain`, :mod:`.arq_jobs`) then settle them; :func:`run_progress` and
:func:`run_results` read what happened, from the journal alone, so that any machine can watch.

Loading the same rows into the same run again resumes it: rows keep their states, stuck rows
get fresh claims, a halt is lifted (the operator's "run the same command again").
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable, Sequence
from typing import Any, Final, cast

import anyio.to_thread
import attrs
import httpx

from .._client import DEFAULT_TIMEOUT, TEST_BASE_URL
from .._denylist import check_no_secret_names
from ..domain.regions import RegionDirectory
from ..pacing import DEFAULT_MAX_INTERVAL, DEFAULT_MIN_INTERVAL, Interval
from ..registration.inputs import SourceRow
from ..registration.journal import JournalError, RowState
from ..registration.outcomes import RowOutcome
from ..registration.progress import Progress
from ..registration.records import UnitRegistration
from ..registration.validation import InvalidRow, check_rows
from ._keys import RunKeys, check_run_id, token_id
from ._leased import RunSettings, positive
from ._redis import SyncRedis, connect_sync
from .redis_journal import (
    DEFAULT_LEASE,
    RedisJournal,
    RunCounts,
)
from .redis_pacer import DEFAULT_SLOT_LEASE

__all__ = [
    "LoadReport",
    "RunConfig",
    "RunProgress",
    "load_run",
    "normalise_base_url",
    "progress",
    "read_config",
    "run_progress",
    "run_results",
]

_REQUEST_TIMEOUT: Final = float(DEFAULT_TIMEOUT.read or 30.0)


def normalise_base_url(base_url: str) -> str:
    """The base URL as the client reports it (httpx adds a trailing slash): the journal's
    target must compare equal to ``str(client.base_url)`` in every worker."""
    url = httpx.URL(base_url)
    if not url.raw_path.endswith(b"/"):
        url = url.copy_with(raw_path=url.raw_path + b"/")
    return str(url)


@attrs.frozen(kw_only=True)
class RunConfig(RunSettings):
    """The settings every worker of a registration run uses (stored with the run)."""

    min_interval: float = DEFAULT_MIN_INTERVAL
    max_interval: float = DEFAULT_MAX_INTERVAL
    concurrency: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    lease: float = attrs.field(default=DEFAULT_LEASE, validator=positive)
    """Seconds a row's claim lasts without renewal: longer than ``timeout`` (see below)."""
    slot_lease: float = attrs.field(default=DEFAULT_SLOT_LEASE, validator=positive)
    check_regions: bool = True
    timeout: float = attrs.field(default=_REQUEST_TIMEOUT, validator=positive)
    abort_after: int = 5

    def __attrs_post_init__(self) -> None:
        Interval(self.min_interval, self.max_interval)  # the pacing rule's own check
        if self.lease <= self.timeout:
            raise ValueError(
                f"the row lease ({self.lease} s) must be longer than the request timeout "
                f"({self.timeout} s): a worker cut off from Redis must have its answer before "
                "another worker may take its rows over"
            )


@attrs.frozen(kw_only=True)
class LoadReport:
    """What :func:`load_run` did."""

    run_id: str
    total: int
    """Rows read (valid and invalid)."""
    valid: int
    invalid: tuple[InvalidRow, ...]
    new: int
    """Valid rows that were not in the run yet."""
    requeued: int = 0
    """Rows set aside as stuck by an earlier run, given fresh claims."""
    retried: int = 0
    """Failed rows put back to pending (``retry_failed``)."""


def read_config(redis: SyncRedis, run_id: str) -> RunConfig:
    """The settings of ``run_id``; :class:`JournalError` if the run does not exist."""
    text = redis.hget(RunKeys.for_run(run_id).meta, "config")
    if not text:
        raise JournalError(f"there is no run {run_id!r} in this Redis (load it first)")
    return RunConfig.from_json(str(text))


def load_run(
    redis: SyncRedis | str,
    rows: Iterable[UnitRegistration | SourceRow],
    run_id: str,
    *,
    access_token: str,
    base_url: str = TEST_BASE_URL,
    regions: RegionDirectory | None = None,
    check_regions: bool = True,
    retry_failed: bool = False,
    **settings: Any,
) -> LoadReport:
    """Check ``rows`` and load the valid ones into the run ``run_id`` (created if new).

    ``redis``: a blocking client or a URL.  ``access_token`` is only hashed (the run records
    whose pace it uses, never the token).  ``regions``: the 101 table
    (``await RegionDirectory.load(client)``), required unless ``check_regions=False``.
    ``settings`` are :class:`RunConfig`'s (``min_interval``, ``lease``, ``batch_size`` …); a
    run loaded again takes the new settings, but never another centre or access token.
    """
    check_run_id(run_id)
    if check_regions and regions is None:
        raise ValueError(
            "pass regions=await RegionDirectory.load(client) to check regions against 101, or "
            "check_regions=False"
        )
    config = RunConfig(
        target=normalise_base_url(base_url),
        token_id=token_id(access_token),
        check_regions=check_regions,
        **settings,
    )
    sources = [
        item if isinstance(item, SourceRow) else SourceRow(position, item)
        for position, item in enumerate(rows, start=1)
    ]
    preflight = check_rows(sources, regions if check_regions else None)
    client = connect_sync(redis) if isinstance(redis, str) else redis
    journal = RedisJournal(client, run_id, worker=f"loader/{socket.gethostname()}/{os.getpid()}")
    try:
        keys = journal.keys
        earlier = client.hget(keys.meta, "config")
        if earlier:
            before = RunConfig.from_json(str(earlier))
            if before.token_id != config.token_id:
                raise JournalError(
                    f"run {run_id} was loaded for another access token: use another run id"
                )
        journal.bind(config.target)
        client.hset(keys.meta, "config", config.to_json())
        new = journal.load([(item.row, item.record) for item in preflight.valid])
        _store_invalid(client, keys, preflight.invalid)
        requeued, retried = journal.requeue(retry_failed=retry_failed)
    finally:
        if isinstance(redis, str):
            client.close()
    return LoadReport(
        run_id=run_id,
        total=preflight.total,
        valid=len(preflight.valid),
        invalid=preflight.invalid,
        new=new,
        requeued=requeued,
        retried=retried,
    )


def _store_invalid(redis: SyncRedis, keys: RunKeys, invalid: Sequence[InvalidRow]) -> None:
    """The rows the pre-flight check refused, for the results; replaced by every load."""
    records = []
    for item in invalid:
        record = item.record
        outcome = RowOutcome(
            row=item.row,
            status="invalid",
            organunit_name=None if record is None else record.organunit_name,
            login_name=None if record is None else record.login_name,
            message=item.reason,
            key=None if record is None else record.key,
        )
        fields = outcome.as_record()
        check_no_secret_names(fields, where="invalid rows")
        records.append(json.dumps(fields, ensure_ascii=False))
    pipe = redis.pipeline(transaction=True)
    pipe.delete(keys.invalid)
    if records:
        pipe.rpush(keys.invalid, *records)
    pipe.execute()


@attrs.frozen(kw_only=True)
class RunProgress:
    """A run as the journal shows it, from any machine."""

    run_id: str
    counts: RunCounts
    invalid: int
    todo: int
    halted: str | None = None

    @property
    def total(self) -> int:
        return self.counts.rows + self.invalid

    @property
    def finished(self) -> bool:
        """No row is held or waiting for a claim: every row is settled, stuck or the run halted."""
        return self.counts.held == 0 and (self.todo == 0 or self.halted is not None)

    @property
    def complete(self) -> bool:
        """Every valid row has an outcome that needs no further run."""
        return self.counts.unsettled == 0 and self.counts.failed == 0

    def as_progress(
        self, *, elapsed: float = 0.0, rate: float | None = None, resumed: int = 0
    ) -> Progress:
        """The batch's :class:`~idcode_async.registration.Progress`, for its displays."""
        counts = self.counts
        remaining = counts.unsettled
        return Progress(
            total=self.total,
            registered=counts.registered,
            existing=counts.existing,
            invalid=self.invalid,
            failed=counts.failed,
            resumed=resumed,
            elapsed=elapsed,
            rate=rate,
            eta=remaining / rate if rate else None,
        )

    def describe(self) -> str:
        c = self.counts
        parts = [
            f"{self.total} rows",
            f"{c.registered} registered",
            f"{c.existing} existing",
            f"{self.invalid} invalid",
            f"{c.failed} failed",
        ]
        if c.unsettled:
            parts.append(f"{c.unsettled} not settled ({c.held} claimed, {c.stuck} stuck)")
        parts.append(f"{c.submissions} submissions")
        return ", ".join(parts)


def run_progress(journal: RedisJournal) -> RunProgress:
    """Counts of the run, its waiting rows and its halt, from the journal (a few reads)."""
    redis = journal.redis
    keys = journal.keys
    counts = journal.counts()
    pipe = redis.pipeline(transaction=True)
    pipe.llen(keys.invalid)
    pipe.zcard(keys.todo)
    pipe.hget(keys.meta, "halted")
    invalid, todo, halted = pipe.execute()
    return RunProgress(
        run_id=journal.run_id,
        counts=counts,
        invalid=int(invalid),
        todo=int(todo),
        halted=str(halted) if halted else None,
    )


async def progress(redis_url: str, run_id: str) -> RunProgress:
    """The progress of ``run_id``, read from the shared journal (any machine may ask)."""

    def read() -> RunProgress:
        client = connect_sync(redis_url)
        try:
            return run_progress(RedisJournal(client, run_id, worker="progress"))
        finally:
            client.close()

    return await anyio.to_thread.run_sync(read)


def run_results(journal: RedisJournal) -> list[RowOutcome]:
    """Every row's outcome, by row number: settled rows, invalid rows, and rows still
    unsettled (as ``failed``, with the state they are in and what to do)."""
    redis = journal.redis
    outcomes = [
        RowOutcome(**json.loads(line))
        for line in cast(list[str], redis.lrange(journal.keys.invalid, 0, -1))
    ]
    for entry in journal.entries().values():
        if entry.state is RowState.DONE and entry.outcome is not None:
            outcomes.append(
                RowOutcome(
                    row=entry.row,
                    status=entry.outcome,
                    organunit_name=entry.organunit_name,
                    login_name=entry.login_name,
                    organunit_idcode=entry.organunit_idcode,
                    code=entry.code,
                    message=entry.message,
                    attempts=entry.attempts,
                    reconciled=entry.reconciled,
                    key=entry.key,
                )
            )
            continue
        then = (
            "it may have reached the centre: the next run settles it with 307 first"
            if entry.maybe_sent
            else "nothing was registered: the next run sends it"
        )
        outcomes.append(
            RowOutcome(
                row=entry.row,
                status="failed",
                organunit_name=entry.organunit_name,
                login_name=entry.login_name,
                message=f"not settled ({entry.state}); {then}",
                attempts=entry.attempts,
                key=entry.key,
            )
        )
    return sorted(outcomes, key=lambda outcome: outcome.row)
