"""Sections 十一 and 十二 through the SDK: code pictures (603–605, 701), login (601, 607),
resolve URLs (602, 606) and review records (608).

Pictures are checked as pictures: 603/701 addresses are fetched from the sandbox and must be
PNGs; 604/605 base64 strings must decode to PNGs of the documented size and colour.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import httpx
import pytest

from idcode_async import (
    FileError,
    IdcodeClient,
    NotFoundError,
    ResolveUrlError,
    RetryPolicy,
    ValidationError,
)
from idcode_async.endpoints import (
    AuthenPic,
    CategoryGotoUrl,
    CodePic,
    CodePicAuthen,
    CodePicWithMargin,
    CompanyInfoBase,
    ExamineRecord,
    GotoUrlWhitelist,
    LoginPage,
    LoginVerify,
)
from idcode_async.sandbox import Sandbox

from ..integration.browser import Browser
from .helpers import (
    GOTOURL,
    OTHER_HOST_SAMPLE,
    PNG_1PX,
    PNG_SIGNATURE,
    UNIT_NAME,
    UNKNOWN_PLACEHOLDER_URL,
    UNKNOWN_REG_ID,
    Category,
    Unit,
    png_dimensions,
    png_palette,
    product_spec,
    requests_to,
)

IDCODE_BLUE = (0, 82, 165)
"""The sandbox's colour for colour pictures (604 ``color`` 0)."""
BLACK = (0, 0, 0)


@pytest.fixture
async def browser(sandbox: Sandbox) -> AsyncIterator[Browser]:
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        yield Browser(http)


# --- 601 / 607: a unit's login ------------------------------------------------------------------


async def test_601_answers_the_same_record_as_306(client: IdcodeClient, unit: Unit) -> None:
    """601 checks the login and answers the unit's record, field for field as 306."""
    login = await client.call(LoginVerify(login_name=unit.login_name, login_pswd=unit.password))
    info = await client.call(CompanyInfoBase(company_idcode=unit.idcode))
    assert login == info
    assert (login.organunit_oid, login.organunit_name) == (unit.idcode, UNIT_NAME)


async def test_607_login_page_returns_the_unit_to_the_callback(
    sandbox: Sandbox, client: IdcodeClient, unit: Unit, browser: Browser
) -> None:
    """607's result is the unit, not a category: the sandbox appends ``company_idcode``."""
    url = client.page_url(LoginPage(callback_url="http://sp.example.com/login/done"))
    page = await browser.get(url)
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]

    refused = await browser.submit(page, {"login_name": unit.login_name, "login_pswd": "wrong!"})
    assert refused.status_code == 200
    assert "用户名或密码错误" in refused.text

    done = await browser.submit(
        refused, {"login_name": unit.login_name, "login_pswd": unit.password}
    )
    assert done.status_code == 303
    location = httpx.URL(done.headers["location"])
    assert str(location.copy_with(query=None)) == "http://sp.example.com/login/done"
    company = location.params["company_idcode"]
    assert company == unit.idcode
    assert (await client.call(CompanyInfoBase(company_idcode=company))).organunit_name == UNIT_NAME
    assert requests_to(sandbox, 607) == 1


# --- 602 / 606 / 608: resolve URLs and their review ---------------------------------------------


async def test_602_changes_a_resolve_url_and_608_reviews_it_again(
    sandbox: Sandbox, client: IdcodeClient, unit: Unit, category: Category
) -> None:
    """602 changes a registration's resolve URL; 608 type 2 shows the new URL under review."""
    review = ExamineRecord(company_idcode=unit.idcode, type=2, category_reg_id=category.reg_id)
    sandbox.advance_time(2)
    before = await client.call(review)
    assert (before.examine_content, before.examine_status) == (GOTOURL, 100)
    assert before.examine_remarks == "审核通过"

    new_url = "http://www.example.com/v2/{userCode}.html"
    answer = await client.call(
        CategoryGotoUrl(
            company_idcode=unit.idcode,
            gotourl=new_url,
            sample_url="http://www.example.com/v2/1.html",
            reg_id=category.reg_id,
        )
    )
    assert answer.result_code == 1
    after = await client.call(review)
    assert (after.examine_content, after.examine_status) == (new_url, 1)
    sandbox.advance_time(2)
    assert (await client.call(review)).examine_status == 100


async def test_602_an_unknown_registration_is_50003(client: IdcodeClient, unit: Unit) -> None:
    """602: ``reg_id`` must be one of the unit's registrations: 50003 品类注册 ID 错误."""
    with pytest.raises(NotFoundError) as caught:
        await client.call(
            CategoryGotoUrl(company_idcode=unit.idcode, gotourl=GOTOURL, reg_id=UNKNOWN_REG_ID)
        )
    assert (caught.value.code, caught.value.endpoint) == (50003, 602)


