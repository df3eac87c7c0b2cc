"""Seed §十三 解析地址格式说明: where a scan lands, and reading the number back."""

from __future__ import annotations

from typing import ClassVar

import attrs
import pytest

from idcode_async import ValidationError
from idcode_async.domain.idcode import IDCode
from idcode_async.domain.resolve import (
    MAX_SEGMENT_LENGTH,
    ResolveUrl,
    gotourl_validator,
    parse_landing,
    parse_scan_query,
    scan_target,
    validate_sample_url,
)

XXXX = "i.86.110108.52/91.12000000.1/xxxx"
CODE = "i.86.101010.3/10.232324.11/201703233"

# 举例说明一～三: (解析地址, 注册码 landing, 备案码 landing, parameter the number arrives in)
EXAMPLES_1_TO_3 = [
    pytest.param(
        "http://www.xxxx.com/xxxx.aspx?id=1",
        "http://www.xxxx.com/xxxx.aspx?id=1&code=i.86.110108.52/91.12000000.1/xxxx",
        "http://www.xxxx.com/xxxx.aspx?id=1&code=xxxx&BaseCode=i.86.110108.52/91.12000000.1/",
        "code",
        id="example-1",
    ),
    pytest.param(
        "http://www.xxxx.com/xxxx.aspx?id=",
        "http://www.xxxx.com/xxxx.aspx?id=i.86.110108.52/91.12000000.1/xxxx",
        "http://www.xxxx.com/xxxx.aspx?id=xxxx&BaseCode=i.86.110108.52/91.12000000.1/",
        "id",
        id="example-2",
    ),
    pytest.param(
        "http://www.xxxx.com/xxxx.aspx",
        "http://www.xxxx.com/xxxx.aspx?code=i.86.110108.52/91.12000000.1/xxxx",
        "http://www.xxxx.com/xxxx.aspx?code=xxxx&BaseCode=i.86.110108.52/91.12000000.1/",
        "code",
        id="example-3",
    ),
]

# 举例说明四, 使用方法举例 1～3
EXAMPLE_4 = [
    pytest.param(
        "http://news.dfasfsa.com/html/{userCode}.html",
        "http://news.dfasfsa.com/html/201703233.html",
        id="usage-1",
    ),
    pytest.param(
        "http://news.dfasfsa.com/html/{catalogCode}/{userCode}.html",
        "http://news.dfasfsa.com/html/10.232324.11/201703233.html",
        id="usage-2",
    ),
    pytest.param(
        "http://news.dfasfsa.com/html/{fullCode}.html",
        "http://news.dfasfsa.com/html/i.86.101010.3/10.232324.11/201703233.html",
        id="usage-3",
    ),
]


@pytest.mark.parametrize(("gotourl", "registered", "recorded", "parameter"), EXAMPLES_1_TO_3)
def test_registered_code_lands_as_documented(gotourl, registered, recorded, parameter):
    assert scan_target(gotourl, XXXX) == registered
    assert scan_target(gotourl, IDCode.parse(XXXX), recorded=False) == registered


@pytest.mark.parametrize(("gotourl", "registered", "recorded", "parameter"), EXAMPLES_1_TO_3)
def test_recorded_code_lands_as_documented(gotourl, registered, recorded, parameter):
    assert scan_target(gotourl, XXXX, recorded=True) == recorded
    assert scan_target(gotourl, XXXX, True) == recorded


@pytest.mark.parametrize(("gotourl", "registered", "recorded", "parameter"), EXAMPLES_1_TO_3)
def test_landings_read_back_from_the_url(gotourl, registered, recorded, parameter):
    assert parse_landing(gotourl, registered) == IDCode.parse(XXXX)
    assert parse_landing(gotourl, recorded) == IDCode.parse(XXXX)


@pytest.mark.parametrize(("gotourl", "registered", "recorded", "parameter"), EXAMPLES_1_TO_3)
def test_landings_read_back_from_the_request_query(gotourl, registered, recorded, parameter):
    """注 2: the landing page reads Request["code"] (or the parameter it ends with)."""
    assert parse_scan_query(registered, parameter=parameter) == IDCode.parse(XXXX)
    assert parse_scan_query(recorded, parameter=parameter) == IDCode.parse(XXXX)


