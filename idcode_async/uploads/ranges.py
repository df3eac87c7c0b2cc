"""Runs of consecutive numbers, merged while the codes stream past (5013/5014 ranges).

Each series ``(prefix, width)`` (see :mod:`.numbering`) keeps its live runs in a dict by first
and by (negated) last number, so a code that extends a run at either end, or closes the gap
between two runs, is found in O(1) whatever the order of arrival.  A run holds two integers,
never its codes: ten million consecutive codes cost one object.

Lifecycle of a run:

* **open** (shorter than ``min_run_length``): its codes are also entered in the hash set, since
  a code repeated *inside* an open run cannot be found from the run's ends; a hash hit is a
  *suspect*, which the planner confirms exactly at the end (so repeats pay, nothing else).  At
  most ``max_open_runs`` are open; beyond that the oldest (first created) is *settled*.
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

The two spellings live in separate series and are joined only when ranges are emitted, so
nothing is decided too early at a seam: ``A098``–``A1500`` is 5014 ``A098``–``A999`` plus 5013
``A1000``–``A1500`` (no single request can both pad and change width).

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

from .dedupe import HashSet64, SeenFilter, code_hash
from .numbering import UNPADDED, format_code
from .plan import FixedLengthRange, PrefixRange

__all__ = ["Outcome", "RunTracker"]

Key = tuple[str, int]
_start = attrgetter("start")


class Outcome(enum.IntEnum):
    """What the tracker did with a code."""

    NEW = 0
    DUPLICATE = 1
    """Certainly seen before (in a live run)."""
    SUSPECT = 2
    """Its hash was seen before and no live run's ends or ranges hold it: inside an open run or
    in the remainder, unless the hash collided.  The planner confirms it exactly at the end."""


class NumberRun:
    __slots__ = ("dead", "end", "key", "open", "start")

    def __init__(self, key: Key, number: int) -> None:
        self.key = key
        self.start = number
        self.end = number
        self.open = True
        self.dead = False


class _Series:
    """The live runs of one series, reachable from both ends through one dict.

    ``edges[start]`` and ``edges[-2 - end]`` both name the run: one small dict instead of two,
    which matters when a million random codes each open a series of their own.  Numbers are
    never negative, so end keys (≤ -2) never meet start keys (≥ 0), and the end key of the
    number before 0 (-1) is never present.
    """

    __slots__ = ("edges", "ranges", "spilled")

    def __init__(self, spilled: bool) -> None:
        self.edges: dict[int, NumberRun] = {}
        # The runs that are ranges, sorted by start; None until the first (saves a list for
        # each of the many series that never get one, e.g. random codes).
        self.ranges: list[NumberRun] | None = None
        # Some of this series' codes went to the remainder, or wait in the suspect log.
        self.spilled = spilled

    def link(self, run: NumberRun) -> None:
        self.edges[run.start] = run
        self.edges[-2 - run.end] = run

    def unlink(self, run: NumberRun) -> None:
        del self.edges[run.start]
        del self.edges[-2 - run.end]

    def covers(self, number: int) -> bool:
        """True if one of the series' ranges holds ``number`` (found by bisection)."""
        ranges = self.ranges
        if not ranges:
            return False
        i = bisect.bisect_right(ranges, number, key=_start) - 1
        return i >= 0 and ranges[i].end >= number


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
        self._queue: deque[NumberRun] = deque()  # open runs (and stale entries) by creation
        self._open = 0

    @property
    def open_runs(self) -> int:
        return self._open

    def add(self, prefix: str, width: int, number: int, code: str) -> Outcome:
        """Take one code of series ``(prefix, width)``.

        A live run's ends and the series' ranges answer exactly, without hashing.  Elsewhere
        the hash set decides (a hit is a SUSPECT); a code joining a range is hashed only if its
        series ever spilled or had a suspect, since only then can the remainder or the suspect
        log hold it.  Every path through such a series consults the hash set, so a later copy
        of a suspect is a suspect too and the earliest line stays the one uploaded.
        """
        key = (prefix, width)
        series = self._series.get(key)
        if series is None:
            if self._hashes.add(code_hash(code)):
                self._spilled_keys.add(_filter_key(key))  # the series it may start is marked
                return Outcome.SUSPECT
            # The filter remembers series whose every run was spilled (and then dropped).
            series = self._series[key] = _Series(_filter_key(key) in self._spilled_keys)
            self._open_run(series, NumberRun(key, number))
            return Outcome.NEW

        edges = series.edges
        left = edges.get(-1 - number)  # the run ending at number - 1: key -2 - (number - 1)
        right = edges.get(number + 1)
        if left is None and right is None:
            if number in edges or -2 - number in edges:  # the first or last code of a run
                return Outcome.DUPLICATE
            if series.ranges and series.covers(number):
                return Outcome.DUPLICATE
            if self._hashes.add(code_hash(code)):  # inside an open run, or in the remainder
                series.spilled = True
                return Outcome.SUSPECT
            self._open_run(series, NumberRun(key, number))
            return Outcome.NEW

        # Next to a live run, so in none (live runs are disjoint and never adjacent).
        stays_open = (left is None or left.open) and (right is None or right.open)
        if stays_open or series.spilled:
            h = code_hash(code)
            if self._hashes.add(h) if stays_open else h in self._hashes:
                series.spilled = True
                return Outcome.SUSPECT

        if left is not None and right is not None:
            run = self._merge(series, left, right)
        elif left is not None:
            del edges[-1 - number]
            left.end = number
            edges[-2 - number] = left
            run = left
        else:
            assert right is not None
            del edges[number + 1]
            right.start = number
            edges[number] = right
            run = right
        if run.open and run.end - run.start >= self._min_run - 1:
            self._promote(series, run)
        return Outcome.NEW

    def _open_run(self, series: _Series, run: NumberRun) -> None:
        series.link(run)
        if self._min_run <= 1:
            self._promote(series, run)
            return
        self._queue.append(run)
        self._open += 1
        while self._open > self._max_open:  # evict the oldest open runs
            oldest = self._queue.popleft()
            if oldest.open and not oldest.dead:
                self._settle(oldest)
        if len(self._queue) > 2 * self._open + 1024:
            self._queue = deque(r for r in self._queue if r.open and not r.dead)

    def _merge(self, series: _Series, left: NumberRun, right: NumberRun) -> NumberRun:
        """Join ``left`` and ``right`` through the number between them; ``left`` survives."""
        series.unlink(left)
        series.unlink(right)
        left.end = right.end
        series.link(left)
        right.dead = True
        if right.open:
            self._open -= 1
        else:
            assert series.ranges is not None
            series.ranges.remove(right)
            if left.open:
                self._promote(series, left)
        return left

    def _promote(self, series: _Series, run: NumberRun) -> None:
        if run.open:
            run.open = False
            self._open -= 1
        if series.ranges is None:
            series.ranges = []
        bisect.insort(series.ranges, run, key=_start)

    # A padded run that reaches 0…099 continues as the unpadded run from 100 (same width).

    def _above(self, run: NumberRun) -> NumberRun | None:
        """The unpadded run continuing padded ``run`` at the next power of ten."""
        prefix, width = run.key
        if width == UNPADDED or run.end != 10 ** (width - 1) - 1:
            return None
        series = self._series.get((prefix, UNPADDED))
        return None if series is None else series.edges.get(run.end + 1)

    def _below(self, run: NumberRun) -> NumberRun | None:
        """The padded run that unpadded ``run`` continues (it starts at a power of ten)."""
        prefix, width = run.key
        digits = len(str(run.start))
        if width != UNPADDED or digits < 2 or run.start != 10 ** (digits - 1):
            return None
        series = self._series.get((prefix, digits))
        return None if series is None else series.edges.get(-1 - run.start)

    def _settle(self, run: NumberRun) -> None:
        """Decide an open run: a range (with its continuation) if long enough, else spill."""
        partner = self._above(run) if run.key[1] != UNPADDED else self._below(run)
        total = run.end - run.start + 1
        if partner is not None:
            total += partner.end - partner.start + 1
        if total >= self._min_run:
            for member in (run, partner):
                if member is not None and member.open:
                    self._promote(self._series[member.key], member)
            return
        prefix, width = run.key
        for number in range(run.start, run.end + 1):
            self._spill(format_code(prefix, width, number))
        series = self._series[run.key]
        series.unlink(run)
        run.dead = True
        run.open = False
        self._open -= 1
        if series.edges:
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
        return series is not None and series.covers(number)

    def ranges(self) -> list[PrefixRange | FixedLengthRange]:
        """Every range, after :meth:`finish`, sorted by prefix then first number.

        A padded run joined with its unpadded continuation is one 5014 range while the
        continuation keeps the width (``A001``–``A999``); past it (``A1000``…) the rest is a
        5013 range, since 5014 cannot change width.
        """
        found: list[PrefixRange | FixedLengthRange] = []
        for (prefix, width), series in self._series.items():
            for run in series.ranges or ():
                if width == UNPADDED:
                    if self._below(run) is None:
                        found.append(PrefixRange(prefix, run.start, run.end))
                    continue
                above = self._above(run)
                end = run.end if above is None else above.end
                top = 10**width - 1
                found.append(FixedLengthRange(prefix, run.start, min(end, top), width))
                if end > top:
                    found.append(PrefixRange(prefix, top + 1, end))
        found.sort(key=lambda r: (r.prefix_str, r.start_num, getattr(r, "length", 0)))
        return found