@pytest.mark.parametrize(
    ("gotourl", "sample_url", "code"),
    [(UNKNOWN_PLACEHOLDER_URL, None, 30002), (GOTOURL, OTHER_HOST_SAMPLE, 30005)],
    ids=["30002-malformed", "30005-mismatch"],
)
async def test_602_resolve_url_errors(
    client: IdcodeClient,
    unit: Unit,
    category: Category,
    gotourl: str,
    sample_url: str | None,
    code: int,
) -> None:
    """602: 30002 for an undefined placeholder (the SDK lets it through), 30005 for a mismatch."""
    with pytest.raises(ResolveUrlError) as caught:
        await client.call(
            CategoryGotoUrl(
                company_idcode=unit.idcode,
                gotourl=gotourl,
                sample_url=sample_url,
                reg_id=category.reg_id,
            )
        )
    assert (caught.value.code, caught.value.endpoint) == (code, 602)


async def test_606_a_whitelisted_url_is_approved_at_once_for_later_registrations(
    sandbox: Sandbox, client: IdcodeClient, unit: Unit
) -> None:
    """606: once the whitelist request is approved, registrations with that URL skip review
    (608 type 2 answers 100 at once)."""
    whitelisted = "https://trusted.example.com/p?id="
    answer = await client.call(
        GotoUrlWhitelist(gotourl=whitelisted, sample_url="https://trusted.example.com/p?id=1")
    )
    assert answer.result_code == 1
    sandbox.advance_time(2)  # the whitelist request itself is reviewed
    registered = await client.call(
        product_spec(
            unit.idcode, "W1", gotourl=whitelisted, sample_url="https://trusted.example.com/p?id=2"
        )
    )
    review = await client.call(
        ExamineRecord(
            company_idcode=unit.idcode, type=2, category_reg_id=registered.category_reg_id
        )
    )
    assert (review.examine_content, review.examine_status) == (whitelisted, 100)


@pytest.mark.parametrize(
    ("gotourl", "sample_url", "code"),
    [
        (UNKNOWN_PLACEHOLDER_URL, "http://www.example.com/scan.aspx?id=1", 30002),
        (GOTOURL, OTHER_HOST_SAMPLE, 30005),
    ],
    ids=["30002-malformed", "30005-mismatch"],
)
async def test_606_resolve_url_errors(
    client: IdcodeClient, gotourl: str, sample_url: str, code: int
) -> None:
    """606 documents 30002 (malformed resolve URL) and 30005 (sample does not match)."""
    with pytest.raises(ResolveUrlError) as caught:
        await client.call(GotoUrlWhitelist(gotourl=gotourl, sample_url=sample_url))
    assert (caught.value.code, caught.value.endpoint) == (code, 606)


async def test_608_unit_review_record_is_sent_as_get(sandbox: Sandbox, unit: Unit) -> None:
    """608 is documented "Web Http Get" only: the parameters travel in the query string."""
    sent: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request)

    async with sandbox.client(
        retry=RetryPolicy(max_retries=0), event_hooks={"request": [record]}
    ) as client:
        pending = await client.call(ExamineRecord(company_idcode=unit.idcode, type=1))
        sandbox.advance_time(2)
        approved = await client.call(ExamineRecord(company_idcode=unit.idcode, type=1))
    assert (pending.examine_content, pending.examine_status) == (UNIT_NAME, 1)
    assert (approved.examine_status, approved.examine_remarks) == (100, "审核通过")
    assert [r.method for r in sent] == ["GET", "GET"]
    assert sent[0].url.params["company_idcode"] == unit.idcode
    assert sent[0].content == b""


async def test_608_type_2_of_an_unknown_registration_is_50003(
    client: IdcodeClient, unit: Unit
) -> None:
    """608 type 2 with a registration the unit does not have: 50003."""
    with pytest.raises(NotFoundError) as caught:
        await client.call(
            ExamineRecord(company_idcode=unit.idcode, type=2, category_reg_id=UNKNOWN_REG_ID)
        )
    assert (caught.value.code, caught.value.endpoint) == (50003, 608)


async def test_608_type_2_without_a_registration_is_refused_before_sending(
    sandbox: Sandbox,
) -> None:
    """608: ``category_reg_id`` is required when ``type`` is 2; nothing is sent."""
    with pytest.raises(ValidationError) as caught:
        ExamineRecord(company_idcode="i.86.110105.1", type=2)
    assert (caught.value.parameter, caught.value.endpoint) == ("category_reg_id", 608)
    assert requests_to(sandbox, 608) == 0


# --- 603 / 604 / 605 / 701: pictures ------------------------------------------------------------


async def test_603_the_picture_address_serves_a_png(
    sandbox: Sandbox, client: IdcodeClient, category: Category
) -> None:
    """603: the answered address serves a PNG of ``pic_size`` pixels from the sandbox."""
    answer = await client.call(CodePic(code=f"{category.code}1", pic_size=300))
    assert answer.result_msg == "生成成功"
    assert answer.code_pic_address
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        picture = await http.get(answer.code_pic_address)
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/png"
    assert png_dimensions(picture.content) == (300, 300)


