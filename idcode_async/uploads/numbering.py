"""How a code reads as ``prefix_str`` + number, in the two spellings 5013 and 5014 send.

5013 uploads ``prefix_str + str(n)`` for ``n`` from ``start_num`` to ``end_num``; 5014 uploads
``prefix_str + str(n).zfill(length)`` (seed §十: "数值位数不够规定长度时高位补零").  A code is
split at its **longest trailing run of ASCII digits**:

* No trailing digit: the code cannot be in a range (it goes to a 5011 file or a 5012 list).
* Digits without a leading zero (``A7``, ``A10``, and ``A0``): the *unpadded* series of the
  prefix, keyed ``(prefix, 0)``.  Its numbers may change width (``A9``, ``A10``) and a run of
  them is a 5013 range.
* Digits with a leading zero (``A007``): the *padded* series of that width, keyed
  ``(prefix, width)``.  Only 5014 can send them.

The spellings meet at powers of ten: ``A099`` is followed by ``A100``, which has no leading
zero.  The run tracker joins such a padded run with the unpadded run that continues it while it
keeps the width (one 5014 range ``A001``–``A999``).  When both spellings fit a run (``A10``–
``A12``: 5013 10–12, or 5014 length 2), 5013 is chosen: fewer parameters and no padding rule
to get wrong.

Digit tails longer than ``max_digits`` keep their last ``max_digits`` digits as the number and
move the rest into the prefix (``SN1234567890123`` with 9 digits: ``SN1234`` + ``567890123``).
Such a prefix ends with a digit, so it never meets a natural prefix (which ends with a non-digit
or is empty); and the tail always has exactly ``max_digits`` digits, so its spelling is fixed.
"""

from __future__ import annotations

__all__ = ["DIGITS", "UNPADDED", "format_code", "split_code"]

DIGITS = "0123456789"
UNPADDED = 0
"""The width part of a series key for the unpadded (5013) spelling."""


def split_code(code: str, max_digits: int) -> tuple[str, int, int] | None:
    """``(prefix, width, number)`` for a code that ends with digits, else None.

    ``width`` is :data:`UNPADDED` (0) for digits without a leading zero, else the digit count.
    """
    prefix = code.rstrip(DIGITS)
    digits = len(code) - len(prefix)
    if not digits:
        return None
    if digits > max_digits:
        prefix = code[:-max_digits]
        tail = code[-max_digits:]
        digits = max_digits
    else:
        tail = code[len(prefix) :]
    if digits > 1 and tail[0] == "0":
        return prefix, digits, int(tail)
    return prefix, UNPADDED, int(tail)


def format_code(prefix: str, width: int, number: int) -> str:
    """The code ``number`` stands for in series ``(prefix, width)`` (inverse of split_code)."""
    if width == UNPADDED:
        return f"{prefix}{number}"
    return f"{prefix}{number:0{width}d}"
