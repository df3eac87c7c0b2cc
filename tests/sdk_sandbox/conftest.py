"""Fixtures: a fresh sandbox per test, the SDK client wired to it, and the state most tests
start from (a unit registered with 309, a product category with 406, an upload with 5013).

Set-up goes through the SDK too, so every fixture is itself a success-path check.  Each test
ends by asserting that the sandbox's independent verifier accepted every signature the SDK
produced (seed §四).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from idcode_async import IdcodeClient, RetryPolicy, aiohttp_transport
from idcode_async.endpoints import CompanyModify, UploadCodePrefix
from idcode_async.sandbox import Sandbox

from .helpers import Category, Unit, product_spec, unit_spec


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh centre (review takes 2 s of centre time); no signature may fail in a test."""
    with Sandbox(approval_delay=2.0) as instance:
        yield instance
        assert instance.stats()["signature_failures"] == 0


@pytest.fixture(params=["httpx", "aiohttp"])
def transport(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Loopback tests run on both transports: httpx's own (the default) and aiohttp's.

    The value is the keyword arguments that put an ``IdcodeClient`` on the transport.
    """
    return {"transport": aiohttp_transport()} if request.param == "aiohttp" else {}


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[IdcodeClient]:
    """The SDK client, in-process, without retries: each call is exactly one request."""
    async with sandbox.client(retry=RetryPolicy(max_retries=0)) as instance:
        yield instance


@pytest.fixture
async def unit(client: IdcodeClient) -> Unit:
    """309: a unit in Beijing Chaoyang; its review is running (approval after 2 s)."""
    answer = await client.call(unit_spec())
    assert answer.organunit_idcode
    return Unit(answer.organunit_idcode)


@pytest.fixture
async def completed_unit(client: IdcodeClient, unit: Unit) -> Unit:
    """305: the unit's details completed (trade and address), as 304 needs."""
    await client.call(
        CompanyModify(
            company_idcode=unit.idcode,
            trade_id=114,
            organunit_address="北京市朝阳区示例路 1 号",
            unit_size_type=2,
        )
    )
    return unit


@pytest.fixture
async def category(client: IdcodeClient, unit: Unit) -> Category:
    """406: laundry detergent, model number code A1, registered (code_pay_type 2)."""
    answer = await client.call(product_spec(unit.idcode, "A1"))
    assert answer.category_reg_id
    assert answer.organunit_idcode
    return Category(answer.category_reg_id, answer.organunit_idcode, "A1")


@pytest.fixture
async def upload(client: IdcodeClient, unit: Unit, category: Category) -> str:
    """5013 (version 2.0): the codes 1 … 1000 of the category; its ``uploadcode_id``."""
    answer = await client.call(
        UploadCodePrefix(
            company_idcode=unit.idcode,
            category_reg_id=category.reg_id,
            start_num=1,
            end_num=1000,
            version="2.0",
        )
    )
    assert answer.uploadcode_id
    return answer.uploadcode_id
