"""The plan: which requests upload the codes, and what was left out and why.

Every request item carries ``endpoint`` (5011, 5012, 5013 or 5014), ``count`` (codes covered),
``first_code`` and ``last_code`` (for the manifest) and ``codes()`` (to list them again), plus
the parameters its endpoint needs (seed §十).  Items are frozen attrs classes: a plan can be
logged, compared and written to a manifest without surprises.

The plan owns the temporary files its 5011 items point to: use it as a context manager or call
:meth:`UploadPlan.close` once the upload is done.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, Literal, TypeAlias

import attrs

from .options import PlanOptions
from .rules import RejectReason
from .spool import CodeFile, Workspace

__all__ = [
    "CodeFile",
    "CodeList",
    "DuplicateCode",
    "DuplicateReport",
    "FixedLengthRange",
    "PrefixRange",
    "RejectedCode",
    "RejectedReport",
    "RequestTally",
    "UploadPlan",
    "UploadRequest",
]


@attrs.frozen
class _NumberRange:
    """What 5013 and 5014 share: ``prefix_str`` and the numbers ``start_num``…``end_num``."""

    prefix_str: str
    start_num: int
    end_num: int

    def code(self, number: int) -> str:
        """The code ``number`` stands for in this range's spelling."""
        raise NotImplementedError

    @property
    def count(self) -> int:
        return self.end_num - self.start_num + 1

    @property
    def first_code(self) -> str:
        return self.code(self.start_num)

    @property
    def last_code(self) -> str:
        return self.code(self.end_num)

    def codes(self) -> Iterator[str]:
        return map(self.code, range(self.start_num, self.end_num + 1))

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, str) or not code.startswith(self.prefix_str):
            return False
        digits = code[len(self.prefix_str) :]
        if not (digits.isascii() and digits.isdigit()):
            return False
        number = int(digits)  # the spelling decides: "A07" is not in 5013 range A 1-9
        return self.start_num <= number <= self.end_num and self.code(number) == code


@attrs.frozen
class PrefixRange(_NumberRange):
    """5013: ``prefix_str + str(n)`` for every ``n`` from ``start_num`` to ``end_num``."""

    endpoint: ClassVar[Literal[5013]] = 5013

    def code(self, number: int) -> str:
        return f"{self.prefix_str}{number}"


@attrs.frozen
class FixedLengthRange(_NumberRange):
    """5014: ``prefix_str + str(n).zfill(length)`` for ``n`` from ``start_num`` to ``end_num``.

    The planner only makes ranges whose numbers all fit in ``length`` digits.
    """

    endpoint: ClassVar[Literal[5014]] = 5014
    length: int

    def code(self, number: int) -> str:
        return f"{self.prefix_str}{number:0{self.length}d}"


@attrs.frozen
class CodeList:
    """5012: the codes themselves, sent as ``code_list_str`` (``"1,2,3"``)."""

    endpoint: ClassVar[Literal[5012]] = 5012
    code_list: tuple[str, ...]

    @property
    def code_list_str(self) -> str:
        return ",".join(self.code_list)

    @property
    def count(self) -> int:
        return len(self.code_list)

    @property
    def first_code(self) -> str:
        return self.code_list[0]

    @property
    def last_code(self) -> str:
        return self.code_list[-1]

    def codes(self) -> Iterator[str]:
        return iter(self.code_list)


UploadRequest: TypeAlias = PrefixRange | FixedLengthRange | CodeList | CodeFile
"""One request of a plan (``endpoint`` tells which)."""


@attrs.frozen
class DuplicateCode:
    """A line whose code appeared on an earlier line (it is uploaded once)."""

    line: int
    code: str


@attrs.frozen
class RejectedCode:
    """A line refused before sending; ``code`` is cut to 256 characters."""

    line: int
    code: str
    reason: RejectReason


def _frozen_counts(counts: Mapping[RejectReason, int]) -> Mapping[RejectReason, int]:
    return types.MappingProxyType(dict(counts))


@attrs.frozen
class DuplicateReport:
    """``count`` duplicate lines in all; ``examples`` are the first ones, by line."""

    count: int = 0
    examples: tuple[DuplicateCode, ...] = ()


@attrs.frozen
class RejectedReport:
    """``count`` rejected lines in all, ``by_reason``; ``examples`` are the first, by line."""

    count: int = 0
    examples: tuple[RejectedCode, ...] = ()
    by_reason: Mapping[RejectReason, int] = attrs.field(
        factory=dict, converter=_frozen_counts, hash=False
    )


class RequestTally:
    """What a plan and an upload's result both say of their requests (plan requests, or
    manifest entries: each has an ``endpoint`` and a ``count``)."""

    requests: Sequence[Any]

    def by_endpoint(self) -> dict[int, tuple[int, int]]:
        """``{endpoint: (requests, codes)}`` for the endpoints the requests use."""
        summary: dict[int, tuple[int, int]] = {}
        for request in self.requests:
            requests, codes = summary.get(request.endpoint, (0, 0))
            summary[request.endpoint] = (requests + 1, codes + request.count)
        return summary


@attrs.define(eq=False)
class UploadPlan(RequestTally):
    """The requests that upload every accepted code exactly once, in sending order.

    ``count`` is the number of distinct accepted codes (the sum of ``request.count``);
    ``lines`` counts every line or item read, ``blank_lines`` the empty ones.  Ranges come
    first (sorted by prefix and first number), then the remainder as 5012 lists or 5011
    files.  The remainder is in the order codes were decided: a code without a trailing number
    when it arrives, the codes of a short run when the run is given up (when the window of
    open runs is full, or at the end).  Not input order, but a function of the input.
    """

    requests: tuple[UploadRequest, ...]
    count: int
    lines: int
    blank_lines: int
    duplicates: DuplicateReport
    rejected: RejectedReport
    options: PlanOptions
    _workspace: Workspace = attrs.field(repr=False, alias="workspace")
    _closed: bool = attrs.field(default=False, init=False, repr=False)

    @property
    def closed(self) -> bool:
        return self._closed

    def codes(self) -> Iterator[str]:
        """Every code the plan uploads, request by request (5011 files are read back)."""
        for request in self.requests:
            yield from request.codes()

    def close(self) -> None:
        """Remove the spooled 5011 files (idempotent).  Their items become unusable."""
        self._closed = True
        self._workspace.cleanup()

    def __enter__(self) -> UploadPlan:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
