"""Issue 13, point 1: a hostile server gets the same typed answer from both transports.

Every scenario plays scripted byte-level misbehaviour from a raw peer on 127.0.0.1
(``hostile_peer``) and goes through ``IdcodeClient.call`` on httpx's own transport and on the
SDK's aiohttp transport.  For a read (306) and a write (309) it checks the exception's class,
the retry rule (how many attempts reached the peer: a read is retried on a transport fault, a
write that may have been applied is never resent), that no credential is in the exception
(its text, args, attributes and chained causes) or in any log record (httpcore's DEBUG lines
included), and that the same client's next call succeeds (the pool recovered).

Where the transports' HTTP parsers legitimately differ (h11 and aiohttp's parser accept
different malformations) the expectation is written per transport; both must still be a
success or a typed :class:`TransportError`, never a raw ``aiohttp``/``httpx``/``h11`` error.
"""

from __future__ import annotations

import gzip
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
import pytest

from idcode_async import (
    HttpStatusError,
    IdcodeClient,
    IdcodeError,
    RedirectError,
    ResponseDecodeError,
    ResponseTooLargeError,
    RetryPolicy,
    TimeoutError,
    TransportError,
    aiohttp_transport,
)
from idcode_async.endpoints import CompanyInfoBase, ExamineRecord, UnitRegist, UploadCodeFile

from ..wire import TEST_AUTH_CODE, TEST_TOKEN
from .hostile_peer import OK_ANSWER, OK_BODY, HostilePeer, Script, Then, hostile_peer, sends
from .loopback import answer, serve
from .secrets import SECRETS, assert_no_secret

TRANSPORTS = ["httpx", "aiohttp"]
RETRIES = 2
GUARD_SECONDS = 20
"""A bound on each call, not a measurement: a hang fails the test instead of the suite."""

READ = CompanyInfoBase(company_idcode="i.86.1")
WRITE = UnitRegist(
    login_name="91120103MA05NEXT1X",
    organunit_name="天津后来者有限公司",
    code=1,
    province_id=120000,
    city_id=120000,
    area_id=120103,
)
SPECS = {"read": READ, "write": WRITE}


def client_for(url: str, transport: str, **kwargs: Any) -> IdcodeClient:
    options: dict[str, Any] = {
        "retry": RetryPolicy(max_retries=RETRIES, backoff_base=0),
        "timeout": 5.0,
        **({"transport": aiohttp_transport()} if transport == "aiohttp" else {}),
        **kwargs,
    }
    return IdcodeClient(access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, base_url=url, **options)


@dataclass(frozen=True)
class Fails:
    """The call raises exactly ``error``; a read reaches the peer ``read_attempts`` times, a
    write once."""

    error: type[IdcodeError]
    read_attempts: int


OK = None
"""The call succeeds at the first attempt."""
PROTOCOL = Fails(TransportError, 1 + RETRIES)
"""The answer broke after the request went out: a read is retried, a write is not."""
UNDECODABLE = Fails(ResponseDecodeError, 1)
"""A whole answer the SDK cannot read (an encoding it did not offer, a corrupt body)."""
GATEWAY = Fails(ResponseDecodeError, 1 + RETRIES)
"""A 5xx HTML page: retried for a read."""

Expected = Fails | None


@dataclass(frozen=True)
class Scenario:
    name: str
    script: Script
    httpx: Expected
    aiohttp: Expected

    def expected(self, transport: str) -> Expected:
        return self.httpx if transport == "httpx" else self.aiohttp


def same(name: str, script: Script, expected: Expected) -> Scenario:
    return Scenario(name, script, expected, expected)


STATUS = b"HTTP/1.1 200 OK\r\n"
JSON_LENGTH = b"Content-Length: %d\r\n\r\n%s" % (len(OK_BODY), OK_BODY)
CLOSE = b"Connection: close\r\n"


def head(*lines: bytes, status: bytes = STATUS, body: bytes = OK_BODY) -> bytes:
    """A whole answer: ``status``, ``lines``, ``Connection: close``, the correct length and
    ``body``."""
    lines += (b"Connection: close", b"Content-Length: %d" % len(body))
    return status + b"".join(line + b"\r\n" for line in lines) + b"\r\n" + body


