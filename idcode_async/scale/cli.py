"""The scale-out from the command line.

``idcode register-units units.csv --journal RUN --redis URL --workers N``: the batch command with
its rows in a shared run: it checks and loads the rows into Redis (``--journal`` names the run),
starts N local worker processes, shows the progress read from the journal, and exits when the
run is settled, with the batch command's exit codes and results file.  Workers on other
machines may join the same run at any time: ``idcode worker --run RUN``.

``idcode worker``: a worker for remote machines.  With ``--run RUN`` it drains that run and
exits; without, it is an arq worker serving the jobs :func:`~.arq_jobs.enqueue_registration`
enqueues.  Its credentials come from ``IDCODE_ACCESS_TOKEN``/``IDCODE_AUTH_CODE``, the Redis URL
from ``--redis`` or ``IDCODE_REDIS_URL`` (a URL with a password shows in ``ps`` as an option).

This module imports redis and arq only inside the commands, so that ``idcode --help`` works on
the core install.
"""

from __future__ import annotations

import argparse
import collections
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import anyio
import anyio.abc
import anyio.to_thread

from .._cli_support import (
    ENV_AUTH_CODE,
    ENV_TOKEN,
    EXIT_ABORTED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_ROWS,
    EXIT_USAGE,
    run_single_command,
    single_command_parser,
)
from .._client import IdcodeClient
from .._env import ENV_REDIS_URL
from .._errors import IdcodeError
from ..durable.store import StoreError
from ..regions import RegionDirectory
from ..registration.display import progress_display
from ..registration.inputs import SourceRow
from ..registration.outcomes import BatchSummary
from ..registration.results import open_results
from ..registration.validation import check_rows
from ._lazy import MissingExtraError

if TYPE_CHECKING:
    from ..registration.outcomes import RowOutcome
    from .runs import LoadReport, RunProgress

__all__ = [
    "add_worker_command",
    "main",
    "run_distributed",
    "run_distributed_upload",
    "run_worker_command",
]

POLL: Final = 0.5

logger = logging.getLogger("idcode_async.scale")


def redis_url_from(value: str | None) -> str | None:
    """``--redis URL``, or ``--redis`` alone: the URL in ``$IDCODE_REDIS_URL``."""
    if value:
        return value
    return os.environ.get(ENV_REDIS_URL) or None


# -- idcode register-units --redis ------------------------------------------------------------


def run_distributed(
    args: argparse.Namespace,
    rows: list[SourceRow],
    *,
    token: str,
    auth_code: str,
    base_url: str,
) -> int:
    """``register-units`` with ``--redis``: load the run, start workers, follow the journal."""
    url = redis_url_from(args.redis)
    if url is None:
        print(f"error: --redis needs a URL (or set {ENV_REDIS_URL})", file=sys.stderr)
        return EXIT_USAGE
    try:
        from ._keys import check_run_id
        from .runs import RunConfig, normalise_base_url

        run_id = check_run_id(args.journal)
        settings = _settings(args)
        RunConfig(target=normalise_base_url(base_url), token_id="-", **settings)
        if args.workers < 0:
            raise ValueError(f"--workers must be 0 or more, got {args.workers}")
    except MissingExtraError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    job = _Distributed(
        args=args,
        rows=rows,
        url=url,
        run_id=run_id,
        token=token,
        auth_code=auth_code,
        base_url=base_url,
        settings=settings,
    )
    return anyio.run(job.run)


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "min_interval": args.min_interval,
        "max_interval": args.max_interval,
        "concurrency": args.concurrency,
        "max_retries": args.max_retries,
        "timeout": args.timeout,
    }
    if getattr(args, "lease", None) is not None:
        settings["lease"] = args.lease
    return settings


