"""The scale-out on arq: worker functions, worker settings and the enqueue helper.

arq (asyncio, Redis) is the engine: an operator loads a run and enqueues N jobs; N worker
processes, on any machines that reach the Redis, pick one job each; every job drains the run
(:func:`~.drain.drain_run`) with the shared pace and journal, and ends when nothing is left.
A job is therefore not "rows 1-50" but "a worker's share of the run", so that a crashed
worker's rows are taken over by the jobs still running (after their lease), not by arq's
retry.  arq still retries a job that was cancelled (SIGTERM) or timed out; a job started on a
finished run returns at once.

Deployment::

    # every worker machine: the token and auth code in its environment, never in Redis
    export IDCODE_ACCESS_TOKEN=… IDCODE_AUTH_CODE=… IDCODE_REDIS_URL=redis://redis.lan:6379/0
    idcode worker            # or: arq idcode_async.scale.arq_jobs.WorkerSettings

    # the operator, once per batch
    await enqueue_registration(url, read_units("units.csv"), "units-2024-05", access_token=…,
                               regions=…, jobs=4)
    print((await progress(url, "units-2024-05")).describe())

Code uploads (5011–5014) work the same way: :func:`enqueue_upload` plans the codes once, loads
the plan (5011 chunks included) into an upload run and enqueues N :func:`upload_chunks_job`
jobs; each drains the run (:func:`~.uploads.drain_upload`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import timedelta
from typing import Any, Final

import anyio.to_thread
import attrs

from .._client import TEST_BASE_URL
from .._env import ENV_AUTH_CODE, ENV_REDIS_URL, ENV_TOKEN
from ..domain.regions import RegionDirectory
from ..registration.inputs import SourceRow
from ..registration.records import UnitRegistration
from ..uploads.codes_input import AsyncCodeSource
from ._lazy import require
from .drain import ScaleError, default_worker_id, drain_run
from .runs import LoadReport, load_run, progress
from .uploads import UploadLoadReport, drain_upload, prepare_upload

require("arq")

from arq.connections import RedisSettings, create_pool  # noqa: E402
from arq.worker import Function, func, run_worker  # noqa: E402

__all__ = [
    "CTX_REDIS_URL",
    "DEFAULT_QUEUE",
    "ENV_REDIS_URL",
    "JOB_TIMEOUT",
    "REGISTER_UNITS_JOB",
    "UPLOAD_CHUNKS_JOB",
    "EnqueuedRun",
    "EnqueuedUpload",
    "WorkerSettings",
    "enqueue_registration",
    "enqueue_upload",
    "progress",
    "register_units_job",
    "serve",
    "upload_chunks_job",
    "worker_settings",
]

DEFAULT_QUEUE: Final = "arq:idcode"
"""The arq queue of the scale-out jobs (not arq's default, so that it mixes with no other)."""

REGISTER_UNITS_JOB: Final = "register_units_job"
UPLOAD_CHUNKS_JOB: Final = "upload_chunks_job"

JOB_TIMEOUT: Final = timedelta(hours=24)
"""How long one job may drain a run (arq cancels it then; a job resumes the run)."""

CTX_REDIS_URL: Final = "idcode_redis_url"


def credentials_from_env() -> tuple[str, str]:
    """The worker's access token and auth code, from its environment (never from Redis)."""
    token, auth_code = os.environ.get(ENV_TOKEN), os.environ.get(ENV_AUTH_CODE)
    if not token or not auth_code:
        raise ScaleError(f"a worker needs {ENV_TOKEN} and {ENV_AUTH_CODE} in its environment")
    return token, auth_code


async def register_units_job(ctx: dict[Any, Any], run_id: str) -> dict[str, Any]:
    """arq job: drain the registration run ``run_id`` with this worker's credentials."""
    url = ctx.get(CTX_REDIS_URL) or os.environ.get(ENV_REDIS_URL)
    if not url:
        raise ScaleError(f"the worker does not know its Redis URL (set {ENV_REDIS_URL})")
    token, auth_code = credentials_from_env()
    job = ctx.get("job_id", "job")
    summary = await drain_run(
        str(url), run_id, access_token=token, auth_code=auth_code, worker=_worker_id(job)
    )
    return summary.as_dict()


async def upload_chunks_job(ctx: dict[Any, Any], run_id: str) -> dict[str, Any]:
    """arq job: drain the upload run ``run_id`` (5011–5014 requests) with this worker's
    credentials; a job started on a finished run returns at once."""
    url = ctx.get(CTX_REDIS_URL) or os.environ.get(ENV_REDIS_URL)
    if not url:
        raise ScaleError(f"the worker does not know its Redis URL (set {ENV_REDIS_URL})")
    token, auth_code = credentials_from_env()
    job = ctx.get("job_id", "job")
    summary = await drain_upload(
        str(url), run_id, access_token=token, auth_code=auth_code, worker=_worker_id(job)
    )
    return summary.as_dict()


def _worker_id(job: object) -> str:
    return f"{default_worker_id()}/{str(job)[-8:]}"


async def _startup(ctx: dict[Any, Any]) -> None:
    """Fail at start, not at the first job, when the worker lacks its credentials."""
    credentials_from_env()
    ctx.setdefault(CTX_REDIS_URL, os.environ.get(ENV_REDIS_URL))


def _functions(job_timeout: timedelta) -> list[Function]:
    return [
        func(register_units_job, name=REGISTER_UNITS_JOB, timeout=job_timeout, max_tries=5),
        func(upload_chunks_job, name=UPLOAD_CHUNKS_JOB, timeout=job_timeout, max_tries=5),
    ]


def worker_settings(
    redis_url: str,
    *,
    queue_name: str = DEFAULT_QUEUE,
    max_jobs: int = 1,
    burst: bool = False,
    job_timeout: timedelta = JOB_TIMEOUT,
) -> dict[str, Any]:
    """arq ``Worker`` keyword arguments for the scale-out jobs (``arq.worker.run_worker``).

    ``max_jobs=1``: one job per process; with one shared pace a second job in the same
    process would only wait for the same slots.  ``burst``: exit once the queue is empty
    (every job of it finished).
    """
    return {
        "functions": _functions(job_timeout),
        "redis_settings": RedisSettings.from_dsn(redis_url),
        "queue_name": queue_name,
        "max_jobs": max_jobs,
        "burst": burst,
        "job_timeout": job_timeout,
        "keep_result": timedelta(days=1),
        "on_startup": _startup,
        "ctx": {CTX_REDIS_URL: redis_url},
    }


def serve(redis_url: str, **options: Any) -> None:
    """Run an arq worker for the scale-out jobs until it is stopped (SIGINT/SIGTERM), or, in
    burst mode, until the queue is empty; ``options`` are :func:`worker_settings`'."""
    run_worker(worker_settings(redis_url, **options))


class WorkerSettings:
    """For ``arq idcode_async.scale.arq_jobs.WorkerSettings``: Redis from ``IDCODE_REDIS_URL``.

    Add :func:`register_units_job` to an existing arq deployment's ``functions`` instead, if
    you have one (and enqueue into its queue with ``queue_name=``).
    """

    functions: Final = _functions(JOB_TIMEOUT)
    redis_settings: Final = RedisSettings.from_dsn(
        os.environ.get(ENV_REDIS_URL, "redis://127.0.0.1:6379/0")
    )
    queue_name: Final = DEFAULT_QUEUE
    max_jobs: Final = 1
    job_timeout: Final = JOB_TIMEOUT
    keep_result: Final = timedelta(days=1)
    on_startup: Final = _startup


@attrs.frozen
class EnqueuedRun:
    """A run loaded and its jobs enqueued."""

    load: LoadReport
    job_ids: tuple[str, ...]


async def enqueue_registration(
    redis_url: str,
    rows: Iterable[UnitRegistration | SourceRow],
    run_id: str,
    *,
    access_token: str,
    jobs: int = 1,
    base_url: str = TEST_BASE_URL,
    regions: RegionDirectory | None = None,
    check_regions: bool = True,
    retry_failed: bool = False,
    queue_name: str = DEFAULT_QUEUE,
    **settings: Any,
) -> EnqueuedRun:
    """Check ``rows``, load the valid ones into the run ``run_id``, and enqueue ``jobs`` jobs.

    ``jobs`` is how many workers may drain the run at once (one job per worker process).
    ``access_token`` is only hashed (to name the run's pace and check the workers' token).
    ``regions`` (``await RegionDirectory.load(client)``) checks regions against 101, as the
    single-machine batch does; ``check_regions=False`` skips it.  ``settings``: the run's
    :class:`~.runs.RunConfig` (``min_interval``, ``max_interval``, ``concurrency``, ``lease``,
    ``batch_size``, ``timeout`` …).  Enqueueing the same run again resumes it.
    """
    if jobs < 0:
        raise ValueError(f"jobs must be 0 or more, got {jobs}")
    report = await anyio.to_thread.run_sync(
        lambda: load_run(
            redis_url,
            rows,
            run_id,
            access_token=access_token,
            base_url=base_url,
            regions=regions,
            check_regions=check_regions,
            retry_failed=retry_failed,
            **settings,
        )
    )
    job_ids = await _enqueue(redis_url, REGISTER_UNITS_JOB, run_id, jobs, queue_name)
    return EnqueuedRun(load=report, job_ids=job_ids)


@attrs.frozen
class EnqueuedUpload:
    """An upload run loaded (its baseline taken) and its jobs enqueued."""

    load: UploadLoadReport
    job_ids: tuple[str, ...]


async def enqueue_upload(
    redis_url: str,
    company_idcode: str,
    category_reg_id: str,
    codes: AsyncCodeSource,
    run_id: str,
    *,
    access_token: str,
    auth_code: str,
    jobs: int = 1,
    base_url: str = TEST_BASE_URL,
    queue_name: str = DEFAULT_QUEUE,
    **settings: Any,
) -> EnqueuedUpload:
    """Plan ``codes`` once, load the plan as the upload run ``run_id`` and enqueue ``jobs``
    :func:`upload_chunks_job` jobs (one per worker that may drain the run at once).

    The credentials are used here only for the 502 baseline (403 for the category); Redis gets
    a hash of the token.  ``settings``: :func:`~.uploads.prepare_upload`'s (``options``,
    ``category``, ``max_chunk_bytes``, ``retry_failed``, ``lease``, ``grace`` …).
    Enqueueing the same run again resumes it.
    """
    if jobs < 0:
        raise ValueError(f"jobs must be 0 or more, got {jobs}")
    report = await prepare_upload(
        redis_url,
        company_idcode,
        category_reg_id,
        codes,
        run_id,
        access_token=access_token,
        auth_code=auth_code,
        base_url=base_url,
        **settings,
    )
    return EnqueuedUpload(
        load=report, job_ids=await _enqueue(redis_url, UPLOAD_CHUNKS_JOB, run_id, jobs, queue_name)
    )


async def _enqueue(
    redis_url: str, name: str, run_id: str, jobs: int, queue_name: str
) -> tuple[str, ...]:
    job_ids: list[str] = []
    if jobs:
        pool = await create_pool(RedisSettings.from_dsn(redis_url), default_queue_name=queue_name)
        try:
            for _ in range(jobs):
                job = await pool.enqueue_job(name, run_id, _queue_name=queue_name)
                if job is not None:
                    job_ids.append(job.job_id)
        finally:
            await pool.aclose()
    return tuple(job_ids)
