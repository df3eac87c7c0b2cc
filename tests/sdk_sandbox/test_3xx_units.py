"""Section 八 through the SDK: unit registration and information (301–310).

Both ways in (301 with an SMS code from 302/303, 309 in one call), the details (305), the
licence (304), the read-backs (306, 307, 308) and the logo/resolve URL change (310), with
the result codes each table documents as typed exceptions.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from idcode_async import (
    DuplicateError,
    FileError,
    IdcodeClient,
    InvalidParameterError,
    LoginError,
    NotFoundError,
    ResolveUrlError,
    UnitStateError,
    ValidationError,
    VerificationCodeError,
)
from idcode_async.endpoints import (
    CompanyGotoUrl,
    CompanyInfoBase,
    CompanyModify,
    CompanyRegister,
    CompanySearch,
    CompanyVerify,
    LoginVerify,
    OrganUnitStatus,
    UnitRegist,
    VerifyCode,
    VerifyCodeSend,
)
from idcode_async.sandbox import Sandbox

from .helpers import (
    BEIJING_CHAOYANG,
    DEFAULT_PASSWORD,
    GOTOURL,
    LICENCE,
    PHONE,
    PNG_1PX,
    PNG_SIGNATURE,
    QUERY_URL,
    UNIT_NAME,
    UNKNOWN_PLACEHOLDER_URL,
    Unit,
    png_dimensions,
    requests_to,
    unit_spec,
)

FIVE_MB = 5 * 1024 * 1024


def register_301(
    code: str, name: str = "北京三零一科技有限公司", login: str = "LOGIN301"
) -> CompanyRegister:
    province, city, area = BEIJING_CHAOYANG
    return CompanyRegister(
        login_name=login,
        login_password="pass-301",
        organunit_name=name,
        code=1,
        province_id=province,
        city_id=city,
        area_id=area,
        linkman="李四",
        linkphone=PHONE,
        sms_verify_code=code,
    )


# --- 301 / 302 / 303: registration with an SMS verification code ---------------------------


async def test_301_registers_with_the_code_302_returned(
    sandbox: Sandbox, client: IdcodeClient
) -> None:
    """302 returns the code for the SP to send; 301 registers; the unit must complete (305)."""
    issued = await client.call(VerifyCode(phone_code=PHONE))
    assert issued.verify_code == sandbox.verify_code(PHONE)
    assert issued.verify_code
    assert len(issued.verify_code) == 6

    answer = await client.call(register_301(issued.verify_code))
    assert answer.result_msg == "注册成功！"
    assert answer.organunit_idcode
    assert answer.organunit_idcode.startswith("i.86.110105.")
    assert answer.organunit_result_info is None

    info = await client.call(CompanyInfoBase(company_idcode=answer.organunit_idcode))
    assert (info.organunit_name, info.organunit_oid) == (
        "北京三零一科技有限公司",
        answer.organunit_idcode,
    )
    assert (info.status_id, info.linkman, info.linkphone) == (-100, "李四", PHONE)
    status = await client.call(OrganUnitStatus(company_idcode=answer.organunit_idcode))
    assert (status.is_audit, status.is_authen) == (0, 0)  # review waits for 305
    login = await client.call(LoginVerify(login_name="LOGIN301", login_pswd="pass-301"))
    assert login.organunit_oid == answer.organunit_idcode


async def test_303_sends_the_code_and_301_accepts_it(
    sandbox: Sandbox, client: IdcodeClient
) -> None:
    """303: the centre sends the SMS itself (the answer carries no code)."""
    answer = await client.call(VerifyCodeSend(phone_code=PHONE))
    assert answer.result_code == 1
    code = sandbox.verify_code(PHONE)
    assert code is not None
    registered = await client.call(register_301(code))
    assert registered.organunit_idcode


@pytest.mark.parametrize("spec_type", [VerifyCode, VerifyCodeSend])
async def test_302_303_asking_again_too_soon_is_20003(
    sandbox: Sandbox, client: IdcodeClient, spec_type: type[VerifyCode] | type[VerifyCodeSend]
) -> None:
    """20003 短时间内不允许再次获取验证码; a minute later a new code is issued."""
    await client.call(spec_type(phone_code=PHONE))
    with pytest.raises(VerificationCodeError) as caught:
        await client.call(spec_type(phone_code=PHONE))
    assert (caught.value.code, caught.value.endpoint) == (20003, spec_type.number)
    sandbox.advance_time(61)
    await client.call(spec_type(phone_code=PHONE))


async def test_302_a_malformed_phone_is_refused_before_sending(sandbox: Sandbox) -> None:
    """The centre accepted an empty phone (API-NOTES): the SDK checks the number itself."""
    with pytest.raises(ValidationError) as caught:
        VerifyCode(phone_code="1380013800")
    assert (caught.value.parameter, caught.value.endpoint) == ("phone_code", 302)
    assert requests_to(sandbox, 302) == 0


async def test_301_a_wrong_code_is_20002(sandbox: Sandbox, client: IdcodeClient) -> None:
    """301: a code other than the one 302 issued for the phone is 20002 验证码错误."""
    await client.call(VerifyCode(phone_code=PHONE))
    wrong = "000000" if sandbox.verify_code(PHONE) != "000000" else "111111"
    with pytest.raises(VerificationCodeError) as caught:
        await client.call(register_301(wrong))
    assert (caught.value.code, caught.value.endpoint) == (20002, 301)
    assert caught.value.message == "验证码错误"


async def test_301_an_expired_code_is_20001(sandbox: Sandbox, client: IdcodeClient) -> None:
    """301: a code older than its validity (centre time) is 20001 验证码过期."""
    issued = await client.call(VerifyCode(phone_code=PHONE))
    sandbox.advance_time(sandbox.config.verify_code_ttl + 1)
    with pytest.raises(VerificationCodeError) as caught:
        await client.call(register_301(issued.verify_code or ""))
    assert (caught.value.code, caught.value.endpoint) == (20001, 301)


async def test_301_duplicates_are_10007_and_10008_with_the_existing_unit(
    sandbox: Sandbox, client: IdcodeClient, unit: Unit
) -> None:
    """10007 unit name exists, 10008 user name exists; the body names the existing unit."""
    code = (await client.call(VerifyCode(phone_code=PHONE))).verify_code or ""
    with pytest.raises(DuplicateError) as by_name:
        await client.call(register_301(code, name=UNIT_NAME))
    assert (by_name.value.code, by_name.value.endpoint) == (10007, 301)
    assert by_name.value.body["organunit_result_info"]["organunit_name"] == UNIT_NAME
    with pytest.raises(DuplicateError) as by_login:
        await client.call(register_301(code, login=LICENCE))
    assert (by_login.value.code, by_login.value.endpoint) == (10008, 301)
    assert sandbox.stats()["submissions_by_name"]["301"] == {
        UNIT_NAME: 1,
        "北京三零一科技有限公司": 1,
    }


# --- 309: registration in one call ------------------------------------------------------------


async def test_309_registers_and_306_307_308_601_show_the_unit(
    sandbox: Sandbox, client: IdcodeClient
) -> None:
    """309 answers the main code, the login name and the code picture; 306/307/308/601 then
    show the same unit with the details 309 sent."""
    answer = await client.call(
        unit_spec(linkman="张三", linkphone=PHONE, gotourl=GOTOURL, qrcode_size=2)
    )
    company = answer.organunit_idcode or ""
    assert company.startswith("i.86.110105.")
    assert answer.login_name == LICENCE
    picture = base64.b64decode(answer.unit_qrcode or "")
    assert png_dimensions(picture) == (600, 600)  # qrcode_size 2 = 600 px

    info = await client.call(CompanyInfoBase(company_idcode=company))
    assert (info.organunit_oid, info.organunit_name, info.linkman) == (company, UNIT_NAME, "张三")
    assert (info.province_id, info.city_id, info.area_id) == BEIJING_CHAOYANG
    assert (info.gotourl, info.url_status, info.status_id) == (GOTOURL, 1, 0)
    assert info.organunit_id
    assert len(info.organunit_id) == 20
    assert info.qrcode_color == 1  # 309 asked 0 = colour; 306 reports 1 = colour

    found = await client.call(CompanySearch(company_name="示例科技"))
    assert [u.organunit_oid for u in found.organunit_list] == [company]
    status = await client.call(OrganUnitStatus(company_idcode=company))
    assert (status.is_audit, status.is_authen) == (1, 0)
    login = await client.call(LoginVerify(login_name=LICENCE, login_pswd=DEFAULT_PASSWORD))
    assert login.organunit_id == info.organunit_id
    assert sandbox.stats()["submissions_by_name"]["309"] == {UNIT_NAME: 1}


async def test_309_values_with_their_own_query_come_back_unchanged(client: IdcodeClient) -> None:
    """Seed §十四: URL and Chinese values are signed raw, percent-encoded once on the wire."""
    answer = await client.call(unit_spec(gotourl=QUERY_URL, linkman="张 三+&=%"))
    info = await client.call(CompanyInfoBase(company_idcode=answer.organunit_idcode or ""))
    assert (info.gotourl, info.linkman) == (QUERY_URL, "张 三+&=%")


async def test_309_duplicates_are_10007_and_10008(client: IdcodeClient, unit: Unit) -> None:
    """309: 10007 for a unit name that exists, 10008 for a login name that exists."""
    with pytest.raises(DuplicateError) as by_name:
        await client.call(unit_spec(login_name="91110105MA01OTHER1"))
    assert (by_name.value.code, by_name.value.endpoint) == (10007, 309)
    with pytest.raises(DuplicateError) as by_login:
        await client.call(unit_spec(name="另一家有限公司"))
    assert (by_login.value.code, by_login.value.endpoint) == (10008, 309)


async def test_309_an_unknown_unit_type_is_10000(client: IdcodeClient) -> None:
    """10000 参数错误: ``code`` must be one of 105's unit types (the SDK cannot know them)."""
    with pytest.raises(InvalidParameterError) as caught:
        await client.call(unit_spec(code=99))
    assert (caught.value.code, caught.value.endpoint) == (10000, 309)


