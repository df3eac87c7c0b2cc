"""Runs of consecutive numbers, merged while the codes stream past (5013/5014 ranges).

Each series ``(prefix, width)`` (see :mod:`.numbering`) keeps its live runs in two dicts, by
first and by last number, so a code that extends a run at either end, or closes the gap between
two runs, is found in O(1) whatever the order of arrival.  A run holds two integers, never its
codes: ten million consecutive codes cost one object.

Lifecycle of a run:

* **open** (shorter than ``min_run_length``): its codes are also entered in the hash set, since
  a code repeated *inside* an open run cannot be found from the run's ends.  At most
  ``max_open_runs`` are open; beyond that the oldest (first created) is *settled*.
* **range** (long enough): kept to the end, never hashed again.  A code inside it is a
  duplicate, found exactly by bisection over the series' ranges.
* **settled**: if the run, together with the run that continues it across a power of ten in the
  other spelling (``A001``–``A099`` + ``A100``–``A999``), is long enough, both become ranges;
  otherwise its codes are *spilled*: written to the remainder (5011/5012).  At the end of the
  stream every open run is settled.

Out-of-order input: sorted, reverse-sorted and interleaved series merge fully; so does any
shuffle whose runs complete within the window of ``max_open_runs`` open runs.  A run scattered
wider is spilled piecewise (still correct, only less compact).  The alternative, sorting
everything on disk first, would make the common case (already sorted batches) pay O(n log n)
and a full second pass over the data; the window makes it pay nothing.

Invariants: live runs of one series are disjoint and never adjacent (adjacent runs are merged
at once); every accepted code is in exactly one live run or in the remainder; a range covers
only codes that were accepted.
"""

from __future__ import annotations

import bisect
import enum
from collections import deque
from collections.abc import Callable
from operator import attrgetter

import attrs

from .dedupe import HashSet64, SeenFilter, code_hash
from .numbering import UNPADDED, format_code

__all__ = ["Outcome", "RangeSpec", "RunTracker"]

Key = tuple[str, int]
_start = attrgetter("start")


class Outcome(enum.IntEnum):
    """What the tracker did with a code."""

    NEW = 0
    DUPLICATE = 1
    """Certainly seen before (inside a range)."""
    SUSPECT = 2
    """Its hash was seen before: a duplicate unless the hash collided (confirm exactly)."""


@attrs.frozen
class RangeSpec:
    """One range to send: 5013 when ``length`` is None, else 5014 with that length."""

    prefix: str
    start: int
    end: int
    length: int | None


class _Run:
    __slots__ = ("dead", "end", "key", "open", "start")

    def __init__(self, key: Key, number: int) -> None:
        self.key = key
        self.start = number
        self.end = number
        self.open = True
        self.dead = False

    @property
    def count(self) -> int:
        return self.end - self.start + 1


class _Series:
    __slots__ = ("by_end", "by_start", "ranges", "spilled")

    def __init__(self, spilled: bool) -> None:
        self.by_start: dict[int, _Run] = {}
        self.by_end: dict[int, _Run] = {}
        self.ranges: list[_Run] = []  # sorted by start
        self.spilled = spilled  # some of this series' codes went to the remainder


def _filter_key(key: Key) -> str:
    return f"{key[1]}\x00{key[0]}"


