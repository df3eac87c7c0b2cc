"""Section 八 (301–310): unit registration and information — wire, decoding, errors, rules."""

from __future__ import annotations

import attrs
import httpx
import pytest

from idcode_async import (
    ApiError,
    BusyError,
    DuplicateError,
    FileError,
    InvalidParameterError,
    LoginError,
    NotFoundError,
    ResolveUrlError,
    Response,
    ResponseDecodeError,
    RetryPolicy,
    UnitStateError,
    ValidationError,
    VerificationCodeError,
    registry,
)
from idcode_async._converter import decode_json, normalise_keys, structure
from idcode_async.endpoints import (
    CompanyGotoUrl,
    CompanyGotoUrlResponse,
    CompanyInfoBase,
    CompanyModify,
    CompanyRegister,
    CompanyRegisterResponse,
    CompanySearch,
    CompanySearchResponse,
    CompanyVerify,
    ExistingUnitInfo,
    OrganUnitResponse,
    OrganUnitStatus,
    OrganUnitStatusResponse,
    UnitRegist,
    UnitRegistResponse,
    VerifyCode,
    VerifyCodeResponse,
    VerifyCodeSend,
)

from ..wire import assert_signed, business_fields, document_hash, exchange, read_request

OK = {"result_code": 1, "result_msg": "成功"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
JPEG = b"\xff\xd8\xff\xe0" + b"\x00JFIF" + bytes(64)
GIF = b"GIF89a" + bytes(32)
FIVE_MB = 5 * 1024 * 1024

GOTOURL = "http://www.example.com/m?organunitname=单位名称&x=1+2"
"""Seed §十四's case: a URL value with its own query string (Chinese, '&', '+')."""

PASSWORD = "p@ss w+rd/=%?&中"
MAIN_CODE = "i.86.120103.1021"


def register_301(**changes):
    values = {
        "login_name": "zhang san&co",
        "login_password": PASSWORD,
        "email": "info+reg@example.com",
        "organunit_name": "北京某某科技有限公司 & 分公司",
        "organunit_name_en": "Foo & Bar Co., Ltd. 100%",
        "code": 1,
        "province_id": 110000,
        "city_id": 110000,
        "area_id": 110105,
        "linkman": "张三",
        "linkman_en": "Zhang San",
        "linkphone": "15000000000",
        "sms_verify_code": "123456",
    }
    return CompanyRegister(**{**values, **changes})


def regist_309(**changes):
    values = {
        "login_name": "91120103MA05L2XX3Q",
        "organunit_name": "天津某某有限公司",
        "code": 1,
        "province_id": 440000,
        "city_id": 441900,
        "area_id": 441900,
    }
    return UnitRegist(**{**values, **changes})


def answer(router, spec, body):
    """A route for ``spec`` answering ``body`` (a dict, or raw JSON text)."""
    if isinstance(body, dict):
        reply = httpx.Response(200, json=body)
    else:
        reply = httpx.Response(200, content=body.encode())
    return router.route(path=type(spec).path).mock(return_value=reply)


# --- declarations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "cls", "path", "documented", "writes"),
    [
        (301, CompanyRegister, "/sp/idcode/companyinfo/reg", {"POST"}, True),
        (302, VerifyCode, "/sp/idcode/verifycode", {"GET", "POST"}, True),
        (303, VerifyCodeSend, "/sp/idcode/verifycode/send", {"GET", "POST"}, True),
        (304, CompanyVerify, "/sp/idcode/companyinfo/verify", {"POST"}, True),
        (305, CompanyModify, "/sp/idcode/companyinfo/modify", {"POST"}, True),
        (306, CompanyInfoBase, "/sp/idcode/companyinfo/base", {"GET", "POST"}, False),
        (307, CompanySearch, "/sp/idcode/companyinfo/search", {"GET", "POST"}, False),
        (308, OrganUnitStatus, "/sp/idcode/organunit/status", {"GET", "POST"}, False),
        (309, UnitRegist, "/sp/idcode/unit/regist", {"POST"}, True),
        (310, CompanyGotoUrl, "/sp/idcode/companyidcode/gotourl", {"POST"}, True),
    ],
)
def test_declared_as_documented(number, cls, path, documented, writes):
    assert registry[number] is cls
    assert cls.path == path
    assert cls.documented_methods == frozenset(documented)
    assert cls.method == "POST"
    assert cls.writes is writes


DOCUMENTED_PARAMETERS = {
    CompanyRegister: [
        "login_name",
        "login_password",
        "email",
        "organunit_name",
        "organunit_name_en",
        "code",
        "province_id",
        "city_id",
        "area_id",
        "linkman",
        "linkman_en",
        "linkphone",
        "sms_verify_code",
    ],
    VerifyCode: ["phone_code"],
    VerifyCodeSend: ["phone_code"],
    CompanyVerify: ["company_idcode", "code_pay_type", "organization_code", "file1"],
    CompanyModify: [
        "company_idcode",
        "trade_id",
        "organunit_address",
        "organunit_name",
        "organunit_name_en",
        "organunit_address_en",
        "email",
        "linkman",
        "linkman_en",
        "fax",
        "unit_workaddress",
        "unit_workaddress_en",
        "unit_size_type",
        "registered_capital",
        "unittype_id",
        "gotourl",
        "linkphone",
        "unit_logo",
    ],
    CompanyInfoBase: ["company_idcode"],
    CompanySearch: ["company_name", "search_type"],
    OrganUnitStatus: ["company_idcode"],
    UnitRegist: [
        "login_name",
        "organunit_name",
        "email",
        "code",
        "province_id",
        "city_id",
        "area_id",
        "linkman",
        "linkphone",
        "unit_icon",
        "qrcode_color",
        "qrcode_logo",
        "gotourl",
        "qrcode_size",
    ],
    CompanyGotoUrl: [
        "login_name",
        "login_pwd",
        "unit_icon",
        "gotourl",
        "qrcode_color",
        "qrcode_logo",
        "qrcode_size",
    ],
}
"""Each endpoint's parameter table, in the document's order, without access_token/time/hash."""

