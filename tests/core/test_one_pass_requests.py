"""The dispatcher's one-pass request builders make the request httpx's ``data=``/``params=``
would: the same URL, headers in the same order, the same body, for any text.

The oracle is httpx itself (``httpx.Request(..., data=…)`` / ``params=…``), not the SDK.
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from idcode_async import _form
from idcode_async._form import form_request, query_request

URL = httpx.URL("https://apitest.idcode.org.cn:8443/sp/idcode/companyinfo/base")
HEADERS = [(b"Accept", b"*/*"), (b"User-Agent", b"idcode-async"), (b"Accept-Encoding", b"gzip")]
# Any encodable text: no lone surrogates (those are a ValidationError before sending).
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
FIELDS = st.dictionaries(TEXT, TEXT, min_size=1, max_size=6)


@given(FIELDS)
def test_a_form_is_what_httpx_data_makes(fields: dict[str, str]) -> None:
    ours = form_request("POST", URL, fields, HEADERS, {"x": 1})
    theirs = httpx.Request("POST", URL, data=fields, headers=HEADERS, extensions={"x": 1})
    assert ours.url == theirs.url
    assert ours.headers.raw == theirs.headers.raw
    assert ours.content == theirs.content
    assert ours.read() == theirs.read()
    assert type(ours.stream) is type(theirs.stream) is httpx.ByteStream
    assert list(ours.stream) == list(theirs.stream)  # the body a transport streams, too
    assert ours.extensions == theirs.extensions


def test_the_body_is_stored_as_httpx_read_would_store_it() -> None:
    """This httpx reads an in-memory body by storing its bytes, so the form stores them
    directly; an httpx that did otherwise would be read as usual."""
    assert _form._loaded is _form._stored
    assert _form._reads_as_stored()
    fallback = httpx.Request("POST", URL, stream=httpx.ByteStream(b"a=1"))
    _form._read(fallback, b"a=1")
    assert fallback.content == b"a=1"


@given(FIELDS)
def test_a_query_is_what_httpx_params_makes(fields: dict[str, str]) -> None:
    ours = query_request(URL, fields, HEADERS, {})
    theirs = httpx.Request("GET", URL, params=fields, headers=HEADERS)
    assert str(ours.url) == str(theirs.url)
    assert ours.url.raw_path == theirs.url.raw_path
    assert ours.headers.raw == theirs.headers.raw
    assert ours.content == theirs.content == b""


def test_a_host_header_given_is_kept_in_its_place() -> None:
    headers = [(b"Accept", b"*/*"), (b"Host", b"example.test")]
    ours = form_request("POST", URL, {"a": "1"}, headers, {})
    theirs = httpx.Request("POST", URL, data={"a": "1"}, headers=headers)
    assert ours.headers.raw == theirs.headers.raw


def test_unencodable_text_fails_as_in_httpx() -> None:
    with pytest.raises(UnicodeEncodeError):
        httpx.Request("POST", URL, data={"a": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        form_request("POST", URL, {"a": "\ud800"}, HEADERS, {})
