"""What every web example must do, as one test class run over all of them.

``test_examples.py`` subclasses it with an ``open_site`` fixture parametrised over the example
apps (:data:`.sites.EXAMPLES`): given a client factory, it starts the app (its lifespan,
cleanup context or factory runs), wires a :class:`~.browser.Browser` to it and to the sandbox,
and yields a :class:`Site`.  Everything else is here, once, so that the FastAPI, aiohttp and
Flask examples are held to exactly the same behaviour.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from examples.common import client_from_env
from idcode_async import IDCode, IdcodeClient, RetryPolicy, UsageError, scan_target
from idcode_async.sandbox import SANDBOX_BASE_URL, FaultKind, Sandbox

from .browser import Browser
from .flows import (
    BAD_CALLBACKS,
    BAD_LANDINGS,
    GOLDEN_LANDINGS,
    LAUNDRY_DETERGENT,
    MODEL_CODE,
    MODEL_NAME,
    assert_no_secret,
    assert_signed_401,
    centre_registration,
    walk_apply_page,
)
from .processes import loopback_browser

__all__ = ["ExampleContract", "OpenSite", "Site", "assert_runs_from_the_environment"]


@dataclass
class Site:
    """A running example app, as a test sees it."""

    origin: str
    """The app's public origin (``http://sp.test``, ``http://127.0.0.1:<port>``)."""
    browser: Browser
    """A browser that reaches the app and the sandbox, and nothing else."""
    held_client: Callable[[], IdcodeClient | None]
    """The client the app holds now: ``None`` before startup (FastAPI: after shutdown too)."""

    async def get(self, path: str) -> httpx.Response:
        return await self.browser.get(self.origin + path)


OpenSite = Callable[[Callable[[], IdcodeClient]], AbstractAsyncContextManager[Site]]


def _no_retry(sandbox: Sandbox) -> Callable[[], IdcodeClient]:
    return lambda: sandbox.client(retry=RetryPolicy(max_retries=0))