async def test_309_a_resolve_url_the_sdk_lets_through_but_the_centre_rejects_is_30002(
    client: IdcodeClient,
) -> None:
    """30002 解析地址格式不正确: ``{serialNo}`` is not one of seed §十三's placeholders."""
    with pytest.raises(ResolveUrlError) as caught:
        await client.call(unit_spec(gotourl=UNKNOWN_PLACEHOLDER_URL))
    assert (caught.value.code, caught.value.endpoint) == (30002, 309)


async def test_309_a_relative_resolve_url_is_refused_before_sending(sandbox: Sandbox) -> None:
    """309 ``gotourl`` must be an absolute http(s) URL (seed §十三); nothing is sent."""
    with pytest.raises(ValidationError) as caught:
        unit_spec(gotourl="www.example.com/scan.aspx?id=")
    assert (caught.value.parameter, caught.value.endpoint) == ("gotourl", 309)
    assert requests_to(sandbox, 309) == 0


async def test_309_a_logo_that_is_not_an_image_is_40005(client: IdcodeClient) -> None:
    """40005 单位 logo 上传失败: base64 text (the SDK's check) that is not an image."""
    with pytest.raises(FileError) as caught:
        await client.call(unit_spec(unit_icon=base64.b64encode(b"not a picture").decode()))
    assert (caught.value.code, caught.value.endpoint) == (40005, 309)