def test_query_mapping_of_a_web_framework():
    query = {"id": "1", "code": "xxxx", "BaseCode": "i.86.110108.52/91.12000000.1/"}
    assert parse_scan_query(query) == IDCode.parse(XXXX)
    assert parse_scan_query({"code": XXXX, "id": "1"}) == IDCode.parse(XXXX)


@pytest.mark.parametrize(("gotourl", "landing"), EXAMPLE_4)
def test_placeholders_are_substituted(gotourl, landing):
    assert scan_target(gotourl, CODE) == landing


def test_the_four_placeholders_name_the_documented_parts():
    """{fullCode} i.86.101010.3/10.232324.11/201703233, {mainCode} i.86.101010.3, …"""
    url = "http://h.com/{fullCode}|{mainCode}|{catalogCode}|{userCode}"
    assert scan_target(url, CODE) == (
        "http://h.com/i.86.101010.3/10.232324.11/201703233|i.86.101010.3|10.232324.11|201703233"
    )


@pytest.mark.parametrize(("gotourl", "landing"), EXAMPLE_4)
def test_template_landings_read_back_with_the_category(gotourl, landing):
    category = "i.86.101010.3/10.232324.11"
    assert parse_landing(gotourl, landing, category=category) == IDCode.parse(CODE)


def test_full_code_template_needs_no_category():
    landing = "http://news.dfasfsa.com/html/i.86.101010.3/10.232324.11/201703233.html"
    assert parse_landing("http://news.dfasfsa.com/html/{fullCode}.html", landing) == (
        IDCode.parse(CODE)
    )


def test_user_code_template_without_category_cannot_complete_the_number():
    with pytest.raises(ValidationError, match=r"only \{userCode\}") as caught:
        parse_landing(
            "http://news.dfasfsa.com/html/{userCode}.html",
            "http://news.dfasfsa.com/html/201703233.html",
        )
    assert caught.value.parameter == "category"


def test_category_must_agree_with_the_landing():
    with pytest.raises(ValidationError, match=r"landing carries '10\.232324\.11'"):
        parse_landing(
            "http://news.dfasfsa.com/html/{catalogCode}/{userCode}.html",
            "http://news.dfasfsa.com/html/10.232324.11/201703233.html",
            category="i.86.101010.3/10.999.1",
        )


def test_a_category_pins_adjacent_placeholders():
    url = "http://h.com/{catalogCode}{userCode}"
    landing = scan_target(url, "i.86.1.2/10.20.3/45")
    assert landing == "http://h.com/10.20.345"
    assert parse_landing(url, landing, category="i.86.1.2/10.20.3") == IDCode.parse(
        "i.86.1.2/10.20.3/45"
    )


@pytest.mark.parametrize(
    "template",
    [
        "http://h.com/p?id={mainCode}{userCode}{catalogCode}",
        "http://h.com/p?id={fullCode}{userCode}{catalogCode}",
        "http://h.com/p?id={catalogCode}{userCode}",
    ],
)
def test_a_crafted_landing_for_adjacent_placeholders_is_refused(template: str):
    """Unbounded runs split such a landing in time cubic in its length (minutes for 7,900
    characters); each run is now bounded by MAX_SEGMENT_LENGTH, so the refusal is immediate."""
    landing = "http://h.com/p?id=i.1.1." + "1" * 7900 + "!"
    with pytest.raises(ValidationError, match="landing"):
        parse_landing(template, landing)


def test_a_code_segment_longer_than_the_bound_is_not_a_landing():
    url = "http://h.com/{userCode}.html"
    category = "i.86.1.2/10.20.3"
    fits = "u" * MAX_SEGMENT_LENGTH
    assert parse_landing(url, f"http://h.com/{fits}.html", category=category).user_code == fits
    with pytest.raises(ValidationError):
        parse_landing(url, f"http://h.com/{fits}u.html", category=category)


def test_a_recorded_code_substitutes_placeholders_like_a_registered_one():
    url = "http://news.dfasfsa.com/html/{userCode}.html"
    assert scan_target(url, CODE, recorded=True) == scan_target(url, CODE)


def test_only_a_one_thing_one_code_can_be_recorded():
    with pytest.raises(ValidationError, match="not a one-thing-one-code"):
        scan_target("http://www.xxxx.com/xxxx.aspx", "i.86.110108.52/91.12000000.1", True)


