"""The client runs under asyncio and trio alike (anyio primitives only)."""

from __future__ import annotations

import anyio
import httpx
import pytest

from idcode_async import BusyError, IdcodeClient, RetryPolicy
from idcode_async.endpoints import Addresses

from ..wire import TEST_AUTH_CODE, TEST_TOKEN


async def _call_with_one_retry() -> int:
    answers = [
        httpx.Response(200, json={"result_code": -1, "result_msg": "busy"}),
        httpx.Response(200, json={"address_list": [{"address_id": 1}], "result_code": 1}),
    ]
    async with IdcodeClient(
        access_token=TEST_TOKEN,
        auth_code=TEST_AUTH_CODE,
        transport=httpx.MockTransport(lambda request: answers.pop(0)),
        retry=RetryPolicy(max_retries=1, backoff_base=0.01),
    ) as client:
        result = await client.call(Addresses())
    return len(result.address_list)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_call_and_backoff_sleep_under_each_runtime(backend: str):
    assert anyio.run(_call_with_one_retry, backend=backend) == 1


def test_busy_error_surfaces_under_trio():
    async def main() -> None:
        async with IdcodeClient(
            access_token=TEST_TOKEN,
            auth_code=TEST_AUTH_CODE,
            transport=httpx.MockTransport(
                lambda request: httpx.Response(200, json={"result_code": -1, "result_msg": "b"})
            ),
            retry=RetryPolicy(max_retries=0),
        ) as client:
            await client.call(Addresses())

    with pytest.raises(BusyError):
        anyio.run(main, backend="trio")
