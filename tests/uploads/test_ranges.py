"""Runs merged while streaming: order of arrival, the window, the padded/unpadded seam."""

from __future__ import annotations

import random

import pytest

from idcode_async.uploads import ranges
from idcode_async.uploads.dedupe import HashSet64
from idcode_async.uploads.numbering import split_code
from idcode_async.uploads.plan import FixedLengthRange, PrefixRange
from idcode_async.uploads.ranges import Outcome, RunTracker


class Harness:
    def __init__(self, *, min_run=3, max_open=1000):
        self.spilled: list[str] = []
        hashes = HashSet64(lambda: NotImplemented, bits=16)  # never half full here: no spill
        self.tracker = RunTracker(
            min_run=min_run, max_open=max_open, hashes=hashes, spill=self.spilled.append
        )

    def add(self, *codes):
        return [self.tracker.add(*split_code(code, 9), code) for code in codes]

    def finish(self):
        self.tracker.finish()
        return self.tracker.ranges()


def test_sorted_input_is_one_range():
    h = Harness()
    assert set(h.add(*(f"A{i}" for i in range(1, 101)))) == {Outcome.NEW}
    assert h.finish() == [PrefixRange("A", 1, 100)]
    assert h.spilled == []


def test_reverse_sorted_input_is_one_range():
    h = Harness()
    h.add(*(f"A{i:04d}" for i in range(100, 0, -1)))
    assert h.finish() == [FixedLengthRange("A", 1, 100, 4)]


def test_interleaved_prefixes_each_make_a_range():
    h = Harness()
    for i in range(50):
        h.add(f"A{i}", f"B{i:03d}", f"C-{i}")
    assert h.finish() == [
        PrefixRange("A", 0, 49),
        FixedLengthRange("B", 0, 49, 3),
        PrefixRange("C-", 0, 49),
    ]


def test_shuffled_input_within_the_window_merges_fully():
    numbers = list(range(1000))
    random.Random(7).shuffle(numbers)
    h = Harness(min_run=10, max_open=1000)
    h.add(*(f"S{n}" for n in numbers))
    assert h.finish() == [PrefixRange("S", 0, 999)]
    assert h.spilled == []


def test_a_code_closing_a_gap_merges_two_runs():
    h = Harness(min_run=2)
    h.add("A1", "A2", "A4", "A5", "A3")
    assert h.finish() == [PrefixRange("A", 1, 5)]


def test_duplicates_inside_a_range_are_exact():
    h = Harness(min_run=2)
    h.add("A1", "A2", "A3", "A4")
    assert h.add("A2", "A4", "A1") == [Outcome.DUPLICATE] * 3


def test_duplicates_inside_an_open_run_are_suspects():
    h = Harness(min_run=100)
    h.add("A1", "A2", "A3", "A4")
    assert h.add("A1", "A4") == [Outcome.DUPLICATE] * 2  # the ends of the run
    # the interior is not reachable from the ends: a hash hit, confirmed by the planner
    assert h.add("A2", "A3") == [Outcome.SUSPECT] * 2


def test_a_hash_collision_is_a_suspect_and_the_runs_stay_exact(monkeypatch):
    monkeypatch.setattr(ranges, "code_hash", lambda code: 1)  # every code collides
    h = Harness(min_run=100)
    assert h.add("A1", "A3", "B2") == [Outcome.NEW, Outcome.SUSPECT, Outcome.SUSPECT]
    assert h.add("A2", "A1") == [Outcome.SUSPECT, Outcome.DUPLICATE]


def test_short_runs_are_spilled_at_the_end_in_creation_order():
    h = Harness(min_run=3)
    h.add("B7", "A1", "A2", "C1", "C2", "C3")
    assert h.finish() == [PrefixRange("C", 1, 3)]
    assert h.spilled == ["B7", "A1", "A2"]


def test_the_window_spills_the_oldest_open_run():
    h = Harness(min_run=3, max_open=2)
    h.add("A1", "B1", "C1")  # A opened first: spilled when C makes three open runs
    assert h.spilled == ["A1"]
    assert h.tracker.open_runs == 2
    # a code next to a spilled run cannot be known new from the runs: it is hashed
    assert h.add("A1") == [Outcome.SUSPECT]
    assert h.add("A2") == [Outcome.NEW]


