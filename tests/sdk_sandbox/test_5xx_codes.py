"""Section 十 through the SDK: one-thing-one-code uploads (5011–5014) and their queries
(502–506).

Each upload method is checked by reading the batch back: 503's ``code_num``, 505's codes,
504's download (fetched from the sandbox and unzipped) and 506's short codes.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import httpx
import pytest

from idcode_async import (
    FileError,
    IdcodeClient,
    InvalidParameterError,
    NotFoundError,
    RetryPolicy,
    UploadError,
    ValidationError,
)
from idcode_async.endpoints import (
    CodeDownloadUrl,
    CodeRecordByCategory,
    CodeRecordById,
    ShortCodeSearch,
    UploadCodeFile,
    UploadCodeFixedLength,
    UploadCodeList,
    UploadCodePrefix,
    UploadedCodes,
)
from idcode_async.sandbox import Sandbox

from .helpers import (
    UNKNOWN_REG_ID,
    UNKNOWN_UPLOAD_ID,
    Category,
    Unit,
    product_spec,
    requests_to,
    unit_spec,
)

RESOLVER = "http://stest.idcode.org.cn/?code="
"""Code content in the test environment = resolver + code (seed §十一 note)."""


async def fetch(sandbox: Sandbox, url: str) -> httpx.Response:
    """GET a link the centre answered with, from the sandbox's app (no network)."""
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        return await http.get(url)


# --- 5013 and the read-backs 503 / 505 / 502 ------------------------------------------------


async def test_5013_then_503_reports_1000_codes_and_505_returns_them(
    client: IdcodeClient, unit: Unit, category: Category, upload: str
) -> None:
    """The ``upload`` fixture sent 5013 for 1 … 1000 (version 2.0 answers the batch ID)."""
    assert len(upload) == 20
    assert upload.isdigit()
    (record,) = (
        await client.call(CodeRecordById(company_idcode=unit.idcode, uploadcode_id=upload))
    ).records
    assert (record.uploadcode_id, record.code_num, record.upload_type) == (upload, 1000, 2)
    assert (record.start_number, record.end_number, record.code_type) == (1, 1000, 1)
    assert record.organunit_id
    assert len(record.organunit_id) == 20

    codes = await client.call(UploadedCodes(company_idcode=unit.idcode, uploadcode_id=upload))
    assert codes.data == [f"{category.code}{n}" for n in range(1, 1001)]


async def test_5013_with_a_prefix_and_version_1_answers_no_id(
    client: IdcodeClient, unit: Unit, category: Category
) -> None:
    """Version 1.0 (the default) answers only the envelope; 502 then finds the batch."""
    answer = await client.call(
        UploadCodePrefix(
            company_idcode=unit.idcode,
            category_reg_id=category.reg_id,
            prefix_str="SN",
            start_num=7,
            end_num=9,
        )
    )
    assert (answer.result_code, answer.uploadcode_id) == (1, None)
    (record,) = (
        await client.call(
            CodeRecordByCategory(
                company_idcode=unit.idcode, idcode_of_category="232324", model_number_code="A1"
            )
        )
    ).records
    assert (record.code_num, record.start_number, record.end_number) == (3, 7, 9)
    codes = await client.call(
        UploadedCodes(company_idcode=unit.idcode, uploadcode_id=record.uploadcode_id or "")
    )
    assert codes.data == [f"{category.code}SN{n}" for n in (7, 8, 9)]


async def test_5013_an_unknown_registration_is_50003(client: IdcodeClient, unit: Unit) -> None:
    """50003 品类注册 ID 错误."""
    with pytest.raises(NotFoundError) as caught:
        await client.call(
            UploadCodePrefix(
                company_idcode=unit.idcode, category_reg_id=UNKNOWN_REG_ID, start_num=1, end_num=2
            )
        )
    assert (caught.value.code, caught.value.endpoint) == (50003, 5013)


async def test_5013_another_units_registration_is_50003(
    client: IdcodeClient, category: Category
) -> None:
    """A registration ID is the unit's own: another unit cannot upload under it."""
    other = await client.call(unit_spec(name="另一家上传有限公司", login_name="LOGIN-OTHER"))
    with pytest.raises(NotFoundError) as caught:
        await client.call(
            UploadCodePrefix(
                company_idcode=other.organunit_idcode or "",
                category_reg_id=category.reg_id,
                start_num=1,
                end_num=2,
            )
        )
    assert (caught.value.code, caught.value.endpoint) == (50003, 5013)


