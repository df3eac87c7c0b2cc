"""Section 十 (5011–5014, 502–506): code uploads and queries — wire, decoding, errors, rules."""

from __future__ import annotations

import io
import json

import httpx
import pytest

from idcode_async import (
    UPLOAD_TIMEOUT,
    NotFoundError,
    UploadError,
    ValidationError,
    registry,
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

from ..wire import assert_signed, business_fields, exchange

OK = {"result_code": 1, "result_msg": "成功"}
UNIT = "i.86.101010.3"
REG_ID = "10030000000000001923"  # a real-looking 20-digit BigDecimal ID
TRICKY = "批次 A&B=1+2%3/4?5"
CODES_TXT = b"i.86.101010.3/10.232324.11/201703233\r\ni.86.101010.3/10.232324.11/201703234\r\n"


# --- declarations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "cls", "path", "method", "writes", "upload"),
    [
        (5011, UploadCodeFile, "/sp/idcode/upload/codefile", "POST", True, True),
        (5012, UploadCodeList, "/sp/idcode/upload/codelist", "POST", True, True),
        (5013, UploadCodePrefix, "/sp/idcode/upload/codeprefix", "POST", True, True),
        (5014, UploadCodeFixedLength, "/sp/idcode/upload/fixedlength", "POST", True, True),
        (502, CodeRecordByCategory, "/sp/idcode/upload/coderecord", "POST", False, False),
        (503, CodeRecordById, "/sp/idcode/upload/codeinfo", "POST", False, False),
        (504, CodeDownloadUrl, "/sp/idcode/uploadcode", "POST", False, False),
        (505, UploadedCodes, "/sp/idcode/uploadcode/json", "POST", False, False),
        (506, ShortCodeSearch, "/sp/idcode/shortcode/search", "POST", False, False),
    ],
)
def test_declared_as_documented(number, cls, path, method, writes, upload):
    assert registry[number] is cls
    assert (cls.number, cls.path, cls.method) == (number, path, method)
    assert (cls.writes, cls.upload, cls.is_page) == (writes, upload, False)


# --- wire -----------------------------------------------------------------------------------

