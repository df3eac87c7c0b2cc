"""Sections 十一/十二 (601–608, 701): pictures and other interfaces — wire, decoding, rules."""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from idcode_async import (
    FileError,
    LoginError,
    UsageError,
    ValidationError,
    registry,
)
from idcode_async.endpoints import (
    AuthenPic,
    CategoryGotoUrl,
    CodePic,
    CodePicAuthen,
    CodePicWithMargin,
    ExamineRecord,
    GotoUrlWhitelist,
    LoginPage,
    LoginVerify,
    OrganUnitResponse,
)

from ..wire import FIXED_TIME, TEST_TOKEN, assert_signed, business_fields, document_hash, exchange

OK = {"result_code": 1, "result_msg": "成功"}
UNIT = "i.86.101010.3"
REG_ID = "10030000000000001923"
CONTENT = "http://stest.idcode.org.cn/?code=i.86.101010.3/10.232324.11/201703233"
# A resolve URL whose own query holds Chinese text and reserved characters (seed §十四).
GOTOURL = "http://www.xxxx.com/xxxx.aspx?organunitname=单位名称&a=1+2%/?&id="
SAMPLE = "http://www.xxxx.com/xxxx.aspx?organunitname=单位名称&a=1+2%/?&id=i.86.101010.3"
LOGO = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(256))).decode()  # has + and /
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(200))


# --- declarations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "cls", "path", "method", "writes"),
    [
        (601, LoginVerify, "/sp/idcode/loginverify", "POST", False),
        (602, CategoryGotoUrl, "/sp/idcode/category/gotourl", "POST", True),
        (603, CodePic, "/sp/idcode/codepic", "POST", False),
        (604, CodePicWithMargin, "/sp/idcode/codepic/withmargin", "POST", False),
        (605, CodePicAuthen, "/sp/idcode/codepic/authen", "POST", False),
        (606, GotoUrlWhitelist, "/sp/idcode/category/gotourl/whitelist", "POST", True),
        (607, LoginPage, "/sp/idcode/idcodelogin", "GET", False),
        (608, ExamineRecord, "/sp/idcode/examinerecord", "GET", False),
        (701, AuthenPic, "/sp/idcode/authenpic", "POST", False),
    ],
)
def test_declared_as_documented(number, cls, path, method, writes):
    assert registry[number] is cls
    assert (cls.number, cls.path, cls.method, cls.writes, cls.upload) == (
        number,
        path,
        method,
        writes,
        False,
    )
    assert cls.is_page is (number == 607)


def test_601_answers_one_flat_unit():
    assert LoginVerify.response_type is OrganUnitResponse


# --- wire -----------------------------------------------------------------------------------

