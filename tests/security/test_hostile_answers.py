"""Issue 10, points 6 and 7: answers are decoded by their body, bounded, and never trusted.

Each case goes through ``client.call`` against a mock of the centre, so the whole path (read,
parse, result code, structuring) is exercised; the decoder must answer with a response object
or a typed :class:`IdcodeError` and nothing else.
"""

from __future__ import annotations

import json

import httpx
import pytest

from idcode_async import (
    HttpStatusError,
    IdcodeClient,
    NotFoundError,
    ResponseDecodeError,
    RetryPolicy,
)
from idcode_async.endpoints import Addresses, CodeUses, UploadCodeList

from ..wire import BASE_URL, TEST_AUTH_CODE, TEST_TOKEN

pytestmark = pytest.mark.usefixtures("each_json_parser")


def client_answering(
    body: bytes, *, status: int = 200, content_type: str = "application/json"
) -> IdcodeClient:
    return IdcodeClient(
        access_token=TEST_TOKEN,
        auth_code=TEST_AUTH_CODE,
        base_url=BASE_URL,
        retry=RetryPolicy(max_retries=0),
        transport=httpx.MockTransport(
            lambda request: httpx.Response(
                status, content=body, headers={"content-type": content_type}
            )
        ),
    )


async def decode_error(body: bytes, spec: object = None, **kwargs: object) -> ResponseDecodeError:
    async with client_answering(body, **kwargs) as client:  # type: ignore[arg-type]
        with pytest.raises(ResponseDecodeError) as caught:
            await client.call(spec or Addresses())  # type: ignore[call-overload]
    return caught.value


# -- point 6: numbers and structure ------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"result_code":1e1000000}',
        b'{"result_code":1,"address_list":[{"address_id":1e1000000}]}',
        b'{"result_code":1,"address_list":[{"address_id":-1E-999999}]}',
        b'{"result_code":1' + b"0" * 5000 + b"}",
        b'{"result_code":1,"address_list":[{"address_id":' + b"9" * 100_000 + b"}]}",
        b'{"result_code":1,"address_list":[{"address_id":1.' + b"5" * 100_000 + b"}]}",
        b'{"result_code":NaN}',
        b'{"result_code":1,"address_list":[{"address_id":Infinity}]}',
        b'{"result_code":1,"address_list":[{"address_id":-Infinity}]}',
        b'{"result_code":1,"address_list":[{"address_id":1e999}]}',
        b"[" * 200_000 + b"]" * 200_000,
        b'{"result_code":1,"x":' + b'{"a":' * 100_000 + b"1" + b"}" * 100_001,
        b'{"result_code":1,"x":' + b"[" * 700 + b"]" * 700 + b"}",
    ],
    ids=[
        "exponent-code",
        "exponent-field",
        "negative-exponent",
        "5000-digit-code",
        "100k-digit-int",
        "100k-digit-decimal",
        "nan",
        "infinity",
        "minus-infinity",
        "overflowing-float",
        "deep-list",
        "deep-object",
        "parsable-but-deep",
    ],
)
async def test_absurd_numbers_and_nesting_are_decode_errors(body: bytes):
    error = await decode_error(body)
    assert error.status_code == 200
    assert error.endpoint == Addresses.number


@pytest.mark.parametrize("code", ["true", "false", "1.0", '"1.5"', "[1]", '{"a":1}', '"one"'])
async def test_only_an_integer_one_is_success(code: str):
    await decode_error(b'{"result_code":' + code.encode() + b"}")


async def test_result_code_as_digit_text_is_still_the_code():
    async with client_answering(b'{"result_code":" 1 ","address_list":[]}') as client:
        result = await client.call(Addresses())
    assert result.result_code == 1
    async with client_answering(b'{"result_code":"10006","result_msg":"none"}') as client:
        with pytest.raises(NotFoundError):
            await client.call(Addresses())


@pytest.mark.parametrize("value", ["[]", '"abc"', "[1, 2]", "7", "true"])
async def test_a_non_object_where_the_document_has_an_object_is_a_decode_error(value: str):
    body = b'{"result_code":1,"data":' + value.encode() + b"}"
    spec = UploadCodeList(company_idcode="i.86.1", category_reg_id="1", code_list_str="1,2")
    error = await decode_error(body, spec)
    assert "data" in str(error)


@pytest.mark.parametrize("item", ['"x"', "[]", "1"])
async def test_a_non_object_item_in_a_list_of_objects_is_a_decode_error(item: str):
    await decode_error(b'{"result_code":1,"codeuse_list":[' + item.encode() + b"]}", CodeUses())


@pytest.mark.parametrize("body", [b"[]", b'"ok"', b"1", b"null"])
async def test_a_top_level_non_object_is_a_decode_error(body: bytes):
    await decode_error(body)


async def test_huge_values_quoted_in_mismatch_messages_are_shortened():
    body = json.dumps({"result_code": 1, "codeuse_list": [{"codeuse_id": "x" * 100_000}]})
    error = await decode_error(body.encode(), CodeUses())
    assert len(str(error)) < 1000


# -- point 7: the body decides, not the label ------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["text/html", "text/html; charset=utf-8", "text/plain", "", "image/png"]
)
async def test_json_labelled_anything_is_the_answer(content_type: str):
    body = json.dumps({"result_code": 1, "address_list": [{"address_id": 7}]}).encode()
    async with client_answering(body, content_type=content_type) as client:
        result = await client.call(Addresses())
    assert result.address_list[0].address_id == 7


async def test_error_codes_labelled_html_raise_their_own_exception():
    body = json.dumps({"result_code": 10006, "result_msg": "无数据"}, ensure_ascii=False)
    async with client_answering(body.encode(), content_type="text/html") as client:
        with pytest.raises(NotFoundError, match="无数据"):
            await client.call(Addresses())


@pytest.mark.parametrize("content_type", ["text/html", "application/json", "text/plain"])
async def test_markup_is_a_gateway_page_whatever_its_label(content_type: str):
    error = await decode_error(
        b"\n  <html><body>502 Bad Gateway</body></html>", content_type=content_type
    )
    assert error.is_html


async def test_plain_text_is_not_json_and_not_html():
    error = await decode_error(b"upstream connect error", content_type="text/html")
    assert not error.is_html


async def test_an_error_status_with_a_non_json_body_is_an_http_status_error():
    async with client_answering(b"Service Unavailable", status=503) as client:
        with pytest.raises(HttpStatusError) as caught:
            await client.call(Addresses(), retries=0)
    assert caught.value.status_code == 503


async def test_an_error_status_with_a_result_code_is_the_centres_answer():
    body = json.dumps({"result_code": 10006, "result_msg": "x"}).encode()
    async with client_answering(body, status=500) as client:
        with pytest.raises(NotFoundError):
            await client.call(Addresses())
