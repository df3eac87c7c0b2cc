"""``idcode register-units``: register units from a CSV/JSONL file with 309, exactly once.

Ctrl-C (or SIGTERM) once: no new submission starts; the request in flight finishes, its
outcome is journaled, and the command exits 130 with the command that resumes.  Twice: the
request in flight is abandoned and journaled ``unknown`` (the next run settles it with 307).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import anyio
import attrs
import click

from .._env import ENV_TOKEN
from ..domain.regions import RegionDirectory
from ..registration import (
    DEFAULT_MAX_INTERVAL,
    DEFAULT_MIN_INTERVAL,
    BatchAbortedError,
    BatchSummary,
    LocalPacer,
    SourceRow,
    read_units,
    register_units,
)
from ..registration.records import FIELDS
from ..registration.runner import DEFAULT_RETRY
from ..registration.validation import check_rows
from ._display import registration_display
from ._exit import EXIT_ABORTED, EXIT_INTERRUPTED, EXIT_OK, EXIT_ROWS, CommandError
from ._inputs import check_input_file, stdin_bytes
from ._options import (
    client_settings,
    count_option,
    require_credentials,
    run_options,
    seconds_option,
)
from ._results import ResultsOut, check_out_path
from ._runtime import Output, interruptible, resume_command, watch_signals
from ._scale import register_distributed
from ._settings import RedisSettings, RegisterSettings, copied, redis_settings

__all__ = ["Finding", "RegisterSettings", "register_units_command", "run_register_units"]


@attrs.frozen
class Finding:
    """A row that will not be sent: its number, the field at fault (if one) and why."""

    row: int
    field: str | None
    reason: str


@click.command(
    "register-units",
    short_help="register units from a CSV/JSONL file with 309: paced, resumable, exactly once",
)
@click.argument("input", metavar="INPUT")
@click.option("--journal", help="SQLite journal file, created if new (not needed by --dry-run)")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="results file, .jsonl or .csv (rewritten by every run)",
)
@click.option(
    "--encoding",
    default="auto",
    show_default=True,
    help="input encoding; auto reads UTF-8 (BOM or not), else GB18030 and says so",
)
@click.option("--strict-columns", is_flag=True, help="refuse columns/keys that are not 309's")
@seconds_option(
    "--min-interval",
    default=DEFAULT_MIN_INTERVAL,
    inclusive=True,
    help="shortest pause between submissions, seconds",
)
@seconds_option(
    "--max-interval",
    default=DEFAULT_MAX_INTERVAL,
    inclusive=True,
    help="longest pause between submissions, seconds",
)
@count_option(
    "--concurrency",
    default=1,
    maximum=100,
    help="submissions at once; 1 unless the centre has allowed more",
)
@count_option(
    "--max-retries",
    default=DEFAULT_RETRY.max_retries,
    minimum=0,
    maximum=100,
    help="further tries per row after busy answers or lost connections",
)
@click.option(
    "--dry-run", is_flag=True, help="check the rows and show the invalid ones; send nothing"
)
@count_option(
    "--show",
    default=20,
    minimum=0,
    help="--dry-run: invalid rows listed before a count of the rest",
)
@click.option("--retry-failed", is_flag=True, help="send rows an earlier run recorded as failed")
@click.option("--no-region-check", is_flag=True, help="do not check regions against 101")
@run_options("the run", named_by="--journal")
@click.pass_context
def register_units_command(ctx: click.Context, /, **options: Any) -> int:
    """Checks every row first (309's rules, regions against 101), then registers the valid
    ones one at a time with a 0.5-1 s pause (309's advice). INPUT is a .csv or .jsonl file
    whose columns/keys are 309's parameter names, or - for standard input. The journal makes
    the run resumable: run the same command again after any interruption."""
    settings = settings_from(options, resume=resume_command(ctx))
    return run_register_units(settings, Output(as_json=options["as_json"]))


def settings_from(options: dict[str, Any], *, resume: str) -> RegisterSettings:
    """Options → settings; credentials are required only when something will be sent."""
    dry_local = options["dry_run"] and options["no_region_check"]
    if not options["journal"] and not options["dry_run"]:
        raise CommandError("--journal is required to register (it makes the run resumable)")
    if options["out"] is not None:
        check_out_path(options["out"], input=options["input"], journal=options["journal"])
    credentials = (
        None if dry_local else require_credentials(options["access_token"], options["auth_code"])
    )
    return RegisterSettings(
        **copied(
            options,
            *("input", "journal", "out", "encoding", "strict_columns", "min_interval"),
            *("max_interval", "concurrency", "max_retries", "dry_run", "show", "retry_failed"),
            "progress",
        ),
        check_regions=not options["no_region_check"],
        client=client_settings(options),
        credentials=credentials,
        redis=redis_settings(options, RedisSettings),
        resume=resume,
    )


def run_register_units(settings: RegisterSettings, output: Output) -> int:
    """Read and check the input, then dry-run, register locally, or share through Redis."""
    rows = read_rows(settings, output)
    if not rows:
        output.notice(f"nothing to do: {_input_name(settings)} has no rows")
        output.summary({"command": "register-units", "total": 0, "exit_code": EXIT_OK})
        return EXIT_OK
    if settings.dry_run:
        return anyio.run(dry_run, settings, rows, output)
    if settings.redis is not None:
        return register_distributed(settings, rows, output)
    return anyio.run(register, settings, rows, output)


def read_rows(settings: RegisterSettings, output: Output) -> list[SourceRow]:
    """The input's rows (a usage error for a file that cannot be read as units)."""
    check_input_file(settings.input)
    source: Any = stdin_bytes("rows") if settings.input == "-" else settings.input
    return list(
        read_units(
            source,
            encoding=settings.encoding,
            strict_columns=settings.strict_columns,
            on_notice=output.notice,
        )
    )


def _input_name(settings: RegisterSettings) -> str:
    return "standard input" if settings.input == "-" else settings.input


def findings(rows: list[SourceRow], regions: RegionDirectory | None) -> tuple[int, list[Finding]]:
    """The number of valid rows and a finding per invalid one (309's rules, regions)."""
    preflight = check_rows(rows, regions)
    found = []
    for invalid in preflight.invalid:
        reason = invalid.message or ""
        first, _, rest = reason.partition(" ")
        if first in FIELDS and rest:
            found.append(Finding(invalid.row, first, rest))
        else:
            found.append(Finding(invalid.row, None, reason))
    return len(preflight.valid), found


async def dry_run(settings: RegisterSettings, rows: list[SourceRow], output: Output) -> int:
    """Check every row and show the invalid ones; no journal is opened, nothing is sent."""
    regions = None
    if settings.check_regions:
        async with settings.client.open(settings.credentials) as client:
            regions = await interruptible(partial(RegionDirectory.load, client))
    valid, found = findings(rows, regions)
    for finding in found[: settings.show]:
        field = f"{finding.field}: " if finding.field else ""
        output.notice(f"row {finding.row}: {field}{finding.reason}")
    if len(found) > settings.show:
        output.notice(f"… and {len(found) - settings.show} more invalid rows")
    regions_note = "" if settings.check_regions else " (regions not checked)"
    output.result(f"dry run: {len(rows)} rows, {valid} valid, {len(found)} invalid{regions_note}")
    code = EXIT_ROWS if found else EXIT_OK
    output.summary(
        {
            "command": "register-units",
            "dry_run": True,
            "total": len(rows),
            "valid": valid,
            "invalid": len(found),
            "findings": [attrs.asdict(f) for f in found],
            "exit_code": code,
        }
    )
    return code


async def register(settings: RegisterSettings, rows: list[SourceRow], output: Output) -> int:
    """The local run: one journal, one pacer, the rows in order; Ctrl-C handled in two steps."""
    assert settings.journal is not None
    stop = anyio.Event()
    display = registration_display(settings.progress)
    writer = ResultsOut(settings.out) if settings.out else None
    summary: BatchSummary | None = None
    aborted: BatchAbortedError | None = None
    try:
        client = settings.client.open(settings.credentials)
        async with client, anyio.create_task_group() as group:
            run_scope = anyio.CancelScope()
            group.start_soon(watch_signals, stop, run_scope, "request")
            with run_scope, display:
                try:
                    summary = await register_units(
                        client,
                        rows,
                        journal=settings.journal,
                        pacer=LocalPacer(
                            settings.min_interval,
                            settings.max_interval,
                            concurrency=settings.concurrency,
                        ),
                        on_progress=display.update,
                        on_outcome=writer.write if writer is not None else None,
                        check_regions=settings.check_regions,
                        retry=attrs.evolve(DEFAULT_RETRY, max_retries=settings.max_retries),
                        retry_failed=settings.retry_failed,
                        stop=stop,
                    )
                except BatchAbortedError as exc:
                    aborted, summary = exc, exc.summary
            group.cancel_scope.cancel()
    finally:
        if writer is not None:
            writer.close()
    if run_scope.cancelled_caught or summary is None:
        return output.interrupted(
            "interrupted: a request in flight was abandoned; the journal marks its row for a "
            "307 check before any resend",
            settings.resume,
        )
    return report(settings, summary, aborted, output)


def report(
    settings: RegisterSettings,
    summary: BatchSummary,
    aborted: BatchAbortedError | None,
    output: Output,
) -> int:
    """The summary line (or JSON object) and the exit code of a finished run."""
    if aborted is not None:
        code = EXIT_ABORTED
    elif summary.interrupted:
        code = EXIT_INTERRUPTED
    else:
        code = EXIT_OK if summary.complete and not summary.invalid else EXIT_ROWS
    # People get no submissions count: one that never reached an unreachable centre is not
    # sent (``--json`` keeps the library's count).
    output.result(summary.describe(sent=False))
    data = attrs.asdict(summary) | {"pending": summary.pending}
    output.summary(
        {
            "command": "register-units",
            **data,
            "journal": settings.journal,
            "results": None if settings.out is None else str(settings.out),
            "exit_code": code,
            "resume": None if code == EXIT_OK else settings.resume,
        }
    )
    if aborted is not None:
        cause = (
            f"check {ENV_TOKEN}"
            if "access token" in aborted.reason
            else "check --base-url and the network"
        )
        raise CommandError(
            f"the run stopped itself: {aborted.reason}",
            code=EXIT_ABORTED,
            hint=f"{cause}, then resume with: {settings.resume}",
        )
    if code == EXIT_INTERRUPTED:
        output.interrupted(f"interrupted: {summary.pending} rows not yet settled", settings.resume)
    return code
