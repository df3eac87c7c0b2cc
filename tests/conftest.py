from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import respx

from idcode_async import IdcodeClient

from .wire import BASE_URL, FIXED_TIME, TEST_AUTH_CODE, TEST_TOKEN


@pytest.fixture
def router() -> respx.MockRouter:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
async def client(router: respx.MockRouter) -> AsyncIterator[IdcodeClient]:
    async with IdcodeClient(
        access_token=TEST_TOKEN,
        auth_code=TEST_AUTH_CODE,
        base_url=BASE_URL,
        clock=lambda: FIXED_TIME,
    ) as c:
        yield c
