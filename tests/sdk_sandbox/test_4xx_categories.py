"""Section 九 through the SDK: category registration and record (401–410).

Data interfaces: 402 (batch, ``json_str``), 406 (product), 407 (other) and the read-backs
403/404/409/410.  Page interfaces 401, 405 and 408 are walked as a browser walks them: the SDK
builds the signed link or form, the browser opens the sandbox's page, fills in its form and is
redirected to ``callback_url`` with ``CategoryIDcode``, which ``parse_page_callback`` reads.
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from typing import Literal

import attrs
import httpx
import pytest

from idcode_async import (
    DuplicateError,
    IDCode,
    IdcodeClient,
    ResolveUrlError,
    UsageError,
    ValidationError,
    parse_page_callback,
)
from idcode_async.endpoints import (
    CategoryApplyPage,
    CategoryBatchRegist,
    CategoryRecordPage,
    ExamineRecord,
    IdcodeInfoBase,
    IdcodeInfoBase2,
    IdcodeInfoSearch,
    IdcodeInfoSearch2,
    OtherCategoryRegister,
    ProductCategoryApplyPage,
)
from idcode_async.sandbox import Sandbox

from ..integration.browser import Browser
from .helpers import (
    CALLBACK_URL,
    DEVICE_CATEGORY,
    GOTOURL,
    OTHER_HOST_SAMPLE,
    QUERY_URL,
    SAMPLE_URL,
    UNKNOWN_PLACEHOLDER_URL,
    Category,
    Unit,
    batch_item,
    other_spec,
    product_spec,
    requests_to,
)

# --- 406 and the read-backs 403 / 404 / 409 / 410 ----------------------------------------------


async def test_406_registers_and_403_404_409_410_show_it(
    client: IdcodeClient, unit: Unit, category: Category
) -> None:
    """406 answers the category code (ending in "/") and its 20-digit registration ID."""
    assert category.code == f"{unit.idcode}/10.232324.A1/"
    assert len(category.reg_id) == 20
    assert category.reg_id.isdigit()

    by_model = await client.call(IdcodeInfoBase(company_idcode=unit.idcode, model_number_code="A1"))
    (row,) = by_model.base_idcode_list
    assert (row.category_reg_id, row.category_reg_idstr) == (category.reg_id, category.reg_id)
    assert (row.complete_code, row.model_number, row.code_pay_type) == (
        category.code,
        "洗衣液 A1",
        2,
    )
    assert (row.codeuse_id, row.category_code) == ("10", "232324")

    by_category = await client.call(
        IdcodeInfoBase(company_idcode=unit.idcode, idcode_of_category=category.catalog_code)
    )
    by_id = await client.call(
        IdcodeInfoBase(company_idcode=unit.idcode, category_reg_id=category.reg_id)
    )
    assert by_category.base_idcode_list == by_id.base_idcode_list == [row]
    nothing = await client.call(IdcodeInfoBase(company_idcode=unit.idcode, model_number_code="ZZ"))
    assert nothing.base_idcode_list == []

    registered = await client.call(IdcodeInfoSearch(company_idcode=unit.idcode, search_type=1))
    recorded = await client.call(IdcodeInfoSearch(company_idcode=unit.idcode, search_type=2))
    assert (registered.base_idcode_list, recorded.base_idcode_list) == ([row], [])

    (refined,) = (
        await client.call(
            IdcodeInfoBase2(company_idcode=unit.idcode, category_reg_id=category.reg_id)
        )
    ).base_idcode_list
    assert (refined.regist_type, refined.complete_code) == (1, category.code)
    (listed,) = (await client.call(IdcodeInfoSearch2(company_idcode=unit.idcode))).base_idcode_list
    assert listed == refined


async def test_406_a_recorded_category_is_search_type_2_and_regist_type_minus_1(
    client: IdcodeClient, unit: Unit
) -> None:
    """code_pay_type "5" records (备案): 404 search_type 2, 409/410 regist_type -1."""
    answer = await client.call(product_spec(unit.idcode, "R1", code_pay_type="5"))
    recorded = await client.call(IdcodeInfoSearch(company_idcode=unit.idcode, search_type=2))
    assert [r.category_reg_id for r in recorded.base_idcode_list] == [answer.category_reg_id]
    (refined,) = (
        await client.call(IdcodeInfoSearch2(company_idcode=unit.idcode, search_type=2))
    ).base_idcode_list
    assert (refined.regist_type, refined.code_pay_type) == (-1, 5)


async def test_406_an_existing_model_number_code_is_50001(
    client: IdcodeClient, unit: Unit, category: Category
) -> None:
    """50001 存在相同的型号编码, whatever the model name."""
    with pytest.raises(DuplicateError) as caught:
        await client.call(product_spec(unit.idcode, "A1", model_number="另一个名字"))
    assert (caught.value.code, caught.value.endpoint) == (50001, 406)
    assert caught.value.message == "存在相同的型号编码"


async def test_406_a_sample_url_off_the_resolve_urls_host_is_30005(
    client: IdcodeClient, unit: Unit
) -> None:
    """406: 30005 示例地址与解析地址不匹配 when a scan of ``gotourl`` cannot land there."""
    with pytest.raises(ResolveUrlError) as caught:
        await client.call(product_spec(unit.idcode, "S1", sample_url=OTHER_HOST_SAMPLE))
    assert (caught.value.code, caught.value.endpoint) == (30005, 406)


async def test_406_an_undefined_placeholder_is_30002(client: IdcodeClient, unit: Unit) -> None:
    """The SDK accepts any absolute URL (templates allowed); the centre knows four names."""
    with pytest.raises(ResolveUrlError) as caught:
        await client.call(product_spec(unit.idcode, "P2", gotourl=UNKNOWN_PLACEHOLDER_URL))
    assert (caught.value.code, caught.value.endpoint) == (30002, 406)


async def test_406_an_empty_resolve_url_is_refused_before_sending(sandbox: Sandbox) -> None:
    """30001 解析地址不能为空 cannot reach the centre: the SDK refuses a blank ``gotourl``."""
    with pytest.raises(ValidationError) as caught:
        product_spec("i.86.110105.1", gotourl="  ")
    assert (caught.value.parameter, caught.value.endpoint) == ("gotourl", 406)
    assert requests_to(sandbox, 406) == 0


# --- 407 ----------------------------------------------------------------------------------------


async def test_407_registers_a_non_product_category_numbered_by_the_centre(
    client: IdcodeClient, unit: Unit
) -> None:
    """407: a lift (code use 20); without a model number code the centre numbers it (…/1/)."""
    answer = await client.call(other_spec(unit.idcode, model_number_en="Passenger lift"))
    assert answer.organunit_idcode == f"{unit.idcode}/20.601010.1/"
    (row,) = (
        await client.call(
            IdcodeInfoBase(company_idcode=unit.idcode, category_reg_id=answer.category_reg_id or "")
        )
    ).base_idcode_list
    assert (row.codeuse_id, row.category_code, row.model_number_code) == (
        "20",
        str(DEVICE_CATEGORY),
        "",
    )
    assert row.model_number_en == "Passenger lift"


async def test_407_the_same_application_twice_is_50002(client: IdcodeClient, unit: Unit) -> None:
    """50002 重复申请: same category, name and application type."""
    await client.call(other_spec(unit.idcode))
    with pytest.raises(DuplicateError) as caught:
        await client.call(other_spec(unit.idcode))
    assert (caught.value.code, caught.value.endpoint) == (50002, 407)


async def test_407_refuses_the_product_use_before_sending(sandbox: Sandbox) -> None:
    """Products go through 406: ``codeuse_id`` "10" is refused here."""
    with pytest.raises(ValidationError) as caught:
        OtherCategoryRegister(
            company_idcode="i.86.110105.1",
            codeuse_id="10",
            industrycategory_id=232324,
            category_code="232324",
            model_number="x",
            code_pay_type=2,
            gotourl=GOTOURL,
            sample_url=SAMPLE_URL,
        )
    assert (caught.value.parameter, caught.value.endpoint) == ("codeuse_id", 407)
    assert requests_to(sandbox, 407) == 0


# --- 402 ----------------------------------------------------------------------------------------


async def test_402_registers_a_batch_in_json_str(client: IdcodeClient, unit: Unit) -> None:
    """402's parameters (and the key) travel inside ``json_str``; each item gets its ID."""
    answer = await client.call(
        CategoryBatchRegist(
            company_idcode=unit.idcode,
            category_reg_list=[batch_item("B-350"), batch_item("B-750", code_pay_type=5)],
        )
    )
    assert [row.industrycategory_id for row in answer.batch_regist_list] == ["232324", "232324"]
    ids = [row.category_reg_id or "" for row in answer.batch_regist_list]
    assert len(set(ids)) == 2
    assert all(len(i) == 20 for i in ids)
    rows = (await client.call(IdcodeInfoSearch(company_idcode=unit.idcode))).base_idcode_list
    assert {(r.category_reg_id, r.model_number_code, r.code_pay_type) for r in rows} == {
        (ids[0], "B-350", 2),
        (ids[1], "B-750", 5),
    }


