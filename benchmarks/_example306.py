"""The one answer the call benchmarks exchange: 306 ``CompanyInfoBase``'s example from the
document (its stray-space keys included), with the sandbox's test credentials.

Written once so that every ratio in the report is measured over the same bytes.
"""

from __future__ import annotations

import json

TOKEN = "J7X4LuOOfURXeAAEAAAAAABSK"
AUTH_CODE = "RORJOOfU4OJ44XUf4uuXU4JuRLeeRAX7"
PATH = "/sp/idcode/companyinfo/base"
COMPANY = "i.86.120103.1021"
ANSWER = json.dumps(
    {
        "organunit_id": 10030000000000001923,
        "organunit_idstr": "10030000000000001923",
        "plateformrole_id": 4,
        "province_id": 120000,
        "city_id": 120000,
        "area_id": 120103,
        "status_id": 100,
        "organunit_name": "天津测试有限公司",
        "organunit_oid": COMPANY,
        "linkman": "张三",
        " linkman_en": "Zhang San",
        " qrcode_logo ": 1,
        "result_code": 1,
        "result_msg": "成功",
    },
    ensure_ascii=False,
).encode()
