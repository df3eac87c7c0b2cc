"""The loopback server under hostile peers: malformed HTTP, slowloris, oversize heads/bodies.

Every test talks to a real uvicorn on 127.0.0.1 through raw sockets.  Each socket read has a
timeout, so a server that never answers fails the test instead of hanging it; the limits of
the served sandbox are short (one second) so that the deadlines are reached quickly.
"""

from __future__ import annotations

import select
import socket
import tracemalloc
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from idcode_async.sandbox import Sandbox
from idcode_async.sandbox.body_limit import DEFAULT_MAX_BODY_BYTES
from idcode_async.sandbox.serve import ServerLimits, running
from idcode_async.uploads import PlanOptions

from .helpers import Api

LIMITS = ServerLimits(header_timeout=1.0, body_timeout=1.0, keep_alive=1)
READ_TIMEOUT = 15.0
"""Far above every limit: a read that waits this long means the server did not bound it."""
HALF_HEAD = b"GET /sp/idcode/addresses HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
HALF_BODY = (
    b"POST /sp/idcode/addresses HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nab"
)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Sandbox, str]]:
    with Sandbox() as sandbox, running(sandbox, limits=LIMITS) as base_url:
        yield sandbox, base_url


def _address(base_url: str) -> tuple[str, int]:
    host, port = base_url.removeprefix("http://").split(":")
    return host, int(port)


def _connect(base_url: str) -> socket.socket:
    return socket.create_connection(_address(base_url), timeout=READ_TIMEOUT)


def _read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes (a timeout fails the test)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def _answers(base_url: str) -> None:
    """The server still answers an ordinary request."""
    answer = httpx.get(f"{base_url}/_sandbox/stats", timeout=READ_TIMEOUT, trust_env=False)
    assert answer.status_code == 200


def _exchange(base_url: str, raw: bytes) -> bytes:
    with _connect(base_url) as sock:
        sock.sendall(raw)
        return _read_all(sock)


@pytest.mark.parametrize(
    "raw",
    [
        b"\x00\xff\xfe NOT HTTP AT ALL\r\n\r\n",
        b"GET\r\n\r\n",
        b"POST /sp/idcode/addresses HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"GET /sp/idcode/addresses HTTP/1.1\r\nHost x no colon\r\n\r\n",
    ],
    ids=["garbage", "no-target", "bad-length", "bad-header"],
)
def test_malformed_requests_get_400_and_the_server_goes_on(
    served: tuple[Sandbox, str], raw: bytes
) -> None:
    _, base_url = served
    assert _exchange(base_url, raw).startswith(b"HTTP/1.1 400 ")
    _answers(base_url)


@pytest.mark.parametrize("size", [LIMITS.max_header_bytes + 1, 4 * 1024 * 1024])
def test_an_oversize_head_gets_431(served: tuple[Sandbox, str], size: int) -> None:
    _, base_url = served
    start = b"GET /sp/idcode/addresses HTTP/1.1\r\nHost: x\r\nX-Filler: "
    raw = start + b"a" * (size - len(start) - 4) + b"\r\n\r\n"
    assert len(raw) == size
    with _connect(base_url) as sock:
        try:
            sock.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed while the head was still being sent: its 431 may be lost
        else:
            assert _read_all(sock).startswith(b"HTTP/1.1 431 ")
    _answers(base_url)


def test_a_head_at_the_limit_is_read(served: tuple[Sandbox, str]) -> None:
    _, base_url = served
    start = b"GET /_sandbox/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Filler: "
    raw = start + b"a" * (LIMITS.max_header_bytes - len(start) - 4) + b"\r\n\r\n"
    assert _exchange(base_url, raw).startswith(b"HTTP/1.1 200 ")


