"""``register_units``: the 309 workflow on the exactly-once engine, paced and resumable.

*Pre-flight* reads and checks every row (:mod:`.validation`; regions against 101, fetched
once) and enters the valid ones in the journal; nothing is sent before every row has been
checked.  *Submission* hands the rows the journal does not mark done, in input order, to
:class:`~idcode_async.durable.engine.Engine`; what this module adds is 309's workflow:

- *look up first*: a row whose earlier request may have reached the centre (``in_flight``
  after a crash, ``unknown`` after a lost answer), or whose unit name an earlier run sent
  under another row, is looked up with 307 (:func:`find_unit`) before any send;
- *already done*: 10007/10008 → ``existing`` (or ``registered`` after a lost answer of ours),
  main code looked up with 307; any other refusal → ``failed`` with the centre's code;
- *no answer*: a row out of tries is ``failed`` for this run and picked up by the next;
  ``abort_after`` such rows in a row stop the run (the centre is unreachable).

Each valid row is settled by at most one successful 309 request, and a request is repeated
only when the previous one provably did not create the unit (busy, no connection, or 307 does
not know the name).  Why 307 first: a 309 request that may have arrived (read timeout, dropped
connection, a gateway's HTML page, a 5xx) may have created the unit, and a blind second request
would at best be refused with 10007 and at worst register twice under a slightly different
name.  Only a unit whose name equals the row's (white space collapsed) counts as found,
whatever the centre's idea of "exact" is.
"""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterable, Callable, Iterable
from contextlib import nullcontext
from typing import ClassVar, Final

import anyio
import attrs

from .._client import IdcodeClient
from .._errors import ApiError, AuthError, IdcodeError, NotFoundError
from .._logging import logger, redact
from .._retry import RetryPolicy
from .._spec import Endpoint
from ..domain.regions import RegionDirectory
from ..durable.engine import (
    DEFAULT_RETRY,
    Engine,
    Job,
    Leave,
    LookUp,
    LookupFailed,
    NotThere,
    Settled,
    opened,
    write,
)
from ..durable.outcome import ErrorKind
from ..durable.store import Settlement
from ..endpoints import CompanySearch, OrganUnitInfo, UnitRegistResponse
from ..pacing import LocalPacer, Pacer
from .inputs import SourceRow
from .journal import Journal, JournalEntry, SqliteJournal, journal_data
from .outcomes import BatchSummary, Progress, ProgressTracker, RowOutcome
from .records import UnitRegistration, normalise_name
from .validation import Preflight, ValidRow, check_rows

