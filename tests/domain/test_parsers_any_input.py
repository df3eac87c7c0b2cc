"""Every domain parser, fed anything: a value or a ValidationError, never another exception.

The inputs are what a browser, a QR decoder or a careless caller can hand over: arbitrary
text (lone surrogates and control characters included), ``None`` and other non-strings
where a string is expected, broken URLs (``http://[::1``), and huge strings.
"""

from __future__ import annotations

import contextlib
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idcode_async import (
    IDCode,
    RegionDirectory,
    ResolveUrl,
    ValidationError,
    build_resolve_url,
    parse_landing,
    parse_page_callback,
    parse_scan_query,
    scan_target,
    url_encode,
    validate_sample_url,
)
from idcode_async.domain.resolve import MAX_URL_LENGTH

from .strategies import appending_gotourls, codes

ODD_TEXT = [
    "http://[::1",
    "http://[::1]:99999/x",
    "https://a.com:-1/",
    "https://example.com/{userCode}",
    "https://example.com/a/{userCode}-{userCode}.htm",
    "https://example.com/{catalogCode}{userCode}",
    "https://example.com/{nope}",
    "http://",
    "\ud800",
    "code=\ud800",
    "?CategoryIDcode=i.86.1.2/10.3.4",
    "?CategoryIDcode=i.86.1.2/10.3.4&CategoryIDcode=x",
    "code=i.86.1.1/1.2.3/u&BaseCode=i.86.1.1/1.2.3/",
    "http://s.idcode.org.cn/?code=i.86.1.1",
    "a\x00b",
    "\r\n",
    "%zz",
    "i.86.101010.3",
    "https://example.com/a?id=",
]

text_inputs = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec=None), max_size=40),
    st.sampled_from(ODD_TEXT),
    appending_gotourls(),
    codes.map(str),
)
any_inputs = st.one_of(
    text_inputs,
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.binary(max_size=16),
    st.lists(st.text(max_size=4), max_size=3),
    st.lists(st.tuples(st.text(max_size=4), st.text(max_size=4)), max_size=3),
    st.dictionaries(st.text(max_size=4), st.one_of(st.text(max_size=4), st.integers()), max_size=3),
    st.builds(object),
    codes,
)

PARSERS: dict[str, Any] = {
    "IDCode.parse": lambda a, b, c: IDCode.parse(a),
    "IDCode": lambda a, b, c: IDCode(a, b, c),
    "IDCode.from_content_url": lambda a, b, c: IDCode.from_content_url(a),
    "IDCode.from_content_url(resolvers)": lambda a, b, c: IDCode.from_content_url(a, resolvers=b),
    "parse_scan_query": lambda a, b, c: parse_scan_query(a),
    "parse_scan_query(parameter)": lambda a, b, c: parse_scan_query(a, parameter=b),
    "parse_landing": lambda a, b, c: parse_landing(a, b),
    "parse_landing(category)": lambda a, b, c: parse_landing(a, b, category=c),
    "build_resolve_url": lambda a, b, c: build_resolve_url(a, b),
    "ResolveUrl": lambda a, b, c: ResolveUrl(a),
    "ResolveUrl.parse": lambda a, b, c: ResolveUrl.parse(a),
    "validate_sample_url": lambda a, b, c: validate_sample_url(a, b),
    "scan_target": lambda a, b, c: scan_target(a, b),
    "scan_target(recorded)": lambda a, b, c: scan_target(a, b, recorded=True),
    "url_encode": lambda a, b, c: url_encode(a),
    "parse_page_callback": lambda a, b, c: parse_page_callback(a),
    "RegionDirectory.from_records": lambda a, b, c: RegionDirectory.from_records(a),
}

DIRECTORY = RegionDirectory.from_records(
    [
        SimpleNamespace(
            address_id=i, address_name=n, address_level=lv, address_id_parent=p, address_code=None
        )
        for i, n, lv, p in [
            (110000, "北京", 1, 0),
            (110105, "朝阳", 3, 110000),
            (440000, "广东", 1, 0),
            (440300, "深圳", 2, 440000),
            (440305, "南山", 3, 440300),
        ]
    ]
)


