"""Issue 10, "what to show": arbitrary answers per endpoint decode or fail typed, never leak.

For every data endpoint of the registry, hypothesis feeds raw bytes, arbitrary JSON values and
documents shaped like the endpoint's answer (its own field names with hostile values) to the
decoder.  The outcome is the endpoint's response class or an :class:`IdcodeError`; anything
else (``ValueError``, ``RecursionError``, ``OverflowError`` …) fails.  Through ``client.call``
the same bodies also show that no exception carries the access token, the authorisation code
or the password that was sent.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idcode_async import IdcodeClient, IdcodeError, RetryPolicy, registry
from idcode_async._decode import decode_answer
from idcode_async._spec import Endpoint
from idcode_async.endpoints import LoginVerify

from ..wire import TEST_AUTH_CODE, TEST_TOKEN
from .secrets import PASSWORD, assert_no_secret

pytestmark = pytest.mark.usefixtures("each_json_parser")

ENDPOINTS = sorted(
    (cls for cls in registry.values() if issubclass(cls, Endpoint)), key=lambda c: c.number
)

numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**60), max_value=10**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False).map(str).map(json.loads),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=30))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
result_codes = st.one_of(
    st.sampled_from([1, -1, 0, 10006, 50001, "1", " 1", "x", True, 1.0, None, [1], {}]),
    numbers,
)


def field_names(cls: type) -> list[str]:
    names: list[str] = []
    for field in attrs.fields(cls):
        names.append(field.name)
    return names


@st.composite
def shaped_answers(draw: st.DrawFn, response_type: type) -> bytes:
    """A JSON object using the response's own field names (space-mangled or not)."""
    names = field_names(response_type)
    body: dict[str, Any] = {"result_code": draw(result_codes)}
    for name in draw(st.lists(st.sampled_from(names), max_size=len(names))):
        key = draw(st.sampled_from([name, f" {name}", f"{name} "]))
        body[key] = draw(json_values)
    if draw(st.booleans()):
        body = {"ResultCode" if k == "result_code" else k: v for k, v in body.items()}
    return json.dumps(body, allow_nan=True).encode()


def raw_number_answers() -> st.SearchStrategy[bytes]:
    digits = st.text(alphabet="0123456789", min_size=1, max_size=40)
    literal = st.one_of(
        st.builds("{}e{}".format, digits, st.integers(-(10**7), 10**7)),
        st.builds("{}.{}E+{}".format, digits, digits, digits),
        st.sampled_from(["NaN", "Infinity", "-Infinity", "1" * 5000, "-0", "1e-400"]),
    )
    return literal.map(lambda n: ('{"result_code":' + n + "}").encode())


def bodies(response_type: type) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=200),
        json_values.map(lambda v: json.dumps(v, allow_nan=True).encode()),
        shaped_answers(response_type),
        raw_number_answers(),
        st.sampled_from([b"<html>gateway</html>", b"", b"[" * 5000, b'{"result_code":1']),
    )


@st.composite
def endpoint_and_body(draw: st.DrawFn) -> tuple[type, bytes, int]:
    cls = draw(st.sampled_from(ENDPOINTS))
    status = draw(st.sampled_from([200, 200, 200, 302, 404, 500, 502]))
    return cls, draw(bodies(cls.response_type)), status


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(endpoint_and_body())
def test_any_answer_decodes_or_raises_a_typed_error(case: tuple[type, bytes, int]):
    cls, body, status = case
    try:
        result = decode_answer(
            body, status=status, endpoint=cls.number, response_type=cls.response_type
        )
    except IdcodeError:
        return
    assert isinstance(result, cls.response_type)
    assert result.result_code == 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies(LoginVerify.response_type))
async def test_through_the_client_no_exception_carries_a_secret(body: bytes):
    async with IdcodeClient(
        access_token=TEST_TOKEN,
        auth_code=TEST_AUTH_CODE,
        retry=RetryPolicy(max_retries=0),
        transport=httpx.MockTransport(lambda request: httpx.Response(200, content=body)),
    ) as client:
        try:
            await client.call(LoginVerify(login_name="u", login_pswd=PASSWORD))
        except IdcodeError as error:
            assert_no_secret(error)