WIRE_CASES = [
    (
        UploadCodeList(
            company_idcode=UNIT,
            category_reg_id=REG_ID,
            code_list_str="A&B=1,C+D%2/E?F,中文 码",
            generate_type="0",
            version="2.0",
        ),
        "/sp/idcode/upload/codelist",
        {
            "company_idcode": UNIT,
            "category_reg_id": REG_ID,
            "code_list_str": "A&B=1,C+D%2/E?F,中文 码",
            "generate_type": "0",
            "version": "2.0",
        },
    ),
    (
        UploadCodeList(company_idcode=UNIT, category_reg_id=REG_ID, code_list_str="1,2,3"),
        "/sp/idcode/upload/codelist",
        {"company_idcode": UNIT, "category_reg_id": REG_ID, "code_list_str": "1,2,3"},
    ),
    (
        UploadCodePrefix(
            company_idcode=UNIT,
            category_reg_id=REG_ID,
            prefix_str=TRICKY,
            start_num=0,
            end_num=0,
            generate_type="1",
            version="1.0",
        ),
        "/sp/idcode/upload/codeprefix",
        {
            "company_idcode": UNIT,
            "category_reg_id": REG_ID,
            "prefix_str": TRICKY,
            "start_num": "0",
            "end_num": "0",
            "generate_type": "1",
            "version": "1.0",
        },
    ),
    (
        UploadCodePrefix(company_idcode=UNIT, category_reg_id=REG_ID, start_num=1, end_num=500),
        "/sp/idcode/upload/codeprefix",
        {"company_idcode": UNIT, "category_reg_id": REG_ID, "start_num": "1", "end_num": "500"},
    ),
    (
        UploadCodeFixedLength(
            company_idcode=UNIT,
            category_reg_id=REG_ID,
            prefix_str="SN-",
            start_num=7,
            end_num=1000,
            length=8,
            generate_type="0",
            version="2.0",
        ),
        "/sp/idcode/upload/fixedlength",
        {
            "company_idcode": UNIT,
            "category_reg_id": REG_ID,
            "prefix_str": "SN-",
            "start_num": "7",
            "end_num": "1000",
            "length": "8",
            "generate_type": "0",
            "version": "2.0",
        },
    ),
    (
        CodeRecordByCategory(
            company_idcode=UNIT,
            idcode_of_category="i.86.101010.3/10.232324.11",
            model_number_code="型号 A&B=+%/?",
        ),
        "/sp/idcode/upload/coderecord",
        {
            "company_idcode": UNIT,
            "idcode_of_category": "i.86.101010.3/10.232324.11",
            "model_number_code": "型号 A&B=+%/?",
        },
    ),
    (
        CodeRecordById(company_idcode=UNIT, uploadcode_id=REG_ID),
        "/sp/idcode/upload/codeinfo",
        {"company_idcode": UNIT, "uploadcode_id": REG_ID},
    ),
    (
        CodeDownloadUrl(
            company_idcode=UNIT, uploadcode_id=REG_ID, password="p&ss=w+rd%/?", code_type="0"
        ),
        "/sp/idcode/uploadcode",
        {
            "company_idcode": UNIT,
            "uploadcode_id": REG_ID,
            "password": "p&ss=w+rd%/?",
            "code_type": "0",
        },
    ),
    (
        CodeDownloadUrl(company_idcode=UNIT, uploadcode_id=REG_ID),
        "/sp/idcode/uploadcode",
        {"company_idcode": UNIT, "uploadcode_id": REG_ID},
    ),
    (
        UploadedCodes(company_idcode=UNIT, uploadcode_id=REG_ID, code_type="1"),
        "/sp/idcode/uploadcode/json",
        {"company_idcode": UNIT, "uploadcode_id": REG_ID, "code_type": "1"},
    ),
    (
        ShortCodeSearch(code="http://stest.idcode.org.cn/?code=i.86.101010.3/10.232324.11/x y"),
        "/sp/idcode/shortcode/search",
        {"code": "http://stest.idcode.org.cn/?code=i.86.101010.3/10.232324.11/x y"},
    ),
]


@pytest.mark.parametrize(("spec", "path", "expected"), WIRE_CASES)
async def test_wire(client, router, spec, path, expected):
    wire, _ = await exchange(client, router, spec, OK)
    assert wire.method == "POST"  # documented Get/Post: sent as POST, token in the body
    assert wire.path == path
    assert wire.query == {}
    assert wire.content_type.startswith("application/x-www-form-urlencoded")
    assert business_fields(wire) == expected
    assert wire.files == {}
    assert_signed(wire)


UPLOAD_FIELDS = {
    "company_idcode": UNIT,
    "category_reg_id": REG_ID,
    "generate_type": "0",
    "version": "2.0",
}


def upload_file(code_file: object) -> UploadCodeFile:
    return UploadCodeFile(
        company_idcode=UNIT,
        category_reg_id=REG_ID,
        code_file=code_file,  # type: ignore[arg-type]
        generate_type="0",
        version="2.0",
    )


def assert_multipart_upload(wire, filename: str, content: bytes) -> None:
    assert wire.method == "POST"
    assert wire.path == "/sp/idcode/upload/codefile"
    assert wire.query == {}
    assert wire.content_type.startswith("multipart/form-data")
    assert wire.files == {"code_file": (filename, content)}
    assert "code_file" not in wire.fields  # the file part is never signed (seed §四 note)
    assert business_fields(wire) == UPLOAD_FIELDS
    assert_signed(wire)


async def test_5011_bytes_upload_is_multipart(client, router):
    wire, _ = await exchange(client, router, upload_file(CODES_TXT), OK)
    assert_multipart_upload(wire, "codes.txt", CODES_TXT)


async def test_5011_path_upload(client, router, tmp_path):
    path = tmp_path / "批次-01.txt"
    path.write_bytes(CODES_TXT)
    wire, _ = await exchange(client, router, upload_file(path), OK)
    assert_multipart_upload(wire, "批次-01.txt", CODES_TXT)


