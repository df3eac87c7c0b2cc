"""The dispatcher: decoding, result-code errors, retries, timeouts and transport failures."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest

from idcode_async import (
    ApiError,
    AuthError,
    BusyError,
    HttpStatusError,
    IdcodeClient,
    IdcodeError,
    ResponseDecodeError,
    RetryPolicy,
    TimeoutError,
    TransportError,
    ValidationError,
)
from idcode_async.endpoints import Addresses, AddressesByParent, UnitRegist

from ..wire import TEST_AUTH_CODE, TEST_TOKEN, read_request

OK = {"result_code": 1, "result_msg": "成功"}
Handler = Callable[[httpx.Request], httpx.Response]


def make_client(handler: Handler, **kwargs: object) -> IdcodeClient:
    kwargs.setdefault("retry", RetryPolicy(max_retries=2, backoff_base=0))
    return IdcodeClient(
        access_token=TEST_TOKEN,
        auth_code=TEST_AUTH_CODE,
        transport=httpx.MockTransport(handler),
        **kwargs,  # type: ignore[arg-type]
    )


def unit() -> UnitRegist:
    return UnitRegist(
        login_name="91110105MA01ABCDE1",
        organunit_name="北京测试科技有限公司",
        code=1,
        province_id=110000,
        city_id=110000,
        area_id=110105,
    )


class Script:
    """A transport that plays a list of answers (responses or exceptions) in order."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def busy() -> httpx.Response:
    return httpx.Response(200, json={"result_code": -1, "result_msg": "系统繁忙，请稍后再试"})


def ok() -> httpx.Response:
    return httpx.Response(200, json=OK)


def gateway_page() -> httpx.Response:
    return httpx.Response(
        502,
        content=b"<html><body>502 Bad Gateway</body></html>",
        headers={"content-type": "text/html"},
    )


async def test_unknown_result_code_raises_plain_api_error():
    script = Script(httpx.Response(200, json={"result_code": 2, "result_msg": "已存在"}))
    async with make_client(script) as client:
        with pytest.raises(ApiError) as info:
            await client.call(Addresses())
    error = info.value
    assert type(error) is ApiError
    assert (error.code, error.message, error.endpoint) == (2, "已存在", 101)
    assert error.body["result_msg"] == "已存在"


async def test_result_code_as_string_and_capitalised_envelope():
    script = Script(httpx.Response(200, json={"ResultCode": "10001", "ResultMsg": "授权失败"}))
    async with make_client(script) as client:
        with pytest.raises(AuthError) as info:
            await client.call(Addresses())
    assert info.value.code == 10001


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (httpx.Response(200, content=b"<!DOCTYPE html><html></html>"), ResponseDecodeError),
        (httpx.Response(200, content=b'{"result_code":1'), ResponseDecodeError),
        (httpx.Response(200, json=[1, 2]), ResponseDecodeError),
        (httpx.Response(200, json={"address_list": []}), ResponseDecodeError),
        (httpx.Response(404, content=b"not found"), HttpStatusError),
        (httpx.Response(403, json={"error": "forbidden"}), HttpStatusError),
        (httpx.Response(200, json={"result_code": "x"}), ResponseDecodeError),
        (httpx.Response(200, json={"result_code": 1, "address_list": "nope"}), ResponseDecodeError),
    ],
)
async def test_malformed_answers_raise_typed_errors(answer, expected):
    async with make_client(Script(answer), retry=RetryPolicy(max_retries=0)) as client:
        with pytest.raises(expected) as info:
            await client.call(Addresses())
    assert info.value.endpoint == 101
    assert not isinstance(info.value.__cause__, (ApiError,))


async def test_html_gateway_page_is_typed_and_retried_for_reads():
    script = Script(gateway_page(), ok())
    async with make_client(script) as client:
        result = await client.call(Addresses())
    assert result.result_code == 1
    assert len(script.requests) == 2


async def test_read_retries_are_bounded_and_raise_the_last_error():
    script = Script(busy(), busy(), busy())
    async with make_client(script) as client:
        with pytest.raises(BusyError) as info:
            await client.call(Addresses())
    assert len(script.requests) == 3
    assert info.value.code == -1


async def test_per_call_retry_override():
    script = Script(busy(), ok())
    async with make_client(script) as client:
        with pytest.raises(BusyError):
            await client.call(Addresses(), retries=0)
        assert len(script.requests) == 1


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("server disconnected"),
        httpx.ReadError("connection reset"),
    ],
)
async def test_reads_retry_on_transport_failures(failure):
    script = Script(failure, ok())
    async with make_client(script) as client:
        await client.call(Addresses())
    assert len(script.requests) == 2


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("connect"), httpx.PoolTimeout("pool")],
)
async def test_writes_retry_only_when_never_sent(failure):
    script = Script(failure, httpx.Response(200, json={**OK, "organunit_idcode": "i.86.1.1"}))
    async with make_client(script) as client:
        result = await client.call(unit())
    assert result.organunit_idcode == "i.86.1.1"
    assert len(script.requests) == 2