REQUIRED = {
    CompanyRegister: {
        "login_name",
        "login_password",
        "organunit_name",
        "code",
        "province_id",
        "city_id",
        "area_id",
        "linkphone",
        "sms_verify_code",
    },
    VerifyCode: {"phone_code"},
    VerifyCodeSend: {"phone_code"},
    CompanyVerify: {"company_idcode", "code_pay_type", "organization_code", "file1"},
    CompanyModify: {"company_idcode", "trade_id", "organunit_address", "unit_size_type"},
    CompanyInfoBase: {"company_idcode"},
    CompanySearch: {"company_name"},
    OrganUnitStatus: {"company_idcode"},
    UnitRegist: {"login_name", "organunit_name", "code", "province_id", "city_id", "area_id"},
    CompanyGotoUrl: {"login_name", "login_pwd"},
}
"""The parameters the document marks 必填."""


@pytest.mark.parametrize("cls", list(DOCUMENTED_PARAMETERS))
def test_parameters_as_documented(cls):
    fields = attrs.fields(cls)
    assert [f.name for f in fields] == DOCUMENTED_PARAMETERS[cls]
    required = {f.name for f in fields if f.default is attrs.NOTHING or f.metadata}
    assert required == REQUIRED[cls]


async def test_305_unit_size_type_defaults_to_1_and_is_sent(client, router):
    """305: unit_size_type is "必填，默认为 1": it may be left out, and 1 still goes out."""
    spec = CompanyModify(company_idcode=MAIN_CODE, trade_id=9, organunit_address="天津")
    wire, _ = await exchange(client, router, spec, OK)
    assert wire.fields["unit_size_type"] == "1"
    assert_signed(wire)


def test_file_parameters_declared():
    assert set(CompanyVerify.files) == {"file1"}
    assert set(CompanyModify.files) == {"unit_logo"}
    for rule in (CompanyVerify.files["file1"], CompanyModify.files["unit_logo"]):
        assert rule.max_bytes == FIVE_MB
        assert rule.extensions == {"bmp", "png", "jpg", "jpeg", "gif"}


def test_response_types():
    assert CompanyRegister.response_type is CompanyRegisterResponse
    assert VerifyCode.response_type is VerifyCodeResponse
    assert VerifyCodeSend.response_type is Response
    assert CompanyVerify.response_type is Response
    assert CompanyModify.response_type is Response
    assert issubclass(CompanyInfoBase.response_type, OrganUnitResponse)
    assert CompanySearch.response_type is CompanySearchResponse
    assert OrganUnitStatus.response_type is OrganUnitStatusResponse
    assert UnitRegist.response_type is UnitRegistResponse
    assert CompanyGotoUrl.response_type is CompanyGotoUrlResponse


# --- wire: urlencoded endpoints -----------------------------------------------------------

WIRE_CASES = [
    pytest.param(
        register_301(),
        {
            "login_name": "zhang san&co",
            "login_password": PASSWORD,
            "email": "info+reg@example.com",
            "organunit_name": "北京某某科技有限公司 & 分公司",
            "organunit_name_en": "Foo & Bar Co., Ltd. 100%",
            "code": "1",
            "province_id": "110000",
            "city_id": "110000",
            "area_id": "110105",
            "linkman": "张三",
            "linkman_en": "Zhang San",
            "linkphone": "15000000000",
            "sms_verify_code": "123456",
        },
        id="301",
    ),
    pytest.param(
        register_301(email=None, organunit_name_en=None, linkman=None, linkman_en=None),
        {
            "login_name": "zhang san&co",
            "login_password": PASSWORD,
            "organunit_name": "北京某某科技有限公司 & 分公司",
            "code": "1",
            "province_id": "110000",
            "city_id": "110000",
            "area_id": "110105",
            "linkphone": "15000000000",
            "sms_verify_code": "123456",
        },
        id="301-required-only",
    ),
    pytest.param(VerifyCode(phone_code="13800138000"), {"phone_code": "13800138000"}, id="302"),
    pytest.param(VerifyCodeSend(phone_code="15000000000"), {"phone_code": "15000000000"}, id="303"),
    pytest.param(
        CompanyModify(
            company_idcode=MAIN_CODE,
            trade_id=0,
            organunit_address="天津市河西区 友谊路1号 A&B座",
            unit_size_type=1,
        ),
        {
            "company_idcode": MAIN_CODE,
            "trade_id": "0",
            "organunit_address": "天津市河西区 友谊路1号 A&B座",
            "unit_size_type": "1",
        },
        id="305-no-logo",
    ),
    pytest.param(
        CompanyInfoBase(company_idcode=MAIN_CODE), {"company_idcode": MAIN_CODE}, id="306"
    ),
    pytest.param(
        CompanySearch(company_name="某某 科技 & 贸易/有限公司?", search_type="1"),
        {"company_name": "某某 科技 & 贸易/有限公司?", "search_type": "1"},
        id="307",
    ),
    pytest.param(
        CompanySearch(company_name="某某", search_type="0"),
        {"company_name": "某某", "search_type": "0"},
        id="307-fuzzy",
    ),
    pytest.param(CompanySearch(company_name="某某"), {"company_name": "某某"}, id="307-default"),
    pytest.param(
        OrganUnitStatus(company_idcode=MAIN_CODE), {"company_idcode": MAIN_CODE}, id="308"
    ),
    pytest.param(
        regist_309(
            email="a=b@example.com",
            linkman="李四",
            linkphone="13912345678",
            unit_icon="iVBORw0KGgo+/A==",
            qrcode_color=0,
            qrcode_logo=1,
            gotourl=GOTOURL,
            qrcode_size=3,
        ),
        {
            "login_name": "91120103MA05L2XX3Q",
            "organunit_name": "天津某某有限公司",
            "email": "a=b@example.com",
            "code": "1",
            "province_id": "440000",
            "city_id": "441900",
            "area_id": "441900",
            "linkman": "李四",
            "linkphone": "13912345678",
            "unit_icon": "iVBORw0KGgo+/A==",
            "qrcode_color": "0",
            "qrcode_logo": "1",
            "gotourl": GOTOURL,
            "qrcode_size": "3",
        },
        id="309",
    ),
    pytest.param(
        regist_309(unit_icon=""),
        {
            "login_name": "91120103MA05L2XX3Q",
            "organunit_name": "天津某某有限公司",
            "code": "1",
            "province_id": "440000",
            "city_id": "441900",
            "area_id": "441900",
            "unit_icon": "",
        },
        id="309-empty-icon",
    ),
    pytest.param(
        CompanyGotoUrl(
            login_name="zhang san&co",
            login_pwd=PASSWORD,
            unit_icon="R0lGODlh+/8=",
            gotourl=GOTOURL,
            qrcode_color=1,
            qrcode_logo=0,
            qrcode_size=2,
        ),
        {
            "login_name": "zhang san&co",
            "login_pwd": PASSWORD,
            "unit_icon": "R0lGODlh+/8=",
            "gotourl": GOTOURL,
            "qrcode_color": "1",
            "qrcode_logo": "0",
            "qrcode_size": "2",
        },
        id="310",
    ),
    pytest.param(
        CompanyGotoUrl(login_name="u", login_pwd="x", gotourl="https://a.example/{userCode}.html"),
        {"login_name": "u", "login_pwd": "x", "gotourl": "https://a.example/{userCode}.html"},
        id="310-url-only",
    ),
]


