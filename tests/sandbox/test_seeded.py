"""The seeded state (``Sandbox(seeded=True)``): the document's example unit answers reads."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from idcode_async import NotFoundError
from idcode_async.endpoints import (
    CompanyInfoBase,
    CompanySearch,
    IdcodeInfoBase,
    IdcodeInfoSearch,
    OrganUnitStatus,
    UnitRegist,
)
from idcode_async.sandbox import Sandbox
from idcode_async.sandbox.seeded import SEEDED_NAME, SEEDED_UNIT

from .helpers import BASE_URL, Api, signed


@pytest.fixture
def seeded() -> Iterator[Sandbox]:
    with Sandbox(seeded=True) as instance:
        yield instance


async def test_the_example_unit_is_registered_approved_and_complete(seeded: Sandbox) -> None:
    async with seeded.client() as client:
        base = await client.call(CompanyInfoBase(company_idcode=SEEDED_UNIT))
        found = await client.call(CompanySearch(company_name=SEEDED_NAME))
        status = await client.call(OrganUnitStatus(company_idcode=SEEDED_UNIT))
    assert base.organunit_name == SEEDED_NAME
    assert SEEDED_UNIT in str(found)
    assert status.is_audit == 100


async def test_its_categories_are_the_documents_catalog_codes(seeded: Sandbox) -> None:
    async with seeded.client() as client:
        listed = await client.call(IdcodeInfoSearch(company_idcode=SEEDED_UNIT))
        one = await client.call(
            IdcodeInfoBase(company_idcode=SEEDED_UNIT, idcode_of_category="10.232324.11")
        )
    text = str(listed)
    assert f"{SEEDED_UNIT}/10.232324.11/" in text
    assert f"{SEEDED_UNIT}/91.12000000.1/" in text
    assert "10.232324.11" in str(one)


async def test_the_next_unit_in_the_area_follows_the_example(seeded: Sandbox) -> None:
    async with seeded.client() as client:
        answer = await client.call(
            UnitRegist(
                login_name="91120103MA05NEXT1X",
                organunit_name="天津后来者有限公司",
                code=1,
                province_id=120000,
                city_id=120000,
                area_id=120103,
            )
        )
    assert answer.organunit_idcode == "i.86.120103.1022"


async def test_a_fresh_sandbox_stays_empty() -> None:
    with Sandbox() as empty:
        async with empty.client() as client:
            with pytest.raises(NotFoundError):
                await client.call(CompanySearch(company_name=SEEDED_NAME))


async def test_the_raw_wire_answers_from_the_seed(seeded: Sandbox) -> None:
    async with httpx.AsyncClient(transport=seeded.transport(), base_url=BASE_URL) as http:
        body = await Api(http).ok("/sp/idcode/companyinfo/base", {"company_idcode": SEEDED_UNIT})
    assert body["organunit_name"] == SEEDED_NAME


def test_idcode_sandbox_serve_seeded_answers_from_the_seed() -> None:
    """``idcode sandbox serve --seeded --max-body-bytes 4096``, its own process, over loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "idcode_async", "sandbox", "serve", "--seeded"]
    command += ["--max-body-bytes", "4096"]
    child = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    path = "/sp/idcode/companyinfo/base"
    try:
        for _ in range(300):
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}{path}",
                    data=signed(path, {"company_idcode": SEEDED_UNIT}),
                    timeout=5,
                    trust_env=False,
                )
                too_large = httpx.post(
                    f"http://127.0.0.1:{port}{path}", content=b"x" * 4097, trust_env=False
                )
                break
            except httpx.ConnectError:
                assert child.poll() is None, child.stderr.read() if child.stderr else ""
                time.sleep(0.05)
        else:
            pytest.fail("idcode sandbox serve did not start")
    finally:
        child.terminate()
        child.wait(10)
    assert answer.json()["organunit_name"] == SEEDED_NAME
    assert too_large.status_code == 413