async def test_writes_retry_on_busy():
    script = Script(busy(), httpx.Response(200, json={**OK, "organunit_idcode": "i.86.1.1"}))
    async with make_client(script) as client:
        await client.call(unit())
    assert len(script.requests) == 2


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (httpx.ReadTimeout("read timed out"), TimeoutError),
        (httpx.RemoteProtocolError("server disconnected"), TransportError),
        (gateway_page(), ResponseDecodeError),
        (httpx.Response(500, content=b""), HttpStatusError),
    ],
)
async def test_writes_that_may_have_arrived_are_never_resent(failure, expected):
    script = Script(failure, ok())
    async with make_client(script) as client:
        with pytest.raises(expected) as info:
            await client.call(unit())
    assert len(script.requests) == 1
    assert info.value.endpoint == 309


async def test_transport_errors_are_ours_and_chain_httpx():
    script = Script(httpx.ConnectError("refused"))
    async with make_client(script, retry=RetryPolicy(max_retries=0)) as client:
        with pytest.raises(TransportError) as info:
            await client.call(Addresses())
    assert isinstance(info.value, IdcodeError)
    assert isinstance(info.value.__cause__, httpx.ConnectError)


async def test_timeout_is_configurable_per_call():
    seen: list[dict[str, float | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return ok()

    async with make_client(handler, timeout=7.0) as client:
        await client.call(Addresses())
        await client.call(Addresses(), timeout=1.5)
    assert seen[0]["read"] == 7.0
    assert seen[1]["read"] == 1.5


def test_retry_policy_backoff_is_jittered_and_capped():
    policy = RetryPolicy(max_retries=5, backoff_base=0.5, backoff_max=2.0)
    delays = [policy.delay(n) for n in range(1, 6) for _ in range(50)]
    assert all(0 <= d <= 2.0 for d in delays)
    assert len({round(d, 6) for d in delays}) > 10


async def test_logs_carry_metadata_but_no_secrets(caplog):
    script = Script(busy(), ok(), ok())
    caplog.set_level(logging.DEBUG)
    async with make_client(script) as client:
        await client.call(Addresses())
        await client.get("/sp/idcode/examinerecord", params={"company_idcode": "i.86.1.1"})
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "endpoint=101" in text
    assert "result_code=-1 attempt=1" in text
    assert "result_code=1 attempt=2" in text
    assert TEST_TOKEN not in text
    assert TEST_AUTH_CODE not in text
    hashes = [read_request(r).fields["hash"] for r in script.requests[:1]]
    assert all(h not in text for h in hashes)


async def test_errors_and_reprs_never_show_secrets():
    script = Script(httpx.Response(200, json={"result_code": 10002, "result_msg": "已禁用"}))
    async with make_client(script) as client:
        assert TEST_TOKEN not in repr(client)
        with pytest.raises(AuthError) as info:
            await client.call(Addresses())
    for text in (str(info.value), repr(info.value), repr(info.value.body)):
        assert TEST_TOKEN not in text
        assert TEST_AUTH_CODE not in text


def test_api_errors_pickle_round_trip():
    import pickle

    error = BusyError(-1, "busy", 309, {"result_code": -1})
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.code, copy.message, copy.endpoint) == (BusyError, -1, "busy", 309)


async def test_bind_gives_a_typed_coroutine_with_the_specs_parameters():
    script = Script(httpx.Response(200, json={**OK, "address_list": [{"address_id": 1}]}))
    async with make_client(script) as client:
        addresses_by_parent = client.bind(AddressesByParent)
        result = await addresses_by_parent(address_id_parent=0, level=1)
        assert addresses_by_parent.__name__ == "AddressesByParent"
        with pytest.raises(ValidationError):
            await addresses_by_parent(address_id_parent=0, level=9)  # type: ignore[arg-type]
    assert result.address_list[0].address_id == 1
    assert read_request(script.requests[0]).fields["level"] == "1"
    assert len(script.requests) == 1


async def test_cookies_set_by_an_answer_are_kept_and_sent_back_on_the_next_call():
    """The jar skips answers without Set-Cookie; one that sets a cookie still fills it."""
    sent: list[str | None] = []

    def serve(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("cookie"))
        headers = {"set-cookie": "sid=abc; Path=/"} if len(sent) == 1 else {}
        return httpx.Response(200, json={"result_code": 1}, headers=headers)

    async with IdcodeClient(
        access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, transport=httpx.MockTransport(serve)
    ) as client:
        await client.call(Addresses())
        await client.call(Addresses())
        client.cookies = {"other": "1"}
        await client.call(Addresses())
    assert sent == [None, "sid=abc", "other=1"]


async def test_the_client_s_headers_changed_between_calls_go_out_as_they_now_are():
    """The dispatcher keeps the client's headers between calls; a change made in place, or a
    new set assigned, is what the next request carries (and ``Host`` stays first)."""
    script = Script(ok(), ok(), ok(), ok())
    async with make_client(script, headers={"X-Trace": "1"}) as client:
        spec = AddressesByParent(address_id_parent=110000)
        await client.call(spec)
        client.headers["X-Trace"] = "2"
        await client.call(spec)
        client.headers["X-Other"] = "3"
        await client.call(spec)
        client.headers = httpx.Headers({"X-Trace": "4"})
        await client.call(spec)
    sent = [request.headers for request in script.requests]
    assert [headers.get("x-trace") for headers in sent] == ["1", "2", "2", "4"]
    assert [headers.get("x-other") for headers in sent] == [None, None, "3", None]
    assert all(headers.raw[0][0].lower() == b"host" for headers in sent)
