"""Pure pieces of the sandbox: code ranges, short codes, URL rules, review progress, ZIP, trio."""

from __future__ import annotations

import io
import random
import zipfile

import httpx
import pytest
import trio

from idcode_async.sandbox import Sandbox
from idcode_async.sandbox.records import Registration, Unit
from idcode_async.sandbox.review import review_status, unit_status_id
from idcode_async.sandbox.uploads import Upload, short_code
from idcode_async.sandbox.urls import append_query, resolve_url_problem, sample_matches
from idcode_async.sandbox.zipstream import zip_stream

from .helpers import Api


def _registration() -> Registration:
    unit = Unit(
        organunit_id=1,
        idcode="i.86.110105.1",
        login_name="l",
        password="p",
        organunit_name="n",
        unittype_id=1,
        province_id=110000,
        city_id=110000,
        area_id=110105,
        registered_via=309,
        registered_ms=0,
        review_started_ms=0,
    )
    return Registration(
        category_reg_id=2,
        ioidcategory_id=3,
        unit=unit,
        via=406,
        industrycategory_id=232324,
        codeuse_id=10,
        category_code="232324",
        model_number="m",
        model_number_code="A1",
        code_pay_type=2,
        gotourl="http://x.example.com/",
        complete_code="i.86.110105.1/10.232324.A1/",
        bill_number="b",
        guid_number="g",
        review_started_ms=0,
    )


def _range(method: int, **fields: object) -> Upload:
    return Upload(
        uploadcode_id=9,
        registration=_registration(),
        method=method,  # type: ignore[arg-type]
        count=int(fields["end"]) - int(fields["start"]) + 1,  # type: ignore[call-overload]
        created_ms=0,
        generate_type="0",
        version="1.0",
        short_base=1,
        **fields,  # type: ignore[arg-type]
    )


def test_range_codes_are_computed_not_stored():
    upload = _range(5014, prefix="SN", start=7, end=1_000_000_007, length=10)
    assert upload.user_code(0) == "SN0000000007"
    assert upload.index_of("SN0000000009") == [2]
    assert upload.index_of("SN9") == []  # not zero-padded
    assert upload.index_of("SN0000000006") == []
    assert upload.index_of("XX0000000009") == []
    plain = _range(5013, prefix="", start=0, end=99)
    assert plain.index_of("042") == []
    assert plain.index_of("42") == [42]


def test_random_short_codes_are_a_permutation():
    upload = _range(5013, start=1, end=1000)
    upload.shuffle(random.Random(3))
    codes = list(upload.short_codes())
    assert len(set(codes)) == 1000
    assert sorted(codes) == [short_code(n) for n in range(1, 1001)]
    assert codes != sorted(codes)
    assert short_code(35) == "000000000Z"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://sp.example.com/cb", "https://sp.example.com/cb?CategoryIDcode=i.86.1.1/10.2.3/"),
        (
            "https://sp.example.com/cb?a=1",
            "https://sp.example.com/cb?a=1&CategoryIDcode=i.86.1.1/10.2.3/",
        ),
        (
            "https://sp.example.com/cb?a=1&",
            "https://sp.example.com/cb?a=1&CategoryIDcode=i.86.1.1/10.2.3/",
        ),
        (
            "https://sp.example.com/cb?a=1#top",
            "https://sp.example.com/cb?a=1&CategoryIDcode=i.86.1.1/10.2.3/#top",
        ),
    ],
)
def test_append_query_keeps_the_callback_query(url, expected):
    assert append_query(url, "CategoryIDcode", "i.86.1.1/10.2.3/") == expected


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://www.xxxx.com/xxxx.aspx?id=1", True),
        ("http://www.xxxx.com/xxxx.aspx?id=", True),
        ("http://www.xxxx.com/xxxx.aspx", True),
        ("http://news.dfasfsa.com/html/{catalogCode}/{userCode}.html", True),
        ("https://a.example.com/{fullCode}", True),
        ("http://a.example.com/{code}", False),
        ("http://a.example.com/{userCode", False),
        ("www.example.com/x", False),
        ("ftp://example.com/x", False),
        ("http://exa mple.com/", False),
        ("", False),
    ],
)
def test_resolve_urls_of_section_13(url, ok):
    assert (resolve_url_problem(url) is None) is ok


def test_sample_url_must_share_the_host():
    assert sample_matches("http://WWW.example.com/a?code=1", "http://www.example.com/{userCode}")
    assert not sample_matches("http://www.example.org/", "http://www.example.com/")


def test_review_progress():
    assert review_status(None, 10, 5, False) == 0
    assert review_status(0, 4, 5, False) == 1
    assert review_status(0, 5, 5, False) == 100
    assert review_status(0, 5, 5, True) == -1
    assert [unit_status_id(s) for s in (0, 1, 100, -1)] == [-100, 0, 100, -1]


def test_zip_stream_is_a_valid_archive():
    lines = [f"line {i}\n".encode() for i in range(5000)]
    plain = b"".join(zip_stream("a.txt", lines))
    assert zipfile.ZipFile(io.BytesIO(plain)).read("a.txt") == b"".join(lines)
    locked = b"".join(zip_stream("a.txt", lines, password="pa55word"))
    archive = zipfile.ZipFile(io.BytesIO(locked))
    with pytest.raises(RuntimeError, match="password required"):
        archive.read("a.txt")
    assert archive.read("a.txt", pwd=b"pa55word") == b"".join(lines)


def test_the_sandbox_runs_under_trio():
    async def main() -> int:
        with Sandbox(approval_delay=0) as sandbox:
            async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://s") as c:
                api = Api(c)
                company = await api.register_unit()
                status = await api.ok("/sp/idcode/organunit/status", {"company_idcode": company})
                return int(status["is_audit"])

    assert trio.run(main) == 100
