"""The region rules of the 101 note, as pure data and one check.

Beijing, Tianjin, Shanghai, Chongqing, Taiwan, Hong Kong and Macau have no city level: a unit
there gives ``city_id = province_id`` (Beijing Chaoyang: 110000/110000/110105).  Dongguan,
Zhongshan, Taiwan, Hong Kong and Macau have no district level: ``area_id = city_id``
(Dongguan: 440000/441900/441900).  Codes are GB/T 2260, as 101/102 return them.
"""

from __future__ import annotations

from typing import Final

__all__ = ["NO_CITY_LEVEL", "NO_DISTRICT_LEVEL", "region_fault", "region_problem"]

NO_CITY_LEVEL: Final = frozenset({110000, 120000, 310000, 500000, 710000, 810000, 820000})
"""Provinces without a city level: Beijing, Tianjin, Shanghai, Chongqing, Taiwan, HK, Macau."""

NO_DISTRICT_LEVEL: Final = frozenset({441900, 442000, 710000, 810000, 820000})
"""Cities without a district level: Dongguan, Zhongshan, and Taiwan, Hong Kong, Macau."""


def region_fault(province_id: int, city_id: int, area_id: int) -> tuple[str, str] | None:
    """The parameter at fault (``"city_id"`` or ``"area_id"``) and why, or ``None``.

    Only the documented rule is checked here; whether a city belongs to a province is a
    question for the centre's 101/102 data (see :mod:`idcode_async.domain.regions`).  Ids that are
    not integers break no documented rule here; the specs' type checks refuse them.
    """
    if not all(isinstance(i, int) for i in (province_id, city_id, area_id)):
        return None
    if province_id in NO_CITY_LEVEL and city_id != province_id:
        return "city_id", f"province {province_id} has no city level: city_id must be {province_id}"
    if city_id in NO_DISTRICT_LEVEL and area_id != city_id:
        return "area_id", f"city {city_id} has no district level: area_id must be {city_id}"
    return None


def region_problem(province_id: int, city_id: int, area_id: int) -> str | None:
    """Why (province, city, area) breaks the 101 note, or ``None`` when it follows it."""
    fault = region_fault(province_id, city_id, area_id)
    return fault[1] if fault else None