async def test_5013_a_range_backwards_is_refused_before_sending(sandbox: Sandbox) -> None:
    """5013: ``end_num`` below ``start_num`` is refused by the SDK; nothing is sent."""
    with pytest.raises(ValidationError) as caught:
        UploadCodePrefix(company_idcode="i.86.1.1", category_reg_id="1", start_num=5, end_num=4)
    assert (caught.value.parameter, caught.value.endpoint) == ("end_num", 5013)
    assert requests_to(sandbox, 5013) == 0


# --- 5014 ---------------------------------------------------------------------------------------


async def test_5014_pads_the_numbers_to_length(
    client: IdcodeClient, unit: Unit, category: Category
) -> None:
    """5014: prefix + numbers zero-padded to ``length``; 503 and 505 read the batch back."""
    answer = await client.call(
        UploadCodeFixedLength(
            company_idcode=unit.idcode,
            category_reg_id=category.reg_id,
            prefix_str="LOT",
            start_num=1,
            end_num=500,
            length=6,
            version="2.0",
        )
    )
    batch = answer.uploadcode_id or ""
    (record,) = (
        await client.call(CodeRecordById(company_idcode=unit.idcode, uploadcode_id=batch))
    ).records
    assert (record.code_num, record.start_number, record.end_number) == (500, 1, 500)
    codes = (await client.call(UploadedCodes(company_idcode=unit.idcode, uploadcode_id=batch))).data
    assert (len(codes), codes[0], codes[-1]) == (
        500,
        f"{category.code}LOT000001",
        f"{category.code}LOT000500",
    )


async def test_5014_a_length_shorter_than_the_numbers_is_refused_before_sending(
    sandbox: Sandbox,
) -> None:
    """5014: ``length`` 3 cannot hold 1000; refused by the SDK, nothing is sent."""
    with pytest.raises(ValidationError) as caught:
        UploadCodeFixedLength(
            company_idcode="i.86.1.1", category_reg_id="1", start_num=1, end_num=1000, length=3
        )
    assert (caught.value.parameter, caught.value.endpoint) == ("length", 5014)
    assert requests_to(sandbox, 5014) == 0


# --- 5011 ---------------------------------------------------------------------------------------


async def test_5011_uploads_a_txt_file_streamed_from_a_path(
    client: IdcodeClient, unit: Unit, category: Category, tmp_path: Path
) -> None:
    """Multipart with the file part unsigned (seed §四); CRLF lines and full codes accepted."""
    codes_file = tmp_path / "box-codes.txt"
    codes_file.write_bytes(b"BOX00007\r\nBOX00019\r\n\r\n" + f"{category.code}BOX00023\n".encode())
    answer = await client.call(
        UploadCodeFile(
            company_idcode=unit.idcode,
            category_reg_id=category.reg_id,
            code_file=codes_file,
            version="2.0",
        )
    )
    batch = answer.uploadcode_id or ""
    (record,) = (
        await client.call(CodeRecordById(company_idcode=unit.idcode, uploadcode_id=batch))
    ).records
    assert (record.code_num, record.upload_type, record.code_file_name) == (3, 1, "box-codes.txt")
    codes = (await client.call(UploadedCodes(company_idcode=unit.idcode, uploadcode_id=batch))).data
    assert codes == [f"{category.code}BOX{n:05d}" for n in (7, 19, 23)]


async def test_5011_a_line_that_is_not_a_code_is_59999(
    client: IdcodeClient, unit: Unit, category: Category
) -> None:
    """59999 文件内容错误 (5011's wording)."""
    with pytest.raises(UploadError) as caught:
        await client.call(
            UploadCodeFile(
                company_idcode=unit.idcode,
                category_reg_id=category.reg_id,
                code_file=b"GOOD1\nnot a code!\n",
            )
        )
    assert (caught.value.code, caught.value.endpoint) == (59999, 5011)
    assert caught.value.message == "文件内容错误"