async def test_402_json_str_carries_a_resolve_url_with_its_own_query(
    client: IdcodeClient, unit: Unit
) -> None:
    """Seed §十四 inside ``json_str``: 608 type 2 reviews exactly the URL that was sent."""
    item = attrs.evolve(batch_item("Q1"), gotourl=QUERY_URL, category_memo="备注 & 说明")
    answer = await client.call(
        CategoryBatchRegist(company_idcode=unit.idcode, category_reg_list=[item])
    )
    (row,) = answer.batch_regist_list
    review = await client.call(
        ExamineRecord(company_idcode=unit.idcode, type=2, category_reg_id=row.category_reg_id)
    )
    assert review.examine_content == QUERY_URL
    (stored,) = (
        await client.call(IdcodeInfoBase(company_idcode=unit.idcode, model_number_code="Q1"))
    ).base_idcode_list
    assert stored.category_memo == "备注 & 说明"


async def test_402_is_refused_whole_when_one_item_exists_50001(
    client: IdcodeClient, unit: Unit, category: Category
) -> None:
    """402 with one new and one existing model number code: 50001, and nothing registered."""
    with pytest.raises(DuplicateError) as caught:
        await client.call(
            CategoryBatchRegist(
                company_idcode=unit.idcode,
                category_reg_list=[batch_item("NEW1"), batch_item(category.model_number_code)],
            )
        )
    assert (caught.value.code, caught.value.endpoint) == (50001, 402)
    rows = (await client.call(IdcodeInfoSearch(company_idcode=unit.idcode))).base_idcode_list
    assert [r.category_reg_id for r in rows] == [category.reg_id]


