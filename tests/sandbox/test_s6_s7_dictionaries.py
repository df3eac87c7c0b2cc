"""Sections 六 and 七 (101–105, 201–204): regions, trades, unit types, uses, categories."""

from __future__ import annotations

import pytest

from idcode_async.sandbox.reference_data import region_problem

from .helpers import Api


async def test_101_all_regions_with_34_provinces(api: Api):
    body = await api.ok("/sp/idcode/addresses", method="GET")
    provinces = [a for a in body["address_list"] if a["address_level"] == 1]
    assert len(provinces) == 34
    by_id = {a["address_id"]: a for a in body["address_list"]}
    assert by_id[110000] == {
        "address_id": 110000,
        "address_name": "北京市",
        "address_level": 1,
        "address_id_parent": 0,
        "address_code": "110000",
    }
    assert by_id[441900]["address_name"] == "东莞市"
    assert {810000, 820000, 710000} <= by_id.keys()


async def test_102_children_and_levels(api: Api):
    path = "/sp/idcode/addresses/parent/id"
    top = await api.ok(path, {"address_id_parent": 0})
    assert len(top["address_list"]) == 34
    cities = await api.ok(path, {"address_id_parent": 440000, "level": 2})
    assert {a["address_id"] for a in cities["address_list"]} >= {440100, 440300, 441900, 442000}
    beijing = await api.ok(path, {"address_id_parent": 110000})
    assert {a["address_level"] for a in beijing["address_list"]} == {3}  # no city level


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"address_id_parent": 441900}, 10006),  # Dongguan has no districts
        ({"address_id_parent": 110000, "level": 2}, 10006),
        ({"address_id_parent": "x"}, 10000),
        ({"address_id_parent": 0, "level": 4}, 10000),
        ({}, 10000),
    ],
)
async def test_102_errors(api: Api, params, code):
    assert await api.code("/sp/idcode/addresses/parent/id", params) == code


def test_region_rules_of_the_101_note():
    assert region_problem(110000, 110000, 110105) is None  # Beijing Chaoyang
    assert region_problem(440000, 441900, 441900) is None  # Dongguan
    assert region_problem(440000, 440300, 440305) is None  # Shenzhen Nanshan
    assert region_problem(810000, 810000, 810000) is None  # Hong Kong
    assert region_problem(110000, 110100, 110105) is not None
    assert region_problem(440000, 441900, 440305) is not None
    assert region_problem(440000, 440300, 110105) is not None
    assert region_problem(999999, 999999, 999999) is not None


async def test_103_104_trades(api: Api):
    trades = (await api.ok("/sp/idcode/trades"))["trade_list"]
    assert {"trade_id": 3, "trade_name": "制造业", "trade_level": 1, "trade_id_parent": 0} in trades
    children = await api.ok("/sp/idcode/trades/parent/id", {"trade_id_parent": 3})
    assert all(t["trade_id_parent"] == 3 for t in children["trade_list"])
    assert await api.code("/sp/idcode/trades/parent/id", {"trade_id_parent": 114}) == 10006
    assert await api.code("/sp/idcode/trades/parent/id", {}) == 10000


async def test_105_unit_types(api: Api):
    body = await api.ok("/sp/idcode/unittypes", method="GET")
    assert {"unit_type_name": "企业", "code": 1} in body["unit_type_list"]


async def test_201_code_uses(api: Api):
    uses = (await api.ok("/sp/idcode/codeuse"))["codeuse_list"]
    product = next(u for u in uses if u["codeuse_id"] == 10)
    assert product == {"codeuse_id": 10, "codeuse_name": "产品", "codeuse_code": "10", "type_id": 3}


async def test_202_203_204_categories(api: Api):
    everything = (await api.ok("/sp/idcode/industrycategory"))["industrycategory_list"]
    keys = {
        "industrycategory_id",
        "industrycategory_name",
        "industrycategory_id_parent",
        "industrycategory_level",
        "industrycategory_code",
        "codeuse_id",
        "industrycategory_isdel",
        "type_id",
        "check_format",
    }
    assert all(set(c) == keys for c in everything)
    assert any(c["industrycategory_code"] == "232324" for c in everything)
    assert any(c["check_format"] for c in everything)  # the identity-card category

    path = "/sp/idcode/industrycategory/parent/id"
    first = (await api.ok(path, {"industrycategory_id_parent": 0}))["industrycategory_list"]
    assert all(c["industrycategory_level"] == 1 for c in first)
    assert (await api.ok(path))["industrycategory_list"] == first  # 0 by default
    assert (await api.ok(path, {"industrycategory_id_parent": 424242}))[
        "industrycategory_list"
    ] == []

    products = (await api.ok("/sp/idcode/industrycategory/product"))["industrycategory_list"]
    assert products
    assert {c["codeuse_id"] for c in products} == {10}
