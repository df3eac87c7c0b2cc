"""``register_units``: the batch runner for 309, paced, resumable and exactly-once.

The run has two phases.  *Pre-flight* reads every row, checks it (:mod:`.validation`; regions
against 101, fetched once) and enters the valid ones in the journal; nothing is sent before
every row has been checked.  *Submission* then takes the rows the journal does not mark done,
in input order, and settles each one:

1. A row whose earlier request may have reached the centre (journal ``in_flight`` after a
   crash, or ``unknown`` after a lost answer), or whose unit name an earlier run of the journal
   sent under another row, is first looked up with 307 (:mod:`.reconcile`).  Found: settled,
   without a request.  Not found: it is sent.
2. Sending takes a pacer slot; inside it the intent is journaled (fsynced) and then 309 is
   called with the client's own retries off, so that *every* attempt is paced and decided here.
3. The answer decides (:func:`classify`): success → ``registered``; 10007/10008 → ``existing``
   (main code looked up with 307); busy (-1) or a connection never made → the request had no
   effect, try again after a jittered backoff; an error after which the request may have
   arrived (read timeout, dropped connection, HTML 502, 5xx) → ``unknown``, and back to step 1
   before any resend; any other refusal → ``failed`` with the centre's code and message;
   10001/10002 (the access token itself refused) stop the whole run.

"Exactly once" is therefore: each valid row is settled by at most one successful 309 request,
and a request is only ever repeated when the previous one provably did not create the unit
(the centre said busy, the connection was never made, or 307 does not know the name).

Stopping: set ``stop`` and the run lets the in-flight request finish, journals its outcome, and
returns with ``interrupted=True``; cancelling the run instead journals the in-flight row as
``unknown`` (shielded from the cancellation) before the cancellation propagates.
"""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterable, Callable, Iterable, Iterator
from functools import partial
from typing import Any, Final, TypeVar

import anyio
import attrs

from .._client import IdcodeClient
from .._errors import ApiError, AuthError, IdcodeError
from .._logging import logger, redact
from .._retry import RetryPolicy
from .._spec import Endpoint
from ..domain.regions import RegionDirectory
from ..durable.engine import (
    DEFAULT_RETRY,
    Engine,
    Leave,
    LookUp,
    LookupFailed,
    NotThere,
    Settled,
    write,
)
from ..durable.outcome import ErrorKind
from ..endpoints import UnitRegistResponse
from ..pacing import LocalPacer, Pacer
from .inputs import SourceRow
from .journal import Journal, JournalEntry, RowState, SqliteJournal
from .outcomes import BatchSummary, RowOutcome, Status
from .progress import Progress, ProgressTracker
from .reconcile import Settle, decide, find_unit
from .records import UnitRegistration
from .validation import Preflight, ValidRow, check_rows

__all__ = [
    "DEFAULT_RETRY",
    "EXISTING_CODES",
    "BatchAbortedError",
    "register_units",
]

T = TypeVar("T")


EXISTING_CODES: Final = frozenset({10007, 10008, 10009})
"""Unit name exists (10007, and 10009 elsewhere in the document), user name exists (10008)."""


class BatchAbortedError(IdcodeError):
    """The run stopped itself: the access token was refused, or the centre stayed unreachable.

    ``summary`` counts what was done; every row's journal state is exact, so the same command
    resumes once the cause is fixed.
    """

    def __init__(self, reason: str, summary: BatchSummary) -> None:
        self.reason = reason
        self.summary = summary
        super().__init__(f"batch stopped: {reason}")


RowInput = UnitRegistration | SourceRow