class _Distributed:
    def __init__(
        self,
        *,
        args: argparse.Namespace,
        rows: list[SourceRow],
        url: str,
        run_id: str,
        token: str,
        auth_code: str,
        base_url: str,
        settings: dict[str, Any],
    ) -> None:
        self.args = args
        self.rows = rows
        self.url = url
        self.run_id = run_id
        self.token = token
        self.auth_code = auth_code
        self.base_url = base_url
        self.settings = settings
        self.stopper = StopForwarder()

    async def run(self) -> int:
        from ._redis import RedisError

        args = self.args
        try:
            regions = await self._regions()
            if args.dry_run:
                return self._dry_run(regions)
            report = await anyio.to_thread.run_sync(self._load, regions)
        except (StoreError, IdcodeError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_ABORTED
        except RedisError as exc:
            print(f"error: Redis at the given URL: {type(exc).__name__}: {exc}", file=sys.stderr)
            return EXIT_ABORTED
        print(
            f"run {self.run_id}: {report.valid} valid rows ({report.new} new), "
            f"{len(report.invalid)} invalid; {args.workers} local worker(s)",
            file=sys.stderr,
        )
        display = progress_display(args.progress, report.total)
        started = anyio.current_time()
        samples: collections.deque[tuple[float, int]] = collections.deque(maxlen=60)
        async with anyio.create_task_group() as group:
            workers = [await self._start_worker() for _ in range(args.workers)]
            group.start_soon(self.stopper.forward, workers)
            with display:
                while True:
                    state = await anyio.to_thread.run_sync(self._progress)
                    now = anyio.current_time()
                    samples.append((now, state.counts.done))
                    display.update(state.as_progress(elapsed=now - started, rate=_rate(samples)))
                    if all(w.returncode is not None for w in workers) and (
                        workers or state.finished or self.stopper.signals
                    ):
                        break  # with --workers 0: follow remote workers until the run is done
                    await anyio.sleep(POLL)
            group.cancel_scope.cancel()
        for number, worker in enumerate(workers, start=1):
            await worker.aclose()
            if worker.returncode not in (0, EXIT_ABORTED, EXIT_INTERRUPTED):
                print(f"worker {number} ended with {worker.returncode}", file=sys.stderr)
        return await self._finish(started)

    async def _regions(self) -> RegionDirectory | None:
        if self.args.no_region_check:
            return None
        async with IdcodeClient(
            access_token=self.token,
            auth_code=self.auth_code,
            base_url=self.base_url,
            timeout=self.args.timeout,
        ) as client:
            return await RegionDirectory.load(client)

    def _dry_run(self, regions: RegionDirectory | None) -> int:
        preflight = check_rows(self.rows, regions)
        summary = BatchSummary(
            total=preflight.total,
            invalid=len(preflight.invalid),
            pending=len(preflight.valid),
            dry_run=True,
        )
        for invalid in preflight.invalid:
            print(f"row {invalid.row}: {invalid.reason}", file=sys.stderr)
        print("dry run: " + summary.describe())
        return EXIT_ROWS if summary.invalid else EXIT_OK

    def _load(self, regions: RegionDirectory | None) -> LoadReport:
        from .runs import load_run

        return load_run(
            self.url,
            self.rows,
            self.run_id,
            access_token=self.token,
            base_url=self.base_url,
            regions=regions,
            check_regions=not self.args.no_region_check,
            retry_failed=self.args.retry_failed,
            **self.settings,
        )

    def _progress(self) -> RunProgress:
        from ._redis import connect_sync
        from .redis_journal import RedisJournal
        from .runs import run_progress

        client = connect_sync(self.url)
        try:
            return run_progress(RedisJournal(client, self.run_id, worker="progress"))
        finally:
            client.close()

    async def _start_worker(self) -> anyio.abc.Process:
        """A worker process; the credentials travel in its environment, not its arguments."""
        env = {
            **os.environ,
            ENV_REDIS_URL: self.url,
            ENV_TOKEN: self.token,
            ENV_AUTH_CODE: self.auth_code,
        }
        command = [
            sys.executable,
            "-m",
            "idcode_async.scale",
            "worker",
            "--run",
            self.run_id,
            "--log-level",
            "warning",
        ]
        return await anyio.open_process(
            command, env=env, stdin=subprocess.DEVNULL, stdout=None, stderr=None
        )

    async def _finish(self, started: float) -> int:
        from ._redis import connect_sync
        from .redis_journal import RedisJournal
        from .runs import run_progress, run_results

        def read() -> tuple[RunProgress, list[RowOutcome]]:
            client = connect_sync(self.url)
            try:
                journal = RedisJournal(client, self.run_id, worker="report")
                return run_progress(journal), run_results(journal)
            finally:
                client.close()

        state, outcomes = await anyio.to_thread.run_sync(read)
        if self.args.out:
            writer = open_results(self.args.out)
            try:
                for outcome in outcomes:
                    writer.write(outcome)
            finally:
                writer.close()
        print(f"{state.describe()} in {anyio.current_time() - started:.1f} s")
        hint = self._resume_hint()
        if state.halted:
            print(f"error: the run stopped itself: {state.halted}", file=sys.stderr)
            print(hint, file=sys.stderr)
            return EXIT_ABORTED
        if state.counts.unsettled:
            print(f"{state.counts.unsettled} rows not yet settled", file=sys.stderr)
            print(hint, file=sys.stderr)
            return EXIT_INTERRUPTED if self.stopper.signals else EXIT_ROWS
        return EXIT_OK if state.complete and not state.invalid else EXIT_ROWS

    def _resume_hint(self) -> str:
        command = ["idcode", "register-units", self.args.input, "--journal", self.run_id]
        command += ["--redis", "…", "--workers", str(self.args.workers)]
        return (
            "the journal is consistent; resume with the same command ("
            + " ".join(command)
            + "), or join more workers: idcode worker --run "
            + self.run_id
        )


def _rate(samples: collections.deque[tuple[float, int]]) -> float | None:
    if len(samples) < 2:
        return None
    (t0, d0), (t1, d1) = samples[0], samples[-1]
    return (d1 - d0) / (t1 - t0) if t1 > t0 and d1 > d0 else None


# -- idcode upload-codes --redis ----------------------------------------------------------------


class StopForwarder:
    """Ctrl-C / SIGTERM in the command that started local workers, passed on to them.

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


def run_distributed_upload(
    args: argparse.Namespace,
    *,
    options: Any,
    token: str,
    auth_code: str,
    base_url: str,
    category: Any,
) -> int:
    """``upload-codes`` with ``--redis``: plan once, load the upload run (baseline taken),
    start ``--workers`` local workers, follow the run, then report (and ``--verify``)."""
    url = redis_url_from(args.redis)
    if url is None:
        print(f"error: --redis needs a URL (or set {ENV_REDIS_URL})", file=sys.stderr)
        return EXIT_USAGE
    if not args.run or args.workers < 0:
        print("error: --redis needs --run RUN (the run's name) and --workers >= 0", file=sys.stderr)
        return EXIT_USAGE
    settings: dict[str, Any] = {"timeout": args.timeout, "upload_timeout": args.upload_timeout}
    if args.lease is not None:
        settings["lease"] = args.lease
    settings["grace"] = args.reconcile_grace
    settings["assume_not_uploaded"] = args.assume_not_uploaded
    try:
        from ._keys import check_run_id

        check_run_id(args.run)
    except (MissingExtraError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE

    async def run() -> int:
        from ._redis import RedisError
        from .uploads import prepare_upload, upload_progress, verify_upload_run

        try:
            report = await prepare_upload(
                url,
                args.company_idcode,
                args.category_reg_id,
                args.codes,
                args.run,
                access_token=token,
                auth_code=auth_code,
                base_url=base_url,
                options=options,
                category=category,
                retry_failed=args.retry_failed,
                version=args.upload_version,
                generate_type=args.generate_type,
                **settings,
            )
        except (StoreError, IdcodeError, OSError, ValueError, RedisError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_ABORTED
        print(
            f"upload run {args.run}: {report.codes} codes in {report.requests} requests "
            f"({report.accepted} accepted earlier, {report.blob_bytes} payload bytes in Redis); "
            f"{args.workers} local worker(s)",
            file=sys.stderr,
        )
        env = {**os.environ, ENV_REDIS_URL: url, ENV_TOKEN: token, ENV_AUTH_CODE: auth_code}
        command = [sys.executable, "-m", "idcode_async.scale", "worker", "--run", args.run]
        command += ["--log-level", "warning"]
        workers = [
            await anyio.open_process(
                command, env=env, stdin=subprocess.DEVNULL, stdout=None, stderr=None
            )
            for _ in range(args.workers)
        ]
        stopper = StopForwarder()
        async with anyio.create_task_group() as group:
            group.start_soon(stopper.forward, workers)
            while True:
                state = await upload_progress(url, args.run)
                finished = workers or state.finished or stopper.signals
                if all(w.returncode is not None for w in workers) and finished:
                    break
                await anyio.sleep(POLL)
            group.cancel_scope.cancel()
        for worker in workers:
            await worker.aclose()
        state = await upload_progress(url, args.run)
        print(state.describe())
        if state.halted:
            return EXIT_ABORTED
        if stopper.signals and (state.stuck or state.unsettled):
            print("interrupted; run the same command again to resume", file=sys.stderr)
            return EXIT_INTERRUPTED
        if state.stuck or state.unsettled:
            print(
                f"{state.stuck} request(s) set aside (may be on the centre, could not be "
                "settled) or unsettled: see RedisUploadManifest.stuck(); run the same command "
                "again to resume",
                file=sys.stderr,
            )
            return EXIT_ABORTED
        code = EXIT_OK if state.complete and not report.rejected else EXIT_ROWS
        if args.verify:
            async with IdcodeClient(
                access_token=token, auth_code=auth_code, base_url=base_url
            ) as client:
                verified = await verify_upload_run(client, url, args.run, category=category)
            print(verified.describe())
            if not verified.ok:
                code = EXIT_ROWS
        return code

    return anyio.run(run)


# -- idcode worker ------------------------------------------------------------------------------


def add_worker_command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Add ``worker`` to an ``idcode``-style parser; its handler is ``args.handler``."""
    parser = subparsers.add_parser(
        "worker",
        help="a scale-out worker: drain a shared run, or serve arq jobs (the redis extra)",
        description=(
            "Joins shared batch runs in Redis with the same pace as every other worker of the "
            f"access token. Credentials from ${ENV_TOKEN} and ${ENV_AUTH_CODE}."
        ),
    )
    parser.add_argument(
        "--redis", metavar="URL", help=f"Redis URL (default ${ENV_REDIS_URL}; options show in ps)"
    )
    parser.add_argument("--run", metavar="RUN", help="drain this run and exit (no arq)")
    parser.add_argument("--burst", action="store_true", help="arq: exit when the queue is empty")
    parser.add_argument(
        "--max-jobs", type=int, default=1, help="arq: jobs at once in this process (default 1)"
    )
    parser.add_argument("--queue", help="arq queue name (default arq:idcode)")
    parser.add_argument(
        "--log-level",
        default="info",
        choices=("debug", "info", "warning", "error"),
        help="logging level (default info)",
    )
    parser.set_defaults(handler=run_worker_command)
    return parser


def run_worker_command(args: argparse.Namespace) -> int:
    """The handler of ``idcode worker``."""
    logging.basicConfig(
        level=args.log_level.upper(),
        format=f"%(asctime)s worker[{os.getpid()}] %(levelname)s %(name)s: %(message)s",
    )
    url = redis_url_from(args.redis)
    if url is None:
        print(f"error: give --redis URL or set {ENV_REDIS_URL}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.run:
            return _drain_command(url, args.run)
        from .arq_jobs import DEFAULT_QUEUE, credentials_from_env, serve

        credentials_from_env()
        serve(
            url,
            queue_name=args.queue or DEFAULT_QUEUE,
            max_jobs=args.max_jobs,
            burst=args.burst,
        )
        return EXIT_OK
    except MissingExtraError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except IdcodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ABORTED


def _drain_command(url: str, run_id: str) -> int:
    """Drain ``run_id``: a registration run, or an upload run (5011–5014) of that name."""
    from ._redis import connect_sync
    from .arq_jobs import credentials_from_env
    from .drain import DrainSummary, drain_run
    from .uploads import UploadDrainSummary, drain_upload, is_upload_run

    token, auth_code = credentials_from_env()
    probe = connect_sync(url)
    try:
        uploads = is_upload_run(probe, run_id)
    finally:
        probe.close()
    drainer = drain_upload if uploads else drain_run

    async def drain() -> int:
        stop = anyio.Event()
        summary: DrainSummary | UploadDrainSummary | None = None
        async with anyio.create_task_group() as group:
            scope = anyio.CancelScope()
            group.start_soon(_worker_signals, stop, scope)
            with scope:
                try:
                    summary = await drainer(
                        url, run_id, access_token=token, auth_code=auth_code, stop=stop
                    )
                except IdcodeError as exc:
                    print(f"error: {exc}", file=sys.stderr)
            group.cancel_scope.cancel()
        if scope.cancelled_caught:
            return EXIT_INTERRUPTED
        if summary is None:
            return EXIT_ABORTED
        logger.info("run %s: %s", run_id, summary)
        if summary.halted:
            return EXIT_ABORTED
        return EXIT_INTERRUPTED if summary.interrupted else EXIT_OK

    return anyio.run(drain)


async def _worker_signals(stop: anyio.Event, scope: anyio.CancelScope) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            if stop.is_set():
                scope.cancel()
            else:
                stop.set()


def build_parser() -> argparse.ArgumentParser:
    return single_command_parser("python -m idcode_async.scale", add_worker_command)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m idcode_async.scale worker …`` (the same as ``idcode worker …``)."""
    return run_single_command(
        build_parser(), argv, resume_hint="the run is consistent: start the worker again to resume"
    )