WIRE_CASES = [
    (
        LoginVerify(login_name="91110105MA01ABCDE1", login_pswd="p&ss=w+rd%/? 密码"),
        "/sp/idcode/loginverify",
        {"login_name": "91110105MA01ABCDE1", "login_pswd": "p&ss=w+rd%/? 密码"},
    ),
    (
        CategoryGotoUrl(company_idcode=UNIT, gotourl=GOTOURL, sample_url=SAMPLE, reg_id=REG_ID),
        "/sp/idcode/category/gotourl",
        {"company_idcode": UNIT, "gotourl": GOTOURL, "sample_url": SAMPLE, "reg_id": REG_ID},
    ),
    (
        CategoryGotoUrl(company_idcode=UNIT, gotourl="http://news.x.com/html/{userCode}.html"),
        "/sp/idcode/category/gotourl",
        {"company_idcode": UNIT, "gotourl": "http://news.x.com/html/{userCode}.html"},
    ),
    (
        CodePic(code="i.86.101010.3/10.232324.11/201703233", pic_size=300, code_type=2),
        "/sp/idcode/codepic",
        {"code": "i.86.101010.3/10.232324.11/201703233", "pic_size": "300", "code_type": "2"},
    ),
    (CodePic(code=UNIT), "/sp/idcode/codepic", {"code": UNIT}),
    (
        CodePicWithMargin(code=CONTENT, is_margin=1, unit_icon=LOGO, qrcode_size=600, color=0),
        "/sp/idcode/codepic/withmargin",
        {
            "code": CONTENT,
            "is_margin": "1",
            "unit_icon": LOGO,
            "qrcode_size": "600",
            "color": "0",
        },
    ),
    (
        CodePicWithMargin(code=CONTENT, is_margin=0, qrcode_size=250, color=1),
        "/sp/idcode/codepic/withmargin",
        {"code": CONTENT, "is_margin": "0", "qrcode_size": "250", "color": "1"},
    ),
    (
        CodePicAuthen(
            company_idcode=UNIT,
            code="i.86.101010.3/10.232324.11/201703233",
            use_logo=1,
            unit_logo=LOGO,
            margin_type=20,
            margin_type_lv2=7,
            code_type=1,
            code_size=10,
            code_color="1A2b3C",
        ),
        "/sp/idcode/codepic/authen",
        {
            "company_idcode": UNIT,
            "code": "i.86.101010.3/10.232324.11/201703233",
            "use_logo": "1",
            "unit_logo": LOGO,
            "margin_type": "20",
            "margin_type_lv2": "7",
            "code_type": "1",
            "code_size": "10",
            "code_color": "1A2b3C",
        },
    ),
    (
        CodePicAuthen(
            company_idcode=UNIT, code=UNIT, use_logo=0, margin_type=20, code_type=1, code_size=5
        ),
        "/sp/idcode/codepic/authen",
        {
            "company_idcode": UNIT,
            "code": UNIT,
            "use_logo": "0",
            "margin_type": "20",
            "margin_type_lv2": "1",
            "code_type": "1",
            "code_size": "5",
        },
    ),
    (
        CodePicAuthen(
            company_idcode=UNIT,
            code=UNIT,
            use_logo=0,
            margin_type=10,
            category_id=4,
            code_type=5,
            code_size=3,
        ),
        "/sp/idcode/codepic/authen",
        {
            "company_idcode": UNIT,
            "code": UNIT,
            "use_logo": "0",
            "margin_type": "10",
            "category_id": "4",
            "code_type": "5",
            "code_size": "3",
        },
    ),
    (
        GotoUrlWhitelist(gotourl=GOTOURL, sample_url=SAMPLE),
        "/sp/idcode/category/gotourl/whitelist",
        {"gotourl": GOTOURL, "sample_url": SAMPLE},
    ),
    (
        AuthenPic(bgimage=0, ismarkname=1),
        "/sp/idcode/authenpic",
        {"bgimage": "0", "ismarkname": "1"},
    ),
    (
        AuthenPic(bgimage=9, ismarkname=0),
        "/sp/idcode/authenpic",
        {"bgimage": "9", "ismarkname": "0"},
    ),
]


@pytest.mark.parametrize(("spec", "path", "expected"), WIRE_CASES)
async def test_wire(client, router, spec, path, expected):
    wire, _ = await exchange(client, router, spec, OK)
    assert wire.method == "POST"  # Post, or Get/Post sent as POST: token in the body
    assert wire.path == path
    assert wire.query == {}
    assert wire.content_type.startswith("application/x-www-form-urlencoded")
    assert business_fields(wire) == expected
    assert_signed(wire)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            ExamineRecord(company_idcode=UNIT, category_reg_id=REG_ID, type=2),
            {"company_idcode": UNIT, "category_reg_id": REG_ID, "type": "2"},
        ),
        (
            ExamineRecord(company_idcode="单位 A&B=+%/?", type=1),
            {"company_idcode": "单位 A&B=+%/?", "type": "1"},
        ),
        (ExamineRecord(company_idcode=UNIT), {"company_idcode": UNIT}),
    ],
)
async def test_608_is_a_get_with_everything_in_the_query(client, router, spec, expected):
    wire, _ = await exchange(client, router, spec, OK)
    assert wire.method == "GET"  # documented "Web Http Get" only
    assert wire.path == "/sp/idcode/examinerecord"
    assert wire.content_type == ""
    assert wire.query == wire.fields  # read_request also asserts there is no body
    assert business_fields(wire) == expected
    assert_signed(wire)