@pytest.mark.parametrize(("spec", "expected"), WIRE_CASES)
async def test_wire(client, router, spec, expected):
    wire, _ = await exchange(client, router, spec, OK)
    assert wire.method == "POST"  # documented Post or Get/Post: always POST, token in the body
    assert wire.path == type(spec).path
    assert wire.query == {}
    assert wire.content_type.startswith("application/x-www-form-urlencoded")
    assert wire.files == {}
    assert business_fields(wire) == expected
    assert_signed(wire)


async def test_signature_covers_raw_password(client, router):
    # The hash is over the decoded value; an encoded rendering would give another hash.
    wire, _ = await exchange(client, router, register_301(), OK)
    encoded = {**wire.fields, "login_password": "p%40ss+w%2Brd%2F%3D%25%3F%26%E4%B8%AD"}
    assert wire.fields["hash"] != document_hash(wire.path, encoded)
    assert_signed(wire)


# --- wire: multipart endpoints (304, 305 with a logo) -------------------------------------


def verify_304(file1):
    return CompanyVerify(
        company_idcode=MAIN_CODE,
        code_pay_type=2,
        organization_code="91120103MA05L2XX3Q",
        file1=file1,
    )


VERIFY_FIELDS = {
    "company_idcode": MAIN_CODE,
    "code_pay_type": "2",
    "organization_code": "91120103MA05L2XX3Q",
}


def assert_multipart(wire, expected_fields, file_name, filename, content):
    assert wire.method == "POST"
    assert wire.query == {}
    assert wire.content_type.startswith("multipart/form-data")
    assert business_fields(wire) == expected_fields  # text fields arrive as parts
    assert wire.files == {file_name: (filename, content)}
    assert file_name not in wire.fields
    assert_signed(wire)  # recomputed over the text fields only: the file is not signed


async def test_304_bytes(client, router):
    wire, result = await exchange(client, router, verify_304(PNG), OK)
    assert wire.path == "/sp/idcode/companyinfo/verify"
    # Raw bytes are named by their magic number, so the centre sees an allowed format.
    assert_multipart(wire, VERIFY_FIELDS, "file1", "licence.png", PNG)
    assert isinstance(result, Response)
    assert (result.result_code, result.result_msg) == (1, "成功")


async def test_304_path(client, router, tmp_path):
    path = tmp_path / "营业执照 扫描.jpg"
    path.write_bytes(JPEG)
    wire, _ = await exchange(client, router, verify_304(path), OK)
    assert_multipart(wire, VERIFY_FIELDS, "file1", "营业执照 扫描.jpg", JPEG)


async def test_304_path_as_text(client, router, tmp_path):
    path = tmp_path / "licence.GIF"
    path.write_bytes(GIF)
    wire, _ = await exchange(client, router, verify_304(str(path)), OK)
    assert_multipart(wire, VERIFY_FIELDS, "file1", "licence.GIF", GIF)


async def test_304_open_file(client, router, tmp_path):
    path = tmp_path / "scan.jpeg"
    path.write_bytes(JPEG)
    with path.open("rb") as stream:
        wire, _ = await exchange(client, router, verify_304(stream), OK)
        assert not stream.closed  # the caller's file stays the caller's to close
    assert_multipart(wire, VERIFY_FIELDS, "file1", "scan.jpeg", JPEG)


async def test_304_code_pay_type_other(client, router):
    spec = CompanyVerify(
        company_idcode=MAIN_CODE, code_pay_type=0, organization_code="证 123/45", file1=GIF
    )
    wire, _ = await exchange(client, router, spec, OK)
    expected = {**VERIFY_FIELDS, "code_pay_type": "0", "organization_code": "证 123/45"}
    assert_multipart(wire, expected, "file1", "licence.gif", GIF)