async def test_5011_str_path_upload(client, router, tmp_path):
    path = tmp_path / "codes.TXT"
    path.write_bytes(CODES_TXT)
    wire, _ = await exchange(client, router, upload_file(str(path)), OK)
    assert_multipart_upload(wire, "codes.TXT", CODES_TXT)


async def test_5011_open_file_upload_stays_open(client, router, tmp_path):
    path = tmp_path / "batch.txt"
    path.write_bytes(CODES_TXT)
    with path.open("rb") as stream:
        wire, _ = await exchange(client, router, upload_file(stream), OK)
        assert not stream.closed  # the caller's file is the caller's to close
    assert_multipart_upload(wire, "batch.txt", CODES_TXT)


class RecordingStream(io.BytesIO):
    """A named binary stream that records the size of every read."""

    name = "big.txt"

    def __init__(self, content: bytes) -> None:
        super().__init__(content)
        self.reads: list[int | None] = []

    def read(self, size: int | None = -1) -> bytes:
        self.reads.append(size)
        return super().read(size)


async def test_5011_streams_the_file_in_chunks(client, router):
    content = b"i.86.101010.3/10.232324.11/000000\n" * 10_000  # 340 000 bytes
    stream = RecordingStream(content)
    wire, _ = await exchange(client, router, upload_file(stream), OK)
    assert wire.files["code_file"] == ("big.txt", content)
    assert len(stream.reads) > 2
    assert all(size is not None and 0 < size < len(content) for size in stream.reads)


async def test_5011_unnamed_stream_gets_a_txt_name(client, router):
    wire, _ = await exchange(client, router, upload_file(io.BytesIO(CODES_TXT)), OK)
    assert wire.files["code_file"] == ("codes.txt", CODES_TXT)


async def test_uploads_get_the_upload_timeout(client, router):
    route = router.route(path="/sp/idcode/upload/codelist").mock(
        return_value=httpx.Response(200, json=OK)
    )
    await client.call(
        UploadCodeList(company_idcode=UNIT, category_reg_id=REG_ID, code_list_str="1")
    )
    timeout = route.calls.last.request.extensions["timeout"]
    assert timeout["read"] == UPLOAD_TIMEOUT.read


# --- decoding -------------------------------------------------------------------------------


async def test_5011_version_1_answer(client, router):
    _, result = await exchange(client, router, upload_file(CODES_TXT), OK)
    assert (result.result_code, result.result_msg) == (1, "成功")
    assert result.data is None
    assert result.uploadcode_id is None


async def test_5011_version_2_bare_20_digit_id_stays_exact(client, router):
    raw = '{"result_code":1,"result_msg":"成功","data":{"uploadcode_id":10030000000000001923}}'
    _, result = await exchange(client, router, upload_file(CODES_TXT), raw)
    assert result.data.uploadcode_id == "10030000000000001923"
    assert result.uploadcode_id == "10030000000000001923"


async def test_5011_version_2_string_id(client, router):
    answer = {**OK, "data": {"uploadcode_id": "10030000000000001924"}}
    _, result = await exchange(client, router, upload_file(CODES_TXT), answer)
    assert result.uploadcode_id == "10030000000000001924"


async def test_5013_version_2_answer(client, router):
    spec = UploadCodePrefix(
        company_idcode=UNIT, category_reg_id=REG_ID, start_num=1, end_num=9, version="2.0"
    )
    raw = '{"ResultCode":1,"ResultMsg":"成功","data":{"uploadcode_id":10030000000000009999}}'
    _, result = await exchange(client, router, spec, raw)
    assert result.result_code == 1
    assert result.uploadcode_id == "10030000000000009999"


