"""Sections 十一 and 十二 (601–608, 701): pictures, login, resolve URLs, review states."""

from __future__ import annotations

import base64

import pytest

from idcode_async.sandbox import Sandbox
from idcode_async.sandbox.pictures import png_size

from .helpers import GOTOURL, PNG_1PX, SAMPLE_URL, Api

LOGO = base64.b64encode(PNG_1PX).decode()


async def test_601_login(api: Api, unit: str):
    path = "/sp/idcode/loginverify"
    body = await api.ok(path, {"login_name": "91110105MA01ABCD12", "login_pswd": "ABCD12"})
    assert body["organunit_oid"] == unit
    assert isinstance(body["organunit_id"], str)
    wrong = await api.answer(path, {"login_name": "91110105MA01ABCD12", "login_pswd": "x"})
    assert (wrong["result_code"], wrong["result_msg"]) == (10005, "用户名或密码错误")
    assert await api.code(path, {"login_name": "nobody", "login_pswd": "x"}) == 10005


async def test_602_change_gotourl_restarts_review(api: Api, sandbox: Sandbox, unit: str, product):
    reg_id, _ = product
    review = {"company_idcode": unit, "type": 2, "category_reg_id": reg_id}
    sandbox.advance_time(2)
    assert (await api.ok("/sp/idcode/examinerecord", review, method="GET"))["examine_status"] == 100
    new = "http://www.example.com/p/{userCode}.html"
    await api.ok(
        "/sp/idcode/category/gotourl", {"company_idcode": unit, "reg_id": reg_id, "gotourl": new}
    )
    now = await api.ok("/sp/idcode/examinerecord", review, method="GET")
    assert (now["examine_content"], now["examine_status"]) == (new, 1)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"reg_id": "10040000000000000000"}, 50003),
        ({"reg_id": None}, 10000),
        ({"gotourl": "http://x.example.com/{other}"}, 30002),
        ({"sample_url": "http://elsewhere.example.org/"}, 30005),
        ({"company_idcode": "i.86.0.404"}, 10003),
        ({"gotourl": None}, 10000),
    ],
)
async def test_602_errors(api: Api, unit: str, product, change, code):
    params = {"company_idcode": unit, "reg_id": product[0], "gotourl": GOTOURL, **change}
    params = {k: v for k, v in params.items() if v is not None}
    assert await api.code("/sp/idcode/category/gotourl", params) == code


async def test_603_code_picture_address(api: Api):
    body = await api.answer("/sp/idcode/codepic", {"code": "i.86.110105.1", "pic_size": 300})
    assert body["result_msg"] == "生成成功"
    picture = await api.client.get(body["code_pic_address"])
    assert picture.headers["content-type"] == "image/png"
    assert png_size(picture.content) == (300, 300)
    assert await api.code("/sp/idcode/codepic", {"code": "x", "pic_size": 10}) == 10000
    assert await api.code("/sp/idcode/codepic", {"code": "x", "code_type": 3}) == 10000
    assert (await api.client.get("/_sandbox/codepic.png?code=x&size=5")).status_code == 400


@pytest.mark.parametrize(("margin", "size", "color"), [(1, 600, 0), (0, 250, 1), (1, 400, 1)])
async def test_604_picture_with_margin(api: Api, margin, size, color):
    params = {
        "code": "http://stest.idcode.org.cn/?code=i.86.1.1",
        "is_margin": margin,
        "qrcode_size": size,
        "color": color,
        "unit_icon": LOGO,
    }
    body = await api.ok("/sp/idcode/codepic/withmargin", params)
    assert png_size(base64.b64decode(body["code_pic_base64str"])) == (size, size)


async def test_604_errors(api: Api):
    path = "/sp/idcode/codepic/withmargin"
    base = {"code": "x", "is_margin": 1, "qrcode_size": 400, "color": 0}
    assert await api.code(path, {**base, "qrcode_size": 500}) == 10000
    assert await api.code(path, {**base, "is_margin": 2}) == 10000
    assert await api.code(path, {**base, "color": 3}) == 10000
    refused = await api.answer(path, {**base, "unit_icon": "AAAA"})
    assert (refused["result_code"], refused["result_msg"]) == (40005, "单位 logo 上传失败！")


