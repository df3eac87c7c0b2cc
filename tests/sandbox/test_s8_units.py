"""Section 八 (301–310): unit registration, verification codes, details, status."""

from __future__ import annotations

import base64

import pytest

from idcode_async.sandbox import Sandbox
from idcode_async.sandbox.pictures import png_size

from .helpers import GOTOURL, PNG_1PX, Api

PHONE = "13800138000"


def _reg1(sms: str, **extra: object) -> dict[str, object]:
    return {
        "login_name": "zhangsan01",
        "login_password": "secret-01",
        "organunit_name": "上海示例有限公司",
        "code": 1,
        "province_id": 310000,
        "city_id": 310000,
        "area_id": 310104,
        "linkman": "张三",
        "linkphone": PHONE,
        "sms_verify_code": sms,
        **extra,
    }


async def test_301_register_after_302(api: Api, sandbox: Sandbox):
    code = (await api.ok("/sp/idcode/verifycode", {"phone_code": PHONE}))["verify_code"]
    assert len(code) == 6
    body = await api.answer("/sp/idcode/companyinfo/reg", _reg1(code))
    assert body == {
        "organunit_idcode": "i.86.310104.1",
        "organunit_result_info": None,
        "result_code": 1,
        "result_msg": "注册成功！",
    }
    assert sandbox.stats()["submissions_by_name"]["301"] == {"上海示例有限公司": 1}
    status = await api.ok("/sp/idcode/organunit/status", {"company_idcode": "i.86.310104.1"})
    assert status["is_audit"] == 0  # waits for 305
    base = await api.ok("/sp/idcode/companyinfo/base", {"company_idcode": "i.86.310104.1"})
    assert base["status_id"] == -100


async def test_301_duplicates_carry_the_existing_unit(api: Api):
    code = (await api.ok("/sp/idcode/verifycode", {"phone_code": PHONE}))["verify_code"]
    await api.ok("/sp/idcode/companyinfo/reg", _reg1(code))
    same_name = await api.answer("/sp/idcode/companyinfo/reg", _reg1(code, login_name="other"))
    assert same_name == {
        "organunit_idcode": None,
        "organunit_result_info": {
            "organunit_name": "上海示例有限公司",
            "linkman": "张三",
            "fax": "",
            "linkphone": PHONE,
        },
        "result_code": 10007,
        "result_msg": "已存在该组织单位名称，不可再添加！",
    }
    same_login = await api.answer(
        "/sp/idcode/companyinfo/reg", _reg1(code, organunit_name="另一家公司")
    )
    assert same_login["result_code"] == 10008
    assert same_login["organunit_result_info"]["organunit_name"] == "上海示例有限公司"


async def test_301_verification_code_errors(api: Api, sandbox: Sandbox):
    code = (await api.ok("/sp/idcode/verifycode", {"phone_code": PHONE}))["verify_code"]
    wrong = "000000" if code != "000000" else "111111"
    body = await api.answer("/sp/idcode/companyinfo/reg", _reg1(wrong))
    assert (body["result_code"], body["result_msg"]) == (20002, "验证码错误")
    sandbox.advance_time(301)
    body = await api.answer("/sp/idcode/companyinfo/reg", _reg1(code))
    assert (body["result_code"], body["result_msg"]) == (20001, "验证码过期")


@pytest.mark.parametrize(
    "extra",
    [
        {"code": 77},
        {"city_id": 310100},  # Shanghai has no city level
        {"area_id": 440305},
        {"province_id": "x"},
    ],
)
async def test_301_bad_parameters(api: Api, extra):
    code = (await api.ok("/sp/idcode/verifycode", {"phone_code": PHONE}))["verify_code"]
    assert await api.code("/sp/idcode/companyinfo/reg", _reg1(code, **extra)) == 10000


async def test_302_throttles_per_phone(api: Api, sandbox: Sandbox):
    path = "/sp/idcode/verifycode"
    await api.ok(path, {"phone_code": PHONE}, method="GET")
    again = await api.answer(path, {"phone_code": PHONE})
    assert (again["result_code"], again["result_msg"]) == (20003, "短时间内不允许再次获取验证码")
    await api.ok(path, {"phone_code": "13900139000"})
    sandbox.advance_time(61)
    await api.ok(path, {"phone_code": PHONE})
    assert await api.code(path, {"phone_code": "12345"}) == 10000


