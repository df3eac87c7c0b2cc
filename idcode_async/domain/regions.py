"""Regions of unit registration: the 101 note's rules checked against the centre's 101 data.

Unit registration (301/309) takes ``province_id``, ``city_id`` and ``area_id`` from 101/102.
The note under 101 adds two rules: the municipalities, Taiwan, Hong Kong and Macau have no
city level (``city_id = province_id``), and Dongguan, Zhongshan, Taiwan, Hong Kong and Macau
have no district level (``area_id = city_id``).  :class:`RegionDirectory` fills those ids in
and refuses triples that break the rules or do not nest in the centre's own tree.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from typing import Protocol, TypeGuard

import anyio
import attrs

from .._errors import ValidationError
from .._region_rules import NO_CITY_LEVEL, NO_DISTRICT_LEVEL, region_problem
from .._validators import int_problem
from ..endpoints.regions_trades import Addresses, AddressesResponse

__all__ = ["AddressRecord", "AddressSource", "Region", "RegionDirectory", "RegionSelection"]


class AddressRecord(Protocol):
    """One region as 101/102 return it (``AreaInfo``); :class:`AddressInfo` is one."""

    @property
    def address_id(self) -> int | None: ...
    @property
    def address_name(self) -> str | None: ...
    @property
    def address_level(self) -> int | None: ...
    @property
    def address_id_parent(self) -> int | None: ...
    @property
    def address_code(self) -> str | None: ...


class AddressSource(Protocol):
    """Anything that can run 101: an :class:`~idcode_async.IdcodeClient`, or a test double."""

    async def call(self, spec: Addresses) -> AddressesResponse: ...


@attrs.frozen
class Region:
    """One region of the directory."""

    id: int
    name: str | None = None
    level: int | None = None
    """1 province, 2 city, 3 district (102's ``level``)."""
    parent_id: int | None = None
    code: str | None = None


@attrs.frozen
class RegionSelection:
    """A (province, city, district) triple that follows the 101 note and the centre's tree."""

    province_id: int
    city_id: int
    area_id: int


_CACHE: weakref.WeakKeyDictionary[AddressSource, RegionDirectory] = weakref.WeakKeyDictionary()
_LOCKS: weakref.WeakKeyDictionary[AddressSource, anyio.Lock] = weakref.WeakKeyDictionary()


@attrs.frozen(eq=False)
class RegionDirectory:
    """The centre's region tree (101), with the 101 note's rules on top.

    Build it from records (:meth:`from_records`) or let :meth:`load` fetch 101 once per client.
    Ids are checked against the tree by ancestry, not by level numbers, so the check holds
    whether the centre files Chaoyang (110105) directly under Beijing or under a 市辖区 node.
    """

    regions: Mapping[int, Region]
    children_of: Mapping[int, tuple[int, ...]]

    @classmethod
    def from_records(cls, records: Iterable[AddressRecord]) -> RegionDirectory:
        """Index 101/102 records; records without an ``address_id`` are skipped.

        Records that lack the fields of an address (or carry ids that are not integers) are a
        :class:`~idcode_async.ValidationError` naming their position.
        """
        if isinstance(records, str | bytes) or not isinstance(records, Iterable):
            raise ValidationError(
                "records", f"must be 101/102 address records, got {type(records).__name__}"
            )
        regions: dict[int, Region] = {}
        for index, record in enumerate(records):
            region = _region_of(record, index)
            if region is not None:
                regions[region.id] = region
        children: dict[int, list[int]] = {}
        for region in regions.values():
            if region.parent_id is not None:
                children.setdefault(region.parent_id, []).append(region.id)
        return cls(regions, {parent: tuple(ids) for parent, ids in children.items()})

    @classmethod
    async def load(cls, client: AddressSource, *, refresh: bool = False) -> RegionDirectory:
        """The directory for ``client``: 101 is called once and the answer kept.

        Concurrent callers share one request; ``refresh=True`` fetches again.
        """
        lock = _LOCKS.get(client)
        if lock is None:
            lock = _LOCKS.setdefault(client, anyio.Lock())
        async with lock:
            cached = _CACHE.get(client)
            if cached is None or refresh:
                response = await client.call(Addresses())
                cached = cls.from_records(response.address_list)
                _CACHE[client] = cached
            return cached

    def __contains__(self, region_id: object) -> bool:
        return _is_id(region_id) and region_id in self.regions

    def __len__(self) -> int:
        return len(self.regions)

    def get(self, region_id: int) -> Region | None:
        """The region with ``region_id``, or ``None``."""
        return self.regions.get(region_id) if _is_id(region_id) else None

    def children(self, region_id: int) -> tuple[Region, ...]:
        """The regions directly under ``region_id`` (102 with that parent)."""
        if not _is_id(region_id):
            return ()
        return tuple(self.regions[i] for i in self.children_of.get(region_id, ()))

    def is_within(self, region_id: int, ancestor_id: int) -> bool:
        """Whether ``region_id`` lies strictly below ``ancestor_id`` in the tree."""
        if not (_is_id(region_id) and _is_id(ancestor_id)):
            return False
        seen: set[int] = set()
        region = self.regions.get(region_id)
        while region is not None and region.parent_id is not None and region.id not in seen:
            seen.add(region.id)
            if region.parent_id == ancestor_id:
                return True
            region = self.regions.get(region.parent_id)
        return False

    def normalise(
        self, province_id: int, city_id: int | None = None, area_id: int | None = None
    ) -> RegionSelection:
        """Fill the levels a region lacks, then :meth:`validate`.

        ``city_id`` defaults to ``province_id`` where there is no city level, ``area_id`` to
        ``city_id`` where there is no district level: the 101 note's regions, and any region
        without children in the centre's data.  Where a level exists it must be given.
        """
        _require_ids(province_id=province_id, city_id=city_id, area_id=area_id)
        if city_id is None:
            if not self._lacks_level(province_id, NO_CITY_LEVEL):
                raise ValidationError(
                    "city_id", f"is required: province {province_id} has a city level"
                )
            city_id = province_id
        if area_id is None:
            if not self._lacks_level(city_id, NO_DISTRICT_LEVEL):
                raise ValidationError(
                    "area_id", f"is required: region {city_id} has a district level"
                )
            area_id = city_id
        return self.validate(province_id, city_id, area_id)

    def validate(self, province_id: int, city_id: int, area_id: int) -> RegionSelection:
        """Check a triple against the 101 note and the tree; return it, or raise.

        :class:`~idcode_async.ValidationError` names the offending parameter.
        """
        _require_ids(province_id=province_id, city_id=city_id, area_id=area_id, optional=False)
        province = self.regions.get(province_id)
        if province is None:
            raise ValidationError("province_id", f"{province_id} is not a region of 101")
        if not (province.level == 1 or (province.level is None and not province.parent_id)):
            raise ValidationError("province_id", f"{province_id} is not a province (level 1)")
        problem = region_problem(province_id, city_id, city_id)
        if problem is not None:
            raise ValidationError("city_id", problem)
        problem = region_problem(province_id, city_id, area_id)
        if problem is not None:
            raise ValidationError("area_id", problem)
        self._check_level("city_id", city_id, province_id, NO_CITY_LEVEL, "city")
        self._check_level("area_id", area_id, city_id, NO_DISTRICT_LEVEL, "district")
        return RegionSelection(province_id, city_id, area_id)

    def _lacks_level(self, region_id: int, documented: frozenset[int]) -> bool:
        """No level below ``region_id``: the 101 note says so, or the data has no children."""
        return region_id in documented or not self.children_of.get(region_id)

    def _check_level(
        self,
        parameter: str,
        region_id: int,
        parent_id: int,
        documented: frozenset[int],
        level: str,
    ) -> None:
        if region_id == parent_id:
            if not self._lacks_level(parent_id, documented):
                raise ValidationError(
                    parameter,
                    f"repeats {parent_id}, which has a {level} level: give one of its {level}s",
                )
            return
        if region_id not in self.regions:
            raise ValidationError(parameter, f"{region_id} is not a region of 101")
        if not self.is_within(region_id, parent_id):
            raise ValidationError(parameter, f"{region_id} is not under {parent_id}")


def _is_id(value: object) -> TypeGuard[int]:
    """Region ids are integers (101's ``address_id``); ``True`` is not region 1."""
    return isinstance(value, int) and not isinstance(value, bool)


def _require_ids(*, optional: bool = True, **ids: object) -> None:
    for name, value in ids.items():
        if value is None and optional:
            continue
        if not _is_id(value):
            raise ValidationError(name, f"must be an integer region id, got {type(value).__name__}")
        problem = int_problem(value)
        if problem is not None:  # no region id has 4,300 digits; printing it would raise
            raise ValidationError(name, problem)


_RECORD_FIELDS = (
    "address_id",
    "address_name",
    "address_level",
    "address_id_parent",
    "address_code",
)


def _region_of(record: object, index: int) -> Region | None:
    """One 101/102 record as a :class:`Region`; ``None`` for a record without an id."""
    try:
        values = [getattr(record, name) for name in _RECORD_FIELDS]
    except AttributeError:
        raise ValidationError(
            f"records[{index}]", f"must be an address record (101/102), got {type(record).__name__}"
        ) from None
    region_id, name, level, parent_id, code = values
    if region_id is None:
        return None
    for field, value in (
        ("address_id", region_id),
        ("address_level", level),
        ("address_id_parent", parent_id),
    ):
        if value is not None and not _is_id(value):
            raise ValidationError(
                f"records[{index}].{field}", f"must be an integer, got {type(value).__name__}"
            )
    for field, value in (("address_name", name), ("address_code", code)):
        if value is not None and not isinstance(value, str):
            raise ValidationError(
                f"records[{index}].{field}", f"must be a string, got {type(value).__name__}"
            )
    return Region(region_id, name, level, parent_id, code)
