"""Issue 10 (adversarial review): the worst object a caller hands a public entry point.

``call``/``page_url``/``page_form``/``bind`` given a class, ``None`` or any other object, a
client built with a malformed ``base_url`` or clock, timeouts too large for a float and region
ids past the digit limit: each is a :class:`UsageError`/:class:`ValidationError` before
anything is sent, never an ``AttributeError``, ``TypeError``, ``ValueError`` or
``OverflowError`` from deep inside.
"""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest

from idcode_async import (
    IdcodeAuth,
    IdcodeClient,
    PageForm,
    RetryPolicy,
    SyncIdcodeClient,
    UsageError,
    ValidationError,
    registry,
    sign,
)
from idcode_async._validators import shown
from idcode_async.domain.regions import RegionDirectory
from idcode_async.endpoints import Addresses, AddressesResponse, CompanyInfoBase, LoginPage

from ..wire import BASE_URL, TEST_AUTH_CODE, TEST_TOKEN

NOT_SPECS: list[Any] = [
    None,
    1,
    "306",
    object(),
    type,
    CompanyInfoBase,
    LoginPage,
    httpx.Request("GET", BASE_URL),
]


def unreachable(request: httpx.Request) -> httpx.Response:
    raise AssertionError("nothing may be sent for a bad argument")


def sync_client() -> SyncIdcodeClient:
    return SyncIdcodeClient(
        access_token=TEST_TOKEN,
        auth_code=TEST_AUTH_CODE,
        transport=httpx.MockTransport(unreachable),
    )


def client(**kwargs: Any) -> IdcodeClient:
    arguments: dict[str, Any] = {
        "access_token": TEST_TOKEN,
        "auth_code": TEST_AUTH_CODE,
        "base_url": BASE_URL,
        "transport": httpx.MockTransport(unreachable),
        **kwargs,
    }
    return IdcodeClient(**arguments)


@pytest.mark.parametrize("value", NOT_SPECS, ids=repr)
async def test_call_takes_only_a_built_spec(value: Any):
    async with client() as c:
        with pytest.raises(UsageError):
            await c.call(value)


@pytest.mark.parametrize("method", ["page_url", "page_form"])
@pytest.mark.parametrize("value", NOT_SPECS, ids=repr)
async def test_page_links_take_only_a_built_spec(method: str, value: Any):
    async with client() as c:
        with pytest.raises(UsageError):
            getattr(c, method)(value)


def test_a_spec_class_is_named_in_the_message():
    with sync_client() as c:
        with pytest.raises(UsageError, match=r"CompanyInfoBase\(\.\.\.\)"):
            c.call(CompanyInfoBase)  # type: ignore[call-overload]
        with pytest.raises(UsageError):
            c.page_url(None)  # type: ignore[arg-type]


NOT_BINDABLE: list[Any] = [None, 1, "UnitRegist", Addresses(), LoginPage, AddressesResponse]


@pytest.mark.parametrize("value", NOT_BINDABLE, ids=repr)
async def test_bind_refuses_what_is_not_a_data_interface(value: Any):
    async with client() as c:
        with pytest.raises(UsageError):
            c.bind(value)
    with sync_client() as s, pytest.raises(UsageError):
        s.bind(value)


async def test_bind_still_takes_every_data_interface_and_a_factory():
    async with client() as c:
        for cls in registry.values():
            if not cls.is_page:
                assert callable(c.bind(cls))  # type: ignore[arg-type]
        assert callable(c.bind(lambda: Addresses()))


@pytest.mark.parametrize(
    "base_url",
    [
        "",
        " ",
        "noscheme",
        "://x",
        "ftp://host/",
        "http://",
        "http://[::1",
        "https://user:hunter2@host\x00/",
        "https://\ud800.example/",
        "https://" + "a" * 70_000,
        0,
        b"https://apitest.idcode.org.cn",
        ["https://apitest.idcode.org.cn"],
    ],
    ids=lambda v: repr(v)[:30],
)
def test_a_malformed_base_url_is_a_usage_error_that_quotes_nothing(base_url: Any):
    with pytest.raises(UsageError) as caught:
        IdcodeClient(access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, base_url=base_url)
    assert "hunter2" not in str(caught.value)
    assert caught.value.__cause__ is None


def test_a_malformed_base_url_from_the_environment_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("IDCODE_BASE_URL", "apitest.idcode.org.cn")
    with pytest.raises(UsageError, match="base_url"):
        IdcodeClient(access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE)


@pytest.mark.parametrize("clock", [None, 1700000000000, "now"], ids=repr)
def test_a_clock_that_is_not_a_function_is_a_usage_error(clock: Any):
    with pytest.raises(UsageError, match="clock"):
        client(clock=clock)


@pytest.mark.parametrize("name", ["timeout", "upload_timeout"])
def test_a_client_timeout_too_large_for_a_float_is_a_usage_error(name: str):
    with pytest.raises(UsageError, match=name):
        client(**{name: 10**400})


