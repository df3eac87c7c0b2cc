"""``idcode upload-codes``: plan, upload (5011-5014) and verify a code file, resumably.

The manifest (default ``<codes file>.manifest.db``) records every request; running the same
command again after any interruption skips what the centre accepted and settles what may have
reached it before sending anything again.  Ctrl-C once: no new request starts, the one in
flight finishes and is recorded; twice: it is abandoned and recorded ``unknown``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import click

from .._client import UPLOAD_TIMEOUT
from ..uploads import (
    CategoryRef,
    EntryState,
    PlanOptions,
    RejectReason,
    UnresolvedRequest,
    UnresolvedUploadError,
    UploadAbortedError,
    UploadManifest,
    UploadPlan,
    UploadProgress,
    UploadResult,
    VerifyReport,
    plan_upload_async,
    upload_codes,
    verify_upload,
)
from ..uploads.executor import DEFAULT_GRACE
from ._codes import CodeReader
from ._display import Display, upload_display
from ._exit import EXIT_ABORTED, EXIT_INTERRUPTED, EXIT_OK, EXIT_ROWS, CommandError
from ._inputs import check_input_file
from ._options import (
    client_settings,
    count_option,
    require_credentials,
    run_options,
    seconds_option,
)
from ._runtime import Output, resume_command, watch_signals
from ._scale import upload_distributed
from ._settings import RedisUpload, UploadSettings, copied, redis_settings

__all__ = ["UploadSettings", "plan_lines", "run_upload_codes", "upload_codes_command"]

_ENDPOINT_NAMES = {
    5011: "5011 TXT files",
    5012: "5012 code lists",
    5013: "5013 prefix ranges",
    5014: "5014 fixed-length ranges",
}


@click.command(
    "upload-codes",
    short_help="upload a code file with 5011-5014: planned, streamed, resumable, exactly once",
)
@click.argument("codes", metavar="CODES")
@click.option("--company-idcode", help="the unit's main code (required to upload)")
@click.option("--category-reg-id", help="the category registration ID (required to upload)")
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite manifest, created if new  [default: CODES.manifest.db]",
)
@click.option("--plan-only", is_flag=True, help="print the plan and send nothing")
@click.option(
    "--interface-version",
    type=click.Choice(["1.0", "2.0"]),
    default="2.0",
    show_default=True,
    help="the upload interfaces' version parameter; 2.0 answers each upload with its ID",
)
@click.option(
    "--generate-type",
    type=click.Choice(["0", "1"]),
    help="short codes: 1 in sequence, 0 at random (not sent by default: the centre's 1)",
)
@count_option(
    "--min-run",
    default=PlanOptions().min_run_length,
    help="shortest run of consecutive numbers sent as a range",
)
@count_option("--chunk-codes", default=PlanOptions().max_file_codes, help="codes per 5011 file")
@click.option("--verify", is_flag=True, help="check the centre's counts (503) afterwards")
@click.option(
    "--idcode-of-category",
    help="category code for 502 lookups (default: from 403 by the registration ID)",
)
@click.option("--model-number-code", help="model number code for 502 lookups")
@click.option(
    "--assume-not-uploaded",
    is_flag=True,
    help="send requests whose fate could not be settled (you checked they are absent)",
)
@click.option("--retry-failed", is_flag=True, help="send requests the centre refused again")
@seconds_option(
    "--reconcile-grace",
    default=DEFAULT_GRACE,
    inclusive=True,
    help="seconds a batch may take to show in 502 after its request",
)
@seconds_option(
    "--upload-timeout",
    default=UPLOAD_TIMEOUT.read,
    help="timeout of the upload requests, seconds",
)
@run_options("the upload", named_by="--run")
@click.option("--run", "run_name", help="with --redis: the upload run's name (required)")
@click.pass_context
def upload_codes_command(ctx: click.Context, /, **options: Any) -> int:
    """Plans the codes (runs of consecutive numbers become 5013/5014 ranges, the rest 5011
    TXT files or a 5012 list), then sends each request once, recording it in a manifest.
    CODES is a text file with one code a line, or - for standard input. Run the same command
    again after any interruption to resume."""
    settings = settings_from(options, resume=resume_command(ctx))
    return run_upload_codes(settings, Output(as_json=options["as_json"]))


def settings_from(options: dict[str, Any], *, resume: str) -> UploadSettings:
    """Options → settings; what an upload needs is required only when uploading."""
    codes: str = options["codes"]
    if codes == "-" and options["manifest"] is None:
        raise CommandError("reading codes from standard input needs --manifest FILE")
    check_input_file(codes)
    manifest = options["manifest"] or Path(f"{codes}.manifest.db")
    plan_options = PlanOptions(
        min_run_length=options["min_run"], max_file_codes=options["chunk_codes"]
    )
    if bool(options["idcode_of_category"]) != bool(options["model_number_code"]):
        raise CommandError("--idcode-of-category and --model-number-code go together")
    category = (
        CategoryRef(options["idcode_of_category"], options["model_number_code"])
        if options["idcode_of_category"]
        else None
    )
    credentials = None
    if not options["plan_only"]:
        missing = [
            name
            for name, key in (
                ("--company-idcode", "company_idcode"),
                ("--category-reg-id", "category_reg_id"),
            )
            if not options[key]
        ]
        if missing:
            raise CommandError(f"{' and '.join(missing)} required to upload")
        credentials = require_credentials(options["access_token"], options["auth_code"])
    if options["redis"] is not None and not options["run_name"]:
        raise CommandError("--redis needs --run RUN (the run's name)")
    return UploadSettings(
        codes=codes,
        manifest=manifest,
        options=plan_options,
        **copied(
            options,
            *("plan_only", "company_idcode", "category_reg_id", "interface_version", "verify"),
            *("generate_type", "assume_not_uploaded", "retry_failed", "reconcile_grace"),
            *("upload_timeout", "progress"),
        ),
        category=category,
        client=client_settings(options),
        credentials=credentials,
        redis=redis_settings(options, RedisUpload, run=options["run_name"]),
        resume=resume,
    )


def run_upload_codes(settings: UploadSettings, output: Output) -> int:
    """Plan only, or upload (and verify); standard input is read as it comes."""
    if settings.codes != "-" and not _has_codes(Path(settings.codes)):
        output.notice(f"nothing to do: {settings.codes} has no codes")
        output.summary({"command": "upload-codes", "codes": 0, "exit_code": EXIT_OK})
        return EXIT_OK
    if settings.plan_only:
        return anyio.run(plan_only, settings, output)
    if settings.redis is not None:
        return upload_distributed(settings, output)
    return anyio.run(upload, settings, output)


def _has_codes(path: Path) -> bool:
    """Whether the file holds a non-blank line (reads only up to the first one)."""
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            if block.strip():
                return True
    return False


def _reader(
    settings: UploadSettings,
    display: Display[UploadProgress],
    stop: anyio.Event,
    scope: anyio.CancelScope,
) -> CodeReader:
    """The code file in blocks: planning progress on the display, Ctrl-C between blocks."""
    started = anyio.current_time()

    def read(lines: int, chars: int) -> None:
        elapsed = anyio.current_time() - started
        display.update(UploadProgress(phase="planning", codes=lines, bytes=chars, elapsed=elapsed))

    return CodeReader(settings.codes, on_read=read, stop=stop, scope=scope)


def plan_lines(plan: UploadPlan, options: PlanOptions, examples: int = 10) -> list[str]:
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
        f"  line {r.line}: {r.code[:60]!r} {reject_reason(r.reason, options)}"
        for r in plan.rejected.examples[:examples]
    )
    return lines


def reject_reason(reason: RejectReason, options: PlanOptions) -> str:
    """Why a line is refused, in the user's words."""
    if reason is RejectReason.TOO_LONG:
        return f"is longer than {options.max_code_length} characters"
    return reason.description