def test_placeholder_without_the_part_in_the_code():
    with pytest.raises(ValidationError, match=r"no part for \{userCode\}"):
        scan_target("http://h.com/{userCode}.html", "i.86.101010.3/10.232324.11")


def test_main_and_category_codes_land_like_any_number():
    assert scan_target("http://h.com/u.aspx", "i.86.101010.3") == (
        "http://h.com/u.aspx?code=i.86.101010.3"
    )
    assert parse_landing("http://h.com/u.aspx", "http://h.com/u.aspx?code=i.86.101010.3") == (
        IDCode.parse("i.86.101010.3")
    )


@pytest.mark.parametrize(
    ("gotourl", "landing"),
    [
        ("http://h.com/a?", "http://h.com/a?code=" + XXXX),
        ("http://h.com/a?x=1&", "http://h.com/a?x=1&code=" + XXXX),
        ("http://h.com/#/scan", "http://h.com/#/scan?code=" + XXXX),
    ],
)
def test_edges_follow_the_append_rule(gotourl, landing):
    """Not in the document: the same string-append rule, without doubled separators."""
    assert scan_target(gotourl, XXXX) == landing
    assert parse_landing(gotourl, landing) == IDCode.parse(XXXX)


def test_landing_with_extra_parameters_and_encoding_still_reads_back():
    gotourl = "http://www.xxxx.com/xxxx.aspx?id=1"
    landing = (
        "http://www.xxxx.com/xxxx.aspx?id=1&code=xxxx"
        "&BaseCode=i.86.110108.52%2F91.12000000.1%2F&from=singlemessage"
    )
    assert parse_landing(gotourl, landing) == IDCode.parse(XXXX)
    assert parse_scan_query(landing) == IDCode.parse(XXXX)


def test_landing_of_another_resolve_url_is_refused():
    with pytest.raises(ValidationError, match="does not start with"):
        parse_landing("http://www.xxxx.com/xxxx.aspx?id=1", "http://other.com/?code=" + XXXX)
    with pytest.raises(ValidationError, match="is not what"):
        parse_landing("http://h.com/html/{fullCode}.html", "http://h.com/html/x.html")


def test_base_code_must_be_a_category_code():
    with pytest.raises(ValidationError, match="must be a category code") as caught:
        parse_scan_query("code=xxxx&BaseCode=i.86.110108.52")
    assert caught.value.parameter == "BaseCode"
    with pytest.raises(ValidationError, match="catalog code must be") as caught:
        parse_scan_query("code=xxxx&BaseCode=i.86.110108.52/")
    assert caught.value.parameter == "BaseCode"
    with pytest.raises(ValidationError, match="user code must be") as caught:
        parse_scan_query("code=a%26b&BaseCode=i.86.110108.52/91.12000000.1/")
    assert caught.value.parameter == "code"


def test_missing_or_repeated_code_parameter():
    with pytest.raises(ValidationError, match="missing") as caught:
        parse_scan_query("http://www.xxxx.com/xxxx.aspx?id=1")
    assert caught.value.parameter == "code"
    with pytest.raises(ValidationError, match="occurs 2 times"):
        parse_scan_query(f"code={XXXX}&code=i.86.1.1")


def test_disagreeing_repeated_placeholder_is_refused():
    url = "http://h.com/{fullCode}/{userCode}"
    assert parse_landing(url, scan_target(url, CODE)) == IDCode.parse(CODE)
    with pytest.raises(ValidationError, match="disagrees"):
        parse_landing(url, "http://h.com/i.86.101010.3/10.232324.11/201703233/other")


# 示例地址 (sample_url) is "the address a scan lands on": 30005 when it does not match.
@pytest.mark.parametrize(("gotourl", "registered", "recorded", "parameter"), EXAMPLES_1_TO_3)
def test_document_landings_are_valid_sample_urls(gotourl, registered, recorded, parameter):
    validate_sample_url(gotourl, registered)
    validate_sample_url(gotourl, recorded)


@pytest.mark.parametrize(("gotourl", "landing"), EXAMPLE_4)
def test_template_landings_are_valid_sample_urls(gotourl, landing):
    assert ResolveUrl.parse(gotourl).matches_sample(landing)


