"""101 note (注：北京…): region triples, normalised and checked against 101 data."""

from __future__ import annotations

from dataclasses import dataclass

import anyio
import httpx
import pytest

from idcode_async import ValidationError
from idcode_async.domain.regions import RegionDirectory, RegionSelection
from idcode_async.endpoints.regions_trades import Addresses, AddressesResponse, AddressInfo


def area(address_id, name, level, parent):
    return AddressInfo(
        address_id=address_id,
        address_name=name,
        address_level=level,
        address_id_parent=parent,
        address_code=str(address_id),
    )


RECORDS = [
    area(110000, "北京市", 1, 0),
    area(110105, "朝阳区", 3, 110000),  # filed directly under the municipality
    area(110100, "市辖区", 2, 110000),
    area(110108, "海淀区", 3, 110100),  # or under a 市辖区 node: both must work
    area(500000, "重庆市", 1, 0),
    area(500101, "万州区", 3, 500000),
    area(440000, "广东省", 1, 0),
    area(440300, "深圳市", 2, 440000),
    area(440305, "南山区", 3, 440300),
    area(441900, "东莞市", 2, 440000),
    area(442000, "中山市", 2, 440000),
    area(620000, "甘肃省", 1, 0),
    area(620200, "嘉峪关市", 2, 620000),  # no districts in the data, not named in the note
    area(710000, "台湾省", 1, 0),
    area(810000, "香港特别行政区", 1, 0),
    area(820000, "澳门特别行政区", 1, 0),
    AddressInfo(address_name="no id"),
]


@pytest.fixture
def directory():
    return RegionDirectory.from_records(RECORDS)


def test_document_example_beijing_chaoyang(directory):
    """province_id=110000, city_id=110000, area_id=110105."""
    expected = RegionSelection(110000, 110000, 110105)
    assert directory.normalise(110000, area_id=110105) == expected
    assert directory.normalise(110000, 110000, 110105) == expected
    assert directory.validate(110000, 110000, 110105) == expected


def test_document_example_guangdong_dongguan(directory):
    """province_id=440000, city_id=441900, area_id=441900."""
    expected = RegionSelection(440000, 441900, 441900)
    assert directory.normalise(440000, 441900) == expected
    assert directory.validate(440000, 441900, 441900) == expected


@pytest.mark.parametrize("province", [710000, 810000, 820000])
def test_taiwan_hong_kong_macau_have_neither_level(directory, province):
    assert directory.normalise(province) == RegionSelection(province, province, province)


def test_zhongshan_and_chongqing(directory):
    assert directory.normalise(440000, 442000) == RegionSelection(440000, 442000, 442000)
    assert directory.normalise(500000, area_id=500101) == RegionSelection(500000, 500000, 500101)


def test_district_under_a_shixiaqu_node(directory):
    assert directory.validate(110000, 110000, 110108) == RegionSelection(110000, 110000, 110108)


def test_ordinary_province_city_district(directory):
    assert directory.normalise(440000, 440300, 440305) == RegionSelection(440000, 440300, 440305)


def test_region_without_children_in_the_data_needs_no_district(directory):
    assert directory.normalise(620000, 620200) == RegionSelection(620000, 620200, 620200)


@pytest.mark.parametrize(
    ("args", "parameter", "reason"),
    [
        ((440000,), "city_id", "required: province 440000 has a city level"),
        ((440000, 440300), "area_id", "required: region 440300 has a district level"),
        ((110000,), "area_id", "required: region 110000 has a district level"),
    ],
)
def test_normalise_refuses_to_guess_an_existing_level(directory, args, parameter, reason):
    with pytest.raises(ValidationError, match=reason) as caught:
        directory.normalise(*args)
    assert caught.value.parameter == parameter


