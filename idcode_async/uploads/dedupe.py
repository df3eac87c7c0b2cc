"""Duplicate detection in bounded memory: compact 64-bit hashes, confirmed exactly.

Which codes need hashing at all is the run tracker's business: codes inside a range are checked
exactly by the range itself (two integers cover millions of codes), so only codes outside
ranges (the remainder and short runs) land here.

Choice, measured on 1,000,000 random 16-character codes (``benchmarks/bench_planner.py``,
one core; memory is the RSS growth):

====================================  ==========  ========
structure                             codes/s     memory
====================================  ==========  ========
``set[str]`` of the codes             4,300,000   108 MiB
SQLite ``:memory:`` primary key         520,000    24 MiB
SQLite temporary file, default cache    350,000     2 MiB
64-bit hashes in ``array('Q')``         965,000    16 MiB
====================================  ==========  ========

The set is fast but keeps every string (~110 bytes a code): too much next to a 150 MB budget
for the uploading process.  SQLite on disk is the only constant-memory option but is almost
three times slower.  **This module's table of 64-bit BLAKE2b hashes** (open addressing, linear
probing, load at most 1/2: 8–16 bytes a code) is the middle: twice SQLite's speed at a sixth of
the set's memory.  Past some tens of millions of codes *outside ranges* a disk-backed set would
be needed; ranges (the normal case for such volumes) never reach this table.

A 64-bit hash can collide (for ten million codes the odds are about 1 in 370,000), and a
collision must never drop a code.  Where the runs can tell exactly (a numbered code whose
series never sent codes to the remainder), a hit only triggers that exact check.  Elsewhere a
hit is a *suspect*: the planner logs it to a :class:`SuspectLog` on disk and, once the stream
ends, confirms every suspect by exact string comparison against what was accepted (ranges and
the remainder files).  A suspect that matches nothing was a collision and is uploaded after
all.  BLAKE2b rather than Python's ``hash()``: the latter changes with every process
(PYTHONHASHSEED), and collisions decide where a code lands in the plan, which must be the same
on every run.
"""

from __future__ import annotations

import hashlib
import zlib
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["HashSet64", "SeenFilter", "SuspectLog", "code_hash"]

_blake2b = hashlib.blake2b


def code_hash(code: str) -> int:
    """A stable, non-zero 64-bit hash of ``code`` (0 marks an empty slot in :class:`HashSet64`)."""
    digest = _blake2b(code.encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return int.from_bytes(digest, "little") or 1


class HashSet64:
    """A set of non-zero 64-bit integers in one flat ``array('Q')`` (linear probing).

    Grows by doubling when half full; the slot is taken from the hash's low bits, which are
    uniform for BLAKE2b output.  There is no removal: the planner never needs it.
    """

    __slots__ = ("_limit", "_mask", "_size", "_table")

    def __init__(self, initial_bits: int = 16) -> None:
        self._table = array("Q", bytes(8 << initial_bits))
        self._mask = (1 << initial_bits) - 1
        self._size = 0
        self._limit = (1 << initial_bits) // 2

    def __len__(self) -> int:
        return self._size

    @property
    def nbytes(self) -> int:
        """Memory held by the table."""
        return len(self._table) * self._table.itemsize

    def __contains__(self, value: int) -> bool:
        table, mask = self._table, self._mask
        slot = value & mask
        while True:
            found = table[slot]
            if found == value:
                return True
            if found == 0:
                return False
            slot = (slot + 1) & mask

    def add(self, value: int) -> bool:
        """Insert ``value`` (non-zero); True if it was already present."""
        table, mask = self._table, self._mask
        slot = value & mask
        while True:
            found = table[slot]
            if found == value:
                return True
            if found == 0:
                break
            slot = (slot + 1) & mask
        table[slot] = value
        self._size += 1
        if self._size > self._limit:
            self._grow()
        return False

    def _grow(self) -> None:
        old = self._table
        size = len(old) * 2
        table = array("Q", bytes(8 * size))
        mask = size - 1
        for value in old:
            if value:
                slot = value & mask
                while table[slot]:
                    slot = (slot + 1) & mask
                table[slot] = value
        self._table, self._mask, self._limit = table, mask, size // 2


class SeenFilter:
    """A one-hash Bloom filter over strings: ``False`` means certainly never added.

    The run tracker records here the keys of runs whose codes went to the remainder, so that a
    code extending a run needs no hash lookup unless its series ever lost codes that way.  A
    false positive only costs one lookup.  CRC-32 keeps it deterministic and cheap.
    """

    __slots__ = ("_bits", "_mask")

    def __init__(self, bits: int = 23) -> None:
        self._bits = bytearray(1 << max(bits - 3, 0))
        self._mask = (1 << bits) - 1

    def _position(self, key: str) -> tuple[int, int]:
        h = zlib.crc32(key.encode("utf-8", "surrogateescape")) & self._mask
        return h >> 3, 1 << (h & 7)

    def add(self, key: str) -> None:
        index, bit = self._position(key)
        self._bits[index] |= bit

    def __contains__(self, key: str) -> bool:
        index, bit = self._position(key)
        return bool(self._bits[index] & bit)


class SuspectLog:
    """Codes whose hash was already seen, kept on disk with their line numbers until confirmed.

    A file, not a list: feeding the same million codes twice makes a million suspects.  Codes
    hold no tab or newline (the rules refuse whitespace), so a line is ``number<TAB>code``.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: IO[str] | None = None
        self.count = 0

    def add(self, line: int, code: str) -> None:
        if self._file is None:
            self._file = open(self._path, "w", encoding="utf-8", errors="surrogateescape")  # noqa: SIM115 - closed in batches()/close()
        self._file.write(f"{line}\t{code}\n")
        self.count += 1

    def batches(self, size: int) -> Iterator[list[tuple[int, str]]]:
        """The suspects in the order they were logged (line order), ``size`` at a time."""
        if self._file is None:
            return
        self._file.close()
        self._file = None
        with open(self._path, encoding="utf-8", errors="surrogateescape") as lines:
            batch: list[tuple[int, str]] = []
            for entry in lines:
                number, _, code = entry.rstrip("\n").partition("\t")
                batch.append((int(number), code))
                if len(batch) >= size:
                    yield batch
                    batch = []
            if batch:
                yield batch

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
