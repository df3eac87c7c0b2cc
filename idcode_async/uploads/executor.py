"""``upload_codes``: plan the codes, then send every request once, durably and resumably.

The run, in order:

1. **Manifest**: opened (and locked) first, and bound to the target: centre, unit main code,
   category registration ID, ``version``, ``generate_type`` and the planning options.
2. **Plan**: the codes are streamed into ranges (5013/5014), lists (5012) and TXT chunks
   (5011) spooled to disk.  The manifest adopts the plan; a re-run recognises its own plan by
   the requests' keys and refuses another one once anything was sent.
3. **Baseline**: before the manifest's very first request, the category's existing upload
   batches are listed (502, category from 403 unless given), so that batches appearing later
   can be told apart from older ones if an answer is lost.
4. **Reconcile**: a request an earlier run left ``intent`` or ``unknown`` is looked for on the
   centre (:mod:`.reconcile`) in its turn, before any send: found → accepted without a
   request; absent → sent again; undecidable → left alone, and the run ends with
   :class:`UnresolvedUploadError` after uploading everything else, unless
   ``assume_not_uploaded=True``: the operator's word that it was not uploaded.
5. **Send**, in plan order, one request at a time, on the exactly-once engine
   (:mod:`idcode_async.durable.engine`), whose workflow this module's :class:`UploadSession`
   is: success → ``accepted`` with the ``uploadcode_id`` (version "2.0", the default, so that
   every batch can be checked with 503 later); a lost answer → step 4 before any resend; a
   refusal → ``failed``, and 10003/50003 (unknown unit or registration) stop the run.  No
   answer of 5011–5014 means "already there", so no refusal settles a request as done.

5011 chunks are passed to :class:`~idcode_async.endpoints.UploadCodeFile` as paths: httpx
streams each file in 64 KiB reads, so memory does not grow with the upload (measured in
``benchmarks/bench_upload_memory.py``).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Final, Literal, TypedDict, Unpack

import anyio
import anyio.to_thread
import attrs

from .._client import IdcodeClient
from .._errors import ApiError, IdcodeError, ValidationError
from .._logging import logger, redact
from .._retry import RetryPolicy
from .._spec import Endpoint
from ..durable.engine import (
    DEFAULT_RETRY,
    Engine,
    Job,
    Leave,
    LookUp,
    NotThere,
    Settled,
    opened,
    write,
)
from ..durable.outcome import ErrorKind
from ..durable.store import Settlement, Store
from ..endpoints import (
    UploadCodeFile,
    UploadCodeFixedLength,
    UploadCodeList,
    UploadCodePrefix,
    UploadCodeResponse,
    UploadedCodes,
)
from ..endpoints.codes import GenerateType, Version
from ..pacing import LocalPacer, Pacer
from .codes_input import AsyncCodeSource
from .manifest import (
    EntryState,
    ManifestEntry,
    UploadManifest,
    describe_request,
    request_key,
)
from .options import PlanOptions
from .plan import (
    CodeFile,
    CodeList,
    DuplicateReport,
    FixedLengthRange,
    RejectedReport,
    RequestTally,
    UploadPlan,
    UploadRequest,
)
from .planner import plan_upload_async
from .reconcile import (
    Absent,
    CategoryRef,
    Decision,
    Found,
    Undecidable,
    baseline,
    candidates,
    category_records,
    find_category,
    matches_content,
    remembered_category,
    set_baseline,
)

__all__ = [
    "DEFAULT_GRACE",
    "DEFAULT_RETRY",
    "STOP_CODES",
    "UnresolvedRequest",
    "UnresolvedUploadError",
    "UploadAbortedError",
    "UploadProgress",
    "UploadResult",
    "build_spec",
    "upload_codes",
]

DEFAULT_GRACE: Final = 10.0
"""Seconds after a request's intent before "not on the centre" is believed (see reconcile)."""

STOP_CODES: Final = frozenset({10003, 50003})
"""Refusals that no other request of the run can escape: unknown unit, unknown registration."""

