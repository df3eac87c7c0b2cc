"""Input files for the acceptance tests: valid units spread over the 101 note's cases, plus
rows that must never be sent."""

from __future__ import annotations

import csv
from pathlib import Path

# (province, city, area): a municipality, a no-district city, an ordinary three-level one
REGIONS = [
    (110000, 110000, 110105),
    (440000, 441900, 441900),
    (440000, 440300, 440305),
    (310000, 310000, 310115),
    (320000, 320500, 320506),
]
COLUMNS = ["login_name", "organunit_name", "code", "province_id", "city_id", "area_id", "linkphone"]


def valid_rows(count: int, prefix: str = "批量测试单位") -> list[dict[str, object]]:
    rows = []
    for n in range(count):
        province, city, area = REGIONS[n % len(REGIONS)]
        rows.append(
            {
                "login_name": f"9144{n:014d}",
                "organunit_name": f"{prefix}{n:04d}有限公司",
                "code": (1, 2, 6)[n % 3],
                "province_id": province,
                "city_id": city,
                "area_id": area,
                "linkphone": f"138{n:08d}",
            }
        )
    return rows


def invalid_rows() -> list[dict[str, object]]:
    """Rows the pre-flight refuses: each breaks one documented rule."""
    base = valid_rows(1, prefix="无效单位")[0]
    return [
        {**base, "organunit_name": "无效单位-北京有市级", "city_id": 110100},
        {
            **base,
            "organunit_name": "无效单位-东莞有区级",
            "province_id": 440000,
            "city_id": 441900,
            "area_id": 440305,
        },
        {
            **base,
            "organunit_name": "无效单位-区不在市下",
            "province_id": 440000,
            "city_id": 440300,
            "area_id": 320506,
        },
        {**base, "organunit_name": "无效单位-手机号", "linkphone": "0755-1234"},
        {
            **base,
            "organunit_name": "无效单位-省不存在",
            "province_id": 990000,
            "city_id": 990000,
            "area_id": 990000,
        },
        {**base, "organunit_name": "", "login_name": "9144INVALIDNAME"},
        {**base, "organunit_name": "无效单位-性质编码", "code": "企业"},
    ]


def write_csv(path: Path, rows: list[dict[str, object]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path