@pytest.mark.parametrize("name", ["timeout", "deadline"])
async def test_a_call_timeout_too_large_for_a_float_is_a_usage_error(name: str):
    async with client() as c:
        with pytest.raises(UsageError, match=name) as caught:
            await c.call(Addresses(), **{name: 10**5000})
    assert len(str(caught.value)) < 200  # the number is described, not printed


def test_the_sync_client_takes_a_deadline():
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"result_code": 1, "address_list": []})

    with SyncIdcodeClient(
        access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, transport=httpx.MockTransport(answer)
    ) as s:
        assert s.call(Addresses(), deadline=5.0).address_list == []
        with pytest.raises(UsageError, match="deadline"):
            s.call(Addresses(), deadline=float("nan"))


class _Record:
    def __init__(self, address_id: int, level: int, parent: int) -> None:
        self.address_id = address_id
        self.address_name = str(address_id)
        self.address_level = level
        self.address_id_parent = parent
        self.address_code = str(address_id)


@pytest.mark.parametrize("method", ["validate", "normalise"])
def test_region_ids_past_the_digit_limit_are_validation_errors(method: str):
    directory = RegionDirectory.from_records([_Record(110000, 1, 0), _Record(110100, 2, 110000)])
    huge = 10**5000
    with pytest.raises(ValidationError, match="province_id"):
        getattr(directory, method)(huge, huge, huge)


# -- the other public constructors and helpers of the client -----------------------------------

BAD_NUMBERS: list[Any] = [None, -1, math.nan, math.inf, True, "1", 10**5000, [1]]


@pytest.mark.parametrize("name", ["max_retries", "backoff_base", "backoff_max"])
@pytest.mark.parametrize("value", BAD_NUMBERS, ids=lambda v: shown(v)[:20])
def test_retry_policy_values_are_checked(name: str, value: Any):
    if name == "max_retries" and value == 10**5000:
        return  # an absurd count, but a whole number: the deadline bounds such a call
    with pytest.raises(UsageError, match=name):
        RetryPolicy(**{name: value})


def test_a_thousandth_retry_does_not_overflow_the_backoff():
    assert 0 <= RetryPolicy(max_retries=5000).delay(2000) <= 8.0


@pytest.mark.parametrize("backend", ["curio", "", None, 1, ["asyncio"]], ids=repr)
def test_an_unknown_sync_backend_is_a_usage_error(backend: Any):
    with pytest.raises(UsageError, match="backend"):
        SyncIdcodeClient(access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, backend=backend)
    with pytest.raises(UsageError, match="backend"):
        SyncIdcodeClient.wrap(client(), backend=backend)


@pytest.mark.parametrize("value", [None, "client", object()], ids=repr)
def test_sync_wrap_takes_only_an_idcode_client(value: Any):
    with pytest.raises(UsageError, match="IdcodeClient"):
        SyncIdcodeClient.wrap(value)


def test_sync_run_takes_only_a_coroutine_function():
    with sync_client() as s:
        with pytest.raises(UsageError):
            s.run(None)  # type: ignore[arg-type]
        with pytest.raises(UsageError):
            s.run(lambda client: 1)  # type: ignore[arg-type,return-value]


@pytest.mark.parametrize(
    "arguments",
    [
        ("/p", None, TEST_AUTH_CODE),
        ("/p", b"ab", TEST_AUTH_CODE),
        ("/p", {1: "x", "a": "y"}, TEST_AUTH_CODE),
        ("/p", {"a": "1"}, None),
        (None, {"a": "1"}, TEST_AUTH_CODE),
        (10**5000, {"a": "1"}, TEST_AUTH_CODE),
    ],
    ids=lambda a: shown(a)[:30],
)
def test_sign_with_arguments_of_the_wrong_shape_is_a_usage_error(arguments: tuple[Any, ...]):
    with pytest.raises(UsageError) as caught:
        sign(*arguments)
    assert caught.value.__context__ is None


@pytest.mark.parametrize("base_url", [1, "", "\ud800", "ftp://x/"], ids=repr)
def test_idcode_auth_scope_takes_only_a_base_url(base_url: Any):
    with pytest.raises(UsageError, match="base_url"):
        IdcodeAuth(TEST_TOKEN, TEST_AUTH_CODE, base_url=base_url)


def test_page_form_values_and_nonce_must_be_text():
    with pytest.raises(UsageError):
        PageForm(None, None, None)  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        PageForm("POST", "https://x/", {"a": 1})  # type: ignore[dict-item]
    form = PageForm("POST", "https://x/", {"a": "b"})
    with pytest.raises(UsageError, match="nonce"):
        form.html(nonce=1)  # type: ignore[arg-type]
    assert 'nonce="n1"' in form.html(nonce="n1")


def test_a_password_in_the_base_url_userinfo_is_not_in_repr():
    base = "https://sp:hunter2@apitest.idcode.org.cn"
    async_client = client(base_url=base)
    assert repr(async_client) == "IdcodeClient(base_url='https://sp:***@apitest.idcode.org.cn')"
    with SyncIdcodeClient(access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, base_url=base) as sync:
        assert "hunter2" not in repr(sync)
        assert "sp:***@" in repr(sync)