class ExampleContract:
    """The behaviour both examples share; not collected itself (no ``Test`` prefix)."""

    @pytest.fixture
    async def site(self, open_site: OpenSite, sandbox: Sandbox) -> AsyncIterator[Site]:
        async with open_site(sandbox.client) as site:
            yield site

    # --- one client per app --------------------------------------------------------------

    async def test_one_client_is_opened_at_startup_and_closed_at_shutdown(
        self, open_site: OpenSite, sandbox: Sandbox, unit: str
    ) -> None:
        made: list[IdcodeClient] = []

        def factory() -> IdcodeClient:
            made.append(sandbox.client())
            return made[-1]

        async with open_site(factory) as site:
            assert len(made) == 1
            assert site.held_client() is made[0]
            for _ in range(3):
                assert (await site.get(f"/units/{unit}")).status_code == 200
            assert len(made) == 1
            assert not made[0].is_closed
        assert made[0].is_closed
        held = site.held_client()
        assert held is None or held is made[0]

    async def test_missing_credentials_stop_the_app_at_startup(
        self, open_site: OpenSite, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("IDCODE_ACCESS_TOKEN", raising=False)
        monkeypatch.delenv("IDCODE_AUTH_CODE", raising=False)
        with pytest.raises(UsageError, match=r"\$IDCODE_ACCESS_TOKEN.*\$IDCODE_AUTH_CODE"):
            async with open_site(client_from_env):
                pass

    # --- 401: redirect, page, callback ---------------------------------------------------

    async def test_apply_redirects_to_the_signed_401_page_of_the_centre(
        self, site: Site, unit: str
    ) -> None:
        answer = await site.get(f"/categories/apply?company_idcode={unit}")
        assert answer.status_code == 303
        fields = assert_signed_401(
            answer.headers["Location"], sandbox=SANDBOX_BASE_URL, app=site.origin, company=unit
        )
        # The resolve URL defaults to the app's own landing (seed §十三 example 2) and the
        # sample URL to where a scan of the unit's main code lands on it.
        assert fields["gotourl"] == f"{site.origin}/scan?id="
        assert fields["sample_url"] == f"{site.origin}/scan?id={unit}"

    async def test_apply_passes_a_resolve_url_and_builds_its_sample(
        self, site: Site, unit: str
    ) -> None:
        gotourl = "http://www.xxxx.com/xxxx.aspx?id=1"  # seed §十三 example 1
        query = urlencode({"company_idcode": unit, "gotourl": gotourl})
        answer = await site.get(f"/categories/apply?{query}")
        assert answer.status_code == 303
        fields = assert_signed_401(
            answer.headers["Location"], sandbox=SANDBOX_BASE_URL, app=site.origin, company=unit
        )
        assert fields["gotourl"] == gotourl
        assert fields["sample_url"] == f"{gotourl}&code={unit}"

    @pytest.mark.parametrize(
        ("model_code", "serial"),
        [
            pytest.param(MODEL_CODE, MODEL_CODE, id="document-example-11"),
            pytest.param("BW-500", "BW-500", id="letters"),
            pytest.param("", "1", id="numbered-by-the-centre"),
        ],
    )
    async def test_the_page_flow_registers_a_category_the_centre_knows(
        self, site: Site, centre: IdcodeClient, unit: str, model_code: str, serial: str
    ) -> None:
        typed = {
            "industrycategory_id": LAUNDRY_DETERGENT,
            "model_number": MODEL_NAME,
            "model_number_code": model_code,
        }
        flow = await walk_apply_page(site.browser, site.origin, unit, typed=typed)

        assert "注册品类" in flow.page.text
        assert flow.callback.status_code == 200, flow.callback.text
        answer = flow.callback.json()
        code = IDCode.parse(answer["category_code"])
        assert str(code) == f"{unit}/10.{LAUNDRY_DETERGENT}.{serial}"
        assert answer == {
            "category_code": str(code),
            "company_idcode": unit,
            **await centre_registration(centre, code),
        }
        assert answer["model_number"] == MODEL_NAME
        assert answer["code_pay_type"] == 2  # 401 registers (注册)
        assert len(answer["category_reg_id"]) == 20

        # A scan of one of the new category's codes lands on the app's /scan (seed §十三).
        landing = scan_target(f"{site.origin}/scan?id=", code.with_user_code("201703233"))
        scanned = await site.browser.get(landing)
        assert scanned.status_code == 200
        assert scanned.json()["code"] == f"{code}/201703233"

    async def test_a_page_ticket_is_used_once(self, site: Site, unit: str) -> None:
        flow = await walk_apply_page(site.browser, site.origin, unit)
        assert flow.callback.status_code == 200
        again = await site.browser.submit(flow.page, {"model_number": "another"})
        assert again.status_code == 404

    @pytest.mark.parametrize("query", BAD_CALLBACKS)
    async def test_a_bad_callback_is_a_400(self, site: Site, unit: str, query: str) -> None:
        await walk_apply_page(site.browser, site.origin, unit)  # the unit has one category
        answer = await site.get(f"/idcode/callback?{query.format(unit=unit)}")
        assert answer.status_code == 400
        body = answer.json()
        assert "CategoryIDcode" in body["detail"]
        assert body["result_code"] is None
        assert set(body) == {"detail", "result_code"}
        assert_no_secret(answer)

    @pytest.mark.parametrize(
        "query",
        [
            pytest.param({}, id="no-company"),
            pytest.param({"company_idcode": "i.86.110105"}, id="malformed-company"),
            pytest.param({"company_idcode": "i.86.110105.1/10.232324.11"}, id="category-code"),
            pytest.param(
                {
                    "company_idcode": "i.86.110105.1",
                    "gotourl": "http://www.xxxx.com/xxxx.aspx?id=1",
                    "sample_url": "http://www.other.example/p.aspx",
                },
                id="sample-not-a-landing",
            ),
            pytest.param(
                {"company_idcode": "i.86.110105.1", "gotourl": "ftp://www.xxxx.com/x"},
                id="gotourl-not-http",
            ),
        ],
    )
    async def test_bad_apply_input_is_a_422_and_no_redirect(
        self, site: Site, sandbox: Sandbox, query: dict[str, str]
    ) -> None:
        answer = await site.get(f"/categories/apply?{urlencode(query)}")
        assert answer.status_code == 422
        assert answer.json() == {"detail": answer.json()["detail"], "result_code": None}
        assert "Location" not in answer.headers
        assert_no_secret(answer)
        assert not sandbox.stats()["requests"]

    # --- scan landing (seed §十三) ----------------------------------------------------------

    @pytest.mark.parametrize(("query", "expected"), GOLDEN_LANDINGS)
    async def test_scan_reads_the_document_landings(
        self, site: Site, query: str, expected: dict[str, Any]
    ) -> None:
        answer = await site.get(f"/scan?{query}")
        assert answer.status_code == 200, answer.text
        assert answer.json() == expected

    @pytest.mark.parametrize("query", BAD_LANDINGS)
    async def test_a_bad_landing_is_a_400(self, site: Site, query: str) -> None:
        answer = await site.get(f"/scan?{query}")
        assert answer.status_code == 400
        assert answer.json()["detail"]

    # --- a data interface and the error mapping ------------------------------------------

    async def test_unit_answers_the_public_record(self, site: Site, unit: str) -> None:
        answer = await site.get(f"/units/{unit}")
        assert answer.status_code == 200
        body = answer.json()
        assert body["company_idcode"] == unit
        assert body["organunit_name"] == "示例洗涤用品有限公司"
        assert (body["province_id"], body["city_id"], body["area_id"]) == (110000, 110000, 110105)
        assert not {"linkman", "linkphone", "email"} & set(body)

    async def test_an_unknown_unit_is_a_404(self, site: Site, unit: str) -> None:
        answer = await site.get("/units/i.86.110105.999")
        assert answer.status_code == 404
        assert answer.json()["result_code"] in (10003, 10006)
        assert_no_secret(answer)

    async def test_a_parameter_the_sdk_refuses_is_a_422_and_nothing_is_sent(
        self, site: Site, sandbox: Sandbox
    ) -> None:
        answer = await site.get("/units/%20")
        assert answer.status_code == 422
        assert "company_idcode" in answer.json()["detail"]
        assert not sandbox.stats()["requests"]

    @pytest.mark.parametrize(
        ("fault", "result_code"),
        [
            pytest.param(FaultKind.BUSY, -1, id="busy"),
            pytest.param(FaultKind.HTML_502, None, id="gateway-html"),
            pytest.param(FaultKind.DROP_BEFORE, None, id="connection-dropped"),
        ],
    )
    async def test_an_unavailable_centre_is_a_503(
        self,
        open_site: OpenSite,
        sandbox: Sandbox,
        unit: str,
        fault: FaultKind,
        result_code: int | None,
    ) -> None:
        sandbox.faults.schedule(fault, endpoint=306)
        async with open_site(_no_retry(sandbox)) as site:
            answer = await site.get(f"/units/{unit}")
            assert answer.status_code == 503
            assert answer.json() == {
                "detail": "the IDcode centre is unavailable; retry later",
                "result_code": result_code,
            }
            assert_no_secret(answer)
            assert (await site.get(f"/units/{unit}")).status_code == 200  # fault used up

    async def test_a_refused_key_is_a_502_without_the_key(
        self, open_site: OpenSite, sandbox: Sandbox, unit: str
    ) -> None:
        wrong = "NOSUCHKEY0000000000000000"
        async with open_site(lambda: sandbox.client(access_token=wrong)) as site:
            answer = await site.get(f"/units/{unit}")
        assert answer.status_code == 502
        assert answer.json()["result_code"] == 10001
        assert_no_secret(answer, wrong)


async def assert_runs_from_the_environment(
    origin: str, sandbox_url: str, centre: IdcodeClient, unit: str
) -> None:
    """The example started by its documented command, configured by ``IDCODE_*`` variables,
    walks the page flow against a sandbox on loopback and maps a centre error."""
    async with loopback_browser() as http:
        browser = Browser(http)
        flow = await walk_apply_page(browser, origin, unit)
        assert_signed_401(
            flow.redirect.headers["Location"], sandbox=sandbox_url, app=origin, company=unit
        )
        assert flow.callback.status_code == 200, flow.callback.text
        code = IDCode.parse(flow.callback.json()["category_code"])
        assert str(code) == f"{unit}/10.232324.{MODEL_CODE}"
        await centre_registration(centre, code)
        assert (await browser.get(f"{origin}/units/{unit}")).status_code == 200
        missing = await browser.get(f"{origin}/units/i.86.110105.999")
        assert missing.status_code == 404
        assert_no_secret(missing)
