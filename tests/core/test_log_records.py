"""Issue 14: log records carry their values as attributes, and still no secret."""

from __future__ import annotations

import logging

import httpx
import pytest

from idcode_async import IdcodeClient, NotFoundError, RetryPolicy
from idcode_async.endpoints import LoginVerify

from ..wire import TEST_AUTH_CODE, TEST_TOKEN

PASSWORD = "Pässwort-log-91"


async def test_each_attempt_logs_its_values_as_record_attributes(caplog: pytest.LogCaptureFixture):
    answers = [
        httpx.Response(200, json={"result_code": -1, "result_msg": "busy"}),
        httpx.Response(200, json={"result_code": 10006, "result_msg": "无数据"}),
    ]
    caplog.set_level(logging.DEBUG, logger="idcode_async")
    async with IdcodeClient(
        access_token=TEST_TOKEN,
        auth_code=TEST_AUTH_CODE,
        transport=httpx.MockTransport(lambda request: answers.pop(0)),
        retry=RetryPolicy(max_retries=1, backoff_base=0),
    ) as client:
        with pytest.raises(NotFoundError):
            await client.call(LoginVerify(login_name="u", login_pswd=PASSWORD))
    attempts = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert [(r.endpoint, r.method, r.status, r.result_code, r.attempt) for r in attempts] == [  # type: ignore[attr-defined]
        (601, "POST", 200, -1, 1),
        (601, "POST", 200, 10006, 2),
    ]
    assert all(isinstance(r.elapsed_ms, float) and r.elapsed_ms >= 0 for r in attempts)  # type: ignore[attr-defined]
    (retry,) = [r for r in caplog.records if r.levelno == logging.INFO and r.name == "idcode_async"]
    assert (retry.endpoint, retry.attempt) == (601, 1)  # type: ignore[attr-defined]
    for record in caplog.records:
        text = record.getMessage() + repr(vars(record))
        for secret in (TEST_TOKEN, TEST_AUTH_CODE, PASSWORD):
            assert secret not in text
