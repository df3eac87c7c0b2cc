"""Issue 10, point 11: ``call()``'s own arguments and the client's state give typed errors.

Nothing is sent for a bad argument: the mock transport fails the test if it is reached.
"""

from __future__ import annotations

import math

import httpx
import pytest

from idcode_async import IdcodeClient, UsageError
from idcode_async.endpoints import Addresses

from ..wire import TEST_AUTH_CODE, TEST_TOKEN


def unreachable(request: httpx.Request) -> httpx.Response:
    raise AssertionError("nothing may be sent for a bad argument")


def client() -> IdcodeClient:
    return IdcodeClient(
        access_token=TEST_TOKEN,
        auth_code=TEST_AUTH_CODE,
        transport=httpx.MockTransport(unreachable),
    )


@pytest.mark.parametrize("retries", [-1, "2", 1.0, True, [1]])
async def test_bad_retry_counts_are_usage_errors(retries: object):
    async with client() as c:
        with pytest.raises(UsageError, match="retries"):
            await c.call(Addresses(), retries=retries)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "timeout",
    ["x", math.nan, math.inf, -1, 0, True, httpx.Timeout(5.0, read=math.nan), [1.0]],
)
async def test_bad_timeouts_are_usage_errors(timeout: object):
    async with client() as c:
        with pytest.raises(UsageError, match="timeout"):
            await c.call(Addresses(), timeout=timeout)  # type: ignore[arg-type]


@pytest.mark.parametrize("deadline", ["5", math.nan, -math.inf, 0, -2.5, False])
async def test_bad_deadlines_are_usage_errors(deadline: object):
    async with client() as c:
        with pytest.raises(UsageError, match="deadline"):
            await c.call(Addresses(), deadline=deadline)  # type: ignore[arg-type]


async def test_calling_a_closed_client_is_a_usage_error():
    c = client()
    await c.aclose()
    with pytest.raises(UsageError, match="closed"):
        await c.call(Addresses())
    with pytest.raises(UsageError, match="closed"):
        await c.get("/x")


async def test_good_arguments_reach_the_wire():
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"result_code": 1})

    async with IdcodeClient(
        access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, transport=httpx.MockTransport(answer)
    ) as c:
        await c.call(Addresses(), retries=0, timeout=5, deadline=10)
        await c.call(Addresses(), retries=3, timeout=None, deadline=0.5)
        await c.call(Addresses(), timeout=httpx.Timeout(5.0, connect=1.0))
    assert len(sent) == 3
    assert sent[0].extensions["timeout"]["read"] == 5
    assert sent[1].extensions["timeout"]["read"] is None
    assert sent[2].extensions["timeout"]["connect"] == 1.0


@pytest.mark.parametrize("name", ["timeout", "upload_timeout"])
@pytest.mark.parametrize("value", ["30", math.nan, -1, httpx.Timeout(5.0, connect=math.inf)])
def test_bad_client_timeouts_are_usage_errors(name: str, value: object):
    with pytest.raises(UsageError, match=name):
        IdcodeClient(access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, **{name: value})  # type: ignore[arg-type]
