"""A dispatched answer is freed as soon as the call returns, without the cycle collector.

httpx's response and its stream wrapper refer to each other; the dispatcher drops the wrapper
once the answer is closed, so the response, its request and body go by reference counting.
Under load the collector otherwise ran every few calls (issue 13, point 3).
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import httpx
import pytest

from idcode_async import IdcodeClient
from idcode_async.endpoints import Addresses

from ..wire import TEST_AUTH_CODE, TEST_TOKEN

ANSWER = b'{"result_code":1,"address_list":[{"address_id":5}]}'


@pytest.fixture
def no_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def test_the_answer_is_gone_when_call_returns(no_collector: None) -> None:
    seen: list[weakref.ref[httpx.Response]] = []

    async def keep(response: httpx.Response) -> None:
        seen.append(weakref.ref(response))

    async with IdcodeClient(
        access_token=TEST_TOKEN,
        auth_code=TEST_AUTH_CODE,
        transport=httpx.MockTransport(lambda request: httpx.Response(200, content=ANSWER)),
        event_hooks={"response": [keep]},
    ) as client:
        result = await client.call(Addresses())
        assert result.address_list[0].address_id == 5
        assert len(seen) == 1
        assert seen[0]() is None