# --- 607, the page interface ----------------------------------------------------------------


async def test_607_page_url_is_signed(client):
    callback = "https://sp.example.com/back?unit=单位名称&x=1+2%/?"
    url = urlsplit(client.page_url(LoginPage(callback_url=callback)))
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "apitest.idcode.org.cn",
        "/sp/idcode/idcodelogin",
    )
    fields = dict(parse_qsl(url.query, keep_blank_values=True, strict_parsing=True))
    assert set(fields) == {"callback_url", "access_token", "time", "hash"}
    assert fields["callback_url"] == callback
    assert fields["access_token"] == TEST_TOKEN
    assert fields["time"] == str(FIXED_TIME)
    assert len(fields["time"]) == 13
    assert fields["hash"] == document_hash("/sp/idcode/idcodelogin", fields)


async def test_607_cannot_be_called(client, router):
    route = router.route(path="/sp/idcode/idcodelogin").mock(
        return_value=httpx.Response(200, json=OK)
    )
    with pytest.raises(UsageError):
        await client.call(LoginPage(callback_url="https://sp.example.com/back"))
    assert route.call_count == 0


# --- decoding -------------------------------------------------------------------------------


async def test_601_document_example(client, router):
    # ResultCode/ResultMsg spelling, a bare 20-digit organunit_id, a stray-space key.
    raw = (
        '{"organunit_id":10030000000000000042,"organunit_idstr":"10030000000000000042",'
        '"plateformrole_id":4,"province_id":110000,"city_id":110000,"area_id":110105,'
        '"trade_id":1,"status_id":100,"issc":1,"organunit_name":"北京测试科技有限公司",'
        '"organunit_name_en":"Beijing Test Tech","organunit_address":"北京市朝阳区",'
        '"organunit_address_en":"Chaoyang, Beijing","organunit_oid":"i.86.101010.3",'
        '"unittype_id":1,"linkman":"张三"," linkman_en":"Zhang San","linkphone":"13800000000",'
        '"fax":"010-12345678","email":"a@example.com","finallyexam_date":"2017-06-16 12:34:56",'
        '"organization_code":"91110105MA01ABCDE1","code_pay_type":2,'
        '"unit_workaddress":"北京市","unit_workaddress_en":"Beijing","unit_size_type_id":2,'
        '"registered_capital":500,"unit_icon":"https://x/logo.png","qrcode_color":1,'
        '"qrcode_logo":0,"gotourl":"http://www.xxxx.com/xxxx.aspx?id=1","url_status":1,'
        '"ResultCode":1,"ResultMsg":"成功"}'
    )
    spec = LoginVerify(login_name="91110105MA01ABCDE1", login_pswd="ABCDE1")
    _, unit = await exchange(client, router, spec, raw)
    assert isinstance(unit, OrganUnitResponse)
    assert (unit.result_code, unit.result_msg) == (1, "成功")
    assert unit.organunit_id == unit.organunit_idstr == "10030000000000000042"
    assert (unit.plateformrole_id, unit.province_id, unit.city_id, unit.area_id) == (
        4,
        110000,
        110000,
        110105,
    )
    assert (unit.trade_id, unit.status_id, unit.issc, unit.unittype_id) == (1, 100, 1, 1)
    assert (unit.organunit_name, unit.organunit_oid) == ("北京测试科技有限公司", UNIT)
    assert (unit.linkman, unit.linkman_en) == ("张三", "Zhang San")
    assert (unit.code_pay_type, unit.unit_size_type_id, unit.registered_capital) == (2, 2, 500)
    assert (unit.qrcode_color, unit.qrcode_logo, unit.url_status) == (1, 0, 1)
    assert unit.gotourl == "http://www.xxxx.com/xxxx.aspx?id=1"
    assert unit.finallyexam_date == "2017-06-16 12:34:56"