async def test_5011_a_file_that_is_not_utf8_is_40003(
    client: IdcodeClient, unit: Unit, category: Category
) -> None:
    """5011: a GBK file is 40003 文件错误 (the sandbox reads code files as UTF-8)."""
    with pytest.raises(FileError) as caught:
        await client.call(
            UploadCodeFile(
                company_idcode=unit.idcode,
                category_reg_id=category.reg_id,
                code_file="编码".encode("gbk") + b"\n",
            )
        )
    assert (caught.value.code, caught.value.endpoint) == (40003, 5011)


async def test_5011_a_file_that_is_not_txt_is_refused_before_sending(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """40002 上传文件格式错误 is prevented: 5011 takes TXT files."""
    sheet = tmp_path / "codes.csv"
    sheet.write_text("A1\n")
    with pytest.raises(ValidationError) as caught:
        UploadCodeFile(company_idcode="i.86.1.1", category_reg_id="1", code_file=sheet)
    assert (caught.value.parameter, caught.value.endpoint) == ("code_file", 5011)
    assert requests_to(sandbox, 5011) == 0


# --- 5012 ---------------------------------------------------------------------------------------


async def test_5012_uploads_a_comma_separated_list(
    client: IdcodeClient, unit: Unit, category: Category
) -> None:
    """5012: codes in one comma-separated parameter; 505 returns them as full codes."""
    answer = await client.call(
        UploadCodeList(
            company_idcode=unit.idcode,
            category_reg_id=category.reg_id,
            code_list_str="A1001,A1002,A1003",
            version="2.0",
        )
    )
    batch = answer.uploadcode_id or ""
    codes = (await client.call(UploadedCodes(company_idcode=unit.idcode, uploadcode_id=batch))).data
    assert codes == [f"{category.code}A100{n}" for n in (1, 2, 3)]


async def test_5012_an_empty_item_is_59999(
    client: IdcodeClient, unit: Unit, category: Category
) -> None:
    """59999 码号列表有错误: the SDK refuses only a list with no code at all (50004)."""
    with pytest.raises(UploadError) as caught:
        await client.call(
            UploadCodeList(
                company_idcode=unit.idcode, category_reg_id=category.reg_id, code_list_str="A1,,A2"
            )
        )
    assert (caught.value.code, caught.value.endpoint) == (59999, 5012)


async def test_5012_no_code_at_all_is_refused_before_sending(sandbox: Sandbox) -> None:
    """50004 码数组为空 is prevented."""
    with pytest.raises(ValidationError) as caught:
        UploadCodeList(company_idcode="i.86.1.1", category_reg_id="1", code_list_str=" , ,")
    assert (caught.value.parameter, caught.value.endpoint) == ("code_list_str", 5012)
    assert requests_to(sandbox, 5012) == 0


# --- 502 ----------------------------------------------------------------------------------------


async def test_502_lists_every_batch_of_the_category(
    client: IdcodeClient, unit: Unit, category: Category, upload: str
) -> None:
    """502 finds a category by its category code (or catalog code) and model number code."""
    listed = await client.call(
        UploadCodeList(
            company_idcode=unit.idcode,
            category_reg_id=category.reg_id,
            code_list_str="X1,X2",
            version="2.0",
        )
    )
    other = await client.call(product_spec(unit.idcode, "B2"))
    await client.call(
        UploadCodePrefix(
            company_idcode=unit.idcode,
            category_reg_id=other.category_reg_id or "",
            start_num=1,
            end_num=5,
        )
    )
    for category_text in ("232324", category.catalog_code):
        answer = await client.call(
            CodeRecordByCategory(
                company_idcode=unit.idcode,
                idcode_of_category=category_text,
                model_number_code="A1",
            )
        )
        assert answer.code_record_tab == []  # 502 answers in code_record_list
        assert {(r.uploadcode_id, r.code_num) for r in answer.code_record_list} == {
            (upload, 1000),
            (listed.uploadcode_id, 2),
        }


async def test_503_an_unknown_batch_is_refused(client: IdcodeClient, unit: Unit) -> None:
    """503 documents no code for it; the sandbox answers 10000 参数错误."""
    with pytest.raises(InvalidParameterError) as caught:
        await client.call(
            CodeRecordById(company_idcode=unit.idcode, uploadcode_id=UNKNOWN_UPLOAD_ID)
        )
    assert (caught.value.code, caught.value.endpoint) == (10000, 503)


# --- 504 / 505 / 506: codes back, short codes ---------------------------------------------------


async def test_504_download_link_serves_a_password_protected_zip(
    sandbox: Sandbox, client: IdcodeClient, unit: Unit, category: Category, upload: str
) -> None:
    """504: the link serves a ZIP of code content (resolver + code) under the password given."""
    answer = await client.call(
        CodeDownloadUrl(company_idcode=unit.idcode, uploadcode_id=upload, password="s3cret!")
    )
    assert answer.codefileurl_info
    archive = await fetch(sandbox, answer.codefileurl_info)
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
        lines = zipped.read(f"{upload}.txt", pwd=b"s3cret!").decode().split("\r\n")
    assert lines[:2] == [f"{RESOLVER}{category.code}1", f"{RESOLVER}{category.code}2"]
    assert len([line for line in lines if line]) == 1000


async def test_504_password_lengths_are_refused_before_sending(sandbox: Sandbox) -> None:
    """50005 shorter than 6, 50006 longer than 16: refused by the SDK."""
    for password in ("12345", "x" * 17):
        with pytest.raises(ValidationError) as caught:
            CodeDownloadUrl(company_idcode="i.86.1.1", uploadcode_id="1", password=password)
        assert (caught.value.parameter, caught.value.endpoint) == ("password", 504)
    CodeDownloadUrl(company_idcode="i.86.1.1", uploadcode_id="1", password="123456")
    CodeDownloadUrl(company_idcode="i.86.1.1", uploadcode_id="1", password="x" * 16)
    assert requests_to(sandbox, 504) == 0


async def test_505_506_short_codes_map_back_to_the_original(
    sandbox: Sandbox, client: IdcodeClient, unit: Unit, category: Category, upload: str
) -> None:
    """505 ``code_type`` "0" lists the short codes; 506 finds the one of a given code; the
    504 download of short codes holds the same list."""
    short = (
        await client.call(
            UploadedCodes(company_idcode=unit.idcode, uploadcode_id=upload, code_type="0")
        )
    ).data
    assert len(short) == len(set(short)) == 1000
    assert all(len(code) == 10 and code.isalnum() for code in short)
    found = await client.call(ShortCodeSearch(code=f"{category.code}7"))
    assert found.data == [short[6]]
    link = await client.call(
        CodeDownloadUrl(company_idcode=unit.idcode, uploadcode_id=upload, code_type="0")
    )
    archive = await fetch(sandbox, link.codefileurl_info or "")
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
        lines = zipped.read(f"{upload}.txt").decode().split("\r\n")
    assert lines[:3] == [RESOLVER + code for code in short[:3]]


async def test_506_a_code_never_uploaded_has_no_short_code(
    client: IdcodeClient, category: Category
) -> None:
    """506: an original code that was never uploaded has no short code (an empty list)."""
    found = await client.call(ShortCodeSearch(code=f"{category.code}999999"))
    assert (found.result_code, found.data) == (1, [])


async def test_504_505_short_codes_not_generated_yet_are_50013() -> None:
    """50013 没有生成简码 until the centre has generated them (here: 60 s of centre time)."""
    with Sandbox(short_code_delay=60) as sandbox:
        async with sandbox.client(retry=RetryPolicy(max_retries=0)) as client:
            company = (await client.call(unit_spec())).organunit_idcode or ""
            reg_id = (await client.call(product_spec(company))).category_reg_id or ""
            batch = (
                await client.call(
                    UploadCodeList(
                        company_idcode=company,
                        category_reg_id=reg_id,
                        code_list_str="Q1,Q2",
                        version="2.0",
                    )
                )
            ).uploadcode_id or ""
            for spec in (
                UploadedCodes(company_idcode=company, uploadcode_id=batch, code_type="0"),
                CodeDownloadUrl(company_idcode=company, uploadcode_id=batch, code_type="0"),
            ):
                with pytest.raises(UploadError) as caught:
                    await client.call(spec)
                assert (caught.value.code, caught.value.endpoint) == (50013, spec.number)
            sandbox.advance_time(60)
            short = await client.call(
                UploadedCodes(company_idcode=company, uploadcode_id=batch, code_type="0")
            )
            assert len(short.data) == 2