RECORD_JSON = (
    '{"uploadcode_id":10030000000000002001,"organunit_id":10030000000000000042,'
    '"ioidcategory_id":10030000000000000777,"code_type":1,"code_segment_id":1,'
    '"code_num":500,"upload_type":1,"code_file_name":"codes.txt","iftrans":1,'
    '"trans_flag":0,"transdown_lb_picname":"lb.zip","trans_file_name":"trans.txt",'
    '"start_number":1,"end_number":500,"transdown_qr_picname":"qr.zip",'
    '"create_code":1497587696789}'
)


def assert_document_record(record) -> None:
    assert record.uploadcode_id == "10030000000000002001"
    assert record.organunit_id == "10030000000000000042"
    assert record.ioidcategory_id == "10030000000000000777"
    assert (record.code_type, record.code_segment_id, record.codesegment_id) == (1, 1, None)
    assert (record.code_num, record.upload_type, record.code_file_name) == (500, 1, "codes.txt")
    assert (record.iftrans, record.trans_flag) == (1, 0)
    assert (record.transdown_lb_picname, record.trans_file_name) == ("lb.zip", "trans.txt")
    assert (record.start_number, record.end_number) == (1, 500)
    assert record.transdown_qr_picname == "qr.zip"
    assert record.create_code == 1497587696789


BY_CATEGORY = CodeRecordByCategory(
    company_idcode=UNIT, idcode_of_category="i.86.101010.3/10.232324.11", model_number_code="11"
)


async def test_502_document_example_object(client, router):
    # The document's keys carry stray spaces: " code_record_tab ", " code_record_list ".
    raw = (
        '{ " code_record_tab ": null, " code_record_list ":'
        + RECORD_JSON
        + ',"result_code":1,"result_msg":"成功"}'
    )
    _, result = await exchange(client, router, BY_CATEGORY, raw)
    assert result.code_record_tab == []
    (record,) = result.code_record_list
    assert_document_record(record)
    assert result.records == result.code_record_list


async def test_502_list_form(client, router):
    second = {"uploadcode_id": "10030000000000002002", "codesegment_id": 1, "code_num": 3}
    raw = (
        '{"code_record_tab":null,"code_record_list":['
        + RECORD_JSON
        + ","
        + json.dumps(second)
        + '],"result_code":1,"result_msg":"成功"}'
    )
    _, result = await exchange(client, router, BY_CATEGORY, raw)
    first, other = result.records
    assert_document_record(first)
    assert (other.uploadcode_id, other.codesegment_id, other.code_num) == (
        "10030000000000002002",
        1,
        3,
    )


async def test_502_null_lists(client, router):
    answer = {"code_record_tab": None, "code_record_list": None, **OK}
    _, result = await exchange(client, router, BY_CATEGORY, answer)
    assert result.code_record_list == []
    assert result.code_record_tab == []
    assert result.records == []


async def test_503_document_example(client, router):
    raw = (
        '{ "code_record_list": null, "code_record_tab":'
        + RECORD_JSON
        + ',"result_code":1,"result_msg":"成功"}'
    )
    spec = CodeRecordById(company_idcode=UNIT, uploadcode_id="10030000000000002001")
    _, result = await exchange(client, router, spec, raw)
    assert result.code_record_list == []
    (record,) = result.records
    assert_document_record(record)
    assert result.records == result.code_record_tab


async def test_504_document_example(client, router):
    url = "https://apitest.idcode.org.cn/download/10030000000000002001.zip"
    answer = {"codefileurl_info": url, **OK}
    spec = CodeDownloadUrl(company_idcode=UNIT, uploadcode_id="10030000000000002001")
    _, result = await exchange(client, router, spec, answer)
    assert result.codefileurl_info == url


async def test_505_document_example(client, router):
    codes = ["i.86.101010.3/10.232324.11/201703233", "i.86.101010.3/10.232324.11/201703234"]
    spec = UploadedCodes(company_idcode=UNIT, uploadcode_id=REG_ID)
    _, result = await exchange(client, router, spec, {"data": codes, **OK})
    assert result.data == codes


async def test_505_null_data(client, router):
    spec = UploadedCodes(company_idcode=UNIT, uploadcode_id=REG_ID)
    _, result = await exchange(client, router, spec, {"data": None, **OK})
    assert result.data == []