async def test_309_regions_against_the_101_note_are_refused_before_sending(
    sandbox: Sandbox,
) -> None:
    """Beijing has no city level: city_id must be 110000 (101 note)."""
    with pytest.raises(ValidationError) as caught:
        UnitRegist(
            login_name=LICENCE,
            organunit_name=UNIT_NAME,
            code=1,
            province_id=110000,
            city_id=110100,
            area_id=110105,
        )
    assert caught.value.endpoint == 309
    assert requests_to(sandbox, 309) == 0


async def test_308_and_306_follow_the_review(
    sandbox: Sandbox, client: IdcodeClient, unit: Unit
) -> None:
    """308 ``is_audit`` 1 under review → 100 approved; 306 ``status_id`` 0 → 100."""
    assert (await client.call(OrganUnitStatus(company_idcode=unit.idcode))).is_audit == 1
    sandbox.advance_time(2)
    status = await client.call(OrganUnitStatus(company_idcode=unit.idcode))
    assert (status.is_audit, status.surplus_time) == (100, "365")
    info = await client.call(CompanyInfoBase(company_idcode=unit.idcode))
    assert info.status_id == 100
    assert info.finallyexam_date


async def test_308_a_rejected_review_is_minus_1(sandbox: Sandbox, client: IdcodeClient) -> None:
    """The sandbox rejects names containing its reject marker; 308 -1, 306 status -1."""
    answer = await client.call(unit_spec(name="REJECT 测试有限公司", login_name="LOGIN-REJECT"))
    sandbox.advance_time(2)
    company = answer.organunit_idcode or ""
    assert (await client.call(OrganUnitStatus(company_idcode=company))).is_audit == -1
    assert (await client.call(CompanyInfoBase(company_idcode=company))).status_id == -1


# --- 305 / 304: details and licence ------------------------------------------------------------