Phase = Literal["planning", "reconciling", "uploading", "done"]
ManifestArg = UploadManifest | str | os.PathLike[str] | None


@attrs.frozen(kw_only=True)
class UploadProgress:
    """A snapshot of an upload, given to ``on_progress`` after each step.

    ``*_done`` count what the centre holds (accepted requests, including those accepted by
    earlier runs of the manifest); ``bytes`` are payload bytes (5011 files, 5012 lists).
    """

    phase: Phase
    requests: int = 0
    requests_done: int = 0
    codes: int = 0
    codes_done: int = 0
    bytes: int = 0
    bytes_done: int = 0
    elapsed: float = 0.0
    current: str | None = None
    """The request being sent, e.g. ``"#3/10 5011 100000 codes"``."""


@attrs.frozen(kw_only=True)
class UploadResult(RequestTally):
    """The outcome of :func:`upload_codes` (also carried by its errors, as far as it got)."""

    requests: tuple[ManifestEntry, ...]
    """Every request of the plan, as the manifest holds it after the run."""
    count: int
    """Distinct accepted codes of the plan (what the requests cover)."""
    lines: int
    blank_lines: int
    duplicates: DuplicateReport
    rejected: RejectedReport
    sent: int
    """Requests this run sent (intents recorded), resends included."""
    resumed: int
    """Requests accepted by earlier runs of the manifest: skipped by this one."""
    reconciled: int
    """Requests this run settled from the centre's records instead of an answer."""
    elapsed: float
    plan_seconds: float
    interrupted: bool = False

    @property
    def failed(self) -> tuple[ManifestEntry, ...]:
        return tuple(r for r in self.requests if r.state is EntryState.FAILED)

    @property
    def accepted_codes(self) -> int:
        return sum(r.count for r in self.requests if r.state is EntryState.ACCEPTED)

    @property
    def complete(self) -> bool:
        """Every request of the plan is accepted."""
        return all(r.state is EntryState.ACCEPTED for r in self.requests)

    def describe(self, *, stopped: bool = False) -> str:
        """One line for people; a ``stopped`` run does not count what it sent (not all of it
        may have been delivered)."""
        states = {s: sum(r.state is s for r in self.requests) for s in EntryState}
        endpoints = ", ".join(f"{e}×{n}" for e, (n, _) in sorted(self.by_endpoint().items()))
        unresolved = states[EntryState.INTENT] + states[EntryState.UNKNOWN]
        text = (
            f"{self.count} codes in {len(self.requests)} requests ({endpoints or 'none'}): "
            f"{states[EntryState.ACCEPTED]} accepted ({self.resumed} by earlier runs, "
            f"{self.reconciled} reconciled), {states[EntryState.FAILED]} refused, "
            f"{states[EntryState.PENDING]} not yet sent, {unresolved} unresolved"
        )
        if not stopped:
            text += f"; {self.sent} sent by this run"
        return f"{text}; {self.duplicates.count} duplicate and {self.rejected.count} rejected lines"


class UploadAbortedError(IdcodeError):
    """The run stopped before every request was settled; the manifest is consistent.

    ``result`` is what was done; running again with the same manifest resumes.
    """

    def __init__(self, reason: str, result: UploadResult) -> None:
        self.reason = reason
        self.result = result
        super().__init__(f"upload stopped: {reason}")


@attrs.frozen
class UnresolvedRequest:
    """A request that may have reached the centre and could not be settled."""

    entry: ManifestEntry
    reason: str

    def check(self) -> str:
        """What the operator should look for on the centre; the remedy is the caller's to word
        (:meth:`advice` in API terms, the CLI in its options)."""
        e = self.entry
        what = f"#{e.seq} ({e.endpoint}, {e.count} codes, {e.first_code} … {e.last_code}"
        if e.sha256:
            what += f", sha256 {e.sha256[:16]}…"
        return (
            f"request {what}) may have reached the centre: {self.reason}. Check the "
            f"category's upload batches (502, or the centre's console) for one of "
            f"{e.count} codes starting with {e.first_code} created after the run"
        )

    def advice(self) -> str:
        """What the operator should check and do, in one paragraph, in :func:`upload_codes`'s
        terms."""
        return (
            f"{self.check()}: if there is one, run again once 502/505 answer (or pass "
            "category=CategoryRef(…) with the category code and model number code) so that it "
            "is matched; if there is none, run again with assume_not_uploaded=True to send it."
        )


