"""Section 四: the HTTP signature, from the document's worked example to awkward values."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from idcode_async import IdcodeAuth, IdcodeClient, UsageError, canonical_string, sign
from idcode_async.endpoints import AddressesByParent

from ..wire import (
    FIXED_TIME,
    TEST_AUTH_CODE,
    TEST_TOKEN,
    WireRequest,
    assert_signed,
    document_hash,
    read_request,
)

GOLDEN_PARAMS = {
    "access_token": TEST_TOKEN,
    "name": "zhangsan",
    "id": "123",
    "time": "1497587696789",
}
GOLDEN_CANONICAL = (
    "/abc/def?access_token=J7X4LuOOfURXeAAEAAAAAABSK&id=123&name=zhangsan&time=1497587696789"
)
GOLDEN_HASH = "4E5B67B75447486AFC147BE5DEBF7758"


def test_document_canonical_string():
    assert canonical_string("/abc/def", GOLDEN_PARAMS) == GOLDEN_CANONICAL


def test_document_golden_hash():
    assert sign("/abc/def", GOLDEN_PARAMS, TEST_AUTH_CODE) == GOLDEN_HASH


def test_independent_rule_agrees_with_golden():
    # Guards the test-side helper itself against drift.
    assert document_hash("/abc/def", GOLDEN_PARAMS) == GOLDEN_HASH


@given(
    st.dictionaries(
        st.text(max_size=6),
        st.one_of(st.text(max_size=6), st.integers(), st.decimals(allow_nan=False)),
        max_size=8,
    )
)
def test_the_canonical_string_is_the_document_s_rule_for_any_parameters(
    params: dict[str, object],
):
    """Seed §四 as written: names sorted, ``name=value`` joined by ``&``, ``hash`` left out
    (values that are not text, such as a caller's numbers, appear as their text)."""
    rule = "&".join(f"{name}={params[name]}" for name in sorted(params) if name != "hash")
    assert canonical_string("/p", params) == f"/p?{rule}"  # type: ignore[arg-type]


def test_hash_parameter_is_never_signed():
    with_hash = {**GOLDEN_PARAMS, "hash": "anything"}
    assert sign("/abc/def", with_hash, TEST_AUTH_CODE) == GOLDEN_HASH


async def test_golden_request_end_to_end():
    """A raw GET through the client's auth hook reproduces the document's final URL."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"result_code": 1, "result_msg": "成功"})

    async with IdcodeClient(
        access_token=TEST_TOKEN,
        auth_code=TEST_AUTH_CODE,
        base_url="http://api.idcode.org.cn",
        transport=httpx.MockTransport(answer),
        clock=lambda: 1497587696789,
    ) as client:
        await client.get("/abc/def", params={"name": "zhangsan", "id": "123"})
    wire = read_request(seen[0])
    assert wire.fields["hash"] == GOLDEN_HASH
    assert wire.fields["time"] == "1497587696789"


AWKWARD_VALUES = [
    "单位名称",
    "a&b=c",
    "1+1=2",
    "100%",
    "a/b?c",
    "with spaces  and\ttab",
    "http://www.idcode.org.cn/m?organunitname=单位名称&x=1+2&y=%41",
    "QUJD+/=",
    "",
]


def _capture() -> tuple[list[WireRequest], httpx.MockTransport]:
    captured: list[WireRequest] = []

    def answer(request: httpx.Request) -> httpx.Response:
        captured.append(read_request(request))
        return httpx.Response(200, json={"result_code": 1, "result_msg": "成功"})

    return captured, httpx.MockTransport(answer)


@pytest.mark.parametrize("value", AWKWARD_VALUES)
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_awkward_values_verify_after_decoding(value: str, method: str):
    """Values are signed raw; what the server decodes (query or form) must verify."""
    captured, transport = _capture()
    async with IdcodeClient(
        access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, transport=transport
    ) as client:
        if method == "GET":
            await client.get("/sp/idcode/x", params={"v": value, "name": "n"})
        else:
            await client.post("/sp/idcode/x", data={"v": value, "name": "n"})
    (wire,) = captured
    assert wire.fields["v"] == value
    assert_signed(wire)


async def test_signature_over_encoded_values_would_differ():
    """The hash is over raw values: the percent-encoded form gives another hash."""
    raw = {"access_token": TEST_TOKEN, "name": "单位 名称", "time": str(FIXED_TIME)}
    encoded = {**raw, "name": "%E5%8D%95%E4%BD%8D+%E5%90%8D%E7%A7%B0"}
    assert sign("/p", raw, TEST_AUTH_CODE) != sign("/p", encoded, TEST_AUTH_CODE)


async def test_every_attempt_is_signed_afresh():
    times = iter([1700000000001, 1700000000002])
    captured: list[WireRequest] = []

    def answer(request: httpx.Request) -> httpx.Response:
        captured.append(read_request(request))
        if len(captured) == 1:
            return httpx.Response(200, json={"result_code": -1, "result_msg": "系统繁忙"})
        return httpx.Response(200, json={"result_code": 1, "result_msg": "成功"})

    async with IdcodeClient(
        access_token=TEST_TOKEN,
        auth_code=TEST_AUTH_CODE,
        transport=httpx.MockTransport(answer),
        clock=lambda: next(times),
    ) as client:
        client.retry = client.retry.__class__(max_retries=2, backoff_base=0)
        await client.call(AddressesByParent(address_id_parent=0))
    assert [w.fields["time"] for w in captured] == ["1700000000001", "1700000000002"]
    for wire in captured:
        assert_signed(wire)
    assert captured[0].fields["hash"] != captured[1].fields["hash"]


async def test_zero_is_sent_and_none_is_not():
    captured, transport = _capture()
    async with IdcodeClient(
        access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, transport=transport
    ) as client:
        await client.call(AddressesByParent(address_id_parent=0))
    (wire,) = captured
    assert wire.fields["address_id_parent"] == "0"
    assert "level" not in wire.fields
    assert_signed(wire)


async def test_raw_request_signing_ignores_caller_supplied_signature_fields():
    captured, transport = _capture()
    async with IdcodeClient(
        access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, transport=transport
    ) as client:
        await client.post("/sp/idcode/x", data={"a": "1", "hash": "forged", "time": "1"})
    (wire,) = captured
    assert wire.fields["hash"] != "forged"
    assert wire.fields["time"] != "1"
    assert_signed(wire)


async def test_raw_multipart_is_refused_rather_than_sent_unsigned():
    _, transport = _capture()
    async with IdcodeClient(
        access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, transport=transport
    ) as client:
        with pytest.raises(UsageError):
            await client.post("/sp/idcode/x", data={"a": "1"}, files={"f": ("a.txt", b"x")})


def test_auth_requires_both_secrets():
    with pytest.raises(UsageError):
        IdcodeAuth("", TEST_AUTH_CODE)
    with pytest.raises(UsageError):
        IdcodeAuth(TEST_TOKEN, "")


def test_auth_repr_hides_secrets():
    text = repr(IdcodeAuth(TEST_TOKEN, TEST_AUTH_CODE))
    assert TEST_TOKEN not in text
    assert TEST_AUTH_CODE not in text


async def test_raw_post_without_body_signs_its_query_into_the_form():
    captured, transport = _capture()
    async with IdcodeClient(
        access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, transport=transport
    ) as client:
        await client.post("/sp/idcode/x", params={"a": "中"})
    (wire,) = captured
    assert wire.query == {}
    assert wire.fields["a"] == "中"
    assert_signed(wire)
