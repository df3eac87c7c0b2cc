"""Pre-flight checks: the spec's rules, 101 membership, duplicates; bad rows never pass."""

from __future__ import annotations

import pytest

from idcode_async.domain.regions import RegionDirectory
from idcode_async.endpoints import AddressInfo
from idcode_async.registration import PreflightError, SourceRow
from idcode_async.registration.validation import check_rows

from .centre import REGIONS
from .conftest import unit

DIRECTORY = RegionDirectory.from_records([AddressInfo(**r) for r in REGIONS])  # type: ignore[arg-type]


def rows(*records: object) -> list[SourceRow]:
    return [
        r if isinstance(r, SourceRow) else SourceRow(i, r)  # type: ignore[arg-type]
        for i, r in enumerate(records, start=2)
    ]


def test_valid_rows_carry_their_spec_and_key():
    result = check_rows(rows(unit(1), unit(2)), DIRECTORY)
    assert [v.row for v in result.valid] == [2, 3]
    assert result.valid[0].key == unit(1).key
    assert result.valid[0].spec.organunit_name == "北京测试科技有限公司1"
    assert result.invalid == ()


def test_reader_problems_become_invalid_rows():
    result = check_rows([SourceRow(7, None, "code must be an integer, got 'x'")], DIRECTORY)
    assert [(i.row, i.message) for i in result.invalid] == [(7, "code must be an integer, got 'x'")]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"linkphone": "010-1234"}, "linkphone must be an 11-digit mainland mobile number"),
        ({"city_id": 110105}, "city_id province 110000 has no city level: city_id must be 110000"),
        (
            {"province_id": 440000, "city_id": 441900, "area_id": 440305},
            "area_id city 441900 has no district level: area_id must be 441900",
        ),
        ({"organunit_name": "  "}, "organunit_name is required"),
        ({"gotourl": "ftp://x"}, "gotourl must be an absolute http(s) URL"),
        ({"qrcode_size": 4}, "qrcode_size must be one of 1, 2, 3, got 4"),
        # a NUL from a spreadsheet cell would be stored, or cut the name short, at the centre
        (
            {"organunit_name": "北京\x00测试"},
            "organunit_name holds the control character U+0000 at position 2",
        ),
        ({"province_id": 990000, "city_id": 990000, "area_id": 990000}, "province_id"),
        (
            {"province_id": 440000, "city_id": 440300, "area_id": 110105},
            "area_id 110105 is not under 440300",
        ),
    ],
)
def test_rule_breaking_rows_are_invalid_with_a_reason(changes, reason):
    result = check_rows(rows(unit(1, **changes)), DIRECTORY)
    assert result.valid == ()
    (invalid,) = result.invalid
    assert invalid.message.startswith(reason)


def test_dongguan_without_district_level_is_valid():
    row = unit(1, province_id=440000, city_id=441900, area_id=441900)
    assert len(check_rows(rows(row), DIRECTORY).valid) == 1


def test_without_a_directory_only_the_documented_rules_apply():
    row = unit(1, province_id=440000, city_id=440300, area_id=110105)
    assert len(check_rows(rows(row), None).valid) == 1


def test_duplicate_names_and_user_names_are_reported_and_only_the_first_is_kept():
    result = check_rows(
        rows(
            unit(1),
            unit(1),
            unit(2, organunit_name="北京测试科技有限公司1 "),
            unit(3, login_name=unit(1).login_name),
            unit(4),
        ),
        DIRECTORY,
    )
    assert [v.row for v in result.valid] == [2, 6]
    assert [(i.row, i.message) for i in result.invalid] == [
        (3, "organunit_name '北京测试科技有限公司1' is already in row 2"),
        (4, "organunit_name '北京测试科技有限公司1' is already in row 2"),
        (5, "login_name '91110105MA00000001' is already in row 2"),
    ]


def test_an_invalid_first_row_does_not_block_a_corrected_later_one():
    result = check_rows(rows(unit(1, linkphone="1"), unit(1)), DIRECTORY)
    assert [v.row for v in result.valid] == [3]


def test_empty_region_table_stops_the_run_before_anything_is_sent():
    with pytest.raises(PreflightError, match="no regions"):
        check_rows(rows(unit(1)), RegionDirectory.from_records([]))