@pytest.mark.parametrize(
    ("extra", "pixels"),
    [
        ({"margin_type": 0, "code_size": 3}, 354),
        ({"margin_type": 10, "category_id": 2, "code_size": 5}, 591),
        ({"margin_type": 20, "margin_type_lv2": 7, "code_size": 3, "code_color": "FF0000"}, 354),
        ({"margin_type": 20, "code_size": 3, "code_type": 3}, 354),
        ({"margin_type": 0, "code_size": 3, "use_logo": 1, "unit_logo": LOGO}, 354),
    ],
)
async def test_605_authentication_picture(api: Api, unit: str, extra, pixels):
    params = {"company_idcode": unit, "code": unit, "use_logo": 0, "code_type": 1, **extra}
    body = await api.ok("/sp/idcode/codepic/authen", params)
    assert png_size(base64.b64decode(body["code_pic_base64str"])) == (pixels, pixels)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"company_idcode": "i.86.0.404"}, 10003),
        ({"margin_type": 10}, 10000),  # category_id required
        ({"margin_type": 10, "category_id": 5}, 10000),
        ({"margin_type": 20, "margin_type_lv2": 8}, 10000),
        ({"margin_type": 30}, 10000),
        ({"code_size": 4}, 10000),
        ({"code_type": 6}, 10000),
        ({"code_color": "#000000"}, 10000),
        ({"use_logo": 1}, 40005),
        ({"unit_logo": "not-base64!"}, 40005),
    ],
)
async def test_605_errors(api: Api, unit: str, change, code):
    params = {
        "company_idcode": unit,
        "code": unit,
        "use_logo": 0,
        "margin_type": 0,
        "code_type": 1,
        "code_size": 3,
        **change,
    }
    assert await api.code("/sp/idcode/codepic/authen", params) == code


async def test_606_whitelist_approves_matching_registrations(api: Api, sandbox: Sandbox, unit: str):
    path = "/sp/idcode/category/gotourl/whitelist"
    await api.ok(path, {"gotourl": GOTOURL, "sample_url": SAMPLE_URL})
    reg_id, _ = await api.register_product(unit)
    review = {"company_idcode": unit, "type": 2, "category_reg_id": reg_id}
    assert (await api.ok("/sp/idcode/examinerecord", review, method="GET"))["examine_status"] == 1
    sandbox.advance_time(2)  # the whitelist entry is approved …
    reg2, _ = await api.register_product(unit, "A2")
    later = {**review, "category_reg_id": reg2}
    assert (await api.ok("/sp/idcode/examinerecord", later, method="GET"))["examine_status"] == 100
    assert await api.code(path, {"gotourl": "", "sample_url": SAMPLE_URL}) == 30001
    assert await api.code(path, {"gotourl": "x", "sample_url": SAMPLE_URL}) == 30002
    assert (
        await api.code(path, {"gotourl": GOTOURL, "sample_url": "http://other.example.org/"})
        == 30005
    )


async def test_608_unit_review(api: Api, sandbox: Sandbox, unit: str):
    path = "/sp/idcode/examinerecord"
    body = await api.ok(path, {"company_idcode": unit, "type": 1}, method="GET")
    assert body == {
        "examine_content": "北京示例科技有限公司",
        "examine_status": 1,
        "examine_remarks": "",
        "result_code": 1,
        "result_msg": "成功",
    }
    sandbox.advance_time(2)
    approved = await api.ok(path, {"company_idcode": unit, "type": 1}, method="GET")
    assert (approved["examine_status"], approved["examine_remarks"]) == (100, "审核通过")


async def test_608_rejection_and_errors(api: Api, sandbox: Sandbox):
    company = await api.register_unit("REJECT 示例公司", login_name="L-REJECT")
    path = "/sp/idcode/examinerecord"
    sandbox.advance_time(2)
    rejected = await api.ok(path, {"company_idcode": company, "type": 1}, method="GET")
    assert rejected["examine_status"] == -1
    assert (await api.ok("/sp/idcode/organunit/status", {"company_idcode": company}))[
        "is_audit"
    ] == -1
    assert await api.code(path, {"company_idcode": company, "type": 2}, method="GET") == 10000
    wrong = await api.answer(
        path, {"company_idcode": company, "type": 2, "category_reg_id": "7"}, method="GET"
    )
    assert (wrong["result_code"], wrong["result_msg"]) == (50003, "品类注册 ID 错误")
    assert await api.code(path, {"company_idcode": company, "type": 3}, method="GET") == 10000
    assert await api.code(path, {"company_idcode": "i.86.0.404", "type": 1}, method="GET") == 10003


async def test_701_authentication_picture(api: Api):
    body = await api.ok("/sp/idcode/authenpic", {"bgimage": 4, "ismarkname": 1}, method="GET")
    picture = await api.client.get(body["authen_pic_url"])
    assert picture.content.startswith(b"\x89PNG")
    assert png_size(picture.content) == (400, 160)
    assert await api.code("/sp/idcode/authenpic", {"bgimage": 10, "ismarkname": 1}) == 10000
    assert await api.code("/sp/idcode/authenpic", {"bgimage": 1, "ismarkname": 2}) == 10000
    assert (await api.client.get("/_sandbox/authenpic.png?bgimage=x")).status_code == 400