async def test_402_an_empty_batch_is_refused_before_sending(sandbox: Sandbox) -> None:
    """402 needs at least one item in ``category_reg_list``; nothing is sent."""
    with pytest.raises(ValidationError) as caught:
        CategoryBatchRegist(company_idcode="i.86.110105.1", category_reg_list=[])
    assert (caught.value.parameter, caught.value.endpoint) == ("category_reg_list", 402)
    assert requests_to(sandbox, 402) == 0


# --- the page interfaces 401 / 405 / 408 --------------------------------------------------------


@pytest.fixture
async def browser(sandbox: Sandbox) -> AsyncIterator[Browser]:
    """A browser that reaches the sandbox only (``callback_url`` is read, never fetched)."""
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        yield Browser(http)


def auto_submitting_page(form_method: str, action: str, fields: dict[str, str]) -> httpx.Response:
    """What the SP's site serves for 405: ``client.page_form`` rendered as hidden inputs."""
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in fields.items()
    )
    body = (
        f'<!DOCTYPE html><html><body onload="document.forms[0].submit()">'
        f'<form method="{form_method.lower()}" action="{html.escape(action)}">{inputs}'
        f"<noscript><button>继续</button></noscript></form></body></html>"
    )
    return httpx.Response(
        200, html=body, request=httpx.Request("GET", "http://sp.example.com/idcode/apply")
    )


def callback_code(response: httpx.Response) -> IDCode:
    """The redirect to ``callback_url``: the SP's own query kept, ``CategoryIDcode`` added."""
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(CALLBACK_URL + "&CategoryIDcode=")
    return parse_page_callback(location)