async def test_506_document_example(client, router):
    spec = ShortCodeSearch(code="i.86.101010.3/10.232324.11/201703233")
    _, result = await exchange(client, router, spec, {"data": ["A1b2C3", "A1b2C4"], **OK})
    assert result.data == ["A1b2C3", "A1b2C4"]


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "code", "message", "error"),
    [
        (upload_file(CODES_TXT), 59999, "文件内容错误", UploadError),
        (upload_file(CODES_TXT), 50003, "品类注册 ID 错误", NotFoundError),
        (
            UploadCodeList(company_idcode=UNIT, category_reg_id=REG_ID, code_list_str="1"),
            50004,
            "码数组为空",
            UploadError,
        ),
        (
            CodeDownloadUrl(company_idcode=UNIT, uploadcode_id=REG_ID),
            50005,
            "解压密码最少为 6位",
            UploadError,
        ),
        (
            UploadedCodes(company_idcode=UNIT, uploadcode_id=REG_ID, code_type="0"),
            50013,
            "没有生成简码",
            UploadError,
        ),
    ],
)
async def test_result_codes_map_to_errors(client, router, spec, code, message, error):
    route = router.route(path=type(spec).path).mock(
        return_value=httpx.Response(200, json={"result_code": code, "result_msg": message})
    )
    with pytest.raises(error) as info:
        await client.call(spec)
    assert (info.value.code, info.value.message, info.value.endpoint) == (
        code,
        message,
        spec.number,
    )
    assert route.call_count == 1  # a result code is an answer: never retried


# --- validation -----------------------------------------------------------------------------


def invalid(cls, parameter, **kwargs):
    with pytest.raises(ValidationError) as info:
        cls(**kwargs)
    assert info.value.parameter == parameter
    assert info.value.endpoint == cls.number
    return info.value


BASE = {"company_idcode": UNIT, "category_reg_id": REG_ID}


@pytest.mark.parametrize(
    ("parameter", "changes"),
    [
        ("company_idcode", {"company_idcode": "  "}),
        ("category_reg_id", {"category_reg_id": ""}),
        ("category_reg_id", {"category_reg_id": None}),
        ("category_reg_id", {"category_reg_id": 10030000000000001923}),
        ("generate_type", {"generate_type": "2"}),
        ("generate_type", {"generate_type": 1}),
        ("version", {"version": "3.0"}),
        ("version", {"version": 2.0}),
        ("code_file", {"code_file": 12345}),
        ("code_file", {"code_file": None}),
        ("code_file", {"code_file": "codes.csv"}),
        ("code_file", {"code_file": "codes"}),
    ],
)
def test_5011_rules(parameter, changes):
    invalid(UploadCodeFile, parameter, **{**BASE, "code_file": CODES_TXT, **changes})


def test_5011_named_stream_must_be_txt():
    stream = io.BytesIO(CODES_TXT)
    stream.name = "/tmp/codes.zip"  # type: ignore[attr-defined]
    error = invalid(UploadCodeFile, "code_file", **BASE, code_file=stream)
    assert "codes.zip" in error.reason


async def test_5011_missing_path_is_a_validation_error(client, router, tmp_path):
    route = router.route(path="/sp/idcode/upload/codefile").mock(
        return_value=httpx.Response(200, json=OK)
    )
    spec = UploadCodeFile(**BASE, code_file=tmp_path / "missing.txt")
    with pytest.raises(ValidationError) as info:
        await client.call(spec)
    assert (info.value.parameter, info.value.endpoint) == ("code_file", 5011)
    assert route.call_count == 0


@pytest.mark.parametrize("code_list_str", ["", "   ", ",", " , ,"])
def test_5012_code_list_must_hold_a_code(code_list_str):
    invalid(UploadCodeList, "code_list_str", **BASE, code_list_str=code_list_str)


def test_5012_code_list_is_required():
    with pytest.raises(ValidationError, match="is required") as info:
        UploadCodeList(**BASE)  # type: ignore[call-arg]
    assert info.value.parameter == "code_list_str"


