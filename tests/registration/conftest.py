from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from idcode_async import IdcodeClient, RetryPolicy
from idcode_async.registration import UnitRegistration

from ..wire import TEST_AUTH_CODE, TEST_TOKEN
from .centre import Centre


@pytest.fixture
def centre() -> Centre:
    return Centre()


@pytest.fixture
async def client(centre: Centre) -> AsyncIterator[IdcodeClient]:
    async with IdcodeClient(
        access_token=TEST_TOKEN,
        auth_code=TEST_AUTH_CODE,
        transport=centre.transport(),
        retry=RetryPolicy(max_retries=2, backoff_base=0),
    ) as c:
        yield c


def unit(n: int, **changes: object) -> UnitRegistration:
    """The n-th sample unit: Beijing Chaoyang, as in the 101 note's example."""
    fields: dict[str, object] = {
        "login_name": f"91110105MA{n:08d}",
        "organunit_name": f"北京测试科技有限公司{n}",
        "code": 1,
        "province_id": 110000,
        "city_id": 110000,
        "area_id": 110105,
        "linkman": "张三",
        "linkphone": "13800138000",
    }
    fields.update(changes)
    return UnitRegistration(**fields)  # type: ignore[arg-type]
