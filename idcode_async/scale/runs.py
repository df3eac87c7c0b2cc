"""A shared run: its settings, loading its rows, and reading its progress and results.

A *run* is one batch of items in Redis under a run id, registration rows or upload requests,
with its settings (:class:`RunConfig`, the same for every worker) beside them.
:func:`load_run` checks rows exactly as the batch runner does (309's rules, regions against
101, duplicate names) and loads the valid ones (uploads: :func:`~.uploads.prepare_upload`);
:func:`progress` and :func:`run_results` read what happened from Redis alone, on any machine.
Loading the same items again resumes the run: items keep their states, stuck items get fresh
claims, a halt is lifted (the operator's "run the same command again").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, cast

import anyio.to_thread
import attrs
import httpx

from .._client import DEFAULT_TIMEOUT, TEST_BASE_URL, UPLOAD_TIMEOUT, IdcodeClient
from .._credentials import checked_base_url
from .._retry import RetryPolicy
from ..domain.regions import RegionDirectory
from ..durable.engine import DEFAULT_RETRY
from ..durable.store import StoreError
from ..endpoints.codes import GenerateType, Version
from ..pacing import DEFAULT_MAX_INTERVAL, DEFAULT_MIN_INTERVAL, Interval
from ..registration.inputs import SourceRow
from ..registration.journal import JournalError
from ..registration.outcomes import RowOutcome
from ..registration.records import UnitRegistration
from ..registration.validation import check_rows
from ..uploads.executor import DEFAULT_GRACE
from ._redis import SyncRedis, connection
from .errors import KIND_NAMES, Kind, RunKindError, ScaleError
from .keys import StoreKeys, check_run_id, loader_id, token_id
from .leased_store import DEFAULT_BATCH, DEFAULT_LEASE, DEFAULT_MAX_CLAIMS, RunCounts
from .redis_journal import RedisJournal
from .redis_pacer import DEFAULT_SLOT_LEASE
from .redis_uploads import RedisUploadManifest

__all__ = [
    "LoadReport",
    "RunConfig",
    "client_for",
    "load_run",
    "normalise_base_url",
    "open_store",
    "progress",
    "read_config",
    "record_config",
    "run_results",
    "stored_config",
]


def normalise_base_url(base_url: str) -> str:
    """The base URL as the client reports it (httpx adds a trailing slash): the journal's
    target must compare equal to ``str(client.base_url)`` in every worker.  A malformed one is
    a :class:`~idcode_async.UsageError` that does not quote it (it may hold a password)."""
    url = checked_base_url(base_url)
    if not url.raw_path.endswith(b"/"):
        url = url.copy_with(raw_path=url.raw_path + b"/")
    return str(url)


def _positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0 < value < float("inf"):
        raise ValueError(f"{attribute.name} must be a positive number of seconds, got {value}")


def _default_lease(config: RunConfig) -> float:
    """An upload claim outlives the upload timeout (300 s); a row's, the request timeout."""
    return 360.0 if config.kind == "upload" else DEFAULT_LEASE


@attrs.frozen(kw_only=True)
class RunConfig:
    """What every worker of a run uses, stored with the run so that all of them agree.

    Not the access token: workers bring their own, and ``token_id`` (its hash) lets them check
    it is the run's.  The pace settings serve registration runs (309's pause); the upload
    target, timeouts and ``plan`` serve upload runs.
    """

    kind: Kind = "run"
    target: str = attrs.field(converter=normalise_base_url)
    """The centre's base URL; every worker binds to it."""
    token_id: str
    batch_size: int = attrs.field(default=DEFAULT_BATCH, validator=attrs.validators.ge(1))
    max_claims: int = attrs.field(default=DEFAULT_MAX_CLAIMS, validator=attrs.validators.ge(1))
    max_retries: int = DEFAULT_RETRY.max_retries
    backoff_base: float = DEFAULT_RETRY.backoff_base
    backoff_max: float = DEFAULT_RETRY.backoff_max
    lease: float = attrs.field(
        default=attrs.Factory(_default_lease, takes_self=True), validator=_positive
    )
    """Seconds a claim lasts without renewal: longer than the request timeouts."""
    timeout: float = attrs.field(default=float(DEFAULT_TIMEOUT.read or 30), validator=_positive)
    # registration (309)
    min_interval: float = DEFAULT_MIN_INTERVAL
    max_interval: float = DEFAULT_MAX_INTERVAL
    concurrency: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    slot_lease: float = attrs.field(default=DEFAULT_SLOT_LEASE, validator=_positive)
    check_regions: bool = True
    abort_after: int = 5
    # uploads (5011–5014)
    company_idcode: str = ""
    category_reg_id: str = ""
    version: Version | None = "2.0"
    generate_type: GenerateType | None = None
    newline: str = "\r\n"
    upload_timeout: float = attrs.field(
        default=float(UPLOAD_TIMEOUT.read or 300), validator=_positive
    )
    grace: float = DEFAULT_GRACE
    assume_not_uploaded: bool = False
    plan: str = ""
    """The SHA-256 of the plan's request keys: another plan is refused in the run."""

    def __attrs_post_init__(self) -> None:
        Interval(self.min_interval, self.max_interval)  # the pacing rule's own check
        longest = max(self.timeout, self.upload_timeout if self.kind == "upload" else 0)
        if self.lease <= longest:
            raise ValueError(
                f"the lease ({self.lease} s) must be longer than the request timeout "
                f"({longest} s): a worker cut off from Redis must have its answer before "
                "another worker may take its items over"
            )

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(self.max_retries, self.backoff_base, self.backoff_max)

    @classmethod
    def from_json(cls, text: str, kind: Kind) -> RunConfig:
        """The stored settings; names this version does not know are ignored."""
        values = {**json.loads(text), "kind": kind}
        known = {field.name for field in attrs.fields(cls)}
        return cls(**{name: value for name, value in values.items() if name in known})


