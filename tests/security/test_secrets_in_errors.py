"""Issue 10, point 3: no exception ever carries a secret, and the wire plan's repr masks them.

A lone surrogate used to escape as ``UnicodeEncodeError`` whose args held the whole canonical
string: the path, the access token, every password, and the authorisation code appended.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from idcode_async import (
    IdcodeAuth,
    IdcodeClient,
    IdcodeError,
    InvalidParameterError,
    LoginError,
    RetryPolicy,
    TransportError,
    UsageError,
    ValidationError,
    registry,
    sign,
)
from idcode_async.endpoints import CodeDownloadUrl, ExamineRecord, LoginVerify

from ..endpoints.samples import samples
from ..wire import BASE_URL, TEST_AUTH_CODE, TEST_TOKEN
from .secrets import PASSWORD, assert_no_secret, exception_texts

SURROGATE = "\ud800"


def client_for(transport: httpx.MockTransport | None = None) -> IdcodeClient:
    return IdcodeClient(
        access_token=TEST_TOKEN,
        auth_code=TEST_AUTH_CODE,
        base_url=BASE_URL,
        retry=RetryPolicy(max_retries=0),
        transport=transport or httpx.MockTransport(lambda r: httpx.Response(200, json={})),
    )


def test_the_signer_reports_the_parameter_never_the_canonical_string():
    with pytest.raises(ValidationError) as caught:
        sign("/p", {"access_token": TEST_TOKEN, "login_pswd": PASSWORD + SURROGATE}, TEST_AUTH_CODE)
    assert caught.value.parameter == "login_pswd"
    assert caught.value.__context__ is None
    assert caught.value.__cause__ is None
    assert_no_secret(caught.value)


async def test_a_surrogate_in_a_password_through_call_is_a_clean_validation_error():
    async with client_for() as client:
        with pytest.raises(ValidationError) as caught:
            await client.call(LoginVerify(login_name="u", login_pswd=PASSWORD + SURROGATE))
    assert caught.value.parameter == "login_pswd"
    assert_no_secret(caught.value)


@pytest.mark.parametrize("where", ["login_name", "login_pswd"])
async def test_a_surrogate_anywhere_names_no_secret(where: str):
    values = {"login_name": "u", "login_pswd": PASSWORD, where: "x" + SURROGATE}
    async with client_for() as client:
        with pytest.raises(ValidationError) as caught:
            await client.call(LoginVerify(**values))
    assert_no_secret(caught.value)


async def test_a_surrogate_in_a_hand_built_query_is_a_clean_validation_error():
    async with client_for() as client:
        with pytest.raises(ValidationError) as caught:
            await client.get("/sp/idcode/examinerecord", params={"q": PASSWORD + SURROGATE})
    assert_no_secret(caught.value)


def test_a_surrogate_in_a_page_link_is_a_clean_validation_error():
    # refused when the spec is built, or at the latest when the link is signed
    with pytest.raises(ValidationError) as caught:
        client_for().page_url(
            registry[607](callback_url="https://sp.example.com/cb?x=" + SURROGATE)
        )
    assert_no_secret(caught.value)


@pytest.mark.parametrize("bad", [SURROGATE, "a" + SURROGATE + "b"])
def test_unencodable_credentials_are_refused_without_echoing_them(bad: str):
    with pytest.raises(UsageError) as caught:
        IdcodeAuth(TEST_TOKEN + bad, TEST_AUTH_CODE)
    assert TEST_TOKEN not in repr(caught.value)
    with pytest.raises(UsageError):
        IdcodeAuth(TEST_TOKEN, TEST_AUTH_CODE + bad)


def test_the_wire_plan_masks_passwords_in_its_repr():
    for spec in (
        LoginVerify(login_name="u", login_pswd=PASSWORD),
        CodeDownloadUrl(company_idcode="i.86.1", uploadcode_id="1", password=PASSWORD),
    ):
        wire = spec.wire()
        assert PASSWORD in wire.fields.values()  # the value is there to be sent...
        assert PASSWORD not in repr(wire)  # ...but never shown
        assert "'***'" in repr(wire)


async def test_the_wire_plan_on_the_request_extensions_shows_no_password():
    seen: list[str] = []

    def transport(request: httpx.Request) -> httpx.Response:
        seen.append(repr(request.extensions))
        return httpx.Response(200, json={"result_code": 1})

    async with client_for(httpx.MockTransport(transport)) as client:
        await client.call(LoginVerify(login_name="u", login_pswd=PASSWORD))
    assert "WireParams" in seen[0]
    assert PASSWORD not in seen[0]


async def test_a_transport_error_quoting_the_signed_url_is_not_chained():
    """608 is sent as GET: its URL holds access_token and hash."""

    def transport(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    async with client_for(httpx.MockTransport(transport)) as client:
        with pytest.raises(TransportError) as caught:
            await client.call(ExamineRecord(company_idcode="i.86.120103.1021", type=1))
    assert "access_token=***" in str(caught.value)
    assert_no_secret(caught.value)


async def test_a_clean_transport_error_stays_chained_for_debugging():
    def transport(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with client_for(httpx.MockTransport(transport)) as client:
        with pytest.raises(TransportError) as caught:
            await client.call(LoginVerify(login_name="u", login_pswd=PASSWORD))
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert_no_secret(caught.value)


async def test_a_transport_error_holding_the_signed_url_is_not_chained():
    """608's request keeps the token in its URL; the chained httpx error would keep it
    (``exc.__cause__.request.url``) even when its own text is clean."""

    def transport(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with client_for(httpx.MockTransport(transport)) as client:
        with pytest.raises(TransportError) as caught:
            await client.call(ExamineRecord(company_idcode="i.86.120103.1021", type=1))
    assert caught.value.__cause__ is None
    assert "ConnectError" in str(caught.value)
    assert_no_secret(caught.value)


def test_the_checker_itself_finds_a_secret_in_a_chain():
    try:
        try:
            raise ValueError(TEST_TOKEN)
        except ValueError:
            raise IdcodeError("outer") from None
    except IdcodeError as error:
        found = any(TEST_TOKEN in text for text in exception_texts(error))
    assert found  # the context is still there: the checks above look that deep


# -- a peer that echoes the request back --------------------------------------------------------


def _echoed(request: httpx.Request) -> str:
    """What a gateway quoting the request shows: the URL and the body as sent."""
    return str(request.url) + " " + request.read().decode("utf-8", "replace")


ECHOES = {
    "result_msg": lambda r: httpx.Response(
        200, json={"result_code": 10000, "result_msg": _echoed(r), "echo": [{"q": _echoed(r)}]}
    ),
    "busy": lambda r: httpx.Response(200, json={"result_code": -1, "result_msg": _echoed(r)}),
    "html page": lambda r: httpx.Response(
        502, text=f"<html>{_echoed(r)}</html>", headers={"content-type": "text/html"}
    ),
    "broken json": lambda r: httpx.Response(200, text='{"result_msg":"' + _echoed(r)),
}


@pytest.mark.parametrize("answer", list(ECHOES), ids=str)
@pytest.mark.parametrize(
    "spec",
    [
        LoginVerify(login_name="u", login_pswd=PASSWORD),
        CodeDownloadUrl(company_idcode="i.86.1", uploadcode_id="1", password="Pw-9x!Q2z"),
        ExamineRecord(company_idcode="i.86.120103.1021", type=1),
    ],
    ids=lambda spec: str(spec.number),
)
async def test_a_peer_echoing_the_request_gets_no_secret_into_the_error(answer: str, spec: Any):
    async with client_for(httpx.MockTransport(ECHOES[answer])) as client:
        with pytest.raises(IdcodeError) as caught:
            await client.call(spec)
    assert_no_secret(caught.value)
    for text in exception_texts(caught.value):
        assert "Pw-9x!Q2z" not in text
        assert "Pw-9x%21Q2z" not in text


async def test_an_echoed_402_json_str_and_a_transport_error_quoting_it_are_scrubbed():
    spec = samples()[402]

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused: " + _echoed(request), request=request)

    for transport in (ECHOES["result_msg"], refuse):
        async with client_for(httpx.MockTransport(transport)) as client:
            with pytest.raises(IdcodeError) as caught:
                await client.call(spec)
        assert_no_secret(caught.value)


async def test_scrubbing_keeps_the_result_code_and_the_rest_of_the_message():
    answer = {"result_code": 10005, "result_msg": f"密码 {PASSWORD} 错误"}
    async with client_for(httpx.MockTransport(lambda r: httpx.Response(200, json=answer))) as c:
        with pytest.raises(LoginError) as caught:
            await c.call(LoginVerify(login_name="u", login_pswd=PASSWORD))
    assert caught.value.code == 10005
    assert caught.value.message == "密码 *** 错误"
    assert caught.value.body["result_msg"] == "密码 *** 错误"
    assert_no_secret(caught.value)


async def test_a_short_password_is_masked_by_name_and_the_message_stays_readable():
    async with client_for(httpx.MockTransport(ECHOES["result_msg"])) as client:
        with pytest.raises(InvalidParameterError) as caught:
            await client.call(LoginVerify(login_name="u", login_pswd="12"))
    assert str(caught.value).startswith("endpoint 601: result code 10000: ")
    assert "login_pswd=***" in caught.value.message
    for text in exception_texts(caught.value):
        assert "login_pswd=12" not in text
    assert_no_secret(caught.value)