def test_half_sent_requests_from_300_sockets_are_cut_off(served: tuple[Sandbox, str]) -> None:
    _, base_url = served
    with ExitStack() as stack:
        heads = [stack.enter_context(_connect(base_url)) for _ in range(150)]
        bodies = [stack.enter_context(_connect(base_url)) for _ in range(150)]
        for sock in heads:
            sock.sendall(HALF_HEAD)
        for sock in bodies:
            sock.sendall(HALF_BODY)
        _answers(base_url)
        for sock in heads:
            assert _read_all(sock).startswith(b"HTTP/1.1 408 ")
        for sock in bodies:
            assert _read_all(sock) == b""
    _answers(base_url)


def test_a_head_dribbled_byte_by_byte_still_meets_its_deadline(
    served: tuple[Sandbox, str],
) -> None:
    """uvicorn alone restarts its timer on every byte; the head's deadline does not move."""
    _, base_url = served
    with _connect(base_url) as sock:
        sock.sendall(HALF_HEAD)
        for _ in range(1000):  # 1000 x 50 ms: far more than the head's 1 s
            readable, _, _ = select.select([sock], [], [], 0.05)
            if readable:
                break
            sock.sendall(b"a")
        else:
            pytest.fail("the server let a dribbled head run on")
        assert _read_all(sock).startswith(b"HTTP/1.1 408 ")


def test_a_declared_oversize_body_is_refused_before_it_is_sent(
    served: tuple[Sandbox, str],
) -> None:
    _, base_url = served
    head = (
        b"POST /sp/idcode/upload/codefile HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: multipart/form-data; boundary=b\r\n"
        + f"Content-Length: {100 * 1024 * 1024}\r\n\r\n".encode()
    )
    answer = _exchange(base_url, head)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b'"result_code":0' in answer
    _answers(base_url)


def test_a_100_mib_chunked_post_is_cut_at_the_cap_with_flat_memory(
    served: tuple[Sandbox, str],
) -> None:
    _, base_url = served
    chunk = b"a=" + b"b" * (64 * 1024 - 2)
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    total = 100 * 1024 * 1024
    sent = 0
    answer = b""
    tracemalloc.start()
    try:
        with _connect(base_url) as sock:
            sock.sendall(
                b"POST /sp/idcode/addresses HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            try:
                while sent < total:
                    if select.select([sock], [], [], 0)[0]:
                        break
                    sock.sendall(frame)
                    sent += len(chunk)
                answer = _read_all(sock)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server closed first; its 413 may be lost with the reset
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sent < total, "the server read the whole 100 MiB"
    assert not answer or answer.startswith(b"HTTP/1.1 413 ")
    assert peak < 4 * DEFAULT_MAX_BODY_BYTES
    _answers(base_url)


async def test_the_largest_5011_chunk_the_sdk_sends_is_admitted(
    served: tuple[Sandbox, str],
) -> None:
    options = PlanOptions()
    width = -(-options.max_file_bytes // options.max_file_codes) - 2  # the code count binds too
    codes = options.max_file_bytes // (width + 2)
    content = b"".join(b"C%0*d\r\n" % (width - 1, n) for n in range(codes))
    assert len(content) <= options.max_file_bytes < len(content) + width + 2
    _, base_url = served
    async with httpx.AsyncClient(base_url=base_url, timeout=60, trust_env=False) as client:
        api = Api(client)
        company = await api.register_unit("上限测试有限公司", login_name="LIMIT-000001")
        reg_id, _ = await api.register_product(company, "LIM")
        params = {"company_idcode": company, "category_reg_id": reg_id, "version": "2.0"}
        body = await api.ok(
            "/sp/idcode/upload/codefile", params, files={"code_file": ("codes.txt", content)}
        )
    assert body["data"]["uploadcode_id"]


async def test_the_cap_is_configurable() -> None:
    with Sandbox(max_body_bytes=1024) as small:
        async with httpx.AsyncClient(transport=small.transport(), base_url="http://s") as http:
            over = await http.post("/sp/idcode/addresses", content=b"a" * 1025)
            under = await http.post(
                "/sp/idcode/addresses",
                content=b"a=" + b"b" * 1000,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
    assert over.status_code == 413
    assert over.json() == {"result_code": 0, "result_msg": "失败"}
    assert under.status_code == 200