class UnresolvedUploadError(UploadAbortedError):
    """Some requests may have reached the centre and their fate could not be decided.

    Everything else was uploaded.  ``unresolved`` lists them with :meth:`advice`.
    """

    def __init__(
        self, unresolved: Sequence[UnresolvedRequest], result: UploadResult, reason: str = ""
    ) -> None:
        self.unresolved = tuple(unresolved)
        text = f"{len(self.unresolved)} request(s) may have been uploaded and could not be settled"
        super().__init__(f"{reason}; {text}" if reason else text, result)


class _Target(TypedDict):
    company_idcode: str
    category_reg_id: str
    generate_type: GenerateType | None
    version: Version | None


def build_spec(request: UploadRequest, **target: Unpack[_Target]) -> Endpoint[UploadCodeResponse]:
    """The 5011–5014 spec of a plan request (5011 gets the chunk's path: streamed)."""
    if isinstance(request, CodeFile):
        return UploadCodeFile(code_file=request.path, **target)
    if isinstance(request, CodeList):
        return UploadCodeList(code_list_str=request.code_list_str, **target)
    spec = UploadCodeFixedLength if isinstance(request, FixedLengthRange) else UploadCodePrefix
    numbers = attrs.asdict(request) | {"prefix_str": request.prefix_str or None}
    return spec(**numbers, **target)  # a range's fields are its endpoint's parameters


