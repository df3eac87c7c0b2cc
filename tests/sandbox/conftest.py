from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from idcode_async.sandbox import Sandbox

from .helpers import BASE_URL, Api


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(approval_delay=2.0) as instance:
        yield instance


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def api(http: httpx.AsyncClient) -> Api:
    return Api(http)


@pytest.fixture
async def unit(api: Api) -> str:
    """A unit registered with 309 (review running) and completed with 305."""
    company = await api.register_unit()
    await api.complete_unit(company)
    return company


@pytest.fixture
async def product(api: Api, unit: str) -> tuple[str, str]:
    """A product category of ``unit``: (category_reg_id, category code)."""
    return await api.register_product(unit)
