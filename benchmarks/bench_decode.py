"""Big answers: decoding 100,000 items through ``client.call`` against ``json.loads`` alone.

Three answers the centre can make long: 505 (``UploadedCodes``: a list of codes), 502
(``CodeRecordByCategory``: upload records) and 403 (``IdcodeInfoBase``: category
registrations).  Each is served from memory by an ``httpx.MockTransport`` so that no socket
is involved; ``client.call`` is timed end to end (build, sign, send, read, decode, check the
result code, structure into attrs classes) against ``json.loads`` of the same bytes.  Only
the public API is used, so the figure follows whatever decoder the client ships.

With the ``speedups`` extra installed (orjson) the client parses with orjson first; the same
answers are also timed with the standard parser alone (the one private switch used here), as an
install without the extra decodes them.

Peak memory is the growth of the peak resident set (``ru_maxrss``) while one decode runs, in a
fresh process per side that reads the answer from a file first.  ``tracemalloc`` is not used:
orjson reserves a buffer sized for the worst case that is counted there in full but mostly
never touched, so traced figures overstate its memory about threefold.

Timing: each round times every side once, in an order that turns from round to round, as
CPU time (``process_time``: time descheduled on a shared machine is left out), each after a
full garbage collection.  The figure is the median over rounds of each round's ratio to the
``json.loads`` run beside it, which cancels most of the machine's drift; the range of those
ratios is printed beside it.

Run: ``python benchmarks/bench_decode.py [--items 100000] [--rounds 7]``.  Goal (issue 13):
``client.call`` within 1.2x of ``json.loads``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import operator
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import typing
from collections.abc import Callable
from typing import Any

import attrs
import httpx
from _results import record

from idcode_async import IdcodeClient, RetryPolicy, _converter
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


def timed(run: Callable[[], object], repeat: int = 1) -> float:
    """CPU seconds of one ``run`` (freeing its result included; the mean of ``repeat`` runs),
    after a full collection so that no earlier garbage is collected on its time."""
    gc.collect()
    started = time.process_time()
    for _ in range(repeat):
        run()
    return (time.process_time() - started) / repeat


BATCH_SECONDS = 0.1
"""Shorter runs (505's answer parses in about 10 ms) are repeated within each round up to
about this long, so that one disturbance does not decide a round."""


def standard_parser_only() -> bool:
    """Make the client parse as without the ``speedups`` extra; whether it had orjson."""
    had = _converter._strict_loads is not _converter._no_fast_parser
    _converter._strict_loads = _converter._no_fast_parser
    return had


def peak_growth_mib(run: Callable[[], object]) -> float:
    """How far this process's peak resident set grows while ``run`` runs."""
    before = high_water_kib()
    run()
    return (high_water_kib() - before) / 1024


def high_water_kib() -> int:
    """The peak resident set of this process image: Linux's ``VmHWM``, which starts afresh at
    ``exec`` (``ru_maxrss`` keeps the forking parent's size), else ``ru_maxrss``."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_in_child(name: str, side: str, path: str, items: int) -> float:
    command = [sys.executable, __file__, "--peak", name, side, path, "--items", str(items)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return float(done.stdout)


def child_peak(name: str, side: str, path: str, items: int) -> None:
    with open(path, "rb") as file:
        body = file.read()
    spec = answers(min(items, 10))[name][0]
    if side == "json":
        print(peak_growth_mib(lambda: json.loads(body)))
        return
    if side == "standard":
        standard_parser_only()
    loop = asyncio.new_event_loop()
    client = client_for(body)
    print(peak_growth_mib(lambda: loop.run_until_complete(client.call(spec))))
    loop.run_until_complete(client.aclose())


def spread(ratios: list[float]) -> str:
    """The median of the rounds' ratios and how far they range."""
    return f"{statistics.median(ratios):.2f} (rounds {min(ratios):.2f}–{max(ratios):.2f})"


def measure(name: str, spec: Any, body: bytes, rounds: int, items: int) -> None:
    loop = asyncio.new_event_loop()
    client = client_for(body)
    try:

        def sdk() -> object:
            return loop.run_until_complete(client.call(spec))

        def standard() -> object:
            saved = _converter._strict_loads
            standard_parser_only()
            try:
                return sdk()
            finally:
                _converter._strict_loads = saved

        def raw() -> object:
            return json.loads(body)

        sdk()  # warm-up: converters are generated on first use
        repeat = max(1, round(BATCH_SECONDS / timed(raw)))
        fast = _converter._strict_loads is not _converter._no_fast_parser
        sides = {"sdk": sdk, "raw": raw} | ({"standard": standard} if fast else {})
        times: dict[str, list[float]] = {side: [] for side in sides}
        for round_ in range(rounds):  # interleaved, the order turning each round
            order = list(sides.items())
            for side, run in order[round_ % len(order) :] + order[: round_ % len(order)]:
                times[side].append(timed(run, repeat))
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
    ratios = list(map(operator.truediv, times["sdk"], times["raw"]))
    ratio = statistics.median(ratios)
    with tempfile.NamedTemporaryFile(suffix=".json") as file:
        file.write(body)
        file.flush()
        peak_sides = ["sdk", "json"] + (["standard"] if fast else [])
        peaks = {side: peak_in_child(name, side, file.name, items) for side in peak_sides}
    parser = "orjson, then json" if fast else "json"
    print(
        f"{name:<18} {len(body) / 2**20:6.1f} MiB answer, json.loads "
        f"{statistics.median(times['raw']) * 1e3:6.0f} ms CPU\n"
        f"{'':<18} client.call / json.loads {spread(ratios)} ({parser})   "
        f"peak RSS growth {peaks['sdk']:6.1f} MiB vs {peaks['json']:6.1f} MiB"
    )
    record("decode", f"{name}: client.call / json.loads", ratio, unit="x", goal="<=", target=1.2)
    record("decode", f"{name}: peak RSS growth, client.call", peaks["sdk"], unit="MiB")
    record("decode", f"{name}: peak RSS growth, json.loads", peaks["json"], unit="MiB")
    if fast:
        std_ratios = list(map(operator.truediv, times["standard"], times["raw"]))
        print(
            f"{'':<18} without orjson: client.call / json.loads {spread(std_ratios)}   "
            f"peak RSS growth {peaks['standard']:6.1f} MiB"
        )
        record(
            "decode",
            f"{name}: client.call / json.loads, without orjson",
            statistics.median(std_ratios),
            unit="x",
        )
        record(
            "decode",
            f"{name}: peak RSS growth, client.call without orjson",
            peaks["standard"],
            unit="MiB",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--peak", nargs=3, metavar=("ANSWER", "SIDE", "FILE"), help="(internal)")
    args = parser.parse_args()
    if args.peak:
        child_peak(*args.peak, items=args.items)
        return
    print(f"big answers of {args.items:,} items, {args.rounds} interleaved rounds")
    for name, (spec, body) in answers(args.items).items():
        measure(name, spec, body, args.rounds, args.items)


if __name__ == "__main__":
    main()
