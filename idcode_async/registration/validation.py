"""Pre-flight: every row is checked before the first submission, and a bad row is never sent.

A row is valid when it could be read (see :mod:`.inputs`), when the 309 spec accepts it
(required fields, formats, the 101 note's region rules: the spec is the one place those rules
live), when its regions exist and nest in the centre's 101 table
(:class:`~idcode_async.domain.regions.RegionDirectory`, fetched once per client), and when no
earlier valid row has the same unit name or user name: the centre would answer the second with
10007/10008, so it is reported here instead of being sent.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from .._errors import IdcodeError, ValidationError
from ..domain.regions import RegionDirectory
from ..endpoints import UnitRegist
from .inputs import SourceRow
from .outcomes import RowOutcome
from .records import UnitRegistration

__all__ = ["Preflight", "PreflightError", "ValidRow", "check_rows"]


class PreflightError(IdcodeError):
    """The rows cannot be checked at all (e.g. 101 returned no regions); nothing was sent."""


@attrs.frozen
class ValidRow:
    """A row that will be submitted (unless the journal says it is done already)."""

    row: int
    record: UnitRegistration
    spec: UnitRegist = attrs.field(repr=False)
    key: str


@attrs.frozen
class Preflight:
    valid: tuple[ValidRow, ...]
    invalid: tuple[RowOutcome, ...]
    """The rows that are never sent, as their ``invalid`` outcomes (``message``: why), ready
    for the results as they are."""

    @property
    def total(self) -> int:
        return len(self.valid) + len(self.invalid)


def check_rows(rows: Iterable[SourceRow], regions: RegionDirectory | None) -> Preflight:
    """Split ``rows`` into valid and invalid ones; ``regions=None`` skips the 101 lookup."""
    if regions is not None and not len(regions):
        raise PreflightError("101 returned no regions: the rows' regions cannot be checked")
    valid: list[ValidRow] = []
    invalid: list[RowOutcome] = []
    first: dict[tuple[str, str], int] = {}
    for source in rows:
        record = source.record
        if record is None:
            invalid.append(RowOutcome.invalid(source.row, None, source.problem or "cannot be read"))
            continue
        try:
            spec = record.to_spec()
            if regions is not None:
                regions.validate(record.province_id, record.city_id, record.area_id)
        except ValidationError as exc:
            invalid.append(RowOutcome.invalid(source.row, record, f"{exc.parameter} {exc.reason}"))
            continue
        # The centre would refuse a second unit name (10007) or user name (10008).
        unique = [("organunit_name", record.name_key), ("login_name", record.login_name)]
        taken = [f"{n} {v!r} is already in row {first[n, v]}" for n, v in unique if (n, v) in first]
        if taken:
            invalid.append(RowOutcome.invalid(source.row, record, taken[0]))
            continue
        first |= dict.fromkeys(unique, source.row)
        valid.append(ValidRow(source.row, record, spec, record.key))
    return Preflight(tuple(valid), tuple(invalid))