@pytest.mark.parametrize(
    ("is_margin", "size", "color", "dark"),
    [(1, 400, 0, IDCODE_BLUE), (1, 800, 1, BLACK), (0, 250, 1, BLACK)],
    ids=["framed-400-colour", "framed-800-black", "plain-250-black"],
)
async def test_604_returns_the_picture_as_base64(
    client: IdcodeClient,
    category: Category,
    is_margin: int,
    size: int,
    color: int,
    dark: tuple[int, int, int],
) -> None:
    """604: ``code`` is code content; ``color`` 0 colour, 1 black (the reverse of 306)."""
    answer = await client.call(
        CodePicWithMargin(
            code=f"http://stest.idcode.org.cn/?code={category.code}1",
            is_margin=is_margin,  # type: ignore[arg-type]
            qrcode_size=size,
            color=color,  # type: ignore[arg-type]
        )
    )
    image = answer.image_bytes()
    assert image is not None
    assert image.startswith(PNG_SIGNATURE)
    assert png_dimensions(image) == (size, size)
    assert dark in png_palette(image)
    assert (IDCODE_BLUE in png_palette(image)) is (color == 0)


async def test_604_a_logo_that_is_not_an_image_is_40005(client: IdcodeClient) -> None:
    """604: a ``unit_icon`` that is base64 but not an image is 40005 (604's wording)."""
    with pytest.raises(FileError) as caught:
        await client.call(
            CodePicWithMargin(
                code="http://stest.idcode.org.cn/?code=i.86.110105.1",
                is_margin=0,
                qrcode_size=300,
                color=0,
                unit_icon=base64.b64encode(b"plain text").decode(),
            )
        )
    assert (caught.value.code, caught.value.endpoint) == (40005, 604)
    assert caught.value.message == "单位 logo 上传失败！"


async def test_604_a_framed_size_other_than_400_600_800_is_refused_before_sending(
    sandbox: Sandbox,
) -> None:
    """604: with ``is_margin=1`` only 400, 600 or 800 pixels; nothing is sent."""
    with pytest.raises(ValidationError) as caught:
        CodePicWithMargin(
            code="http://stest.idcode.org.cn/?code=x", is_margin=1, qrcode_size=500, color=0
        )
    assert (caught.value.parameter, caught.value.endpoint) == ("qrcode_size", 604)
    assert requests_to(sandbox, 604) == 0


@pytest.mark.parametrize(
    ("frame", "code_size", "pixels"),
    [
        ({"margin_type": 0}, 3, 354),
        ({"margin_type": 10, "category_id": 1}, 5, 591),
        ({"margin_type": 20, "margin_type_lv2": 7}, 10, 1181),
    ],
    ids=["no-frame-3cm", "round-frame-5cm", "square-frame-10cm"],
)
async def test_605_returns_a_certification_picture(
    client: IdcodeClient, unit: Unit, frame: dict[str, int], code_size: int, pixels: int
) -> None:
    """605: ``code_size`` in centimetres (at 300 dpi here); ``code_color`` for QR only."""
    answer = await client.call(
        CodePicAuthen(
            company_idcode=unit.idcode,
            code=f"{unit.idcode}/10.232324.A1/1",
            use_logo=1,
            unit_logo=base64.b64encode(PNG_1PX).decode(),
            code_type=1,
            code_size=code_size,  # type: ignore[arg-type]
            code_color="C80000",
            **frame,  # type: ignore[arg-type]
        )
    )
    image = answer.image_bytes()
    assert image is not None
    assert png_dimensions(image) == (pixels, pixels)
    assert (200, 0, 0) in png_palette(image)


async def test_605_a_logo_asked_for_but_missing_is_40005(client: IdcodeClient, unit: Unit) -> None:
    """605 ``use_logo=1`` without a logo given or stored: 40005."""
    with pytest.raises(FileError) as caught:
        await client.call(
            CodePicAuthen(
                company_idcode=unit.idcode,
                code=f"{unit.idcode}/10.232324.A1/1",
                use_logo=1,
                margin_type=0,
                code_type=1,
                code_size=3,
            )
        )
    assert (caught.value.code, caught.value.endpoint) == (40005, 605)


async def test_605_documented_rules_are_checked_before_sending(sandbox: Sandbox) -> None:
    """Round frames need ``category_id``; ``code_color`` applies to QR codes only."""
    common = {"company_idcode": "i.86.110105.1", "code": "x", "use_logo": 0, "code_size": 3}
    with pytest.raises(ValidationError) as round_frame:
        CodePicAuthen(margin_type=10, code_type=1, **common)  # type: ignore[arg-type]
    assert round_frame.value.parameter == "category_id"
    with pytest.raises(ValidationError) as colour:
        CodePicAuthen(margin_type=0, code_type=3, code_color="FF0000", **common)  # type: ignore[arg-type]
    assert colour.value.parameter == "code_color"
    assert requests_to(sandbox, 605) == 0


async def test_701_the_certification_picture_url_serves_a_png(
    sandbox: Sandbox, client: IdcodeClient
) -> None:
    """701: the answered URL serves the certification picture (a PNG) from the sandbox."""
    answer = await client.call(AuthenPic(bgimage=3, ismarkname=1))
    assert answer.authen_pic_url
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        picture = await http.get(answer.authen_pic_url)
    assert picture.status_code == 200
    assert picture.content.startswith(PNG_SIGNATURE)
    assert png_dimensions(picture.content) == (400, 160)
