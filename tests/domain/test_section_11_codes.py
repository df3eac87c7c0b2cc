"""Seed §十一, note "IDcode 码号与码内容的区别": numbers, their parts, and code content URLs."""

from __future__ import annotations

import pytest

from idcode_async import ValidationError
from idcode_async.domain.idcode import PRODUCTION_RESOLVER, TEST_RESOLVER, CodeKind, IDCode
from idcode_async.domain.resolve import parse_scan_query

MAIN = "i.86.101010.3"
CATEGORY = "i.86.101010.3/10.232324.11"
ITEM = "i.86.101010.3/10.232324.11/201703233"

# 1)、IDcode 码号: 单位主码 / 品类码 / 一物一码
NUMBERS = [
    (MAIN, CodeKind.MAIN, ("i.86.101010.3", None, None)),
    (CATEGORY, CodeKind.CATEGORY, ("i.86.101010.3", "10.232324.11", None)),
    (ITEM, CodeKind.ITEM, ("i.86.101010.3", "10.232324.11", "201703233")),
]

# 2)、码内容: 解析地址 + IDcode 码号, verbatim from the document
CONTENT_PRODUCTION = [
    (MAIN, "http://s.idcode.org.cn/?code=i.86.101010.3"),
    (CATEGORY, "http://s.idcode.org.cn/?code=i.86.101010.3/10.232324.11"),
    (ITEM, "http://s.idcode.org.cn/?code=i.86.101010.3/10.232324.11/201703233"),
]
CONTENT_TEST = [
    (MAIN, "http://stest.idcode.org.cn/?code=i.86.101010.3"),
    (CATEGORY, "http://stest.idcode.org.cn/?code=i.86.101010.3/10.232324.11"),
    (ITEM, "http://stest.idcode.org.cn/?code=i.86.101010.3/10.232324.11/201703233"),
]


@pytest.mark.parametrize(("text", "kind", "parts"), NUMBERS)
def test_document_numbers_parse_into_their_parts(text, kind, parts):
    code = IDCode.parse(text)
    assert code.kind is kind
    assert (code.main_code, code.catalog_code, code.user_code) == parts
    assert str(code) == code.full_code == text


def test_category_and_base_codes_of_a_one_thing_one_code():
    code = IDCode.parse(ITEM)
    assert code.category_code == CATEGORY
    assert code.base_code == CATEGORY + "/"
    assert code.as_category() == IDCode.parse(CATEGORY)
    assert code.as_main() == IDCode.parse(MAIN)
    assert IDCode.parse(CATEGORY).with_user_code("201703233") == code


def test_a_main_code_has_no_category():
    code = IDCode.parse(MAIN)
    assert code.category_code is None
    assert code.base_code is None
    with pytest.raises(ValidationError, match="no category"):
        code.as_category()
    with pytest.raises(ValidationError, match="needs a category code"):
        code.with_user_code("201703233")


@pytest.mark.parametrize("text", ["i.86.110108.52", "i.86.120103.1021"])
def test_other_main_codes_of_the_document(text):
    """§十三 and the 305 example use these unit main codes."""
    assert str(IDCode.parse(text)) == text


def test_category_code_with_trailing_slash_is_the_category_code():
    """BaseCode (§十三) and 406's organunit_idcode write a category code with a final '/'."""
    code = IDCode.parse("i.86.110108.52/91.12000000.1/")
    assert code.kind is CodeKind.CATEGORY
    assert str(code) == "i.86.110108.52/91.12000000.1"


@pytest.mark.parametrize(("text", "url"), CONTENT_PRODUCTION)
def test_production_content_url(text, url):
    assert IDCode.parse(text).content_url() == url
    assert IDCode.parse(text).content_url(PRODUCTION_RESOLVER) == url


@pytest.mark.parametrize(("text", "url"), CONTENT_TEST)
def test_test_content_url(text, url):
    assert IDCode.parse(text).content_url(TEST_RESOLVER) == url


@pytest.mark.parametrize(("text", "url"), CONTENT_PRODUCTION + CONTENT_TEST)
def test_content_url_reads_back(text, url):
    assert IDCode.from_content_url(url) == IDCode.parse(text)
    assert parse_scan_query(url) == IDCode.parse(text)


def test_content_url_with_percent_encoded_number_reads_back():
    url = "http://s.idcode.org.cn/?code=i.86.101010.3%2F10.232324.11%2F201703233"
    assert IDCode.from_content_url(url) == IDCode.parse(ITEM)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/?code=i.86.101010.3",
        "http://s.idcode.org.cn/x?code=i.86.101010.3",
        "http://s.idcode.org.cn/?code=i.86.101010.3&x=1",
        "http://s.idcode.org.cn/?id=i.86.101010.3",
        "http://s.idcode.org.cn/?code=i.86.101010.3#top",
    ],
)
def test_content_url_must_be_resolver_and_code_only(url):
    with pytest.raises(ValidationError) as caught:
        IDCode.from_content_url(url)
    assert caught.value.parameter == "url"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "is empty"),
        (" i.86.101010.3", "white space"),
        ("i.86.101010.3/10.232324.11/2017 03233", "white space"),
        ("I.86.101010.3", "main code must be i.<country>"),
        ("i.86.101010", "main code must be i.<country>"),
        ("i.86.10a010.3", "main code must be"),
        ("86.101010.3", "main code must be"),
        ("i.86.101010.3/", "catalog code must be"),
        ("i.86.101010.3/10.232324", "catalog code must be"),
        ("i.86.101010.3/10.23x324.11", "catalog code must be"),
        ("i.86.101010.3/10.232324.11//", "at most 3"),
        ("i.86.101010.3/10.232324.11/a/b", "at most 3"),
        ("i.86.101010.3/10.232324.11/单位", "user code must be letters"),
        ("i.86.101010.3/10.232324.11/a&b", "user code must be letters"),
        ("i.86.101010.3/10.232324.11/a,b", "user code must be letters"),
        ("i.86.101010.3/10.232324.11/a%2Fb", "user code must be letters"),
    ],
)
def test_malformed_numbers_are_refused_with_a_reason(text, reason):
    with pytest.raises(ValidationError, match=reason) as caught:
        IDCode.parse(text, parameter="company_idcode")
    assert caught.value.parameter == "company_idcode"


def test_constructor_validates_each_part():
    with pytest.raises(ValidationError) as caught:
        IDCode("i.86.101010.3", "10.232324.11", "a/b")
    assert caught.value.parameter == "user_code"
    with pytest.raises(ValidationError) as caught:
        IDCode("i.86.101010.3", None, "201703233")
    assert caught.value.parameter == "user_code"
    with pytest.raises(ValidationError) as caught:
        IDCode("i.86.101010.3", "10..11")
    assert caught.value.parameter == "catalog_code"


def test_user_code_allows_unreserved_characters():
    code = IDCode.parse("i.86.101010.3/10.232324.11/Ab-9_x.~y")
    assert code.user_code == "Ab-9_x.~y"


def test_leading_zeros_are_kept():
    assert str(IDCode.parse("i.86.010100.0003/10.000001.01/007")) == (
        "i.86.010100.0003/10.000001.01/007"
    )


def test_value_semantics():
    assert IDCode.parse(ITEM) == IDCode.parse(ITEM)
    assert len({IDCode.parse(ITEM), IDCode.parse(ITEM), IDCode.parse(CATEGORY)}) == 2
    assert repr(IDCode.parse(ITEM)) == f"IDCode.parse({ITEM!r})"
    assert eval(repr(IDCode.parse(ITEM))) == IDCode.parse(ITEM)