def stored_config(redis: SyncRedis, run_id: str, kind: Kind | None = None) -> RunConfig | None:
    """The settings of ``run_id``, of ``kind`` (or either); ``None`` if there is no such run,
    :class:`RunKindError` if it is a run of the other kind."""
    for found in KIND_NAMES:
        text = redis.hget(StoreKeys.for_run(found, run_id).meta, "config")
        if text and kind not in (None, found):
            raise RunKindError(run_id, found)
        if text:
            return RunConfig.from_json(str(text), found)
    return None


def read_config(redis: SyncRedis, run_id: str, kind: Kind | None = None) -> RunConfig:
    """:func:`stored_config`, or :class:`ScaleError` if there is no such run."""
    config = stored_config(redis, run_id, kind)
    if config is None:
        raise ScaleError(f"there is no run {run_id!r} in this Redis (load it first)")
    return config


def open_store(
    redis: SyncRedis, config: RunConfig, run_id: str, worker: str
) -> RedisJournal | RedisUploadManifest:
    """The run's leased store of the config's kind, for ``worker``."""
    kind = RedisUploadManifest if config.kind == "upload" else RedisJournal
    return kind(redis, run_id, worker=worker, lease=config.lease, max_claims=config.max_claims)


def record_config(
    store: RedisJournal | RedisUploadManifest,
    config: RunConfig,
    same: Sequence[str] = (),
    error: type[StoreError] = StoreError,
) -> None:
    """Store ``config`` with the run.  A run keeps its kind (:class:`RunKindError`), its
    access token and the settings named in ``same`` (refused with ``error``)."""
    redis, run_id = store.redis, store.run_id
    before = stored_config(redis, run_id, config.kind)
    for name in ("token_id", *same):
        if before is not None and getattr(before, name) != getattr(config, name):
            what = "access token" if name == "token_id" else name
            raise error(f"run {run_id} was loaded for another {what}: use another run id")
    redis.hset(store.keys.meta, "config", json.dumps(attrs.asdict(config), sort_keys=True))


def client_for(config: RunConfig, access_token: str, auth_code: str) -> IdcodeClient:
    """A client bound to the run's centre, with the run's timeouts."""
    connect = min(10.0, config.timeout)
    return IdcodeClient(
        access_token=access_token,
        auth_code=auth_code,
        base_url=config.target,
        timeout=httpx.Timeout(config.timeout, connect=connect),
        upload_timeout=httpx.Timeout(config.upload_timeout, connect=connect),
    )


# -- registration runs ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class LoadReport:
    """What :func:`load_run` did."""

    run_id: str
    total: int
    """Rows read (valid and invalid)."""
    valid: int
    invalid: tuple[RowOutcome, ...]
    new: int
    requeued: int = 0
    """Stuck rows given fresh claims."""
    retried: int = 0
    """Failed rows put back to pending (``retry_failed``)."""


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
        target=base_url, token_id=token_id(access_token), check_regions=check_regions, **settings
    )
    sources = [
        item if isinstance(item, SourceRow) else SourceRow(position, item)
        for position, item in enumerate(rows, start=1)
    ]
    preflight = check_rows(sources, regions if check_regions else None)
    with connection(redis) as client:
        journal = RedisJournal(client, run_id, worker=loader_id())
        record_config(journal, config, error=JournalError)
        journal.bind(config.target)
        new = journal.load([(item.row, item.record) for item in preflight.valid])
        _store_invalid(client, journal.keys, preflight.invalid)
        requeued, retried = journal.requeue(retry_failed=retry_failed)
    return LoadReport(
        run_id=run_id,
        total=preflight.total,
        valid=len(preflight.valid),
        invalid=preflight.invalid,
        new=new,
        requeued=requeued,
        retried=retried,
    )


def _store_invalid(redis: SyncRedis, keys: StoreKeys, invalid: Sequence[RowOutcome]) -> None:
    """The rows the pre-flight check refused, for the results; replaced by every load."""
    records = [json.dumps(item.as_record(), ensure_ascii=False) for item in invalid]
    pipe = redis.pipeline(transaction=True)
    pipe.delete(keys.invalid)
    if records:
        pipe.rpush(keys.invalid, *records)
    pipe.execute()


async def progress(redis_url: str, run_id: str) -> RunCounts:
    """The counts of ``run_id`` (either kind), read from Redis (any machine may ask)."""

    def read() -> RunCounts:
        with connection(redis_url) as client:
            return open_store(client, read_config(client, run_id), run_id, "progress").counts()

    return await anyio.to_thread.run_sync(read)


def run_results(redis: SyncRedis | str, run_id: str) -> list[RowOutcome]:
    """Every row's outcome, by row number: settled rows, invalid rows, and rows still
    unsettled (as ``failed``, with the state they are in and what to do)."""
    with connection(redis) as client:
        read_config(client, run_id, "run")
        journal = RedisJournal(client, run_id, worker="results")
        lines = cast(list[str], client.lrange(journal.keys.invalid, 0, -1))
        entries = journal.entries()
    outcomes = [RowOutcome(**json.loads(line)) for line in lines]
    outcomes += (entry.as_outcome() for entry in entries)
    return sorted(outcomes, key=lambda outcome: outcome.row)