def modify_305(**changes):
    values = {
        "company_idcode": MAIN_CODE,
        "trade_id": 12,
        "organunit_address": "天津市河西区 友谊路1号",
        "organunit_name": "天津某某有限公司",
        "organunit_name_en": "Tianjin Foo & Bar Co., Ltd.",
        "organunit_address_en": "No.1 Youyi Rd., Hexi",
        "email": "a+b@example.com",
        "linkman": "王五",
        "linkman_en": "Wang Wu",
        "fax": "022-88888888",
        "unit_workaddress": "天津市 河西区 50% 楼",
        "unit_workaddress_en": "Floor 5, 1 Road",
        "unit_size_type": 4,
        "registered_capital": 500,
        "unittype_id": 2,
        "gotourl": GOTOURL,
        "linkphone": "15000000000",
    }
    return CompanyModify(**{**values, **changes})


MODIFY_FIELDS = {
    "company_idcode": MAIN_CODE,
    "trade_id": "12",
    "organunit_address": "天津市河西区 友谊路1号",
    "organunit_name": "天津某某有限公司",
    "organunit_name_en": "Tianjin Foo & Bar Co., Ltd.",
    "organunit_address_en": "No.1 Youyi Rd., Hexi",
    "email": "a+b@example.com",
    "linkman": "王五",
    "linkman_en": "Wang Wu",
    "fax": "022-88888888",
    "unit_workaddress": "天津市 河西区 50% 楼",
    "unit_workaddress_en": "Floor 5, 1 Road",
    "unit_size_type": "4",
    "registered_capital": "500",
    "unittype_id": "2",
    "gotourl": GOTOURL,
    "linkphone": "15000000000",
}


async def test_305_every_parameter_with_logo_bytes(client, router):
    wire, result = await exchange(
        client,
        router,
        modify_305(unit_logo=GIF),
        {"result_code": 1, "result_msg": "完善资料成功！"},
    )
    assert wire.path == "/sp/idcode/companyinfo/modify"
    assert_multipart(wire, MODIFY_FIELDS, "unit_logo", "logo.gif", GIF)
    assert result.result_msg == "完善资料成功！"


async def test_305_logo_path(client, router, tmp_path):
    path = tmp_path / "logo.bmp"
    content = b"BM" + bytes(100)
    path.write_bytes(content)
    wire, _ = await exchange(client, router, modify_305(unit_logo=path), OK)
    assert_multipart(wire, MODIFY_FIELDS, "unit_logo", "logo.bmp", content)


async def test_305_logo_open_file(client, router, tmp_path):
    path = tmp_path / "标志.png"
    path.write_bytes(PNG)
    with path.open("rb") as stream:
        wire, _ = await exchange(client, router, modify_305(unit_logo=stream), OK)
    assert_multipart(wire, MODIFY_FIELDS, "unit_logo", "标志.png", PNG)


# --- decoding -----------------------------------------------------------------------------

RESULT_INFO = {
    "organunit_name": "这是单位名称",
    "linkman": "这是联系人",
    "fax": "031188888888",
    "linkphone": "15000000000",
}

FAILURE_301 = (
    '{"organunit_idcode":null,"organunit_result_info":{"organunit_name"'
    ':"这是单位名称","linkman":"这是联系人'
    '","fax":"031188888888","linkphone":"15000000000"},"result_code":2,'
    '"result_msg":"已存在该组织单位名称，不可再添加！" }'
)
"""301's failure example, verbatim."""


async def test_301_decodes_success_example(client, router):
    raw = (
        '{"organunit_idcode":"i.86.110105.52",'
        '"organunit_result_info":null,"result_code":1,"result_msg":"注册成功！"}'
    )
    _, result = await exchange(client, router, register_301(), raw)
    assert isinstance(result, CompanyRegisterResponse)
    assert result.organunit_idcode == "i.86.110105.52"
    assert result.organunit_result_info is None
    assert (result.result_code, result.result_msg) == (1, "注册成功！")


def test_301_failure_example_fits_the_response_model():
    # The failure shape normally reaches the caller as ApiError.body; it still fits the model.
    body = normalise_keys(decode_json(FAILURE_301.encode()))
    result = structure(body, CompanyRegisterResponse)
    assert result.organunit_idcode is None
    assert result.organunit_result_info == ExistingUnitInfo(**RESULT_INFO)
    assert result.result_code == 2


async def test_302_decodes_document_example(client, router):
    body = {"verify_code": "062519", "result_code": 1, "result_msg": "添加成功"}
    _, result = await exchange(client, router, VerifyCode(phone_code="13800138000"), body)
    assert isinstance(result, VerifyCodeResponse)
    assert result.verify_code == "062519"  # leading zero kept: a String, not a number
    assert result.result_msg == "添加成功"


async def test_302_numeric_verify_code_becomes_text(client, router):
    raw = '{"verify_code":482913,"ResultCode":1,"ResultMsg":"添加成功"}'
    _, result = await exchange(client, router, VerifyCode(phone_code="13800138000"), raw)
    assert result.verify_code == "482913"
    assert (result.result_code, result.result_msg) == (1, "添加成功")


async def test_303_decodes_document_example(client, router):
    _, result = await exchange(client, router, VerifyCodeSend(phone_code="13800138000"), OK)
    assert type(result) is Response
    assert (result.result_code, result.result_msg) == (1, "成功")


