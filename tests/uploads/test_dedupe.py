"""Duplicate detection: the 64-bit hash table, the spill filter and the suspect log."""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idcode_async.uploads.dedupe import HashSet64, SeenFilter, SuspectLog, code_hash


def test_code_hash_is_nonzero_and_distinguishes_codes():
    assert code_hash("A1") != code_hash("A2")
    assert code_hash("A1") > 0


def test_code_hash_is_blake2b_64_so_plans_do_not_change_between_processes():
    # a literal, not a recomputation: a change of hash function must fail here
    assert code_hash("SN00000001") == 13081532741754419338
    digest = hashlib.blake2b(b"SN00000001", digest_size=8).digest()
    assert code_hash("SN00000001") == int.from_bytes(digest, "little")


def test_hashset_add_reports_presence(tmp_path):
    table = HashSet64(lambda: tmp_path, bits=12)
    values = list(range(1, 1000, 7))
    assert [table.add(v) for v in values] == [False] * len(values)
    assert [table.add(v) for v in values] == [True] * len(values)
    assert len(table) == len(values)
    assert all(v in table for v in values)
    assert 2 not in table
    assert table.nbytes == 8 * 2**12
    assert table.spills == 0
    assert list(tmp_path.iterdir()) == []  # no spill, no file


def test_hashset_probes_past_colliding_slots(tmp_path):
    table = HashSet64(lambda: tmp_path, bits=4)
    same_slot = [1 + 16 * k for k in range(6)]  # identical top bits: one home slot
    for value in same_slot:
        table.add(value)
    assert all(v in table for v in same_slot)
    assert 1 + 16 * 7 not in table


def test_seen_filter_has_no_false_negatives():
    seen = SeenFilter(bits=10)
    keys = [f"0\x00P{i}" for i in range(200)]
    for key in keys:
        seen.add(key)
    assert all(key in seen for key in keys)
    assert "never" not in SeenFilter(bits=10)


def test_suspect_log_round_trip_in_batches(tmp_path):
    log = SuspectLog(lambda: tmp_path)
    assert list(log.batches(2)) == []
    assert list(tmp_path.iterdir()) == []  # no suspect, no file
    for line, code in [(3, "A1"), (9, "B"), (12, "A1")]:
        log.add(line, code)
    assert log.count == 3
    assert list(log.batches(2)) == [[(3, "A1"), (9, "B")], [(12, "A1")]]
    log.close()
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=2**64 - 1)), st.integers(1, 5))
def test_a_spilling_hashset_behaves_like_a_set(tmp_path_factory, values, max_bits):
    directory = tmp_path_factory.mktemp("spill")
    table = HashSet64(lambda: directory, bits=max_bits)
    model: set[int] = set()
    for value in values + values[::2]:  # repeats after the table spilled
        assert table.add(value) == (value in model)
        model.add(value)
    assert len(table) == len(model)
    assert all(v in table for v in model)
    table.close()
    assert list(directory.iterdir()) == []


def test_spilled_hashes_are_found_in_every_partition_and_page(tmp_path):
    # 20,000 hashes through a 64-slot table: hundreds of spills, a file of ~40 pages spread
    # over all 1,024 partitions (top 10 bits); every hash must be found again, a miss misses
    rng = random.Random(13)
    values = [rng.getrandbits(64) | 1 for _ in range(20_000)]
    values += [(top << 54) | 1 for top in range(1024)] + [2**64 - 1]  # partition edges
    table = HashSet64(lambda: tmp_path, bits=6)
    assert [table.add(v) for v in values] == [False] * len(values)
    assert table.spills > 300
    assert len(table) == len(values)
    assert all(table.add(v) for v in values)
    assert sum(rng.getrandbits(64) & ~1 in table for _ in range(2000)) == 0  # even: never added
    assert [p.name for p in tmp_path.iterdir()] == [f"hashes-{table.spills}.bin"]
    spilled = (tmp_path / f"hashes-{table.spills}.bin").stat().st_size // 8
    assert len(values) - 32 <= spilled <= len(values)  # the rest is in the 64-slot table
    table.close()
    assert list(tmp_path.iterdir()) == []
    assert len(table) == 0


def test_a_spilling_hashset_holds_its_memory_bound(tmp_path):
    table = HashSet64(lambda: tmp_path, bits=8)
    for value in range(1, 5000):
        table.add(value * 0x9E3779B97F4A7C15 % 2**64 or 1)
    assert len(table._table) == 2**8  # fixed
    assert table.nbytes <= 8 * 2**8 + 2**21 + 8 * (5000 // 512 + 1025)


def test_the_table_fills_half_its_slots_before_it_spills(tmp_path):
    table = HashSet64(lambda: tmp_path, bits=18)
    for value in range(1, 100_001):
        table.add(value * 0x9E3779B97F4A7C15 % 2**64 or 1)
    assert (len(table._table), table.spills, len(table)) == (2**18, 0, 100_000)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(AttributeError):
        table.no_such_slot = 1  # type: ignore[attr-defined]
