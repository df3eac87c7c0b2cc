"""Result codes every data interface documents, for each of the 43 (seed §四 and each table).

Every endpoint's table lists -1 (busy), 10001 (key does not exist) and 10002 (key disabled);
those that take a unit's main code answer 10003 for an unknown unit (306: 10006).  Each case
goes through ``client.call`` and comes back as the typed exception carrying the code and the
endpoint number.
"""

from __future__ import annotations

import pytest

from idcode_async import AuthError, BusyError, IdcodeClient, NotFoundError, RetryPolicy, registry
from idcode_async.endpoints import CodeRecordById, UploadCodePrefix
from idcode_async.sandbox import TEST_ACCESS_TOKEN, FaultKind, Sandbox

from .helpers import (
    DATA_ENDPOINTS,
    UNKNOWN_REG_ID,
    UNKNOWN_UNIT,
    UNKNOWN_UPLOAD_ID,
    data_specs,
    product_spec,
    requests_to,
    unit_spec,
)

SPECS = data_specs(UNKNOWN_UNIT, UNKNOWN_REG_ID, UNKNOWN_UPLOAD_ID)
WITH_UNIT = sorted(n for n, spec in SPECS.items() if hasattr(spec, "company_idcode"))


def test_the_document_has_43_data_interfaces_and_each_has_a_spec_here() -> None:
    """43 data interfaces + 4 page interfaces = the document's 47; each data one is covered."""
    pages = sorted(n for n, cls in registry.items() if cls.is_page)
    assert pages == [401, 405, 408, 607]
    assert len(DATA_ENDPOINTS) == 43
    assert sorted(SPECS) == list(DATA_ENDPOINTS)
    assert all(type(spec).number == n for n, spec in SPECS.items())


@pytest.mark.parametrize("number", DATA_ENDPOINTS)
async def test_10001_unknown_key_is_an_auth_error(sandbox: Sandbox, number: int) -> None:
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
    assert "NOSUCHKEY" not in str(caught.value)  # credentials never appear in errors
    assert requests_to(sandbox, number) == 1


@pytest.mark.parametrize("number", DATA_ENDPOINTS)
async def test_10002_disabled_key_is_an_auth_error(number: int) -> None:
    """10002 授权失败，授权 Key 已被禁用: the document's test key, disabled by the centre."""
    with Sandbox(disabled_keys=frozenset({TEST_ACCESS_TOKEN})) as sandbox:
        async with sandbox.client(retry=RetryPolicy(max_retries=0)) as client:
            with pytest.raises(AuthError) as caught:
                await client.call(SPECS[number])
    assert (caught.value.code, caught.value.endpoint) == (10002, number)


@pytest.mark.parametrize("number", DATA_ENDPOINTS)
async def test_minus_1_busy_is_a_busy_error_when_retries_are_off(
    sandbox: Sandbox, client: IdcodeClient, number: int
) -> None:
    """-1 系统繁忙: without retries the caller gets BusyError, for reads and writes alike."""
    sandbox.faults.schedule(FaultKind.BUSY, endpoint=number)
    with pytest.raises(BusyError) as caught:
        await client.call(SPECS[number])
    assert (caught.value.code, caught.value.endpoint) == (-1, number)
    assert caught.value.message == "系统繁忙，请稍后再试"


@pytest.mark.parametrize("number", WITH_UNIT)
async def test_10003_unknown_unit_is_not_found(client: IdcodeClient, number: int) -> None:
    """10003 单位信息不存在 for a main code the centre does not know; 306 documents 10006."""
    with pytest.raises(NotFoundError) as caught:
        await client.call(SPECS[number])
    expected = 10006 if number == 306 else 10003
    assert (caught.value.code, caught.value.endpoint) == (expected, number)


def test_the_unit_cases_cover_every_interface_that_takes_a_main_code() -> None:
    """The 10003 cases are every interface whose table has ``company_idcode``."""
    assert all(getattr(SPECS[n], "company_idcode", None) == UNKNOWN_UNIT for n in WITH_UNIT)
    assert set(WITH_UNIT) == {
        304, 305, 306, 308, 402, 403, 404, 406, 407, 409, 410,
        5011, 5012, 5013, 5014, 502, 503, 504, 505, 602, 605, 608,
    }  # fmt: skip


@pytest.mark.parametrize("number", DATA_ENDPOINTS)
async def test_pascal_case_envelopes_map_to_the_same_errors(number: int) -> None:
    """The document spells the envelope ``ResultCode``/``ResultMsg`` in places: same error."""
    with Sandbox(pascal_case_endpoints=frozenset(DATA_ENDPOINTS)) as sandbox:
        sandbox.faults.schedule(FaultKind.BUSY, endpoint=number)
        async with sandbox.client(retry=RetryPolicy(max_retries=0)) as client:
            with pytest.raises(BusyError) as caught:
                await client.call(SPECS[number])
    assert (caught.value.code, caught.value.endpoint) == (-1, number)
    assert caught.value.message == "系统繁忙，请稍后再试"


async def test_pascal_case_success_answers_decode() -> None:
    """309 → 406 → 5013 → 503 with every answer spelled ``ResultCode``/``ResultMsg``."""
    with Sandbox(pascal_case_endpoints=frozenset(DATA_ENDPOINTS)) as sandbox:
        async with sandbox.client(retry=RetryPolicy(max_retries=0)) as client:
            registered = await client.call(unit_spec())
            company = registered.organunit_idcode or ""
            category = await client.call(product_spec(company))
            batch = await client.call(
                UploadCodePrefix(
                    company_idcode=company,
                    category_reg_id=category.category_reg_id or "",
                    start_num=1,
                    end_num=1000,
                    version="2.0",
                )
            )
            records = await client.call(
                CodeRecordById(company_idcode=company, uploadcode_id=batch.uploadcode_id or "")
            )
    assert (registered.result_code, registered.result_msg) == (1, "成功")
    assert company.startswith("i.86.110105.")
    assert [r.code_num for r in records.records] == [1000]