async def upload_codes(
    client: IdcodeClient,
    company_idcode: str,
    category_reg_id: str,
    codes: AsyncCodeSource,
    *,
    manifest: ManifestArg = None,
    options: PlanOptions | None = None,
    generate_type: GenerateType | None = None,
    version: Version | None = "2.0",
    on_progress: Callable[[UploadProgress], object] | None = None,
    category: CategoryRef | None = None,
    assume_not_uploaded: bool = False,
    retry_failed: bool = False,
    reconcile_grace: float = DEFAULT_GRACE,
    retry: RetryPolicy = DEFAULT_RETRY,
    spool_dir: str | os.PathLike[str] | None = None,
    stop: anyio.Event | None = None,
    rng: random.Random | None = None,
) -> UploadResult:
    """Upload ``codes`` to the category ``category_reg_id`` of unit ``company_idcode``.

    ``codes``: a path to a text file (one code a line), an iterable or an async iterable of
    str, streamed.  ``manifest``: a path (SQLite, created if missing; the same path resumes),
    an :class:`UploadManifest`, or ``None`` (in memory: no crash safety).  With a path, 5011
    chunks are spooled to ``<manifest>.spool/`` (leftovers of a killed run are removed there);
    else to ``spool_dir`` or the system temporary directory.  ``options`` shape the plan
    (minimum run, chunk size …) and must stay the same across runs of a manifest.
    ``generate_type``/``version`` are sent as given (``version="2.0"`` so that every batch has
    an ID to verify).  ``category`` gives 502's category code and model number code for
    reconciliation (default: looked up with 403).  ``assume_not_uploaded`` sends requests
    that may have arrived but could not be settled; ``retry_failed`` sends refused ones again.
    ``reconcile_grace``: seconds a batch may take to appear in 502 after its request.
    ``stop``: once set, no new request starts; the run returns with ``interrupted``.

    Raises :class:`UploadAbortedError` (unit/registration/key refused, centre unreachable) or
    :class:`UnresolvedUploadError`; both carry the :class:`UploadResult` so far.
    """
    for name, value in (("company_idcode", company_idcode), ("category_reg_id", category_reg_id)):
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(name, "is required and must not be blank")
    options = options if options is not None else PlanOptions()
    started = anyio.current_time()
    async with opened(manifest, UploadManifest) as store:
        spool: str | os.PathLike[str] | None = spool_dir
        if spool is None and isinstance(manifest, str | os.PathLike):
            spool = Path(f"{os.fspath(manifest)}.spool")
            await anyio.to_thread.run_sync(_clear_spool, spool)
        try:
            await write(
                store.bind,
                {
                    "base_url": str(client.base_url),
                    "company_idcode": company_idcode,
                    "category_reg_id": category_reg_id,
                    "version": version or "(not sent)",
                    "generate_type": generate_type or "(not sent)",
                    # What shapes the plan; ``max_examples`` only shapes the reports.
                    "options": json.dumps(
                        attrs.asdict(options, filter=lambda a, _: a.name != "max_examples"),
                        sort_keys=True,
                        separators=(",", ":"),
                    ),
                },
            )
            if on_progress is not None:
                on_progress(UploadProgress(phase="planning"))
            with await plan_upload_async(codes, options=options, spool_dir=spool) as plan:
                plan_seconds = anyio.current_time() - started
                records = [describe_request(r, seq) for seq, r in enumerate(plan.requests, 1)]
                await write(store.adopt_plan, records)
                run = UploadSession(
                    client=client,
                    store=store,
                    plan=plan,
                    company_idcode=company_idcode,
                    category_reg_id=category_reg_id,
                    generate_type=generate_type,
                    version=version,
                    category=category,
                    assume_not_uploaded=assume_not_uploaded,
                    grace=reconcile_grace,
                    retry=retry,
                    rng=rng or random.Random(),
                    on_progress=on_progress,
                    started=started,
                )
                await run.prepare(retry_failed=retry_failed)
                await run.take_baseline()
                await run.send_all(stop)
                interrupted = stop is not None and stop.is_set()
                result = await run.result(plan_seconds, interrupted=interrupted)
        finally:
            if spool is not None and spool_dir is None:
                # While the lock is held: the next run may be creating it again.
                with contextlib.suppress(OSError):
                    os.rmdir(spool)
    reason = run.engine.abort_reason
    if run.unresolved:
        raise UnresolvedUploadError(run.unresolved, result, reason or "")
    if reason is not None:
        raise UploadAbortedError(reason, result)
    return result


def _clear_spool(spool: Path) -> None:
    """Create ``<manifest>.spool`` and remove what a killed run left there.

    Safe because the manifest's lock is held: no other run can be using this directory.
    """
    spool.mkdir(exist_ok=True)
    for child in spool.glob("idcode-plan-*"):
        shutil.rmtree(child, ignore_errors=True)