DOCUMENT_306 = (
    '{"organunit_id":10030000000000001923,"organunit_idstr":"10030000000000001923", '
    '"plateformrole_id":4,"province_id":120000,"city_id":120000,"area_id":120103,'
    '"trade_id":12,"status_id":100, "issc":-4,"organunit_name":"天津某某有限公司",'
    '"organunit_name_en":"Tianjin Foo Co., Ltd.","organunit_address":"天津市河西区友谊路1号",'
    '"organunit_address_en":"No.1 Youyi Rd.","organunit_oid":"i.86.120103.1021",'
    '"unittype_id":1,"linkman":"王五","linkphone":"15000000000","fax":"022-88888888",'
    '"email":"a@example.com","finallyexam_date":"2017-06-16 12:34:56", '
    '" linkman_en":"Wang Wu", " organization_code ":"91120103MA05L2XX3Q", '
    '" code_pay_type ":2, " unit_workaddress ":"天津市河西区", '
    '" unit_workaddress_en ":"Hexi, Tianjin", " unit_size_type_id ":1, '
    '" registered_capital ":500, " unit_icon ":"logo.png", "qrcode_color ":1, '
    '" qrcode_logo ":0, " gotourl ":"http://www.example.com/m?id=1", " url_status ":1,'
    '"result_code":1,"result_msg":"成功"}'
)
"""306's example with its placeholders filled, keys spaced exactly as the document prints them;
``organunit_id`` a bare 20-digit JSON number."""


async def test_306_decodes_document_example(client, router):
    _, unit = await exchange(
        client, router, CompanyInfoBase(company_idcode=MAIN_CODE), DOCUMENT_306
    )
    assert isinstance(unit, OrganUnitResponse)
    assert (unit.result_code, unit.result_msg) == (1, "成功")
    assert unit.organunit_id == "10030000000000001923"  # exact, beyond int64 and float
    assert unit.organunit_idstr == "10030000000000001923"
    assert (unit.plateformrole_id, unit.province_id, unit.city_id, unit.area_id) == (
        4,
        120000,
        120000,
        120103,
    )
    assert (unit.trade_id, unit.status_id, unit.issc) == (12, 100, -4)
    assert unit.organunit_name == "天津某某有限公司"
    assert unit.organunit_name_en == "Tianjin Foo Co., Ltd."
    assert unit.organunit_address == "天津市河西区友谊路1号"
    assert unit.organunit_address_en == "No.1 Youyi Rd."
    assert unit.organunit_oid == "i.86.120103.1021"
    assert unit.unittype_id == 1
    assert (unit.linkman, unit.linkphone, unit.fax, unit.email) == (
        "王五",
        "15000000000",
        "022-88888888",
        "a@example.com",
    )
    assert unit.finallyexam_date == "2017-06-16 12:34:56"
    # the keys printed with stray spaces
    assert unit.linkman_en == "Wang Wu"
    assert unit.organization_code == "91120103MA05L2XX3Q"
    assert unit.code_pay_type == 2
    assert unit.unit_workaddress == "天津市河西区"
    assert unit.unit_workaddress_en == "Hexi, Tianjin"
    assert unit.unit_size_type_id == 1
    assert unit.registered_capital == 500
    assert unit.unit_icon == "logo.png"
    assert (unit.qrcode_color, unit.qrcode_logo) == (1, 0)
    assert unit.gotourl == "http://www.example.com/m?id=1"
    assert unit.url_status == 1


async def test_307_decodes_list_with_ids_as_numbers_and_strings(client, router):
    raw = (
        '{"organunit_list":['
        '{"organunit_id":10030000000000001923,"organunit_idstr":"10030000000000001923",'
        '"organunit_name":"天津某某有限公司"," linkman_en":"Wang Wu"," url_status ":1},'
        '{"organunit_id":"10030000000000001924","organunit_idstr":"10030000000000001924",'
        '"organunit_name":"天津某某贸易有限公司","status_id":-100}'
        '],"result_code":1,"result_msg":"成功"}'
    )
    _, result = await exchange(client, router, CompanySearch(company_name="天津某某"), raw)
    assert isinstance(result, CompanySearchResponse)
    first, second = result.organunit_list
    assert first.organunit_id == "10030000000000001923"
    assert (first.organunit_name, first.linkman_en, first.url_status) == (
        "天津某某有限公司",
        "Wang Wu",
        1,
    )
    assert second.organunit_id == "10030000000000001924"
    assert second.organunit_idstr == "10030000000000001924"
    assert second.status_id == -100
    assert second.linkman_en is None


async def test_307_null_list_decodes_empty(client, router):
    body = {"organunit_list": None, **OK}
    _, result = await exchange(client, router, CompanySearch(company_name="无"), body)
    assert result.organunit_list == []


async def test_308_decodes_document_example_with_spaced_keys(client, router):
    raw = (
        '{" is_authen":1," is_audit":100,"surplus_time":"365","result_code":1,"result_msg":"成功"}'
    )
    _, result = await exchange(client, router, OrganUnitStatus(company_idcode=MAIN_CODE), raw)
    assert isinstance(result, OrganUnitStatusResponse)
    assert (result.is_authen, result.is_audit, result.surplus_time) == (1, 100, "365")


async def test_308_negative_audit_and_numeric_days(client, router):
    raw = '{" is_authen":0," is_audit":-1,"surplus_time":0,"ResultCode":1,"ResultMsg":"成功"}'
    _, result = await exchange(client, router, OrganUnitStatus(company_idcode=MAIN_CODE), raw)
    assert (result.is_authen, result.is_audit, result.surplus_time) == (0, -1, "0")


