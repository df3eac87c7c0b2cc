"""Section 九 (401–410): category registration by data and page interfaces, and queries."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from idcode_async.sandbox import Sandbox

from .helpers import GOTOURL, SAMPLE_URL, Api

CALLBACK = "https://sp.example.com/done?order=42&lang=zh"


def _item(**change: object) -> dict[str, object]:
    return {
        "industrycategory_id": 232324,
        "codeuse_id": 10,
        "category_code": "232324",
        "category_memo": "洗衣液",
        "code_pay_type": 2,
        "gotourl": GOTOURL,
        "sample_url": SAMPLE_URL,
        "model_number": "洗衣液 2kg",
        "model_number_code": "L2KG",
        **change,
    }


async def test_402_batch(api: Api, unit: str):
    body = await api.batch(
        unit, [_item(), _item(model_number="洗衣液 1kg", model_number_code="L1KG")]
    )
    assert body["result_code"] == 1
    listed = body["batch_regist_list"]
    assert [e["industrycategory_id"] for e in listed] == ["232324", "232324"]
    assert all(
        isinstance(e["category_reg_id"], str) and len(e["category_reg_id"]) == 20 for e in listed
    )
    found = await api.ok("/sp/idcode/idcodeinfo/search", {"company_idcode": unit})
    codes = [r["complete_code"] for r in found["base_idcode_list"]]
    assert codes == [f"{unit}/10.232324.L2KG/", f"{unit}/10.232324.L1KG/"]


@pytest.mark.parametrize(
    ("items", "code"),
    [
        ([_item(), _item(model_number="other")], 50001),  # same model number code in the batch
        ([_item(), _item(model_number_code="OTHER")], 50002),  # same category, model, type
        ([_item(gotourl="")], 30001),
        ([_item(gotourl="javascript:alert(1)")], 30002),
        ([_item(gotourl="http://a.example.com/{nope}")], 30002),
        ([_item(sample_url="http://elsewhere.example.org/")], 30005),
        ([_item(industrycategory_id=999)], 10000),
        ([_item(codeuse_id=20)], 10000),
        ([_item(category_code="101010")], 10000),
        ([_item(code_pay_type=3)], 10000),
        ([_item(model_number_code=None)], 10000),
        ([], 10000),
    ],
)
async def test_402_refusals_register_nothing(api: Api, unit: str, items, code):
    items = [{k: v for k, v in item.items() if v is not None} for item in items]
    body = await api.batch(unit, items)
    assert body["result_code"] == code
    found = await api.ok("/sp/idcode/idcodeinfo/search", {"company_idcode": unit})
    assert found["base_idcode_list"] == []


async def test_402_existing_registration_conflicts(api: Api, unit: str):
    assert (await api.batch(unit, [_item()]))["result_code"] == 1
    again = await api.batch(unit, [_item()])
    assert (again["result_code"], again["result_msg"]) == (50001, "存在相同的型号编码")
    assert (await api.batch("i.86.110105.404", [_item()]))["result_code"] == 10003


async def test_402_bad_json_and_token_placement(api: Api, unit: str):
    path = "/sp/idcode/category/batchregist"
    assert await api.code(path, {"json_str": "not json"}, token=None) == 10001
    body = await api.answer(
        path, {"json_str": '{"access_token":"J7X4LuOOfURXeAAEAAAAAABSK"}'}, token=None
    )
    assert body["result_code"] == 10000
    # a top-level access_token does not count: 402's key is inside json_str
    assert await api.code(path, {"json_str": "{}"}) == 10001


async def test_402_json_str_nested_past_the_parser_stack_is_refused_not_a_crash(api: Api):
    """A peer's ``json_str`` of 10,000 nested objects made ``json.loads`` raise
    ``RecursionError``, which the sandbox answered with HTTP 500."""
    deep = '{"a":' * 10_000 + "1" + "}" * 10_000
    path = "/sp/idcode/category/batchregist"
    assert await api.code(path, {"json_str": deep}, token=None) == 10001


async def test_403_409_query(api: Api, unit: str, product: tuple[str, str]):
    reg_id, code = product
    for path, refined in (
        ("/sp/idcode/idcodeinfo/base", False),
        ("/sp/idcode/idcodeinfo/base2", True),
    ):
        body = await api.ok(path, {"company_idcode": unit, "category_reg_id": reg_id})
        (info,) = body["base_idcode_list"]
        assert info["category_reg_id"] == int(reg_id)  # BigDecimal: a JSON number, all digits
        assert info["category_reg_idstr"] == reg_id
        assert isinstance(info["organunit_id"], int)
        assert info["organunit_idstr"] == str(info["organunit_id"])
        assert (info["codeuse_id"], info["category_code"], info["model_number_code"]) == (
            "10",
            "232324",
            "A1",
        )
        assert (info["code_pay_type"], info["complete_code"]) == (2, code)
        assert ("regist_type" in info) is refined
        assert refined is False or info["regist_type"] == 1
        by_category = await api.ok(path, {"company_idcode": unit, "idcode_of_category": "232324"})
        assert len(by_category["base_idcode_list"]) == 1
        none = await api.ok(path, {"company_idcode": unit, "model_number_code": "ZZ"})
        assert none["base_idcode_list"] == []
        assert await api.code(path, {"company_idcode": "i.86.1.404"}) == 10003


async def test_403_raw_json_keeps_twenty_digits(api: Api, unit: str, product: tuple[str, str]):
    reg_id, _ = product
    raw = (await api.send("/sp/idcode/idcodeinfo/base", {"company_idcode": unit})).text
    assert f'"category_reg_id":{reg_id},' in raw
    assert f'"category_reg_idstr":"{reg_id}"' in raw


async def test_404_410_search_types(api: Api, unit: str):
    await api.batch(
        unit, [_item(), _item(model_number="备案款", model_number_code="R1", code_pay_type=5)]
    )
    for path in ("/sp/idcode/idcodeinfo/search", "/sp/idcode/idcodeinfo/search2"):
        every = await api.ok(path, {"company_idcode": unit})
        assert len(every["base_idcode_list"]) == 2
        registered = await api.ok(path, {"company_idcode": unit, "search_type": 1})
        assert [r["code_pay_type"] for r in registered["base_idcode_list"]] == [2]
        recorded = await api.ok(path, {"company_idcode": unit, "search_type": 2})
        assert [r["code_pay_type"] for r in recorded["base_idcode_list"]] == [5]
        assert await api.code(path, {"company_idcode": unit, "search_type": 3}) == 10000
        assert await api.code(path, {"company_idcode": "i.86.1.404"}) == 10003
    refined = await api.ok(
        "/sp/idcode/idcodeinfo/search2", {"company_idcode": unit, "search_type": 2}
    )
    assert refined["base_idcode_list"][0]["regist_type"] == -1


async def test_406_product(api: Api, unit: str):
    reg_id, code = await api.register_product(unit, "P-100")
    assert code == f"{unit}/10.232324.P-100/"
    assert code.endswith("/")
    assert len(reg_id) == 20


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"model_number_code": "A1"}, 50001),
        ({"gotourl": ""}, 30001),
        ({"gotourl": "http//broken"}, 30002),
        ({"sample_url": "https://other.example.net/x"}, 30005),
        ({"codeuse_id": 20}, 10000),
        ({"model_number_code": "has space"}, 10000),
        ({"company_idcode": "i.86.110105.404"}, 10003),
    ],
)
async def test_406_errors(api: Api, unit: str, product, change, code):
    params = {
        "company_idcode": unit,
        "codeuse_id": 10,
        "industrycategory_id": 232324,
        "category_code": "232324",
        "model_number": "另一款",
        "model_number_code": "B2",
        "code_pay_type": 2,
        "gotourl": GOTOURL,
        "sample_url": SAMPLE_URL,
        **change,
    }
    assert await api.code("/sp/idcode/idcodeinfo/reg/product", params) == code


async def test_407_other(api: Api, unit: str):
    path = "/sp/idcode/idcodeinfo/reg/other"
    params = {
        "company_idcode": unit,
        "codeuse_id": 20,
        "industrycategory_id": 601010,
        "category_code": "601010",
        "model_number": "乘客电梯",
        "model_number_en": "Passenger lift",
        "introduction": "示例",
        "code_pay_type": 5,
        "gotourl": GOTOURL,
        "sample_url": SAMPLE_URL,
    }
    first = await api.ok(path, params)
    assert first["organunit_idcode"] == f"{unit}/20.601010.1/"
    second = await api.ok(path, {**params, "model_number": "载货电梯"})
    assert second["organunit_idcode"] == f"{unit}/20.601010.2/"
    again = await api.answer(path, params)
    assert (again["result_code"], again["result_msg"]) == (50002, "重复申请")
    assert await api.code(path, {**params, "codeuse_id": 10, "model_number": "x"}) == 10000
    assert await api.code(path, {**params, "model_number": "y", "gotourl": ""}) == 30001


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.inputs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.action = found["action"] or ""
        elif tag in ("input", "select"):
            self.inputs.append(found["name"] or "")


def _form(html: str) -> _Form:
    parser = _Form()
    parser.feed(html)
    return parser


@pytest.mark.parametrize(
    ("path", "method", "pay_type"),
    [
        ("/sp/idcode/category/apply", "GET", 2),
        ("/sp/idcode/category/record", "GET", 5),
        ("/sp/idcode/category/apply", "POST", 2),
    ],
)
async def test_401_408_pages_redirect_with_category_idcode(
    api: Api, unit: str, path, method, pay_type
):
    params = {
        "company_idcode": unit,
        "gotourl": GOTOURL,
        "sample_url": SAMPLE_URL,
        "callback_url": CALLBACK,
    }
    page = await api.send(path, params, method=method)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    form = _form(page.text)
    assert form.inputs == ["industrycategory_id", "model_number", "model_number_code"]
    submitted = await api.client.post(
        form.action,
        data={
            "industrycategory_id": "232324",
            "model_number": "页面款",
            "model_number_code": "WEB1",
        },
    )
    assert submitted.status_code == 303
    target = urlsplit(submitted.headers["location"])
    assert target.netloc == "sp.example.com"
    assert target.path == "/done"
    query = parse_qs(target.query)
    assert query["order"] == ["42"]
    assert query["lang"] == ["zh"]
    assert query["CategoryIDcode"] == [f"{unit}/10.232324.WEB1/"]
    found = await api.ok("/sp/idcode/idcodeinfo/search", {"company_idcode": unit})
    assert [r["code_pay_type"] for r in found["base_idcode_list"]] == [pay_type]
    again = await api.client.post(form.action, data={"model_number": "x"})
    assert again.status_code == 404  # a ticket is used once


async def test_page_form_errors_show_the_page_again(api: Api, unit: str, product):
    params = {
        "company_idcode": unit,
        "gotourl": GOTOURL,
        "sample_url": SAMPLE_URL,
        "callback_url": CALLBACK,
    }
    page = await api.send("/sp/idcode/category/apply", params)
    action = _form(page.text).action
    duplicate = {"industrycategory_id": "232324", "model_number": "x", "model_number_code": "A1"}
    shown = await api.client.post(action, data=duplicate)
    assert shown.status_code == 200
    assert "存在相同的型号编码" in shown.text
    fixed = await api.client.post(action, data={**duplicate, "model_number_code": "A2"})
    assert fixed.status_code == 303


async def test_405_product_page(api: Api, unit: str):
    params = {
        "company_idcode": unit,
        "industrycategory_id": 101010,
        "code_pay_type": 5,
        "gotourl": GOTOURL,
        "sample_url": SAMPLE_URL,
        "callback_url": "https://sp.example.com/cb",
    }
    page = await api.send("/sp/idcode/category/apply/product", params)
    form = _form(page.text)
    assert form.inputs == ["model_number", "model_number_code"]
    done = await api.client.post(
        form.action, data={"model_number": "牛奶", "model_number_code": "MILK"}
    )
    assert (
        done.headers["location"]
        == f"https://sp.example.com/cb?CategoryIDcode={unit}/10.101010.MILK/"
    )
    assert (
        await api.send("/sp/idcode/category/apply/product", params, method="GET")
    ).status_code == 405
    assert (
        await api.code(
            "/sp/idcode/category/apply/product", {**params, "industrycategory_id": 601010}
        )
        == 10000
    )


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"company_idcode": "i.86.110105.404"}, 10003),
        ({"gotourl": ""}, 30001),
        ({"gotourl": "nope"}, 30002),
        ({"sample_url": "http://other.example.org/"}, 30005),
        ({"callback_url": "/relative"}, 10000),
    ],
)
async def test_page_open_errors_are_json(api: Api, unit: str, change, code):
    params = {
        "company_idcode": unit,
        "gotourl": GOTOURL,
        "sample_url": SAMPLE_URL,
        "callback_url": CALLBACK,
        **change,
    }
    assert await api.code("/sp/idcode/category/record", params) == code


async def test_607_login_page(api: Api, unit: str):
    page = await api.send("/sp/idcode/idcodelogin", {"callback_url": CALLBACK}, method="GET")
    form = _form(page.text)
    assert form.inputs == ["login_name", "login_pswd"]
    wrong = await api.client.post(
        form.action, data={"login_name": "91110105MA01ABCD12", "login_pswd": "x"}
    )
    assert "用户名或密码错误" in wrong.text
    done = await api.client.post(
        form.action, data={"login_name": "91110105MA01ABCD12", "login_pswd": "ABCD12"}
    )
    assert done.status_code == 303
    assert parse_qs(urlsplit(done.headers["location"]).query)["company_idcode"] == [unit]
    assert await api.code("/sp/idcode/idcodelogin", {}) == 10000


async def test_pages_escape_what_they_show(api: Api, sandbox: Sandbox, unit: str):
    params = {
        "company_idcode": unit,
        "gotourl": "http://www.example.com/a?<b>=1",
        "sample_url": "http://www.example.com/",
        "callback_url": CALLBACK,
    }
    page = await api.send("/sp/idcode/category/apply", params)
    assert "<b>" not in page.text
    assert "&lt;b&gt;" in page.text
    assert re.search(r'action="http://sandbox\.local/_sandbox/pages/[\w-]+"', page.text)