@pytest.mark.parametrize("cls", [UploadCodePrefix, UploadCodeFixedLength])
@pytest.mark.parametrize(
    ("parameter", "changes"),
    [
        ("start_num", {"start_num": -1}),
        ("end_num", {"start_num": 10, "end_num": 9}),
        ("start_num", {"start_num": "1"}),
        ("end_num", {"end_num": None}),
        ("prefix_str", {"prefix_str": 7}),
        ("generate_type", {"generate_type": "x"}),
        ("version", {"version": "1"}),
    ],
)
def test_5013_5014_range_rules(cls, parameter, changes):
    extra = {"length": 6} if cls is UploadCodeFixedLength else {}
    invalid(cls, parameter, **{**BASE, "start_num": 1, "end_num": 100, **extra, **changes})


def test_5013_single_number_range_is_allowed():
    spec = UploadCodePrefix(**BASE, start_num=5, end_num=5)
    assert (spec.start_num, spec.end_num) == (5, 5)


def test_5014_length_must_hold_end_num():
    invalid(UploadCodeFixedLength, "length", **BASE, start_num=1, end_num=1000, length=3)
    invalid(UploadCodeFixedLength, "length", **BASE, start_num=0, end_num=0, length=0)
    assert UploadCodeFixedLength(**BASE, start_num=1, end_num=1000, length=4).length == 4
    assert UploadCodeFixedLength(**BASE, start_num=0, end_num=9, length=1).length == 1


@pytest.mark.parametrize(
    ("parameter", "changes"),
    [
        ("company_idcode", {"company_idcode": " "}),
        ("idcode_of_category", {"idcode_of_category": ""}),
        ("model_number_code", {"model_number_code": "\t"}),
        ("model_number_code", {"model_number_code": 11}),
    ],
)
def test_502_rules(parameter, changes):
    good = {"company_idcode": UNIT, "idcode_of_category": "i.86.101010.3/10.1.11"}
    invalid(CodeRecordByCategory, parameter, **{**good, "model_number_code": "11", **changes})


@pytest.mark.parametrize("cls", [CodeRecordById, CodeDownloadUrl, UploadedCodes])
def test_503_504_505_need_the_upload_id(cls):
    invalid(cls, "uploadcode_id", company_idcode=UNIT, uploadcode_id=" ")
    invalid(cls, "uploadcode_id", company_idcode=UNIT, uploadcode_id=12)
    invalid(cls, "company_idcode", company_idcode="", uploadcode_id=REG_ID)


@pytest.mark.parametrize("password", ["12345", "x" * 17, ""])
def test_504_password_length(password):
    error = invalid(
        CodeDownloadUrl, "password", company_idcode=UNIT, uploadcode_id=REG_ID, password=password
    )
    assert password not in str(error) or not password  # the password is not echoed


@pytest.mark.parametrize("password", ["123456", "x" * 16])
def test_504_password_bounds_accepted(password):
    spec = CodeDownloadUrl(company_idcode=UNIT, uploadcode_id=REG_ID, password=password)
    assert spec.password == password


@pytest.mark.parametrize("cls", [CodeDownloadUrl, UploadedCodes])
@pytest.mark.parametrize("code_type", ["2", 1, 0])
def test_504_505_code_type(cls, code_type):
    invalid(cls, "code_type", company_idcode=UNIT, uploadcode_id=REG_ID, code_type=code_type)


def test_504_repr_hides_the_password():
    spec = CodeDownloadUrl(company_idcode=UNIT, uploadcode_id=REG_ID, password="Secret#2024")
    assert "Secret#2024" not in repr(spec)
    assert "password='***'" in repr(spec)
    assert "password=None" in repr(CodeDownloadUrl(company_idcode=UNIT, uploadcode_id=REG_ID))


def test_506_code_required():
    invalid(ShortCodeSearch, "code", code=" ")
    invalid(ShortCodeSearch, "code", code=None)
