"""Fault injection and the counters that prove nothing was lost or duplicated."""

from __future__ import annotations

import time

import httpx
import pytest

from idcode_async.sandbox import ConnectionDropped, FaultKind, Faults, Sandbox

from .helpers import Api

UNIT = {
    "login_name": "91310104MA1F000001",
    "organunit_name": "上海故障测试有限公司",
    "code": 1,
    "province_id": 310000,
    "city_id": 310000,
    "area_id": 310104,
}
REGIST = "/sp/idcode/unit/regist"


async def test_busy_answers_minus_one_without_processing(api: Api, sandbox: Sandbox):
    sandbox.faults.schedule(FaultKind.BUSY, endpoint=309)
    body = await api.answer(REGIST, UNIT)
    assert body == {"result_code": -1, "result_msg": "系统繁忙，请稍后再试"}
    assert sandbox.state.units == {}
    assert sandbox.stats()["submissions_by_name"]["309"] == {}
    assert (await api.answer(REGIST, UNIT))["result_code"] == 1  # the schedule is used up
    stats = sandbox.stats()
    assert stats["submissions_by_name"]["309"] == {"上海故障测试有限公司": 1}
    assert len(stats["submission_starts_ms"]["309"]) == 2
    assert stats["faults"]["busy"] == 1


async def test_html_502_page(api: Api, sandbox: Sandbox):
    sandbox.faults.html_502_probability = 1.0
    response = await api.send("/sp/idcode/addresses")
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert "502 Bad Gateway" in response.text
    stats = (await api.client.get("/_sandbox/stats")).json()  # inspection is never faulted
    assert stats["faults"]["html_502"] == 1


async def test_drop_before_processing(api: Api, sandbox: Sandbox):
    sandbox.faults.schedule("drop_before", endpoint=309)
    with pytest.raises(httpx.RemoteProtocolError) as raised:
        await api.send(REGIST, UNIT)
    assert isinstance(raised.value, ConnectionDropped)
    assert sandbox.state.units == {}
    assert sandbox.stats()["submissions_by_name"]["309"] == {}
    assert sandbox.stats()["requests"]["309"] == 1


async def test_drop_after_processing_then_retry_is_visible(api: Api, sandbox: Sandbox):
    """The registration happened, the answer was lost: a blind retry shows up as a duplicate."""
    sandbox.faults.schedule(FaultKind.DROP_AFTER, endpoint=309)
    with pytest.raises(httpx.TransportError):
        await api.send(REGIST, UNIT)
    assert [u.organunit_name for u in sandbox.state.units.values()] == ["上海故障测试有限公司"]
    assert sandbox.stats()["submissions_by_name"]["309"] == {"上海故障测试有限公司": 1}
    retry = await api.answer(REGIST, UNIT)
    assert retry["result_code"] == 10007
    assert sandbox.stats()["submissions_by_name"]["309"] == {"上海故障测试有限公司": 2}
    found = await api.ok(
        "/sp/idcode/companyinfo/search", {"company_name": UNIT["organunit_name"], "search_type": 1}
    )
    assert len(found["organunit_list"]) == 1


async def test_latency(api: Api, sandbox: Sandbox):
    sandbox.faults.latency_seconds = 0.2
    started = time.perf_counter()
    assert await api.code("/sp/idcode/unittypes") == 1
    assert time.perf_counter() - started >= 0.2
    assert sandbox.stats()["faults"]["latency"] == 1
    sandbox.faults.clear()
    sandbox.faults.schedule(FaultKind.LATENCY, seconds=0.1)
    started = time.perf_counter()
    await api.ok("/sp/idcode/unittypes")
    assert 0.1 <= time.perf_counter() - started < 1


async def test_faults_limited_to_endpoints(api: Api, sandbox: Sandbox):
    sandbox.faults.busy_probability = 1.0
    sandbox.faults.endpoints = frozenset({309})
    assert await api.code("/sp/idcode/unittypes") == 1
    assert await api.code(REGIST, UNIT) == -1


async def _outcomes(seed: int) -> list[str]:
    faults = Faults(busy_probability=0.3, html_502_probability=0.2, seed=seed)
    with Sandbox(faults=faults) as sandbox:
        async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://s") as c:
            api = Api(c)
            outcomes = []
            for _ in range(30):
                response = await api.send("/sp/idcode/unittypes")
                outcomes.append(
                    "502" if response.status_code == 502 else str(response.json()["result_code"])
                )
            return outcomes


async def test_faults_are_deterministic_under_a_seed():
    first, again, other = await _outcomes(7), await _outcomes(7), await _outcomes(8)
    assert first == again
    assert first != other
    assert {"1", "-1", "502"} <= set(first)


def test_fault_plan_kinds_and_schedule():
    faults = Faults()
    faults.schedule(FaultKind.DROP_AFTER, endpoint=309, times=2)
    assert faults.plan(101).kinds == []
    assert faults.plan(309).kinds == [FaultKind.DROP_AFTER]
    assert faults.plan(309).drop_after
    assert not faults.plan(309).drop_after
    with pytest.raises(ValueError, match="times"):
        faults.schedule(FaultKind.BUSY, times=0)


def test_config_faults_are_copied_per_sandbox():
    initial = Faults(busy_probability=0.5)
    with Sandbox(faults=initial) as first, Sandbox(faults=initial) as second:
        first.faults.busy_probability = 0.0
        assert second.faults.busy_probability == 0.5
        assert initial.busy_probability == 0.5


async def test_stats_document(api: Api, sandbox: Sandbox):
    await api.ok("/sp/idcode/addresses")
    await api.ok(REGIST, UNIT)
    await api.code("/sp/idcode/unittypes", auth_code="WRONG")
    served = (await api.client.get("/_sandbox/stats")).json()
    assert served == sandbox.stats()
    assert set(served) == {
        "requests",
        "signature_failures",
        "submissions_by_name",
        "submission_starts_ms",
        "faults",
    }
    assert served["requests"] == {"101": 1, "105": 1, "309": 1}
    assert served["signature_failures"] == 1
    assert served["submissions_by_name"] == {"309": {"上海故障测试有限公司": 1}, "301": {}}
    (start,) = served["submission_starts_ms"]["309"]
    assert abs(start - time.time() * 1000) < 60_000
    assert (await api.client.post("/_sandbox/stats")).status_code == 405


async def test_concurrent_duplicates_register_once(api: Api, sandbox: Sandbox):
    import anyio

    answers: list[int] = []

    async def submit() -> None:
        answers.append(await api.code(REGIST, UNIT))

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(submit)
    assert sorted(answers) == [1, 10007, 10007, 10007, 10007]
    assert sandbox.stats()["submissions_by_name"]["309"] == {"上海故障测试有限公司": 5}
