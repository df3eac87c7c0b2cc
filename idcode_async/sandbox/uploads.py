"""Uploaded code batches (5011–5014) and the codes and short codes they stand for.

Ranges are stored as ranges: a 5013/5014 batch is a prefix, a start, an end and (5014) a
length, and its i-th code is computed when asked for, so a 100-million-code range costs a few
integers.  5012 lists are kept as lists (they arrived in one parameter anyway); 5011 files are
copied line by line to a file in the sandbox's temporary directory while they are counted and
checked, and read back from there when codes are asked for.

Short codes (504/505 ``code_type`` 0, 506) are computed as well: each batch owns a block of
the centre's short-code space, handed out in upload order; ``generate_type`` "1" maps the
i-th code to the i-th short code of the block, "0" through a seeded affine permutation of the
block (random-looking, still one-to-one and computable without a table).  A short code is
printed as 10 base-36 digits.

A code may be uploaded again in a later batch: the document's 506 ("may return several short
codes" for one original code) implies the centre accepts it, so the sandbox does too, and the
code then has one short code per batch.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final, Literal

import attrs

from .records import Registration

__all__ = ["CODE_PATTERN", "Upload", "short_code"]

CODE_PATTERN: Final = re.compile(r"^[0-9A-Za-z._\-]{1,64}$")
"""What the sandbox accepts as the user part of a code (59999 otherwise)."""

_DIGITS36: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def short_code(number: int) -> str:
    """A short code: ``number`` in base 36, 10 digits."""
    digits = []
    while number:
        number, rest = divmod(number, 36)
        digits.append(_DIGITS36[rest])
    return "".join(reversed(digits)).rjust(10, "0")


def _coprime_multiplier(size: int, rng: random.Random) -> int:
    if size <= 2:
        return 1
    while True:
        candidate = rng.randrange(2, size)
        if math.gcd(candidate, size) == 1:
            return candidate


@attrs.define(kw_only=True)
class Upload:
    """One upload batch (上传码批次)."""

    uploadcode_id: int
    registration: Registration
    method: Literal[5011, 5012, 5013, 5014]
    count: int
    created_ms: int
    generate_type: str
    version: str
    short_base: int
    """First number of this batch's block of short codes."""
    prefix: str = ""
    start: int = 0
    end: int = 0
    length: int = 0
    codes: list[str] | None = None
    file: Path | None = None
    file_name: str = ""
    _multiplier: int = attrs.field(default=1, init=False)
    _offset: int = attrs.field(default=0, init=False)

    def shuffle(self, rng: random.Random) -> None:
        """Choose the permutation of random short codes (``generate_type`` "0")."""
        if self.generate_type == "0" and self.count > 1:
            self._multiplier = _coprime_multiplier(self.count, rng)
            self._offset = rng.randrange(self.count)

    @property
    def upload_type(self) -> int:
        """502/503 ``upload_type``: 1 for 5011, 2 for the parameter methods."""
        return 1 if self.method == 5011 else 2

    @property
    def start_number(self) -> int:
        return self.start if self.method in (5013, 5014) else 1

    @property
    def end_number(self) -> int:
        return self.end if self.method in (5013, 5014) else self.count

    def user_code(self, index: int) -> str:
        """The user part of the ``index``-th code of a range batch."""
        number = self.start + index
        digits = str(number).zfill(self.length) if self.method == 5014 else str(number)
        return self.prefix + digits

    def user_codes(self) -> Iterator[str]:
        """Every user part, in upload order, without materialising a range."""
        if self.codes is not None:
            yield from self.codes
        elif self.file is not None:
            with self.file.open(encoding="utf-8") as lines:
                for line in lines:
                    yield line.rstrip("\n")
        else:
            for index in range(self.count):
                yield self.user_code(index)

    def full_codes(self) -> Iterator[str]:
        """Every code of the batch: the category code followed by the user part."""
        base = self.registration.complete_code
        for user in self.user_codes():
            yield base + user

    def short_codes(self) -> Iterator[str]:
        """The short code of each code, in upload order."""
        for index in range(self.count):
            yield self.short_code_at(index)

    def short_code_at(self, index: int) -> str:
        position = (index * self._multiplier + self._offset) % self.count
        return short_code(self.short_base + position)

    def index_of(self, user: str) -> list[int]:
        """Positions of ``user`` in this batch (several for a list holding it twice)."""
        if self.method in (5013, 5014):
            index = self._range_index(user)
            return [] if index is None else [index]
        return [i for i, code in enumerate(self.user_codes()) if code == user]

    def _range_index(self, user: str) -> int | None:
        if not user.startswith(self.prefix):
            return None
        digits = user[len(self.prefix) :]
        if not (digits.isascii() and digits.isdigit()):
            return None
        number = int(digits)
        if digits != (str(number).zfill(self.length) if self.method == 5014 else str(number)):
            return None
        return number - self.start if self.start <= number <= self.end else None
