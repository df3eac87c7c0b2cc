"""``IdcodeClient()`` reads its credentials from ``IDCODE_*`` variables; explicit ones win.

Checked on the wire: the request the client sends carries the token that was chosen and a
hash the document's rule (seed §四) reproduces with the chosen authorisation code, at the
chosen host.
"""

from __future__ import annotations

import httpx
import pytest

from idcode_async import TEST_BASE_URL, IdcodeClient, UsageError
from idcode_async._credentials import resolve_credentials
from idcode_async.endpoints import Addresses

from ..wire import TEST_AUTH_CODE, TEST_TOKEN, document_hash, read_request

OTHER_TOKEN = "OTHERKEY00000000000000000"
OTHER_AUTH_CODE = "OTHERAUTHCODE0000000000000000000"
ALL_VARIABLES = ("IDCODE_ACCESS_TOKEN", "IDCODE_AUTH_CODE", "IDCODE_BASE_URL")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ALL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


async def sent_request(**arguments: str) -> httpx.Request:
    """The one request ``IdcodeClient(**arguments)`` sends for 101."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"result_code": 1, "result_msg": "成功", "data": []})

    async with IdcodeClient(transport=httpx.MockTransport(handler), **arguments) as client:
        await client.call(Addresses())
    (request,) = seen
    return request


def assert_signed_with(request: httpx.Request, token: str, auth_code: str) -> None:
    wire = read_request(request)
    assert wire.fields["access_token"] == token
    assert wire.fields["hash"] == document_hash(wire.path, wire.fields, auth_code)


async def test_no_arguments_read_the_three_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDCODE_ACCESS_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("IDCODE_AUTH_CODE", TEST_AUTH_CODE)
    monkeypatch.setenv("IDCODE_BASE_URL", "http://127.0.0.1:8765")
    request = await sent_request()
    assert str(request.url).startswith("http://127.0.0.1:8765/")
    assert_signed_with(request, TEST_TOKEN, TEST_AUTH_CODE)


async def test_explicit_arguments_win_over_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDCODE_ACCESS_TOKEN", OTHER_TOKEN)
    monkeypatch.setenv("IDCODE_AUTH_CODE", OTHER_AUTH_CODE)
    monkeypatch.setenv("IDCODE_BASE_URL", "http://127.0.0.1:8765")
    request = await sent_request(
        access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, base_url="https://api.example.test"
    )
    assert request.url.host == "api.example.test"
    assert_signed_with(request, TEST_TOKEN, TEST_AUTH_CODE)


async def test_each_argument_falls_back_on_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDCODE_AUTH_CODE", TEST_AUTH_CODE)
    request = await sent_request(access_token=TEST_TOKEN)
    assert str(request.url).startswith(TEST_BASE_URL + "/")
    assert_signed_with(request, TEST_TOKEN, TEST_AUTH_CODE)


@pytest.mark.parametrize(
    ("environment", "named", "not_named"),
    [
        pytest.param({}, ["IDCODE_ACCESS_TOKEN", "IDCODE_AUTH_CODE"], [], id="neither"),
        pytest.param(
            {"IDCODE_ACCESS_TOKEN": TEST_TOKEN}, ["IDCODE_AUTH_CODE"], ["IDCODE_ACCESS"], id="code"
        ),
        pytest.param(
            {"IDCODE_AUTH_CODE": TEST_AUTH_CODE, "IDCODE_ACCESS_TOKEN": ""},
            ["IDCODE_ACCESS_TOKEN"],
            ["IDCODE_AUTH_CODE"],
            id="token-empty",
        ),
    ],
)
def test_missing_credentials_are_a_usage_error_naming_the_variables(
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    named: list[str],
    not_named: list[str],
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(UsageError) as caught:
        IdcodeClient()
    text = str(caught.value)
    for name in named:
        assert f"${name}" in text
    for name in not_named:
        assert name not in text
    for value in environment.values():
        if value:
            assert value not in text
            assert value not in repr(caught.value.args)


def test_an_explicit_empty_credential_is_refused_not_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IDCODE_ACCESS_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("IDCODE_AUTH_CODE", TEST_AUTH_CODE)
    with pytest.raises(UsageError, match="required"):
        IdcodeClient(access_token="")


def test_resolved_credentials_hide_their_values() -> None:
    credentials = resolve_credentials(
        TEST_TOKEN, TEST_AUTH_CODE, None, default_base_url=TEST_BASE_URL, environ={}
    )
    assert (credentials.access_token, credentials.auth_code) == (TEST_TOKEN, TEST_AUTH_CODE)
    assert TEST_TOKEN not in repr(credentials)
    assert TEST_AUTH_CODE not in repr(credentials)
    assert TEST_BASE_URL in repr(credentials)
