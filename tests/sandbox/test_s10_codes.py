"""Section 十 (5011–5014, 502–506): code uploads, upload records, codes and short codes."""

from __future__ import annotations

import io
import time
import zipfile

import httpx
import pytest

from idcode_async.sandbox import Sandbox

from .helpers import Api


def _target(unit: str, product: tuple[str, str]) -> dict[str, object]:
    return {"company_idcode": unit, "category_reg_id": product[0]}


async def _codes(api: Api, unit: str, upload_id: str, code_type: int = 1) -> list[str]:
    params = {"company_idcode": unit, "uploadcode_id": upload_id, "code_type": code_type}
    body = await api.ok("/sp/idcode/uploadcode/json", params)
    return list(body["data"])


async def test_5011_text_file(api: Api, unit: str, product: tuple[str, str]):
    category_code = product[1]
    content = "\ufeff0001\r\n0002\r\n\r\n" + category_code + "0003\n  0004  \n"
    files = {"code_file": ("codes.txt", content.encode("utf-8"))}
    v1 = await api.answer("/sp/idcode/upload/codefile", _target(unit, product), files=files)
    assert v1 == {"result_code": 1, "result_msg": "成功"}
    params = {**_target(unit, product), "version": "2.0", "generate_type": "0"}
    v2 = await api.ok("/sp/idcode/upload/codefile", params, files=files)
    upload_id = v2["data"]["uploadcode_id"]
    assert isinstance(upload_id, str)
    assert len(upload_id) == 20
    codes = await _codes(api, unit, upload_id)
    assert codes == [category_code + c for c in ("0001", "0002", "0003", "0004")]
    record = await api.ok(
        "/sp/idcode/upload/codeinfo", {"company_idcode": unit, "uploadcode_id": upload_id}
    )
    (tab,) = record["code_record_tab"]
    assert record["code_record_list"] is None
    assert (tab["code_num"], tab["upload_type"], tab["code_file_name"]) == (4, 1, "codes.txt")


@pytest.mark.parametrize(
    ("name", "content", "code", "message"),
    [
        ("codes.csv", b"0001\n", 40002, "上传文件格式错误"),
        ("codes.txt", "0001\n".encode("gbk") + "编码".encode("gbk"), 40003, "文件错误"),
        ("codes.txt", b"0001\nnot/a code\n", 59999, "文件内容错误"),
        ("codes.txt", b"\n\n", 59999, "文件内容错误"),
    ],
)
async def test_5011_file_errors(api: Api, unit: str, product, name, content, code, message):
    files = {"code_file": (name, content)}
    body = await api.answer("/sp/idcode/upload/codefile", _target(unit, product), files=files)
    assert (body["result_code"], body["result_msg"]) == (code, message)


async def test_5011_unknown_unit_and_registration(api: Api, unit: str, product):
    files = {"code_file": ("codes.txt", b"1\n")}
    path = "/sp/idcode/upload/codefile"
    assert (
        await api.code(
            path, {**_target(unit, product), "company_idcode": "i.86.0.404"}, files=files
        )
        == 10003
    )
    body = await api.answer(path, {**_target(unit, product), "category_reg_id": "123"}, files=files)
    assert (body["result_code"], body["result_msg"]) == (50003, "品类注册 ID 错误")
    assert await api.code(path, _target(unit, product), files={"other": ("x.txt", b"1")}) == 10000
    assert await api.code(path, {**_target(unit, product), "version": "3.0"}, files=files) == 10000


async def test_5012_list(api: Api, unit: str, product):
    path = "/sp/idcode/upload/codelist"
    body = await api.ok(
        path, {**_target(unit, product), "code_list_str": "A1,A2, A3", "version": "2.0"}
    )
    codes = await _codes(api, unit, body["data"]["uploadcode_id"])
    assert codes == [product[1] + c for c in ("A1", "A2", "A3")]
    empty = await api.answer(path, {**_target(unit, product), "code_list_str": ""})
    assert (empty["result_code"], empty["result_msg"]) == (50004, "码数组为空")
    assert await api.code(path, _target(unit, product)) == 50004
    bad = await api.answer(path, {**_target(unit, product), "code_list_str": "A1,,A2"})
    assert (bad["result_code"], bad["result_msg"]) == (59999, "码号列表有错误")
    assert await api.code(path, {**_target(unit, product), "code_list_str": "a b"}) == 59999
    assert (
        await api.code(
            path, {**_target(unit, product), "category_reg_id": "x", "code_list_str": "1"}
        )
        == 50003
    )


async def test_5013_prefix_range(api: Api, unit: str, product):
    path = "/sp/idcode/upload/codeprefix"
    params = {
        **_target(unit, product),
        "prefix_str": "SN",
        "start_num": 8,
        "end_num": 11,
        "version": "2.0",
    }
    body = await api.ok(path, params, method="GET")
    codes = await _codes(api, unit, body["data"]["uploadcode_id"])
    assert codes == [product[1] + c for c in ("SN8", "SN9", "SN10", "SN11")]
    for change in (
        {"start_num": 5, "end_num": 4},
        {"start_num": -1},
        {"end_num": 2**31},
        {"prefix_str": "a/b"},
    ):
        assert await api.code(path, {**params, **change}) == 10000
    assert await api.code(path, {**params, "company_idcode": "i.86.0.404"}) == 10003
    assert await api.code(path, {**params, "category_reg_id": "1"}) == 50003


