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
the set's memory.  The table is capped at :data:`MEMORY_BITS` (2 MiB) and spills to disk
beyond it, so ten million codes *outside ranges* plan in the memory of 130,000, with the same
answers (issue 13: the uploading process stays under 64 MiB).  Ranges (the normal case for
such volumes) never reach it.

A 64-bit hash can collide (for ten million codes the odds are about 1 in 370,000), and a
collision must never drop a code.  So a hit is a *suspect*: the planner logs it to a
:class:`SuspectLog` on disk and, once the stream ends, confirms every suspect by exact string
comparison against what was accepted (ranges and the remainder files).  A suspect that matches
nothing was a collision and is uploaded after all.  BLAKE2b rather than Python's ``hash()``:
the latter changes with every process (PYTHONHASHSEED), and collisions decide where a code
lands in the plan, which must be the same on every run.
"""

from __future__ import annotations

import hashlib
import itertools
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from io import FileIO
from pathlib import Path
from typing import IO

__all__ = ["MEMORY_BITS", "HashSet64", "SeenFilter", "SuspectLog", "code_hash"]

_blake2b = hashlib.blake2b

MEMORY_BITS = 18
"""log2 of the slots of the planner's in-memory table (2 MiB, up to 131,072 hashes before it
spills to disk)."""

_PAGE = 512  # hashes in a disk page: 4 KiB, one read
_PAGE_BYTES = 8 * _PAGE
_PARTITIONS = 1024  # a spill is sorted and merged one partition (top 10 bits) at a time
_PARTITION_SHIFT = 64 - 10
_FILTER_BITS = 24  # the filter over spilled hashes: 2 MiB, ~3 % false hits at 500,000 hashes
_FILTER_MASK = (1 << _FILTER_BITS) - 1
_FILTER_SHIFT = 8  # filter bits come from the low end of the hash (slots use the top bits)
_ZERO_BLOCK = 65536


def code_hash(code: str) -> int:
    """A stable, non-zero 64-bit hash of ``code`` (0 marks an empty slot in :class:`HashSet64`)."""
    digest = _blake2b(code.encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return int.from_bytes(digest, "little") or 1


def _zeros(size: int) -> array[int]:
    """A zeroed ``array('Q')`` built in place (``array('Q', bytes(n))`` briefly holds two)."""
    return array("Q", [0]) * size


class HashSet64:
    """A set of non-zero 64-bit integers: a flat in-memory table, then sorted pages on disk.

    The table has ``2**bits`` slots and uses linear probing; the slot is taken from the hash's
    top bits, which are uniform for BLAKE2b output (and keep the table grouped by value).  When
    the table is half full its hashes are merged into one sorted file in ``spill_dir()`` (a
    private directory, created on demand) and it starts empty again.  A lookup that misses the
    table then asks the disk: a one-bit-per-hash filter answers most misses, the rest cost one
    4 KiB read (a sparse index of each page's first hash names the page).  Answers are exactly
    those of an unbounded table; only memory and speed differ.  There is no removal: the
    planner never needs it.  :meth:`close` removes the file.
    """

    __slots__ = (
        "_bounds",
        "_directory",
        "_disk",
        "_filter",
        "_index",
        "_limit",
        "_mask",
        "_path",
        "_shift",
        "_size",
        "_spilled",
        "_spills",
        "_table",
    )

    def __init__(self, spill_dir: Callable[[], Path], bits: int = MEMORY_BITS) -> None:
        self._table = _zeros(1 << bits)
        self._mask = (1 << bits) - 1
        self._shift = 64 - bits
        self._size = 0
        self._limit = (1 << bits) // 2
        self._directory = spill_dir
        self._disk: FileIO | None = None  # the sorted spill file, unbuffered
        self._path: Path | None = None
        self._spilled = 0
        self._spills = 0
        self._bounds = _zeros(_PARTITIONS + 1)  # partition p: [bounds[p], bounds[p + 1])
        self._index = array("Q")  # the first hash of every page on disk
        self._filter: bytearray | None = None

    def __len__(self) -> int:
        return self._size + self._spilled

    @property
    def nbytes(self) -> int:
        """Memory held: the table, and once spilled the filter and the page index."""
        held = len(self._table) * self._table.itemsize
        if self._filter is not None:
            held += len(self._filter) + len(self._index) * self._index.itemsize
        return held

    @property
    def spills(self) -> int:
        """How many times the table was moved to disk."""
        return self._spills

    def __contains__(self, value: int) -> bool:
        table, mask = self._table, self._mask
        slot = value >> self._shift
        while (found := table[slot]) and found != value:
            slot = (slot + 1) & mask
        return found == value or self._on_disk(value)

    def add(self, value: int) -> bool:
        """Insert ``value`` (non-zero); True if it was already present."""
        table, mask = self._table, self._mask
        slot = value >> self._shift
        while found := table[slot]:
            if found == value:
                return True
            slot = (slot + 1) & mask
        bits = self._filter
        if bits is not None:  # the filter inline: most new hashes stop here
            bit = (value >> _FILTER_SHIFT) & _FILTER_MASK
            if bits[bit >> 3] & (1 << (bit & 7)) and self._on_disk(value):
                return True
        table[slot] = value
        self._size += 1
        if self._size > self._limit:
            self._spill()
        return False

    def _on_disk(self, value: int) -> bool:
        """Exact membership among the spilled hashes."""
        if self._filter is None or self._disk is None:
            return False
        bit = (value >> _FILTER_SHIFT) & _FILTER_MASK
        if not self._filter[bit >> 3] & (1 << (bit & 7)):
            return False
        page = bisect_right(self._index, value) - 1
        if page < 0:
            return False
        self._disk.seek(page * _PAGE_BYTES)
        hashes = array("Q")
        hashes.frombytes(self._disk.read(_PAGE_BYTES))
        i = bisect_left(hashes, value)
        return i < len(hashes) and hashes[i] == value

    def _spill(self) -> None:
        """Merge the table into the sorted file, one partition (top 10 bits) at a time.

        Slots come from the top bits, so the table is already grouped by partition: a
        partition's hashes lie between its first slot and the first empty slot past its last
        (linear probing only moves a hash forward over occupied slots, wrapping from the last
        slot to the first).  Each slice is sorted and merged with the partition's part of the
        old file (1/1024 of everything), so memory stays near the table's own size.
        """
        if self._filter is None:
            self._filter = bytearray(1 << (_FILTER_BITS - 3))
        bits = self._filter
        table, shift = self._table, self._shift
        size = len(table)
        self._spills += 1
        path = self._directory() / f"hashes-{self._spills}.bin"
        bounds, index = _zeros(_PARTITIONS + 1), array("Q")
        written = wrapped = 0
        while wrapped < size and table[wrapped]:  # the front cluster may hold wrapped hashes
            wrapped += 1
        with open(path, "wb") as out:
            for partition in range(_PARTITIONS):
                low = partition << _PARTITION_SHIFT
                high = low + (1 << _PARTITION_SHIFT)
                first, last = low >> shift, high >> shift
                while last < size and table[last]:
                    last += 1
                values = list(filter(None, table[first:last]))
                if first:  # slots before ``first`` hold this partition's only by wrapping
                    values.extend(table[: min(wrapped, first)])
                values.sort()
                values = values[bisect_left(values, low) : bisect_left(values, high)]
                for value in values:
                    bit = (value >> _FILTER_SHIFT) & _FILTER_MASK
                    bits[bit >> 3] |= 1 << (bit & 7)
                start, end = self._bounds[partition], self._bounds[partition + 1]
                if end > start and self._disk is not None:
                    self._disk.seek(8 * start)
                    old = array("Q")
                    old.frombytes(self._disk.read(8 * (end - start)))
                    values.extend(old.tolist())
                    values.sort()
                first_page = -(-written // _PAGE) * _PAGE
                index.extend(values[first_page - written :: _PAGE])
                out.write(array("Q", values))
                written += len(values)
                bounds[partition + 1] = written
        self._drop_file()
        self._disk = open(path, "rb", buffering=0)  # noqa: SIM115 - closed in _drop_file()
        self._path = path
        self._bounds, self._index, self._spilled = bounds, index, written
        zero = _zeros(min(_ZERO_BLOCK, size))
        for start in range(0, size, len(zero)):
            table[start : start + len(zero)] = zero
        self._size = 0

    def _drop_file(self) -> None:
        if self._disk is not None:
            self._disk.close()
            self._disk = None
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            self._path = None

    def close(self) -> None:
        """Forget every hash: remove the spill file and release the table (idempotent)."""
        self._drop_file()
        self._filter = None
        self._index = array("Q")
        self._table = _zeros(2)
        self._mask, self._shift, self._size, self._limit, self._spilled = 1, 63, 0, 1, 0


class SeenFilter:
    """A one-hash Bloom filter over strings: ``False`` means certainly never added.

    The run tracker records here the keys of runs whose codes went to the remainder, so that a
    code extending a run needs no hash lookup unless its series ever lost codes that way.  A
    false positive only costs one lookup.  CRC-32 keeps it deterministic and cheap.  2**21 bits
    (256 KiB): 250,000 dropped series (a million random codes) leave one lookup in nine false.
    """

    __slots__ = ("_bits", "_mask")

    def __init__(self, bits: int = 21) -> None:
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

    def __init__(self, directory: Callable[[], Path]) -> None:
        self._directory = directory  # created on the first suspect only
        self._path: Path | None = None
        self._file: IO[str] | None = None
        self.count = 0

    def add(self, line: int, code: str) -> None:
        if self._file is None:
            self._path = self._directory() / "suspects.tsv"
            self._file = open(self._path, "w", encoding="utf-8", errors="surrogateescape")  # noqa: SIM115 - closed in batches()/close()
        self._file.write(f"{line}\t{code}\n")
        self.count += 1

    def batches(self, size: int) -> Iterator[list[tuple[int, str]]]:
        """The suspects in the order they were logged (line order), ``size`` at a time."""
        if self._file is None or self._path is None:
            return
        self._file.close()
        self._file = None
        with open(self._path, encoding="utf-8", errors="surrogateescape") as lines:
            rows = (entry.rstrip("\n").partition("\t") for entry in lines)
            while batch := [(int(n), code) for n, _, code in itertools.islice(rows, size)]:
                yield batch

    def close(self) -> None:
        """Close and remove the file (the suspects are confirmed, or planning gave up)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._path is not None:
            self._path.unlink(missing_ok=True)