@pytest.mark.parametrize(
    ("page_type", "code_pay_type", "search_type", "regist_type"),
    [(CategoryApplyPage, 2, 1, 1), (CategoryRecordPage, 5, 2, -1)],
    ids=["401-register", "408-record"],
)
async def test_401_408_page_link_form_and_callback(
    sandbox: Sandbox,
    client: IdcodeClient,
    unit: Unit,
    browser: Browser,
    page_type: type[CategoryApplyPage] | type[CategoryRecordPage],
    code_pay_type: int,
    search_type: Literal[1, 2],
    regist_type: int,
) -> None:
    """401 registers, 408 records: a signed GET link, the centre's form, the callback."""
    url = client.page_url(
        page_type(
            company_idcode=unit.idcode,
            gotourl=GOTOURL,
            sample_url=SAMPLE_URL,
            callback_url=CALLBACK_URL,
        )
    )
    page = await browser.get(url)
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert page.request.method == "GET"
    done = await browser.submit(
        page,
        {
            "industrycategory_id": "232324",
            "model_number": "洗衣液 页面",
            "model_number_code": "PG1",
        },
    )
    code = callback_code(done)
    assert str(code) == f"{unit.idcode}/10.232324.PG1"

    (row,) = (
        await client.call(
            IdcodeInfoBase(company_idcode=unit.idcode, idcode_of_category=code.catalog_code or "")
        )
    ).base_idcode_list
    assert (row.complete_code, row.code_pay_type, row.model_number) == (
        f"{code}/",
        code_pay_type,
        "洗衣液 页面",
    )
    listed = await client.call(
        IdcodeInfoSearch2(company_idcode=unit.idcode, search_type=search_type)
    )
    assert [(r.complete_code, r.regist_type) for r in listed.base_idcode_list] == [
        (f"{code}/", regist_type)
    ]
    assert requests_to(sandbox, page_type.number) == 1


async def test_405_page_form_posted_by_the_browser(
    sandbox: Sandbox, client: IdcodeClient, unit: Unit, browser: Browser
) -> None:
    """405 is POST only: the SP renders ``page_form`` as an auto-submitting form."""
    spec = ProductCategoryApplyPage(
        company_idcode=unit.idcode,
        industrycategory_id="232324",
        code_pay_type="5",
        gotourl=GOTOURL,
        sample_url=SAMPLE_URL,
        callback_url=CALLBACK_URL,
    )
    with pytest.raises(UsageError):
        client.page_url(spec)
    form = client.page_form(spec)
    assert form.method == "POST"

    page = await browser.submit(auto_submitting_page(form.method, form.action, form.fields), {})
    assert page.request.method == "POST"
    assert page.status_code == 200, page.text
    done = await browser.submit(page, {"model_number": "洗衣液 备案", "model_number_code": "F405"})
    code = callback_code(done)
    assert str(code) == f"{unit.idcode}/10.232324.F405"

    (row,) = (
        await client.call(IdcodeInfoBase2(company_idcode=unit.idcode, model_number_code="F405"))
    ).base_idcode_list
    assert (row.complete_code, row.code_pay_type, row.regist_type) == (f"{code}/", 5, -1)
    assert requests_to(sandbox, 405) == 1


async def test_page_interfaces_are_not_data_calls(client: IdcodeClient, unit: Unit) -> None:
    """401 is a page: ``client.call`` refuses it (UsageError) instead of decoding HTML."""
    spec = CategoryApplyPage(
        company_idcode=unit.idcode,
        gotourl=GOTOURL,
        sample_url=SAMPLE_URL,
        callback_url=CALLBACK_URL,
    )
    with pytest.raises(UsageError):
        await client.call(spec)


async def test_401_a_refused_page_answers_the_documented_json(
    client: IdcodeClient, unit: Unit, browser: Browser
) -> None:
    """Opening the page is a signed request like any other: 30005 comes back as JSON."""
    url = client.page_url(
        CategoryApplyPage(
            company_idcode=unit.idcode,
            gotourl=GOTOURL,
            sample_url=OTHER_HOST_SAMPLE,
            callback_url=CALLBACK_URL,
        )
    )
    answer = await browser.get(url)
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["result_code"] == 30005
