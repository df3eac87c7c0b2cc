"""Per-call overhead of ``client.call`` against a raw ``httpx.AsyncClient`` on the same server.

Both clients talk to the same in-process server (an ``httpx.MockTransport`` answering the
document's 306 example), so the ratio isolates what the SDK adds: building and validating the
spec, signing, encoding, decoding into attrs classes and mapping the result code.  The raw
baseline sends the same form fields (pre-signed once) and parses the JSON.

Run: ``python benchmarks/bench_call_overhead.py [--calls 5000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import timeit

import httpx
from _example306 import ANSWER, AUTH_CODE, PATH, TOKEN
from _results import record

from idcode_async import IdcodeAuth, IdcodeClient, sign
from idcode_async._wire import WireParams
from idcode_async.endpoints import CompanyInfoBase


def server(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=ANSWER, headers={"content-type": "application/json"})


async def raw_calls(n: int) -> float:
    async with httpx.AsyncClient(
        base_url="https://apitest.idcode.org.cn", transport=httpx.MockTransport(server)
    ) as client:
        started = time.perf_counter()
        for _ in range(n):
            fields = {
                "company_idcode": "i.86.120103.1021",
                "access_token": TOKEN,
                "time": str(time.time_ns() // 1_000_000),
            }
            fields["hash"] = sign(PATH, fields, AUTH_CODE)
            response = await client.post(PATH, data=fields)
            body = json.loads(response.content)
            assert body["result_code"] == 1
        return time.perf_counter() - started


async def sdk_calls(n: int) -> float:
    async with IdcodeClient(
        access_token=TOKEN, auth_code=AUTH_CODE, transport=httpx.MockTransport(server)
    ) as client:
        started = time.perf_counter()
        for _ in range(n):
            info = await client.call(CompanyInfoBase(company_idcode="i.86.120103.1021"))
            assert info.organunit_oid == "i.86.120103.1021"
        return time.perf_counter() - started


def signing_cost_us(rounds: int = 20000) -> float:
    auth = IdcodeAuth(TOKEN, AUTH_CODE)
    wire = WireParams(
        {
            "login_name": "91110105MA01ABCDE1",
            "organunit_name": "北京测试科技有限公司",
            "code": "1",
            "province_id": "110000",
            "city_id": "110000",
            "area_id": "110105",
            "gotourl": "http://www.example.com/m?id=1",
        }
    )
    seconds = min(timeit.repeat(lambda: auth.signed_fields(PATH, wire), number=rounds, repeat=5))
    return seconds / rounds * 1e6


async def main(calls: int, rounds: int) -> None:
    await raw_calls(200)
    await sdk_calls(200)
    raw, sdk = [], []
    for _ in range(rounds):  # interleaved, so drift affects both sides alike
        raw.append(await raw_calls(calls // rounds))
        sdk.append(await sdk_calls(calls // rounds))
    per = calls // rounds
    raw_us = statistics.median(raw) / per * 1e6
    sdk_us = statistics.median(sdk) / per * 1e6
    print(f"calls per side:        {per * rounds}")
    print(f"raw httpx per call:    {raw_us:8.1f} us")
    print(f"client.call per call:  {sdk_us:8.1f} us")
    signing = signing_cost_us()
    print(f"ratio (sdk / raw):     {sdk_us / raw_us:8.3f}   (target <= 1.3)")
    print(f"signing per call:      {signing:8.2f} us  (target <= 20)")
    record(
        "call overhead", "client.call / raw httpx", sdk_us / raw_us, unit="x", goal="<=", target=1.3
    )
    record("call overhead", "signing per call", signing, unit="us", goal="<=", target=20)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.rounds))
