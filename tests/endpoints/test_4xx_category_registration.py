"""Section 九 (401–410): category registration and record — wire, pages, decoding, rules."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import attrs
import httpx
import pytest

from idcode_async import (
    DuplicateError,
    NotFoundError,
    ResolveUrlError,
    UsageError,
    ValidationError,
    registry,
)
from idcode_async.endpoints import (
    BaseIdcodeInfo,
    CategoryApplyPage,
    CategoryBatchRegist,
    CategoryRecordPage,
    CategoryRegItem,
    IdcodeInfoBase,
    IdcodeInfoBase2,
    IdcodeInfoSearch,
    IdcodeInfoSearch2,
    OtherCategoryRegister,
    ProductCategoryApplyPage,
    ProductCategoryRegister,
)

from ..wire import (
    BASE_URL,
    FIXED_TIME,
    TEST_TOKEN,
    assert_signed,
    business_fields,
    document_hash,
    exchange,
    read_request,
)

OK = {"result_code": 1, "result_msg": "成功"}

UNIT = "i.86.101010.3"
BIG_ID = "10030000000000001923"
"""A real-sized BigDecimal key: 20 digits, beyond int64 and float precision."""
GOTO = "https://shop.example.cn/p/detail.aspx?id=7&lang=zh-CN&q=a+b%20c&name=%E5%8D%95%E4%BD%8D"
"""A resolve URL with its own query, its inner values already encoded (seed §十四)."""
SAMPLE = GOTO + "&code=i.86.101010.3/10.232324.11/201703233"
TEMPLATE = "http://news.example.com/html/{catalogCode}/{userCode}.html"
"""A parameterised resolve URL (seed §十三, example 4)."""
CALLBACK = "https://sp.example.cn/callback?state=a/b+c&next=%2Fhome&from=品类注册"
MODEL = "保温杯 500ml & 礼盒=装 + 100% / 特价?"
"""Chinese text with every character that form encoding must protect."""


def item(**changes: object) -> CategoryRegItem:
    values: dict[str, object] = {
        "industrycategory_id": 1203,
        "codeuse_id": 10,
        "category_code": "232324",
        "category_memo": "不锈钢 保温杯 & 配件",
        "code_pay_type": 2,
        "gotourl": GOTO,
        "sample_url": SAMPLE,
        "model_number": MODEL,
        "model_number_code": "A-01+B/02",
    }
    values.update(changes)
    return CategoryRegItem(**values)  # type: ignore[arg-type]


# --- registry -------------------------------------------------------------------------------

DECLARED = [
    (401, CategoryApplyPage, "/sp/idcode/category/apply", "GET", True),
    (402, CategoryBatchRegist, "/sp/idcode/category/batchregist", "POST", False),
    (403, IdcodeInfoBase, "/sp/idcode/idcodeinfo/base", "POST", False),
    (404, IdcodeInfoSearch, "/sp/idcode/idcodeinfo/search", "POST", False),
    (405, ProductCategoryApplyPage, "/sp/idcode/category/apply/product", "POST", True),
    (406, ProductCategoryRegister, "/sp/idcode/idcodeinfo/reg/product", "POST", False),
    (407, OtherCategoryRegister, "/sp/idcode/idcodeinfo/reg/other", "POST", False),
    (408, CategoryRecordPage, "/sp/idcode/category/record", "GET", True),
    (409, IdcodeInfoBase2, "/sp/idcode/idcodeinfo/base2", "POST", False),
    (410, IdcodeInfoSearch2, "/sp/idcode/idcodeinfo/search2", "POST", False),
]


@pytest.mark.parametrize(("number", "cls", "path", "method", "is_page"), DECLARED)
def test_declared_as_documented(number, cls, path, method, is_page):
    assert registry[number] is cls
    assert cls.path == path
    assert cls.method == method  # Get/Post pages are links; other Get/Post calls go as POST
    assert cls.is_page is is_page
    assert cls.writes is (number not in {403, 404, 409, 410})


# --- wire: data interfaces ------------------------------------------------------------------

WIRE_CASES = [
    pytest.param(
        IdcodeInfoBase(
            company_idcode=UNIT,
            idcode_of_category="10.232324.11",
            model_number_code="A/B 1+2=3&4%?",
            category_reg_id=BIG_ID,
        ),
        "/sp/idcode/idcodeinfo/base",
        {
            "company_idcode": UNIT,
            "idcode_of_category": "10.232324.11",
            "model_number_code": "A/B 1+2=3&4%?",
            "category_reg_id": BIG_ID,
        },
        id="403",
    ),
    pytest.param(
        IdcodeInfoBase(company_idcode=UNIT),
        "/sp/idcode/idcodeinfo/base",
        {"company_idcode": UNIT},
        id="403-filters-unsent",
    ),
    pytest.param(
        IdcodeInfoSearch(company_idcode=UNIT, search_type=0),
        "/sp/idcode/idcodeinfo/search",
        {"company_idcode": UNIT, "search_type": "0"},
        id="404-zero-is-sent",
    ),
    pytest.param(
        IdcodeInfoSearch(company_idcode=UNIT),
        "/sp/idcode/idcodeinfo/search",
        {"company_idcode": UNIT},
        id="404-default",
    ),
    pytest.param(
        ProductCategoryRegister(
            company_idcode=UNIT,
            industrycategory_id=1203,
            category_code="232324",
            model_number=MODEL,
            model_number_code="A-01+B/02",
            code_pay_type="2",
            gotourl=GOTO,
            sample_url=SAMPLE,
        ),
        "/sp/idcode/idcodeinfo/reg/product",
        {
            "company_idcode": UNIT,
            "codeuse_id": "10",
            "industrycategory_id": "1203",
            "category_code": "232324",
            "model_number": MODEL,
            "model_number_code": "A-01+B/02",
            "code_pay_type": "2",
            "gotourl": GOTO,
            "sample_url": SAMPLE,
        },
        id="406",
    ),
    pytest.param(
        OtherCategoryRegister(
            company_idcode=UNIT,
            codeuse_id="20",
            industrycategory_id=88,
            category_code="10086",
            model_number="会员卡 金卡",
            model_number_en="Gold card & co = 100%",
            introduction="简介：a+b/c?d=e",
            code_pay_type=5,
            gotourl=TEMPLATE,
            sample_url="http://news.example.com/html/10.232324.11/201703233.html",
        ),
        "/sp/idcode/idcodeinfo/reg/other",
        {
            "company_idcode": UNIT,
            "codeuse_id": "20",
            "industrycategory_id": "88",
            "category_code": "10086",
            "model_number": "会员卡 金卡",
            "model_number_en": "Gold card & co = 100%",
            "introduction": "简介：a+b/c?d=e",
            "code_pay_type": "5",
            "gotourl": TEMPLATE,
            "sample_url": "http://news.example.com/html/10.232324.11/201703233.html",
        },
        id="407",
    ),
    pytest.param(
        OtherCategoryRegister(
            company_idcode=UNIT,
            codeuse_id="20",
            industrycategory_id=88,
            category_code="10086",
            model_number="会员卡",
            code_pay_type=2,
            gotourl=GOTO,
            sample_url=SAMPLE,
        ),
        "/sp/idcode/idcodeinfo/reg/other",
        {
            "company_idcode": UNIT,
            "codeuse_id": "20",
            "industrycategory_id": "88",
            "category_code": "10086",
            "model_number": "会员卡",
            "code_pay_type": "2",
            "gotourl": GOTO,
            "sample_url": SAMPLE,
        },
        id="407-optional-unsent",
    ),
    pytest.param(
        IdcodeInfoBase2(
            company_idcode=UNIT,
            idcode_of_category="10.232324.11",
            model_number_code="型号 #1 & 2",
            category_reg_id=BIG_ID,
        ),
        "/sp/idcode/idcodeinfo/base2",
        {
            "company_idcode": UNIT,
            "idcode_of_category": "10.232324.11",
            "model_number_code": "型号 #1 & 2",
            "category_reg_id": BIG_ID,
        },
        id="409",
    ),
    pytest.param(
        IdcodeInfoSearch2(company_idcode=UNIT, search_type=2),
        "/sp/idcode/idcodeinfo/search2",
        {"company_idcode": UNIT, "search_type": "2"},
        id="410",
    ),
]


@pytest.mark.parametrize(("spec", "path", "expected"), WIRE_CASES)
async def test_wire(client, router, spec, path, expected):
    wire, _ = await exchange(client, router, spec, OK)
    assert wire.method == "POST"  # Get/Post or Post: token and hash in the body, not the URL
    assert wire.path == path
    assert wire.content_type.startswith("application/x-www-form-urlencoded")
    assert wire.query == {}
    assert business_fields(wire) == expected
    assert wire.fields["time"] == str(FIXED_TIME)
    assert_signed(wire)


async def test_402_parameters_travel_in_signed_json_str(client, router):
    spec = CategoryBatchRegist(
        company_idcode=UNIT,
        category_reg_list=[
            item(),
            item(
                industrycategory_id=77,
                codeuse_id=30,
                category_memo=None,
                code_pay_type=5,
                gotourl=TEMPLATE,
                sample_url=None,
                model_number="会员卡",
                model_number_code="VIP",
            ),
        ],
    )
    wire, _ = await exchange(client, router, spec, {"batch_regist_list": [], **OK})

    assert wire.method == "POST"
    assert wire.path == "/sp/idcode/category/batchregist"
    assert wire.content_type.startswith("application/x-www-form-urlencoded")
    assert wire.query == {}
    assert set(wire.fields) == {"json_str", "time", "hash"}  # no top-level access_token
    envelope = json.loads(wire.fields["json_str"])
    assert list(envelope) == ["access_token", "company_idcode", "category_reg_list"]
    assert envelope["access_token"] == TEST_TOKEN
    assert envelope["company_idcode"] == UNIT
    first, second = envelope["category_reg_list"]
    assert list(first) == [
        "industrycategory_id",
        "codeuse_id",
        "category_code",
        "category_memo",
        "code_pay_type",
        "gotourl",
        "sample_url",
        "model_number",
        "model_number_code",
    ]
    assert first == {
        "industrycategory_id": 1203,
        "codeuse_id": 10,
        "category_code": "232324",
        "category_memo": "不锈钢 保温杯 & 配件",
        "code_pay_type": 2,
        "gotourl": GOTO,
        "sample_url": SAMPLE,
        "model_number": MODEL,
        "model_number_code": "A-01+B/02",
    }
    # Integer fields are JSON numbers, String fields JSON strings.
    for key in ("industrycategory_id", "codeuse_id", "code_pay_type"):
        assert type(first[key]) is int
    assert type(first["category_code"]) is str
    assert second == {  # optional fields left out, not sent as null
        "industrycategory_id": 77,
        "codeuse_id": 30,
        "category_code": "232324",
        "code_pay_type": 5,
        "gotourl": TEMPLATE,
        "model_number": "会员卡",
        "model_number_code": "VIP",
    }
    assert wire.fields["time"] == str(FIXED_TIME)
    assert_signed(wire, token_in_json=True)  # hash over json_str and time only


async def test_402_raw_body_has_no_token_outside_json(client, router):
    spec = CategoryBatchRegist(company_idcode=UNIT, category_reg_list=[item()])
    route = router.route(path=CategoryBatchRegist.path).mock(
        return_value=httpx.Response(200, json=OK)
    )
    await client.call(spec)
    body = route.calls.last.request.content.decode("ascii")
    assert not body.startswith("access_token=")
    assert "&access_token=" not in body
    assert read_request(route.calls.last.request).fields["json_str"].count(TEST_TOKEN) == 1


# --- page interfaces ------------------------------------------------------------------------

PAGE_VALUES = {
    "company_idcode": UNIT,
    "gotourl": GOTO,
    "sample_url": SAMPLE,
    "callback_url": CALLBACK,
}


def assert_signed_page(path: str, fields: dict[str, str], expected: dict[str, str]) -> None:
    assert {k: v for k, v in fields.items() if k not in {"access_token", "time", "hash"}} == (
        expected
    )
    assert fields["access_token"] == TEST_TOKEN
    assert fields["time"] == str(FIXED_TIME)
    assert len(fields["time"]) == 13
    assert fields["hash"] == document_hash(path, fields)


def decode_query(url: str) -> tuple[str, dict[str, str]]:
    split = urlsplit(url)
    assert f"{split.scheme}://{split.netloc}" == BASE_URL
    pairs = parse_qsl(split.query, keep_blank_values=True, strict_parsing=True)
    names = [k for k, _ in pairs]
    assert len(names) == len(set(names)), f"duplicate query parameters: {names}"
    return split.path, dict(pairs)


@pytest.mark.parametrize(
    ("cls", "path"),
    [
        (CategoryApplyPage, "/sp/idcode/category/apply"),
        (CategoryRecordPage, "/sp/idcode/category/record"),
    ],
)
def test_401_408_page_url_is_signed_link(client, cls, path):
    url = client.page_url(cls(**PAGE_VALUES))
    assert url.startswith(f"{BASE_URL}{path}?")
    decoded_path, fields = decode_query(url)
    assert decoded_path == path
    assert_signed_page(path, fields, PAGE_VALUES)


def test_401_page_url_from_registry(client):
    spec = registry[401](
        company_idcode=UNIT, gotourl=TEMPLATE, sample_url=SAMPLE, callback_url=CALLBACK
    )
    path, fields = decode_query(client.page_url(spec))
    assert path == "/sp/idcode/category/apply"
    assert_signed_page(
        path,
        fields,
        {
            "company_idcode": UNIT,
            "gotourl": TEMPLATE,
            "sample_url": SAMPLE,
            "callback_url": CALLBACK,
        },
    )


def test_405_page_form_is_posted(client):
    values = {
        "company_idcode": UNIT,
        "industrycategory_id": "1203",
        "code_pay_type": "5",
        "gotourl": GOTO,
        "sample_url": SAMPLE,
        "callback_url": CALLBACK,
    }
    form = client.page_form(ProductCategoryApplyPage(**values))
    assert form.method == "POST"  # documented Post only
    assert form.action == f"{BASE_URL}/sp/idcode/category/apply/product"
    assert_signed_page("/sp/idcode/category/apply/product", form.fields, values)


@pytest.mark.parametrize(
    "spec",
    [
        CategoryApplyPage(**PAGE_VALUES),
        CategoryRecordPage(**PAGE_VALUES),
        ProductCategoryApplyPage(industrycategory_id="1203", code_pay_type="2", **PAGE_VALUES),
    ],
    ids=["401", "408", "405"],
)
async def test_page_interfaces_cannot_be_called(client, router, spec):
    route = router.route().mock(return_value=httpx.Response(200, json=OK))
    with pytest.raises(UsageError, match="page interface"):
        await client.call(spec)
    assert route.call_count == 0


# --- decoding -------------------------------------------------------------------------------


async def test_402_decodes_stray_space_key_and_big_ids(client, router):
    raw = (
        '{"batch_regist _list":[{"industrycategory_id":"1203","category_reg_id":'
        + BIG_ID
        + '},{"industrycategory_id":77,"category_reg_id":"10030000000000001924"}],'
        '"ResultCode":1,"ResultMsg":"成功"}'
    )
    spec = CategoryBatchRegist(company_idcode=UNIT, category_reg_list=[item()])
    _, result = await exchange(client, router, spec, raw)
    assert (result.result_code, result.result_msg) == (1, "成功")
    assert [(r.industrycategory_id, r.category_reg_id) for r in result.batch_regist_list] == [
        ("1203", BIG_ID),
        ("77", "10030000000000001924"),
    ]


DOCUMENT_403_ROW = (
    '{"category_reg_id":' + BIG_ID + '," category_reg_idstr ":"' + BIG_ID + '",'
    '"organunit_id":10030000000000000017, " organunit_idstr ":"10030000000000000017",'
    '"bill_number":"B20170616","guid_number":"G-0001","codeuse_id":10,'
    '"category_code":"232324","category_memo":"保温杯","model_number":"保温杯 500ml",'
    '"model_number_code":"A-01","code_pay_type":2,"model_number_en":"Vacuum cup",'
    '"introduction":"描述","complete_code":"i.86.101010.3/10.232324.11",'
    '"detail_para":"容量=500ml","picture_name":"cup.png"'
)


def assert_document_row(row: BaseIdcodeInfo) -> None:
    assert row.category_reg_id == BIG_ID  # exact, not 1.003e19
    assert row.category_reg_idstr == BIG_ID
    assert row.organunit_id == "10030000000000000017"
    assert row.organunit_idstr == "10030000000000000017"
    assert (row.bill_number, row.guid_number) == ("B20170616", "G-0001")
    assert row.codeuse_id == "10"  # a String in the table, a bare number in the example
    assert (row.category_code, row.category_memo) == ("232324", "保温杯")
    assert (row.model_number, row.model_number_code) == ("保温杯 500ml", "A-01")
    assert row.code_pay_type == 2
    assert (row.model_number_en, row.introduction) == ("Vacuum cup", "描述")
    assert row.complete_code == "i.86.101010.3/10.232324.11"
    assert (row.detail_para, row.picture_name) == ("容量=500ml", "cup.png")


async def test_403_decodes_document_example_from_raw_bytes(client, router):
    raw = '{"base_idcode_list":[' + DOCUMENT_403_ROW + '}],"result_code":1,"result_msg":"成功"}'
    _, result = await exchange(client, router, IdcodeInfoBase(company_idcode=UNIT), raw.encode())
    (row,) = result.base_idcode_list
    assert_document_row(row)


async def test_403_decodes_ids_sent_as_strings(client, router):
    answer = {
        "base_idcode_list": [
            {"category_reg_id": BIG_ID, " organunit_id": "10030000000000000017"},
        ],
        **OK,
    }
    _, result = await exchange(client, router, IdcodeInfoBase(company_idcode=UNIT), answer)
    (row,) = result.base_idcode_list
    assert (row.category_reg_id, row.organunit_id) == (BIG_ID, "10030000000000000017")
    assert row.category_reg_idstr is None


@pytest.mark.parametrize(
    "spec",
    [IdcodeInfoSearch(company_idcode=UNIT), IdcodeInfoSearch2(company_idcode=UNIT)],
    ids=["404", "410"],
)
async def test_404_410_null_list_decodes_empty(client, router, spec):
    _, result = await exchange(client, router, spec, {"base_idcode_list": None, **OK})
    assert result.base_idcode_list == []


@pytest.mark.parametrize(
    "spec",
    [IdcodeInfoBase2(company_idcode=UNIT), IdcodeInfoSearch2(company_idcode=UNIT, search_type=1)],
    ids=["409", "410"],
)
async def test_409_410_decode_regist_type(client, router, spec):
    raw = (
        '{"base_idcode_list":['
        + DOCUMENT_403_ROW
        + ',"regist_type":"2"},{"category_reg_id":1,"regist_type":-1}],'
        '"ResultCode":1,"ResultMsg":"成功"}'
    )
    _, result = await exchange(client, router, spec, raw)
    assert result.result_msg == "成功"
    commodity, recorded = result.base_idcode_list
    assert_document_row(commodity)
    assert commodity.regist_type == 2
    assert (recorded.category_reg_id, recorded.regist_type) == ("1", -1)


async def test_406_decodes_category_code_and_reg_id(client, router):
    # The document prints the key as " category_reg_id", with a stray space.
    raw = (
        '{"organunit_idcode":"i.86.101010.3/10.232324.11/"," category_reg_id":'
        + BIG_ID
        + ',"result_code":1,"result_msg":"成功"}'
    )
    spec = ProductCategoryRegister(
        company_idcode=UNIT,
        industrycategory_id=1203,
        category_code="232324",
        model_number="保温杯",
        model_number_code="A-01",
        code_pay_type="2",
        gotourl=GOTO,
        sample_url=SAMPLE,
    )
    _, result = await exchange(client, router, spec, raw)
    assert result.organunit_idcode == "i.86.101010.3/10.232324.11/"
    assert result.category_reg_id == BIG_ID


async def test_407_decodes_category_code_and_reg_id(client, router):
    answer = {
        "organunit_idcode": "i.86.101010.3/20.10086.1",
        " category_reg_id": BIG_ID,
        "ResultCode": 1,
        "ResultMsg": "成功",
    }
    _, result = await exchange(client, router, other_register(), answer)
    assert (result.organunit_idcode, result.category_reg_id) == ("i.86.101010.3/20.10086.1", BIG_ID)
    assert (result.result_code, result.result_msg) == (1, "成功")


# --- result codes ---------------------------------------------------------------------------


def product_register() -> ProductCategoryRegister:
    return ProductCategoryRegister(
        company_idcode=UNIT,
        industrycategory_id=1203,
        category_code="232324",
        model_number="保温杯",
        model_number_code="A-01",
        code_pay_type="5",
        gotourl=GOTO,
        sample_url=SAMPLE,
    )


def other_register() -> OtherCategoryRegister:
    return OtherCategoryRegister(
        company_idcode=UNIT,
        codeuse_id="20",
        industrycategory_id=88,
        category_code="10086",
        model_number="会员卡",
        code_pay_type=2,
        gotourl=GOTO,
        sample_url=SAMPLE,
    )


@pytest.mark.parametrize(
    ("spec", "code", "message", "error"),
    [
        (product_register(), 50001, "存在相同的型号编码", DuplicateError),
        (other_register(), 50002, "重复申请", DuplicateError),
        (
            CategoryBatchRegist(company_idcode=UNIT, category_reg_list=[item()]),
            30002,
            "解析地址格式不正确",
            ResolveUrlError,
        ),
        (other_register(), 30005, "示例地址与解析地址不匹配", ResolveUrlError),
        (IdcodeInfoBase(company_idcode=UNIT), 10003, "单位信息不存在", NotFoundError),
        (IdcodeInfoSearch2(company_idcode=UNIT), 10003, "单位信息不存在", NotFoundError),
    ],
    ids=["406-50001", "407-50002", "402-30002", "407-30005", "403-10003", "410-10003"],
)
async def test_result_codes_map_to_errors(client, router, spec, code, message, error):
    answer = {"result_code": code, "result_msg": message}
    route = router.route(path=spec.path).mock(return_value=httpx.Response(200, json=answer))
    with pytest.raises(error) as info:
        await client.call(spec)
    assert (info.value.code, info.value.message, info.value.endpoint) == (
        code,
        message,
        spec.number,
    )
    assert route.call_count == 1  # refusals are final: never retried


# --- validation: every spec -----------------------------------------------------------------

VALID = {
    CategoryApplyPage: PAGE_VALUES,
    CategoryRecordPage: PAGE_VALUES,
    ProductCategoryApplyPage: {**PAGE_VALUES, "industrycategory_id": "1203", "code_pay_type": "2"},
    CategoryBatchRegist: {"company_idcode": UNIT, "category_reg_list": [item()]},
    IdcodeInfoBase: {"company_idcode": UNIT},
    IdcodeInfoSearch: {"company_idcode": UNIT},
    IdcodeInfoBase2: {"company_idcode": UNIT},
    IdcodeInfoSearch2: {"company_idcode": UNIT},
    ProductCategoryRegister: {
        "company_idcode": UNIT,
        "industrycategory_id": 1203,
        "category_code": "232324",
        "model_number": "保温杯",
        "model_number_code": "A-01",
        "code_pay_type": "2",
        "gotourl": GOTO,
        "sample_url": SAMPLE,
    },
    OtherCategoryRegister: {
        "company_idcode": UNIT,
        "codeuse_id": "20",
        "industrycategory_id": 88,
        "category_code": "10086",
        "model_number": "会员卡",
        "code_pay_type": 2,
        "gotourl": GOTO,
        "sample_url": SAMPLE,
    },
}

REQUIRED = [(cls, name) for cls, values in VALID.items() for name in values] + [
    (ProductCategoryRegister, "codeuse_id"),
]
"""VALID holds exactly the documented-required parameters (必填), plus 406's fixed code use."""