async def test_305_completes_the_details_306_shows(client: IdcodeClient, unit: Unit) -> None:
    """305 (multipart, logo as a file part) completes the unit; 306 shows every detail."""
    answer = await client.call(
        CompanyModify(
            company_idcode=unit.idcode,
            trade_id=114,
            organunit_address="北京市朝阳区建国路 1 号",
            organunit_name_en="Beijing Example Tech",
            email="info@example.com",
            unit_size_type=3,
            registered_capital=500,
            unit_logo=PNG_1PX,
        )
    )
    assert answer.result_msg == "完善资料成功！"
    info = await client.call(CompanyInfoBase(company_idcode=unit.idcode))
    assert (info.trade_id, info.organunit_address, info.email) == (
        114,
        "北京市朝阳区建国路 1 号",
        "info@example.com",
    )
    assert (info.unit_size_type_id, info.registered_capital) == (3, 500)
    assert info.organunit_name_en == "Beijing Example Tech"
    assert info.unit_icon == "logo.png"  # raw bytes are named by their magic number


async def test_305_another_units_name_is_10009(client: IdcodeClient, unit: Unit) -> None:
    """305: renaming a unit to another unit's name is 10009 单位名称已存在."""
    other = await client.call(unit_spec(name="第二家有限公司", login_name="LOGIN-SECOND"))
    with pytest.raises(DuplicateError) as caught:
        await client.call(
            CompanyModify(
                company_idcode=other.organunit_idcode or "",
                trade_id=114,
                organunit_address="上海",
                organunit_name=UNIT_NAME,
                unit_size_type=1,
            )
        )
    assert (caught.value.code, caught.value.endpoint) == (10009, 305)


async def test_305_an_approved_units_name_cannot_change_10010(
    sandbox: Sandbox, client: IdcodeClient, unit: Unit
) -> None:
    """305: once the review approved the unit, its name is fixed: 10010."""
    sandbox.advance_time(2)
    with pytest.raises(UnitStateError) as caught:
        await client.call(
            CompanyModify(
                company_idcode=unit.idcode,
                trade_id=114,
                organunit_address="北京",
                organunit_name="改名有限公司",
                unit_size_type=1,
            )
        )
    assert (caught.value.code, caught.value.endpoint) == (10010, 305)


async def test_304_before_the_details_are_complete_is_10004(
    client: IdcodeClient, unit: Unit
) -> None:
    """304 needs 305's details first: 10004 单位信息不完整."""
    with pytest.raises(UnitStateError) as caught:
        await client.call(
            CompanyVerify(
                company_idcode=unit.idcode,
                code_pay_type=2,
                organization_code=LICENCE,
                file1=PNG_1PX,
            )
        )
    assert (caught.value.code, caught.value.endpoint) == (10004, 304)


async def test_304_verifies_a_completed_unit_from_a_file(
    client: IdcodeClient, completed_unit: Unit, tmp_path: Path
) -> None:
    """304 streams the licence from a path; 308 ``is_authen`` 1, 306 shows the certificate."""
    licence = tmp_path / "licence.png"
    licence.write_bytes(PNG_1PX)
    answer = await client.call(
        CompanyVerify(
            company_idcode=completed_unit.idcode,
            code_pay_type=2,
            organization_code=LICENCE,
            file1=licence,
        )
    )
    assert answer.result_code == 1
    status = await client.call(OrganUnitStatus(company_idcode=completed_unit.idcode))
    assert status.is_authen == 1
    info = await client.call(CompanyInfoBase(company_idcode=completed_unit.idcode))
    assert (info.organization_code, info.code_pay_type) == (LICENCE, 2)


async def test_304_a_damaged_image_is_40003(
    client: IdcodeClient, completed_unit: Unit, tmp_path: Path
) -> None:
    """40003 文件损坏: a ``.png`` name (the SDK's check) on bytes that are not an image."""
    licence = tmp_path / "licence.png"
    licence.write_bytes(b"this is not a picture")
    with pytest.raises(FileError) as caught:
        await client.call(
            CompanyVerify(
                company_idcode=completed_unit.idcode,
                code_pay_type=2,
                organization_code=LICENCE,
                file1=licence,
            )
        )
    assert (caught.value.code, caught.value.endpoint) == (40003, 304)


@pytest.mark.parametrize("as_path", [False, True], ids=["bytes", "path"])
async def test_304_305_an_image_over_5_mb_is_refused_before_sending(
    sandbox: Sandbox, client: IdcodeClient, completed_unit: Unit, tmp_path: Path, as_path: bool
) -> None:
    """40001 上传图片大小不能超过 5M: the SDK refuses it; no request reaches the centre.

    (The sandbox's own 40001 is covered by the sandbox tests, with raw HTTP.)
    """
    big = PNG_SIGNATURE + bytes(FIVE_MB)
    image: bytes | Path = big
    if as_path:
        image = tmp_path / "big.png"
        image.write_bytes(big)
    before = sandbox.stats()["requests"]
    with pytest.raises(ValidationError) as licence:
        await client.call(
            CompanyVerify(
                company_idcode=completed_unit.idcode,
                code_pay_type=2,
                organization_code=LICENCE,
                file1=image,
            )
        )
    assert (licence.value.parameter, licence.value.endpoint) == ("file1", 304)
    with pytest.raises(ValidationError) as logo:
        await client.call(
            CompanyModify(
                company_idcode=completed_unit.idcode,
                trade_id=114,
                organunit_address="北京",
                unit_size_type=1,
                unit_logo=image,
            )
        )
    assert (logo.value.parameter, logo.value.endpoint) == ("unit_logo", 305)
    assert sandbox.stats()["requests"] == before