async def test_309_decodes_document_example(client, router):
    body = {
        "organunit_idcode": "i.86.441900.7",
        "login_name": "91120103MA05L2XX3Q",
        "unit_qrcode": "iVBORw0KGgoAAAANSUhEUgAA+/8=",
        "result_code": 1,
        "result_msg": "注册成功",
    }
    _, result = await exchange(client, router, regist_309(), body)
    assert isinstance(result, UnitRegistResponse)
    assert result.organunit_idcode == "i.86.441900.7"
    assert result.login_name == "91120103MA05L2XX3Q"
    assert result.unit_qrcode == "iVBORw0KGgoAAAANSUhEUgAA+/8="


async def test_310_decodes_document_example(client, router):
    spec = CompanyGotoUrl(login_name="u", login_pwd="secret-pw", gotourl=GOTOURL)
    body = {"unit_qrcode": "R0lGODlhAQABAAAAACw=", "result_code": 1, "result_msg": "修改成功"}
    _, result = await exchange(client, router, spec, body)
    assert isinstance(result, CompanyGotoUrlResponse)
    assert result.unit_qrcode == "R0lGODlhAQABAAAAACw="
    assert result.result_msg == "修改成功"


# --- result codes -------------------------------------------------------------------------


async def test_301_failure_example_raises_plain_api_error(client, router):
    route = answer(router, register_301(), FAILURE_301)
    with pytest.raises(ApiError) as info:
        await client.call(register_301())
    error = info.value
    assert type(error) is ApiError  # 2 is undocumented: no family, still an error
    assert (error.code, error.endpoint) == (2, 301)
    assert error.message == "已存在该组织单位名称，不可再添加！"
    assert error.body["organunit_result_info"] == RESULT_INFO
    assert error.body["organunit_idcode"] is None
    assert PASSWORD not in str(error)
    assert route.call_count == 1


async def test_301_duplicate_user_name_carries_existing_unit(client, router):
    body = {"organunit_idcode": None, "organunit_result_info": RESULT_INFO}
    body |= {"result_code": 10008, "result_msg": "已存在该用户名，不可再添加！"}
    route = answer(router, register_301(), body)
    with pytest.raises(DuplicateError) as info:
        await client.call(register_301())
    assert (info.value.code, info.value.endpoint) == (10008, 301)
    assert info.value.body["organunit_result_info"]["linkman"] == "这是联系人"
    assert route.call_count == 1


async def test_309_duplicate_name_raises_duplicate_error(client, router):
    body = {"result_code": 10007, "result_msg": "已存在该组织单位名称，不可再添加"}
    route = answer(router, regist_309(), body)
    with pytest.raises(DuplicateError) as info:
        await client.call(regist_309())
    assert info.value.code == 10007
    assert info.value.message == "已存在该组织单位名称，不可再添加"
    assert info.value.endpoint == 309
    assert route.call_count == 1  # a write is never resent on an ApiError


async def test_310_wrong_password_raises_login_error(client, router):
    spec = CompanyGotoUrl(login_name="u", login_pwd=PASSWORD, gotourl=GOTOURL)
    route = answer(router, spec, {"result_code": 10005, "result_msg": "用户名或密码错误"})
    with pytest.raises(LoginError) as info:
        await client.call(spec)
    assert (info.value.code, info.value.message, info.value.endpoint) == (
        10005,
        "用户名或密码错误",
        310,
    )
    assert PASSWORD not in str(info.value)
    assert route.call_count == 1


SIMPLE_SPECS = {
    302: VerifyCode(phone_code="13800138000"),
    303: VerifyCodeSend(phone_code="13800138000"),
    304: verify_304(PNG),
    305: modify_305(),
    306: CompanyInfoBase(company_idcode=MAIN_CODE),
    307: CompanySearch(company_name="某某"),
    308: OrganUnitStatus(company_idcode=MAIN_CODE),
    309: regist_309(),
    310: CompanyGotoUrl(login_name="u", login_pwd="p", unit_icon="AAAA"),
}


@pytest.mark.parametrize(
    ("number", "code", "error"),
    [
        (302, 20003, VerificationCodeError),
        (303, 20003, VerificationCodeError),
        (304, 10004, UnitStateError),
        (304, 40001, FileError),
        (304, 40002, FileError),
        (305, 10009, DuplicateError),
        (305, 10010, UnitStateError),
        (305, 10003, NotFoundError),
        (305, 30002, ResolveUrlError),
        (306, 10006, NotFoundError),
        (307, 10000, InvalidParameterError),
        (308, 10003, NotFoundError),
        (309, 40005, FileError),
        (309, 0, ApiError),
        (310, 40004, FileError),
    ],
)
async def test_documented_result_codes(client, router, number, code, error):
    spec = SIMPLE_SPECS[number]
    route = answer(router, spec, {"result_code": code, "result_msg": "失败原因"})
    with pytest.raises(error) as info:
        await client.call(spec)
    assert type(info.value) is error
    assert (info.value.code, info.value.message, info.value.endpoint) == (code, "失败原因", number)
    assert route.call_count == 1


async def test_write_is_retried_only_when_busy(client, router):
    # -1 "system busy" means the centre did not act: even a write may be sent again.
    client.retry = RetryPolicy(max_retries=2, backoff_base=0)
    route = router.route(path=UnitRegist.path).mock(
        side_effect=[
            httpx.Response(200, json={"result_code": -1, "result_msg": "系统繁忙，请稍后再试"}),
            httpx.Response(200, json={"organunit_idcode": "i.86.441900.7", **OK}),
        ]
    )
    result = await client.call(regist_309())
    assert result.organunit_idcode == "i.86.441900.7"
    assert route.call_count == 2
    first, second = (read_request(call.request) for call in route.calls)
    assert business_fields(first) == business_fields(second)
    assert_signed(second)