@pytest.mark.parametrize(
    ("triple", "parameter", "reason"),
    [
        ((110000, 110100, 110108), "city_id", "no city level: city_id must be 110000"),
        ((110000, 110105, 110105), "city_id", "no city level"),
        ((440000, 441900, 441901), "area_id", "no district level: area_id must be 441900"),
        ((710000, 710000, 710001), "area_id", "no district level"),
        ((440000, 440000, 440305), "city_id", "repeats 440000, which has a city level"),
        ((440000, 440300, 440300), "area_id", "repeats 440300, which has a district level"),
        ((440000, 440300, 110105), "area_id", "110105 is not under 440300"),
        ((440000, 440300, 440399), "area_id", "440399 is not a region of 101"),
        ((440000, 510100, 510104), "city_id", "510100 is not a region of 101"),
        ((440000, 620200, 620200), "city_id", "620200 is not under 440000"),
        ((999999, 999999, 999999), "province_id", "999999 is not a region of 101"),
        ((440300, 440300, 440305), "province_id", "not a province"),
        ((110000, 110000, 110000), "area_id", "repeats 110000, which has a district level"),
    ],
)
def test_validate_names_the_broken_parameter(directory, triple, parameter, reason):
    with pytest.raises(ValidationError, match=reason) as caught:
        directory.validate(*triple)
    assert caught.value.parameter == parameter


def test_lookups(directory):
    assert len(directory) == 16  # the record without an id is skipped
    assert 441900 in directory
    assert 123 not in directory
    assert directory.get(441900).name == "东莞市"
    assert directory.get(1) is None
    assert [r.id for r in directory.children(440000)] == [440300, 441900, 442000]
    assert directory.children(441900) == ()
    assert directory.is_within(110108, 110000)
    assert not directory.is_within(110000, 110000)
    assert not directory.is_within(440305, 110000)


def test_duck_typed_records():
    @dataclass(frozen=True)
    class Row:
        address_id: int | None
        address_name: str | None
        address_level: int | None
        address_id_parent: int | None
        address_code: str | None

    rows = [Row(810000, "香港", 1, 0, "810000")]
    assert RegionDirectory.from_records(rows).normalise(810000).area_id == 810000


def test_cycles_in_bad_data_do_not_hang():
    looped = RegionDirectory.from_records([area(1, "a", 2, 2), area(2, "b", 2, 1)])
    assert not looped.is_within(1, 3)


class CountingClient:
    def __init__(self):
        self.calls = 0

    async def call(self, spec):
        assert isinstance(spec, Addresses)
        self.calls += 1
        await anyio.sleep(0.01)
        return AddressesResponse(address_list=list(RECORDS))


async def test_load_calls_101_once_per_client():
    client = CountingClient()
    first = await RegionDirectory.load(client)
    second = await RegionDirectory.load(client)
    assert first is second
    assert client.calls == 1
    assert first.normalise(440000, 441900).area_id == 441900
    await RegionDirectory.load(client, refresh=True)
    assert client.calls == 2
    other = CountingClient()
    await RegionDirectory.load(other)
    assert other.calls == 1


async def test_concurrent_loads_share_one_request():
    client = CountingClient()
    results = []

    async def load():
        results.append(await RegionDirectory.load(client))

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(load)
    assert client.calls == 1
    assert all(result is results[0] for result in results)


async def test_load_through_the_real_client(client, router):
    answer = {
        "address_list": [
            {
                "address_id": 110000,
                "address_name": "北京市",
                "address_level": 1,
                "address_id_parent": 0,
                "address_code": "110000",
            },
            {
                "address_id": 110105,
                "address_name": "朝阳区",
                "address_level": 3,
                "address_id_parent": 110000,
                "address_code": "110105",
            },
        ],
        "result_code": 1,
        "result_msg": "成功",
    }
    route = router.route(path="/sp/idcode/addresses").mock(
        return_value=httpx.Response(200, json=answer)
    )
    directory = await RegionDirectory.load(client)
    await RegionDirectory.load(client)
    assert route.call_count == 1
    assert directory.normalise(110000, area_id=110105) == RegionSelection(110000, 110000, 110105)