async def test_304_a_format_the_document_does_not_list_is_refused_before_sending(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """304/305 images are bmp, png, jpg, jpeg or gif (40002 otherwise)."""
    scan = tmp_path / "licence.pdf"
    scan.write_bytes(b"%PDF-1.4")
    with pytest.raises(ValidationError) as caught:
        CompanyVerify(
            company_idcode="i.86.110105.1", code_pay_type=2, organization_code="X", file1=scan
        )
    assert (caught.value.parameter, caught.value.endpoint) == ("file1", 304)
    assert requests_to(sandbox, 304) == 0


# --- 307 ---------------------------------------------------------------------------------------


async def test_307_exact_and_fuzzy_search(client: IdcodeClient, unit: Unit) -> None:
    """``search_type`` "1" exact, "0" fuzzy; nothing found is 10006."""
    exact = await client.call(CompanySearch(company_name=UNIT_NAME, search_type="1"))
    assert [u.organunit_oid for u in exact.organunit_list] == [unit.idcode]
    fuzzy = await client.call(CompanySearch(company_name="示例", search_type="0"))
    assert [u.organunit_name for u in fuzzy.organunit_list] == [UNIT_NAME]
    with pytest.raises(NotFoundError) as caught:
        await client.call(CompanySearch(company_name="示例", search_type="1"))
    assert (caught.value.code, caught.value.endpoint) == (10006, 307)


# --- 310 / 601: the unit's own login -----------------------------------------------------------


async def test_310_changes_the_resolve_url_and_logo(client: IdcodeClient, unit: Unit) -> None:
    """310 signs in with the unit's user name and password (309: licence's last six)."""
    new_url = "https://shop.example.com/p?code="
    answer = await client.call(
        CompanyGotoUrl(
            login_name=unit.login_name,
            login_pwd=unit.password,
            gotourl=new_url,
            unit_icon=base64.b64encode(PNG_1PX).decode(),
            qrcode_logo=1,
            qrcode_size=3,
            qrcode_color=1,
        )
    )
    assert png_dimensions(base64.b64decode(answer.unit_qrcode or "")) == (800, 800)
    info = await client.call(CompanyInfoBase(company_idcode=unit.idcode))
    assert (info.gotourl, info.qrcode_logo, info.qrcode_color) == (new_url, 1, 0)


async def test_310_601_a_wrong_password_is_10005(client: IdcodeClient, unit: Unit) -> None:
    """310 and 601 check the unit's own password: 10005 用户名或密码错误."""
    with pytest.raises(LoginError) as on_310:
        await client.call(
            CompanyGotoUrl(login_name=unit.login_name, login_pwd="wrong!", gotourl=GOTOURL)
        )
    assert (on_310.value.code, on_310.value.endpoint) == (10005, 310)
    with pytest.raises(LoginError) as on_601:
        await client.call(LoginVerify(login_name=unit.login_name, login_pswd="wrong!"))
    assert (on_601.value.code, on_601.value.endpoint) == (10005, 601)
    assert on_601.value.message == "用户名或密码错误"


async def test_310_a_logo_asked_for_but_never_given_is_40004(
    client: IdcodeClient, unit: Unit
) -> None:
    """310 ``qrcode_logo=1`` for a unit that never uploaded a logo: 40004 没有上传单位 logo."""
    with pytest.raises(FileError) as caught:
        await client.call(
            CompanyGotoUrl(
                login_name=unit.login_name, login_pwd=unit.password, gotourl=GOTOURL, qrcode_logo=1
            )
        )
    assert (caught.value.code, caught.value.endpoint) == (40004, 310)


async def test_310_neither_logo_nor_url_is_refused_before_sending(sandbox: Sandbox) -> None:
    """310 note: ``unit_icon`` and ``gotourl`` must not both be empty; nothing is sent."""
    with pytest.raises(ValidationError) as caught:
        CompanyGotoUrl(login_name=LICENCE, login_pwd=DEFAULT_PASSWORD)
    assert caught.value.endpoint == 310
    assert requests_to(sandbox, 310) == 0