@pytest.mark.parametrize(
    "spec",
    [
        CategoryGotoUrl(company_idcode=UNIT, gotourl=GOTOURL),
        GotoUrlWhitelist(gotourl=GOTOURL, sample_url=SAMPLE),
    ],
)
async def test_602_606_document_example(client, router, spec):
    _, result = await exchange(client, router, spec, '{"result_code":1,"result_msg":"成功"}')
    assert (result.result_code, result.result_msg) == (1, "成功")


async def test_603_document_example(client, router):
    address = "https://apitest.idcode.org.cn/codepic/i.86.101010.3.png"
    answer = {"code_pic_address": address, "result_code": 1, "result_msg": "生成成功"}
    _, result = await exchange(client, router, CodePic(code=UNIT, code_type=1), answer)
    assert result.code_pic_address == address
    assert result.result_msg == "生成成功"


async def test_604_base64_picture_decodes(client, router):
    answer = {"code_pic_base64str": base64.b64encode(PNG).decode(), **OK}
    spec = CodePicWithMargin(code=CONTENT, is_margin=1, qrcode_size=400, color=1)
    _, result = await exchange(client, router, spec, answer)
    assert result.image_bytes() == PNG


async def test_605_mime_wrapped_base64_decodes(client, router):
    encoded = base64.encodebytes(PNG * 4).decode()  # line breaks every 76 characters
    assert "\n" in encoded
    spec = CodePicAuthen(
        company_idcode=UNIT, code=UNIT, use_logo=0, margin_type=0, code_type=1, code_size=5
    )
    _, result = await exchange(client, router, spec, {"code_pic_base64str": encoded, **OK})
    assert result.image_bytes() == PNG * 4


async def test_604_data_uri_and_missing_picture(client, router):
    spec = CodePicWithMargin(code=CONTENT, is_margin=0, qrcode_size=100, color=0)
    data_uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    _, result = await exchange(client, router, spec, {"code_pic_base64str": data_uri, **OK})
    assert result.image_bytes() == PNG
    router.routes.clear()
    _, empty = await exchange(client, router, spec, OK)
    assert empty.code_pic_base64str is None
    assert empty.image_bytes() is None


async def test_608_document_example(client, router):
    answer = {
        "examine_content": "http://www.xxxx.com/xxxx.aspx?id=1",
        "examine_status": 100,
        "examine_remarks": "审核通过",
        **OK,
    }
    spec = ExamineRecord(company_idcode=UNIT, category_reg_id=REG_ID, type=2)
    _, result = await exchange(client, router, spec, answer)
    assert (result.examine_content, result.examine_status, result.examine_remarks) == (
        "http://www.xxxx.com/xxxx.aspx?id=1",
        100,
        "审核通过",
    )


async def test_701_document_example_with_stray_space_key(client, router):
    raw = '{" authen_pic_url":"https://apitest.idcode.org.cn/authen/1.png","result_code":1,"result_msg":"成功"}'
    _, result = await exchange(client, router, AuthenPic(bgimage=3, ismarkname=0), raw)
    assert result.authen_pic_url == "https://apitest.idcode.org.cn/authen/1.png"


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "code", "message", "error"),
    [
        (
            LoginVerify(login_name="91110105MA01ABCDE1", login_pswd="wrong1"),
            10005,
            "用户名或密码错误",
            LoginError,
        ),
        (
            CodePicWithMargin(code=CONTENT, is_margin=0, unit_icon=LOGO, qrcode_size=300, color=0),
            40005,
            "单位 logo 上传失败！",
            FileError,
        ),
        (
            CodePicAuthen(
                company_idcode=UNIT,
                code=UNIT,
                use_logo=1,
                unit_logo=LOGO,
                margin_type=0,
                code_type=1,
                code_size=3,
            ),
            40005,
            "单位 logo 上传失败",
            FileError,
        ),
    ],
)
async def test_result_codes_map_to_errors(client, router, spec, code, message, error):
    route = router.route(path=type(spec).path).mock(
        return_value=httpx.Response(200, json={"ResultCode": code, "ResultMsg": message})
    )
    with pytest.raises(error) as info:
        await client.call(spec)
    assert (info.value.code, info.value.message, info.value.endpoint) == (
        code,
        message,
        spec.number,
    )
    assert route.call_count == 1


