"""CPU of ``client.call`` itself: the client layer on a transport that answers instantly.

The transport is the SDK's aiohttp transport with its network exchange replaced by an answer
built in memory exactly as its ``_response`` builds one (the body read whole, in the
:data:`BODY_EXTENSION`), so ``client.call`` takes the path it takes on aiohttp, minus aiohttp
(the attempt bounded by the transport, whose aiohttp timeout is still made).
Printed: the whole call's CPU µs (median of rounds), then each part measured alone the way the
call runs it, then optionally the top of a cProfile of the whole call.

Run: ``python benchmarks/bench_client_layer.py [--calls 20000] [--rounds 5] [--profile]``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
from _example306 import ANSWER, AUTH_CODE, COMPANY, TOKEN
from _results import record

from idcode_async import IdcodeClient, RetryPolicy
from idcode_async._aiohttp_transport import IdcodeAiohttpTransport
from idcode_async._body import BODY_EXTENSION, read_capped
from idcode_async._client import USE_DEFAULT
from idcode_async._decode import decode_answer
from idcode_async._headers import headers_of
from idcode_async._transport import DEFAULT_LIMITS
from idcode_async.endpoints import CompanyInfoBase

HEADERS = [
    (b"Content-Type", b"application/json;charset=UTF-8"),
    (b"Content-Length", str(len(ANSWER)).encode()),
]


class InstantTransport(IdcodeAiohttpTransport):
    """The aiohttp transport answering 306's example at once, as ``_response`` would."""

    def __init__(self) -> None:
        super().__init__(limits=DEFAULT_LIMITS)

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        self._timeout(request.extensions)  # aiohttp's timeout, made as ``_exchange`` makes it
        meta = {"http_version": b"HTTP/1.1", "reason_phrase": b"OK", BODY_EXTENSION: ANSWER}
        stream = httpx.ByteStream(ANSWER)
        return httpx.Response(200, headers=headers_of(HEADERS), stream=stream, extensions=meta)


def client() -> IdcodeClient:
    return IdcodeClient(
        access_token=TOKEN,
        auth_code=AUTH_CODE,
        base_url="https://apitest.idcode.org.cn",
        retry=RetryPolicy(max_retries=0),
        transport=InstantTransport(),
    )


async def cpu_us(step: Callable[[], Awaitable[Any]], calls: int) -> float:
    for _ in range(200):
        await step()
    started = time.process_time()
    for _ in range(calls):
        await step()
    return (time.process_time() - started) / calls * 1e6


async def parts(idcode: IdcodeClient, calls: int) -> dict[str, float]:
    spec = CompanyInfoBase(company_idcode=COMPANY)
    wire = spec.wire()
    bounds = idcode._bounds(spec, USE_DEFAULT)
    request = idcode._dispatched_request(spec, wire, bounds)
    transport = idcode._transport_for_url(request.url)

    async def whole() -> None:
        await idcode.call(CompanyInfoBase(company_idcode=COMPANY))

    async def build_spec() -> None:
        CompanyInfoBase(company_idcode=COMPANY).wire()

    async def build_request() -> None:
        idcode._dispatched_request(spec, wire, bounds)

    async def sign() -> None:
        idcode._idcode_auth.signed_fields(request.url.path, wire)

    async def transport_alone() -> None:
        await transport.handle_async_request(request)

    async def send() -> None:
        response = await idcode._follow(request, False, presigned=True)
        await response.aclose()

    async def cancel_scope() -> None:
        # what the call's scope costs on its own: entered and left around no work
        with anyio.move_on_after(30.0):  # noqa: ASYNC100
            pass

    response = await transport.handle_async_request(request)

    async def capped() -> None:
        await read_capped(response, idcode.max_response_bytes, endpoint=306)

    async def decode() -> None:
        decode_answer(ANSWER, status=200, endpoint=306, response_type=spec.response_type)

    async def loads() -> None:
        json.loads(ANSWER)

    steps: dict[str, Callable[[], Awaitable[Any]]] = {
        "client.call (whole)": whole,
        "  spec + wire": build_spec,
        "  signed request": build_request,
        "    of which signing": sign,
        "  send path (hooks, transport, response)": send,
        "    of which the transport alone": transport_alone,
        "  cancel scope (move_on_after)": cancel_scope,
        "  read_capped": capped,
        "  decode_answer": decode,
        "    of which json.loads": loads,
    }
    return {name: await cpu_us(step, calls) for name, step in steps.items()}


async def main_async(calls: int, rounds: int, profile: bool) -> None:
    async with client() as idcode:
        samples: dict[str, list[float]] = {}
        for _ in range(rounds):
            for name, value in (await parts(idcode, calls)).items():
                samples.setdefault(name, []).append(value)
        medians = {name: statistics.median(values) for name, values in samples.items()}
        print(f"| part ({calls} calls, median of {rounds} rounds) | CPU µs per call |")
        print("|---|---|")
        for name, value in medians.items():
            print(f"| {name} | {value:.1f} |")
        whole = medians["client.call (whole)"]
        record("client_layer", "client.call CPU per call", whole, unit="µs")
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(calls):
                await idcode.call(CompanyInfoBase(company_idcode=COMPANY))
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    asyncio.run(main_async(args.calls, args.rounds, args.profile))


if __name__ == "__main__":
    main()
