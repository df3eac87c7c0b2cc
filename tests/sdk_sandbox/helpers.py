"""Values, spec builders and checks shared by the SDK-against-sandbox tests.

Everything goes through the SDK (``await client.call(spec)``); the sandbox is only read back
through its documented inspection surface (``sandbox.stats()``, ``sandbox.verify_code``,
``sandbox.advance_time``) and, for pages and pictures, through plain HTTP to its app.
"""

from __future__ import annotations

import struct
from typing import Any, Final

import attrs

from idcode_async import CategoryRegItem, Endpoint, registry
from idcode_async.endpoints import (
    Addresses,
    AddressesByParent,
    AuthenPic,
    CategoryBatchRegist,
    CategoryGotoUrl,
    CodeDownloadUrl,
    CodePic,
    CodePicAuthen,
    CodePicWithMargin,
    CodeRecordByCategory,
    CodeRecordById,
    CodeUses,
    CompanyGotoUrl,
    CompanyInfoBase,
    CompanyModify,
    CompanyRegister,
    CompanySearch,
    CompanyVerify,
    ExamineRecord,
    GotoUrlWhitelist,
    IdcodeInfoBase,
    IdcodeInfoBase2,
    IdcodeInfoSearch,
    IdcodeInfoSearch2,
    IndustryCategories,
    IndustryCategoriesByParent,
    LoginVerify,
    OrganUnitStatus,
    OtherCategoryRegister,
    ProductCategoryRegister,
    ProductIndustryCategories,
    ShortCodeSearch,
    Trades,
    TradesByParent,
    UnitRegist,
    UnitTypes,
    UploadCodeFile,
    UploadCodeFixedLength,
    UploadCodeList,
    UploadCodePrefix,
    UploadedCodes,
    VerifyCode,
    VerifyCodeSend,
)
from idcode_async.sandbox import Sandbox

# --- the world the tests register ------------------------------------------------------------

LICENCE: Final = "91110105MA01ABCD12"
"""309's ``login_name`` is the business licence number (seed 309)."""
DEFAULT_PASSWORD: Final = LICENCE[-6:]
"""309: the default password is the licence number's last six characters."""
UNIT_NAME: Final = "北京示例科技有限公司"
BEIJING_CHAOYANG: Final = (110000, 110000, 110105)
"""101 note: a municipality has no city level, so city_id = province_id."""
PHONE: Final = "13800138000"

GOTOURL: Final = "http://www.example.com/scan.aspx?id="
"""Seed §十三, example 2: a resolve URL ending in ``id=`` gets the code as that value."""
SAMPLE_URL: Final = "http://www.example.com/scan.aspx?id=i.86.110105.1/10.232324.A1/1"
OTHER_HOST_SAMPLE: Final = "http://elsewhere.example.net/scan.aspx?id=1"
"""A sample URL a scan of :data:`GOTOURL` can never land on (30005)."""
UNKNOWN_PLACEHOLDER_URL: Final = "http://www.example.com/scan.aspx?id={serialNo}"
"""An absolute URL (the SDK lets it through) with a placeholder seed §十三 does not define."""
CALLBACK_URL: Final = "http://sp.example.com/idcode/callback?order=7"
QUERY_URL: Final = "http://www.example.com/m?organunitname=单位名称&x=1+2%20&y=a/b"
"""Seed §十四's case: a URL value with its own query (Chinese, ``&``, ``+``, ``%20``); it is
signed raw and encoded once on the wire, and must come back unchanged."""

LAUNDRY_DETERGENT: Final = 232324
"""洗衣液: a product category (use 10); the category code of the document's example code."""
DEVICE_CATEGORY: Final = 601010
"""电梯 (lifts): a category of another use than products, for 407."""

PNG_1PX: Final = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
UNKNOWN_UNIT: Final = "i.86.110105.999"
UNKNOWN_REG_ID: Final = "10040000000000009999"
UNKNOWN_UPLOAD_ID: Final = "10050000000000009999"


