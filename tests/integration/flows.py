"""Steps and golden values shared by the example tests: the 401 page flow, §十三 landings.

The page flow is walked exactly as an operator's browser walks it (see :mod:`.browser`):
the example app redirects to the centre's 401 page (the sandbox), the operator fills in its
form, the sandbox redirects to the app's callback with ``CategoryIDcode`` appended.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from idcode_async import IDCode, IdcodeClient
from idcode_async.endpoints import IdcodeInfoBase, UnitRegist
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE

from ..wire import document_hash
from .browser import Browser

__all__ = [
    "BAD_CALLBACKS",
    "BAD_LANDINGS",
    "GOLDEN_LANDINGS",
    "LAUNDRY_DETERGENT",
    "MODEL_CODE",
    "MODEL_NAME",
    "PageFlow",
    "assert_no_secret",
    "assert_signed_401",
    "centre_registration",
    "no_network",
    "register_unit",
    "walk_apply_page",
]

LAUNDRY_DETERGENT: Final = "232324"
"""洗衣液, a product category (use 10) of the sandbox: with model code 11 it gives the
catalog code of the document's example, ``10.232324.11`` (seed §十一, §十三)."""
MODEL_CODE: Final = "11"
MODEL_NAME: Final = "浓缩洗衣液 2 L"


def no_network() -> httpx.MockTransport:
    """The default transport of every test browser: a request to an unrouted host fails."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"no network in tests: {request.url.host} is not routed")

    return httpx.MockTransport(refuse)


async def register_unit(centre: IdcodeClient, name: str = "示例洗涤用品有限公司") -> str:
    """A unit in Beijing Chaoyang (110000/110000/110105, the 101 note), registered by 309."""
    answer = await centre.call(
        UnitRegist(
            login_name="91110105MA01EXAM1X",
            organunit_name=name,
            code=1,
            province_id=110000,
            city_id=110000,
            area_id=110105,
        )
    )
    assert answer.organunit_idcode
    return answer.organunit_idcode


def assert_signed_401(location: str, *, sandbox: str, app: str, company: str) -> dict[str, str]:
    """``location`` is the sandbox's 401 page, signed by seed §四; its decoded fields."""
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}" == sandbox
    assert parts.path == "/sp/idcode/category/apply"
    pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)
    fields = dict(pairs)
    assert len(fields) == len(pairs), "a parameter is sent twice"
    assert set(fields) == {
        "company_idcode",
        "gotourl",
        "sample_url",
        "callback_url",
        "access_token",
        "time",
        "hash",
    }
    assert fields["company_idcode"] == company
    assert fields["callback_url"] == f"{app}/idcode/callback"
    assert fields["access_token"] == TEST_ACCESS_TOKEN
    assert fields["time"].isdigit()
    assert len(fields["time"]) == 13
    assert fields["hash"] == document_hash(parts.path, fields)
    # URL-valued parameters arrive encoded as the SDK encoded them (seed §十四), untouched by
    # the web framework on the way.
    for name in ("gotourl", "sample_url", "callback_url"):
        assert urlencode({name: fields[name]}) in parts.query
    return fields


@dataclass
class PageFlow:
    """Every hop of one walk through the 401 page."""

    redirect: httpx.Response
    """The example's 303 to the centre's page."""
    page: httpx.Response
    """The centre's page (HTML with one form)."""
    submitted: httpx.Response
    """The centre's 303 back to the example's callback."""
    callback: httpx.Response
    """The example's answer to the callback."""


async def walk_apply_page(
    browser: Browser,
    app: str,
    company: str,
    *,
    typed: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
) -> PageFlow:
    """Open the example's apply route, fill in the centre's page, land on the callback."""
    if typed is None:
        typed = {
            "industrycategory_id": LAUNDRY_DETERGENT,
            "model_number": MODEL_NAME,
            "model_number_code": MODEL_CODE,
        }
    params = {"company_idcode": company, **(query or {})}
    redirect = await browser.get(f"{app}/categories/apply?{urlencode(params)}")
    assert redirect.status_code == 303, redirect.text
    page = await browser.follow(redirect)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    submitted = await browser.submit(page, typed)
    assert submitted.status_code == 303, submitted.text
    assert submitted.headers["Location"].startswith(f"{app}/idcode/callback?")
    callback = await browser.follow(submitted)
    return PageFlow(redirect, page, submitted, callback)


async def centre_registration(centre: IdcodeClient, code: IDCode) -> Mapping[str, object]:
    """What the centre (the sandbox) lists for the category ``code``: 403, by category code."""
    found = await centre.call(
        IdcodeInfoBase(company_idcode=code.main_code, idcode_of_category=str(code))
    )
    assert len(found.base_idcode_list) == 1
    info = found.base_idcode_list[0]
    assert info.complete_code is not None
    assert IDCode.parse(info.complete_code) == code
    return {
        "category_reg_id": info.category_reg_id,
        "model_number": info.model_number,
        "code_pay_type": info.code_pay_type,
    }