async def register_units(
    client: IdcodeClient,
    rows: Iterable[RowInput] | AsyncIterable[RowInput],
    *,
    journal: Journal | str | os.PathLike[str],
    pacer: Pacer | None = None,
    on_progress: Callable[[Progress], object] | None = None,
    on_outcome: Callable[[RowOutcome], object] | None = None,
    regions: RegionDirectory | None = None,
    check_regions: bool = True,
    workers: int | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
    retry_failed: bool = False,
    dry_run: bool = False,
    stop: anyio.Event | None = None,
    abort_after: int = 5,
    rng: random.Random | None = None,
) -> BatchSummary:
    """Register every valid row with 309, exactly once, paced; return the counts.

    ``rows`` are records, or :class:`SourceRow` values from :func:`read_units_csv` /
    :func:`read_units_jsonl` (which carry row numbers and reading problems); a plain record's
    row number is its position, from 1.  ``journal`` is a :class:`Journal` or the path of a
    SQLite journal (created if missing); running again with the same journal and input
    resumes.  ``pacer`` defaults to a :class:`LocalPacer` with the document's 0.5–1 s pause;
    ``workers`` (default: the pacer's ``concurrency``, else 1) is how many rows are in progress
    at once.  ``on_outcome`` receives every row's :class:`RowOutcome` (invalid rows and rows
    settled by earlier runs included; hand it a results writer's ``write``), ``on_progress`` a
    :class:`Progress` after each.  ``regions`` replaces the 101 lookup; ``check_regions=False``
    skips it.  ``retry`` bounds tries per row and run and sets their backoff.
    ``retry_failed`` sends rows again that an earlier run recorded as ``failed``.  ``dry_run``
    checks everything and sends nothing.  ``abort_after`` consecutive rows that end without an
    answer (busy or unreachable centre) stop the run with :class:`BatchAbortedError`.
    """
    started = anyio.current_time()
    sources = await _collect(rows)
    if check_regions and regions is None:
        regions = await RegionDirectory.load(client)
    preflight = check_rows(sources, regions if check_regions else None)
    logger.info(
        "batch: %d rows, %d valid, %d invalid",
        preflight.total,
        len(preflight.valid),
        len(preflight.invalid),
    )
    owned: SqliteJournal | None = None
    if isinstance(journal, str | os.PathLike):
        if dry_run and not await anyio.Path(journal).exists():
            store: Journal | None = None
        else:
            store = owned = await anyio.to_thread.run_sync(SqliteJournal, journal)
    else:
        store = journal
    try:
        run = RegistrationSession(
            client=client,
            journal=store,
            pacer=pacer if pacer is not None else LocalPacer(),
            preflight=preflight,
            retry=retry,
            rng=rng if rng is not None else random.Random(),
            on_progress=on_progress,
            on_outcome=on_outcome,
            abort_after=abort_after,
            started=started,
        )
        await run.prepare(retry_failed=retry_failed and not dry_run, dry_run=dry_run)
        if not dry_run:
            count = workers if workers is not None else getattr(run.pacer, "concurrency", 1)
            await run.submit_all(max(1, int(count)), stop)
        summary = run.summary(dry_run=dry_run, interrupted=stop is not None and stop.is_set())
        if run.engine.abort_reason is not None:
            raise BatchAbortedError(run.engine.abort_reason, summary)
        return summary
    finally:
        if owned is not None:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(owned.close)


async def _collect(rows: Iterable[RowInput] | AsyncIterable[RowInput]) -> list[SourceRow]:
    items: list[RowInput] = []
    if isinstance(rows, AsyncIterable):
        async for item in rows:
            items.append(item)
    else:
        items.extend(rows)
    return [
        item if isinstance(item, SourceRow) else SourceRow(position, item)
        for position, item in enumerate(items, start=1)
    ]


@attrs.frozen
class _Plan:
    """A valid row still to settle, with what the journal says about its unit name."""

    item: ValidRow
    needs_lookup: bool
    ours: bool


