"""Big answers: decoding 100,000 items through ``client.call`` against ``json.loads`` alone.

Three answers the centre can make long: 505 (``UploadedCodes``: a list of codes), 502
(``CodeRecordByCategory``: upload records) and 403 (``IdcodeInfoBase``: category
registrations).  Each is served from memory by an ``httpx.MockTransport`` so that no socket
is involved; ``client.call`` is timed end to end (build, sign, send, read, decode, check the
result code, structure into attrs classes) against ``json.loads`` of the same bytes.  Only
the public API is used, so the figure follows whatever decoder the client ships.

Peak memory is traced with ``tracemalloc`` in a separate, untimed run of each side.

Run: ``python benchmarks/bench_decode.py [--items 100000] [--rounds 3]``.  Goal (issue 13):
``client.call`` within 1.2x of ``json.loads``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import tracemalloc
import typing
from collections.abc import Callable
from typing import Any

import attrs
import httpx
from _results import record

from idcode_async import IdcodeClient, RetryPolicy
from idcode_async.endpoints import CodeRecordByCategory, IdcodeInfoBase, UploadedCodes

TOKEN = "J7X4LuOOfURXeAAEAAAAAABSK"
AUTH_CODE = "RORJOOfU4OJ44XUf4uuXU4JuRLeeRAX7"
COMPANY = "i.86.120103.1021"


def item_of(record_type: type[Any], n: int) -> dict[str, Any]:
    """One record with every documented field filled: numbers for ints, text otherwise."""
    hints = typing.get_type_hints(record_type)
    item: dict[str, Any] = {}
    for field in attrs.fields(record_type):
        item[field.name] = n if int in typing.get_args(hints[field.name]) else f"{field.name}-{n}"
    return item


def list_type(response_type: type[Any], name: str) -> type[Any]:
    (argument,) = typing.get_args(typing.get_type_hints(response_type)[name])
    return argument  # type: ignore[no-any-return]


def answers(items: int) -> dict[str, tuple[Any, bytes]]:
    codes = {"data": [f"{COMPANY}.1.1000.{n:07d}" for n in range(items)]}
    record_type = list_type(CodeRecordByCategory.response_type, "code_record_list")
    records = {"code_record_list": [item_of(record_type, n) for n in range(items)]}
    info_type = list_type(IdcodeInfoBase.response_type, "base_idcode_list")
    infos = {"base_idcode_list": [item_of(info_type, n) for n in range(items)]}
    specs = {
        "505 codes": (UploadedCodes(company_idcode=COMPANY, uploadcode_id="1"), codes),
        "502 records": (
            CodeRecordByCategory(
                company_idcode=COMPANY, idcode_of_category="10000001", model_number_code="A1"
            ),
            records,
        ),
        "403 registrations": (IdcodeInfoBase(company_idcode=COMPANY), infos),
    }
    return {
        name: (
            spec,
            json.dumps(
                {"result_code": 1, "result_msg": "成功", **body}, ensure_ascii=False
            ).encode(),
        )
        for name, (spec, body) in specs.items()
    }


def client_for(body: bytes) -> IdcodeClient:
    def serve(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    return IdcodeClient(
        access_token=TOKEN,
        auth_code=AUTH_CODE,
        transport=httpx.MockTransport(serve),
        retry=RetryPolicy(max_retries=0),
    )


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def peak_mib(run: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def measure(name: str, spec: Any, body: bytes, rounds: int) -> None:
    loop = asyncio.new_event_loop()
    client = client_for(body)
    try:

        def sdk() -> object:
            return loop.run_until_complete(client.call(spec))

        def raw() -> object:
            return json.loads(body)

        sdk()  # warm-up: converters are generated on first use
        sdk_s, raw_s = [], []
        for _ in range(rounds):  # interleaved
            sdk_s.append(timed(sdk))
            raw_s.append(timed(raw))
        ratio = statistics.median(sdk_s) / statistics.median(raw_s)
        sdk_peak, raw_peak = peak_mib(sdk), peak_mib(raw)
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
    print(
        f"{name:<18} {len(body) / 2**20:6.1f} MiB answer   client.call / json.loads "
        f"{ratio:6.2f}   peak {sdk_peak:6.1f} MiB vs {raw_peak:6.1f} MiB"
    )
    record("decode", f"{name}: client.call / json.loads", ratio, unit="x", goal="<=", target=1.2)
    record("decode", f"{name}: peak traced memory, client.call", sdk_peak, unit="MiB")
    record("decode", f"{name}: peak traced memory, json.loads", raw_peak, unit="MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"big answers of {args.items:,} items, median of {args.rounds} interleaved rounds")
    for name, (spec, body) in answers(args.items).items():
        measure(name, spec, body, args.rounds)


if __name__ == "__main__":
    main()
