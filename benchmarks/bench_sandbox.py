"""Sandbox throughput: SDK calls per second in-process and over loopback, against raw httpx.

What is measured, for each combination:

- **transport**: ``in-process`` (``httpx.ASGITransport`` into the sandbox's Starlette app, one
  event loop for client and server) or ``loopback`` (the sandbox served by uvicorn (h11) on
  127.0.0.1 with ``sandbox.serve.running``, in a thread of this process: client and server
  share one interpreter and its GIL, so loopback figures are a floor, not the server's peak).
- **endpoint**: a read, 306 (``CompanyInfoBase``: one unit's record), and a write, 5013
  (``UploadCodePrefix`` of a 10-code range, version 2.0: a new upload batch per call).
- **client**: ``sdk`` is ``await client.call(spec)`` with the spec built in the loop (validate,
  sign, encode, decode into attrs classes, map the result code), retries off; ``raw`` is a
  plain ``httpx.AsyncClient`` sending the same form fields, signed inline with hashlib by the
  document's rule (seed §四), and reading ``result_code`` from the JSON.
- **concurrency**: 1 (sequential) or 16 tasks in an anyio task group sharing one client.

Each measurement runs for a fixed time (``--seconds``, after a short warm-up) and counts
completed calls; every answer must be result code 1.  At the end the sandbox's counters must
account for every measured call and show no signature failure.

Run: ``python benchmarks/bench_sandbox.py [--seconds 1.5] [--concurrency 16]`` (about 30 s).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx

from idcode_async import IdcodeClient, RetryPolicy
from idcode_async.endpoints import (
    CompanyInfoBase,
    ProductCategoryRegister,
    UnitRegist,
    UploadCodePrefix,
)
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.sandbox.serve import running

READ_PATH = "/sp/idcode/companyinfo/base"
WRITE_PATH = "/sp/idcode/upload/codeprefix"
GOTOURL = "http://www.example.com/scan.aspx?id="

Call = Callable[[], Awaitable[None]]


def raw_fields(path: str, params: dict[str, str]) -> dict[str, str]:
    """Seed §四 without the SDK: sort, join raw values, append the auth code, MD5 upper-case."""
    fields = {**params, "access_token": TEST_ACCESS_TOKEN, "time": str(time.time_ns() // 10**6)}
    canonical = path + "?" + "&".join(f"{k}={fields[k]}" for k in sorted(fields))
    fields["hash"] = hashlib.md5((canonical + TEST_AUTH_CODE).encode()).hexdigest().upper()
    return fields


class World:
    """The unit and category the calls are about, registered once through the SDK."""

    def __init__(self, company: str, reg_id: str) -> None:
        self.company = company
        self.reg_id = reg_id

    @classmethod
    async def create(cls, client: IdcodeClient) -> World:
        unit = await client.call(
            UnitRegist(
                login_name="91110105MABENCH001",
                organunit_name="北京基准测试有限公司",
                code=1,
                province_id=110000,
                city_id=110000,
                area_id=110105,
            )
        )
        company = unit.organunit_idcode or ""
        category = await client.call(
            ProductCategoryRegister(
                company_idcode=company,
                industrycategory_id=232324,
                category_code="232324",
                model_number="基准洗衣液",
                model_number_code="BENCH",
                code_pay_type="2",
                gotourl=GOTOURL,
                sample_url=GOTOURL + "1",
            )
        )
        return cls(company, category.category_reg_id or "")

    def write_params(self) -> dict[str, str]:
        return {
            "company_idcode": self.company,
            "category_reg_id": self.reg_id,
            "prefix_str": "B",
            "start_num": "1",
            "end_num": "10",
            "version": "2.0",
        }


def sdk_calls(client: IdcodeClient, world: World) -> dict[str, Call]:
    async def read() -> None:
        info = await client.call(CompanyInfoBase(company_idcode=world.company))
        assert info.organunit_oid == world.company

    async def write() -> None:
        batch = await client.call(
            UploadCodePrefix(
                company_idcode=world.company,
                category_reg_id=world.reg_id,
                prefix_str="B",
                start_num=1,
                end_num=10,
                version="2.0",
            )
        )
        assert batch.uploadcode_id

    return {"306 read": read, "5013 write": write}


def raw_calls(http: httpx.AsyncClient, world: World) -> dict[str, Call]:
    async def send(path: str, params: dict[str, str]) -> dict[str, Any]:
        response = await http.post(path, data=raw_fields(path, params))
        body: dict[str, Any] = json.loads(response.content)
        assert body["result_code"] == 1, body
        return body

    async def read() -> None:
        body = await send(READ_PATH, {"company_idcode": world.company})
        assert body["organunit_oid"] == world.company

    async def write() -> None:
        body = await send(WRITE_PATH, world.write_params())
        assert body["data"]["uploadcode_id"]

    return {"306 read": read, "5013 write": write}


async def throughput(call: Call, seconds: float, concurrency: int) -> tuple[int, float]:
    """Completed calls and elapsed seconds: ``concurrency`` tasks loop until the deadline."""
    count = 0

    async def worker(deadline: float) -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            await call()
            count += 1

    warm_deadline = time.perf_counter() + min(0.2, seconds / 5)
    async with anyio.create_task_group() as group:
        for _ in range(concurrency):
            group.start_soon(worker, warm_deadline)
    count = 0
    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for _ in range(concurrency):
            group.start_soon(worker, started + seconds)
    return count, time.perf_counter() - started


Row = tuple[str, str, str, int, int, float]


async def measure(
    transport: str,
    sdk: IdcodeClient,
    raw: httpx.AsyncClient,
    world: World,
    seconds: float,
    levels: list[int],
) -> list[Row]:
    rows: list[Row] = []
    sdk_side, raw_side = sdk_calls(sdk, world), raw_calls(raw, world)
    for endpoint in sdk_side:
        for concurrency in levels:
            # interleaved, so that drift affects both clients alike
            for name, calls in (("raw", raw_side), ("sdk", sdk_side)):
                done, elapsed = await throughput(calls[endpoint], seconds, concurrency)
                rows.append((transport, endpoint, name, concurrency, done, done / elapsed))
    return rows


def make_sdk(**kwargs: Any) -> IdcodeClient:
    return IdcodeClient(
        access_token=TEST_ACCESS_TOKEN,
        auth_code=TEST_AUTH_CODE,
        retry=RetryPolicy(max_retries=0),
        **kwargs,
    )


async def in_process(seconds: float, levels: list[int]) -> tuple[list[Row], Sandbox]:
    sandbox = Sandbox()
    async with (
        sandbox.client(retry=RetryPolicy(max_retries=0)) as sdk,
        httpx.AsyncClient(transport=sandbox.transport(), base_url="http://sandbox.local") as raw,
    ):
        world = await World.create(sdk)
        rows = await measure("in-process", sdk, raw, world, seconds, levels)
    return rows, sandbox


async def over_loopback(base_url: str, seconds: float, levels: list[int]) -> list[Row]:
    async with (
        make_sdk(base_url=base_url) as sdk,
        httpx.AsyncClient(base_url=base_url) as raw,
    ):
        world = await World.create(sdk)
        return await measure("loopback", sdk, raw, world, seconds, levels)


def check(sandbox: Sandbox, rows: list[Row]) -> None:
    """Every measured call was counted by the sandbox (warm-up calls come on top), and every
    signature was accepted."""
    stats = sandbox.stats()
    assert stats["signature_failures"] == 0, stats["signature_failures"]
    reads = stats["requests"].get("306", 0)
    writes = stats["requests"].get("5013", 0)
    measured = sum(r[4] for r in rows)
    assert reads + writes >= measured, (reads, writes, measured)


def report(rows: list[Row]) -> None:
    print(
        f"{'transport':<11} {'endpoint':<11} {'tasks':>5} {'client':<6} {'calls':>7} "
        f"{'calls/s':>9} {'ms/call':>8} {'sdk/raw':>8}"
    )
    by_key = {(r[0], r[1], r[3], r[2]): r for r in rows}
    for transport, endpoint, client, tasks, done, rate in rows:
        ratio = ""
        if client == "sdk":
            raw_rate = by_key[(transport, endpoint, tasks, "raw")][5]
            ratio = f"{raw_rate / rate:8.2f}"  # time per call, SDK over raw
        print(
            f"{transport:<11} {endpoint:<11} {tasks:>5} {client:<6} {done:>7} "
            f"{rate:>9.0f} {1000 / rate * tasks:>8.2f} {ratio:>8}"
        )
    print("ms/call is the latency each task saw (tasks x seconds / calls); sdk/raw is the")
    print("SDK's time per call over raw httpx's on the same server (1.00 = no overhead).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="per measurement")
    parser.add_argument("--concurrency", type=int, default=16)
    args, _ = parser.parse_known_args()  # nox passes every benchmark the same arguments
    levels = [1, args.concurrency]
    started = time.perf_counter()
    print(
        f"python {platform.python_version()}, httpx {httpx.__version__}, "
        f"{args.seconds:.1f} s per measurement"
    )

    rows, sandbox = anyio.run(in_process, args.seconds, levels)
    check(sandbox, rows)
    sandbox.close()

    with Sandbox() as served, running(served) as base_url:
        loop_rows = anyio.run(over_loopback, base_url, args.seconds, levels)
        check(served, loop_rows)

    report(rows + loop_rows)
    for label, group in (("in-process", rows), ("loopback", loop_rows)):
        sequential = {r[1]: r[5] for r in group if r[2] == "sdk" and r[3] == 1}
        shown = ", ".join(f"{endpoint} {rate:.0f}" for endpoint, rate in sequential.items())
        print(f"sequential SDK calls/s, {label:<10}: {shown}")
    print(f"total run time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