@attrs.frozen
class Unit:
    """A unit the test registered: its main code and how it logs in."""

    idcode: str
    login_name: str = LICENCE
    password: str = DEFAULT_PASSWORD
    name: str = UNIT_NAME


@attrs.frozen
class Category:
    """A category registration: its ID, full category code and model number code."""

    reg_id: str
    code: str
    model_number_code: str

    @property
    def catalog_code(self) -> str:
        """The catalog part (``10.232324.A1``) that 502 and 403 accept as the category."""
        return self.code.rstrip("/").split("/", 1)[1]


# --- spec builders ---------------------------------------------------------------------------


def unit_spec(name: str = UNIT_NAME, login_name: str = LICENCE, **extra: Any) -> UnitRegist:
    """309 for a unit in Beijing Chaoyang."""
    province, city, area = BEIJING_CHAOYANG
    fields: dict[str, Any] = {
        "login_name": login_name,
        "organunit_name": name,
        "code": 1,
        "province_id": province,
        "city_id": city,
        "area_id": area,
        **extra,
    }
    return UnitRegist(**fields)


def product_spec(company: str, model_code: str = "A1", **extra: Any) -> ProductCategoryRegister:
    """406 for laundry detergent with model number code ``model_code``."""
    fields: dict[str, Any] = {
        "company_idcode": company,
        "industrycategory_id": LAUNDRY_DETERGENT,
        "category_code": str(LAUNDRY_DETERGENT),
        "model_number": f"洗衣液 {model_code}",
        "model_number_code": model_code,
        "code_pay_type": "2",
        "gotourl": GOTOURL,
        "sample_url": SAMPLE_URL,
        **extra,
    }
    return ProductCategoryRegister(**fields)


def other_spec(company: str, **extra: Any) -> OtherCategoryRegister:
    """407 for a lift (equipment, code use 20: not a product)."""
    fields: dict[str, Any] = {
        "company_idcode": company,
        "codeuse_id": "20",
        "industrycategory_id": DEVICE_CATEGORY,
        "category_code": str(DEVICE_CATEGORY),
        "model_number": "乘客电梯 1 号",
        "code_pay_type": 2,
        "gotourl": GOTOURL,
        "sample_url": SAMPLE_URL,
        **extra,
    }
    return OtherCategoryRegister(**fields)


def batch_item(model_code: str, code_pay_type: int = 2) -> CategoryRegItem:
    """One 402 item for laundry detergent."""
    return CategoryRegItem(
        industrycategory_id=LAUNDRY_DETERGENT,
        codeuse_id=10,
        category_code=str(LAUNDRY_DETERGENT),
        code_pay_type=code_pay_type,  # type: ignore[arg-type]
        gotourl=GOTOURL,
        model_number=f"洗衣液 {model_code}",
        model_number_code=model_code,
    )


