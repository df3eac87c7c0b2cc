"""The unit registration record of a batch: 309's request fields, as data.

A :class:`UnitRegistration` is one row of a batch.  Unlike the 309 spec it does not validate on
construction, so that a bad row can exist long enough to be reported with its row number; the
rules are applied once, by building the spec (:meth:`UnitRegistration.to_spec`) during the
pre-flight check.  Its :attr:`key` identifies the row across runs: a resumed run re-reads the
same input and finds each row's journal entry by it, whatever the row's position.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final, get_args, get_type_hints

import attrs

from ..endpoints import UnitRegist

__all__ = [
    "FIELDS",
    "INT_FIELDS",
    "REQUIRED_FIELDS",
    "UnitRegistration",
    "normalise_name",
]

REQUIRED_FIELDS: Final = frozenset(
    {"login_name", "organunit_name", "code", "province_id", "city_id", "area_id"}
)
"""309's fields marked 必填 (``time`` and ``hash`` aside, which the signer adds)."""


def _clean_text(value: object) -> object:
    """Strip surrounding white space; an empty cell is an absent parameter, not ``""``."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def normalise_name(name: str) -> str:
    """A unit name as compared across rows and with 307's answers: white space collapsed."""
    return " ".join(name.split())


@attrs.frozen(kw_only=True)
class UnitRegistration:
    """One unit to register with 309; field names are the document's wire names.

    Text is stripped and empty text becomes ``None`` (not sent), so that ``" ACME "`` in a CSV
    and ``"ACME"`` in JSONL are the same row with the same :attr:`key`.
    """

    login_name: str = attrs.field(converter=_clean_text)
    """The business licence registration number; also the unit's user name."""
    organunit_name: str = attrs.field(converter=_clean_text)
    code: int
    """Unit type code, from 105."""
    province_id: int
    city_id: int
    area_id: int
    email: str | None = attrs.field(default=None, converter=_clean_text)
    linkman: str | None = attrs.field(default=None, converter=_clean_text)
    linkphone: str | None = attrs.field(default=None, converter=_clean_text)
    unit_icon: str | None = attrs.field(default=None, converter=_clean_text, repr=False)
    qrcode_color: int | None = None
    qrcode_logo: int | None = None
    gotourl: str | None = attrs.field(default=None, converter=_clean_text)
    qrcode_size: int | None = None

    def to_spec(self) -> UnitRegist:
        """The 309 request; raises :class:`~idcode_async.ValidationError` for a broken rule."""
        return UnitRegist(**attrs.asdict(self, recurse=False))

    def wire_values(self) -> dict[str, Any]:
        """The parameters that are sent (absent ones left out), by wire name."""
        return {
            name: value
            for name, value in attrs.asdict(self, recurse=False).items()
            if value is not None
        }

    @property
    def name_key(self) -> str:
        """The unit name as the centre's uniqueness rule (10007) sees it."""
        return normalise_name(self.organunit_name or "")

    @property
    def key(self) -> str:
        """sha256 of the normalised record: the row's identity in the journal, across runs."""
        canonical = json.dumps(
            {name: str(value) for name, value in sorted(self.wire_values().items())},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


FIELDS: Final = tuple(field.name for field in attrs.fields(UnitRegistration))
"""Every column a batch input may have, in 309's order of the record."""
INT_FIELDS: Final = frozenset(
    name
    for name, hint in get_type_hints(UnitRegistration).items()
    if int in (hint, *get_args(hint))
)
"""The columns read as integers (the others are text)."""