@pytest.mark.parametrize(
    ("gotourl", "sample"),
    [
        ("http://www.xxxx.com/xxxx.aspx?id=1", "http://www.xxxx.com/xxxx.aspx?id=1"),
        ("http://www.xxxx.com/xxxx.aspx?id=1", "http://www.xxxx.com/xxxx.aspx?id=1&code=abc"),
        ("http://www.xxxx.com/xxxx.aspx", "http://www.yyyy.com/xxxx.aspx?code=" + XXXX),
        ("http://news.dfasfsa.com/html/{userCode}.html", "http://news.dfasfsa.com/html/.html"),
    ],
)
def test_mismatching_sample_urls_are_refused(gotourl, sample):
    with pytest.raises(ValidationError, match="30005") as caught:
        validate_sample_url(gotourl, sample)
    assert caught.value.parameter == "sample_url"


# Validating a resolve URL before the centre answers 30001/30002.
@pytest.mark.parametrize(
    "gotourl",
    [
        "http://www.xxxx.com/xxxx.aspx?id=1",
        "http://www.xxxx.com/xxxx.aspx?id=",
        "http://www.xxxx.com/xxxx.aspx",
        "https://news.dfasfsa.com/html/{catalogCode}/{userCode}.html",
        "http://www.idcode.org.cn/m?organunitname=%E5%8D%95%E4%BD%8D",
        "http://h.com:8080/#/item/{userCode}",
        "HTTP://H.COM/",
    ],
)
def test_valid_resolve_urls(gotourl):
    assert str(ResolveUrl.parse(gotourl)) == gotourl


def test_placeholders_reported():
    url = ResolveUrl.parse("http://h.com/{catalogCode}/{userCode}/{userCode}")
    assert url.placeholders == {"catalogCode", "userCode"}
    assert ResolveUrl.parse("http://h.com/a.aspx").placeholders == frozenset()


@pytest.mark.parametrize(
    ("gotourl", "reason"),
    [
        ("", "30001"),
        ("   ", "30001"),
        ("www.xxxx.com/xxxx.aspx", "absolute http"),
        ("ftp://www.xxxx.com/x", "absolute http"),
        ("http:///path", "no host"),
        ("http://h.com:99999/", "invalid port"),
        ("http://h.com/a b", "white space"),
        ("http://h.com/a\tb", "white space"),
        ("http://h.com/m?organunitname=单位名称", "URL-encoded"),
        ("http://h.com/{usercode}.html", r"unknown placeholder \{usercode\}"),
        ("http://h.com/{userCode.html", "unbalanced brace"),
        ("http://h.com/}", "unbalanced brace"),
        ("http://{userCode}.h.com/", "not in its host"),
        ("http://h.com/a?x=100%", "%XX escape"),
        ("http://h.com/jump?to=http://www.idcode.org.cn/m", "nested encoding"),
    ],
)
def test_invalid_resolve_urls(gotourl, reason):
    with pytest.raises(ValidationError, match=reason) as caught:
        ResolveUrl.parse(gotourl)
    assert caught.value.parameter == "gotourl"
    with pytest.raises(ValidationError, match=reason):
        scan_target(gotourl, XXXX)


def test_constructor_validates_and_parse_names_the_parameter():
    with pytest.raises(ValidationError):
        ResolveUrl("not a url")
    with pytest.raises(ValidationError) as caught:
        ResolveUrl.parse("not a url", parameter="sample_url")
    assert caught.value.parameter == "sample_url"


def test_a_placeholder_used_twice_must_carry_one_value():
    url = "http://h.com/a/{userCode}-{userCode}.htm"
    category = "i.86.101010.3/10.232324.11"
    assert scan_target(url, CODE) == "http://h.com/a/201703233-201703233.htm"
    assert parse_landing(url, "http://h.com/a/201703233-201703233.htm", category=category) == (
        IDCode.parse(CODE)
    )
    with pytest.raises(ValidationError, match="is not what"):
        parse_landing(url, "http://h.com/a/201703233-201703234.htm", category=category)


def test_gotourl_validator_for_endpoint_specs():
    @attrs.frozen
    class Spec:
        number: ClassVar[int] = 602
        gotourl: str | None = attrs.field(default=None, validator=gotourl_validator)

    Spec()
    Spec("")
    Spec("http://news.dfasfsa.com/html/{userCode}.html")
    with pytest.raises(ValidationError, match="unknown placeholder") as caught:
        Spec("http://news.dfasfsa.com/html/{id}.html")
    assert (caught.value.parameter, caught.value.endpoint) == ("gotourl", 602)