def reject(cls: type, parameter: str, value: object, match: str | None = None) -> None:
    with pytest.raises(ValidationError, match=match) as info:
        cls(**{**VALID[cls], parameter: value})
    assert info.value.parameter == parameter
    assert info.value.endpoint == cls.number


@pytest.mark.parametrize("cls", list(VALID))
def test_valid_values_are_accepted(cls):
    cls(**VALID[cls])


@pytest.mark.parametrize(("cls", "name"), REQUIRED)
def test_required_parameter_cannot_be_none(cls, name):
    reject(cls, name, None, "is required")


@pytest.mark.parametrize(("cls", "name"), REQUIRED)
def test_required_parameter_cannot_be_left_out(cls, name):
    if name == "codeuse_id" and cls is ProductCategoryRegister:
        assert cls(**VALID[cls]).codeuse_id == "10"  # fixed: defaulted, not left out
        return
    values = {k: v for k, v in VALID[cls].items() if k != name}
    with pytest.raises(ValidationError, match="is required") as info:
        cls(**values)
    assert info.value.parameter == name


BLANKABLE = [(cls, name) for cls, name in REQUIRED if isinstance(VALID[cls].get(name), str)]


@pytest.mark.parametrize(("cls", "name"), BLANKABLE)
def test_required_text_cannot_be_blank(cls, name):
    # codeuse_id/code_pay_type are Literals ("10", "2"/"5"): blank is simply not a member.
    reject(cls, name, " \t", None)


