"""Section 七 (201–204): code uses and industry categories — wire, decoding, errors."""

from __future__ import annotations

import attrs
import httpx
import pytest

from idcode_async import ApiError, AuthError, ValidationError, registry
from idcode_async.endpoints import (
    CodeUses,
    CodeUsesResponse,
    IndustryCategories,
    IndustryCategoriesByParent,
    IndustryCategoriesResponse,
    ProductIndustryCategories,
)

from ..wire import assert_signed, business_fields, exchange

OK = {"result_code": 1, "result_msg": "成功"}

WIRE_CASES = [
    (CodeUses(), "/sp/idcode/codeuse", {}),
    (IndustryCategories(), "/sp/idcode/industrycategory", {}),
    (
        IndustryCategoriesByParent(industrycategory_id_parent=0),
        "/sp/idcode/industrycategory/parent/id",
        {"industrycategory_id_parent": "0"},
    ),
    (
        IndustryCategoriesByParent(industrycategory_id_parent=1024),
        "/sp/idcode/industrycategory/parent/id",
        {"industrycategory_id_parent": "1024"},
    ),
    (IndustryCategoriesByParent(), "/sp/idcode/industrycategory/parent/id", {}),
    (ProductIndustryCategories(), "/sp/idcode/industrycategory/product", {}),
]


@pytest.mark.parametrize(("spec", "path", "expected"), WIRE_CASES)
async def test_wire(client, router, spec, path, expected):
    wire, _ = await exchange(client, router, spec, OK)
    assert wire.method == "POST"  # documented Get/Post: sent as POST, token in the body
    assert wire.path == path
    assert wire.query == {}
    assert wire.content_type.startswith("application/x-www-form-urlencoded")
    assert business_fields(wire) == expected
    assert_signed(wire)


@pytest.mark.parametrize(
    ("number", "cls", "path"),
    [
        (201, CodeUses, "/sp/idcode/codeuse"),
        (202, IndustryCategories, "/sp/idcode/industrycategory"),
        (203, IndustryCategoriesByParent, "/sp/idcode/industrycategory/parent/id"),
        (204, ProductIndustryCategories, "/sp/idcode/industrycategory/product"),
    ],
)
def test_declared_as_documented(number, cls, path):
    assert cls.number == number
    assert cls.path == path
    assert cls.documented_methods == frozenset({"GET", "POST"})
    assert cls.writes is False
    assert registry[number] is cls


@pytest.mark.parametrize(
    ("cls", "parameters"),
    [
        (CodeUses, []),
        (IndustryCategories, []),
        (IndustryCategoriesByParent, ["industrycategory_id_parent"]),
        (ProductIndustryCategories, []),
    ],
)
def test_parameters_as_documented(cls, parameters):
    fields = attrs.fields(cls)
    assert [f.name for f in fields] == parameters
    # 203's parent ID is not marked 必填 (unlike 102/104): optional, not sent when None.
    assert all(f.default is None for f in fields)


def test_response_types():
    assert CodeUses.response_type is CodeUsesResponse
    for cls in (IndustryCategories, IndustryCategoriesByParent, ProductIndustryCategories):
        assert cls.response_type is IndustryCategoriesResponse


async def test_201_decodes_document_example(client, router):
    # 201's example, its placeholders filled in: codeuse_list of CodeUseInfo.
    answer = {
        "codeuse_list": [
            {"codeuse_id": 10, "codeuse_name": "产品", "codeuse_code": "10", "type_id": 3},
            {"codeuse_id": 20, "codeuse_name": "人员", "codeuse_code": "20", "type_id": 1},
        ],
        "result_code": 1,
        "result_msg": "成功",
    }
    _, result = await exchange(client, router, CodeUses(), answer)
    assert isinstance(result, CodeUsesResponse)
    assert (result.result_code, result.result_msg) == (1, "成功")
    assert [
        (u.codeuse_id, u.codeuse_name, u.codeuse_code, u.type_id) for u in result.codeuse_list
    ] == [
        (10, "产品", "10", 3),
        (20, "人员", "20", 1),
    ]


