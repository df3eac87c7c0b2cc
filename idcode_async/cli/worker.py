"""``idcode worker``: the scale-out worker, an arq worker serving the drain jobs (``redis`` extra).

There is one way to run a worker: this command (or ``arq idcode_async.scale.arq_jobs.
WorkerSettings``) takes jobs from the queue; each job drains one shared run, registration or
upload.  ``register-units --redis`` and ``upload-codes --redis`` enqueue one job per local
worker and start these workers with ``--burst --secrets-on-stdin``: they read the credentials
and the Redis URL from a pipe, not from their environment.  Otherwise credentials come from the
``IDCODE_*`` variables (an option is accepted, but a command line is visible to every user of
the machine).
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import attrs
import click

from .. import scale
from .._env import ENV_REDIS_URL
from ._exit import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CommandError
from ._inputs import stdin_bytes
from ._options import Credentials, credential_options, json_option, require_credentials
from ._runtime import Output, checked_redis_url

__all__ = ["run_worker", "worker"]


@click.command("worker", short_help="a scale-out worker: serve the drain jobs of shared runs")
@click.option(
    "--redis",
    "redis_url",
    metavar="URL",
    envvar=ENV_REDIS_URL,
    show_envvar=True,
    help="Redis URL (prefer the variable: a password in an option shows in ps)",
)
@click.option(
    "--burst",
    is_flag=True,
    help="run at most --max-jobs jobs, then exit (at once if the queue is empty)",
)
@click.option(
    "--max-jobs",
    type=click.IntRange(min=1, max=1000),
    default=1,
    show_default=True,
    help="jobs at once in this process",
)
@click.option("--queue", default="arq:idcode", show_default=True, help="arq queue name")
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
    help="the least important log lines the worker prints on stderr",
)
@click.option(
    "--secrets-on-stdin",
    is_flag=True,
    hidden=True,
    help="read the Redis URL and the credentials as one JSON line from stdin",
)
@json_option
@credential_options
def worker(**options: Any) -> int:
    """The one way to run a scale-out worker: an arq worker (the same as `arq
    idcode_async.scale.arq_jobs.WorkerSettings`) on the queue arq:idcode.  Each job drains
    one shared run, registration or upload (enqueue_registration, enqueue_upload,
    enqueue_jobs, or register-units/upload-codes --redis), with the same pace as every other
    worker of the access token.  Start as many as you like, on any machine that reaches the
    Redis.

    Ctrl-C or SIGTERM once: stop claiming, let the request in flight finish and be recorded,
    release the leases, exit (130).  Twice: abandon the request in flight (it stays recorded
    as sent, and is looked up before any resend).
    """
    if options["secrets_on_stdin"]:  # a local worker of register-units/upload-codes --redis
        options |= secrets_from_stdin()
    url = (options["redis_url"] or "").strip()
    if not url:
        raise CommandError(f"give --redis URL or set {ENV_REDIS_URL}", code=EXIT_USAGE)
    checked_redis_url(url)
    credentials = require_credentials(options["access_token"], options["auth_code"])
    logging.basicConfig(
        level=options["log_level"].upper(),
        format=f"%(asctime)s worker[{os.getpid()}] %(levelname)s %(name)s: %(message)s",
    )
    return run_worker(
        url,
        credentials,
        Output(as_json=options["as_json"]),
        queue_name=options["queue"],
        max_jobs=options["max_jobs"],
        burst=options["burst"],
    )


_SECRET_KEYS = ("redis_url", "access_token", "auth_code")


def secrets_from_stdin() -> dict[str, str]:
    """The one JSON line a local worker is given on stdin: its Redis URL and credentials.

    Only those keys, and only text: anything else (``1``, ``{"redis_url": 5}``, a closed
    stdin) is a usage error rather than an unexpected ``TypeError`` or ``AttributeError``.
    """
    line = stdin_bytes("secrets").readline()
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(value.get(key, ""), str) for key in _SECRET_KEYS
    ):
        raise CommandError(
            "--secrets-on-stdin: no JSON object of text values on standard input",
            code=EXIT_USAGE,
        )
    return {key: value[key] for key in _SECRET_KEYS if key in value}


def run_worker(redis_url: str, credentials: Credentials, output: Output, **settings: Any) -> int:
    """Serve the jobs until stopped (or, with ``burst``, until this worker's jobs are done);
    ``settings`` are :func:`~idcode_async.scale.arq_jobs.worker_settings`'.  The credentials
    reach the jobs in their context, not through this process's environment (which its
    children would inherit)."""
    given = scale.WorkerCredentials(credentials.access_token, credentials.auth_code)
    served = scale.serve(redis_url, credentials=given, **settings)
    code = EXIT_INTERRUPTED if served.signals else EXIT_OK
    output.summary({"command": "worker", **attrs.asdict(served), "exit_code": code})
    return code
