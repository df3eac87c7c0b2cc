"""``PageForm.html()``: escaped for hostile values, posted to the sandbox's 405 page; and
``client.call`` on a page interface naming the call that opens it.

The rendered page is read back with the standard library's HTML parser (:mod:`.browser`),
independent of how it was written; the sandbox verifies the signature of what it receives.
"""

from __future__ import annotations

from html.parser import HTMLParser

import httpx
import pytest

from idcode_async import IdcodeClient, PageForm, UsageError
from idcode_async.endpoints import CategoryApplyPage, CategoryRecordPage, ProductCategoryApplyPage
from idcode_async.endpoints.pictures_misc import LoginPage
from idcode_async.sandbox import Sandbox

from .browser import Browser, parse_form
from .flows import LAUNDRY_DETERGENT

HOSTILE = [
    '"><script>alert(1)</script>',
    "' onmouseover='x",
    "a&amp;b & c&lt;",
    "</form><form action=http://evil.example>",
    "中文 \u00a0 <!-- -->",
]
GOTOURL = "http://www.example.com/scan.aspx?id=1"
SAMPLE_URL = "http://www.example.com/scan.aspx?id=1&code=x"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def _tags(page: str) -> list[str]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_stay_inside_their_attribute(value: str) -> None:
    form = PageForm("POST", f"http://centre.test/page?x={value}", {"f": value, value: "v"})
    page = form.html(nonce=value)
    parsed = parse_form(page)
    assert parsed.action == form.action
    assert parsed.method == "POST"
    assert [(c.name, c.value) for c in parsed.controls if c.type == "hidden"] == [
        ("f", value),
        (value, "v"),
    ]
    assert _tags(page).count("script") == 1
    assert _tags(page).count("form") == 1


async def test_the_405_page_posts_itself_to_the_sandbox_with_hostile_values(
    sandbox: Sandbox, centre: IdcodeClient, unit: str
) -> None:
    spec = ProductCategoryApplyPage(
        company_idcode=unit,
        industrycategory_id=LAUNDRY_DETERGENT,
        code_pay_type="5",
        gotourl=GOTOURL + "&q=\"'><script>alert(1)</script>",
        sample_url=SAMPLE_URL,
        callback_url="http://sp.test/cb?x=a&amp;b&c=&lt;",
    )
    served = httpx.Response(
        200,
        html=centre.page_form(spec).html(),
        request=httpx.Request("GET", "http://sp.test/apply"),
    )
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        page = await Browser(http).submit(served, {})
    assert page.status_code == 200, page.text
    assert "text/html" in page.headers["content-type"]
    assert sandbox.stats()["signature_failures"] == 0


async def test_call_on_405_points_to_page_form_html(centre: IdcodeClient, unit: str) -> None:
    spec = ProductCategoryApplyPage(
        company_idcode=unit,
        industrycategory_id=LAUNDRY_DETERGENT,
        code_pay_type="5",
        gotourl=GOTOURL,
        sample_url=SAMPLE_URL,
        callback_url="http://sp.test/cb",
    )
    with pytest.raises(UsageError, match=r"page_form\(spec\)\.html\(\)") as refused:
        await centre.call(spec)
    assert "page_url" not in str(refused.value)
    with pytest.raises(UsageError, match=r"page_form\(spec\)\.html\(\)"):
        centre.page_url(spec)


@pytest.mark.parametrize("page", ["401", "408", "607"])
async def test_call_on_a_get_page_points_to_page_url(
    centre: IdcodeClient, unit: str, page: str
) -> None:
    spec = {
        "401": CategoryApplyPage(
            company_idcode=unit, gotourl=GOTOURL, sample_url=SAMPLE_URL, callback_url="http://x.y"
        ),
        "408": CategoryRecordPage(
            company_idcode=unit, gotourl=GOTOURL, sample_url=SAMPLE_URL, callback_url="http://x.y"
        ),
        "607": LoginPage(callback_url="http://x.y"),
    }[page]
    with pytest.raises(UsageError, match=r"page_url\(spec\)"):
        await centre.call(spec)
