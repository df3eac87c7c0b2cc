"""Calls per second under concurrency: raw httpx, raw aiohttp and the SDK on both transports.

A bare asyncio HTTP/1.1 server in its own process answers every request with the document's
306 example (keep-alive, no parsing beyond the headers), so only the client side is measured,
over real loopback TCP.  Each client makes ``--calls`` calls with 1, 16, 64 and 256 tasks
sharing one client; three rounds, median reported.

Within a round, at each concurrency, all clients are open side by side and take turns in
batches of a few hundred calls (``max(250, 4 x tasks)``), the order turning from batch to
batch; each client's time is the sum of its batches.  On a shared machine the speed of the
CPU drifts over seconds (other jobs, the host): with one client after another, each 2,000
calls long, two runs of the same client moved by up to 40 % and single ratios by ±25 %; taking
turns every few hundred calls puts every client through the same drift, and the ratios of
three runs agree within a few per cent.  The tail of each batch (its last calls, fewer than
the tasks) runs at lower concurrency for every client alike.

Clients:

- ``raw httpx``: ``httpx.AsyncClient`` with the SDK's pool limits, the form signed inline
  with hashlib (seed §四), ``json.loads`` of the answer;
- ``raw httpx (default limits)``: the same with httpx's own ``Limits()`` (20 kept alive);
- ``raw httpx/aiohttp``: the raw httpx client on the SDK's aiohttp transport;
- ``raw aiohttp``: ``aiohttp.ClientSession`` posting the same form;
- ``sdk``: ``await client.call(CompanyInfoBase(...))`` on the default transport;
- ``sdk/aiohttp``: the same with ``transport=aiohttp_transport()``.

Goals (issue 13): the SDK on aiohttp within 1.3x of raw aiohttp at 16 and 64; the SDK on each
transport within 1.05x of the raw httpx client on the same transport.  The ratios compare the
client process's CPU time per call (``time.process_time``; the server is another process): on a
shared machine wall time mostly measures the other processes, while the client's CPU is what
the SDK adds to.  Calls per second of wall time are printed too.

Run: ``python benchmarks/bench_concurrency.py [--calls 2000] [--rounds 3]`` (a few minutes);
``--focus`` measures only the SDK on aiohttp against raw aiohttp at 16 and 64 tasks.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

import aiohttp
import httpx
from _example306 import ANSWER, AUTH_CODE, COMPANY, PATH, TOKEN
from _results import record

from idcode_async import IdcodeClient, RetryPolicy
from idcode_async._transport import DEFAULT_LIMITS, aiohttp_transport
from idcode_async.endpoints import CompanyInfoBase

CONCURRENCY = (1, 16, 64, 256)
TIMEOUT = 120.0
"""Generous: at 256 tasks on a busy machine a call may queue for the pool longer than 5 s."""

Call = Callable[[], Awaitable[None]]
Client = Callable[[str], AbstractAsyncContextManager[Call]]


# --- the server (its own process) ---------------------------------------------------------------


class _Http(asyncio.Protocol):
    """HTTP/1.1 keep-alive: read headers and Content-Length bytes, answer 306's example."""

    reply = (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json;charset=utf-8\r\n"
        b"content-length: " + str(len(ANSWER)).encode() + b"\r\n\r\n" + ANSWER
    )

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            length = 0
            for line in self.buffer[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self.transport.write(self.reply)


async def _serve() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Http, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


# --- the clients --------------------------------------------------------------------------------


def signed_form() -> dict[str, str]:
    """Seed §四 without the SDK: sort, join raw values, append the auth code, MD5 upper-case."""
    fields = {
        "company_idcode": COMPANY,
        "access_token": TOKEN,
        "time": str(time.time_ns() // 10**6),
    }
    canonical = PATH + "?" + "&".join(f"{k}={fields[k]}" for k in sorted(fields))
    fields["hash"] = hashlib.md5((canonical + AUTH_CODE).encode()).hexdigest().upper()
    return fields


def raw_httpx(**options: Any) -> Client:
    @asynccontextmanager
    async def client(base_url: str) -> Any:
        async with httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT, **options) as http:

            async def call() -> None:
                response = await http.post(PATH, data=signed_form())
                assert json.loads(response.content)["result_code"] == 1

            yield call

    return client


@asynccontextmanager
async def raw_aiohttp(base_url: str) -> Any:
    connector = aiohttp.TCPConnector(limit=DEFAULT_LIMITS.max_connections or 0)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as session:

        async def call() -> None:
            async with session.post(PATH, data=signed_form()) as response:
                assert json.loads(await response.read())["result_code"] == 1

        yield call


def sdk(**options: Any) -> Client:
    @asynccontextmanager
    async def client(base_url: str) -> Any:
        async with IdcodeClient(
            access_token=TOKEN,
            auth_code=AUTH_CODE,
            base_url=base_url,
            retry=RetryPolicy(max_retries=0),
            timeout=TIMEOUT,
            **options,
        ) as idcode:

            async def call() -> None:
                info = await idcode.call(CompanyInfoBase(company_idcode=COMPANY))
                assert info.organunit_oid == COMPANY

            yield call

    return client


CLIENTS: dict[str, Callable[[], Client]] = {
    "raw httpx": lambda: raw_httpx(limits=DEFAULT_LIMITS),
    "raw httpx (default limits)": lambda: raw_httpx(),
    "sdk": lambda: sdk(),
    "raw httpx/aiohttp": lambda: raw_httpx(transport=aiohttp_transport()),
    "sdk/aiohttp": lambda: sdk(transport=aiohttp_transport()),
    "raw aiohttp": lambda: raw_aiohttp,
}


async def timed_batch(call: Call, calls: int, concurrency: int) -> tuple[float, float]:
    """``calls`` calls shared by ``concurrency`` tasks on one client: seconds of wall time and
    of this process's CPU time."""
    left = calls

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await call()

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, time.process_time() - cpu


def batch_size(concurrency: int) -> int:
    """Calls per turn: a few hundred, and at least four waves of the tasks."""
    return max(250, 4 * concurrency)


async def taking_turns(
    names: tuple[str, ...], base_url: str, calls: int, concurrency: int
) -> dict[str, tuple[float, float]]:
    """``calls`` calls on each client, the clients open side by side and taking turns in
    batches (module doc): calls per second of wall time and of CPU time, per client."""
    spent = dict.fromkeys(names, (0.0, 0.0))
    async with AsyncExitStack() as stack:
        calls_of = {
            name: await stack.enter_async_context(CLIENTS[name]()(base_url)) for name in names
        }
        for call in calls_of.values():  # one warm-up wave each: connections made, caches filled
            await asyncio.gather(*(call() for _ in range(concurrency)))
        size = batch_size(concurrency)
        for turn, done in enumerate(range(0, calls, size)):
            shift = turn % len(names)
            for name in names[shift:] + names[:shift]:
                wall, cpu = await timed_batch(calls_of[name], min(size, calls - done), concurrency)
                spent[name] = (spent[name][0] + wall, spent[name][1] + cpu)
    return {name: (calls / wall, calls / cpu) for name, (wall, cpu) in spent.items()}


Rates = dict[tuple[str, int], float]


FOCUS = ("sdk/aiohttp", "raw aiohttp")
FOCUS_CONCURRENCY = (16, 64)


async def measure(
    base_url: str,
    calls: int,
    rounds: int,
    names: tuple[str, ...] = tuple(CLIENTS),
    levels: tuple[int, ...] = CONCURRENCY,
) -> tuple[Rates, Rates]:
    walls: dict[tuple[str, int], list[float]] = {}
    cpus: dict[tuple[str, int], list[float]] = {}
    for number in range(rounds):
        for concurrency in levels:
            rates = await taking_turns(names, base_url, calls, concurrency)
            for name, (wall, cpu) in rates.items():
                walls.setdefault((name, concurrency), []).append(wall)
                cpus.setdefault((name, concurrency), []).append(cpu)
        print(f"round {number + 1}/{rounds} done", file=sys.stderr, flush=True)
    return _medians(walls), _medians(cpus)


def _medians(samples: dict[tuple[str, int], list[float]]) -> Rates:
    return {key: statistics.median(rates) for key, rates in samples.items()}


def _table(rates: Rates) -> None:
    names = list(CLIENTS)
    print("| concurrency | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for concurrency in CONCURRENCY:
        cells = " | ".join(f"{rates[name, concurrency]:,.0f}" for name in names)
        print(f"| {concurrency} | {cells} |")


def report(walls: Rates, cpus: Rates, calls: int, rounds: int) -> None:
    print(
        f"calls per second of wall time over loopback, {calls} calls, median of {rounds} rounds\n"
    )
    _table(walls)
    print("\ncalls per second of the client process's CPU time (the ratios below use these)\n")
    _table(cpus)
    print(
        "\nratios of client CPU time per call (the last column: the aiohttp transport's speed-up)\n"
    )
    print(
        "| concurrency | sdk / raw httpx | sdk/aiohttp / raw httpx/aiohttp "
        "| sdk/aiohttp / raw aiohttp | sdk / sdk/aiohttp |"
    )
    print("|---|---|---|---|---|")
    for concurrency in CONCURRENCY:

        def slower(a: str, b: str, c: int = concurrency) -> float:
            return cpus[b, c] / cpus[a, c]

        default = slower("sdk", "raw httpx")
        fast = slower("sdk/aiohttp", "raw httpx/aiohttp")
        versus_aiohttp = slower("sdk/aiohttp", "raw aiohttp")
        gain = slower("sdk", "sdk/aiohttp")
        print(f"| {concurrency} | {default:.2f} | {fast:.2f} | {versus_aiohttp:.2f} | {gain:.2f} |")
        tag = f"c={concurrency}, CPU"
        record("concurrency", f"sdk / raw httpx, {tag}", default, unit="x", goal="<=", target=1.05)
        record(
            "concurrency",
            f"sdk / raw httpx, aiohttp transport, {tag}",
            fast,
            unit="x",
            goal="<=",
            target=1.05,
        )
        if concurrency in (16, 64):
            record(
                "concurrency",
                f"sdk/aiohttp / raw aiohttp, {tag}",
                versus_aiohttp,
                unit="x",
                goal="<=",
                target=1.3,
            )
        record(
            "concurrency",
            f"raw httpx/aiohttp / raw aiohttp (httpx's own share, the floor), {tag}",
            slower("raw httpx/aiohttp", "raw aiohttp"),
            unit="x",
        )
        record("concurrency", f"aiohttp transport speed-up over the default, {tag}", gain, unit="x")
        wall_gain = walls["sdk/aiohttp", concurrency] / walls["sdk", concurrency]
        record(
            "concurrency",
            f"aiohttp transport speed-up over the default, c={concurrency}, wall",
            wall_gain,
            unit="x",
        )


def focus_report(cpus: Rates, calls: int, rounds: int) -> None:
    """The 1.3x goal alone (``--focus``): client CPU µs per call and the ratio; not recorded."""
    print(f"client CPU µs per call, {calls} calls, median of {rounds} rounds\n")
    print("| tasks | sdk/aiohttp | raw aiohttp | ratio |")
    print("|---|---|---|---|")
    for concurrency in FOCUS_CONCURRENCY:
        sdk_us, raw_us = (1e6 / cpus[name, concurrency] for name in FOCUS)
        print(f"| {concurrency} | {sdk_us:.0f} | {raw_us:.0f} | {sdk_us / raw_us:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--focus",
        action="store_true",
        help="only the SDK on aiohttp and raw aiohttp at 16 and 64 tasks (nothing recorded)",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve())
        return
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        base_url = f"http://127.0.0.1:{int(server.stdout.readline())}"
        if args.focus:
            walls, cpus = asyncio.run(
                measure(base_url, args.calls, args.rounds, FOCUS, FOCUS_CONCURRENCY)
            )
        else:
            walls, cpus = asyncio.run(measure(base_url, args.calls, args.rounds))
    finally:
        server.terminate()
        server.wait()
    if args.focus:
        focus_report(cpus, args.calls, args.rounds)
    else:
        report(walls, cpus, args.calls, args.rounds)


if __name__ == "__main__":
    main()
