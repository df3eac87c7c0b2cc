"""``idcode upload-codes``: upload a code file (one code a line) with 5011–5014, resumably.

    idcode upload-codes codes.txt --company-idcode i.86.110105.1 --category-reg-id 1003… --verify
    idcode upload-codes codes.txt --plan-only
    python -m idcode_async.uploads.cli upload-codes codes.txt … (the same, without the idcode CLI)

The manifest (default ``<codes file>.manifest.db``) records every request; running the same
command again after any interruption skips what the centre accepted and settles what may have
reached it before sending anything again.  Credentials come from ``IDCODE_ACCESS_TOKEN`` and
``IDCODE_AUTH_CODE`` (the centre from ``IDCODE_BASE_URL``, default the test host), or from
options; the environment is preferred, since a command line is visible to every user.

Ctrl-C (or SIGTERM) once: no new request starts; the one in flight finishes and is recorded.
Twice: the request in flight is abandoned and recorded as ``unknown`` (the next run settles it
from the centre's records first).

Exit codes: 0 every request accepted (and verified, with ``--verify``); 1 some requests refused,
lines rejected, or the verification failed; 2 bad usage or input; 3 the run stopped itself
(target or key refused, centre unreachable, requests that could not be settled, manifest
mismatch); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import anyio
import anyio.to_thread
import attrs
import httpx

from .._cli_support import (
    ENV_AUTH_CODE,
    ENV_BASE_URL,
    ENV_TOKEN,
    EXIT_ABORTED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_ROWS,
    EXIT_USAGE,
    Display,
    choose_display,
    format_duration,
    run_single_command,
    single_command_parser,
    watch_signals,
)
from .._client import TEST_BASE_URL, UPLOAD_TIMEOUT, IdcodeClient
from .._errors import IdcodeError
from ..durable.store import StoreError
from ..scale.cli import run_distributed_upload
from .executor import (
    DEFAULT_GRACE,
    UnresolvedUploadError,
    UploadAbortedError,
    UploadProgress,
    UploadResult,
    upload_codes,
)
from .followups import problems_text, verify_upload
from .manifest import EntryState, UploadManifest
from .options import PlanOptions
from .plan import UploadPlan
from .planner import plan_upload_async
from .reconcile import CategoryRef

__all__ = ["add_upload_codes_command", "build_parser", "main", "run_upload_codes"]

_ENDPOINT_NAMES = {
    5011: "5011 TXT files",
    5012: "5012 code lists",
    5013: "5013 prefix ranges",
    5014: "5014 fixed-length ranges",
}


def add_upload_codes_command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Add ``upload-codes`` to an ``idcode``-style parser; its handler is ``args.handler``."""
    defaults = PlanOptions()
    parser = subparsers.add_parser(
        "upload-codes",
        help="upload a code file with 5011-5014: planned, streamed, resumable, exactly once",
        description=(
            "Plans the codes (runs of consecutive numbers become 5013/5014 ranges, the rest "
            "5011 TXT files or a 5012 list), then sends each request once, recording it in a "
            "manifest. Run the same command again after any interruption to resume."
        ),
    )
    parser.add_argument("codes", help="text file, one code per line (UTF-8)")
    parser.add_argument("--company-idcode", help="the unit's main code (required to upload)")
    parser.add_argument("--category-reg-id", help="the category registration ID (required)")
    parser.add_argument(
        "--manifest", help="SQLite manifest (default: <codes>.manifest.db; created if new)"
    )
    parser.add_argument("--plan-only", action="store_true", help="print the plan and send nothing")
    parser.add_argument(
        "--version",
        dest="upload_version",
        choices=("1.0", "2.0"),
        default="2.0",
        help="interface version; 2.0 (default) answers each upload with its uploadcode_id",
    )
    parser.add_argument(
        "--generate-type",
        choices=("0", "1"),
        help="short codes: 1 in sequence, 0 at random (not sent by default: the centre's 1)",
    )
    parser.add_argument(
        "--min-run",
        type=int,
        default=defaults.min_run_length,
        help=f"shortest run of consecutive numbers sent as a range (default "
        f"{defaults.min_run_length})",
    )
    parser.add_argument(
        "--chunk-codes",
        type=int,
        default=defaults.max_file_codes,
        help=f"codes per 5011 file (default {defaults.max_file_codes})",
    )
    parser.add_argument(
        "--verify", action="store_true", help="check the centre's counts (503) afterwards"
    )
    parser.add_argument(
        "--idcode-of-category",
        help="category code for 502 lookups (default: from 403 by the registration ID)",
    )
    parser.add_argument("--model-number-code", help="model number code for 502 lookups")
    parser.add_argument(
        "--assume-not-uploaded",
        action="store_true",
        help="send requests whose fate could not be settled (you checked they are absent)",
    )
    parser.add_argument(
        "--retry-failed", action="store_true", help="send requests the centre refused again"
    )
    parser.add_argument(
        "--reconcile-grace",
        type=float,
        default=DEFAULT_GRACE,
        help=f"seconds a batch may take to show in 502 after its request (default "
        f"{DEFAULT_GRACE:g})",
    )
    parser.add_argument(
        "--progress",
        choices=("auto", "bar", "plain", "none"),
        default="auto",
        help="progress display: a rich bar on a terminal, plain lines otherwise (default auto)",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="request timeout, seconds")
    parser.add_argument(
        "--upload-timeout",
        type=float,
        default=UPLOAD_TIMEOUT.read,
        help="timeout of the upload requests, seconds (default 300)",
    )
    parser.add_argument(
        "--redis",
        nargs="?",
        const="",
        metavar="URL",
        help="share the upload through Redis (the redis extra): --run names it there; URL "
        "omitted: $IDCODE_REDIS_URL (see docs/scale-out.md)",
    )
    parser.add_argument("--run", help="with --redis: the upload run's name (required)")
    parser.add_argument(
        "--workers", type=int, default=1, help="with --redis: local worker processes (default 1)"
    )
    parser.add_argument(
        "--lease",
        type=float,
        help="with --redis: seconds a worker's claim outlives it (default 360)",
    )
    parser.add_argument("--base-url", help=f"the centre (default ${ENV_BASE_URL} or test host)")
    parser.add_argument("--access-token", help=f"prefer ${ENV_TOKEN}: options show in ps")
    parser.add_argument("--auth-code", help=f"prefer ${ENV_AUTH_CODE}: options show in ps")
    parser.set_defaults(handler=run_upload_codes, redis=None)
    return parser


