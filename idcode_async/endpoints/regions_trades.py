"""Section 六: regions, trades and unit types (101–105), the dictionaries of unit registration."""

from __future__ import annotations

from typing import Literal

import attrs

from .._spec import Endpoint, Response, endpoint

__all__ = [
    "AddressInfo",
    "Addresses",
    "AddressesByParent",
    "AddressesResponse",
    "TradeInfo",
    "Trades",
    "TradesByParent",
    "TradesResponse",
    "UnitTypeInfo",
    "UnitTypes",
    "UnitTypesResponse",
]


@attrs.frozen(kw_only=True, slots=False)
class AddressInfo:
    """One administrative region (AreaInfo).  See :mod:`idcode_async` region rules (101 note)."""

    address_id: int | None = None
    address_name: str | None = None
    address_level: int | None = None
    address_id_parent: int | None = None
    address_code: str | None = None


@attrs.frozen(kw_only=True)
class AddressesResponse(Response):
    address_list: list[AddressInfo] = attrs.field(factory=list)


@endpoint(101, "/sp/idcode/addresses", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class Addresses(Endpoint[AddressesResponse]):
    """101: every region at every level, in one answer."""


@endpoint(102, "/sp/idcode/addresses/parent/id", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class AddressesByParent(Endpoint[AddressesResponse]):
    """102: the children of one region; ``address_id_parent=0`` lists the first level."""

    address_id_parent: int
    level: Literal[1, 2, 3] | None = None
    """Level of the regions to return."""


@attrs.frozen(kw_only=True, slots=False)
class TradeInfo:
    """One trade (industry classification) entry (TradeInfo)."""

    trade_id: int | None = None
    trade_name: str | None = None
    trade_level: int | None = None
    trade_id_parent: int | None = None


@attrs.frozen(kw_only=True)
class TradesResponse(Response):
    trade_list: list[TradeInfo] = attrs.field(factory=list)


@endpoint(103, "/sp/idcode/trades", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class Trades(Endpoint[TradesResponse]):
    """103: every trade at every level."""


@endpoint(104, "/sp/idcode/trades/parent/id", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class TradesByParent(Endpoint[TradesResponse]):
    """104: the children of one trade; ``trade_id_parent=0`` lists the first level."""

    trade_id_parent: int


@attrs.frozen(kw_only=True, slots=False)
class UnitTypeInfo:
    """One unit type (UnitTypeInfo); ``code`` is what 301/309 take as ``code``."""

    unit_type_name: str | None = None
    code: int | None = None


@attrs.frozen(kw_only=True)
class UnitTypesResponse(Response):
    unit_type_list: list[UnitTypeInfo] = attrs.field(factory=list)


@endpoint(105, "/sp/idcode/unittypes", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class UnitTypes(Endpoint[UnitTypesResponse]):
    """105: unit types (单位性质)."""