__all__ = [
    "DEFAULT_RETRY",
    "EXISTING_CODES",
    "BatchAbortedError",
    "find_unit",
    "pick_unit",
    "register_units",
]

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
    as many rows are in progress at once as the pacer's ``concurrency`` (else 1).
    ``on_outcome`` receives every row's :class:`RowOutcome` (invalid rows and rows settled by
    earlier runs included; hand it a results writer's ``write``), ``on_progress`` a
    :class:`Progress` after each.  ``regions`` replaces the 101 lookup; ``check_regions=False``
    skips it.  ``retry`` bounds tries per row and run and sets their backoff.
    ``retry_failed`` sends rows again that an earlier run recorded as ``failed``.  ``dry_run``
    checks everything and sends nothing.  ``abort_after`` consecutive rows that end without an
    answer (busy or unreachable centre) stop the run with :class:`BatchAbortedError`.
    """
    started = anyio.current_time()
    sources = await _collect(rows)
    path = journal if isinstance(journal, str | os.PathLike) else None
    no_journal = dry_run and path is not None and not await anyio.Path(path).exists()
    # The journal is opened (locked, its kind checked) before the 101 lookup, so that a journal
    # in use or not ours is refused at once, not after a round trip to the centre.
    store_of_run = nullcontext(None) if no_journal else opened(journal, SqliteJournal)
    async with store_of_run as store:
        if check_regions and regions is None:
            regions = await RegionDirectory.load(client)
        preflight = check_rows(sources, regions if check_regions else None)
        logger.info(
            "batch: %d rows, %d valid, %d invalid",
            preflight.total,
            len(preflight.valid),
            len(preflight.invalid),
        )
        run = RegistrationSession(
            client=client,
            pacer=pacer if pacer is not None else LocalPacer(),
            preflight=preflight,
            retry=retry,
            rng=rng if rng is not None else random.Random(),
            on_progress=on_progress,
            on_outcome=on_outcome,
            abort_after=abort_after,
            started=started,
        )
        await run.prepare(store, retry_failed=retry_failed and not dry_run, dry_run=dry_run)
        if not dry_run:
            workers = int(getattr(run.pacer, "concurrency", 1))
            await run.engine.drain(run.plans, workers=workers, stop=stop, on_outcome=run.emit)
    summary = run.summary(dry_run=dry_run, interrupted=stop is not None and stop.is_set())
    if run.engine.abort_reason is not None:
        raise BatchAbortedError(run.engine.abort_reason, summary)
    return summary


async def _collect(rows: Iterable[RowInput] | AsyncIterable[RowInput]) -> list[SourceRow]:
    items = [item async for item in rows] if isinstance(rows, AsyncIterable) else list(rows)
    return [
        item if isinstance(item, SourceRow) else SourceRow(position, item)
        for position, item in enumerate(items, start=1)
    ]


@attrs.define(kw_only=True, eq=False)
class RegistrationSession:
    """309's workflow for one run: the plans, the counts, and the one journal/pacer/client."""

    client: IdcodeClient
    pacer: Pacer
    preflight: Preflight
    retry: RetryPolicy
    rng: random.Random
    on_progress: Callable[[Progress], object] | None
    on_outcome: Callable[[RowOutcome], object] | None
    abort_after: int
    started: float
    store: Journal = attrs.field(init=False)
    """Unset in a dry run without a journal, which sends nothing."""
    engine: Engine[ValidRow, UnitRegistResponse, RowOutcome] = attrs.field(init=False)
    tracker: ProgressTracker = attrs.field(init=False)
    reconciled: int = attrs.field(init=False, default=0)
    unanswered_streak: int = attrs.field(init=False, default=0)
    plans: list[Job[ValidRow]] = attrs.field(init=False, factory=list)

    exists_codes: ClassVar = EXISTING_CODES

    def __attrs_post_init__(self) -> None:
        self.engine = Engine(
            self.client, self, pacer=self.pacer, retry=self.retry, rng=self.rng, name="batch"
        )
        self.tracker = ProgressTracker(self.preflight.total, clock=anyio.current_time)

    async def prepare(self, journal: Journal | None, *, retry_failed: bool, dry_run: bool) -> None:
        """Enter the valid rows in ``journal``; report what is settled, plan the rest.

        A row is looked up before any send when its own request may have arrived, or when
        another row of the journal with its unit name was sent or settled (``look_first``);
        a unit found then is ours (``maybe_sent``) if a request for that name may have arrived.
        """
        entries: dict[str, JournalEntry] = {}
        if journal is not None:
            self.store = journal
            await write(journal.bind, str(self.client.base_url))
            if retry_failed:
                await write(journal.reset_failed)
            if not dry_run:
                await write(
                    journal.add_pending,
                    [(v.key, v.row, journal_data(v.record)) for v in self.preflight.valid],
                )
            entries = {e.key: e for e in await write(journal.entries)}
        by_name: dict[str, list[JournalEntry]] = {}
        for known in entries.values():
            by_name.setdefault(known.name_key, []).append(known)
        for invalid in self.preflight.invalid:
            self.emit(invalid)
        for item in self.preflight.valid:
            entry = entries.get(item.key)
            if entry is not None and entry.settled:
                self.emit(entry.as_outcome(row=item.row, resumed=True))
                continue
            same_name = by_name.get(item.record.name_key, [])
            ours = any(e.maybe_sent or e.outcome == "registered" for e in same_name)
            others = [e for e in same_name if e.key != item.key]
            look_first = (entry is not None and entry.maybe_sent) or any(
                e.maybe_sent or e.outcome in ("registered", "existing") for e in others
            )
            self.plans.append(Job(item, look_first, ours))
        if not self.preflight.invalid and not self.tracker.resumed:
            self.progress()  # the first snapshot, before any outcome

    # -- the workflow: what 309 adds to the engine --------------------------------------------

    def key(self, item: ValidRow) -> str:
        return item.key

    def spec(self, item: ValidRow) -> Endpoint[UnitRegistResponse]:
        return item.spec

    async def look_up(self, item: ValidRow, *, maybe_sent: bool) -> LookUp[RowOutcome]:
        """307 by unit name (:func:`find_unit`): not there → safe to send; there → settled,
        ``registered`` if a request of ours for the name may have arrived (``maybe_sent``: it
        was us), ``existing`` otherwise; either way with the unit's main code."""
        try:
            unit = await find_unit(self.client, item.record.organunit_name)
        except AuthError as exc:
            self.engine.abort(f"the access token was refused ({exc.code}: {exc.message})")
            return Leave()
        except IdcodeError as exc:
            return LookupFailed(exc)
        if unit is None:
            return NotThere()
        self.reconciled += 1
        message = (
            "the answer was lost; 307 shows the unit was created"
            if maybe_sent
            else "307 shows the unit name is already registered"
        )
        outcome = "registered" if maybe_sent else "existing"
        done = Settlement(
            outcome=outcome, receipt=unit.organunit_oid, message=message, reconciled=True
        )
        return Settled(await self._finish(item, done))

    async def accepted(self, item: ValidRow, answer: UnitRegistResponse) -> RowOutcome:
        idcode = answer.organunit_idcode or None
        message = None
        if idcode is None:
            # 309 returns an empty main code when the unit is not activated; 307 may know it.
            idcode, note = await self._main_code(item)
            message = f"309 returned no main code{note}"
        data = {"login_name": answer.login_name} if answer.login_name else {}
        done = Settlement(outcome="registered", receipt=idcode, data=data, message=message)
        return await self._finish(item, done)

    async def refused(
        self, item: ValidRow, error: ApiError, kind: ErrorKind, *, maybe_sent: bool
    ) -> RowOutcome:
        """10007/10008 (``EXISTS``): nothing was created now; the main code is looked up with
        307.  After a lost answer of ours (``maybe_sent``) the name existing means that request
        most likely created it (307 had not shown it yet): ``registered``, reconciled."""
        if kind is not ErrorKind.EXISTS:
            message = error.message or redact(str(error))
            return await self._finish(
                item, Settlement(outcome="failed", code=error.code, message=message)
            )
        idcode, note = await self._main_code(item)
        if maybe_sent:
            message = f"{error.code} after a lost answer: the earlier request created it{note}"
        else:
            message = f"{error.message or 'already registered'}{note}"
        done = Settlement(
            outcome="registered" if maybe_sent else "existing",
            receipt=idcode,
            code=None if maybe_sent else error.code,
            message=message,
            reconciled=maybe_sent,
        )
        return await self._finish(item, done)

    async def exhausted(
        self, item: ValidRow, error: IdcodeError, *, lost: bool, tries: int
    ) -> RowOutcome:
        """A row that ran out of tries without an answer: ``failed`` for now, and its journal
        state (pending, or maybe sent: 307 first) says what the next run does."""
        why = redact(str(error))
        self.unanswered_streak += 1
        if self.unanswered_streak >= self.abort_after:
            self.engine.abort(
                f"{self.unanswered_streak} rows in a row got no usable answer ({why})"
            )
        entry = await write(self.store.entry, item.key)
        assert entry is not None  # the engine has just recorded how it ended
        code = error.code if isinstance(error, ApiError) else None
        return attrs.evolve(entry.as_outcome(row=item.row, why=why), code=code)

    async def _main_code(self, item: ValidRow) -> tuple[str | None, str]:
        """The unit's main code by a best-effort 307 lookup, and a note on how it went: only
        information, whatever 307 answers the row's outcome stays what 309 said."""
        try:
            unit = await find_unit(self.client, item.record.organunit_name)
        except IdcodeError as exc:
            logger.warning("batch: row %d: 307 lookup failed: %s", item.row, exc)
            return None, f"; the 307 lookup of its main code failed ({redact(str(exc))})"
        if unit is None or not unit.organunit_oid:
            return None, "; 307 did not find the unit name"
        return unit.organunit_oid, "; main code from 307"

    async def _finish(self, item: ValidRow, done: Settlement) -> RowOutcome:
        with anyio.CancelScope(shield=True):
            await write(self.store.settle, item.key, done)
            entry = await write(self.store.entry, item.key)
        assert entry is not None  # just settled
        self.unanswered_streak = 0
        return entry.as_outcome(row=item.row)

    # -- bookkeeping ------------------------------------------------------------------------

    def emit(self, outcome: RowOutcome) -> None:
        self.tracker.record(outcome)
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        self.progress()

    def progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.tracker.snapshot())

    def summary(self, *, dry_run: bool, interrupted: bool) -> BatchSummary:
        last = self.tracker.snapshot()
        return BatchSummary(
            **attrs.asdict(last) | {"elapsed": anyio.current_time() - self.started},
            submissions=self.engine.sent,
            reconciled=self.reconciled,
            interrupted=interrupted and last.remaining > 0,
            dry_run=dry_run,
        )


async def find_unit(client: IdcodeClient, name: str) -> OrganUnitInfo | None:
    """The unit named exactly ``name`` according to 307, or ``None``.

    "No matching data" (10006) is an answer, not an error; any other failure propagates, and
    the row stays unsettled.
    """
    try:
        answer = await client.call(CompanySearch(company_name=name, search_type="1"))
    except NotFoundError:
        return None
    return pick_unit(answer.organunit_list, name)


def pick_unit(units: Iterable[OrganUnitInfo], name: str) -> OrganUnitInfo | None:
    """The unit among 307's answer whose name is ``name``; one with a main code preferred."""
    wanted = normalise_name(name)
    matches = [u for u in units if normalise_name(u.organunit_name or "") == wanted]
    return next((u for u in matches if u.organunit_oid), matches[0] if matches else None)