class RunTracker:
    """Feeds on ``(prefix, width, number, code)``; answers NEW, DUPLICATE or SUSPECT.

    ``spill`` receives, in a deterministic order, every code that leaves a run for the
    remainder.  Call :meth:`finish` once the stream ends, then :meth:`ranges`.
    """

    def __init__(
        self,
        *,
        min_run: int,
        max_open: int,
        hashes: HashSet64,
        spill: Callable[[str], None],
    ) -> None:
        self._min_run = min_run
        self._max_open = max_open
        self._hashes = hashes
        self._spill = spill
        self._series: dict[Key, _Series] = {}
        self._spilled_keys = SeenFilter()
        self._queue: deque[_Run] = deque()  # open runs (and stale entries) by creation
        self._open = 0
        self.spilled_runs = 0

    @property
    def open_runs(self) -> int:
        return self._open

    def add(self, prefix: str, width: int, number: int, code: str) -> Outcome:
        key = (prefix, width)
        series = self._series.get(key)
        if series is None:
            # A fresh series: the code can only be in the remainder, and only if the series
            # spilled before (then the filter knows).  It opens a run, so it is hashed anyway.
            if self._hashes.add(code_hash(code)):
                return Outcome.SUSPECT
            series = self._series[key] = _Series(_filter_key(key) in self._spilled_keys)
            self._open_run(series, _Run(key, number))
            return Outcome.NEW

        left = series.by_end.get(number - 1)
        right = series.by_start.get(number + 1)
        if left is None and right is None:
            ranges = series.ranges
            if ranges:
                i = bisect.bisect_right(ranges, number, key=_start) - 1
                if i >= 0 and ranges[i].end >= number:
                    return Outcome.DUPLICATE
            # Inside an open run or in the remainder: both are in the hash set.
            if self._hashes.add(code_hash(code)):
                return Outcome.SUSPECT
            self._open_run(series, _Run(key, number))
            return Outcome.NEW

        # Next to a live run, so in none (live runs are disjoint and never adjacent).
        stays_open = (left is None or left.open) and (right is None or right.open)
        if series.spilled:
            h = code_hash(code)
            if self._hashes.add(h) if stays_open else h in self._hashes:
                return Outcome.SUSPECT
        elif stays_open:
            self._hashes.add(code_hash(code))

        if left is not None and right is not None:
            run = self._merge(series, left, right)
        elif left is not None:
            del series.by_end[left.end]
            left.end = number
            series.by_end[number] = left
            run = left
        else:
            assert right is not None
            del series.by_start[right.start]
            right.start = number
            series.by_start[number] = right
            run = right
        if run.open and run.end - run.start >= self._min_run - 1:
            self._promote(series, run)
        return Outcome.NEW

    def _open_run(self, series: _Series, run: _Run) -> None:
        series.by_start[run.start] = run
        series.by_end[run.end] = run
        if self._min_run <= 1:
            self._promote(series, run)
            return
        self._queue.append(run)
        self._open += 1
        if self._open > self._max_open:
            self._evict()
        elif len(self._queue) > 2 * self._open + 1024:
            self._queue = deque(r for r in self._queue if r.open and not r.dead)

    def _merge(self, series: _Series, left: _Run, right: _Run) -> _Run:
        """Join ``left`` and ``right`` through the number between them; ``left`` survives."""
        del series.by_end[left.end]
        del series.by_start[right.start]
        left.end = right.end
        series.by_end[left.end] = left
        right.dead = True
        if right.open:
            self._open -= 1
        else:
            series.ranges.remove(right)
            if left.open:
                self._promote(series, left)
        return left

    def _promote(self, series: _Series, run: _Run) -> None:
        if run.open:
            run.open = False
            self._open -= 1
        bisect.insort(series.ranges, run, key=_start)

    def _evict(self) -> None:
        while self._open > self._max_open:
            run = self._queue.popleft()
            if run.open and not run.dead:
                self._settle(run)

    # A padded run that reaches 0…099 continues as the unpadded run from 100 (same width).

    def _above(self, run: _Run) -> _Run | None:
        """The unpadded run continuing padded ``run`` at the next power of ten."""
        prefix, width = run.key
        if width == UNPADDED or run.end != 10 ** (width - 1) - 1:
            return None
        series = self._series.get((prefix, UNPADDED))
        return None if series is None else series.by_start.get(run.end + 1)

    def _below(self, run: _Run) -> _Run | None:
        """The padded run that unpadded ``run`` continues (it starts at a power of ten)."""
        prefix, width = run.key
        digits = len(str(run.start))
        if width != UNPADDED or digits < 2 or run.start != 10 ** (digits - 1):
            return None
        series = self._series.get((prefix, digits))
        return None if series is None else series.by_end.get(run.start - 1)

    def _settle(self, run: _Run) -> None:
        """Decide an open run: a range (with its continuation) if long enough, else spill."""
        partner = self._above(run) if run.key[1] != UNPADDED else self._below(run)
        total = run.count + (partner.count if partner is not None else 0)
        if total >= self._min_run:
            for member in (run, partner):
                if member is not None and member.open:
                    self._promote(self._series[member.key], member)
            return
        self._spill_run(run)

    def _spill_run(self, run: _Run) -> None:
        prefix, width = run.key
        for number in range(run.start, run.end + 1):
            self._spill(format_code(prefix, width, number))
        series = self._series[run.key]
        del series.by_start[run.start]
        del series.by_end[run.end]
        run.dead = True
        run.open = False
        self._open -= 1
        self.spilled_runs += 1
        if series.by_start:
            series.spilled = True
        else:
            del self._series[run.key]
            self._spilled_keys.add(_filter_key(run.key))

    def finish(self) -> None:
        """Settle every open run, oldest first (the order spilled codes are written in)."""
        queue, self._queue = self._queue, deque()
        for run in queue:
            if run.open and not run.dead:
                self._settle(run)

    def covers(self, prefix: str, width: int, number: int) -> bool:
        """True if a range holds this code (after :meth:`finish`, every live run is one)."""
        series = self._series.get((prefix, width))
        if series is None or not series.ranges:
            return False
        ranges = series.ranges
        i = bisect.bisect_right(ranges, number, key=_start) - 1
        return i >= 0 and ranges[i].end >= number

    def ranges(self) -> list[RangeSpec]:
        """Every range, after :meth:`finish`, sorted by prefix then first number.

        A padded run joined with its unpadded continuation is one 5014 range while the
        continuation keeps the width (``A001``–``A999``); past it (``A1000``…) the rest is a
        5013 range, since 5014 cannot change width.
        """
        specs: list[RangeSpec] = []
        for (prefix, width), series in self._series.items():
            for run in series.ranges:
                if width == UNPADDED:
                    if self._below(run) is None:
                        specs.append(RangeSpec(prefix, run.start, run.end, None))
                    continue
                above = self._above(run)
                if above is None:
                    specs.append(RangeSpec(prefix, run.start, run.end, width))
                    continue
                top = 10**width - 1
                specs.append(RangeSpec(prefix, run.start, min(above.end, top), width))
                if above.end > top:
                    specs.append(RangeSpec(prefix, top + 1, above.end, None))
        specs.sort(key=lambda s: (s.prefix, s.start, s.length or 0))
        return specs