async def test_5014_fixed_length(api: Api, unit: str, product):
    path = "/sp/idcode/upload/fixedlength"
    params = {
        **_target(unit, product),
        "prefix_str": "B",
        "start_num": 98,
        "end_num": 101,
        "length": 5,
        "version": "2.0",
    }
    body = await api.ok(path, params)
    codes = await _codes(api, unit, body["data"]["uploadcode_id"])
    assert codes == [product[1] + c for c in ("B00098", "B00099", "B00100", "B00101")]
    assert await api.code(path, {**params, "length": 2}) == 10000
    assert await api.code(path, {k: v for k, v in params.items() if k != "length"}) == 10000
    assert await api.code(path, {**params, "company_idcode": "i.86.0.404"}) == 10003
    assert await api.code(path, {**params, "category_reg_id": "1"}) == 50003


async def test_a_hundred_million_codes_cost_nothing(unit: str, product, sandbox: Sandbox, api: Api):
    started = time.perf_counter()
    params = {**_target(unit, product), "start_num": 1, "end_num": 100_000_000, "version": "2.0"}
    body = await api.ok("/sp/idcode/upload/codeprefix", params)
    upload_id = body["data"]["uploadcode_id"]
    stored = sandbox.state.uploads[int(upload_id)]
    assert stored.codes is None
    assert stored.file is None
    record = await api.ok(
        "/sp/idcode/upload/codeinfo", {"company_idcode": unit, "uploadcode_id": upload_id}
    )
    assert record["code_record_tab"][0]["code_num"] == 100_000_000
    assert record["code_record_tab"][0]["end_number"] == 100_000_000
    short = await api.ok("/sp/idcode/shortcode/search", {"code": product[1] + "99999999"})
    assert len(short["data"]) == 1
    assert time.perf_counter() - started < 2


async def test_505_caps_huge_answers():
    with Sandbox(max_json_codes=1000) as sandbox:
        async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://s") as c:
            api = Api(c)
            company = await api.register_unit()
            reg_id, category = await api.register_product(company)
            params = {
                "company_idcode": company,
                "category_reg_id": reg_id,
                "start_num": 1,
                "end_num": 5000,
                "version": "2.0",
            }
            upload_id = (await api.ok("/sp/idcode/upload/codeprefix", params))["data"][
                "uploadcode_id"
            ]
            response = await api.send(
                "/sp/idcode/uploadcode/json",
                {"company_idcode": company, "uploadcode_id": upload_id},
            )
    body = response.json()
    assert len(body["data"]) == 1000
    assert body["data"][0] == category + "1"
    assert response.headers["x-sandbox-truncated"] == "1000/5000"


async def test_502_records_by_category(api: Api, unit: str, product):
    await api.ok("/sp/idcode/upload/codelist", {**_target(unit, product), "code_list_str": "X1,X2"})
    await api.ok(
        "/sp/idcode/upload/codeprefix", {**_target(unit, product), "start_num": 1, "end_num": 10}
    )
    path = "/sp/idcode/upload/coderecord"
    body = await api.ok(
        path, {"company_idcode": unit, "idcode_of_category": "232324", "model_number_code": "A1"}
    )
    assert body["code_record_tab"] is None
    records = body["code_record_list"]
    assert [r["code_num"] for r in records] == [2, 10]
    assert [r["upload_type"] for r in records] == [2, 2]
    first = records[0]
    assert set(first) == {
        "uploadcode_id",
        "organunit_id",
        "ioidcategory_id",
        "code_type",
        "codesegment_id",
        "code_num",
        "upload_type",
        "code_file_name",
        "iftrans",
        "trans_flag",
        "transdown_lb_picname",
        "trans_file_name",
        "start_number",
        "end_number",
        "transdown_qr_picname",
        "create_code",
    }
    assert isinstance(first["uploadcode_id"], int)
    assert len(str(first["uploadcode_id"])) == 20
    assert (first["code_type"], first["codesegment_id"], first["iftrans"]) == (1, 1, 1)
    assert (records[1]["start_number"], records[1]["end_number"]) == (1, 10)
    other = await api.ok(
        path, {"company_idcode": unit, "idcode_of_category": "232324", "model_number_code": "ZZ"}
    )
    assert other["code_record_list"] == []
    assert (
        await api.code(
            path,
            {"company_idcode": "i.86.0.404", "idcode_of_category": "1", "model_number_code": "A1"},
        )
        == 10003
    )


