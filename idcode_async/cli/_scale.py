"""The ``--redis`` runs of ``register-units`` and ``upload-codes``: load, start, follow.

The command loads the run into Redis, enqueues one drain job per local worker (at least one,
for remote workers), starts ``--workers`` local worker processes (``idcode worker --burst``:
the credentials and the Redis URL travel on their stdin, never in their environment or arguments,
which other processes may read), shows the progress read
back from Redis like a local run, and reports when the run is settled, with the local run's
exit codes.  Workers on other machines (``idcode worker``) may join at any time.

redis and arq are the optional ``redis`` extra: :mod:`idcode_async.scale` loads them on first
use of a name, so that ``idcode --help`` works on the core install.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, Final, TypeVar

import anyio
import anyio.abc
import anyio.to_thread
import attrs

from .. import scale
from .._client import IdcodeClient
from .._env import ENV_AUTH_CODE, ENV_REDIS_URL, ENV_TOKEN
from ..domain.regions import RegionDirectory
from ..registration import Progress, SourceRow
from ..registration.outcomes import ROW_COUNTS
from ..scale.keys import check_run_id
from ..uploads import UploadProgress
from ._display import Display, registration_display, upload_display
from ._exit import EXIT_ABORTED, EXIT_INTERRUPTED, EXIT_OK, EXIT_ROWS, CommandError
from ._results import ResultsOut
from ._runtime import Output, interruptible
from ._settings import RegisterSettings, UploadSettings

if TYPE_CHECKING:
    from ._options import Credentials

__all__ = ["StopForwarder", "register_distributed", "upload_distributed", "worker_command"]

POLL: Final = 0.5

P = TypeVar("P")


_SECRET_VARIABLES: Final = (ENV_TOKEN, ENV_AUTH_CODE, ENV_REDIS_URL)


def worker_command() -> list[str]:
    """The command line of a local worker: it takes one drain job, then exits."""
    command = [sys.executable, "-m", "idcode_async", "worker", "--burst", "--secrets-on-stdin"]
    return [*command, "--log-level", "warning"]


async def _start_workers(
    count: int, run_id: str, url: str, credentials: Credentials
) -> list[anyio.abc.Process]:
    """Enqueue a job per local worker (one for remote workers if none), start the workers.

    Their environment is this process's without the secret variables, so that neither
    ``/proc/PID/environ`` nor a grandchild shows them; the secrets go once through a pipe."""
    await scale.enqueue_jobs(url, run_id, max(count, 1))
    env = {name: value for name, value in os.environ.items() if name not in _SECRET_VARIABLES}
    secrets = json.dumps({"redis_url": url, **attrs.asdict(credentials)}).encode() + b"\n"
    workers = []
    for _ in range(count):
        worker = await anyio.open_process(
            worker_command(), env=env, stdin=subprocess.PIPE, stdout=None, stderr=None
        )
        assert worker.stdin is not None
        with contextlib.suppress(anyio.BrokenResourceError):  # it died: reported when it ends
            async with worker.stdin:
                await worker.stdin.send(secrets)
        workers.append(worker)
    return workers


async def _follow(
    count: int,
    run_id: str,
    url: str,
    credentials: Credentials,
    stopper: StopForwarder,
    display: Display[P],
    show: Callable[[scale.RunCounts, bool], P],
) -> list[anyio.abc.Process]:
    """Start the local workers and show the run's progress until they have ended (with
    ``--workers 0``: until the run is finished or interrupted, following remote workers)."""
    async with anyio.create_task_group() as group:
        workers = await _start_workers(count, run_id, url, credentials)
        group.start_soon(stopper.forward, workers)
        with display:
            while True:
                state = await scale.progress(url, run_id)
                done = all(w.returncode is not None for w in workers) and bool(
                    workers or state.finished or stopper.signals
                )
                display.update(show(state, done))
                if done:
                    break
                await anyio.sleep(POLL)
        group.cancel_scope.cancel()
    for worker in workers:
        await worker.aclose()
    return workers


class StopForwarder:
    """Ctrl-C / SIGTERM passed on to the local workers.

    First signal: each worker finishes its request in flight, records it and exits.  Second:
    they abandon it (recorded ``unknown``: settled by reconciliation before any resend).
    """

    def __init__(self) -> None:
        self.signals = 0

    async def forward(self, workers: list[anyio.abc.Process]) -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                self.signals += 1
                if self.signals == 1:
                    print(
                        "\nstopping: workers finish their request in flight (Ctrl-C again to "
                        "abandon it)…",
                        file=sys.stderr,
                    )
                for worker in workers:
                    if worker.returncode is None:
                        worker.send_signal(signal.SIGTERM)


def _rate(samples: collections.deque[tuple[float, int]]) -> float | None:
    if len(samples) < 2:
        return None
    (t0, d0), (t1, d1) = samples[0], samples[-1]
    return (d1 - d0) / (t1 - t0) if t1 > t0 and d1 > d0 else None


def _progress(state: scale.RunCounts, elapsed: float, rate: float | None) -> Progress:
    """A shared run's counts as the batch's :class:`Progress`, for the local displays."""
    return Progress(
        total=state.total,
        **{name: getattr(state, name) for name in ROW_COUNTS},
        elapsed=elapsed,
        rate=rate,
        eta=state.unsettled / rate if rate else None,
    )


def _run_id(name: str) -> str:
    try:
        return check_run_id(name)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


# -- register-units --redis ---------------------------------------------------------------------


def register_distributed(settings: RegisterSettings, rows: list[SourceRow], output: Output) -> int:
    """Load the rows into the shared run, start the local workers, follow the run."""
    assert settings.redis is not None
    assert settings.journal is not None
    assert settings.credentials is not None
    run_id = _run_id(settings.journal)
    config: dict[str, Any] = {
        "min_interval": settings.min_interval,
        "max_interval": settings.max_interval,
        "concurrency": settings.concurrency,
        "max_retries": settings.max_retries,
        "timeout": settings.client.timeout,
    }
    if settings.redis.lease is not None:
        config["lease"] = settings.redis.lease
    try:
        scale.RunConfig(target=settings.client.base_url, token_id="-", **config)
    except (TypeError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    return anyio.run(_register, settings, rows, run_id, config, output)


async def _register(
    settings: RegisterSettings,
    rows: list[SourceRow],
    run_id: str,
    config: dict[str, Any],
    output: Output,
) -> int:
    assert settings.redis is not None
    assert settings.credentials is not None
    url, credentials = settings.redis.url, settings.credentials
    regions = None
    if settings.check_regions:
        async with IdcodeClient(
            access_token=credentials.access_token,
            auth_code=credentials.auth_code,
            base_url=settings.client.base_url,
            timeout=settings.client.timeout,
        ) as client:
            regions = await interruptible(partial(RegionDirectory.load, client))

    def load() -> Any:
        return scale.load_run(
            url,
            rows,
            run_id,
            access_token=credentials.access_token,
            base_url=settings.client.base_url,
            regions=regions,
            check_regions=settings.check_regions,
            retry_failed=settings.retry_failed,
            **config,
        )

    loaded = await anyio.to_thread.run_sync(load)
    output.notice(
        f"run {run_id}: {loaded.valid} valid rows ({loaded.new} new), {len(loaded.invalid)} "
        f"invalid; {settings.redis.workers} local worker(s)"
    )
    started = anyio.current_time()
    samples: collections.deque[tuple[float, int]] = collections.deque(maxlen=60)

    def show(state: scale.RunCounts, done: bool) -> Progress:
        now = anyio.current_time()
        samples.append((now, state.done))
        return _progress(state, now - started, _rate(samples))

    stopper, display = StopForwarder(), registration_display(settings.progress)
    count = settings.redis.workers
    workers = await _follow(count, run_id, url, credentials, stopper, display, show)
    for number, worker in enumerate(workers, start=1):
        if worker.returncode not in (0, EXIT_ABORTED, EXIT_INTERRUPTED):
            output.notice(f"worker {number} ended with {worker.returncode}")
    state = await scale.progress(url, run_id)
    outcomes = await anyio.to_thread.run_sync(scale.run_results, url, run_id)
    if settings.out:
        writer = ResultsOut(settings.out)
        try:
            for outcome in outcomes:
                writer.write(outcome)
        finally:
            writer.close()
    output.result(f"{state.describe()} in {anyio.current_time() - started:.1f} s")
    resume = f"{settings.resume} (or join workers: idcode worker)"
    if state.halted:
        code = EXIT_ABORTED
    elif state.unsettled:
        code = EXIT_INTERRUPTED if stopper.signals else EXIT_ROWS
    else:
        code = EXIT_OK if state.complete and not state.invalid else EXIT_ROWS
    output.summary(
        {
            "command": "register-units",
            "run": run_id,
            **attrs.asdict(state),
            "total": state.total,
            "exit_code": code,
            "resume": None if code == EXIT_OK else resume,
        }
    )
    if state.halted:
        raise CommandError(
            f"the run stopped itself: {state.halted}",
            code=EXIT_ABORTED,
            hint=f"resume with: {resume}",
        )
    if state.unsettled:
        output.notice(f"{state.unsettled} rows not yet settled; resume with: {resume}")
    return code


# -- upload-codes --redis -----------------------------------------------------------------------


def upload_distributed(settings: UploadSettings, output: Output) -> int:
    """Plan once, load the upload run (baseline taken), start workers, follow, report."""
    assert settings.redis is not None
    _run_id(settings.redis.run)
    return anyio.run(_upload, settings, output)


async def _upload(settings: UploadSettings, output: Output) -> int:
    redis, credentials = settings.redis, settings.credentials
    assert redis is not None
    assert credentials is not None
    assert settings.company_idcode is not None
    assert settings.category_reg_id is not None
    config: dict[str, Any] = {
        "timeout": settings.client.timeout,
        "upload_timeout": settings.upload_timeout,
        "grace": settings.reconcile_grace,
        "assume_not_uploaded": settings.assume_not_uploaded,
    }
    if redis.lease is not None:
        config["lease"] = redis.lease
    report = await scale.prepare_upload(
        redis.url,
        settings.company_idcode,
        settings.category_reg_id,
        settings.codes,
        redis.run,
        access_token=credentials.access_token,
        auth_code=credentials.auth_code,
        base_url=settings.client.base_url,
        options=settings.options,
        category=settings.category,
        retry_failed=settings.retry_failed,
        version=settings.interface_version,
        generate_type=settings.generate_type,
        **config,
    )
    output.notice(
        f"upload run {redis.run}: {report.codes} codes in {report.requests} requests "
        f"({report.accepted} accepted earlier, {report.blob_bytes} payload bytes in Redis); "
        f"{redis.workers} local worker(s)"
    )
    started = anyio.current_time()

    def show(state: scale.RunCounts, done: bool) -> UploadProgress:
        return UploadProgress(
            phase="done" if done else "uploading",
            requests=state.items,
            requests_done=state.accepted,
            codes=state.codes,
            codes_done=state.accepted_codes,
            elapsed=anyio.current_time() - started,
        )

    stopper, display = StopForwarder(), upload_display(settings.progress)
    await _follow(redis.workers, redis.run, redis.url, credentials, stopper, display, show)
    state = await scale.progress(redis.url, redis.run)
    output.result(state.describe())
    if state.halted:
        code = EXIT_ABORTED
    elif state.stuck or state.unsettled:
        code = EXIT_INTERRUPTED if stopper.signals else EXIT_ABORTED
    else:
        code = EXIT_OK if state.complete and not report.rejected else EXIT_ROWS
    verified = None
    if settings.verify and code in (EXIT_OK, EXIT_ROWS):
        async with IdcodeClient(
            access_token=credentials.access_token,
            auth_code=credentials.auth_code,
            base_url=settings.client.base_url,
        ) as client:
            verified = await scale.verify_upload_run(
                client, redis.url, redis.run, category=settings.category
            )
        output.result(verified.describe())
        if not verified.ok:
            code = EXIT_ROWS
    output.summary(
        {
            "command": "upload-codes",
            "mode": "upload",
            "run": redis.run,
            **attrs.asdict(state),
            "rejected": report.rejected,
            "duplicates": report.duplicates,
            "verified": None if verified is None else bool(verified.ok),
            "exit_code": code,
            "resume": None if code == EXIT_OK else settings.resume,
        }
    )
    if state.halted:
        raise CommandError(
            f"the run stopped itself: {state.halted}",
            code=EXIT_ABORTED,
            hint=f"resume with: {settings.resume}",
        )
    if state.stuck or state.unsettled:
        output.notice(
            f"{state.stuck} request(s) set aside (could not be settled), {state.unsettled} "
            f"unsettled; resume with: {settings.resume}"
        )
    return code