async def plan_only(settings: UploadSettings, output: Output) -> int:
    """Print the plan (and what an existing manifest holds); send nothing.  The manifest is
    read first: one that cannot be used is refused before a long plan is printed."""
    counts = await anyio.to_thread.run_sync(_manifest_counts, settings.manifest)
    stop, display = anyio.Event(), upload_display(settings.progress)
    plan: UploadPlan | None = None
    async with anyio.create_task_group() as group:
        scope = anyio.CancelScope()
        group.start_soon(watch_signals, stop, scope, "planning")
        with scope, display:
            reader = _reader(settings, display, stop, scope)
            plan = await plan_upload_async(reader, options=settings.options)
        group.cancel_scope.cancel()
    if plan is None:
        output.notice("interrupted while planning: nothing was sent")
        return EXIT_INTERRUPTED
    with plan:
        for line in plan_lines(plan, settings.options):
            output.result(line)
        data: dict[str, Any] = {
            "command": "upload-codes",
            "mode": "plan",
            "codes": plan.count,
            "lines": plan.lines,
            "blank_lines": plan.blank_lines,
            "requests": len(plan.requests),
            "by_endpoint": {
                str(endpoint): {"requests": requests, "codes": codes}
                for endpoint, (requests, codes) in sorted(plan.by_endpoint().items())
            },
            "duplicates": plan.duplicates.count,
            "rejected": plan.rejected.count,
            "rejected_by_reason": {r.value: n for r, n in plan.rejected.by_reason.items()},
        }
    if counts is not None:
        states = ", ".join(f"{n} {state.value}" for state, n in counts.items() if n)
        output.result(f"manifest {settings.manifest}: {states or 'empty'}")
        data["manifest"] = {state.value: n for state, n in counts.items()}
    code = EXIT_ROWS if data["rejected"] else EXIT_OK
    output.summary({**data, "exit_code": code})
    return code


def _manifest_counts(path: Path) -> dict[EntryState, int] | None:
    """Requests by state of an existing manifest (read without its run lock), else None."""
    if not path.exists():
        return None
    store = UploadManifest(path, lock=False)
    try:
        return store.counts()
    finally:
        store.close()