URL_FIELDS = [(cls, name) for cls, name in REQUIRED if name.endswith("url")]


@pytest.mark.parametrize(("cls", "name"), URL_FIELDS)
@pytest.mark.parametrize("bad", ["www.example.cn/p?id=1", "ftp://example.cn/p", "http:// x.cn"])
def test_urls_must_be_absolute_http(cls, name, bad):
    reject(cls, name, bad, "http")


def test_url_fields_are_all_covered():
    assert {(cls.number, name) for cls, name in URL_FIELDS} == {
        (n, f) for n in (401, 405, 406, 407, 408) for f in ("gotourl", "sample_url")
    } | {(n, "callback_url") for n in (401, 405, 408)}


@pytest.mark.parametrize(
    ("cls", "name", "value", "match"),
    [
        (ProductCategoryApplyPage, "code_pay_type", "3", "one of '2', '5'"),
        (ProductCategoryApplyPage, "code_pay_type", 2, "must be a string"),
        (ProductCategoryApplyPage, "industrycategory_id", 1203, "must be a string"),
        (ProductCategoryRegister, "code_pay_type", "1", "one of '2', '5'"),
        (ProductCategoryRegister, "code_pay_type", 5, "must be a string"),
        (ProductCategoryRegister, "codeuse_id", "11", "one of '10'"),
        (ProductCategoryRegister, "codeuse_id", 10, "must be a string"),
        (ProductCategoryRegister, "industrycategory_id", "1203", "must be an integer"),
        (ProductCategoryRegister, "industrycategory_id", True, "must be an integer"),
        (OtherCategoryRegister, "code_pay_type", 3, "one of 2, 5"),
        (OtherCategoryRegister, "code_pay_type", "2", "must be an integer"),
        (OtherCategoryRegister, "codeuse_id", "10", "406"),
        (OtherCategoryRegister, "codeuse_id", " 10 ", "406"),
        (OtherCategoryRegister, "codeuse_id", 20, "must be a string"),
        (OtherCategoryRegister, "industrycategory_id", "88", "must be an integer"),
        (OtherCategoryRegister, "model_number_en", 1, "must be a string"),
        (IdcodeInfoBase, "category_reg_id", 10030000000000001923, "must be a string"),
        (IdcodeInfoBase2, "idcode_of_category", 10, "must be a string"),
        (IdcodeInfoSearch, "search_type", 3, "one of 0, 1, 2"),
        (IdcodeInfoSearch, "search_type", "1", "must be an integer"),
        (IdcodeInfoSearch2, "search_type", -1, "one of 0, 1, 2"),
    ],
)
def test_documented_types_and_values(cls, name, value, match):
    reject(cls, name, value, match)