# --- validation -----------------------------------------------------------------------------


def invalid(cls, parameter, **kwargs):
    with pytest.raises(ValidationError) as info:
        cls(**kwargs)
    assert info.value.parameter == parameter
    assert info.value.endpoint == cls.number
    return info.value


@pytest.mark.parametrize(
    ("parameter", "changes"),
    [
        ("login_name", {"login_name": " "}),
        ("login_pswd", {"login_pswd": ""}),
        ("login_pswd", {"login_pswd": None}),
        ("login_pswd", {"login_pswd": 123456}),
    ],
)
def test_601_rules(parameter, changes):
    invalid(LoginVerify, parameter, **{"login_name": "n", "login_pswd": "p", **changes})


def test_601_repr_hides_the_password():
    spec = LoginVerify(login_name="91110105MA01ABCDE1", login_pswd="Secret#2024")
    assert "Secret#2024" not in repr(spec)
    assert "login_pswd='***'" in repr(spec)
    assert "91110105MA01ABCDE1" in repr(spec)


@pytest.mark.parametrize(
    ("parameter", "changes"),
    [
        ("company_idcode", {"company_idcode": ""}),
        ("gotourl", {"gotourl": "www.xxxx.com/xxxx.aspx"}),
        ("gotourl", {"gotourl": "ftp://www.xxxx.com/"}),
        ("sample_url", {"sample_url": "not a url"}),
        ("reg_id", {"reg_id": " "}),
        ("reg_id", {"reg_id": 10030000000000001923}),
    ],
)
def test_602_rules(parameter, changes):
    invalid(CategoryGotoUrl, parameter, **{"company_idcode": UNIT, **changes})


@pytest.mark.parametrize(
    ("parameter", "changes"),
    [
        ("code", {"code": " "}),
        ("code_type", {"code_type": 3}),
        ("code_type", {"code_type": "1"}),
        ("pic_size", {"pic_size": "300"}),
    ],
)
def test_603_rules(parameter, changes):
    invalid(CodePic, parameter, **{"code": UNIT, **changes})


MARGIN = {"code": CONTENT, "is_margin": 0, "qrcode_size": 300, "color": 0}


@pytest.mark.parametrize("size", [300, 401, 1000])
def test_604_framed_picture_sizes(size):
    error = invalid(
        CodePicWithMargin, "qrcode_size", **{**MARGIN, "is_margin": 1, "qrcode_size": size}
    )
    assert "400, 600 or 800" in error.reason


@pytest.mark.parametrize("size", [400, 600, 800])
def test_604_framed_picture_sizes_accepted(size):
    assert CodePicWithMargin(**{**MARGIN, "is_margin": 1, "qrcode_size": size}).qrcode_size == size


@pytest.mark.parametrize(
    ("parameter", "changes"),
    [
        ("code", {"code": ""}),
        ("is_margin", {"is_margin": 2}),
        ("is_margin", {"is_margin": True}),
        ("color", {"color": 2}),
        ("color", {"color": "0"}),
        ("qrcode_size", {"qrcode_size": None}),
        ("unit_icon", {"unit_icon": "data:image/png;base64," + LOGO}),
        ("unit_icon", {"unit_icon": "not base64!"}),
    ],
)
def test_604_rules(parameter, changes):
    invalid(CodePicWithMargin, parameter, **{**MARGIN, **changes})