async def test_write_is_not_retried_after_a_gateway_page(client, router):
    # An HTML page means the request may have reached the centre: a write is not resent.
    client.retry = RetryPolicy(max_retries=2, backoff_base=0)
    route = router.route(path=CompanyRegister.path).mock(
        return_value=httpx.Response(502, text="<html>Bad Gateway</html>")
    )
    with pytest.raises(ResponseDecodeError):
        await client.call(register_301())
    assert route.call_count == 1


async def test_read_is_retried_after_a_gateway_page(client, router):
    client.retry = RetryPolicy(max_retries=2, backoff_base=0)
    route = router.route(path=CompanyInfoBase.path).mock(
        side_effect=[
            httpx.Response(502, text="<html>Bad Gateway</html>"),
            httpx.Response(200, content=DOCUMENT_306.encode()),
        ]
    )
    result = await client.call(CompanyInfoBase(company_idcode=MAIN_CODE))
    assert result.organunit_id == "10030000000000001923"
    assert route.call_count == 2


async def test_busy_write_gives_up_as_busy_error(client, router):
    client.retry = RetryPolicy(max_retries=1, backoff_base=0)
    spec = SIMPLE_SPECS[310]
    route = answer(router, spec, {"result_code": -1, "result_msg": "系统繁忙"})
    with pytest.raises(BusyError):
        await client.call(spec)
    assert route.call_count == 2


# --- documented rules, checked before sending ---------------------------------------------


def assert_invalid(build, parameter, number):
    with pytest.raises(ValidationError) as info:
        build()
    assert info.value.parameter == parameter
    assert info.value.endpoint == number
    return info.value


@pytest.mark.parametrize(
    ("changes", "parameter"),
    [
        ({"login_name": "  "}, "login_name"),
        ({"login_password": ""}, "login_password"),
        ({"organunit_name": " "}, "organunit_name"),
        ({"linkphone": ""}, "linkphone"),
        ({"linkphone": "010-12345678"}, "linkphone"),
        ({"sms_verify_code": ""}, "sms_verify_code"),
        ({"sms_verify_code": None}, "sms_verify_code"),
        ({"code": "1"}, "code"),
        ({"province_id": 110000.0}, "province_id"),
        ({"email": 5}, "email"),
        # 101 note: Beijing has no city level, Dongguan no district level.
        ({"city_id": 110100}, "city_id"),
        ({"province_id": 440000, "city_id": 441900, "area_id": 441901}, "area_id"),
        ({"province_id": 810000, "city_id": 810100, "area_id": 810100}, "city_id"),
        ({"province_id": 810000, "city_id": 810000, "area_id": 810001}, "area_id"),
    ],
)
def test_301_rules(changes, parameter):
    assert_invalid(lambda: register_301(**changes), parameter, 301)


def test_301_follows_region_examples_of_the_note():
    assert register_301(province_id=110000, city_id=110000, area_id=110105).area_id == 110105
    assert register_301(province_id=440000, city_id=441900, area_id=441900).city_id == 441900
    assert register_301(province_id=440000, city_id=440300, area_id=440305).area_id == 440305


def test_301_requires_documented_parameters():
    with pytest.raises(ValidationError, match="is required") as info:
        CompanyRegister(login_name="a", login_password="b")  # type: ignore[call-arg]
    assert info.value.endpoint == 301


@pytest.mark.parametrize("spec_type", [VerifyCode, VerifyCodeSend])
@pytest.mark.parametrize(
    "phone", ["", "  ", "1380013800", "138001380001", "23800138000", "+8613800138000"]
)
def test_302_303_phone_must_be_a_mobile_number(spec_type, phone):
    assert_invalid(lambda: spec_type(phone_code=phone), "phone_code", spec_type.number)


@pytest.mark.parametrize(
    ("changes", "parameter"),
    [
        ({"code_pay_type": 1}, "code_pay_type"),
        ({"code_pay_type": 3}, "code_pay_type"),
        ({"code_pay_type": "2"}, "code_pay_type"),
        ({"company_idcode": ""}, "company_idcode"),
        ({"organization_code": " "}, "organization_code"),
        ({"file1": None}, "file1"),
        ({"file1": 42}, "file1"),
    ],
)
def test_304_rules(changes, parameter):
    values = {
        "company_idcode": MAIN_CODE,
        "code_pay_type": 2,
        "organization_code": "x",
        "file1": PNG,
    }
    assert_invalid(lambda: CompanyVerify(**{**values, **changes}), parameter, 304)


async def test_304_image_over_5_mb_is_refused_before_sending(client, router):
    route = router.route(path=CompanyVerify.path)
    spec = verify_304(PNG[:8] + bytes(FIVE_MB - 7))
    with pytest.raises(ValidationError) as info:
        await client.call(spec)
    assert (info.value.parameter, info.value.endpoint) == ("file1", 304)
    assert not route.called


def test_304_image_of_exactly_5_mb_is_allowed():
    wire = verify_304(PNG[:8] + bytes(FIVE_MB - 8)).wire()
    try:
        assert wire.files["file1"].size == FIVE_MB
    finally:
        wire.close()


@pytest.mark.parametrize("name", ["licence.pdf", "licence.webp", "licence", "licence.png.txt"])
async def test_304_file_format_is_checked_by_name(client, router, tmp_path, name):
    route = router.route(path=CompanyVerify.path)
    path = tmp_path / name
    path.write_bytes(PNG)
    with pytest.raises(ValidationError) as info:
        await client.call(verify_304(path))
    assert (info.value.parameter, info.value.endpoint) == ("file1", 304)
    assert not route.called


async def test_304_unknown_bytes_are_refused(client, router):
    route = router.route(path=CompanyVerify.path)
    with pytest.raises(ValidationError) as info:
        await client.call(verify_304(b"%PDF-1.7 not an image"))
    assert info.value.parameter == "file1"
    assert not route.called


