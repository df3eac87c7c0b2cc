"""The registry holds every endpoint of the document, at its documented path and method(s)."""

from __future__ import annotations

import pytest

from idcode_async import Endpoint, PageEndpoint, registry

# The document's index: number, method(s) as printed ("请求方式"), access address ("访问地址").
DOCUMENT_INDEX = [
    (101, "GET/POST", "/sp/idcode/addresses"),
    (102, "GET/POST", "/sp/idcode/addresses/parent/id"),
    (103, "GET/POST", "/sp/idcode/trades"),
    (104, "GET/POST", "/sp/idcode/trades/parent/id"),
    (105, "GET/POST", "/sp/idcode/unittypes"),
    (201, "GET/POST", "/sp/idcode/codeuse"),
    (202, "GET/POST", "/sp/idcode/industrycategory"),
    (203, "GET/POST", "/sp/idcode/industrycategory/parent/id"),
    (204, "GET/POST", "/sp/idcode/industrycategory/product"),
    (301, "POST", "/sp/idcode/companyinfo/reg"),
    (302, "GET/POST", "/sp/idcode/verifycode"),
    (303, "GET/POST", "/sp/idcode/verifycode/send"),
    (304, "POST", "/sp/idcode/companyinfo/verify"),
    (305, "POST", "/sp/idcode/companyinfo/modify"),
    (306, "GET/POST", "/sp/idcode/companyinfo/base"),
    (307, "GET/POST", "/sp/idcode/companyinfo/search"),
    (308, "GET/POST", "/sp/idcode/organunit/status"),
    (309, "POST", "/sp/idcode/unit/regist"),
    (310, "POST", "/sp/idcode/companyidcode/gotourl"),
    (401, "GET/POST", "/sp/idcode/category/apply"),
    (402, "POST", "/sp/idcode/category/batchregist"),
    (403, "GET/POST", "/sp/idcode/idcodeinfo/base"),
    (404, "GET/POST", "/sp/idcode/idcodeinfo/search"),
    (405, "POST", "/sp/idcode/category/apply/product"),
    (406, "POST", "/sp/idcode/idcodeinfo/reg/product"),
    (407, "POST", "/sp/idcode/idcodeinfo/reg/other"),
    (408, "GET/POST", "/sp/idcode/category/record"),
    (409, "GET/POST", "/sp/idcode/idcodeinfo/base2"),
    (410, "GET/POST", "/sp/idcode/idcodeinfo/search2"),
    (5011, "POST", "/sp/idcode/upload/codefile"),
    (5012, "GET/POST", "/sp/idcode/upload/codelist"),
    (5013, "GET/POST", "/sp/idcode/upload/codeprefix"),
    (5014, "GET/POST", "/sp/idcode/upload/fixedlength"),
    (502, "GET/POST", "/sp/idcode/upload/coderecord"),
    (503, "GET/POST", "/sp/idcode/upload/codeinfo"),
    (504, "GET/POST", "/sp/idcode/uploadcode"),
    (505, "GET/POST", "/sp/idcode/uploadcode/json"),
    (506, "GET/POST", "/sp/idcode/shortcode/search"),
    (601, "POST", "/sp/idcode/loginverify"),
    (602, "POST", "/sp/idcode/category/gotourl"),
    (603, "GET/POST", "/sp/idcode/codepic"),
    (604, "POST", "/sp/idcode/codepic/withmargin"),
    (605, "POST", "/sp/idcode/codepic/authen"),
    (606, "POST", "/sp/idcode/category/gotourl/whitelist"),
    (607, "GET/POST", "/sp/idcode/idcodelogin"),
    (608, "GET", "/sp/idcode/examinerecord"),
    (701, "GET/POST", "/sp/idcode/authenpic"),
]
PAGES = {401, 405, 408, 607}
WRITES = {301, 302, 303, 304, 305, 309, 310, 402, 406, 407, 5011, 5012, 5013, 5014, 602, 606}
FILES = {304: {"file1"}, 305: {"unit_logo"}, 5011: {"code_file"}}


def test_registry_holds_exactly_the_documented_endpoints():
    assert len(DOCUMENT_INDEX) == 47
    assert sorted(registry) == sorted(number for number, _, _ in DOCUMENT_INDEX)


@pytest.mark.parametrize(("number", "documented", "path"), DOCUMENT_INDEX)
def test_spec_class_attributes(number: int, documented: str, path: str):
    spec = registry[number]
    assert spec.number == number
    assert spec.path == path
    assert spec.documented_methods == frozenset(documented.split("/"))
    assert spec.method in documented.split("/")
    if number in PAGES:
        assert issubclass(spec, PageEndpoint)
        assert spec.method == ("GET" if "GET" in documented else "POST")
    else:
        assert issubclass(spec, Endpoint)
        # Get/Post data interfaces go as POST so credentials never sit in a URL.
        assert spec.method == ("POST" if "POST" in documented else "GET")
    if number not in PAGES:
        assert spec.writes == (number in WRITES)
    assert set(spec.files) == FILES.get(number, set())


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        registry[999] = registry[101]  # type: ignore[index]


def test_a_number_cannot_be_declared_twice():
    import attrs

    from idcode_async._spec import Response, endpoint

    with pytest.raises(TypeError, match="declared twice"):

        @endpoint(101, "/elsewhere", "POST", writes=False)
        @attrs.frozen(kw_only=True)
        class Impostor(Endpoint[Response]):
            pass

    assert registry[101].path == "/sp/idcode/addresses"