@attrs.define(kw_only=True, eq=False)
class UploadSession:
    """One upload's sending and settling against a manifest (SQLite or, for workers, Redis).

    :func:`upload_codes` drives it over a whole plan; a scale-out worker drives it request by
    request as it claims them, so both share the same exactly-once decisions.  ``plan`` is the
    whole plan (one process); a shared-run worker passes none and fills ``requests`` with the
    requests it claims.  ``pacer``: around every attempt (default: one at a time, no pause).
    """

    client: IdcodeClient
    store: Store[ManifestEntry]
    company_idcode: str
    category_reg_id: str
    generate_type: GenerateType | None
    version: Version | None
    plan: UploadPlan | None = None
    given_category: CategoryRef | None = attrs.field(default=None, alias="category")
    assume_not_uploaded: bool = False
    grace: float = DEFAULT_GRACE
    retry: RetryPolicy = DEFAULT_RETRY
    rng: random.Random = attrs.Factory(random.Random)
    on_progress: Callable[[UploadProgress], object] | None = None
    started: float = attrs.Factory(anyio.current_time)
    requests: dict[str, UploadRequest] = attrs.field(factory=dict)
    pacer: Pacer | None = None
    engine: Engine[ManifestEntry, UploadCodeResponse, EntryState] = attrs.field(init=False)
    category: CategoryRef | None = attrs.field(init=False, default=None)
    category_problem: str | None = attrs.field(init=False, default=None)
    resumed: int = attrs.field(init=False, default=0)
    reconciled: int = attrs.field(init=False, default=0)
    unresolved: list[UnresolvedRequest] = attrs.field(init=False, factory=list)
    progress: UploadProgress = attrs.field(init=False, default=UploadProgress(phase="planning"))

    def __attrs_post_init__(self) -> None:
        self.requests.update((request_key(r), r) for r in (self.plan.requests if self.plan else ()))
        pacer = self.pacer or LocalPacer(0.0, 0.0)  # 309's pause is 309's
        self.engine = Engine(
            self.client, self, pacer=pacer, retry=self.retry, rng=self.rng, name="upload"
        )

    async def _entries(self) -> Sequence[ManifestEntry]:
        return await anyio.to_thread.run_sync(self.store.entries)

    def _report(self, **changes: Any) -> None:
        """Update the progress snapshot and give it to ``on_progress``."""
        elapsed = anyio.current_time() - self.started
        self.progress = attrs.evolve(self.progress, elapsed=elapsed, **changes)
        if self.on_progress is not None:
            self.on_progress(self.progress)

    def _done(self, *entries: ManifestEntry, **changes: Any) -> None:
        """Count ``entries`` as accepted in the progress snapshot, and report it."""
        now = self.progress
        self._report(
            requests_done=now.requests_done + len(entries),
            codes_done=now.codes_done + sum(e.count for e in entries),
            bytes_done=now.bytes_done + sum(e.size for e in entries),
            **changes,
        )

    # -- before sending ---------------------------------------------------------------------

    async def prepare(self, *, retry_failed: bool) -> None:
        """Count the manifest's requests (its plan adopted), those earlier runs settled."""
        if retry_failed:
            await write(self.store.reset_failed)
        entries = await self._entries()
        accepted = [e for e in entries if e.accepted]
        self.resumed = len(accepted)
        codes, size = sum(e.count for e in entries), sum(e.size for e in entries)
        self._done(*accepted, phase="uploading", requests=len(entries), codes=codes, bytes=size)

    async def _category(self) -> CategoryRef | None:
        """502's category: given (checked against 403), remembered by the manifest, or 403's.

        A category given by the caller that 403 contradicts is refused: 502 would list another
        category's batches, and every request would look absent.
        """
        given = self.given_category
        if self.category is None and given is None:
            self.category = await anyio.to_thread.run_sync(remembered_category, self.store)
        if self.category is not None:
            return self.category
        problem = (
            "403 does not give the category code and model number code of this registration, "
            "which 502 needs"
        )
        try:
            found = await find_category(self.client, self.company_idcode, self.category_reg_id)
        except IdcodeError as exc:
            found, problem = None, f"403 failed ({redact(str(exc))})"
        if given is None:
            if found is None:
                self.category_problem = problem
                return None
            resolved = found
        elif found is not None and not given.agrees_with(found):
            self.category_problem = (
                f"the category given ({given.idcode_of_category} / {given.model_number_code}) "
                f"is not the registration's according to 403 ({found.idcode_of_category} / "
                f"{found.model_number_code})"
            )
            return None
        else:
            complete = given.complete_code or (found.complete_code if found else None)
            resolved = attrs.evolve(given, complete_code=complete)
        await write(self.store.set_fact, "category", attrs.asdict(resolved))
        self.category = resolved
        return resolved

    async def take_baseline(self) -> None:
        """List the category's batches before the manifest's first request (see module doc)."""
        entries = await self._entries()
        if any(e.attempts for e in entries) or not any(
            e.state is EntryState.PENDING for e in entries
        ):
            return
        if await anyio.to_thread.run_sync(baseline, self.store) is not None:
            return
        category = await self._category()
        if category is None:
            logger.warning("upload: no baseline: %s", self.category_problem)
            return
        try:
            records = await category_records(self.client, self.company_idcode, category)
        except IdcodeError as exc:
            logger.warning("upload: no baseline: 502 failed: %s", redact(str(exc)))
            return
        ids = [r.uploadcode_id for r in records if r.uploadcode_id is not None]
        await write(set_baseline, self.store, ids)

    async def _decide(self, entry: ManifestEntry) -> Decision:
        """Look for a maybe-sent ``entry`` among the category's batches (:mod:`.reconcile`,
        steps 1–4): 502 once, 505 once per candidate.

        A batch may take up to ``grace`` seconds after its request to appear in 502: an entry
        found absent that recently is looked for once more when the grace period is over.
        """
        category = await self._category()
        if category is None:
            return Undecidable(f"the centre's records cannot be read: {self.category_problem}")
        request = self.requests.get(entry.key)
        if request is None:
            return Undecidable("the request is not in this run's plan")
        before = await anyio.to_thread.run_sync(baseline, self.store)
        for again in (False, True):
            try:
                records = await category_records(self.client, self.company_idcode, category)
            except IdcodeError as exc:
                return Undecidable(f"502 failed ({redact(str(exc))})")
            claimed = {
                e.uploadcode_id
                for e in await self._entries()
                if e.accepted and e.uploadcode_id is not None
            }  # no batch is given to two requests
            known = claimed | set(before or ())
            if known and not known & {r.uploadcode_id for r in records}:
                return Undecidable(
                    f"502 lists none of the {len(known)} batches known to be in this category "
                    "(the baseline and the accepted requests): the category code or model "
                    "number code used for 502 is not this registration's"
                )
            confirmed: list[str] = []
            for record in candidates(entry, records, baseline=before, claimed=claimed):
                batch = record.uploadcode_id
                assert batch is not None
                read = UploadedCodes(
                    company_idcode=self.company_idcode, uploadcode_id=batch, code_type="1"
                )
                try:
                    codes = (await self.client.call(read)).data
                except IdcodeError as exc:
                    return Undecidable(f"505 could not read batch {batch}: {redact(str(exc))}")
                if matches_content(
                    codes,
                    request,
                    code_num=record.code_num or 0,
                    complete_code=category.complete_code,
                ):
                    confirmed.append(batch)
            if confirmed:
                return Found(confirmed[0], tuple(confirmed[1:]))
            wait = 0.0
            if entry.intent_ms is not None:
                wait = self.grace - (self.store.now_ms() - entry.intent_ms) / 1000
            if again or wait <= 0:
                break
            logger.info("upload: not found yet; looking again in %.1fs", wait)
            await anyio.sleep(wait)
        return Absent()

    # -- sending ----------------------------------------------------------------------------

    async def send_all(self, stop: anyio.Event | None) -> None:
        """Settle the plan's unsettled requests in order (one an earlier run may have sent is
        looked up first: step 4 of the module docstring)."""
        entries = await self._entries()
        unsettled = (e for e in entries if e.state is EntryState.PENDING or e.maybe_sent)
        await self.engine.drain(map(self._job, unsettled), stop=stop)
        self._report(phase="done", current=None)

    async def settle(self, entry: ManifestEntry) -> EntryState | None:
        """Drive one request to ``accepted``/``failed``, or leave it for the next run."""
        job = self._job(entry)
        return await self.engine.settle(entry, look_first=job.look_first, maybe_sent=job.maybe_sent)

    def _job(self, entry: ManifestEntry) -> Job[ManifestEntry]:
        current = f"#{entry.seq}/{self.progress.requests} {entry.endpoint} {entry.count} codes"
        self._report(current=current)
        return Job(entry, look_first=entry.maybe_sent, maybe_sent=entry.maybe_sent)

    # -- the workflow: what 5011–5014 add to the engine ---------------------------------------

    exists_codes: ClassVar = frozenset[int]()
    """No answer of 5011–5014 means "these codes are there already": every refusal fails."""

    def key(self, item: ManifestEntry) -> str:
        return item.key

    def spec(self, item: ManifestEntry) -> Endpoint[UploadCodeResponse]:
        return build_spec(
            self.requests[item.key],
            company_idcode=self.company_idcode,
            category_reg_id=self.category_reg_id,
            generate_type=self.generate_type,
            version=self.version,
        )

    async def look_up(self, item: ManifestEntry, *, maybe_sent: bool) -> LookUp[EntryState]:
        """502/505 (:mod:`.reconcile`), as in step 4 of the module docstring; an undecidable
        request is left for the next run with :class:`UnresolvedRequest`'s advice."""
        self._report(phase="reconciling")
        entry = await anyio.to_thread.run_sync(self.store.entry, item.key)  # its intent_ms now
        assert entry is not None  # the item came from this manifest
        decision = await self._decide(entry)
        self.progress = attrs.evolve(self.progress, phase="uploading")
        if isinstance(decision, Found):
            note = "found on the centre after a lost answer (502/505)"
            if decision.others:
                note += f"; the centre holds these codes also in {', '.join(decision.others)}"
                logger.warning("upload: request #%d: %s", entry.seq, note)
            receipt = decision.uploadcode_id
            done = Settlement(outcome="accepted", receipt=receipt, reconciled=True, message=note)
            await write(self.store.settle, entry.key, done)
            self.reconciled += 1
            self._done(entry)
            return Settled(EntryState.ACCEPTED)
        if isinstance(decision, Absent):
            event = "reconciled-absent"
            note = "not on the centre after a lost answer (502/505): safe to send"
        elif self.assume_not_uploaded:
            event = "assumed-absent"
            note = (
                f"undecidable ({decision.reason}); the operator asserted it was not uploaded "
                "(assume_not_uploaded)"
            )
        else:
            logger.error("upload: request #%d unresolved: %s", entry.seq, decision.reason)
            self.unresolved.append(UnresolvedRequest(entry, decision.reason))
            return Leave()
        await write(self.store.mark_pending, entry.key, note, event=event)
        return NotThere()

    async def accepted(self, item: ManifestEntry, answer: UploadCodeResponse) -> EntryState:
        done = Settlement(outcome="accepted", receipt=answer.uploadcode_id)
        await write(self.store.settle, item.key, done)
        self._done(item)
        return EntryState.ACCEPTED

    async def refused(
        self, item: ManifestEntry, error: ApiError, kind: ErrorKind, *, maybe_sent: bool
    ) -> EntryState:
        refused = Settlement(outcome="failed", code=error.code, message=redact(str(error)))
        await write(self.store.settle, item.key, refused)
        if error.code in STOP_CODES:
            self.engine.abort(f"the centre refused the target ({error.code}: {error.message})")
        return EntryState.FAILED

    async def exhausted(
        self, item: ManifestEntry, error: IdcodeError, *, lost: bool, tries: int
    ) -> None:
        self.engine.abort(
            f"request #{item.seq} got no usable answer in {tries} tries: {redact(str(error))}"
        )

    # -- the result -------------------------------------------------------------------------

    async def result(self, plan_seconds: float, *, interrupted: bool) -> UploadResult:
        with anyio.CancelScope(shield=True):
            entries = await self._entries()
        plan = self.plan
        assert plan is not None, "result() needs the whole plan"
        return UploadResult(
            requests=tuple(entries),
            count=plan.count,
            lines=plan.lines,
            blank_lines=plan.blank_lines,
            duplicates=plan.duplicates,
            rejected=plan.rejected,
            sent=self.engine.sent,
            resumed=self.resumed,
            reconciled=self.reconciled,
            elapsed=anyio.current_time() - self.started,
            plan_seconds=plan_seconds,
            interrupted=interrupted,
        )