AUTHEN = {
    "company_idcode": UNIT,
    "code": UNIT,
    "use_logo": 0,
    "margin_type": 0,
    "code_type": 1,
    "code_size": 5,
}


@pytest.mark.parametrize(
    ("parameter", "changes"),
    [
        ("company_idcode", {"company_idcode": " "}),
        ("code", {"code": ""}),
        ("use_logo", {"use_logo": 2}),
        ("unit_logo", {"unit_logo": "#logo#"}),
        ("margin_type", {"margin_type": 5}),
        ("category_id", {"margin_type": 10}),
        ("category_id", {"margin_type": 10, "category_id": 5}),
        ("margin_type_lv2", {"margin_type_lv2": 1}),
        ("margin_type_lv2", {"margin_type": 10, "category_id": 1, "margin_type_lv2": 2}),
        ("margin_type_lv2", {"margin_type": 20, "margin_type_lv2": 0}),
        ("margin_type_lv2", {"margin_type": 20, "margin_type_lv2": 8}),
        ("code_type", {"code_type": 6}),
        ("code_size", {"code_size": 4}),
        ("code_color", {"code_color": "#000000"}),
        ("code_color", {"code_color": "00000G"}),
        ("code_color", {"code_color": "fff"}),
        ("code_color", {"code_type": 2, "code_color": "000000"}),
        ("code_color", {"code_type": 5, "code_color": "FF0000"}),
    ],
)
def test_605_rules(parameter, changes):
    invalid(CodePicAuthen, parameter, **{**AUTHEN, **changes})


def test_605_accepts_documented_combinations():
    square = CodePicAuthen(**{**AUTHEN, "margin_type": 20})
    assert square.margin_type_lv2 == 1  # required with margin_type 20; the document's default
    round_ = CodePicAuthen(**{**AUTHEN, "margin_type": 10, "category_id": 2})
    assert round_.category_id == 2
    lonbar = CodePicAuthen(**{**AUTHEN, "code_type": 2})
    assert lonbar.code_color is None


@pytest.mark.parametrize(
    ("parameter", "changes"),
    [
        ("gotourl", {"gotourl": ""}),
        ("gotourl", {"gotourl": None}),
        ("gotourl", {"gotourl": "xxxx.aspx?id="}),
        ("sample_url", {"sample_url": " "}),
        ("sample_url", {"sample_url": "//www.xxxx.com/"}),
    ],
)
def test_606_rules(parameter, changes):
    invalid(GotoUrlWhitelist, parameter, **{"gotourl": GOTOURL, "sample_url": SAMPLE, **changes})


@pytest.mark.parametrize("callback_url", ["", "sp.example.com/back", None])
def test_607_callback_url_rules(callback_url):
    invalid(LoginPage, "callback_url", callback_url=callback_url)


@pytest.mark.parametrize(
    ("parameter", "changes"),
    [
        ("category_reg_id", {"type": 2}),
        ("category_reg_id", {"type": 2, "category_reg_id": " "}),
        ("type", {"type": 3}),
        ("type", {"type": "2", "category_reg_id": REG_ID}),
        ("company_idcode", {"company_idcode": ""}),
    ],
)
def test_608_rules(parameter, changes):
    invalid(ExamineRecord, parameter, **{"company_idcode": UNIT, **changes})


@pytest.mark.parametrize(
    ("parameter", "changes"),
    [
        ("bgimage", {"bgimage": 10}),
        ("bgimage", {"bgimage": -1}),
        ("bgimage", {"bgimage": "1"}),
        ("ismarkname", {"ismarkname": 2}),
        ("ismarkname", {"ismarkname": None}),
    ],
)
def test_701_rules(parameter, changes):
    invalid(AuthenPic, parameter, **{"bgimage": 0, "ismarkname": 0, **changes})