def _outcome(parser: Any, *args: Any) -> None:
    """Call ``parser``; only a ValidationError may come out of it."""
    with contextlib.suppress(ValidationError):
        parser(*args)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(PARSERS)), a=any_inputs, b=any_inputs, c=any_inputs)
def test_any_input_gives_a_value_or_a_validation_error(name, a, b, c):
    _outcome(PARSERS[name], a, b, c)


@settings(max_examples=300, deadline=None)
@given(a=any_inputs, b=any_inputs, c=any_inputs)
def test_region_directory_queries_take_any_input(a, b, c):
    _outcome(DIRECTORY.validate, a, b, c)
    _outcome(DIRECTORY.normalise, a, b, c)
    assert DIRECTORY.get(a) is None or isinstance(a, int)
    assert isinstance(a in DIRECTORY, bool)
    assert isinstance(DIRECTORY.children(a), tuple)
    assert isinstance(DIRECTORY.is_within(a, b), bool)


@pytest.mark.parametrize("name", sorted(PARSERS))
@pytest.mark.parametrize("value", [None, 0, b"http://x", ["a"], {"a": 1}, 1.5])
def test_non_strings_are_validation_errors(name, value):
    with pytest.raises(ValidationError):
        PARSERS[name](value, value, value)


@pytest.mark.parametrize(
    "call",
    [
        lambda: parse_scan_query("http://[::1"),
        lambda: parse_page_callback("http://[::1/?CategoryIDcode=i.86.1.2/10.3.4"),
        lambda: ResolveUrl.parse("http://[::1"),
        lambda: IDCode.from_content_url("http://[::1"),
        lambda: parse_landing("http://[::1", "http://[::1"),
        lambda: url_encode("\ud800"),
        lambda: parse_scan_query({"code": ["i.86.1.1"]}),
    ],
    ids=["scan", "callback", "resolve", "content", "landing", "surrogate", "list-value"],
)
def test_known_escapes_are_validation_errors(call):
    with pytest.raises(ValidationError):
        call()


def test_a_huge_landing_is_refused_quickly():
    """Repeated placeholders match in super-linear time: the length is bounded first."""
    template = "https://example.com/a/{userCode}-{userCode}.htm"
    landing = "https://example.com/a/" + "-" * 200_000
    with pytest.raises(ValidationError, match=str(MAX_URL_LENGTH)):
        parse_landing(template, landing)


def test_a_long_landing_under_the_limit_still_reads_back():
    gotourl = "https://example.com/a?id="
    code = "i.86.110105.1/10.232324.A1/" + "u" * 100
    landing = gotourl + code
    assert str(parse_landing(gotourl, landing)) == code


def test_records_that_are_not_address_records_are_named():
    with pytest.raises(ValidationError) as info:
        RegionDirectory.from_records([SimpleNamespace(address_id=1), ("a", "b")])
    assert info.value.parameter == "records[0]"
    with pytest.raises(ValidationError) as info:
        RegionDirectory.from_records(
            [
                SimpleNamespace(
                    address_id="1",
                    address_name=None,
                    address_level=None,
                    address_id_parent=None,
                    address_code=None,
                )
            ]
        )
    assert info.value.parameter == "records[0].address_id"


@pytest.mark.parametrize(
    "call",
    [
        lambda: IDCode.parse("i.86.1.1/" + "x" * 1_000_000 + "/"),
        lambda: parse_scan_query("code=" + "y" * 1_000_000),
        lambda: ResolveUrl.parse("ftp://" + "z" * 7000),
        lambda: parse_page_callback("CategoryIDcode=" + "w" * 1_000_000),
    ],
    ids=["parse", "scan", "resolve", "callback"],
)
def test_messages_quote_huge_values_briefly(call):
    with pytest.raises(ValidationError) as info:
        call()
    assert len(str(info.value)) < 400
