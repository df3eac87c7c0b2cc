"""Sections 六 and 七 through the SDK: regions, trades, unit types (101–105), code uses and
industry categories (201–204).  The answers must decode to the typed lists and agree with
each other (a child list is a part of the full list) and with the 101 note.
"""

from __future__ import annotations

import pytest

from idcode_async import IdcodeClient, NotFoundError
from idcode_async.endpoints import (
    Addresses,
    AddressesByParent,
    CodeUses,
    IndustryCategories,
    IndustryCategoriesByParent,
    ProductIndustryCategories,
    Trades,
    TradesByParent,
    UnitTypes,
)

from .helpers import DEVICE_CATEGORY, LAUNDRY_DETERGENT


async def test_101_all_regions_follow_the_101_note(client: IdcodeClient) -> None:
    """101: every level in one list; Beijing has no city level, Dongguan no district level."""
    answer = await client.call(Addresses())
    regions = {r.address_id: r for r in answer.address_list}
    assert len([r for r in regions.values() if r.address_level == 1]) == 34
    beijing, chaoyang = regions[110000], regions[110105]
    assert (beijing.address_name, beijing.address_level, beijing.address_code) == (
        "北京市",
        1,
        "110000",
    )
    assert (chaoyang.address_name, chaoyang.address_id_parent) == ("朝阳区", 110000)
    dongguan = regions[441900]
    assert (dongguan.address_name, dongguan.address_level, dongguan.address_id_parent) == (
        "东莞市",
        2,
        440000,
    )
    assert not [r for r in regions.values() if r.address_id_parent == 441900]


async def test_102_children_are_the_matching_part_of_101(client: IdcodeClient) -> None:
    """102: Beijing's children are its districts; ``level`` filters; parent 0 = provinces."""
    everything = (await client.call(Addresses())).address_list
    children = (await client.call(AddressesByParent(address_id_parent=110000))).address_list
    assert children == [r for r in everything if r.address_id_parent == 110000]
    assert 110105 in {r.address_id for r in children}
    provinces = (await client.call(AddressesByParent(address_id_parent=0, level=1))).address_list
    assert len(provinces) == 34
    assert {r.address_level for r in provinces} == {1}
    with pytest.raises(NotFoundError):  # a municipality has no city level (101 note)
        await client.call(AddressesByParent(address_id_parent=110000, level=2))


async def test_102_a_region_without_children_is_10006(client: IdcodeClient) -> None:
    """102 documents 10006 未查到相匹配的数据: Dongguan has no district level (101 note)."""
    with pytest.raises(NotFoundError) as caught:
        await client.call(AddressesByParent(address_id_parent=441900))
    assert (caught.value.code, caught.value.endpoint) == (10006, 102)


async def test_103_and_104_trades(client: IdcodeClient) -> None:
    """103: sections and divisions; 104: the divisions of 制造业 (section 3)."""
    trades = (await client.call(Trades())).trade_list
    by_id = {t.trade_id: t for t in trades}
    assert (by_id[3].trade_name, by_id[3].trade_level, by_id[3].trade_id_parent) == (
        "制造业",
        1,
        0,
    )
    manufacturing = (await client.call(TradesByParent(trade_id_parent=3))).trade_list
    assert manufacturing == [t for t in trades if t.trade_id_parent == 3]
    assert "食品制造业" in {t.trade_name for t in manufacturing}
    first_level = (await client.call(TradesByParent(trade_id_parent=0))).trade_list
    assert {t.trade_level for t in first_level} == {1}


async def test_104_a_trade_without_children_is_10006(client: IdcodeClient) -> None:
    """104 documents 10006: 食品制造业 (114) is a leaf."""
    with pytest.raises(NotFoundError) as caught:
        await client.call(TradesByParent(trade_id_parent=114))
    assert (caught.value.code, caught.value.endpoint) == (10006, 104)


async def test_105_unit_types_give_the_code_309_takes(client: IdcodeClient) -> None:
    """105: ``code`` is what 301/309 take as ``code``; 1 is an enterprise (企业)."""
    types = {t.code: t.unit_type_name for t in (await client.call(UnitTypes())).unit_type_list}
    assert types[1] == "企业"
    assert all(isinstance(code, int) for code in types)


async def test_201_code_uses_include_products(client: IdcodeClient) -> None:
    """201: code use 10 is 产品 (406: ``codeuse_id`` is always 10)."""
    uses = {u.codeuse_id: u for u in (await client.call(CodeUses())).codeuse_list}
    assert (uses[10].codeuse_name, uses[10].codeuse_code) == ("产品", "10")
    assert {u.type_id for u in uses.values()} <= {1, 2, 3}


async def test_202_to_204_industry_categories_agree(client: IdcodeClient) -> None:
    """202 all; 203 the children of a parent; 204 exactly those of use 10 (products)."""
    everything = (await client.call(IndustryCategories())).industrycategory_list
    by_id = {c.industrycategory_id: c for c in everything}
    detergent = by_id[LAUNDRY_DETERGENT]
    assert (detergent.industrycategory_name, detergent.industrycategory_code) == (
        "洗衣液",
        "232324",
    )
    assert (detergent.codeuse_id, detergent.industrycategory_level) == (10, 3)
    assert by_id[DEVICE_CATEGORY].codeuse_id == 20

    washing = await client.call(
        IndustryCategoriesByParent(industrycategory_id_parent=detergent.industrycategory_id_parent)
    )
    assert washing.industrycategory_list == [
        c for c in everything if c.industrycategory_id_parent == 2323
    ]
    first_level = (await client.call(IndustryCategoriesByParent())).industrycategory_list
    assert first_level
    assert {c.industrycategory_level for c in first_level} == {1}

    products = (await client.call(ProductIndustryCategories())).industrycategory_list
    assert products == [c for c in everything if c.codeuse_id == 10]


async def test_203_an_unknown_parent_is_an_empty_list_not_an_error(client: IdcodeClient) -> None:
    """203 documents no 10006: a parent without children lists nothing."""
    answer = await client.call(IndustryCategoriesByParent(industrycategory_id_parent=99999999))
    assert (answer.result_code, answer.industrycategory_list) == (1, [])
