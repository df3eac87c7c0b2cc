"""Section 六: regions (101/102), trades (103/104) and unit types (105)."""

from __future__ import annotations

from collections.abc import Iterable

from .context import ApiRoute, Call, get_post
from .errors import CentreError
from .jsontypes import JsonObject
from .reference_data import REGIONS, TRADES, UNIT_TYPES, Region
from .serialize import reference_list

__all__ = ["ROUTES"]


def _regions(regions: Iterable[Region]) -> JsonObject:
    return {"address_list": reference_list(regions, address_code=lambda r: r.address_code)}


async def addresses(call: Call) -> JsonObject:
    """101: every region at every level."""
    return _regions(REGIONS)


async def addresses_by_parent(call: Call) -> JsonObject:
    """102: children of ``address_id_parent`` (0: provinces), optionally of one ``level``.

    Following the 101 note, a municipality's children are its districts (level 3); a city
    without districts (Dongguan) has no children: 10006.
    """
    parent = call.require_int("address_id_parent")
    level = call.integer("level", allowed=(1, 2, 3))
    found = [
        r
        for r in REGIONS
        if r.address_id_parent == parent and (level is None or r.address_level == level)
    ]
    if not found:
        raise CentreError(10006, f"no regions under {parent}")
    return _regions(found)


async def trades(call: Call) -> JsonObject:
    """103: every trade at every level."""
    return {"trade_list": reference_list(TRADES)}


async def trades_by_parent(call: Call) -> JsonObject:
    """104: children of ``trade_id_parent`` (0: the first level), 10006 if none."""
    parent = call.require_int("trade_id_parent")
    found = [t for t in TRADES if t.trade_id_parent == parent]
    if not found:
        raise CentreError(10006, f"no trades under {parent}")
    return {"trade_list": reference_list(found)}


async def unit_types(call: Call) -> JsonObject:
    """105: unit types; ``code`` is what 301/309 take."""
    return {"unit_type_list": reference_list(UNIT_TYPES)}


ROUTES = (
    ApiRoute(101, "/sp/idcode/addresses", get_post, addresses),
    ApiRoute(
        102, "/sp/idcode/addresses/parent/id", get_post, addresses_by_parent, ("address_id_parent",)
    ),
    ApiRoute(103, "/sp/idcode/trades", get_post, trades),
    ApiRoute(104, "/sp/idcode/trades/parent/id", get_post, trades_by_parent, ("trade_id_parent",)),
    ApiRoute(105, "/sp/idcode/unittypes", get_post, unit_types),
)
