"""``SyncIdcodeClient`` against a sandbox served on loopback, from one thread and from many.

The sandbox verifies every signature on its own (seed §四) and counts what it received, so
these tests check the wire, not the client against itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from urllib.parse import parse_qsl, urlsplit

import anyio
import pytest

from idcode_async import (
    IdcodeClient,
    NotFoundError,
    PageForm,
    SyncIdcodeClient,
    UsageError,
    ValidationError,
)
from idcode_async.endpoints import (
    CategoryApplyPage,
    CompanyInfoBase,
    ProductCategoryApplyPage,
    UnitRegist,
)
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox

from ..wire import document_hash

T = TypeVar("T")
THREADS = 8
UNITS_PER_THREAD = 3


def register(client: SyncIdcodeClient, number: int) -> str:
    """309 through ``bind``: a unit in Beijing Chaoyang; its main code."""
    unit_regist = client.bind(UnitRegist)
    answer = unit_regist(
        login_name=f"91110105MA01TH{number:04d}",
        organunit_name=f"线程测试公司{number}",
        code=1,
        province_id=110000,
        city_id=110000,
        area_id=110105,
    )
    assert answer.organunit_idcode
    return answer.organunit_idcode


def product_page() -> ProductCategoryApplyPage:
    """405, documented POST only: a form, never a link."""
    return ProductCategoryApplyPage(
        company_idcode="i.86.110105.1",
        industrycategory_id="232324",
        code_pay_type="2",
        gotourl="http://www.example.com/scan.aspx?id=",
        sample_url="http://www.example.com/scan.aspx?id=i.86.110105.1",
        callback_url="http://sp.example.com/idcode/callback",
    )


def in_threads(work: Callable[[int], T], count: int = THREADS) -> list[T]:
    """``work(0)`` … ``work(count - 1)``, each in its own thread, all started together."""
    barrier = threading.Barrier(count)

    def start(index: int) -> T:
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(start, range(count)))


def test_one_client_shared_by_many_threads(client: SyncIdcodeClient, sandbox: Sandbox) -> None:
    def worker(index: int) -> list[tuple[str, str]]:
        seen = []
        for k in range(UNITS_PER_THREAD):
            number = index * UNITS_PER_THREAD + k
            code = register(client, number)
            info = client.call(CompanyInfoBase(company_idcode=code))
            assert info.organunit_name == f"线程测试公司{number}"
            seen.append((code, threading.current_thread().name))
        return seen

    results = [item for chunk in in_threads(worker) for item in chunk]
    codes = [code for code, _ in results]
    assert len(set(codes)) == THREADS * UNITS_PER_THREAD
    assert len({thread for _, thread in results}) == THREADS
    # Every request reached the centre once and was signed correctly (checked by the fixture).
    assert sandbox.stats()["requests"] == {
        "306": THREADS * UNITS_PER_THREAD,
        "309": THREADS * UNITS_PER_THREAD,
    }


def test_errors_are_the_async_clients_typed_exceptions(
    client: SyncIdcodeClient, sandbox: Sandbox
) -> None:
    def worker(index: int) -> int:
        with pytest.raises(NotFoundError) as caught:
            client.call(CompanyInfoBase(company_idcode=f"i.86.110105.{900 + index}"))
        assert caught.value.endpoint == 306
        return caught.value.code

    assert set(in_threads(worker)) <= {10003, 10006}
    requests = sandbox.stats()["requests"]
    with pytest.raises(ValidationError, match="company_idcode"):
        client.bind(CompanyInfoBase)(company_idcode=" ")
    assert sandbox.stats()["requests"] == requests  # refused before anything was sent


def test_page_url_and_page_form_are_signed(client: SyncIdcodeClient, sandbox_url: str) -> None:
    url = client.page_url(
        CategoryApplyPage(
            company_idcode="i.86.110105.1",
            gotourl="http://www.example.com/scan.aspx?id=",
            sample_url="http://www.example.com/scan.aspx?id=i.86.110105.1",
            callback_url="http://sp.example.com/idcode/callback",
        )
    )
    parts = urlsplit(url)
    assert url.startswith(sandbox_url + "/sp/idcode/category/apply?")
    fields = dict(parse_qsl(parts.query))
    assert fields["access_token"] == TEST_ACCESS_TOKEN
    assert fields["hash"] == document_hash(parts.path, fields, TEST_AUTH_CODE)

    form = client.page_form(product_page())
    assert isinstance(form, PageForm)
    assert form.method == "POST"
    assert form.fields["hash"] == document_hash(urlsplit(form.action).path, form.fields)
    with pytest.raises(UsageError, match="page_form"):
        client.page_url(product_page())


def test_run_awaits_a_helper_with_the_client(client: SyncIdcodeClient) -> None:
    code = register(client, 1)

    async def status_of(async_client: IdcodeClient, company_idcode: str) -> int | None:
        assert isinstance(async_client, IdcodeClient)
        info = await async_client.call(CompanyInfoBase(company_idcode=company_idcode))
        return info.status_id

    assert (
        client.run(status_of, code) == client.call(CompanyInfoBase(company_idcode=code)).status_id
    )


def test_close_is_idempotent_and_use_after_close_is_a_usage_error(sandbox_url: str) -> None:
    with SyncIdcodeClient(
        access_token=TEST_ACCESS_TOKEN, auth_code=TEST_AUTH_CODE, base_url=sandbox_url
    ) as client:
        register(client, 1)
        assert not client.is_closed
    assert client.is_closed
    client.close()
    spec = CompanyInfoBase(company_idcode="i.86.110105.1")
    uses: list[Callable[[], object]] = [
        lambda: client.call(spec),
        lambda: client.bind(CompanyInfoBase)(company_idcode="i.86.110105.1"),
        lambda: client.page_form(product_page()),
        lambda: client.__enter__(),
    ]
    for use in uses:
        with pytest.raises(UsageError, match="closed"):
            use()


def test_wrap_opens_and_closes_the_given_client(sandbox: Sandbox) -> None:
    inner = sandbox.client()
    with SyncIdcodeClient.wrap(inner) as client:
        register(client, 1)
    assert inner.is_closed


def test_close_waits_for_calls_in_flight(client: SyncIdcodeClient, sandbox: Sandbox) -> None:
    started = threading.Event()
    release = threading.Event()

    async def held_call(async_client: IdcodeClient) -> str:
        started.set()
        await anyio.to_thread.run_sync(release.wait)
        answer = await async_client.call(
            UnitRegist(
                login_name="91110105MA01HELD01",
                organunit_name="等待关闭公司",
                code=1,
                province_id=110000,
                city_id=110000,
                area_id=110105,
            )
        )
        assert answer.organunit_idcode
        return answer.organunit_idcode

    with ThreadPoolExecutor(2) as pool:
        in_flight = pool.submit(client.run, held_call)
        started.wait()
        closing = pool.submit(client.close)
        while not client.is_closed:  # close() has begun: new calls are refused from now on
            time.sleep(0.01)
        with pytest.raises(UsageError, match="closed"):
            client.call(CompanyInfoBase(company_idcode="i.86.110105.1"))
        release.set()
        code = in_flight.result()  # finished on an open connection pool, then close went on
        closing.result()
    assert code.startswith("i.86.110105.")
    assert sandbox.stats()["requests"] == {"309": 1}


def test_credentials_from_the_environment(
    sandbox_url: str, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDCODE_ACCESS_TOKEN", TEST_ACCESS_TOKEN)
    monkeypatch.setenv("IDCODE_AUTH_CODE", TEST_AUTH_CODE)
    monkeypatch.setenv("IDCODE_BASE_URL", sandbox_url)
    with SyncIdcodeClient() as client:
        assert str(client.base_url) == sandbox_url
        register(client, 1)
    assert sandbox.stats()["requests"] == {"309": 1}


def test_missing_credentials_are_refused_before_a_thread_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("IDCODE_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("IDCODE_AUTH_CODE", raising=False)
    before = set(threading.enumerate())
    with pytest.raises(
        UsageError, match=r"\$IDCODE_ACCESS_TOKEN\) and auth_code \(or \$IDCODE_AUTH_CODE"
    ):
        SyncIdcodeClient()
    assert not set(threading.enumerate()) - before


def test_runs_on_trio(sandbox_url: str) -> None:
    with SyncIdcodeClient(
        access_token=TEST_ACCESS_TOKEN,
        auth_code=TEST_AUTH_CODE,
        base_url=sandbox_url,
        backend="trio",
    ) as client:
        code = register(client, 1)
        assert client.call(CompanyInfoBase(company_idcode=code)).organunit_name == "线程测试公司1"


def test_repr_shows_the_host_and_state_never_the_credentials(sandbox_url: str) -> None:
    client = SyncIdcodeClient(
        access_token=TEST_ACCESS_TOKEN, auth_code=TEST_AUTH_CODE, base_url=sandbox_url
    )
    assert repr(client) == f"SyncIdcodeClient(base_url={sandbox_url!r}, open)"
    client.close()
    assert repr(client).endswith(", closed)")