def assert_no_secret(response: httpx.Response, *secrets: str) -> None:
    """No credential in the answer: the test key, the authorisation code, nor ``secrets``."""
    for secret in (TEST_ACCESS_TOKEN, TEST_AUTH_CODE, *secrets):
        assert secret not in response.text
        assert all(secret not in value for value in response.headers.values())


# Seed §十三 examples 1-3: what a scan of i.86.110108.52/91.12000000.1/xxxx lands with, for
# the resolve URLs …aspx?id=1, …aspx?id= and …aspx, registered (注册码) and recorded (备案码).
# The document's host and page are replaced by the example's /scan; the queries are verbatim.
_DOC_CODE: Final = {
    "code": "i.86.110108.52/91.12000000.1/xxxx",
    "kind": "item",
    "main_code": "i.86.110108.52",
    "catalog_code": "91.12000000.1",
    "user_code": "xxxx",
}
GOLDEN_LANDINGS: Final = [
    pytest.param(
        "id=1&code=i.86.110108.52/91.12000000.1/xxxx",
        {**_DOC_CODE, "recorded": False},
        id="example-1-registered",
    ),
    pytest.param(
        "id=1&code=xxxx&BaseCode=i.86.110108.52/91.12000000.1/",
        {**_DOC_CODE, "recorded": True},
        id="example-1-recorded",
    ),
    pytest.param(
        "id=i.86.110108.52/91.12000000.1/xxxx",
        {**_DOC_CODE, "recorded": False},
        id="example-2-registered",
    ),
    pytest.param(
        "id=xxxx&BaseCode=i.86.110108.52/91.12000000.1/",
        {**_DOC_CODE, "recorded": True},
        id="example-2-recorded",
    ),
    pytest.param(
        "code=i.86.110108.52/91.12000000.1/xxxx",
        {**_DOC_CODE, "recorded": False},
        id="example-3-registered",
    ),
    pytest.param(
        "code=xxxx&BaseCode=i.86.110108.52/91.12000000.1/",
        {**_DOC_CODE, "recorded": True},
        id="example-3-recorded",
    ),
    pytest.param(
        "id=i.86.101010.3/10.232324.11/201703233",
        {
            "code": "i.86.101010.3/10.232324.11/201703233",
            "kind": "item",
            "main_code": "i.86.101010.3",
            "catalog_code": "10.232324.11",
            "user_code": "201703233",
            "recorded": False,
        },
        id="example-4-parts",
    ),
    pytest.param(
        "id=i.86.110108.52%2F91.12000000.1%2Fxxxx",
        {**_DOC_CODE, "recorded": False},
        id="percent-encoded",
    ),
    pytest.param(
        "id=i.86.101010.3/10.232324.11",
        {
            "code": "i.86.101010.3/10.232324.11",
            "kind": "category",
            "main_code": "i.86.101010.3",
            "catalog_code": "10.232324.11",
            "user_code": None,
            "recorded": False,
        },
        id="category-code",
    ),
]

BAD_LANDINGS: Final = [
    pytest.param("", id="no-code"),
    pytest.param("id=", id="empty"),
    pytest.param("id=xxxx", id="user-part-without-BaseCode"),
    pytest.param("id=xxxx&BaseCode=i.86.110108.52/", id="BaseCode-not-a-category"),
    pytest.param("code=i.86.110108.52/91.12000000.1/a%20b", id="space-in-user-part"),
    pytest.param("id=i.86.110108.52/91.12000000.1/xxxx/yyyy", id="four-parts"),
    pytest.param(
        "code=i.86.110108.52/91.12000000.1/a&code=i.86.110108.52/91.12000000.1/b",
        id="code-twice",
    ),
]

# {unit} is the registered unit's main code.  Every one of these is a 400.
BAD_CALLBACKS: Final = [
    pytest.param("", id="missing"),
    pytest.param("CategoryIDcode=", id="empty"),
    pytest.param("CategoryIDcode=not-a-code", id="malformed"),
    pytest.param("CategoryIDcode={unit}", id="main-code"),
    pytest.param("CategoryIDcode={unit}/10.232324.11/201703233", id="one-thing-one-code"),
    pytest.param(
        "CategoryIDcode={unit}/10.232324.11&CategoryIDcode={unit}/10.232324.12", id="twice"
    ),
    pytest.param("CategoryIDcode={unit}/10.232324.99", id="forged-unknown-category"),
    pytest.param("CategoryIDcode=i.86.999999.1/10.232324.11", id="forged-unknown-unit"),
]