async def test_304_missing_file_is_a_validation_error(client, router, tmp_path):
    route = router.route(path=CompanyVerify.path)
    with pytest.raises(ValidationError) as info:
        await client.call(verify_304(tmp_path / "absent.png"))
    assert info.value.parameter == "file1"
    assert not route.called


@pytest.mark.parametrize(
    ("changes", "parameter"),
    [
        ({"company_idcode": " "}, "company_idcode"),
        ({"organunit_address": ""}, "organunit_address"),
        ({"trade_id": None}, "trade_id"),
        ({"unit_size_type": 0}, "unit_size_type"),
        ({"unit_size_type": 5}, "unit_size_type"),
        ({"unit_size_type": None}, "unit_size_type"),
        ({"registered_capital": "500"}, "registered_capital"),
        ({"gotourl": "www.example.com/m"}, "gotourl"),
        ({"gotourl": "http://www.example.com/a b"}, "gotourl"),
        ({"linkphone": "022-88888888"}, "linkphone"),
        ({"unit_logo": 3.5}, "unit_logo"),
    ],
)
def test_305_rules(changes, parameter):
    assert_invalid(lambda: modify_305(**changes), parameter, 305)


async def test_305_logo_over_5_mb_or_wrong_format_is_refused(client, router, tmp_path):
    route = router.route(path=CompanyModify.path)
    svg = tmp_path / "logo.svg"
    svg.write_bytes(b"<svg/>")
    for logo in (GIF + bytes(FIVE_MB), svg):
        with pytest.raises(ValidationError) as info:
            await client.call(modify_305(unit_logo=logo))
        assert (info.value.parameter, info.value.endpoint) == ("unit_logo", 305)
    assert not route.called


@pytest.mark.parametrize(
    ("build", "parameter", "number"),
    [
        (lambda: CompanyInfoBase(company_idcode=""), "company_idcode", 306),
        (lambda: CompanyInfoBase(company_idcode=None), "company_idcode", 306),
        (lambda: CompanySearch(company_name=" "), "company_name", 307),
        (lambda: CompanySearch(company_name="a", search_type="2"), "search_type", 307),
        (lambda: CompanySearch(company_name="a", search_type=1), "search_type", 307),
        (lambda: OrganUnitStatus(company_idcode="\t"), "company_idcode", 308),
    ],
)
def test_306_307_308_rules(build, parameter, number):
    assert_invalid(build, parameter, number)


@pytest.mark.parametrize(
    ("changes", "parameter"),
    [
        ({"login_name": ""}, "login_name"),
        ({"organunit_name": "  "}, "organunit_name"),
        ({"code": None}, "code"),
        ({"qrcode_size": 4}, "qrcode_size"),
        ({"qrcode_size": 400}, "qrcode_size"),
        ({"qrcode_size": "1"}, "qrcode_size"),
        ({"qrcode_color": 2}, "qrcode_color"),
        ({"qrcode_logo": True}, "qrcode_logo"),
        ({"unit_icon": "not base64!"}, "unit_icon"),
        ({"gotourl": "ftp://example.com/"}, "gotourl"),
        ({"linkphone": "1500000000"}, "linkphone"),
        ({"city_id": 440300, "area_id": 440305, "province_id": 110000}, "city_id"),
        ({"area_id": 441901}, "area_id"),
    ],
)
def test_309_rules(changes, parameter):
    assert_invalid(lambda: regist_309(**changes), parameter, 309)


@pytest.mark.parametrize(
    ("changes", "parameter"),
    [
        ({}, "gotourl"),
        ({"unit_icon": "", "gotourl": ""}, "gotourl"),
        ({"unit_icon": "", "gotourl": None}, "gotourl"),
        ({"unit_icon": "\r\n", "gotourl": ""}, "gotourl"),  # base64 line breaks only
        ({"gotourl": "not a url"}, "gotourl"),
        ({"unit_icon": "**", "gotourl": GOTOURL}, "unit_icon"),
        ({"gotourl": GOTOURL, "qrcode_color": 3}, "qrcode_color"),
        ({"gotourl": GOTOURL, "qrcode_logo": 2}, "qrcode_logo"),
        ({"gotourl": GOTOURL, "qrcode_size": 0}, "qrcode_size"),
        ({"gotourl": GOTOURL, "login_pwd": ""}, "login_pwd"),
        ({"gotourl": GOTOURL, "login_name": " "}, "login_name"),
    ],
)
def test_310_rules(changes, parameter):
    values = {"login_name": "u", "login_pwd": "s3cr3t-pw"}
    error = assert_invalid(lambda: CompanyGotoUrl(**{**values, **changes}), parameter, 310)
    assert "s3cr3t" not in str(error)


def test_310_logo_alone_is_enough():
    spec = CompanyGotoUrl(login_name="u", login_pwd="pw", unit_icon="iVBORw0KGgo=")
    assert spec.gotourl is None


# --- secrets ------------------------------------------------------------------------------


def test_301_repr_hides_password():
    text = repr(register_301(login_password="Tr0ub4dor&3"))
    assert "Tr0ub4dor" not in text
    assert "login_password='***'" in text
    assert "login_name='zhang san&co'" in text


def test_310_repr_hides_password():
    text = repr(CompanyGotoUrl(login_name="u", login_pwd="Tr0ub4dor&3", gotourl=GOTOURL))
    assert "Tr0ub4dor" not in text
    assert "login_pwd='***'" in text


def test_file_repr_shows_size_not_content():
    text = repr(verify_304(PNG))
    assert f"file1=<{len(PNG)} bytes>" in text
    assert "PNG" not in text