def test_406_codeuse_is_fixed_and_always_sent():
    spec = ProductCategoryRegister(**VALID[ProductCategoryRegister])
    assert spec.codeuse_id == "10"
    assert spec.wire().fields["codeuse_id"] == "10"


# --- validation: 402 and its items ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("industrycategory_id", "1203", "must be an integer"),
        ("industrycategory_id", True, "must be an integer"),
        ("industrycategory_id", None, "is required"),
        ("codeuse_id", "10", "must be an integer"),
        ("category_code", " ", "must not be blank"),
        ("category_code", 232324, "must be a string"),
        ("category_memo", 5, "must be a string"),
        ("code_pay_type", 3, "one of 2, 5"),
        ("code_pay_type", "2", "must be an integer"),
        ("gotourl", "", "must not be blank"),
        ("gotourl", "ftp://example.cn/p", "http"),
        ("sample_url", "example.cn/p", "http"),
        ("model_number", None, "is required"),
        ("model_number_code", 123, "must be a string"),
    ],
)
def test_402_item_rules(name, value, match):
    with pytest.raises(ValidationError, match=match) as info:
        item(**{name: value})
    assert info.value.parameter == f"category_reg_list[].{name}"
    assert info.value.endpoint == 402


def test_402_item_optional_fields_may_be_left_out():
    bare = CategoryRegItem(
        industrycategory_id=1,
        codeuse_id=10,
        category_code="1",
        code_pay_type=5,
        gotourl=GOTO,
        model_number="m",
        model_number_code="c",
    )
    assert (bare.category_memo, bare.sample_url) == (None, None)


