"""``idcode register-units``: the batch runner from the command line.

    idcode register-units units.csv --journal run.db --out results.jsonl
    python -m idcode_async.registration.cli register-units units.csv --journal run.db --dry-run

Credentials come from ``IDCODE_ACCESS_TOKEN`` and ``IDCODE_AUTH_CODE`` (and the centre from
``IDCODE_BASE_URL``, default the test host), or from options; the environment is preferred,
since a command line is visible to every user of the machine.

Ctrl-C (or SIGTERM) once: no new submission starts; the request in flight finishes, its outcome
is journaled, and the command exits with 130 and tells how to resume.  Twice: the request in
flight is abandoned and journaled as ``unknown`` (the next run settles it with 307 first).

Exit codes: 0 every row registered or existing; 1 some rows invalid or failed (see the results);
2 bad usage or input; 3 the run stopped itself (token refused, centre unreachable); 130
interrupted.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence

import anyio
import attrs

from .._cli_support import (
    ENV_AUTH_CODE,
    ENV_BASE_URL,
    ENV_TOKEN,
    EXIT_ABORTED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_ROWS,
    EXIT_USAGE,
    run_single_command,
    single_command_parser,
    watch_signals,
)
from .._client import TEST_BASE_URL, IdcodeClient
from .._errors import IdcodeError
from .._retry import RetryPolicy
from ..durable.store import StoreError
from ..pacing import DEFAULT_MAX_INTERVAL, DEFAULT_MIN_INTERVAL, LocalPacer
from ..scale.cli import run_distributed
from .display import progress_display
from .inputs import InputFormatError, SourceRow, read_units
from .outcomes import BatchSummary
from .results import open_results
from .runner import DEFAULT_RETRY, BatchAbortedError, register_units

__all__ = ["add_register_units_command", "main", "run_register_units"]


def add_register_units_command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Add ``register-units`` to an ``idcode``-style parser; its handler is ``args.handler``."""
    parser = subparsers.add_parser(
        "register-units",
        help="register units from a CSV/JSONL file with 309: paced, resumable, exactly once",
        description=(
            "Checks every row first (309's rules, regions against 101), then registers the "
            "valid ones one at a time with a 0.5-1 s pause (309's advice). The journal makes "
            "the run resumable: run the same command again after any interruption."
        ),
    )
    parser.add_argument("input", help="units.csv or units.jsonl; columns/keys are 309's names")
    parser.add_argument("--journal", required=True, help="SQLite journal file (created if new)")
    parser.add_argument("--out", help="results file, .jsonl or .csv (rewritten by every run)")
    parser.add_argument(
        "--min-interval",
        type=float,
        default=DEFAULT_MIN_INTERVAL,
        help="shortest pause between submissions, seconds (default 0.5)",
    )
    parser.add_argument(
        "--max-interval",
        type=float,
        default=DEFAULT_MAX_INTERVAL,
        help="longest pause between submissions, seconds (default 1.0)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="submissions at once; 1 unless the centre has allowed more (default 1)",
    )
    parser.add_argument(
        "--max-retries",
        type=int,
        default=DEFAULT_RETRY.max_retries,
        help="further tries per row after busy answers or lost connections (default 5)",
    )
    parser.add_argument("--dry-run", action="store_true", help="check the rows, send nothing")
    parser.add_argument(
        "--retry-failed", action="store_true", help="send rows an earlier run recorded as failed"
    )
    parser.add_argument(
        "--no-region-check", action="store_true", help="do not check regions against 101"
    )
    parser.add_argument(
        "--progress",
        choices=("auto", "bar", "plain", "none"),
        default="auto",
        help="progress display: a rich bar on a terminal, plain lines otherwise (default auto)",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="request timeout, seconds")
    parser.add_argument(
        "--redis",
        nargs="?",
        const="",
        metavar="URL",
        help="share the run through Redis (the redis extra): --journal names the run there and "
        "every worker keeps one pace; URL omitted: $IDCODE_REDIS_URL (see docs/scale-out.md)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="with --redis: local worker processes (default 1)"
    )
    parser.add_argument(
        "--lease",
        type=float,
        help="with --redis: seconds a worker's claim on rows outlives it (default 60)",
    )
    parser.add_argument("--base-url", help=f"the centre (default ${ENV_BASE_URL} or test host)")
    parser.add_argument("--access-token", help=f"prefer ${ENV_TOKEN}: options show in ps")
    parser.add_argument("--auth-code", help=f"prefer ${ENV_AUTH_CODE}: options show in ps")
    parser.set_defaults(handler=run_register_units)
    return parser