async def test_303_the_centre_sends_the_code(api: Api, sandbox: Sandbox):
    path = "/sp/idcode/verifycode/send"
    assert await api.answer(path, {"phone_code": PHONE}) == {"result_code": 1, "result_msg": "成功"}
    sms = (await api.client.get(f"/_sandbox/sms/{PHONE}")).json()
    assert sms["verify_code"] == sandbox.verify_code(PHONE)
    again = await api.answer(path, {"phone_code": PHONE})
    assert (again["result_code"], again["result_msg"]) == (20003, "短时间内不允许再次获得验证码")
    assert (await api.client.get("/_sandbox/sms/10000000000")).status_code == 404
    await api.ok("/sp/idcode/companyinfo/reg", _reg1(sandbox.verify_code(PHONE) or ""))


async def test_304_needs_details_then_authenticates(api: Api):
    company = await api.register_unit()
    path = "/sp/idcode/companyinfo/verify"
    params = {"company_idcode": company, "code_pay_type": 2, "organization_code": "91110105X"}
    files = {"file1": ("licence.png", PNG_1PX)}
    body = await api.answer(path, params, files=files)
    assert (body["result_code"], body["result_msg"]) == (10004, "单位信息不完整，请先完善资料")
    await api.complete_unit(company)
    await api.ok(path, params, files=files)
    status = await api.ok("/sp/idcode/organunit/status", {"company_idcode": company})
    assert status["is_authen"] == 1
    base = await api.ok("/sp/idcode/companyinfo/base", {"company_idcode": company})
    assert (base["organization_code"], base["code_pay_type"]) == ("91110105X", 2)


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ({"file1": ("big.png", PNG_1PX + b"\0" * 2048)}, 40001),
        ({"file1": ("licence.pdf", PNG_1PX)}, 40002),
        ({"file1": ("licence.jpg", b"not an image at all")}, 40003),
        (None, 10000),
    ],
)
async def test_304_file_errors(files, code):
    with Sandbox(max_image_bytes=1024) as sandbox:
        import httpx

        async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://s") as c:
            api = Api(c)
            company = await api.register_unit()
            await api.complete_unit(company)
            params = {"company_idcode": company, "code_pay_type": 2, "organization_code": "X1"}
            dummy = {"other": ("x.txt", b"x")}
            assert (
                await api.code("/sp/idcode/companyinfo/verify", params, files=files or dummy)
                == code
            )


async def test_304_unknown_unit(api: Api):
    params = {"company_idcode": "i.86.110105.999", "code_pay_type": 2, "organization_code": "X"}
    files = {"file1": ("licence.png", PNG_1PX)}
    assert await api.code("/sp/idcode/companyinfo/verify", params, files=files) == 10003


async def test_305_completes_and_starts_review_of_a_301_unit(api: Api, sandbox: Sandbox):
    code = (await api.ok("/sp/idcode/verifycode", {"phone_code": PHONE}))["verify_code"]
    company = (await api.ok("/sp/idcode/companyinfo/reg", _reg1(code)))["organunit_idcode"]
    body = await api.complete_unit(
        company,
        organunit_name_en="Shanghai Example Co.",
        unit_size_type=3,
        registered_capital=500,
        gotourl=GOTOURL,
        files={"unit_logo": ("logo.png", PNG_1PX)},
    )
    assert body["result_msg"] == "完善资料成功！"
    base = await api.ok("/sp/idcode/companyinfo/base", {"company_idcode": company})
    assert base["status_id"] == 0
    assert (base["unit_size_type_id"], base["registered_capital"]) == (3, 500)
    assert (base["gotourl"], base["url_status"], base["unit_icon"]) == (GOTOURL, 1, "logo.png")
    assert base["organunit_name_en"] == "Shanghai Example Co."
    status_path = "/sp/idcode/organunit/status"
    assert (await api.ok(status_path, {"company_idcode": company}))["is_audit"] == 1
    sandbox.advance_time(2)
    assert (await api.ok(status_path, {"company_idcode": company}))["is_audit"] == 100