def encoded(encoding: bytes, body: bytes) -> bytes:
    return head(b"Content-Encoding: " + encoding, body=body)


def chunked(*parts: bytes, header: bytes = b"") -> bytes:
    return STATUS + header + b"Transfer-Encoding: chunked\r\n\r\n" + b"".join(parts)


GZIPPED = gzip.compress(OK_BODY)
HTML = b"<html><body>upstream error</body></html>"

SCENARIOS = [
    # -- cut short, at every stage of the answer
    same("closed-before-any-byte", sends(b""), PROTOCOL),
    same("reset-before-any-byte", sends(b"", "rst"), PROTOCOL),
    same("closed-after-the-status-line", sends(STATUS), PROTOCOL),
    same("closed-mid-headers", sends(STATUS + b"Content-Type: appl"), PROTOCOL),
    same("closed-mid-body", sends(STATUS + b"Content-Length: 1000\r\n\r\n" + OK_BODY), PROTOCOL),
    same(
        "reset-mid-body", sends(STATUS + b"Content-Length: 1000\r\n\r\n" + OK_BODY, "rst"), PROTOCOL
    ),
    # -- lengths
    same("length-not-a-number", sends(STATUS + b"Content-Length: abc\r\n\r\n" + OK_BODY), PROTOCOL),
    same("length-negative", sends(STATUS + b"Content-Length: -5\r\n\r\n" + OK_BODY), PROTOCOL),
    same(
        "length-with-plus-sign", sends(STATUS + b"Content-Length: +64\r\n\r\n" + OK_BODY), PROTOCOL
    ),
    same(
        "length-overflowing",
        sends(STATUS + b"Content-Length: " + b"9" * 30 + b"\r\n\r\n"),
        PROTOCOL,
    ),
    same(
        "two-lengths-conflicting",
        sends(STATUS + b"Content-Length: 5\r\n" + JSON_LENGTH),
        PROTOCOL,
    ),
    Scenario(  # RFC 9112 §6.3 lets a client accept equal copies; aiohttp refuses them
        "two-lengths-equal",
        sends(STATUS + b"Content-Length: %d\r\n" % len(OK_BODY) + JSON_LENGTH),
        httpx=OK,
        aiohttp=PROTOCOL,
    ),
    # -- chunked framing
    same("chunk-size-not-hex", sends(chunked(b"zz\r\n", OK_BODY, b"\r\n0\r\n\r\n")), PROTOCOL),
    same(
        "chunk-lines-ending-in-bare-lf",
        sends(chunked(b"%x\n" % len(OK_BODY), OK_BODY, b"\n0\n\n")),
        PROTOCOL,
    ),
    same(
        "transfer-encoding-identity-with-length",
        sends(STATUS + b"Transfer-Encoding: identity\r\n" + JSON_LENGTH),
        PROTOCOL,
    ),
    same("chunk-size-overflowing", sends(chunked(b"f" * 30 + b"\r\n", OK_BODY)), PROTOCOL),
    same(
        "chunked-without-last-chunk",
        sends(chunked(b"%x\r\n" % len(OK_BODY), OK_BODY, b"\r\n")),
        PROTOCOL,
    ),
    same(
        "chunked-with-trailers",
        sends(chunked(b"%x\r\n" % len(OK_BODY), OK_BODY, b"\r\n0\r\nX-Trailer: 1\r\n\r\n"), "keep"),
        OK,
    ),
    Scenario(  # RFC 9112 §6.3: chunked wins (h11); aiohttp refuses the pair as smuggling
        "length-and-chunked",
        sends(
            STATUS
            + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"%x\r\n%s\r\n0\r\n\r\n" % (len(OK_BODY), OK_BODY)
        ),
        httpx=OK,
        aiohttp=PROTOCOL,
    ),
    Scenario(  # RFC 9112 §6.3: a body until close (aiohttp); h11 knows only chunked
        "transfer-encoding-gzip",
        sends(STATUS + b"Transfer-Encoding: gzip\r\n\r\n" + OK_BODY),
        httpx=PROTOCOL,
        aiohttp=OK,
    ),
    # -- content encodings: only gzip and deflate are offered, and inflated with a cap
    same("encoding-gzip-gzip", sends(encoded(b"gzip, gzip", gzip.compress(GZIPPED))), UNDECODABLE),
    same(
        "encoding-gzip-twice",
        sends(head(b"Content-Encoding: gzip", b"Content-Encoding: gzip", body=GZIPPED)),
        UNDECODABLE,
    ),
    same("encoding-br", sends(encoded(b"br", b"\x1b\x3f\x00")), UNDECODABLE),
    same("encoding-zstd", sends(encoded(b"zstd", b"\x28\xb5\x2f\xfd")), UNDECODABLE),
    same("encoding-identity", sends(encoded(b"identity", OK_BODY)), OK),
    same("encoding-gzip", sends(encoded(b"gzip", GZIPPED)), OK),
    same("deflate-corrupt", sends(encoded(b"deflate", b"\x78\x9cgarbage")), UNDECODABLE),
    same(
        "gzip-corrupt-chunked",
        sends(
            chunked(
                b"9\r\n\x1f\x8b\x08\x00garbl\r\n0\r\n\r\n", header=b"Content-Encoding: gzip\r\n"
            )
        ),
        UNDECODABLE,
    ),
    # -- heads
    Scenario(  # h11 takes a head up to 100 KiB; aiohttp a line up to 8 KiB
        "header-of-70-KiB",
        sends(head(b"X-Big: " + b"a" * 70_000)),
        httpx=OK,
        aiohttp=PROTOCOL,
    ),
    same("header-of-256-KiB", sends(head(b"X-Big: " + b"a" * 256 * 1024)), PROTOCOL),
    Scenario(  # aiohttp takes at most 128 header lines
        "five-thousand-headers",
        sends(head(*(b"X-H%d: v" % n for n in range(5000)))),
        httpx=OK,
        aiohttp=PROTOCOL,
    ),
    same("header-line-without-colon", sends(head(b"NoColonHere")), PROTOCOL),
    same("header-without-a-name", sends(head(b": v")), PROTOCOL),
    same("bare-cr-in-a-header-value", sends(head(b"X-A: a\rb")), PROTOCOL),
    Scenario(  # RFC 9112 §5.2: a client may reject or fold it; h11 rejects, aiohttp folds
        "continuation-line-first",
        sends(STATUS + b" X-A: a\r\n" + CLOSE + JSON_LENGTH),
        httpx=PROTOCOL,
        aiohttp=OK,
    ),
    same("nul-in-a-header-value", sends(head(b"X-A: a\x00b")), PROTOCOL),
    same("non-ascii-header-name", sends(head("X-名: v".encode())), PROTOCOL),
    same("non-ascii-header-value", sends(head("X-A: 名字".encode())), OK),
    same("non-ascii-reason", sends(head(status="HTTP/1.1 200 好\r\n".encode())), OK),
    same("bare-lf-line-ends", sends(head().replace(b"\r\n", b"\n")), OK),
    same("set-cookie-for-another-domain", sends(head(b"Set-Cookie: s=1; Domain=evil.example")), OK),
    Scenario(  # RFC 9112 §5.1 forbids the space; h11 refuses the line, aiohttp takes it
        "space-before-a-colon",
        sends(STATUS + CLOSE + b"Content-Length : %d\r\n\r\n%s" % (len(OK_BODY), OK_BODY)),
        httpx=PROTOCOL,
        aiohttp=OK,
    ),
    # -- not HTTP/1.1 at all
    same("garbage", sends(b"\x16\x03\x01\x02\x00 not http at all\r\n\r\n"), PROTOCOL),
    same("http2-status-line", sends(b"HTTP/2 200\r\n\r\n"), PROTOCOL),
    same("lower-case-protocol-name", sends(head(status=b"http/1.1 200 OK\r\n")), PROTOCOL),
    same("body-without-a-status-line", sends(OK_BODY), PROTOCOL),
    same("status-of-two-digits", sends(head(status=b"HTTP/1.1 099 Odd\r\n")), PROTOCOL),
    same("status-of-four-digits", sends(head(status=b"HTTP/1.1 1000 Odd\r\n")), PROTOCOL),
    same("http10-body-until-close", sends(b"HTTP/1.0 200 OK\r\n\r\n" + OK_BODY), OK),
    same("http11-body-until-close", sends(STATUS + b"\r\n" + OK_BODY), OK),
    # -- informational answers first
    same("100-continue-first", sends(b"HTTP/1.1 100 Continue\r\n\r\n" + OK_ANSWER, "keep"), OK),
    same(
        "103-early-hints-first", sends(b"HTTP/1.1 103 Early Hints\r\n\r\n" + OK_ANSWER, "keep"), OK
    ),
    same(
        "101-upgrade-not-asked-for",
        sends(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n"),
        PROTOCOL,
    ),
    # -- statuses
    same("204-no-content", sends(b"HTTP/1.1 204 No Content\r\n" + CLOSE + b"\r\n"), UNDECODABLE),
    same(
        "304-not-modified", sends(b"HTTP/1.1 304 Not Modified\r\n" + CLOSE + b"\r\n"), UNDECODABLE
    ),
    same("500-html", sends(head(status=b"HTTP/1.1 500 Internal\r\n", body=HTML)), GATEWAY),
    same("502-html", sends(head(status=b"HTTP/1.1 502 Bad Gateway\r\n", body=HTML)), GATEWAY),
    same("503-html", sends(head(status=b"HTTP/1.1 503 Unavailable\r\n", body=HTML)), GATEWAY),
    same("200-empty", sends(head(body=b"")), UNDECODABLE),
    same("200-invalid-utf8", sends(head(body=b'{"result_code":\xff\xfe}')), UNDECODABLE),
    same("200-with-utf8-bom", sends(head(body=b"\xef\xbb\xbf" + OK_BODY)), OK),
    same(
        "redirect-to-a-malformed-location",
        sends(head(b"Location: http://[::1\xff/x", status=b"HTTP/1.1 302 Found\r\n", body=b"")),
        PROTOCOL,
    ),
    same(
        "302-elsewhere-not-followed",
        sends(head(b"Location: http://127.0.0.2:9/x", status=b"HTTP/1.1 302 Found\r\n", body=b"")),
        UNDECODABLE,
    ),
]


def echoing(where: Callable[[bytes], bytes]) -> Script:
    """A peer that puts the request it got (token and hash included) into its answer."""

    def script(conn: socket.socket, request: bytes) -> Any:
        conn.sendall(where(request))
        return "close"

    return script


def _body(request: bytes) -> bytes:
    return request.partition(b"\r\n\r\n")[2]


ECHOES = [
    same(
        "token-as-reason",
        echoing(lambda r: b"HTTP/1.1 400 %s\r\n" % TEST_TOKEN.encode() + CLOSE + b"\r\n"),
        Fails(HttpStatusError, 1),
    ),
    same(
        "request-as-reason",
        echoing(lambda r: b"HTTP/1.1 400 %s\r\n" % _body(r) + CLOSE + b"\r\n"),
        Fails(HttpStatusError, 1),
    ),
    same(
        "token-in-a-bad-status-line",
        echoing(lambda r: b"HTTP/1.1 2x0 %s\r\n\r\n" % TEST_TOKEN.encode()),
        PROTOCOL,
    ),
    same(
        "auth-code-in-a-bad-header",
        echoing(lambda r: STATUS + b"X-Bad\x00: %s\r\n\r\n" % TEST_AUTH_CODE.encode()),
        PROTOCOL,
    ),
    same(
        "request-in-a-bad-header",
        echoing(lambda r: STATUS + b"X-Echo: " + r.replace(b"\r\n", b" ") + b"\x00\r\n\r\n"),
        PROTOCOL,
    ),
]


def _ids(scenarios: list[Scenario]) -> list[str]:
    return [scenario.name for scenario in scenarios]


async def _run(
    peer: HostilePeer, transport: str, kind: str, **kwargs: Any
) -> tuple[BaseException | None, int, IdcodeClient]:
    """The hostile call's error (or ``None``) and how many attempts reached the peer; then
    the same client's next call against a calm peer, which must succeed."""
    client = client_for(peer.url, transport, **kwargs)
    async with client:
        error: BaseException | None = None
        try:
            with anyio.fail_after(GUARD_SECONDS):
                await client.call(SPECS[kind])
        except Exception as exc:  # checked by the caller: it must be typed
            error = exc
        attempts = len(peer.requests)
        await peer.calm()
        with anyio.fail_after(GUARD_SECONDS):
            assert (await client.call(READ, retries=0)).result_code == 1
    return error, attempts, client


def _check(error: BaseException | None, attempts: int, expected: Expected, kind: str) -> None:
    if expected is None:
        assert error is None, f"expected success, got {error!r}"
        assert attempts == 1
        return
    assert error is not None, "expected a failure, the call succeeded"
    assert type(error) is expected.error, f"{type(error).__name__}: {error}"
    assert attempts == (expected.read_attempts if kind == "read" else 1)
    assert_no_secret(error)


def _logs_clean(caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        text = record.getMessage()
        for secret in SECRETS:
            assert secret not in text, f"{record.name} logged a credential: {text[:200]!r}"


@pytest.fixture(autouse=True)
def _every_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # httpcore's DEBUG records quote the peer's bytes


@pytest.mark.parametrize("kind", ["read", "write"])
@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("scenario", SCENARIOS + ECHOES, ids=_ids(SCENARIOS + ECHOES))
async def test_a_hostile_answer_is_a_typed_error_and_the_pool_recovers(
    scenario: Scenario, transport: str, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    with hostile_peer(scenario.script) as peer:
        error, attempts, _ = await _run(peer, transport, kind)
    _check(error, attempts, scenario.expected(transport), kind)
    _logs_clean(caplog)


@pytest.mark.parametrize("kind", ["read", "write"])
@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 204 No Content\r\nContent-Length: %d\r\n\r\n%s" % (len(OK_BODY), OK_BODY),
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: %d\r\n\r\n%s" % (len(OK_BODY), OK_BODY),
        STATUS + b"Content-Length: 10\r\n\r\n" + OK_BODY,
    ],
    ids=["204-with-a-body", "304-with-a-body", "length-shorter-than-the-body"],
)
async def test_bytes_beyond_the_answer_are_a_typed_error(data: bytes, transport: str, kind: str):
    """A bodiless status with a body, or a body longer than its length: the surplus is the
    start of a next answer nobody asked for.  Whether the parser sees it within this call
    (aiohttp) or not (h11: the body as framed, not JSON) depends on the parser and on how
    the bytes arrive, so only the type and the retry rule are fixed here."""
    with hostile_peer(sends(data)) as peer:
        error, attempts, _ = await _run(peer, transport, kind)
    assert isinstance(error, TransportError)
    assert_no_secret(error)
    if kind == "write":
        assert attempts == 1


@pytest.mark.parametrize(
    "transport",
    [
        pytest.param(
            "httpx",
            marks=pytest.mark.xfail(
                strict=True,
                reason="h11 keeps the surplus in its buffer and reads it as the next answer",
            ),
        ),
        "aiohttp",
    ],
)
async def test_a_kept_connection_with_surplus_bytes_is_not_reused(transport: str):
    """Left open after a body longer than its length, the connection holds the start of an
    answer to a request not yet sent: it must not carry the next call."""
    data = STATUS + b"Content-Length: 10\r\n\r\n" + OK_BODY
    with hostile_peer(sends(data, "keep")) as peer:
        error, _, _ = await _run(peer, transport, "write")
    assert isinstance(error, TransportError)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_connection_closed_while_idle_is_not_reused(transport: str):
    """A server that closes after a complete answer without ``Connection: close``: the next
    call, made before the event loop has read the FIN, must open a new connection (httpcore
    polls an idle socket before reuse; the aiohttp transport does too)."""
    answer_then_close = sends(OK_ANSWER, "close")
    with hostile_peer(answer_then_close) as peer:
        async with client_for(peer.url, transport, retry=RetryPolicy(max_retries=0)) as client:
            for _ in range(5):
                assert (await client.call(WRITE)).result_code == 1
                peer.settle()  # the FIN is sent; the loop does not run before the next call
                time.sleep(0.01)  # noqa: ASYNC251 (the loop must not run: see above)
    assert len(peer.requests) == 5


@pytest.mark.parametrize("kind", ["read", "write"])
@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    "silence",
    [b"", STATUS + b'Content-Length: 100\r\n\r\n{"res'],
    ids=["before-any-byte", "mid-body"],
)
async def test_a_server_that_falls_silent_times_out(transport: str, kind: str, silence: bytes):
    with hostile_peer(sends(silence, "hang")) as peer:
        error, attempts, _ = await _run(peer, transport, kind, timeout=0.3)
    assert type(error) is TimeoutError
    assert attempts == (1 + RETRIES if kind == "read" else 1)
    assert_no_secret(error)


