"""Issue 10, point 5: an answer's decompressed size is capped, and memory stays flat.

The bomb cases run against a real loopback socket (``loopback.serve``), so the body really
arrives as a compressed stream; the cap must stop inflation, not merely reject the result.
"""

from __future__ import annotations

import json
import tracemalloc
import zlib
from collections.abc import Iterator

import anyio
import httpx
import pytest

from idcode_async import (
    DEFAULT_MAX_RESPONSE_BYTES,
    IdcodeClient,
    ResponseDecodeError,
    ResponseTooLargeError,
    RetryPolicy,
    UsageError,
    aiohttp_transport,
)
from idcode_async.endpoints import Addresses, UploadedCodes

from ..wire import TEST_AUTH_CODE, TEST_TOKEN
from .loopback import answer, serve

BOMB_SIZE = 128 * 1024 * 1024
"""Inflated size of the bomb: twice the default cap, from about 130 KB on the wire."""
GUARD_SECONDS = 30
"""A bound on each test, not a measurement: a hang fails instead of blocking the suite."""


def compressed(size: int, wbits: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    chunk = b'{"result_code":1,"x":"' + b"0" * (1024 * 1024 - 23)
    parts = [packer.compress(chunk[: min(len(chunk), size)])]
    parts += [packer.compress(bytes(1024 * 1024)) for _ in range(size // (1024 * 1024) - 1)]
    return b"".join(parts) + packer.flush()


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    return compressed(BOMB_SIZE, zlib.MAX_WBITS | 16)


@pytest.fixture
def traced() -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


def client_for(url: str, *, aiohttp: bool = False, **kwargs: object) -> IdcodeClient:
    if aiohttp:  # the SDK's own aiohttp transport reads answers its own way: same caps
        kwargs["transport"] = aiohttp_transport()
    return IdcodeClient(
        access_token=TEST_TOKEN,
        auth_code=TEST_AUTH_CODE,
        base_url=url,
        retry=RetryPolicy(max_retries=0),
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_gzip_bomb_stops_at_the_cap_with_flat_memory(backend: str, gzip_bomb: bytes, traced):
    cap = 1024 * 1024
    with serve(answer(200, gzip_bomb, {"Content-Encoding": "gzip"})) as peer:

        async def main() -> ResponseTooLargeError:
            async with client_for(peer.url, max_response_bytes=cap) as client:
                with anyio.fail_after(GUARD_SECONDS), pytest.raises(ResponseTooLargeError) as c:
                    await client.call(Addresses())
            return c.value

        tracemalloc.reset_peak()
        error = anyio.run(main, backend=backend)
        _, peak = tracemalloc.get_traced_memory()
    assert error.limit == cap
    assert isinstance(error, ResponseDecodeError)
    assert peak < 4 * cap + len(gzip_bomb) + 2 * 1024 * 1024  # never the inflated 128 MiB


def test_the_default_cap_stops_a_bomb_beyond_it(gzip_bomb: bytes, traced):
    with serve(answer(200, gzip_bomb, {"Content-Encoding": "gzip"})) as peer:

        async def main() -> None:
            async with client_for(peer.url) as client:
                with anyio.fail_after(GUARD_SECONDS), pytest.raises(ResponseTooLargeError):
                    await client.call(Addresses())

        tracemalloc.reset_peak()
        anyio.run(main)
        _, peak = tracemalloc.get_traced_memory()
    assert peak < DEFAULT_MAX_RESPONSE_BYTES + 16 * 1024 * 1024  # never the inflated 128 MiB


def test_deflate_bombs_are_capped_too():
    bomb = compressed(32 * 1024 * 1024, zlib.MAX_WBITS)
    raw = compressed(32 * 1024 * 1024, -zlib.MAX_WBITS)
    for body in (bomb, raw):
        with serve(answer(200, body, {"Content-Encoding": "deflate"})) as peer:

            async def main() -> None:
                async with client_for(peer.url, max_response_bytes=1 << 20) as client:
                    with anyio.fail_after(GUARD_SECONDS), pytest.raises(ResponseTooLargeError):
                        await client.call(Addresses())

            anyio.run(main)


def test_compressed_answers_within_the_cap_decode():
    body = json.dumps({"result_code": 1, "address_list": [{"address_id": 5}]}).encode()
    for encoding, wbits in (("gzip", zlib.MAX_WBITS | 16), ("deflate", zlib.MAX_WBITS)):
        packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
        payload = packer.compress(body) + packer.flush()
        with serve(answer(200, payload, {"Content-Encoding": encoding})) as peer:

            async def main() -> int:
                async with client_for(peer.url, max_response_bytes=len(body)) as client:
                    return (await client.call(Addresses())).address_list[0].address_id

            assert anyio.run(main) == 5
        assert b"accept-encoding: gzip, deflate" in peer.requests[0].lower()


def test_an_identity_body_over_the_cap_is_refused_by_its_length():
    body = b'{"result_code":1,"pad":"' + b"x" * 5000 + b'"}'
    with serve(answer(200, body)) as peer:

        async def main() -> None:
            async with client_for(peer.url, max_response_bytes=4096) as client:
                with pytest.raises(ResponseTooLargeError):
                    await client.call(Addresses())

        anyio.run(main)


@pytest.mark.parametrize("aiohttp", [False, True], ids=["httpx", "aiohttp"])
def test_an_endless_chunked_body_is_cut_at_the_cap(aiohttp: bool):
    def endless(conn, request):  # type: ignore[no-untyped-def]
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 65536
        while True:
            conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))

    with serve(endless) as peer:

        async def main() -> None:
            async with client_for(peer.url, aiohttp=aiohttp, max_response_bytes=1 << 20) as client:
                with anyio.fail_after(GUARD_SECONDS), pytest.raises(ResponseTooLargeError):
                    await client.call(Addresses())

        anyio.run(main)


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, gzip", "compress"])
def test_an_encoding_the_sdk_did_not_offer_is_a_decode_error(encoding: str):
    with serve(answer(200, b"\x00\x01garbage", {"Content-Encoding": encoding})) as peer:

        async def main() -> ResponseDecodeError:
            async with client_for(peer.url) as client:
                with pytest.raises(ResponseDecodeError) as caught:
                    await client.call(Addresses())
            return caught.value

        error = anyio.run(main)
    assert not isinstance(error, ResponseTooLargeError)


@pytest.mark.parametrize("aiohttp", [False, True], ids=["httpx", "aiohttp"])
def test_a_corrupt_gzip_body_is_a_decode_error(aiohttp: bool):
    with serve(answer(200, b"\x1f\x8b\x08\x00garbage", {"Content-Encoding": "gzip"})) as peer:

        async def main() -> None:
            async with client_for(peer.url, aiohttp=aiohttp) as client:
                with pytest.raises(ResponseDecodeError, match="corrupt"):
                    await client.call(Addresses())

        anyio.run(main)


async def test_in_memory_answers_respect_the_cap_too():
    big = json.dumps({"result_code": 1, "data": ["x" * 100] * 1000}).encode()
    async with IdcodeClient(
        access_token=TEST_TOKEN,
        auth_code=TEST_AUTH_CODE,
        max_response_bytes=len(big) - 1,
        transport=httpx.MockTransport(lambda r: httpx.Response(200, content=big)),
    ) as client:
        with pytest.raises(ResponseTooLargeError):
            await client.call(UploadedCodes(company_idcode="i.86.1", uploadcode_id="1"))
        client.max_response_bytes = len(big)
        result = await client.call(UploadedCodes(company_idcode="i.86.1", uploadcode_id="1"))
    assert len(result.data) == 1000


def test_too_large_is_not_retried():
    body = b'{"result_code":1,"pad":"' + b"x" * 5000 + b'"}'
    with serve(answer(200, body)) as peer:

        async def main() -> None:
            async with IdcodeClient(
                access_token=TEST_TOKEN,
                auth_code=TEST_AUTH_CODE,
                base_url=peer.url,
                max_response_bytes=100,
                retry=RetryPolicy(max_retries=3, backoff_base=0),
            ) as client:
                with pytest.raises(ResponseTooLargeError):
                    await client.call(Addresses())

        anyio.run(main)
    assert len(peer.requests) == 1


@pytest.mark.parametrize("value", [0, -1, 1.5, "10", True, None])
def test_the_cap_must_be_a_positive_whole_number(value: object):
    with pytest.raises(UsageError, match="max_response_bytes"):
        IdcodeClient(
            access_token=TEST_TOKEN,
            auth_code=TEST_AUTH_CODE,
            max_response_bytes=value,  # type: ignore[arg-type]
        )
