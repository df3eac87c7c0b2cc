"""Turn a stream of codes into the fewest 5011–5014 requests (seed §十), in bounded memory.

``plan_upload`` takes a path or any iterable of str (:mod:`.codes_input`) and is synchronous:
planning is CPU work plus local file I/O, and a function that needs no event loop can be used
from scripts, threads and tests alike.  Async iterables need an event loop to be read, so
:func:`plan_upload_async` takes those (and everything ``plan_upload`` takes): it reads the
async iterable on the loop in batches and plans each batch in a worker thread (anyio, so
asyncio and trio both work), keeping the loop responsive.

The pipeline, one code at a time, nothing held per code but a hash: strip and check the code
(:mod:`.rules`), split it into series and number (:mod:`.numbering`), merge it into runs
(:mod:`.ranges`) or write it to the remainder (:mod:`.spool`), with repeats found exactly by
the runs or by hash (:mod:`.dedupe`); at the end, settle the runs, confirm suspected repeats
exactly, and send the remainder as 5012 lists or 5011 files.

Determinism: the same input and options give the same requests in the same order with the same
chunk boundaries (no randomised hashing, no dependence on timing or batch sizes).
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import AsyncIterable, Iterable

import anyio.to_thread

from .._errors import UsageError
from .codes_input import AsyncCodeSource, CodeSource, open_source, strip_marks
from .dedupe import MEMORY_BITS, HashSet64, SuspectLog, code_hash
from .numbering import split_code
from .options import PlanOptions
from .plan import (
    CodeFile,
    CodeList,
    DuplicateCode,
    DuplicateReport,
    RejectedCode,
    RejectedReport,
    UploadPlan,
    UploadRequest,
)
from .ranges import Outcome, RunTracker
from .rules import RejectReason, check_code
from .spool import RemainderSpool, Workspace, read_chunk

__all__ = ["UploadPlanner", "plan_upload", "plan_upload_async"]

SpoolDir = str | os.PathLike[str] | None

_SUSPECT_BATCH = 200_000  # suspects confirmed per pass over the remainder (bounds memory)
_EXAMPLE_CHARS = 256  # a rejected line is cut to this in reports (it may be a whole file)
_ASYNC_BATCH = 10_000  # codes per thread hop in plan_upload_async


class UploadPlanner:
    """The incremental planner: :meth:`feed` lines as they come, then :meth:`finish`.

    :func:`plan_upload` and :func:`plan_upload_async` drive it; use it directly when codes
    arrive in pieces from elsewhere.  Not thread-safe; one ``feed`` at a time.  Line numbers
    run on across ``feed`` calls.
    """

    def __init__(self, options: PlanOptions | None = None, *, spool_dir: SpoolDir = None) -> None:
        self.options = options = options if options is not None else PlanOptions()
        self._workspace = Workspace(spool_dir)
        self._hashes = HashSet64(lambda: self._workspace.path, MEMORY_BITS)
        self._spool = RemainderSpool(
            self._workspace,
            max_codes=options.max_file_codes,
            max_bytes=options.max_file_bytes,
            newline=options.file_newline,
        )
        self._tracker = RunTracker(
            min_run=options.min_run_length,
            max_open=options.max_open_runs,
            hashes=self._hashes,
            spill=self._spool.write,
        )
        self._suspects = SuspectLog(lambda: self._workspace.path)
        self._lines = 0
        self._blank = 0
        self._duplicates = 0
        self._duplicate_examples: list[DuplicateCode] = []
        self._rejected: Counter[RejectReason] = Counter()
        self._rejected_examples: list[RejectedCode] = []
        self._done = False

    def feed(self, lines: Iterable[object]) -> None:
        """Plan the codes of ``lines`` (str items; surrounding whitespace is ignored)."""
        if self._done:
            raise UsageError("this planner has finished; start a new one")
        max_length = self.options.max_code_length
        max_digits = self.options.max_number_digits
        add = self._tracker.add
        add_hash = self._hashes.add
        spool = self._spool.write
        line = self._lines
        try:
            for raw in lines:
                line += 1
                if not isinstance(raw, str):
                    raise UsageError(f"line {line}: codes must be str, not {type(raw).__name__}")
                code = raw.strip()
                if code and check_code(code, max_length) is not None:
                    code = strip_marks(code)
                    if code and (reason := check_code(code, max_length)) is not None:
                        self._reject(line, code, reason)
                        continue
                if not code:
                    self._blank += 1
                    continue
                parts = split_code(code, max_digits)
                if parts is None:
                    if add_hash(code_hash(code)):
                        self._suspects.add(line, code)
                    else:
                        spool(code)
                    continue
                outcome = add(parts[0], parts[1], parts[2], code)
                if outcome is not Outcome.NEW:
                    if outcome is Outcome.DUPLICATE:
                        self._duplicate(line, code)
                    else:
                        self._suspects.add(line, code)
        finally:
            self._lines = line

    def _reject(self, line: int, code: str, reason: RejectReason) -> None:
        self._rejected[reason] += 1
        if len(self._rejected_examples) < self.options.max_examples:
            self._rejected_examples.append(RejectedCode(line, code[:_EXAMPLE_CHARS], reason))

    def _duplicate(self, line: int, code: str) -> None:
        self._duplicates += 1
        if len(self._duplicate_examples) < self.options.max_examples:
            self._duplicate_examples.append(DuplicateCode(line, code))

    def finish(self) -> UploadPlan:
        """Settle the runs, confirm duplicates, build the plan (which now owns the files)."""
        if self._done:
            raise UsageError("this planner has finished; start a new one")
        self._done = True
        self._tracker.finish()
        self._hashes.close()  # only the runs and the remainder can confirm suspects
        self._confirm_suspects()
        requests: list[UploadRequest] = [*self._tracker.ranges()]
        requests.extend(self._remainder_requests(self._spool.close()))
        if not any(isinstance(r, CodeFile) for r in requests):
            self._workspace.cleanup()  # nothing on disk is needed any more
        return UploadPlan(
            requests=tuple(requests),
            count=sum(r.count for r in requests),
            lines=self._lines,
            blank_lines=self._blank,
            duplicates=DuplicateReport(self._duplicates, tuple(self._duplicate_examples)),
            rejected=RejectedReport(
                self._rejected.total(), tuple(self._rejected_examples), self._rejected
            ),
            options=self.options,
            workspace=self._workspace,
        )

    def abort(self) -> None:
        """Give up: remove every temporary file (safe to call at any time)."""
        self._done = True
        self._hashes.close()
        self._suspects.close()
        self._spool.discard()
        self._workspace.cleanup()

    def _confirm_suspects(self) -> None:
        """Sort hash hits into real duplicates and collisions, by exact comparison.

        A suspect is a duplicate if a range covers it or the remainder holds it; otherwise its
        hash collided with another code's, and its first occurrence is uploaded after all
        (appended to the remainder).  Batches keep memory bounded: each batch is one pass over
        the remainder files.
        """
        max_digits = self.options.max_number_digits
        examples = self._duplicate_examples
        for batch in self._suspects.batches(_SUSPECT_BATCH):
            lines_of: dict[str, list[int]] = {}
            for line, code in batch:
                lines_of.setdefault(code, []).append(line)
            found = {
                code
                for code in lines_of
                if (parts := split_code(code, max_digits)) and self._tracker.covers(*parts)
            }
            unresolved = lines_of.keys() - found
            if unresolved:
                found.update(code for code in self._spool.codes() if code in unresolved)
            confirmed: list[DuplicateCode] = []
            for code, lines in lines_of.items():
                if code not in found:
                    self._spool.write(code)  # a collision: the first occurrence is new
                    lines = lines[1:]
                confirmed.extend(DuplicateCode(line, code) for line in lines)
            self._duplicates += len(confirmed)
            examples.extend(confirmed)
            examples.sort(key=lambda d: d.line)
            del examples[self.options.max_examples :]
        self._suspects.close()

    def _remainder_requests(self, chunks: list[CodeFile]) -> list[UploadRequest]:
        """5012 lists if the remainder fits in ``max_list_requests`` of them, else 5011 files."""
        lists = _pack_lists(chunks, self.options) if self.options.max_list_requests else None
        if lists is None:
            return [*chunks]
        for chunk in chunks:
            chunk.path.unlink()
        return [*lists]


def _pack_lists(chunks: list[CodeFile], options: PlanOptions) -> list[CodeList] | None:
    """The remainder as 5012 lists, each ``code_list_str`` within ``max_list_bytes``; None if
    that takes more than ``max_list_requests`` lists."""
    budget = options.max_list_requests * options.max_list_bytes
    newline = len(options.file_newline)
    # Joined with commas, the codes take their file bytes minus (newline - 1) per separator.
    if sum(c.size - (newline - 1) * (c.count - 1) for c in chunks) > budget:
        return None
    lists: list[CodeList] = []
    current: list[str] = []
    size = 0
    for chunk in chunks:
        for code in read_chunk(chunk.path, options.file_newline):
            extra = len(code) + (1 if current else 0)
            if current and size + extra > options.max_list_bytes:
                lists.append(CodeList(tuple(current)))
                current, size, extra = [], 0, len(code)
            current.append(code)
            size += extra
    if current:
        lists.append(CodeList(tuple(current)))
    return lists if len(lists) <= options.max_list_requests else None


def plan_upload(
    codes: CodeSource, *, options: PlanOptions | None = None, spool_dir: SpoolDir = None
) -> UploadPlan:
    """Plan the upload of ``codes``: a path (``str`` or ``PathLike``) or an iterable of str.

    5011 chunks are written under ``spool_dir`` (default: the system temporary directory) and
    removed by ``plan.close()`` or at the end of a ``with`` block.  On error nothing is left
    behind.  Raises :class:`~idcode_async.UsageError` for an input that is not codes, and
    ``OSError`` for a file that cannot be read.
    """
    planner = UploadPlanner(options, spool_dir=spool_dir)
    try:
        with open_source(codes) as lines:
            planner.feed(lines)
        return planner.finish()
    except BaseException:
        planner.abort()
        raise


async def plan_upload_async(
    codes: AsyncCodeSource, *, options: PlanOptions | None = None, spool_dir: SpoolDir = None
) -> UploadPlan:
    """:func:`plan_upload` off the event loop, which also takes async iterables of str (read
    on the loop, planned in worker threads a batch at a time).  Cancelling removes the files."""
    if not isinstance(codes, AsyncIterable):
        return await anyio.to_thread.run_sync(
            functools.partial(plan_upload, codes, options=options, spool_dir=spool_dir)
        )
    planner = UploadPlanner(options, spool_dir=spool_dir)
    try:
        batch: list[object] = []
        async for item in codes:  # one thread hop per batch, not per code
            batch.append(item)
            if len(batch) >= _ASYNC_BATCH:
                await anyio.to_thread.run_sync(planner.feed, batch)
                batch = []
        await anyio.to_thread.run_sync(planner.feed, batch)
        return await anyio.to_thread.run_sync(planner.finish)
    except BaseException:
        planner.abort()
        raise