async def test_201_null_list_decodes_empty(client, router):
    _, result = await exchange(client, router, CodeUses(), {"codeuse_list": None, **OK})
    assert result.codeuse_list == []


ID_CARD_PATTERN = r"^\d{17}[\dXx]$"

CATEGORY_ROW = {
    "industrycategory_id": 132,
    "industrycategory_name": "身份证",
    "industrycategory_id_parent": 131,
    "industrycategory_level": 2,
    "industrycategory_code": "10.1.2",
    "codeuse_id": 20,
    "industrycategory_isdel": 0,
    "type_id": 1,
    "check_format": ID_CARD_PATTERN,
}


@pytest.mark.parametrize(
    "spec",
    [
        IndustryCategories(),
        IndustryCategoriesByParent(industrycategory_id_parent=131),
        ProductIndustryCategories(),
    ],
)
async def test_202_203_204_decode_document_example(client, router, spec):
    # ResultCode/ResultMsg: the other spelling the document allows for the envelope.
    answer = {"industrycategory_list": [CATEGORY_ROW], "ResultCode": 1, "ResultMsg": "成功"}
    _, result = await exchange(client, router, spec, answer)
    assert isinstance(result, IndustryCategoriesResponse)
    assert (result.result_code, result.result_msg) == (1, "成功")
    (category,) = result.industrycategory_list
    assert category.industrycategory_id == 132
    assert category.industrycategory_name == "身份证"
    assert category.industrycategory_id_parent == 131
    assert category.industrycategory_level == 2
    assert category.industrycategory_code == "10.1.2"
    assert category.codeuse_id == 20
    assert category.industrycategory_isdel == 0
    assert category.type_id == 1
    assert category.check_format == ID_CARD_PATTERN


async def test_204_decodes_key_printed_with_stray_space(client, router):
    # 204's table wraps "industrycategory_id_paren t"; stray spaces in keys are absorbed.
    raw = (
        '{"industrycategory_list":[{"industrycategory_id":7,'
        '"industrycategory_id_paren t":0,"check_format":null}],'
        '"result_code":1,"result_msg":"成功"}'
    )
    _, result = await exchange(client, router, ProductIndustryCategories(), raw.encode())
    (category,) = result.industrycategory_list
    assert (category.industrycategory_id, category.industrycategory_id_parent) == (7, 0)
    assert category.check_format is None


async def test_202_null_list_decodes_empty(client, router):
    answer = {"industrycategory_list": None, **OK}
    _, result = await exchange(client, router, IndustryCategories(), answer)
    assert result.industrycategory_list == []


@pytest.mark.parametrize(("code", "error"), [(10001, AuthError), (10002, AuthError), (0, ApiError)])
async def test_documented_failures_raise(client, router, code, error):
    route = router.route(path="/sp/idcode/codeuse").mock(
        return_value=httpx.Response(200, json={"result_code": code, "result_msg": "失败"})
    )
    with pytest.raises(error) as info:
        await client.call(CodeUses())
    assert type(info.value) is error
    assert (info.value.code, info.value.message, info.value.endpoint) == (code, "失败", 201)
    assert route.call_count == 1  # not retried: neither code is transient


def test_203_rejects_wrong_type():
    with pytest.raises(ValidationError) as info:
        IndustryCategoriesByParent(industrycategory_id_parent="0")  # type: ignore[arg-type]
    assert info.value.parameter == "industrycategory_id_parent"
    assert info.value.endpoint == 203


def test_201_takes_no_parameters():
    with pytest.raises(ValidationError, match="not a parameter") as info:
        CodeUses(codeuse_id=10)  # type: ignore[call-arg]
    assert (info.value.parameter, info.value.endpoint) == ("codeuse_id", 201)
