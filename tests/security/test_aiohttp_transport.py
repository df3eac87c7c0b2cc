"""The aiohttp transport sends what httpx built and reads answers under the same caps.

Against a raw loopback peer (``loopback.serve``): the request bytes on the wire are those of
httpx's own transport (same clock, so the same signature), byte for byte for a form and a
query; a multipart upload goes out framed by its length, never chunked; and every cap of
issue 10 holds on answers read whole (a length within the cap) and streamed alike.
"""

from __future__ import annotations

import gc
import json
import weakref
import zlib
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from idcode_async import (
    IdcodeClient,
    ResponseTooLargeError,
    RetryPolicy,
    TransportError,
    aiohttp_transport,
)
from idcode_async.endpoints import Addresses, CompanyInfoBase, ExamineRecord, UploadCodeFile

from ..wire import TEST_AUTH_CODE, TEST_TOKEN
from .loopback import answer, serve
from .test_response_caps import GUARD_SECONDS, compressed

OK = json.dumps({"result_code": 1, "address_list": [{"address_id": 5}]}).encode()


def client_for(url: str, *, aiohttp: bool = True, **kwargs: Any) -> IdcodeClient:
    transport = {"transport": aiohttp_transport()} if aiohttp else {}
    return IdcodeClient(
        access_token=TEST_TOKEN,
        auth_code=TEST_AUTH_CODE,
        base_url=url,
        retry=RetryPolicy(max_retries=0),
        clock=lambda: 1_700_000_000_000,
        **transport,
        **kwargs,
    )


def head_and_body(request: bytes) -> tuple[list[bytes], bytes]:
    head, _, body = request.partition(b"\r\n\r\n")
    return head.split(b"\r\n"), body


@pytest.fixture
def peer() -> Iterator[Any]:
    with serve(answer(200, OK)) as running:
        yield running


@pytest.mark.parametrize(
    "spec",
    [
        CompanyInfoBase(company_idcode="i.86.1 &中"),
        ExamineRecord(company_idcode="i.86.110105.1", type=1),
    ],
    ids=["form", "query"],
)
async def test_the_request_is_the_one_httpx_sends_byte_for_byte(peer: Any, spec: Any) -> None:
    for on_aiohttp in (False, True):
        async with client_for(peer.url, aiohttp=on_aiohttp) as client:
            await client.call(spec)
    by_httpx, by_aiohttp = peer.requests
    assert by_aiohttp == by_httpx
    lines, _ = head_and_body(by_aiohttp)
    names = [line.split(b":")[0].lower() for line in lines[1:]]
    assert len(names) == len(set(names))  # aiohttp added no header of its own


@pytest.mark.parametrize("removed", [["User-Agent"], ["Accept", "User-Agent"], []])
async def test_headers_the_client_removed_are_not_added_back_by_aiohttp(
    peer: Any, removed: list[str]
) -> None:
    """aiohttp adds Accept and User-Agent to a request lacking them unless asked to skip
    them: a client without them sends the same bytes on both transports.  (Accept-Encoding
    is the SDK's own: it names the encodings the SDK decodes, whatever the client holds.)"""
    for on_aiohttp in (False, True):
        async with client_for(peer.url, aiohttp=on_aiohttp) as client:
            for name in removed:
                del client.headers[name]
            await client.call(CompanyInfoBase(company_idcode="i.86.1"))
            await client.call(CompanyInfoBase(company_idcode="i.86.1"))  # the kept head
    by_httpx, again_httpx, by_aiohttp, again_aiohttp = peer.requests
    assert by_aiohttp == by_httpx
    assert again_aiohttp == again_httpx
    lines, _ = head_and_body(by_aiohttp)
    names = {line.split(b":")[0].lower() for line in lines[1:]}
    assert not names & {name.lower().encode() for name in removed}


