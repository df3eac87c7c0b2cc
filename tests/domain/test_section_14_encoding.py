"""Seed §十四 注意事项: URL-encoding of parameter values, and the nested rule for URLs."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import httpx
import pytest

from idcode_async import ValidationError
from idcode_async.domain.resolve import (
    ResolveUrl,
    build_resolve_url,
    parse_landing,
    scan_target,
    url_encode,
)

UNIT_NAME = "单位名称"
UNIT_NAME_ENCODED = "%E5%8D%95%E4%BD%8D%E5%90%8D%E7%A7%B0"  # UTF-8 E5 8D 95 / E4 BD 8D / …


def wire(**params: str) -> str:
    """The outer encoding every parameter gets on its way to the centre (form or query)."""
    return urlencode(params)


def test_chinese_value_is_url_encoded():
    """1) 参数"organunitname=单位名称": 先将"单位名称"进行 UrlEncode 编码."""
    assert url_encode(UNIT_NAME) == UNIT_NAME_ENCODED
    assert wire(organunitname=UNIT_NAME) == "organunitname=" + UNIT_NAME_ENCODED


def test_url_value_is_url_encoded():
    """1) 参数"gotourl=http://www.idcode.org.cn": 先将网址进行 UrlEncode 编码."""
    assert url_encode("http://www.idcode.org.cn") == "http%3A%2F%2Fwww.idcode.org.cn"
    assert build_resolve_url("http://www.idcode.org.cn") == "http://www.idcode.org.cn"
    assert wire(gotourl="http://www.idcode.org.cn") == "gotourl=http%3A%2F%2Fwww.idcode.org.cn"


def test_nested_rule_encodes_the_inner_parameter_then_the_whole_url():
    """2) gotourl=http://www.idcode.org.cn/m?organunitname=单位名称: inner value, then all."""
    gotourl = build_resolve_url("http://www.idcode.org.cn/m", {"organunitname": UNIT_NAME})
    assert gotourl == "http://www.idcode.org.cn/m?organunitname=" + UNIT_NAME_ENCODED
    expected = (
        "gotourl=http%3A%2F%2Fwww.idcode.org.cn%2Fm%3Forganunitname%3D"
        "%25E5%258D%2595%25E4%25BD%258D%25E5%2590%258D%25E7%25A7%25B0"
    )
    assert wire(gotourl=gotourl) == expected
    assert str(httpx.QueryParams({"gotourl": gotourl})) == expected
    # Decoding once gives the resolve URL, decoding its parameter once more gives the name.
    decoded = dict(parse_qsl(expected))["gotourl"]
    assert decoded == gotourl
    assert dict(parse_qsl(urlsplit(decoded).query)) == {"organunitname": UNIT_NAME}


def test_the_raw_nested_url_is_refused():
    """Sending the example unencoded would break the rule: the SDK refuses it."""
    with pytest.raises(ValidationError, match="§十四") as caught:
        ResolveUrl.parse("http://www.idcode.org.cn/m?organunitname=单位名称")
    assert caught.value.parameter == "gotourl"


def test_a_url_inside_a_resolve_url_is_encoded_twice():
    inner = build_resolve_url("http://www.idcode.org.cn/m", {"organunitname": UNIT_NAME})
    outer = build_resolve_url("http://sp.example.com/jump", {"to": inner})
    assert outer == (
        "http://sp.example.com/jump?to=http%3A%2F%2Fwww.idcode.org.cn%2Fm%3Forganunitname%3D"
        "%25E5%258D%2595%25E4%25BD%258D%25E5%2590%258D%25E7%25A7%25B0"
    )
    to = dict(parse_qsl(urlsplit(outer).query))["to"]
    assert to == inner
    with pytest.raises(ValidationError, match="nested encoding"):
        ResolveUrl.parse("http://sp.example.com/jump?to=" + inner)


def test_special_characters_are_encoded():
    url = build_resolve_url("http://h.com/p", [("q", "a&b=c d/+?#%")])
    assert url == "http://h.com/p?q=a%26b%3Dc%20d%2F%2B%3F%23%25"
    assert dict(parse_qsl(urlsplit(url).query)) == {"q": "a&b=c d/+?#%"}


def test_existing_query_and_fragment_are_kept():
    assert build_resolve_url("http://h.com/p?id=1", {"n": UNIT_NAME}) == (
        "http://h.com/p?id=1&n=" + UNIT_NAME_ENCODED
    )
    assert build_resolve_url("http://h.com/p?", {"n": "x"}) == "http://h.com/p?n=x"
    assert build_resolve_url("http://h.com/#/item", {"n": "x"}) == "http://h.com/?n=x#/item"


def test_placeholders_in_values_stay_placeholders():
    url = build_resolve_url(
        "http://h.com/p", {"name": UNIT_NAME, "c": "{userCode}", "f": "x{fullCode}"}
    )
    assert url == f"http://h.com/p?name={UNIT_NAME_ENCODED}&c={{userCode}}&f=x{{fullCode}}"
    assert scan_target(url, "i.86.101010.3/10.232324.11/201703233") == (
        f"http://h.com/p?name={UNIT_NAME_ENCODED}&c=201703233&f=xi.86.101010.3/10.232324.11/201703233"
    )


def test_empty_last_value_is_where_the_number_goes():
    """§十三 example 2 built with the helper: …aspx?id= gets the number as id's value."""
    url = build_resolve_url("http://www.xxxx.com/xxxx.aspx", {"id": ""})
    assert url == "http://www.xxxx.com/xxxx.aspx?id="
    assert scan_target(url, "i.86.110108.52/91.12000000.1/xxxx") == (
        "http://www.xxxx.com/xxxx.aspx?id=i.86.110108.52/91.12000000.1/xxxx"
    )


def test_landing_of_an_encoded_resolve_url_reads_back():
    gotourl = build_resolve_url("http://www.idcode.org.cn/m", {"organunitname": UNIT_NAME})
    landing = scan_target(gotourl, "i.86.101010.3/10.232324.11/201703233")
    assert landing == gotourl + "&code=i.86.101010.3/10.232324.11/201703233"
    assert str(parse_landing(gotourl, landing)) == "i.86.101010.3/10.232324.11/201703233"
    # A server that hands over the decoded URL still matches.
    assert str(parse_landing(gotourl, unquote(landing))) == ("i.86.101010.3/10.232324.11/201703233")


def test_builder_refuses_an_invalid_base():
    with pytest.raises(ValidationError, match="absolute http"):
        build_resolve_url("www.idcode.org.cn/m", {"a": "b"})