async def _never_sent(url: str, transport: str, **kwargs: Any) -> tuple[BaseException, int]:
    """A write to ``url`` whose connection is never made: its error and how many attempts
    were dispatched (counted by a request hook, as no peer sees them)."""
    dispatched: list[object] = []

    async def count(request: object) -> None:
        dispatched.append(request)

    hooks = {"request": [count]}
    async with client_for(url, transport, event_hooks=hooks, **kwargs) as client:
        with anyio.fail_after(GUARD_SECONDS), pytest.raises(TransportError) as caught:
            await client.call(WRITE)
    return caught.value, len(dispatched)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_refused_connection_is_retried_even_for_a_write(transport: str):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"  # bound, not listening: refused
        error, attempts = await _never_sent(url, transport)
    assert type(error) is TransportError
    assert type(error.__cause__).__name__ == "ConnectError"
    assert attempts == 1 + RETRIES
    assert_no_secret(error)


@pytest.mark.parametrize(
    "hello",
    [OK_ANSWER, b"\x15\x03\x03\x00\x02\x02\x28"],
    ids=["plain-http-on-https", "tls-handshake-failure-alert"],
)
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_failed_tls_handshake_is_never_sent_so_a_write_is_retried(
    transport: str, hello: bytes
):
    with hostile_peer(sends(hello), first_word=True) as peer:
        https = peer.url.replace("http://", "https://")
        error, attempts = await _never_sent(https, transport)
    assert type(error) is TransportError
    assert type(error.__cause__).__name__ == "ConnectError"
    assert attempts == 1 + RETRIES
    assert_no_secret(error)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_tls_handshake_that_hangs_is_a_connect_timeout_retried_for_a_write(
    transport: str,
):
    """With one number as the timeout the attempt's bound equals the connect timeout: the
    connect timeout must still fire first, so that a write that never left is retried."""
    with hostile_peer(sends(b"", "hang"), first_word=True) as peer:
        https = peer.url.replace("http://", "https://")
        error, attempts = await _never_sent(https, transport, timeout=0.3)
        peer.release.set()
    assert type(error) is TimeoutError
    assert type(error.__cause__).__name__ == "ConnectTimeout"
    assert attempts == 1 + RETRIES
    assert_no_secret(error)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_upload_the_server_never_reads_times_out_and_is_not_resent(transport: str):
    """aiohttp has no write timeout: the attempt's bound ends the stuck upload instead."""
    codes = b"".join(b"I.86.1/%d\n" % n for n in range(300_000))
    spec = UploadCodeFile(company_idcode="i.86.1", category_reg_id="7", code_file=codes)
    with hostile_peer(sends(b"", "hang"), read_body=False) as peer:
        async with client_for(peer.url, transport, upload_timeout=0.5) as client:
            with anyio.fail_after(GUARD_SECONDS), pytest.raises(TimeoutError) as caught:
                await client.call(spec)
        peer.release.set()
    assert type(caught.value) is TimeoutError
    assert len(peer.requests) == 1
    assert_no_secret(caught.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_endless_body_cut_at_the_cap_leaves_a_usable_pool(transport: str):
    """The cap stops reading mid-body: that connection must be dropped, not pooled with the
    rest of the body waiting in it."""

    def endless(conn: socket.socket, request: bytes) -> Any:
        conn.sendall(chunked())
        while True:
            conn.sendall(b"10000\r\n" + b"x" * 0x10000 + b"\r\n")

    with hostile_peer(endless) as peer:
        error, attempts, _ = await _run(peer, transport, "read", max_response_bytes=1 << 20)
    assert type(error) is ResponseTooLargeError
    assert attempts == 1


def trickle(conn: socket.socket, request: bytes) -> Any:
    """The head, then one byte of a long body every 0.1 s: each read well within any read
    timeout, the whole answer never."""
    conn.sendall(STATUS + b"Content-Length: 100000\r\n\r\n{")
    for _ in range(99_999):
        time.sleep(0.1)
        conn.sendall(b" ")
    return "close"


@pytest.mark.parametrize("kind", ["read", "write"])
@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    "script", [trickle, sends(b"", "hang")], ids=["trickled-body", "no-answer-at-all"]
)
async def test_the_call_deadline_stops_a_slow_answer(transport: str, kind: str, script: Script):
    """…whatever phase it cuts, and the cut connection is dropped, not pooled: the trickle
    meets a closed socket (the peer settles) and the next call gets a clean answer."""
    with hostile_peer(script) as peer:
        async with client_for(peer.url, transport, timeout=30.0) as client:
            with anyio.fail_after(GUARD_SECONDS), pytest.raises(TimeoutError) as caught:
                await client.call(SPECS[kind], deadline=0.5)
            await peer.calm()
            assert (await client.call(READ, retries=0)).result_code == 1
    assert "deadline" in str(caught.value)
    assert len(peer.requests) == 2
    assert_no_secret(caught.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_get_is_sent_as_often_as_the_retry_policy_says(transport: str):
    """608 is the one GET: aiohttp would resend it once, unasked, when a reused connection
    fails; with ``retries=0`` exactly one attempt reaches the peer on either transport."""
    spec = ExamineRecord(company_idcode="i.86.1", type=1)
    with hostile_peer(sends(b"")) as peer:
        peer.hostile = False
        async with client_for(peer.url, transport) as client:
            await client.call(spec)  # leaves a kept-alive connection in the pool
            peer.hostile = True
            with pytest.raises(TransportError) as caught:
                await client.call(spec, retries=0)
    assert len(peer.requests) == 2
    assert_no_secret(caught.value)


@pytest.mark.parametrize("then", ["close", "rst"])
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_upload_cut_while_sending_is_not_resent(transport: str, then: Then):
    """A 5011 upload (multipart, 3.5 MB, streamed) that the peer drops after the head, while
    the body is still going out: the codes may have arrived, so it is not sent again."""
    codes = b"".join(b"I.86.1/%d\n" % n for n in range(300_000))
    spec = UploadCodeFile(company_idcode="i.86.1", category_reg_id="7", code_file=codes)
    with hostile_peer(sends(b"", then), read_body=False) as peer:
        async with client_for(peer.url, transport) as client:
            with anyio.fail_after(GUARD_SECONDS), pytest.raises(TransportError) as caught:
                await client.call(spec)
    assert type(caught.value) is TransportError
    assert len(peer.requests) == 1
    assert_no_secret(caught.value)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_redirect_elsewhere_is_refused_and_sends_nothing_there(
    transport: str, status: int
) -> None:
    """Followed redirects: the signed form must not go to another origin (another port of
    the same host is another origin)."""
    with serve(answer(200, OK_BODY)) as elsewhere:
        location = f"Location: {elsewhere.url}/steal".encode()
        redirect = head(location, status=b"HTTP/1.1 %d Moved\r\n" % status, body=b"")
        with hostile_peer(sends(redirect)) as peer:
            error, attempts, _ = await _run(peer, transport, "write", follow_redirects=True)
    assert type(error) is RedirectError
    assert attempts == 1
    assert elsewhere.requests == []
    assert_no_secret(error)


@pytest.mark.parametrize("kind", ["read", "write"])
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_redirect_loop_ends_in_a_typed_error(transport: str, kind: str) -> None:
    """A same-origin 302 to itself, followed: httpx's limit of hops ends it, once (the
    loop is the server's answer, not a transport fault, so it is not retried)."""
    loop = head(b"Location: /sp/idcode/loop", status=b"HTTP/1.1 302 Found\r\n", body=b"")
    with hostile_peer(sends(loop)) as peer:
        error, attempts, client = await _run(peer, transport, kind, follow_redirects=True)
    assert type(error) is TransportError
    assert "TooManyRedirects" in str(error)
    assert attempts == 1 + client.max_redirects
    assert_no_secret(error)
