"""Result codes every data interface documents, for each of the 43 (seed §四 and each table).

Every endpoint's table lists -1 (busy), 10001 (key does not exist) and 10002 (key disabled);
those that take a unit's main code answer 10003 for an unknown unit (306: 10006).  Each case
goes through ``client.call`` and comes back as the typed exception carrying the code and the
endpoint number.
"""

from __future__ import annotations

from typing import Any

import pytest

from idcode_async import AuthError, BusyError, IdcodeClient, NotFoundError, RetryPolicy, registry
from idcode_async.sandbox import TEST_ACCESS_TOKEN, FaultKind, Sandbox

from .helpers import (
    DATA_ENDPOINTS,
    UNKNOWN_REG_ID,
    UNKNOWN_UNIT,
    UNKNOWN_UPLOAD_ID,
    data_specs,
    requests_to,
)

SPECS = data_specs(UNKNOWN_UNIT, UNKNOWN_REG_ID, UNKNOWN_UPLOAD_ID)
WITH_UNIT = sorted(n for n, spec in SPECS.items() if hasattr(spec, "company_idcode"))


def test_the_document_has_43_data_interfaces_and_each_has_a_spec_here():
    pages = sorted(n for n, cls in registry.items() if cls.is_page)
    assert pages == [401, 405, 408, 607]
    assert len(DATA_ENDPOINTS) == 43
    assert sorted(SPECS) == list(DATA_ENDPOINTS)
    assert all(type(spec).number == n for n, spec in SPECS.items())


@pytest.mark.parametrize("number", DATA_ENDPOINTS)
async def test_10001_unknown_key_is_an_auth_error(sandbox: Sandbox, number: int):
    """10001 授权失败，授权 Key 不存在: a client holding a key the centre never issued."""
    async with sandbox.client(
        access_token="NOSUCHKEYAAAAAAAAAAAAAAAA",
        auth_code="RORJOOfU4OJ44XUf4uuXU4JuRLeeRAX7",
        retry=RetryPolicy(max_retries=0),
    ) as stranger:
        with pytest.raises(AuthError) as caught:
            await stranger.call(SPECS[number])
    assert (caught.value.code, caught.value.endpoint) == (10001, number)
    assert caught.value.message == "授权失败，授权 Key 不存在"
    assert requests_to(sandbox, number) == 1


@pytest.mark.parametrize("number", DATA_ENDPOINTS)
async def test_10002_disabled_key_is_an_auth_error(number: int):
    """10002 授权失败，授权 Key 已被禁用: the document's test key, disabled by the centre."""
    with Sandbox(disabled_keys=frozenset({TEST_ACCESS_TOKEN})) as sandbox:
        async with sandbox.client(retry=RetryPolicy(max_retries=0)) as client:
            with pytest.raises(AuthError) as caught:
                await client.call(SPECS[number])
    assert (caught.value.code, caught.value.endpoint) == (10002, number)


@pytest.mark.parametrize("number", DATA_ENDPOINTS)
async def test_minus_1_busy_is_a_busy_error_when_retries_are_off(
    sandbox: Sandbox, client: IdcodeClient, number: int
):
    """-1 系统繁忙: without retries the caller gets BusyError, for reads and writes alike."""
    sandbox.faults.schedule(FaultKind.BUSY, endpoint=number)
    with pytest.raises(BusyError) as caught:
        await client.call(SPECS[number])
    assert (caught.value.code, caught.value.endpoint) == (-1, number)
    assert caught.value.message == "系统繁忙，请稍后再试"


@pytest.mark.parametrize("number", WITH_UNIT)
async def test_10003_unknown_unit_is_not_found(client: IdcodeClient, number: int):
    """10003 单位信息不存在 for a main code the centre does not know; 306 documents 10006."""
    with pytest.raises(NotFoundError) as caught:
        await client.call(SPECS[number])
    expected = 10006 if number == 306 else 10003
    assert (caught.value.code, caught.value.endpoint) == (expected, number)


def _unit_of(spec: Any) -> str:
    return str(spec.company_idcode)


def test_the_unit_cases_cover_every_interface_that_takes_a_main_code():
    assert all(_unit_of(SPECS[n]) == UNKNOWN_UNIT for n in WITH_UNIT)
    assert set(WITH_UNIT) == {
        304, 305, 306, 308, 402, 403, 404, 406, 407, 409, 410,
        5011, 5012, 5013, 5014, 502, 503, 504, 505, 602, 605, 608,
    }  # fmt: skip
