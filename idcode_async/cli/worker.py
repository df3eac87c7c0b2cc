"""``idcode worker``: a scale-out worker (the ``redis`` extra).

Without ``--run`` it is an arq worker serving the scale-out jobs; with ``--run RUN`` it drains
that shared run (registration or upload) and exits, which is how ``register-units --redis``
and ``upload-codes --redis`` start their local workers.  Credentials come from the
``IDCODE_*`` variables only: a worker's command line is visible to every user of the machine.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import anyio
import attrs
import click

from .._env import ENV_REDIS_URL
from ._exit import EXIT_ABORTED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CommandError
from ._options import Credentials, credential_options, json_option, require_credentials
from ._runtime import Output

__all__ = ["WorkerSettings", "run_worker", "worker"]

logger = logging.getLogger("idcode_async.scale")


@attrs.frozen(kw_only=True)
class WorkerSettings:
    """What ``idcode worker`` was asked to do, checked."""

    redis_url: str
    credentials: Credentials
    run: str | None = None
    burst: bool = False
    max_jobs: int = 1
    queue: str | None = None
    log_level: str = "info"


@click.command("worker", short_help="a scale-out worker: serve arq jobs, or drain one shared run")
@click.option(
    "--redis",
    "redis_url",
    metavar="URL",
    envvar=ENV_REDIS_URL,
    show_envvar=True,
    help="Redis URL (prefer the variable: a password in an option shows in ps)",
)
@click.option("--run", help="drain this run and exit (no arq)")
@click.option("--burst", is_flag=True, help="arq: exit when the queue is empty")
@click.option(
    "--max-jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="arq: jobs at once in this process",
)
@click.option("--queue", help="arq queue name  [default: arq:idcode]")
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
@json_option
@credential_options
def worker(**options: Any) -> int:
    """Joins shared runs in Redis with the same pace as every other worker of the access
    token."""
    if not options["redis_url"]:
        raise CommandError(f"give --redis URL or set {ENV_REDIS_URL}", code=EXIT_USAGE)
    settings = WorkerSettings(
        redis_url=options["redis_url"],
        credentials=require_credentials(options["access_token"], options["auth_code"]),
        run=options["run"],
        burst=options["burst"],
        max_jobs=options["max_jobs"],
        queue=options["queue"],
        log_level=options["log_level"],
    )
    return run_worker(settings, Output(as_json=options["as_json"]))


def run_worker(settings: WorkerSettings, output: Output) -> int:
    """Drain one run, or serve arq jobs until stopped."""
    logging.basicConfig(
        level=settings.log_level.upper(),
        format=f"%(asctime)s worker[{os.getpid()}] %(levelname)s %(name)s: %(message)s",
    )
    if settings.run:
        return anyio.run(drain, settings, output)
    from ..scale.arq_jobs import DEFAULT_QUEUE, serve

    # arq reads the credentials from the environment of the jobs' process.
    serve(
        settings.redis_url,
        queue_name=settings.queue or DEFAULT_QUEUE,
        max_jobs=settings.max_jobs,
        burst=settings.burst,
    )
    output.summary({"command": "worker", "mode": "arq", "exit_code": EXIT_OK})
    return EXIT_OK


async def drain(settings: WorkerSettings, output: Output) -> int:
    """Drain ``settings.run``: a registration run, or an upload run of that name."""
    from ..scale._redis import connect_sync
    from ..scale.drain import drain_run
    from ..scale.uploads import drain_upload, is_upload_run

    assert settings.run is not None
    probe = connect_sync(settings.redis_url)
    try:
        uploads = is_upload_run(probe, settings.run)
    finally:
        probe.close()
    drainer: Any = drain_upload if uploads else drain_run
    stop = anyio.Event()
    summary: Any = None
    async with anyio.create_task_group() as group:
        scope = anyio.CancelScope()
        group.start_soon(_signals, stop, scope)
        with scope:
            summary = await drainer(
                settings.redis_url,
                settings.run,
                access_token=settings.credentials.access_token,
                auth_code=settings.credentials.auth_code,
                stop=stop,
            )
        group.cancel_scope.cancel()
    if scope.cancelled_caught or summary is None:
        output.summary({"command": "worker", "run": settings.run, "exit_code": EXIT_INTERRUPTED})
        return EXIT_INTERRUPTED
    logger.info("run %s: %s", settings.run, summary)
    code = EXIT_ABORTED if summary.halted else EXIT_INTERRUPTED if summary.interrupted else EXIT_OK
    output.summary({"command": "worker", **attrs.asdict(summary), "exit_code": code})
    if summary.halted:
        raise CommandError(f"the run stopped itself: {summary.halted}", code=EXIT_ABORTED)
    return code


async def _signals(stop: anyio.Event, scope: anyio.CancelScope) -> None:
    import signal

    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            if stop.is_set():
                scope.cancel()
            else:
                stop.set()