async def test_an_upload_goes_out_with_its_length_not_chunked(peer: Any) -> None:
    codes = b"".join(b"I.86.1/%d\n" % n for n in range(20_000))
    spec = UploadCodeFile(company_idcode="i.86.1", category_reg_id="7", code_file=codes)
    async with client_for(peer.url) as client:
        await client.call(spec)
    lines, body = head_and_body(peer.requests[0])
    headers = dict(line.lower().split(b": ", 1) for line in lines[1:])
    assert b"transfer-encoding" not in headers
    assert int(headers[b"content-length"]) == len(body)
    assert headers[b"content-type"].startswith(b"multipart/form-data; boundary=")
    assert codes in body


def test_a_gzip_bomb_read_whole_still_stops_at_the_cap() -> None:
    """130 KB on the wire, within the cap, so the transport reads it whole: inflation is
    still bounded by the cap."""
    bomb = compressed(64 * 1024 * 1024, zlib.MAX_WBITS | 16)
    with serve(answer(200, bomb, {"Content-Encoding": "gzip"})) as peer:

        async def main() -> ResponseTooLargeError:
            async with client_for(peer.url, max_response_bytes=1 << 20) as client:
                with anyio.fail_after(GUARD_SECONDS), pytest.raises(ResponseTooLargeError) as c:
                    await client.call(Addresses())
            return c.value

        assert anyio.run(main).limit == 1 << 20


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compressed_answers_within_the_cap_decode(encoding: str) -> None:
    wbits = zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    payload = packer.compress(OK) + packer.flush()
    with serve(answer(200, payload, {"Content-Encoding": encoding})) as peer:

        async def main() -> int:
            async with client_for(peer.url, max_response_bytes=len(OK)) as client:
                return (await client.call(Addresses())).address_list[0].address_id

        assert anyio.run(main) == 5


def test_an_identity_body_over_the_cap_is_refused_unread() -> None:
    body = b'{"result_code":1,"pad":"' + b"x" * 5000 + b'"}'
    with serve(answer(200, body)) as peer:

        async def main() -> None:
            async with client_for(peer.url, max_response_bytes=4096) as client:
                with pytest.raises(ResponseTooLargeError):
                    await client.call(Addresses())
                client.max_response_bytes = len(body)
                assert (await client.call(Addresses())).result_code == 1

        anyio.run(main)


def test_a_body_shorter_than_its_length_is_a_read_error_not_resent() -> None:
    """The peer promises 1,000 bytes, sends 10 and hangs up: the request was answered, so
    a write is not resent (httpx ``ReadError``, never a connect error)."""

    def short(conn, request):  # type: ignore[no-untyped-def]
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"{" * 10)

    with serve(short) as peer:

        async def main() -> BaseException | None:
            async with IdcodeClient(
                access_token=TEST_TOKEN,
                auth_code=TEST_AUTH_CODE,
                base_url=peer.url,
                retry=RetryPolicy(max_retries=2, backoff_base=0),
                transport=aiohttp_transport(),
            ) as client:
                with pytest.raises(TransportError) as caught:
                    await client.call(
                        UploadCodeFile(
                            company_idcode="i.86.1", category_reg_id="7", code_file=b"I.86.1/1\n"
                        )
                    )
            return caught.value.__cause__

        cause = anyio.run(main)
    assert type(cause).__name__ in {"ReadError", "RemoteProtocolError"}
    assert cause is not None
    assert cause.__cause__ is None
    assert len(peer.requests) == 1


async def test_an_answer_read_whole_is_freed_when_the_call_returns(peer: Any) -> None:
    """No cycle is left for the collector (issue 13): the response goes with the call."""
    seen: list[weakref.ref[httpx.Response]] = []

    async def keep(response: httpx.Response) -> None:
        seen.append(weakref.ref(response))

    gc.collect()
    gc.disable()
    try:
        async with client_for(peer.url, event_hooks={"response": [keep]}) as client:
            assert (await client.call(Addresses())).address_list[0].address_id == 5
            assert seen[0]() is None
    finally:
        gc.enable()
