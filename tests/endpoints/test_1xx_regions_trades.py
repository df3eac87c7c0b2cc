"""Section 六 (101–105): regions, trades, unit types — wire and decoding."""

from __future__ import annotations

import pytest

from idcode_async import ValidationError
from idcode_async.endpoints import (
    Addresses,
    AddressesByParent,
    Trades,
    TradesByParent,
    UnitTypes,
)

from ..wire import assert_signed, business_fields, exchange

OK = {"result_code": 1, "result_msg": "成功"}

WIRE_CASES = [
    (Addresses(), "/sp/idcode/addresses", {}),
    (
        AddressesByParent(address_id_parent=0, level=1),
        "/sp/idcode/addresses/parent/id",
        {"address_id_parent": "0", "level": "1"},
    ),
    (
        AddressesByParent(address_id_parent=440000),
        "/sp/idcode/addresses/parent/id",
        {"address_id_parent": "440000"},
    ),
    (Trades(), "/sp/idcode/trades", {}),
    (TradesByParent(trade_id_parent=0), "/sp/idcode/trades/parent/id", {"trade_id_parent": "0"}),
    (UnitTypes(), "/sp/idcode/unittypes", {}),
]


@pytest.mark.parametrize(("spec", "path", "expected"), WIRE_CASES)
async def test_wire(client, router, spec, path, expected):
    wire, _ = await exchange(client, router, spec, OK)
    assert wire.method == "POST"  # documented Get/Post: sent as POST, token in the body
    assert wire.path == path
    assert wire.query == {}
    assert business_fields(wire) == expected
    assert_signed(wire)


async def test_101_decodes_document_example(client, router):
    answer = {
        "address_list": [
            {
                "address_id": 110000,
                "address_name": "北京市",
                "address_level": 1,
                "address_id_parent": 0,
                "address_code": "110000",
            },
        ],
        "ResultCode": 1,
        "ResultMsg": "成功",
    }
    _, result = await exchange(client, router, Addresses(), answer)
    assert result.result_code == 1
    assert result.result_msg == "成功"
    (beijing,) = result.address_list
    assert (beijing.address_id, beijing.address_name, beijing.address_level) == (
        110000,
        "北京市",
        1,
    )
    assert (beijing.address_id_parent, beijing.address_code) == (0, "110000")


async def test_102_null_list_decodes_empty(client, router):
    _, result = await exchange(
        client, router, AddressesByParent(address_id_parent=0), {"address_list": None, **OK}
    )
    assert result.address_list == []


async def test_103_104_decode(client, router):
    row = {"trade_id": 1, "trade_name": "农、林、牧、渔业", "trade_level": 1, "trade_id_parent": 0}
    for spec in (Trades(), TradesByParent(trade_id_parent=0)):
        router.routes.clear()
        _, result = await exchange(client, router, spec, {"trade_list": [row], **OK})
        (trade,) = result.trade_list
        assert (trade.trade_id, trade.trade_name, trade.trade_level, trade.trade_id_parent) == (
            1,
            "农、林、牧、渔业",
            1,
            0,
        )


async def test_105_decode(client, router):
    answer = {"unit_type_list": [{"unit_type_name": "企业", "code": 1}], **OK}
    _, result = await exchange(client, router, UnitTypes(), answer)
    assert [(u.unit_type_name, u.code) for u in result.unit_type_list] == [("企业", 1)]


def test_102_rejects_undocumented_level():
    with pytest.raises(ValidationError) as info:
        AddressesByParent(address_id_parent=0, level=4)
    assert info.value.parameter == "level"
    assert info.value.endpoint == 102


def test_102_requires_parent():
    with pytest.raises(ValidationError, match="is required") as info:
        AddressesByParent()  # type: ignore[call-arg]
    assert (info.value.parameter, info.value.endpoint) == ("address_id_parent", 102)


def test_102_rejects_wrong_type():
    with pytest.raises(ValidationError, match="must be an integer"):
        AddressesByParent(address_id_parent="0")  # type: ignore[arg-type]