def data_specs(company: str, reg_id: str, upload_id: str) -> dict[int, Endpoint[Any]]:
    """One well-formed spec for each of the 43 data interfaces, about ``company``."""
    province, city, area = BEIJING_CHAOYANG
    code = f"{company}/10.232324.A1/1"
    return {
        101: Addresses(),
        102: AddressesByParent(address_id_parent=0),
        103: Trades(),
        104: TradesByParent(trade_id_parent=0),
        105: UnitTypes(),
        201: CodeUses(),
        202: IndustryCategories(),
        203: IndustryCategoriesByParent(industrycategory_id_parent=0),
        204: ProductIndustryCategories(),
        301: CompanyRegister(
            login_name="91110105MA01REG301",
            login_password="secret301",
            organunit_name="北京三零一有限公司",
            code=1,
            province_id=province,
            city_id=city,
            area_id=area,
            linkphone=PHONE,
            sms_verify_code="123456",
        ),
        302: VerifyCode(phone_code=PHONE),
        303: VerifyCodeSend(phone_code=PHONE),
        304: CompanyVerify(
            company_idcode=company, code_pay_type=2, organization_code=LICENCE, file1=PNG_1PX
        ),
        305: CompanyModify(
            company_idcode=company, trade_id=114, organunit_address="朝阳路 1 号", unit_size_type=1
        ),
        306: CompanyInfoBase(company_idcode=company),
        307: CompanySearch(company_name=UNIT_NAME),
        308: OrganUnitStatus(company_idcode=company),
        309: unit_spec(),
        310: CompanyGotoUrl(login_name=LICENCE, login_pwd=DEFAULT_PASSWORD, gotourl=GOTOURL),
        402: CategoryBatchRegist(company_idcode=company, category_reg_list=[batch_item("B1")]),
        403: IdcodeInfoBase(company_idcode=company),
        404: IdcodeInfoSearch(company_idcode=company),
        406: product_spec(company),
        407: other_spec(company),
        409: IdcodeInfoBase2(company_idcode=company),
        410: IdcodeInfoSearch2(company_idcode=company),
        5011: UploadCodeFile(company_idcode=company, category_reg_id=reg_id, code_file=b"X1\n"),
        5012: UploadCodeList(company_idcode=company, category_reg_id=reg_id, code_list_str="X1"),
        5013: UploadCodePrefix(
            company_idcode=company, category_reg_id=reg_id, start_num=1, end_num=10
        ),
        5014: UploadCodeFixedLength(
            company_idcode=company, category_reg_id=reg_id, start_num=1, end_num=10, length=4
        ),
        502: CodeRecordByCategory(
            company_idcode=company, idcode_of_category="232324", model_number_code="A1"
        ),
        503: CodeRecordById(company_idcode=company, uploadcode_id=upload_id),
        504: CodeDownloadUrl(company_idcode=company, uploadcode_id=upload_id),
        505: UploadedCodes(company_idcode=company, uploadcode_id=upload_id),
        506: ShortCodeSearch(code=code),
        601: LoginVerify(login_name=LICENCE, login_pswd=DEFAULT_PASSWORD),
        602: CategoryGotoUrl(company_idcode=company, gotourl=GOTOURL, reg_id=reg_id),
        603: CodePic(code=code),
        604: CodePicWithMargin(
            code=f"http://stest.idcode.org.cn/?code={code}", is_margin=1, qrcode_size=400, color=0
        ),
        605: CodePicAuthen(
            company_idcode=company, code=code, use_logo=0, margin_type=0, code_type=1, code_size=3
        ),
        606: GotoUrlWhitelist(gotourl=GOTOURL, sample_url=SAMPLE_URL),
        608: ExamineRecord(company_idcode=company, type=1),
        701: AuthenPic(bgimage=0, ismarkname=0),
    }


DATA_ENDPOINTS: Final = tuple(sorted(n for n, cls in registry.items() if not cls.is_page))
"""The document's data interfaces (43); the page interfaces are 401, 405, 408 and 607."""


# --- reading the sandbox back ----------------------------------------------------------------


def requests_to(sandbox: Sandbox, number: int) -> int:
    """How many requests for endpoint ``number`` reached the sandbox."""
    return sandbox.stats()["requests"].get(str(number), 0)


def total_requests(sandbox: Sandbox) -> int:
    return sum(sandbox.stats()["requests"].values())


def png_dimensions(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (read here, not with the sandbox's code)."""
    assert data.startswith(PNG_SIGNATURE), data[:16]
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def png_palette(data: bytes) -> set[tuple[int, int, int]]:
    """The colours of an indexed PNG's PLTE chunk (empty for a truecolour PNG)."""
    position = len(PNG_SIGNATURE)
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        payload = data[position + 8 : position + 8 + length]
        if kind == b"PLTE":
            return {(payload[i], payload[i + 1], payload[i + 2]) for i in range(0, length, 3)}
        position += 12 + length
    return set()