async def test_305_errors(api: Api, sandbox: Sandbox):
    first = await api.register_unit()
    await api.register_unit("第二家公司", login_name="91110105MA01ABCD99")
    assert await api.code("/sp/idcode/companyinfo/modify", {"company_idcode": first}) == 10000
    path = "/sp/idcode/companyinfo/modify"
    base = {"company_idcode": first, "trade_id": 114, "organunit_address": "地址"}
    assert await api.code(path, {**base, "company_idcode": "i.86.1.1"}) == 10003
    assert await api.code(path, {**base, "organunit_name": "第二家公司"}) == 10009
    assert await api.code(path, {**base, "gotourl": "ftp://x"}) == 30002
    assert await api.code(path, {**base, "trade_id": 999}) == 10000
    assert await api.code(path, {**base, "unit_size_type": 9}) == 10000
    await api.ok(path, {**base, "organunit_name": "北京示例科技股份有限公司"})
    sandbox.advance_time(3)
    refused = await api.answer(path, {**base, "organunit_name": "又一个名字"})
    assert (refused["result_code"], refused["result_msg"]) == (10010, "当前单位名称无法修改")
    big = {"unit_logo": ("logo.gif", b"GIF89a" + b"\0" * (5 * 1024 * 1024))}
    assert await api.code(path, base, files=big) == 40001


async def test_306_base_info(api: Api, sandbox: Sandbox):
    company = await api.register_unit(linkman="李四", email="li@example.com")
    base = await api.ok("/sp/idcode/companyinfo/base", {"company_idcode": company}, method="GET")
    assert base["organunit_id"] == base["organunit_idstr"]
    assert isinstance(base["organunit_id"], str)
    assert len(base["organunit_id"]) == 20
    assert base["organunit_oid"] == company
    assert (base["province_id"], base["city_id"], base["area_id"]) == (110000, 110000, 110105)
    assert (base["plateformrole_id"], base["issc"], base["status_id"]) == (4, -4, 0)
    assert base["qrcode_color"] == 1  # 309 took 0 = colour; 306 answers 1 = colour
    assert (base["linkman"], base["email"], base["finallyexam_date"]) == (
        "李四",
        "li@example.com",
        "",
    )
    sandbox.advance_time(2)
    approved = await api.ok("/sp/idcode/companyinfo/base", {"company_idcode": company})
    assert approved["status_id"] == 100
    assert len(approved["finallyexam_date"]) == 19
    unknown = await api.answer("/sp/idcode/companyinfo/base", {"company_idcode": "i.86.0.0"})
    assert (unknown["result_code"], unknown["result_msg"]) == (10006, "未查到相比配的数据")


async def test_307_search(api: Api):
    await api.register_unit("北京示例科技有限公司")
    path = "/sp/idcode/companyinfo/search"
    fuzzy = await api.ok(path, {"company_name": "示例"})
    assert [u["organunit_name"] for u in fuzzy["organunit_list"]] == ["北京示例科技有限公司"]
    assert await api.code(path, {"company_name": "示例", "search_type": 1}) == 10006
    exact = await api.ok(path, {"company_name": "北京示例科技有限公司", "search_type": 1})
    assert len(exact["organunit_list"]) == 1
    assert await api.code(path, {"company_name": "无此单位"}) == 10006


async def test_308_status(api: Api, sandbox: Sandbox):
    company = await api.register_unit()
    path = "/sp/idcode/organunit/status"
    assert await api.answer(path, {"company_idcode": company}) == {
        "is_authen": 0,
        "is_audit": 1,
        "surplus_time": "0",
        "result_code": 1,
        "result_msg": "成功",
    }
    sandbox.advance_time(2)
    approved = await api.ok(path, {"company_idcode": company})
    assert (approved["is_audit"], approved["surplus_time"]) == (100, "365")
    assert await api.code(path, {"company_idcode": "i.86.110105.99"}) == 10003


