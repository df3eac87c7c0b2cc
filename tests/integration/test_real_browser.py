"""The page flows in a real headless Chromium, end to end over loopback.

The FastAPI example (``uvicorn examples.fastapi_app:app``, configured by environment
variables) and the sandbox run on 127.0.0.1; Chromium, driven by selenium through Debian's
``chromedriver``, does what an operator's browser does:

* 401: the example's ``/categories/apply`` redirects to the signed page link, the operator
  fills in the sandbox's page, the sandbox redirects to the example's callback with
  ``CategoryIDcode``, and the example confirms the category with the centre (404);
* 405: ``PageForm.html()`` posts itself (the document makes 405 POST only), then the same;
* 408 and 607: ``client.page_url`` links opened directly, 607 coming back with the unit.

Skipped, with the reason, only where no Chromium and chromedriver are installed (``.ci/run``
installs Debian's ``chromium`` and ``chromium-driver``).  Marked slow: a browser starts.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from idcode_async import IdcodeClient
from idcode_async.endpoints import CategoryApplyPage, CategoryRecordPage, ProductCategoryApplyPage
from idcode_async.endpoints.pictures_misc import LoginPage
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.sandbox.serve import running as sandbox_running
from idcode_async.testing import register_unit

from .flows import LAUNDRY_DETERGENT, assert_signed_401
from .processes import running

pytestmark = pytest.mark.slow

webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium is not installed (pip install 'idcode-async[dev]')"
)
from selenium.webdriver.chrome.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

CHROMIUM = next(
    filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
)
CHROMEDRIVER = shutil.which("chromedriver")
WAIT = 30.0
"""Seconds a page may take to load: a bound against hanging, not a speed requirement."""
GOTOURL = "http://www.example.com/scan.aspx?id=1"
SAMPLE_URL = "http://www.example.com/scan.aspx?id=1&code=x"


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        reason = (
            "no headless Chromium: install Debian's chromium and chromium-driver "
            "(apt-get install chromium chromium-driver; .ci/run does)"
        )
        if os.environ.get("IDCODE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"IDCODE_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.add_argument("--no-proxy-server")
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(CHROMEDRIVER))
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def sites() -> Iterator[tuple[Sandbox, str, str]]:
    """The sandbox and the FastAPI example, both served on loopback: (sandbox, its URL, app)."""
    with (
        Sandbox(approval_delay=0) as sandbox,
        sandbox_running(sandbox) as sandbox_url,
        socket.socket() as listener,
    ):
        listener.bind(("127.0.0.1", 0))
        origin = f"http://127.0.0.1:{listener.getsockname()[1]}"
        env = {
            "IDCODE_ACCESS_TOKEN": TEST_ACCESS_TOKEN,
            "IDCODE_AUTH_CODE": TEST_AUTH_CODE,
            "IDCODE_BASE_URL": sandbox_url,
            "IDCODE_PUBLIC_BASE_URL": origin,
        }
        fd = listener.fileno()
        command = ["-m", "uvicorn", "examples.fastapi_app:app", "--fd", str(fd)]
        with running(command, origin=origin, env=env, pass_fds=[fd]):
            yield sandbox, sandbox_url, origin


def _client(sandbox_url: str) -> IdcodeClient:
    return IdcodeClient(
        access_token=TEST_ACCESS_TOKEN, auth_code=TEST_AUTH_CODE, base_url=sandbox_url
    )


def _wait_for(driver: WebDriver, prefix: str) -> str:
    WebDriverWait(driver, WAIT).until(lambda d: d.current_url.startswith(prefix))
    url: str = driver.current_url
    return url


def _fill(driver: WebDriver, typed: dict[str, str]) -> None:
    for name, value in typed.items():
        field = driver.find_element(By.NAME, name)
        if field.tag_name == "select":
            Select(field).select_by_value(value)
        else:
            field.clear()
            field.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def _confirmed(driver: WebDriver, origin: str, unit: str) -> dict[str, object]:
    """The example's callback page: the code from the centre's redirect, confirmed by 404."""
    landing = _wait_for(driver, f"{origin}/idcode/callback?")
    (code,) = parse_qs(urlsplit(landing).query)["CategoryIDcode"]
    answer: dict[str, object] = json.loads(driver.find_element(By.TAG_NAME, "body").text)
    assert answer["company_idcode"] == unit
    assert code.startswith(f"{unit}/10.232324.")
    assert answer["category_code"] == code.rstrip("/")  # the centre ends it with "/" (406)
    return answer


def test_401_from_the_fastapi_example_through_the_sandbox_and_back(
    browser: WebDriver, sites: tuple[Sandbox, str, str]
) -> None:
    sandbox, sandbox_url, origin = sites
    unit = register_unit(sandbox, "浏览器测试一有限公司")
    browser.get(f"{origin}/categories/apply?company_idcode={unit}")
    page = _wait_for(browser, f"{sandbox_url}/sp/idcode/category/apply?")
    assert_signed_401(page, sandbox=sandbox_url, app=origin, company=unit)
    typed = {"industrycategory_id": LAUNDRY_DETERGENT, "model_number": "浓缩洗衣液"}
    _fill(browser, {**typed, "model_number_code": "B401"})
    answer = _confirmed(browser, origin, unit)
    assert answer["code_pay_type"] == 2
    assert answer["model_number"] == "浓缩洗衣液"


def test_405_page_form_submits_itself(
    browser: WebDriver, sites: tuple[Sandbox, str, str], tmp_path: Path
) -> None:
    sandbox, sandbox_url, origin = sites
    unit = register_unit(sandbox, "浏览器测试二有限公司")
    spec = ProductCategoryApplyPage(
        company_idcode=unit,
        industrycategory_id=LAUNDRY_DETERGENT,
        code_pay_type="2",
        gotourl=GOTOURL,
        sample_url=SAMPLE_URL,
        callback_url=f"{origin}/idcode/callback",
    )
    served = tmp_path / "apply-405.html"
    served.write_text(_client(sandbox_url).page_form(spec).html(), encoding="utf-8")
    browser.get(served.as_uri())
    _wait_for(browser, f"{sandbox_url}/")  # the form posted itself to the centre's page
    assert "405" in str(sandbox.stats()["requests"])
    _fill(browser, {"model_number": "洗衣液 405", "model_number_code": "B405"})
    answer = _confirmed(browser, origin, unit)
    assert answer["category_code"] == f"{unit}/10.232324.B405"


def test_408_link_records_a_category(browser: WebDriver, sites: tuple[Sandbox, str, str]) -> None:
    sandbox, sandbox_url, origin = sites
    unit = register_unit(sandbox, "浏览器测试三有限公司")
    spec = CategoryRecordPage(
        company_idcode=unit,
        gotourl=GOTOURL,
        sample_url=SAMPLE_URL,
        callback_url=f"{origin}/idcode/callback",
    )
    browser.get(_client(sandbox_url).page_url(spec))
    typed = {"industrycategory_id": LAUNDRY_DETERGENT, "model_number": "备案型号"}
    _fill(browser, {**typed, "model_number_code": "B408"})
    answer = _confirmed(browser, origin, unit)
    assert answer["code_pay_type"] == 5


def test_401_and_607_links_opened_directly(
    browser: WebDriver, sites: tuple[Sandbox, str, str]
) -> None:
    sandbox, sandbox_url, origin = sites
    login = "91110105MA01BROW7X"
    unit = register_unit(sandbox, "浏览器测试四有限公司", login_name=login)
    client = _client(sandbox_url)
    apply_link = client.page_url(
        CategoryApplyPage(
            company_idcode=unit,
            gotourl=GOTOURL,
            sample_url=SAMPLE_URL,
            callback_url=f"{origin}/idcode/callback?session=7",
        )
    )
    browser.get(apply_link)
    _fill(browser, {"industrycategory_id": LAUNDRY_DETERGENT, "model_number": "直接链接"})
    landing = _wait_for(browser, f"{origin}/idcode/callback?session=7&CategoryIDcode=")
    assert f"{unit}/10.232324." in parse_qs(urlsplit(landing).query)["CategoryIDcode"][0]

    browser.get(client.page_url(LoginPage(callback_url=f"{origin}/scan?id=1")))
    _fill(browser, {"login_name": login, "login_pswd": login[-6:]})
    landing = _wait_for(browser, f"{origin}/scan?id=1&")
    assert parse_qs(urlsplit(landing).query)["company_idcode"] == [unit]