def run_register_units(args: argparse.Namespace) -> int:
    """The handler: read and check the input, run the batch, print the summary."""
    token = args.access_token or os.environ.get(ENV_TOKEN)
    auth_code = args.auth_code or os.environ.get(ENV_AUTH_CODE)
    if not token or not auth_code:
        print(
            f"error: set {ENV_TOKEN} and {ENV_AUTH_CODE} (or --access-token/--auth-code)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        pacer_args = (args.min_interval, args.max_interval)
        LocalPacer(*pacer_args, concurrency=args.concurrency)
        rows = list(read_units(args.input))
    except (InputFormatError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    base_url = args.base_url or os.environ.get(ENV_BASE_URL) or TEST_BASE_URL
    if args.redis is not None:
        return run_distributed(args, rows, token=token, auth_code=auth_code, base_url=base_url)
    settings = _Settings(
        args=args,
        token=token,
        auth_code=auth_code,
        base_url=base_url,
    )
    return anyio.run(_run, settings, rows)


@attrs.frozen
class _Settings:
    args: argparse.Namespace
    token: str = attrs.field(repr=False)
    auth_code: str = attrs.field(repr=False)
    base_url: str


async def _run(settings: _Settings, rows: list[SourceRow]) -> int:
    args = settings.args
    stop = anyio.Event()
    display = progress_display(args.progress, len(rows))
    writer = open_results(args.out) if args.out else None
    summary: BatchSummary | None = None
    code = EXIT_OK
    try:
        async with (
            IdcodeClient(
                access_token=settings.token,
                auth_code=settings.auth_code,
                base_url=settings.base_url,
                timeout=args.timeout,
            ) as client,
            anyio.create_task_group() as group,
        ):
            run_scope = anyio.CancelScope()
            group.start_soon(watch_signals, stop, run_scope)
            with run_scope, display:
                try:
                    summary = await register_units(
                        client,
                        rows,
                        journal=args.journal,
                        pacer=LocalPacer(
                            args.min_interval, args.max_interval, concurrency=args.concurrency
                        ),
                        on_progress=display.update,
                        on_outcome=writer.write if writer is not None else None,
                        check_regions=not args.no_region_check,
                        retry=RetryPolicy(
                            max_retries=args.max_retries,
                            backoff_base=DEFAULT_RETRY.backoff_base,
                            backoff_max=DEFAULT_RETRY.backoff_max,
                        ),
                        retry_failed=args.retry_failed,
                        dry_run=args.dry_run,
                        stop=stop,
                    )
                except BatchAbortedError as exc:
                    summary = exc.summary
                    print(f"error: {exc}", file=sys.stderr)
                    code = EXIT_ABORTED
            group.cancel_scope.cancel()
            if run_scope.cancelled_caught:
                print(
                    "interrupted: a request in flight was abandoned; the journal marks its row "
                    "for a 307 check before any resend",
                    file=sys.stderr,
                )
                print(_resume_hint(args), file=sys.stderr)
                return EXIT_INTERRUPTED
    except (StoreError, IdcodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ABORTED
    finally:
        if writer is not None:
            writer.close()
    assert summary is not None
    print(("dry run: " if summary.dry_run else "") + summary.describe())
    if summary.interrupted:
        print(f"interrupted: {summary.pending} rows not yet settled", file=sys.stderr)
        print(_resume_hint(args), file=sys.stderr)
        return EXIT_INTERRUPTED
    if code == EXIT_ABORTED:
        print(_resume_hint(args), file=sys.stderr)
        return code
    if summary.dry_run:
        return EXIT_ROWS if summary.invalid else EXIT_OK
    return EXIT_OK if summary.complete and not summary.invalid else EXIT_ROWS


def _resume_hint(args: argparse.Namespace) -> str:
    command = ["idcode", "register-units", args.input, "--journal", args.journal]
    if args.out:
        command += ["--out", args.out]
    return f"the journal is consistent; resume with: {shlex.join(command)}"


def build_parser() -> argparse.ArgumentParser:
    return single_command_parser(
        "python -m idcode_async.registration.cli", add_register_units_command
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m idcode_async.registration.cli register-units …`` (the same as ``idcode …``)."""
    return run_single_command(
        build_parser(),
        argv,
        resume_hint="the journal is consistent: run the same command to resume",
    )


if __name__ == "__main__":
    sys.exit(main())