async def test_503_errors(api: Api, unit: str, product):
    path = "/sp/idcode/upload/codeinfo"
    assert (
        await api.code(path, {"company_idcode": unit, "uploadcode_id": "10050000000000009999"})
        == 10000
    )
    assert await api.code(path, {"company_idcode": "i.86.0.404", "uploadcode_id": "1"}) == 10003


async def _upload(api: Api, unit: str, product, **extra: object) -> str:
    params = {**_target(unit, product), "code_list_str": "C1,C2,C3", "version": "2.0", **extra}
    body = await api.ok("/sp/idcode/upload/codelist", params)
    return str(body["data"]["uploadcode_id"])


@pytest.mark.parametrize("password", [None, "secret-pw"])
async def test_504_download_zip(api: Api, unit: str, product, password):
    upload_id = await _upload(api, unit, product)
    params = {"company_idcode": unit, "uploadcode_id": upload_id}
    if password:
        params["password"] = password
    url = (await api.ok("/sp/idcode/uploadcode", params))["codefileurl_info"]
    assert url.startswith("http://sandbox.local/_sandbox/files/")
    archive = await api.client.get(url)
    assert archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
        text = zipped.read(f"{upload_id}.txt", pwd=password.encode() if password else None)
    lines = text.decode().split("\r\n")[:-1]
    assert lines == [f"http://stest.idcode.org.cn/?code={product[1]}C{i}" for i in (1, 2, 3)]


async def test_504_errors(api: Api, unit: str, product):
    upload_id = await _upload(api, unit, product)
    path = "/sp/idcode/uploadcode"
    params = {"company_idcode": unit, "uploadcode_id": upload_id}
    short = await api.answer(path, {**params, "password": "12345"})
    assert (short["result_code"], short["result_msg"]) == (50005, "解压密码最少为 6位")
    assert await api.code(path, {**params, "password": "x" * 17}) == 50006
    assert await api.code(path, {**params, "uploadcode_id": "42"}) == 10000
    assert await api.code(path, {**params, "company_idcode": "i.86.0.404"}) == 10003
    assert await api.code(path, {**params, "code_type": 2}) == 10000
    assert (await api.client.get("/_sandbox/files/nope/1.zip")).status_code == 404


async def test_short_codes_wait_for_generation():
    with Sandbox(short_code_delay=60) as sandbox:
        async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://s") as c:
            api = Api(c)
            company = await api.register_unit()
            product = await api.register_product(company)
            upload_id = await _upload(api, company, product)
            params = {"company_idcode": company, "uploadcode_id": upload_id, "code_type": 0}
            for path in ("/sp/idcode/uploadcode", "/sp/idcode/uploadcode/json"):
                body = await api.answer(path, params)
                assert (body["result_code"], body["result_msg"]) == (50013, "没有生成简码")
            assert (await api.ok("/sp/idcode/shortcode/search", {"code": product[1] + "C1"}))[
                "data"
            ] == []
            sandbox.advance_time(60)
            short = (await api.ok("/sp/idcode/uploadcode/json", params))["data"]
            assert len(short) == 3
            assert len(set(short)) == 3
            found = await api.ok("/sp/idcode/shortcode/search", {"code": product[1] + "C2"})
            assert found["data"] == [short[1]]


async def test_505_errors(api: Api, unit: str, product):
    upload_id = await _upload(api, unit, product)
    path = "/sp/idcode/uploadcode/json"
    assert (
        await api.code(path, {"company_idcode": "i.86.0.404", "uploadcode_id": upload_id}) == 10003
    )
    assert await api.code(path, {"company_idcode": unit, "uploadcode_id": "1"}) == 10000


async def test_5011_file_lost_is_50007(api: Api, sandbox: Sandbox, unit: str, product):
    params = {**_target(unit, product), "version": "2.0"}
    body = await api.ok(
        "/sp/idcode/upload/codefile", params, files={"code_file": ("c.txt", b"1\n2\n")}
    )
    upload_id = body["data"]["uploadcode_id"]
    file = sandbox.state.uploads[int(upload_id)].file
    assert file is not None
    file.unlink()
    answer = await api.answer(
        "/sp/idcode/uploadcode/json", {"company_idcode": unit, "uploadcode_id": upload_id}
    )
    assert (answer["result_code"], answer["result_msg"]) == (50007, "原文件已损坏")


async def test_506_one_short_code_per_upload(api: Api, unit: str, product):
    first = await _upload(api, unit, product, generate_type="1")
    second = await _upload(api, unit, product, generate_type="0")
    found = await api.ok("/sp/idcode/shortcode/search", {"code": product[1] + "C3"})
    assert len(found["data"]) == 2
    firsts = await _codes(api, unit, first, code_type=0)
    seconds = await _codes(api, unit, second, code_type=0)
    assert found["data"] == [firsts[2], seconds[2]]
    assert firsts == sorted(firsts)  # sequential
    assert not set(firsts) & set(seconds)
    assert (await api.ok("/sp/idcode/shortcode/search", {"code": "i.86.1.1/10.1.1/zzz"}))[
        "data"
    ] == []
    assert await api.code("/sp/idcode/shortcode/search", {}) == 10000