async def test_309_register(api: Api, sandbox: Sandbox):
    path = "/sp/idcode/unit/regist"
    params = {
        "login_name": "91441900MA4W000001",
        "organunit_name": "东莞示例制造有限公司",
        "code": 1,
        "province_id": 440000,
        "city_id": 441900,
        "area_id": 441900,
        "qrcode_size": 3,
        "qrcode_color": 1,
        "unit_icon": base64.b64encode(PNG_1PX).decode(),
        "qrcode_logo": 1,
        "gotourl": GOTOURL,
    }
    body = await api.ok(path, params)
    assert body["organunit_idcode"] == "i.86.441900.1"
    assert body["login_name"] == "91441900MA4W000001"
    picture = base64.b64decode(body["unit_qrcode"])
    assert picture.startswith(b"\x89PNG")
    assert png_size(picture) == (800, 800)
    login = {"login_name": "91441900MA4W000001", "login_pswd": "000001"}  # last six characters
    assert (await api.ok("/sp/idcode/loginverify", login))["qrcode_color"] == 0
    assert sandbox.stats()["submissions_by_name"]["309"] == {"东莞示例制造有限公司": 1}


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        ({"login_name": "other-licence"}, 10007, "已存在该组织单位名称，不可再添加"),
        ({"organunit_name": "另一家公司"}, 10008, "已存在该用户名，不可再添加"),
        ({"organunit_name": "新公司", "login_name": "L2", "gotourl": "www.x.com"}, 30002, None),
        (
            {"organunit_name": "新公司", "login_name": "L2", "unit_icon": "bm90IGFuIGltYWdl"},
            40005,
            None,
        ),
        ({"organunit_name": "新公司", "login_name": "L2", "city_id": 110100}, 10000, None),
        ({"organunit_name": "新公司", "login_name": "L2", "code": 0}, 10000, None),
        ({"organunit_name": "新公司", "login_name": "L2", "qrcode_size": 4}, 10000, None),
    ],
)
async def test_309_errors(api: Api, change, code, message):
    await api.register_unit()
    params = {
        "login_name": "91110105MA01ABCD12",
        "organunit_name": "北京示例科技有限公司",
        "code": 1,
        "province_id": 110000,
        "city_id": 110000,
        "area_id": 110105,
        **change,
    }
    body = await api.answer("/sp/idcode/unit/regist", params)
    assert body["result_code"] == code
    if message:
        assert body["result_msg"] == message


async def test_310_change_logo_and_url(api: Api):
    company = await api.register_unit()
    path = "/sp/idcode/companyidcode/gotourl"
    login = {"login_name": "91110105MA01ABCD12", "login_pwd": "ABCD12"}
    body = await api.ok(path, {**login, "gotourl": GOTOURL, "qrcode_size": 2})
    assert png_size(base64.b64decode(body["unit_qrcode"])) == (600, 600)
    base = await api.ok("/sp/idcode/companyinfo/base", {"company_idcode": company})
    assert (base["gotourl"], base["qrcode_logo"]) == (GOTOURL, 0)
    icon = base64.b64encode(PNG_1PX).decode()
    await api.ok(path, {**login, "unit_icon": icon, "qrcode_logo": 1})
    base = await api.ok("/sp/idcode/companyinfo/base", {"company_idcode": company})
    assert base["qrcode_logo"] == 1


async def test_310_errors(api: Api):
    await api.register_unit()
    path = "/sp/idcode/companyidcode/gotourl"
    login = {"login_name": "91110105MA01ABCD12", "login_pwd": "ABCD12"}
    assert await api.code(path, login) == 10000
    wrong = await api.answer(path, {**login, "login_pwd": "nope", "gotourl": GOTOURL})
    assert (wrong["result_code"], wrong["result_msg"]) == (10005, "用户名或密码错误")
    assert await api.code(path, {**login, "gotourl": "not a url"}) == 30002
    assert await api.code(path, {**login, "gotourl": GOTOURL, "qrcode_logo": 1}) == 40004
    assert await api.code(path, {**login, "unit_icon": "%%%"}) == 40005
