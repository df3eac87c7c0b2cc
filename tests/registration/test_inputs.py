"""CSV and JSONL readers: BOM, row numbers, integer columns, bad rows, refused headers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from idcode_async.registration import InputFormatError, read_units, read_units_csv, read_units_jsonl

HEADER = "login_name,organunit_name,code,province_id,city_id,area_id,linkphone\n"
ROW_1 = "91110105MA00000001,北京测试科技有限公司1,1,110000,110000,110105,13800138000\n"
ROW_2 = "91441900MA00000002,东莞测试有限公司, 2 ,440000,441900,441900,\n"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_csv_with_and_without_bom(tmp_path, bom):
    path = write(tmp_path, "units.csv", bom + (HEADER + ROW_1 + ROW_2).encode())
    rows = list(read_units_csv(path))
    assert [r.row for r in rows] == [2, 3]
    first, second = (r.record for r in rows)
    assert first is not None
    assert second is not None
    assert first.login_name == "91110105MA00000001"
    assert (first.province_id, first.city_id, first.area_id) == (110000, 110000, 110105)
    assert second.code == 2
    assert second.linkphone is None


def test_csv_row_numbers_count_the_header_and_skip_blank_lines(tmp_path):
    path = write(tmp_path, "units.csv", HEADER + ROW_1 + ",,,,,,\n\n" + ROW_2)
    assert [r.row for r in read_units_csv(path)] == [2, 5]


def test_csv_bad_rows_are_reported_not_raised(tmp_path):
    bad_int = "91110105MA00000003,某公司,一,110000,110000,110105,\n"
    missing = ",某公司4,1,110000,110000,110105,\n"
    short = "91110105MA00000005,某公司5\n"
    path = write(tmp_path, "units.csv", HEADER + bad_int + missing + short + ROW_1)
    rows = list(read_units_csv(path))
    assert [(r.row, r.record is None) for r in rows] == [
        (2, True),
        (3, True),
        (4, True),
        (5, False),
    ]
    assert rows[0].problem == "code must be an integer, got '一'"
    assert rows[1].problem == "login_name is required"
    assert rows[2].problem == "has 2 cells; the header has 7 columns"


def test_csv_header_must_name_309_parameters(tmp_path):
    with pytest.raises(InputFormatError, match="unknown column"):
        list(
            read_units_csv(write(tmp_path, "a.csv", "organunit_nam," + HEADER), strict_columns=True)
        )
    with pytest.raises(InputFormatError, match="required column"):
        list(read_units_csv(write(tmp_path, "b.csv", "login_name,organunit_name\nx,y\n")))
    with pytest.raises(InputFormatError, match="appear twice"):
        list(read_units_csv(write(tmp_path, "c.csv", "code," + HEADER)))


@pytest.mark.parametrize("column", ["login_pwd", "password", "access_token", "auth_code"])
def test_csv_refuses_password_and_credential_columns(tmp_path, column):
    path = write(tmp_path, "units.csv", HEADER.rstrip("\n") + f",{column}\n" + ROW_1)
    with pytest.raises(InputFormatError, match="no password or credential"):
        list(read_units_csv(path))


def test_csv_that_is_neither_utf8_nor_gb18030_names_the_line(tmp_path):
    path = write(tmp_path, "units.csv", HEADER.encode() + b"\xff\xff,x\n")
    with pytest.raises(InputFormatError, match="line 2 is not UTF-8 \\(nor GB18030\\)"):
        list(read_units_csv(path))


def test_gbk_csv_from_excel_is_read_as_gb18030_and_said_so(tmp_path):
    path = write(tmp_path, "units.csv", (HEADER + ROW_1).encode("gbk"))
    notices: list[str] = []
    (row,) = read_units_csv(path, on_notice=notices.append)
    assert row.record is not None
    assert row.record.organunit_name == "北京测试科技有限公司1"
    assert notices == [
        f"{path}: read as GB18030 (GBK), since the file is not UTF-8; --encoding chooses another"
    ]


def test_explicit_encoding_is_used_and_a_wrong_one_names_the_line(tmp_path):
    path = write(tmp_path, "units.csv", (HEADER + ROW_1).encode("gbk"))
    (row,) = read_units_csv(path, encoding="gbk")
    assert row.record is not None
    assert row.record.organunit_name == "北京测试科技有限公司1"
    with pytest.raises(InputFormatError, match="line 2 is not utf-8 text"):
        list(read_units_csv(path, encoding="utf-8"))
    with pytest.raises(InputFormatError, match="unknown encoding 'nope'"):
        list(read_units_csv(path, encoding="nope"))


def test_unknown_columns_are_ignored_with_a_notice_in_csv_and_jsonl(tmp_path):
    csv_path = write(
        tmp_path, "units.csv", HEADER.rstrip("\n") + ",备注\n" + ROW_1.rstrip("\n") + ",老客户\n"
    )
    notices: list[str] = []
    (row,) = read_units_csv(csv_path, on_notice=notices.append)
    assert row.problem is None
    jsonl_path = write(
        tmp_path, "units.jsonl", jsonl({**GOOD, "备注": "老客户"}, {**GOOD, "备注": "x"})
    )
    (first, second) = read_units_jsonl(jsonl_path, on_notice=notices.append)
    assert first.problem is None
    assert second.problem is None
    assert notices == [
        f"{csv_path}: ignoring column(s) that are not 309's: 备注",
        f"{jsonl_path}: ignoring key(s) that are not 309's: 备注",
    ]


def test_a_stream_is_read_and_its_kind_sniffed():
    import io

    (row,) = read_units(io.BytesIO(jsonl(GOOD).encode()))
    assert row.record is not None
    (row,) = read_units(io.BytesIO((HEADER + ROW_1).encode("gbk")))
    assert row.record is not None
    assert row.record.organunit_name == "北京测试科技有限公司1"


def test_empty_csv_has_no_rows(tmp_path):
    assert list(read_units_csv(write(tmp_path, "units.csv", ""))) == []


def jsonl(*rows: object) -> str:
    return "".join(
        (row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n"
        for row in rows
    )


GOOD = {
    "login_name": 91110105000001,
    "organunit_name": "北京测试科技有限公司1",
    "code": "1",
    "province_id": 110000,
    "city_id": 110000,
    "area_id": 110105,
}


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_jsonl_with_and_without_bom_and_coercion(tmp_path, bom):
    path = write(tmp_path, "units.jsonl", bom + jsonl(GOOD).encode())
    (row,) = read_units_jsonl(path)
    assert row.row == 1
    assert row.record is not None
    assert row.record.login_name == "91110105000001"
    assert row.record.code == 1


def test_jsonl_and_csv_give_the_same_key_for_the_same_row(tmp_path):
    csv_path = write(tmp_path, "units.csv", HEADER + ROW_1)
    record = {**GOOD, "login_name": "91110105MA00000001", "linkphone": "13800138000"}
    jsonl_path = write(tmp_path, "units.jsonl", jsonl(record))
    (from_csv,) = read_units(csv_path)
    (from_jsonl,) = read_units(jsonl_path)
    assert from_csv.record is not None
    assert from_jsonl.record is not None
    assert from_csv.record.key == from_jsonl.record.key


def test_jsonl_bad_rows_are_reported_with_line_numbers(tmp_path):
    content = jsonl(
        GOOD,
        "",
        "{not json",
        "[1, 2]",
        {**GOOD, "province": 1},
        {**GOOD, "code": 1.5},
        {**GOOD, "code": True},
        {**GOOD, "organunit_name": None},
    )
    rows = list(read_units_jsonl(write(tmp_path, "units.jsonl", content), strict_columns=True))
    assert [r.row for r in rows] == [1, 3, 4, 5, 6, 7, 8]
    problems = [r.problem for r in rows]
    assert problems[0] is None
    assert problems[1].startswith("is not valid JSON")
    assert problems[2] == "is not a JSON object"
    assert problems[3] == "has unknown keys: province"
    assert problems[4] == "code must be text or an integer, got 1.5"
    assert problems[5] == "code must be text or an integer, got true"
    assert problems[6] == "organunit_name is required"


def test_jsonl_refuses_passwords(tmp_path):
    path = write(tmp_path, "units.jsonl", jsonl({**GOOD, "login_pwd": "123456"}))
    with pytest.raises(InputFormatError, match="no password"):
        list(read_units_jsonl(path))


def test_jsonl_invalid_utf8_line_is_a_bad_row(tmp_path):
    path = write(tmp_path, "units.jsonl", jsonl(GOOD).encode() + b'{"x": "\xff"}\n')
    rows = list(read_units_jsonl(path))
    assert rows[1].row == 2
    assert rows[1].problem.startswith("is not UTF-8")


def test_jsonl_lone_surrogate_escape_is_that_rows_problem(tmp_path):
    bad_value = '{"login_name": "9111", "organunit_name": "\\ud800", "code": 1}'
    bad_key = '{"\\udfff": 1}'
    path = write(tmp_path, "units.jsonl", jsonl(GOOD, bad_value, bad_key, GOOD))
    rows = list(read_units_jsonl(path))
    assert [r.row for r in rows] == [1, 2, 3, 4]
    assert [r.problem for r in rows[1:3]] == ["holds a \\u escape that is no Unicode character"] * 2
    assert rows[0].record is not None
    assert rows[3].record is not None
    for row in rows:  # every problem can be written out as UTF-8 (results, terminal)
        (row.problem or "").encode("utf-8")


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_jsonl_rows_end_at_newlines_only(tmp_path, separator):
    # JSON allows these unescaped inside a string; str.splitlines() breaks lines at them.
    odd = {**GOOD, "organunit_name": f"北京{separator}测试", "login_name": "9111"}
    path = write(tmp_path, "units.jsonl", jsonl(odd, GOOD).replace("\n", "\r\n", 1))
    rows = list(read_units_jsonl(path))
    assert [(r.row, r.problem) for r in rows] == [(1, None), (2, None)]
    assert rows[0].record is not None
    assert rows[0].record.organunit_name == f"北京{separator}测试"


def test_read_units_picks_the_reader_by_suffix(tmp_path):
    with pytest.raises(InputFormatError, match=r"\.csv or \.jsonl"):
        read_units(tmp_path / "units.xlsx")
    path = write(tmp_path, "units.ndjson", jsonl(GOOD))
    assert len(list(read_units(path))) == 1
