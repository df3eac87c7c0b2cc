"""The centre's region table (101), fetched once per client and kept for the batch's checks.

309 takes ``province_id``, ``city_id`` and ``area_id`` "obtainable from 101/102".  The 101
note's special cases (no city level in the municipalities, Taiwan, Hong Kong and Macau; no
district level in Dongguan, Zhongshan, Taiwan, Hong Kong and Macau) are checked by
:func:`idcode_async._region_rules.region_problem`; this module adds what only the centre's own
data can tell: that each ID exists and belongs to the one above it.  One 101 call returns every
region, so a batch of 50,000 rows costs one request, not 50,000.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping

import anyio
import attrs

from .._client import IdcodeClient
from .._region_rules import NO_CITY_LEVEL, NO_DISTRICT_LEVEL, region_problem
from .._errors import IdcodeError
from ..endpoints import Addresses, AddressInfo

__all__ = ["RegionCatalogue", "RegionDataError", "fetch_regions"]


class RegionDataError(IdcodeError):
    """The centre's region table is unusable, so rows cannot be checked against it."""


@attrs.frozen
class RegionCatalogue:
    """Regions by ``address_id`` (101's AreaInfo records)."""

    by_id: Mapping[int, AddressInfo]

    @classmethod
    def from_addresses(cls, addresses: Iterable[AddressInfo]) -> RegionCatalogue:
        return cls({a.address_id: a for a in addresses if a.address_id is not None})

    def problem(self, province_id: int, city_id: int, area_id: int) -> str | None:
        """Why the triple is not a region of the centre's table, or ``None`` if it is."""
        rule = region_problem(province_id, city_id, area_id)
        if rule is not None:
            return rule
        province = self.by_id.get(province_id)
        if province is None or not _is_top_level(province):
            return f"province_id {province_id} is not a province in the centre's regions (101)"
        if province_id not in NO_CITY_LEVEL:
            city = self.by_id.get(city_id)
            if city is None or city.address_id_parent != province_id:
                return f"city_id {city_id} is not a city of province {province_id} (101)"
        if city_id not in NO_DISTRICT_LEVEL and not self._is_under(area_id, city_id):
            return f"area_id {area_id} is not a district of city {city_id} (101)"
        return None

    def _is_under(self, area_id: int, city_id: int) -> bool:
        """A district's parent is its city; in a municipality (city = province) the centre may
        put a 市辖区 level between them, so a grandparent is accepted there too."""
        area = self.by_id.get(area_id)
        if area is None or area.address_id_parent is None:
            return False
        if area.address_id_parent == city_id:
            return True
        if city_id in NO_CITY_LEVEL:
            middle = self.by_id.get(area.address_id_parent)
            return middle is not None and middle.address_id_parent == city_id
        return False


def _is_top_level(region: AddressInfo) -> bool:
    return region.address_level == 1 or region.address_id_parent in (None, 0)


_CACHE: weakref.WeakKeyDictionary[IdcodeClient, RegionCatalogue] = weakref.WeakKeyDictionary()
_LOCKS: weakref.WeakKeyDictionary[IdcodeClient, anyio.Lock] = weakref.WeakKeyDictionary()


async def fetch_regions(client: IdcodeClient, *, refresh: bool = False) -> RegionCatalogue:
    """101's table for ``client``'s centre: fetched on first use, then served from memory."""
    lock = _LOCKS.setdefault(client, anyio.Lock())
    async with lock:
        cached = _CACHE.get(client)
        if cached is not None and not refresh:
            return cached
        answer = await client.call(Addresses())
        if not answer.address_list:
            raise RegionDataError("101 returned no regions: the region checks cannot be made")
        catalogue = RegionCatalogue.from_addresses(answer.address_list)
        _CACHE[client] = catalogue
        return catalogue