def test_min_run_one_makes_every_code_a_range():
    h = Harness(min_run=1)
    h.add("A1", "X9", "A2")
    assert h.finish() == [PrefixRange("A", 1, 2), PrefixRange("X", 9, 9)]


def test_padded_run_continues_into_unpadded_numbers_of_the_same_width():
    h = Harness()
    h.add(*(f"A{i:03d}" for i in range(1, 1000)))
    assert h.finish() == [FixedLengthRange("A", 1, 999, 3)]


def test_padded_run_past_its_width_splits_into_5014_and_5013():
    h = Harness()
    h.add(*(f"A{i:03d}" for i in range(1, 1500)))
    assert h.finish() == [FixedLengthRange("A", 1, 999, 3), PrefixRange("A", 1000, 1499)]


def test_unpadded_run_changes_width_freely():
    h = Harness()
    h.add(*(f"A{i}" for i in range(12345)))
    assert h.finish() == [PrefixRange("A", 0, 12344)]


def test_padded_and_unpadded_spellings_are_different_codes():
    h = Harness(min_run=2)
    h.add("A7", "A8", "A07", "A08")
    assert h.finish() == [PrefixRange("A", 7, 8), FixedLengthRange("A", 7, 8, 2)]


def test_short_padded_piece_is_kept_when_its_continuation_makes_it_long_enough():
    h = Harness(min_run=5)
    h.add("A08", "A09")  # two padded codes, then the unpadded continuation
    h.add("A10", "A11", "A12")
    assert h.finish() == [FixedLengthRange("A", 8, 12, 2)]
    assert h.spilled == []


def test_unpadded_run_not_starting_at_a_power_of_ten_is_not_joined():
    h = Harness(min_run=2)
    h.add("A05", "A06", "A07", "A08", "A09", "A11", "A12")
    assert h.finish() == [FixedLengthRange("A", 5, 9, 2), PrefixRange("A", 11, 12)]


@pytest.mark.parametrize("order", ["sorted", "reversed", "shuffled"])
def test_ranges_cover_exactly_the_codes(order):
    codes = [f"P{i:05d}" for i in range(3000) if i % 997]  # gaps at 0, 997, 1994, 2991
    if order == "reversed":
        codes.reverse()
    elif order == "shuffled":
        random.Random(3).shuffle(codes)
    h = Harness(min_run=2, max_open=10_000)
    h.add(*codes)
    covered = []
    for spec in h.finish():
        assert spec.length == 5
        covered += list(spec.codes())
    assert sorted(covered + h.spilled) == sorted(codes)


def test_a_code_next_to_a_live_run_but_already_spilled_is_a_suspect():
    h = Harness(min_run=10, max_open=2)
    h.add("A1", "A3", "B1")  # B1 makes three open runs: A1 (oldest) is spilled
    assert h.spilled == ["A1"]
    assert h.add("A2") == [Outcome.NEW]  # next to A3; the series spilled, so it was hashed
    assert h.add("A1") == [Outcome.SUSPECT]  # next to A2-A3, and in the remainder


def test_the_queue_of_open_runs_is_compacted_after_merges():
    h = Harness(min_run=10_000, max_open=100_000)
    h.add(*(f"A{n}" for n in range(0, 6000, 2)))  # 3000 open runs
    h.add(*(f"A{n}" for n in range(1, 6000, 2)))  # merged into one
    assert h.tracker.open_runs == 1
    h.add("B1")  # opening a run sweeps the merged-away entries
    assert len(h.tracker._queue) == 2


def test_a_series_that_spilled_entirely_is_remembered_when_it_reopens():
    h = Harness(min_run=10, max_open=1)
    h.add("A1", "B1")  # B1 pushes A1 out: series A has no live run left and is dropped
    assert h.spilled == ["A1"]
    assert h.add("A2") == [Outcome.NEW]  # series A reopens
    assert h.add("A1") == [Outcome.SUSPECT]  # next to A2, but already in the remainder
