"""The sandbox as a real HTTP server on 127.0.0.1 (uvicorn in a thread), used over loopback."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from idcode_async.sandbox import FaultKind, Sandbox
from idcode_async.sandbox.serve import running

from .helpers import GOTOURL, SAMPLE_URL, Api


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Sandbox, str]]:
    with Sandbox(approval_delay=1.0) as sandbox, running(sandbox) as base_url:
        yield sandbox, base_url


@pytest.fixture
async def wire(served: tuple[Sandbox, str]) -> AsyncIterator[Api]:
    _, base_url = served
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        yield Api(client)


def test_binds_loopback_only(served: tuple[Sandbox, str]):
    _, base_url = served
    assert base_url.startswith("http://127.0.0.1:")


async def test_register_review_and_stats_over_loopback(served, wire: Api):
    sandbox, _ = served
    regions = await wire.ok("/sp/idcode/addresses", method="GET")
    assert len(regions["address_list"]) > 34
    company = await wire.register_unit("环回测试有限公司", login_name="LOOPBACK-000001")
    assert company.startswith("i.86.110105.")
    status = await wire.ok("/sp/idcode/organunit/status", {"company_idcode": company})
    assert status["is_audit"] == 1
    sandbox.advance_time(1)
    status = await wire.ok("/sp/idcode/organunit/status", {"company_idcode": company})
    assert status["is_audit"] == 100
    stats = (await wire.client.get("/_sandbox/stats")).json()
    assert stats["submissions_by_name"]["309"]["环回测试有限公司"] == 1
    assert stats == sandbox.stats()


async def test_upload_and_download_over_loopback(wire: Api):
    company = await wire.register_unit("环回上传有限公司", login_name="LOOPBACK-000002")
    reg_id, category = await wire.register_product(company, "LB1")
    params = {"company_idcode": company, "category_reg_id": reg_id, "version": "2.0"}
    files = {"code_file": ("codes.txt", b"X1\nX2\n")}
    upload_id = (await wire.ok("/sp/idcode/upload/codefile", params, files=files))["data"][
        "uploadcode_id"
    ]
    link = await wire.ok(
        "/sp/idcode/uploadcode",
        {"company_idcode": company, "uploadcode_id": upload_id, "password": "abcdef"},
    )
    url = link["codefileurl_info"]
    assert url.startswith(str(wire.client.base_url).rstrip("/") + "/_sandbox/files/")
    archive = (await wire.client.get(url)).content
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        text = zipped.read(f"{upload_id}.txt", pwd=b"abcdef").decode()
    assert text.split("\r\n")[:2] == [
        f"http://stest.idcode.org.cn/?code={category}X{i}" for i in (1, 2)
    ]
    page = await wire.send(
        "/sp/idcode/category/apply",
        {
            "company_idcode": company,
            "gotourl": GOTOURL,
            "sample_url": SAMPLE_URL,
            "callback_url": "http://cb.example.com/x?y=1",
        },
        method="GET",
    )
    assert page.status_code == 200
    assert "<form" in page.text


async def test_faults_over_loopback(served, wire: Api):
    sandbox, _ = served
    # A server-side close mid-exchange reaches the client as an orderly close
    # (RemoteProtocolError) or, when the kernel still held unread bytes, as a reset (ReadError).
    dropped = (httpx.RemoteProtocolError, httpx.ReadError)
    sandbox.faults.schedule(FaultKind.DROP_AFTER, endpoint=105)
    with pytest.raises(dropped):
        await wire.send("/sp/idcode/unittypes")
    sandbox.faults.schedule(FaultKind.DROP_BEFORE, endpoint=105)
    with pytest.raises(dropped):
        await wire.send("/sp/idcode/unittypes")
    sandbox.faults.schedule(FaultKind.HTML_502, endpoint=105)
    gateway = await wire.send("/sp/idcode/unittypes")
    assert gateway.status_code == 502
    assert "<html>" in gateway.text
    assert await wire.code("/sp/idcode/unittypes") == 1  # the server survived the drops
    assert (
        await wire.send("/sp/idcode/examinerecord", {"company_idcode": "x", "type": 1})
    ).status_code == 405


async def test_sdk_client_in_process():
    """``Sandbox.client()`` is an IdcodeClient wired to the in-process transport."""
    with Sandbox() as sandbox:
        async with sandbox.client() as client:
            response = await client.post("/sp/idcode/unittypes")
        assert response.json()["result_code"] == 1
        assert sandbox.stats()["requests"] == {"105": 1}
        assert sandbox.stats()["signature_failures"] == 0