def test_402_item_requires_its_documented_fields():
    with pytest.raises(ValidationError, match=r"model_number_code.*is required"):
        CategoryRegItem(  # type: ignore[call-arg]
            industrycategory_id=1,
            codeuse_id=10,
            category_code="1",
            code_pay_type=5,
            gotourl=GOTO,
            model_number="m",
        )


@pytest.mark.parametrize(
    ("items", "parameter", "match"),
    [
        ([], "category_reg_list", "at least one"),
        ((), "category_reg_list", "at least one"),
        ("abc", "category_reg_list", "must be a list"),
        (item(), "category_reg_list", "must be a list"),
        ([item(), {"industrycategory_id": 1}], "category_reg_list[1]", "CategoryRegItem"),
        ([None], "category_reg_list[0]", "CategoryRegItem"),
    ],
    ids=["empty-list", "empty-tuple", "string", "bare-item", "dict", "none"],
)
def test_402_needs_a_list_of_items(items, parameter, match):
    with pytest.raises(ValidationError, match=match) as info:
        CategoryBatchRegist(company_idcode=UNIT, category_reg_list=items)
    assert info.value.parameter == parameter
    assert info.value.endpoint == 402


def test_402_names_an_unchecked_bad_item_by_index():
    with attrs.validators.disabled():
        unchecked = item(gotourl="not a url")
    with pytest.raises(ValidationError, match="http") as info:
        CategoryBatchRegist(company_idcode=UNIT, category_reg_list=[item(), unchecked])
    assert info.value.parameter == "category_reg_list[1].gotourl"
    assert info.value.endpoint == 402


def test_402_batch_is_frozen_once_checked():
    items = [item()]
    spec = CategoryBatchRegist(company_idcode=UNIT, category_reg_list=items)
    items.append("not an item")  # type: ignore[arg-type]
    assert spec.category_reg_list == (item(),)
    hash(spec)


def test_405_page_url_is_refused_because_it_is_post_only(client):
    from idcode_async import UsageError

    spec = ProductCategoryApplyPage(
        company_idcode="i.86.120103.1021",
        industrycategory_id="1001",
        code_pay_type="2",
        gotourl="http://www.example.com/p.aspx",
        sample_url="http://www.example.com/p.aspx?code=x",
        callback_url="http://sp.example.com/cb",
    )
    with pytest.raises(UsageError, match="page_form"):
        client.page_url(spec)