@attrs.frozen
class _Settings:
    args: argparse.Namespace
    options: PlanOptions
    manifest: Path
    token: str = attrs.field(repr=False)
    auth_code: str = attrs.field(repr=False)
    base_url: str
    category: CategoryRef | None


def run_upload_codes(args: argparse.Namespace) -> int:
    """The handler: check the options, then plan only, or upload (and verify)."""
    try:
        options = PlanOptions(min_run_length=args.min_run, max_file_codes=args.chunk_codes)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not Path(args.codes).is_file():
        print(f"error: {args.codes}: no such file", file=sys.stderr)
        return EXIT_USAGE
    manifest = Path(args.manifest) if args.manifest else Path(f"{args.codes}.manifest.db")
    if args.plan_only:
        return anyio.run(_plan_only, Path(args.codes), options, manifest)
    token = args.access_token or os.environ.get(ENV_TOKEN)
    auth_code = args.auth_code or os.environ.get(ENV_AUTH_CODE)
    missing = [
        text
        for text, value in (
            ("--company-idcode", args.company_idcode),
            ("--category-reg-id", args.category_reg_id),
        )
        if not value
    ]
    if missing:
        print(f"error: {' and '.join(missing)} required to upload", file=sys.stderr)
        return EXIT_USAGE
    if not token or not auth_code:
        print(
            f"error: set {ENV_TOKEN} and {ENV_AUTH_CODE} (or --access-token/--auth-code)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if bool(args.idcode_of_category) != bool(args.model_number_code):
        print("error: --idcode-of-category and --model-number-code go together", file=sys.stderr)
        return EXIT_USAGE
    category = (
        CategoryRef(args.idcode_of_category, args.model_number_code)
        if args.idcode_of_category
        else None
    )
    if args.redis is not None:
        return run_distributed_upload(
            args,
            options=options,
            token=token,
            auth_code=auth_code,
            base_url=args.base_url or os.environ.get(ENV_BASE_URL) or TEST_BASE_URL,
            category=category,
        )
    settings = _Settings(
        args=args,
        options=options,
        manifest=manifest,
        token=token,
        auth_code=auth_code,
        base_url=args.base_url or os.environ.get(ENV_BASE_URL) or TEST_BASE_URL,
        category=category,
    )
    return anyio.run(_upload, settings)


async def _plan_only(codes: Path, options: PlanOptions, manifest: Path) -> int:
    with await plan_upload_async(codes, options=options) as plan:
        for line in plan_lines(plan):
            print(line)
        rejected = plan.rejected.count
    counts = await anyio.to_thread.run_sync(_manifest_counts, manifest)
    if counts is not None:
        states = ", ".join(f"{n} {state.value}" for state, n in counts.items() if n)
        print(f"manifest {manifest}: {states or 'empty'}")
    return EXIT_ROWS if rejected else EXIT_OK


def _manifest_counts(path: Path) -> dict[EntryState, int] | None:
    """Requests by state of an existing manifest (read without its run lock), else None."""
    if not path.exists():
        return None
    store = UploadManifest(path, lock=False)
    try:
        return store.counts()
    finally:
        store.close()


def plan_lines(plan: UploadPlan, examples: int = 10) -> list[str]:
    """The plan for people: requests by endpoint, duplicates and rejected lines."""
    lines = [
        f"plan: {plan.count} codes from {plan.lines} lines ({plan.blank_lines} blank) in "
        f"{len(plan.requests)} requests"
    ]
    sizes: dict[int, int] = {}
    for request in plan.requests:
        size = getattr(request, "size", None)
        if size is None:
            size = len(getattr(request, "code_list_str", ""))
        sizes[request.endpoint] = sizes.get(request.endpoint, 0) + size
    for endpoint, (requests, codes) in sorted(plan.by_endpoint().items()):
        lines.append(
            f"  {_ENDPOINT_NAMES[endpoint]:<26} {requests:>7} requests {codes:>12} codes "
            f"{sizes.get(endpoint, 0):>12} bytes"
        )
    lines.append(f"duplicates: {plan.duplicates.count} lines (uploaded once)")
    lines.extend(f"  line {d.line}: {d.code}" for d in plan.duplicates.examples[:examples])
    reasons = ", ".join(
        f"{reason.value} {n}" for reason, n in sorted(plan.rejected.by_reason.items(), key=str)
    )
    lines.append(f"rejected: {plan.rejected.count} lines" + (f" ({reasons})" if reasons else ""))
    lines.extend(
        f"  line {r.line}: {r.code[:60]!r} {r.reason.description}"
        for r in plan.rejected.examples[:examples]
    )
    return lines


async def _upload(settings: _Settings) -> int:
    args = settings.args
    stop = anyio.Event()
    display = _display(args.progress)
    result: UploadResult | None = None
    code = EXIT_OK
    try:
        async with (
            IdcodeClient(
                access_token=settings.token,
                auth_code=settings.auth_code,
                base_url=settings.base_url,
                timeout=httpx.Timeout(args.timeout, connect=min(10.0, args.timeout)),
                upload_timeout=httpx.Timeout(
                    args.upload_timeout, connect=min(10.0, args.upload_timeout)
                ),
            ) as client,
            anyio.create_task_group() as group,
        ):
            run_scope = anyio.CancelScope()
            group.start_soon(watch_signals, stop, run_scope)
            with run_scope, display:
                try:
                    result = await upload_codes(
                        client,
                        args.company_idcode,
                        args.category_reg_id,
                        args.codes,
                        manifest=settings.manifest,
                        options=settings.options,
                        generate_type=args.generate_type,
                        version=args.upload_version,
                        on_progress=display.update,
                        category=settings.category,
                        assume_not_uploaded=args.assume_not_uploaded,
                        retry_failed=args.retry_failed,
                        reconcile_grace=args.reconcile_grace,
                        stop=stop,
                    )
                except UnresolvedUploadError as exc:
                    result = exc.result
                    print(f"error: {exc}", file=sys.stderr)
                    for unresolved in exc.unresolved:
                        print(f"  {unresolved.advice()}", file=sys.stderr)
                    code = EXIT_ABORTED
                except UploadAbortedError as exc:
                    result = exc.result
                    print(f"error: {exc}", file=sys.stderr)
                    code = EXIT_ABORTED
            if run_scope.cancelled_caught:
                group.cancel_scope.cancel()
                print("interrupted: the request in flight was recorded as unknown", file=sys.stderr)
                print(_resume_hint(settings), file=sys.stderr)
                return EXIT_INTERRUPTED
            if result is not None:
                _print_result(result)
            if result is not None and code == EXIT_OK and args.verify and not result.interrupted:
                report = await verify_upload(
                    client, args.company_idcode, settings.manifest, category=settings.category
                )
                print(report.describe())
                for line in problems_text(report):
                    print(f"  {line}", file=sys.stderr)
                if not report.ok:
                    code = EXIT_ROWS
            group.cancel_scope.cancel()
    except (StoreError, IdcodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ABORTED
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    assert result is not None
    if result.interrupted:
        print("interrupted: no new request was started", file=sys.stderr)
        print(_resume_hint(settings), file=sys.stderr)
        return EXIT_INTERRUPTED
    if code == EXIT_ABORTED:
        print(_resume_hint(settings), file=sys.stderr)
        return code
    if result.failed or result.rejected.count or not result.complete:
        return EXIT_ROWS
    return code


def _print_result(result: UploadResult) -> None:
    print(result.describe())
    for failed in result.failed:
        print(f"  refused #{failed.seq} ({failed.endpoint}): {failed.message}", file=sys.stderr)


def _resume_hint(settings: _Settings) -> str:
    args = settings.args
    command = [
        "idcode",
        "upload-codes",
        args.codes,
        "--company-idcode",
        args.company_idcode,
        "--category-reg-id",
        args.category_reg_id,
        "--manifest",
        str(settings.manifest),
    ]
    defaults = PlanOptions()
    if settings.options.min_run_length != defaults.min_run_length:
        command += ["--min-run", str(settings.options.min_run_length)]
    if settings.options.max_file_codes != defaults.max_file_codes:
        command += ["--chunk-codes", str(settings.options.max_file_codes)]
    if args.upload_version != "2.0":
        command += ["--version", args.upload_version]
    if args.generate_type:
        command += ["--generate-type", args.generate_type]
    return f"the manifest is consistent; resume with: {shlex.join(command)}"


class _PlainDisplay(Display[UploadProgress]):
    """A line on stderr at each phase change, at most every ``every`` seconds, and at the end."""

    def __init__(self, stream: TextIO, every: float = 5.0) -> None:
        self._stream = stream
        self._every = every
        self._last = -float("inf")
        self._phase: str | None = None

    def update(self, progress: UploadProgress) -> None:
        due = progress.elapsed - self._last >= self._every
        if progress.phase != self._phase or due or progress.phase == "done":
            self._last = progress.elapsed
            self._phase = progress.phase
            print(describe_progress(progress), file=self._stream, flush=True)


class _RichDisplay(Display[UploadProgress]):
    """Two bars: codes (accepted of planned) and payload bytes, with rate and elapsed time."""

    def __init__(self) -> None:
        from rich.console import Console, Group
        from rich.live import Live
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TransferSpeedColumn,
        )

        console = Console(stderr=True)  # stdout is for the summary
        self._codes_bar = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<9}[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=console,
        )
        self._bytes_bar = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<9}[/bold]"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console,
        )
        self._codes = self._codes_bar.add_task("planning", total=None, detail="")
        self._bytes = self._bytes_bar.add_task("bytes", total=None)
        self._live = Live(
            Group(self._codes_bar, self._bytes_bar), console=console, refresh_per_second=8
        )

    def __enter__(self) -> _RichDisplay:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()

    def update(self, progress: UploadProgress) -> None:
        if progress.phase == "planning":
            return
        detail = f"{progress.requests_done}/{progress.requests} requests"
        if progress.current and progress.phase == "uploading":
            detail += f" · {progress.current}"
        self._codes_bar.update(
            self._codes,
            description="codes" if progress.phase != "reconciling" else "reconcile",
            total=progress.codes,
            completed=progress.codes_done,
            detail=detail,
        )
        self._bytes_bar.update(self._bytes, total=progress.bytes, completed=progress.bytes_done)


def _display(kind: str) -> Display[UploadProgress]:
    return choose_display(kind, _RichDisplay, lambda: _PlainDisplay(sys.stderr))


def describe_progress(progress: UploadProgress) -> str:
    """One plain line for a progress snapshot."""
    if progress.phase == "planning":
        return "planning…"
    return (
        f"{progress.phase}: {progress.codes_done}/{progress.codes} codes, "
        f"{progress.requests_done}/{progress.requests} requests, "
        f"{progress.bytes_done}/{progress.bytes} bytes, {format_duration(progress.elapsed)}"
    )


def build_parser() -> argparse.ArgumentParser:
    return single_command_parser("python -m idcode_async.uploads.cli", add_upload_codes_command)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m idcode_async.uploads.cli upload-codes …`` (the same as ``idcode …``)."""
    return run_single_command(
        build_parser(),
        argv,
        resume_hint="the manifest is consistent: run the same command to resume",
    )


if __name__ == "__main__":
    sys.exit(main())
