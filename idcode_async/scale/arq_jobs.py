"""The scale-out on arq: the one job, the worker (:func:`serve`) and the enqueue helpers.

arq is the job host, and the only way to run a worker: an operator loads a run and enqueues N
jobs; N worker processes (``idcode worker``, or ``arq idcode_async.scale.arq_jobs.
WorkerSettings``), on any machines that reach the Redis, take one job each; every job drains
the run (:func:`~.drain.drain_run`, either kind) until nothing is left.  A job is therefore "a
worker's share of the run", not "rows 1-50", so that a crashed worker's items are taken over by
the jobs still running (after their lease), not by arq's retry.  Deployment (the credentials
with each worker, never in Redis): ``docs/scale-out.md``.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from functools import partial
from types import FrameType
from typing import Any, Final, Generic, TypeVar

import anyio
import anyio.to_thread
import attrs

from .._env import ENV_AUTH_CODE, ENV_REDIS_URL, ENV_TOKEN
from ..registration.inputs import SourceRow
from ..registration.records import UnitRegistration
from ..uploads.codes_input import AsyncCodeSource
from ._extra import require
from .drain import drain_run
from .errors import ScaleError
from .keys import default_worker_id
from .runs import LoadReport, load_run
from .uploads import UploadLoadReport, prepare_upload

require("arq")

from arq.connections import RedisSettings, create_pool  # noqa: E402
from arq.worker import Function, Worker, func  # noqa: E402

__all__ = [
    "CTX_REDIS_URL",
    "CTX_STOP",
    "DEFAULT_QUEUE",
    "DRAIN_JOB",
    "JOB_TIMEOUT",
    "Enqueued",
    "ServeResult",
    "WorkerCredentials",
    "WorkerSettings",
    "drain_run_job",
    "enqueue_jobs",
    "enqueue_registration",
    "enqueue_upload",
    "serve",
    "worker_settings",
]

DEFAULT_QUEUE: Final = "arq:idcode"
"""The arq queue of the scale-out jobs (not arq's default, so that it mixes with no other)."""

DRAIN_JOB: Final = "drain_run_job"

JOB_TIMEOUT: Final = timedelta(hours=24)
"""How long one job may drain a run (arq cancels it then; a job resumes the run)."""

CTX_REDIS_URL: Final = "idcode_redis_url"
CTX_STOP: Final = "idcode_stop"
"""The worker's stop event in the job context: set by the first Ctrl-C/SIGTERM."""
CTX_CREDENTIALS: Final = "idcode_credentials"
"""The credentials :func:`serve` was given, kept in the job context: never written to the
process environment (its children would inherit them, ``/proc/PID/environ`` shows them)."""


@attrs.frozen(repr=False)
class WorkerCredentials:
    access_token: str
    auth_code: str


def _credentials(ctx: dict[Any, Any]) -> WorkerCredentials:
    """The worker's credentials: given to :func:`serve`, else from its environment (``arq
    …WorkerSettings``); never from Redis."""
    given = ctx.get(CTX_CREDENTIALS)
    if isinstance(given, WorkerCredentials):
        return given
    token, auth_code = os.environ.get(ENV_TOKEN), os.environ.get(ENV_AUTH_CODE)
    if not token or not auth_code:
        raise ScaleError(f"a worker needs {ENV_TOKEN} and {ENV_AUTH_CODE} in its environment")
    return WorkerCredentials(token, auth_code)


async def drain_run_job(ctx: dict[Any, Any], run_id: str) -> dict[str, Any]:
    """arq job: drain the run ``run_id`` (registration or upload) with this worker's
    credentials; a first stop signal lets the request in flight finish, then returns."""
    url = ctx.get(CTX_REDIS_URL) or os.environ.get(ENV_REDIS_URL)
    if not url:
        raise ScaleError(f"the worker does not know its Redis URL (set {ENV_REDIS_URL})")
    credentials = _credentials(ctx)
    summary = await drain_run(
        str(url),
        run_id,
        access_token=credentials.access_token,
        auth_code=credentials.auth_code,
        worker=f"{default_worker_id()}/{str(ctx.get('job_id', 'job'))[-8:]}",
        stop=ctx.get(CTX_STOP),
    )
    return attrs.asdict(summary)


async def _startup(ctx: dict[Any, Any]) -> None:
    """Fail at start, not at the first job, when the worker lacks its credentials."""
    _credentials(ctx)
    ctx[CTX_STOP] = anyio.Event()


_FUNCTIONS: Final[list[Function]] = [
    func(drain_run_job, name=DRAIN_JOB, timeout=JOB_TIMEOUT, max_tries=5)
]


def worker_settings(
    redis_url: str,
    *,
    queue_name: str = DEFAULT_QUEUE,
    max_jobs: int = 1,
    burst: bool = False,
    credentials: WorkerCredentials | None = None,
) -> dict[str, Any]:
    """arq ``Worker`` keyword arguments for the scale-out job.

    ``max_jobs=1``: one job per process; with one shared pace a second job in the same
    process would only wait for the same slots.  ``burst``: exit once the queue is empty
    (:func:`serve` also exits after ``max_jobs`` jobs).  ``credentials``: the jobs' (in the
    job context); without them the jobs read ``IDCODE_ACCESS_TOKEN``/``IDCODE_AUTH_CODE``.
    """
    ctx: dict[str, Any] = {CTX_REDIS_URL: redis_url}
    if credentials is not None:
        ctx[CTX_CREDENTIALS] = credentials
    return {
        "functions": _FUNCTIONS,
        "redis_settings": RedisSettings.from_dsn(redis_url),
        "queue_name": queue_name,
        "max_jobs": max_jobs,
        "burst": burst,
        "job_timeout": JOB_TIMEOUT,
        "keep_result": timedelta(days=1),
        "on_startup": _startup,
        "ctx": ctx,
    }


@attrs.frozen
class ServeResult:
    jobs_complete: int
    jobs_failed: int
    signals: int


def serve(redis_url: str, **options: Any) -> ServeResult:
    """Run an arq worker for the scale-out job until it is stopped (SIGINT/SIGTERM, two
    stages), or, with ``burst``, until its jobs are done; ``options`` are
    :func:`worker_settings`'."""
    settings = worker_settings(redis_url, **options)
    limit, started, signals = settings["max_jobs"], 0, 0

    async def own_jobs(ctx: dict[Any, Any]) -> None:
        """With ``burst``: exit after this worker's own ``max_jobs`` jobs, not only when the
        queue is empty (arq's rule): a crashed worker's job stays in the queue until arq's
        in-progress timeout (the job timeout, a day), while its items are taken over by the
        jobs still running.  arq's ``max_burst_jobs`` is set once the jobs have started: set
        before, it also makes arq read only that many job ids from the queue, the first ones,
        which other workers hold."""
        nonlocal started
        started += 1
        if started >= limit:
            worker.max_burst_jobs = limit

    def stop(signum: signal.Signals) -> None:
        """First signal: stop claiming, let the requests in flight finish and be recorded,
        release the leases, exit.  Second: cancel what is in flight (it stays journaled as
        sent, to be reconciled before any resend)."""
        nonlocal signals
        signals += 1
        if signals > 1:
            worker.handle_sig(signum)
            return
        if CTX_STOP in worker.ctx:
            worker.ctx[CTX_STOP].set()
        worker.handle_sig_wait_for_completion(signum)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        worker.loop.call_soon_threadsafe(stop, signal.Signals(signum))

    worker = Worker(
        **settings,
        handle_signals=False,
        job_completion_wait=int(JOB_TIMEOUT.total_seconds()),
        on_job_start=own_jobs if settings["burst"] else None,
    )
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return ServeResult(worker.jobs_complete, worker.jobs_failed, signals)


WorkerSettings: Final = worker_settings(os.environ.get(ENV_REDIS_URL, "redis://127.0.0.1:6379/0"))
"""For ``arq idcode_async.scale.arq_jobs.WorkerSettings`` (arq takes a mapping as well as a
class): Redis from ``IDCODE_REDIS_URL``.  Add :func:`drain_run_job` to an existing arq
deployment's ``functions`` instead, if you have one (and enqueue into its queue with
``queue_name=``).  arq's own signal handling applies there (one stage: jobs are cancelled);
``idcode worker`` stops in two."""


ReportT = TypeVar("ReportT", LoadReport, UploadLoadReport)


@attrs.frozen
class Enqueued(Generic[ReportT]):
    """A run loaded and its jobs enqueued."""

    load: ReportT
    job_ids: tuple[str, ...]


async def enqueue_registration(
    redis_url: str,
    rows: Iterable[UnitRegistration | SourceRow],
    run_id: str,
    *,
    access_token: str,
    jobs: int = 1,
    queue_name: str = DEFAULT_QUEUE,
    **settings: Any,
) -> Enqueued[LoadReport]:
    """:func:`~.runs.load_run` (``settings`` are its own and the run's
    :class:`~.runs.RunConfig`), then ``jobs`` jobs (one per worker process that may drain the
    run at once); enqueueing again resumes.  ``access_token`` is only hashed."""
    load = partial(load_run, redis_url, rows, run_id, access_token=access_token, **settings)
    return await _enqueue(
        partial(anyio.to_thread.run_sync, load), redis_url, run_id, jobs, queue_name
    )


async def enqueue_upload(
    redis_url: str,
    company_idcode: str,
    category_reg_id: str,
    codes: AsyncCodeSource,
    run_id: str,
    *,
    jobs: int = 1,
    queue_name: str = DEFAULT_QUEUE,
    **settings: Any,
) -> Enqueued[UploadLoadReport]:
    """:func:`~.uploads.prepare_upload` (``settings`` are its own: ``access_token`` and
    ``auth_code``, used here only for the 502 baseline and 403, ``base_url``, ``options``,
    ``lease``, ``grace`` …), then ``jobs`` jobs."""
    prepare = partial(prepare_upload, redis_url, company_idcode, category_reg_id, codes, run_id)
    return await _enqueue(partial(prepare, **settings), redis_url, run_id, jobs, queue_name)


async def _enqueue(
    load: Callable[[], Awaitable[ReportT]], redis_url: str, run_id: str, jobs: int, queue: str
) -> Enqueued[ReportT]:
    if jobs < 0:
        raise ValueError(f"jobs must be 0 or more, got {jobs}")
    report = await load()
    return Enqueued(report, await enqueue_jobs(redis_url, run_id, jobs, queue_name=queue))


async def enqueue_jobs(
    redis_url: str, run_id: str, jobs: int, *, queue_name: str = DEFAULT_QUEUE
) -> tuple[str, ...]:
    """Enqueue ``jobs`` drain jobs of a loaded run (more workers may join a run at any time)."""
    if not jobs:
        return ()
    pool = await create_pool(RedisSettings.from_dsn(redis_url), default_queue_name=queue_name)
    try:
        enqueue = partial(pool.enqueue_job, DRAIN_JOB, run_id, _queue_name=queue_name)
        enqueued = [await enqueue() for _ in range(jobs)]
    finally:
        await pool.aclose()
    return tuple(job.job_id for job in enqueued if job is not None)
