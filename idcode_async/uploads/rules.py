"""What makes a line a code the planner may send (seed §十, 5011–5014).

The plan may route any code to any of the four methods (a file line, an item of a 5012 list, a
number in a 5013/5014 range), so a code is accepted only if every method can carry it
unchanged.  The rules, checked in this order, the first failure naming the reason:

* **whitespace** inside the code: 5011 reads one code per line and the centre cannot tell a
  space inside a code from padding; surrounding whitespace is stripped before any rule.
* **comma**: 5012 sends ``code_list_str`` as ``"1,2,3"``, so a comma would split the code.
* **not printable ASCII** (outside ``!`` … ``~``, i.e. 0x21–0x7E): the document names no
  encoding for the TXT file (UTF-8 or GBK on the centre's side is a guess), and codes end up in
  resolver URLs (seed §十三) and in QR symbols; ASCII-only codes mean the same bytes everywhere.
  Control characters are refused for the same reason.  URL-reserved characters (``/ ? & #``)
  are allowed: the document forbids none of them and §十四 has values URL-encoded.
* **too long**: over :attr:`PlanOptions.max_code_length` characters (see there for why).

Blank lines (nothing left after stripping) are not codes and are counted, not rejected.
"""

from __future__ import annotations

import enum

__all__ = ["RejectReason", "check_code"]


class RejectReason(enum.Enum):
    """Why a line was refused before sending (the value is a stable short name)."""

    WHITESPACE = "whitespace"
    COMMA = "comma"
    NOT_PRINTABLE_ASCII = "not_printable_ascii"
    TOO_LONG = "too_long"

    @property
    def description(self) -> str:
        """A sentence for people (reports, logs)."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    RejectReason.WHITESPACE: "contains whitespace (5011 reads one code per line)",
    RejectReason.COMMA: "contains a comma (5012 separates codes with commas)",
    RejectReason.NOT_PRINTABLE_ASCII: "contains characters outside printable ASCII (0x21-0x7E)",
    RejectReason.TOO_LONG: "is longer than max_code_length",
}


def check_code(code: str, max_length: int) -> RejectReason | None:
    """The first rule ``code`` (stripped, non-empty) breaks, or None if it is acceptable.

    The fast path first: ``isascii`` + ``isprintable`` leave exactly 0x20–0x7E; the two ``in``
    tests remove the space and the comma.  Four C-level scans beat a regular expression by
    about half.
    """
    ascii_printable = code.isascii() and code.isprintable()
    if ascii_printable and len(code) <= max_length and " " not in code and "," not in code:
        return None
    if any(c.isspace() for c in code):
        return RejectReason.WHITESPACE
    if "," in code:
        return RejectReason.COMMA
    if not ascii_printable:
        return RejectReason.NOT_PRINTABLE_ASCII
    return RejectReason.TOO_LONG