async def upload(settings: UploadSettings, output: Output) -> int:
    """The local run, then ``--verify``; Ctrl-C handled in two steps."""
    assert settings.company_idcode is not None
    assert settings.category_reg_id is not None
    stop = anyio.Event()
    display = upload_display(settings.progress)
    result: UploadResult | None = None
    failure: UploadAbortedError | UnresolvedUploadError | None = None
    verified: Any = None
    client = settings.client.open(settings.credentials, upload_timeout=settings.upload_timeout)
    async with client, anyio.create_task_group() as group:
        run_scope = anyio.CancelScope()
        group.start_soon(watch_signals, stop, run_scope, "request")
        with run_scope, display:
            try:
                result = await upload_codes(
                    client,
                    settings.company_idcode,
                    settings.category_reg_id,
                    _reader(settings, display, stop, run_scope),
                    manifest=settings.manifest,
                    options=settings.options,
                    generate_type=settings.generate_type,
                    version=settings.interface_version,
                    on_progress=display.update,
                    category=settings.category,
                    assume_not_uploaded=settings.assume_not_uploaded,
                    retry_failed=settings.retry_failed,
                    reconcile_grace=settings.reconcile_grace,
                    stop=stop,
                )
            except (UnresolvedUploadError, UploadAbortedError) as exc:
                failure, result = exc, exc.result
        if (
            result is not None
            and failure is None
            and settings.verify
            and not result.interrupted
            and not run_scope.cancelled_caught
        ):
            verified = await verify_upload(
                client, settings.company_idcode, settings.manifest, category=settings.category
            )
        group.cancel_scope.cancel()
    if run_scope.cancelled_caught:
        return output.interrupted(
            "interrupted: the request in flight was recorded as unknown", settings.resume
        )
    if result is None:
        return output.interrupted("interrupted while planning: nothing was sent", settings.resume)
    return report(settings, result, failure, verified, output)


def report(
    settings: UploadSettings,
    result: UploadResult,
    failure: UploadAbortedError | UnresolvedUploadError | None,
    verified: Any,
    output: Output,
) -> int:
    """The result line(s) (or JSON object) and the exit code."""
    states = {s: sum(r.state is s for r in result.requests) for s in EntryState}
    output.result(result.describe(stopped=failure is not None))
    for failed in result.failed:
        output.notice(f"  refused #{failed.seq} ({failed.endpoint}): {failed.message}")
    if failure is not None:
        code = EXIT_ABORTED
    elif result.interrupted:
        code = EXIT_INTERRUPTED
    elif result.failed or result.rejected.count or not result.complete:
        code = EXIT_ROWS
    else:
        code = EXIT_OK
    data: dict[str, Any] = {
        "command": "upload-codes",
        "mode": "upload",
        "codes": result.count,
        "requests": len(result.requests),
        **{state.value: n for state, n in states.items()},
        "sent": result.sent,
        "resumed": result.resumed,
        "reconciled": result.reconciled,
        "duplicates": result.duplicates.count,
        "rejected": result.rejected.count,
        "elapsed": round(result.elapsed, 3),
        "manifest": str(settings.manifest),
    }
    if verified is not None:
        output.result(verified.describe())
        for line in problems_text(verified):
            output.notice(f"  {line}")
        data["verified"] = bool(verified.ok)
        if not verified.ok and code == EXIT_OK:
            code = EXIT_ROWS
    output.summary(
        {**data, "exit_code": code, "resume": None if code == EXIT_OK else settings.resume}
    )
    if isinstance(failure, UnresolvedUploadError):
        for unresolved in failure.unresolved:
            output.notice(f"  {advice(unresolved)}")
    if failure is not None:
        raise CommandError(
            str(failure), code=EXIT_ABORTED, hint=f"then resume with: {settings.resume}"
        )
    if code == EXIT_INTERRUPTED:
        output.interrupted("interrupted: no new request was started", settings.resume)
    return code


def advice(unresolved: UnresolvedRequest) -> str:
    """:meth:`UnresolvedRequest.advice` in this command's options."""
    return (
        f"{unresolved.check()}: if there is one, run again once 502/505 answer (or give "
        "--idcode-of-category and --model-number-code) so that it is matched; if there is "
        "none, run again with --assume-not-uploaded to send it."
    )


def problems_text(report: VerifyReport, limit: int = 20) -> list[str]:
    """Lines describing a verification's problems, for people."""
    lines = [
        f"#{r.entry.seq} {r.entry.endpoint}: {r.status}; expected {r.entry.count}, centre "
        f"{'-' if r.server_count is None else r.server_count}"
        + (f" ({r.detail})" if r.detail else "")
        for r in report.problems[:limit]
    ]
    lines.extend(
        f"unexpected batch {r.uploadcode_id}: {r.code_num} codes, upload_type {r.upload_type}"
        for r in report.unexpected[:limit]
    )
    return lines
