"""Header bytes laid out once (``_headers.py``) and the aiohttp transport's remembered request
head (``_aiohttp_wire.py``) give what httpx's own constructor and a fresh decode give.

The oracles are httpx's ``Headers`` and latin-1 decoding / yarl parsing done afresh.
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from idcode_async._aiohttp_wire import AUTO_HEADERS, RequestHead
from idcode_async._headers import _built_entries, _own_entries, entries, headers_of

NAMES = st.binary(min_size=1, max_size=12).filter(lambda name: b":" not in name)
PAIRS = st.lists(st.tuples(NAMES, st.binary(max_size=20)), max_size=8)
ENDPOINT = httpx.URL("https://apitest.idcode.org.cn/sp/idcode/companyinfo/base")


@given(PAIRS)
def test_laid_out_headers_are_what_httpx_makes_of_the_same_bytes(pairs: list[tuple[bytes, bytes]]):
    ours, theirs = headers_of(pairs), httpx.Headers(pairs)
    assert ours.raw == theirs.raw
    assert ours.multi_items() == theirs.multi_items()
    assert ours.encoding == theirs.encoding
    copied = httpx.Response(200, headers=ours).headers
    assert type(copied) is httpx.Headers
    assert copied.raw == pairs


def test_a_laid_out_request_is_looked_up_and_changed_like_httpx_s():
    pairs = [(b"Content-Type", b"text/plain"), (b"X-Twice", b"1"), (b"x-twice", b"2")]
    ours = httpx.Request("POST", ENDPOINT, headers=headers_of(pairs), content=b"")
    theirs = httpx.Request("POST", ENDPOINT, headers=pairs, content=b"")
    assert ours.headers.raw == theirs.headers.raw
    assert ours.headers["x-twice"] == theirs.headers["x-twice"] == "1, 2"
    ours.headers["X-Twice"] = theirs.headers["X-Twice"] = "3"
    del ours.headers["content-type"], theirs.headers["content-type"]
    assert ours.headers.raw == theirs.headers.raw


@given(PAIRS)
def test_header_text_is_latin_1_of_the_bytes_in_order(pairs: list[tuple[bytes, bytes]]):
    head = RequestHead()
    request = httpx.Request("GET", ENDPOINT, headers=pairs)
    expected = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in pairs]
    for _ in range(2):  # decoded, then remembered
        sent = list(head.head(request).headers.items())
        assert sent == [(n.decode("latin-1"), v.decode("latin-1")) for n, v in request.headers.raw]
        assert [pair for pair in sent if pair not in expected] in ([], [sent[0]])  # Host


def test_header_text_stays_right_past_what_is_remembered():
    head = RequestHead()
    for number in range(600):
        request = httpx.Request("GET", ENDPOINT, headers=[(b"X-N", str(number).encode())])
        assert head.head(request).headers.getall("X-N") == [str(number)]


def test_the_same_headers_give_one_read_only_multidict_and_others_their_own():
    head = RequestHead()
    pairs = [(b"Content-Type", b"application/x-www-form-urlencoded"), (b"Content-Length", b"3")]
    first = head.head(httpx.Request("POST", ENDPOINT, headers=pairs)).headers
    again = head.head(httpx.Request("POST", ENDPOINT, headers=pairs)).headers
    assert again is first  # calls in flight share it: aiohttp only copies from it
    with pytest.raises(TypeError):
        first["X-Changed"] = "1"  # type: ignore[index]
    longer = [*pairs[:1], (b"Content-Length", b"30")]
    other = head.head(httpx.Request("POST", ENDPOINT, headers=longer)).headers
    assert other is not first
    assert other.getall("Content-Length") == ["30"]
    assert first.getall("Content-Length") == ["3"]
    for number in range(200):  # bounded: sets of headers never met again are let go
        head.head(httpx.Request("POST", ENDPOINT, headers=[(b"X-N", str(number).encode())]))
    assert len(head._heads) <= 64


def test_aiohttp_is_asked_to_skip_its_own_headers_only_when_the_request_lacks_one():
    head = RequestHead()
    full = [
        (b"Accept", b"*/*"),
        (b"accept-encoding", b"gzip"),
        (b"User-Agent", b"idcode-async"),
        (b"Content-Type", b"text/plain"),
    ]
    assert head.head(httpx.Request("POST", ENDPOINT, headers=full)).skip is None
    for missing in range(len(full)):
        lacking = full[:missing] + full[missing + 1 :]
        skip = head.head(httpx.Request("POST", ENDPOINT, headers=lacking)).skip
        assert skip == AUTO_HEADERS


def test_an_endpoint_url_is_parsed_once_and_a_url_with_a_query_is_never_kept():
    head = RequestHead()
    first = head.url(httpx.Request("POST", ENDPOINT))
    assert first == URL(str(ENDPOINT), encoded=True)
    request = httpx.Request("POST", ENDPOINT)
    request.url = ENDPOINT  # the dispatcher's requests carry the client's URL object
    assert head.url(request) == first
    signed = ENDPOINT.copy_with(query=b"access_token=secret&hash=ABC")
    assert head.url(httpx.Request("GET", signed)) == URL(str(signed), encoded=True)
    assert all(not known.query for known, _ in head._urls.values())


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Content-Encoding", "set-cookie", "X-É", "Host"]),
            st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=8),
        ),
        max_size=6,
    ),
    st.sampled_from(["utf-8", "latin-1"]),
)
def test_entries_are_httpx_s_headers_as_name_lower_case_name_value(
    pairs: list[tuple[str, str]], encoding: str
):
    """Read from httpx's own list where its layout is known; built from ``raw`` elsewhere."""
    headers = httpx.Headers(pairs, encoding=encoding)
    headers["Accept"] = "x"  # changed in place, as a user may change the client's headers
    expected = [(name, name.lower(), value) for name, value in headers.raw]
    assert entries(headers) == expected
    assert _built_entries(headers) == expected
    assert entries is _own_entries  # this httpx keeps the layout the check on import expects