class RegistrationSession:
    """The state of one run: the plans, the counters, and the one journal/pacer/client."""

    def __init__(
        self,
        *,
        client: IdcodeClient,
        journal: Journal | None,
        pacer: Pacer,
        preflight: Preflight,
        retry: RetryPolicy,
        rng: random.Random,
        on_progress: Callable[[Progress], object] | None,
        on_outcome: Callable[[RowOutcome], object] | None,
        abort_after: int,
        started: float,
    ) -> None:
        self.client = client
        self.journal = journal
        self.pacer = pacer
        self.preflight = preflight
        self.engine = Engine(client, self, pacer=pacer, retry=retry, rng=rng, name="batch")
        self.on_progress = on_progress
        self.on_outcome = on_outcome
        self.abort_after = abort_after
        self.started = started
        self.tracker = ProgressTracker(preflight.total, clock=anyio.current_time)
        self.counts: dict[Status, int] = dict.fromkeys(
            ("registered", "existing", "invalid", "failed"), 0
        )
        self.resumed = 0
        self.reconciled = 0
        self.unanswered_streak = 0
        self.plans: list[_Plan] = []

    # -- pre-flight -------------------------------------------------------------------------

    async def prepare(self, *, retry_failed: bool, dry_run: bool) -> None:
        journal = self.journal
        entries: dict[str, JournalEntry] = {}
        if journal is not None:
            await self._write(journal.bind, str(self.client.base_url))
            if retry_failed:
                await self._write(journal.reset_failed)
            if not dry_run:
                await self._write(
                    journal.add_pending,
                    [
                        (
                            v.key,
                            v.row,
                            v.record.organunit_name,
                            v.record.name_key,
                            v.record.login_name,
                        )
                        for v in self.preflight.valid
                    ],
                )
            entries = await anyio.to_thread.run_sync(journal.entries)
        by_name: dict[str, list[JournalEntry]] = {}
        for known in entries.values():
            by_name.setdefault(known.name_key, []).append(known)
        for invalid in self.preflight.invalid:
            record = invalid.record
            self.emit(
                RowOutcome(
                    row=invalid.row,
                    status="invalid",
                    organunit_name=None if record is None else record.organunit_name,
                    login_name=None if record is None else record.login_name,
                    message=invalid.reason,
                    key=None if record is None else record.key,
                )
            )
        for item in self.preflight.valid:
            entry = entries.get(item.key)
            if entry is not None and entry.settled:
                self.resumed += 1
                self.emit(_from_journal(item, entry))
                continue
            same_name = by_name.get(item.record.name_key, [])
            ours = any(e.maybe_sent or e.outcome == "registered" for e in same_name)
            others = [e for e in same_name if e.key != item.key]
            needs_lookup = (entry is not None and entry.maybe_sent) or any(
                e.maybe_sent or e.outcome in ("registered", "existing") for e in others
            )
            self.plans.append(_Plan(item, needs_lookup, ours))
        if not self.preflight.invalid and not self.resumed:
            self.progress()  # the first snapshot, before any outcome

    # -- submission -------------------------------------------------------------------------

    async def submit_all(self, workers: int, stop: anyio.Event | None) -> None:
        queue = iter(self.plans)
        async with anyio.create_task_group() as outer:
            if stop is not None:
                outer.start_soon(self.engine.relay, stop)
            async with anyio.create_task_group() as inner:
                for _ in range(workers):
                    inner.start_soon(self._worker, queue)
            outer.cancel_scope.cancel()

    async def _worker(self, queue: Iterator[_Plan]) -> None:
        for plan in queue:
            if self.engine.halt.is_set():
                return
            outcome = await self.engine.settle(
                plan.item, look_first=plan.needs_lookup, maybe_sent=plan.ours
            )
            if outcome is not None:
                self.emit(outcome)

    # -- the workflow: what 309 adds to the engine --------------------------------------------

    exists_codes: Final = EXISTING_CODES

    @property
    def store(self) -> Journal:
        return self._journal()

    def key(self, item: ValidRow) -> str:
        return item.key

    def spec(self, item: ValidRow) -> Endpoint[UnitRegistResponse]:
        return item.spec

    async def look_up(self, item: ValidRow, *, maybe_sent: bool) -> LookUp[RowOutcome]:
        """307 by unit name (:mod:`.reconcile`): settled, or safe to send."""
        try:
            unit = await find_unit(self.client, item.record.organunit_name)
        except AuthError as exc:
            self.engine.abort(f"the access token was refused ({exc.code}: {exc.message})")
            return Leave()
        except IdcodeError as exc:
            return LookupFailed(exc)
        decision = decide(unit, ours=maybe_sent)
        if isinstance(decision, Settle):
            self.reconciled += 1
            return Settled(
                await self._finish(
                    item,
                    decision.status,
                    organunit_idcode=decision.organunit_idcode,
                    message=decision.message,
                    reconciled=True,
                )
            )
        return NotThere()

    async def accepted(self, item: ValidRow, answer: UnitRegistResponse) -> RowOutcome:
        idcode = answer.organunit_idcode or None
        message = None
        if idcode is None:
            # 309 returns an empty main code when the unit is not activated; 307 may know it.
            idcode, note = await self._main_code(item)
            message = f"309 returned no main code{note}"
        return await self._finish(
            item,
            "registered",
            organunit_idcode=idcode,
            login_name=answer.login_name or None,
            message=message,
        )

    async def refused(
        self, item: ValidRow, error: ApiError, kind: ErrorKind, *, maybe_sent: bool
    ) -> RowOutcome:
        if kind is ErrorKind.EXISTS:
            return await self._existing(item, error, ours=maybe_sent)
        return await self._finish(
            item, "failed", code=error.code, message=error.message or redact(str(error))
        )

    async def exhausted(
        self, item: ValidRow, error: IdcodeError, *, lost: bool, tries: int
    ) -> RowOutcome:
        return self._unanswered(item, error, lost=lost)

    async def _existing(self, item: ValidRow, error: ApiError, *, ours: bool) -> RowOutcome:
        """10007/10008: nothing was created now; the unit's main code is looked up with 307.

        After an earlier request of ours whose answer was lost (``ours``), the name existing
        means that request most likely created it (307 had not shown it yet): the row is
        ``registered``, marked reconciled, and the message says why.
        """
        idcode, note = await self._main_code(item)
        if ours:
            return await self._finish(
                item,
                "registered",
                organunit_idcode=idcode,
                message=f"{error.code} after a lost answer: the earlier request created it{note}",
                reconciled=True,
            )
        return await self._finish(
            item,
            "existing",
            organunit_idcode=idcode,
            code=error.code,
            message=f"{error.message or 'already registered'}{note}",
        )

    async def _main_code(self, item: ValidRow) -> tuple[str | None, str]:
        """The unit's main code by a best-effort 307 lookup, and a note on how it went.

        Only information: whatever 307 answers, the row's outcome stays what 309 said.
        """
        try:
            unit = await find_unit(self.client, item.record.organunit_name)
        except IdcodeError as exc:
            logger.warning("batch: row %d: 307 lookup failed: %s", item.row, exc)
            return None, f"; the 307 lookup of its main code failed ({redact(str(exc))})"
        if unit is None or not unit.organunit_oid:
            return None, "; 307 did not find the unit name"
        return unit.organunit_oid, "; main code from 307"

    async def _finish(
        self,
        item: ValidRow,
        status: Status,
        *,
        organunit_idcode: str | None = None,
        login_name: str | None = None,
        code: int | None = None,
        message: str | None = None,
        reconciled: bool = False,
    ) -> RowOutcome:
        with anyio.CancelScope(shield=True):
            await self._write(
                partial(
                    self._journal().finish,
                    item.key,
                    status,
                    organunit_idcode=organunit_idcode,
                    login_name=login_name,
                    code=code,
                    message=message,
                    reconciled=reconciled,
                )
            )
            entry = await anyio.to_thread.run_sync(self._entry, item.key)
        self.unanswered_streak = 0
        return _from_journal(item, entry, resumed=False)

    def _entry(self, key: str) -> JournalEntry:
        found = self._journal().entry(key)
        if found is None:  # pragma: no cover - finish() just wrote it
            raise RuntimeError(f"journal lost row {key}")
        return found

    def _unanswered(self, item: ValidRow, error: IdcodeError, *, lost: bool) -> RowOutcome:
        """A row that ran out of tries without an answer; the next run picks it up again."""
        self.unanswered_streak += 1
        if self.unanswered_streak >= self.abort_after:
            self.engine.abort(
                f"{self.unanswered_streak} rows in a row got no usable answer ({error})"
            )
        then = (
            "the request may have arrived: the next run settles it with 307 first"
            if lost
            else "nothing was registered: the next run sends it again"
        )
        return RowOutcome(
            row=item.row,
            status="failed",
            organunit_name=item.record.organunit_name,
            login_name=item.record.login_name,
            code=error.code if isinstance(error, ApiError) else None,
            message=f"{redact(str(error))}; {then}",
            key=item.key,
        )

    # -- bookkeeping ------------------------------------------------------------------------

    def _journal(self) -> Journal:
        if self.journal is None:  # pragma: no cover - only a dry run has no journal
            raise RuntimeError("no journal")
        return self.journal

    async def _write(self, func: Callable[..., T], *args: Any) -> T:
        return await write(func, *args)

    def emit(self, outcome: RowOutcome) -> None:
        self.counts[outcome.status] += 1
        self.tracker.record(outcome)
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        self.progress()

    def progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.tracker.snapshot())

    def summary(self, *, dry_run: bool, interrupted: bool) -> BatchSummary:
        pending = self.preflight.total - sum(self.counts.values())
        return BatchSummary(
            total=self.preflight.total,
            registered=self.counts["registered"],
            existing=self.counts["existing"],
            invalid=self.counts["invalid"],
            failed=self.counts["failed"],
            pending=pending,
            resumed=self.resumed,
            submissions=self.engine.sent,
            reconciled=self.reconciled,
            elapsed=anyio.current_time() - self.started,
            interrupted=interrupted and pending > 0,
            dry_run=dry_run,
        )


def _from_journal(item: ValidRow, entry: JournalEntry, *, resumed: bool = True) -> RowOutcome:
    if entry.outcome is None or entry.state is not RowState.DONE:  # pragma: no cover
        raise RuntimeError(f"row {item.row} has no outcome in the journal")
    return RowOutcome(
        row=item.row,
        status=entry.outcome,
        organunit_name=entry.organunit_name,
        login_name=entry.login_name,
        organunit_idcode=entry.organunit_idcode,
        code=entry.code,
        message=entry.message,
        attempts=entry.attempts,
        reconciled=entry.reconciled,
        resumed=resumed,
        key=entry.key,
    )
