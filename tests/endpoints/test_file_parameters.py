"""File parameters (304 ``file1``, 305 ``unit_logo``, 5011 ``code_file``): what may be sent.

Only bytes, regular files (by path or open in binary mode) and readable binary streams are
accepted; the document's 5 MB limit of 304/305 holds for every kind, streams included.  Every
refusal is a ValidationError raised before anything reaches the wire (the route is never
called), and nothing blocks the event loop.
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import httpx
import pytest

from idcode_async import ValidationError
from idcode_async.endpoints.codes import UploadCodeFile
from idcode_async.endpoints.units import CompanyModify, CompanyVerify

from ..wire import assert_signed, exchange, read_request

FIVE_MB = 5 * 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
OK = {"result_code": 1, "result_msg": "成功"}
UNIT = "i.86.120103.1021"


def verify_304(file1: object) -> CompanyVerify:
    return CompanyVerify(
        company_idcode=UNIT,
        code_pay_type=2,
        organization_code="91120103MA05L8XX1X",
        file1=file1,  # type: ignore[arg-type]
    )


def modify_305(unit_logo: object) -> CompanyModify:
    return CompanyModify(
        company_idcode=UNIT,
        trade_id=12,
        organunit_address="天津市河西区",
        unit_logo=unit_logo,  # type: ignore[arg-type]
    )


class Unseekable(io.RawIOBase):
    """A readable binary stream that cannot seek (a socket or a pipe without a descriptor)."""

    def __init__(self, content: bytes) -> None:
        self._rest = content
        self.taken = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), len(self._rest))
        buffer[:n] = self._rest[:n]
        self._rest = self._rest[n:]
        self.taken += n
        return n


class Endless(io.RawIOBase):
    """A binary stream without an end and without a descriptor: ``/dev/zero`` in Python."""

    def __init__(self) -> None:
        self.taken = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        buffer[:] = bytes(len(buffer))
        self.taken += len(buffer)
        return len(buffer)


async def refused(client, router, spec_or_factory, parameter: str, match: str) -> None:
    """The spec (or building it) fails with a ValidationError naming ``parameter``; no request."""
    route = router.route().mock(return_value=httpx.Response(200, json=OK))

    async def build_and_call() -> None:
        spec = spec_or_factory() if callable(spec_or_factory) else spec_or_factory
        await client.call(spec)

    with pytest.raises(ValidationError, match=match) as info:
        await build_and_call()
    assert info.value.parameter == parameter
    assert not route.called


class FifoRescue:
    """Opens the FIFO's write end if a reader is stuck on it, so a regression fails, not hangs."""

    def __init__(self, fifo: Path) -> None:
        self.fifo = fifo
        self.done = threading.Event()
        self.rescued = False
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        if not self.done.wait(20):
            self.rescued = True
            fd = os.open(self.fifo, os.O_WRONLY)
            os.close(fd)

    def __enter__(self) -> FifoRescue:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()


async def test_a_fifo_path_is_refused_without_opening_it(client, router, tmp_path):
    fifo = tmp_path / "licence.png"
    os.mkfifo(fifo)
    with FifoRescue(fifo) as rescue:
        await refused(client, router, lambda: verify_304(fifo), "file1", "FIFO")
        await refused(client, router, lambda: verify_304(str(fifo)), "file1", "FIFO")
    assert not rescue.rescued, "the FIFO was opened for reading: the event loop blocked"


async def test_a_path_that_became_a_fifo_after_building_is_refused(client, router, tmp_path):
    path = tmp_path / "licence.png"
    path.write_bytes(PNG)
    spec = verify_304(path)
    path.unlink()
    os.mkfifo(path)
    with FifoRescue(path) as rescue:
        await refused(client, router, spec, "file1", "FIFO")
    assert not rescue.rescued


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")
async def test_dev_zero_by_path_or_stream_is_refused(client, router, tmp_path):
    link = tmp_path / "zero.png"
    link.symlink_to("/dev/zero")
    await refused(client, router, lambda: verify_304(link), "file1", "character device")
    with link.open("rb") as stream:
        await refused(client, router, lambda: modify_305(stream), "unit_logo", "character device")


async def test_an_endless_stream_is_read_only_to_its_limit(client, router):
    stream = Endless()
    reader = io.BufferedReader(stream)
    await refused(client, router, lambda: verify_304(reader), "file1", f"more than {FIVE_MB}")
    assert stream.taken <= FIVE_MB + 1 + io.DEFAULT_BUFFER_SIZE


@pytest.mark.parametrize("factory", [verify_304, modify_305])
async def test_a_6_mb_unseekable_stream_is_refused(client, router, factory):
    parameter = "file1" if factory is verify_304 else "unit_logo"
    source = Unseekable(PNG + bytes(6 * 1024 * 1024))
    await refused(
        client, router, lambda: factory(io.BufferedReader(source)), parameter, "at most 5242880"
    )
    assert source.taken <= FIVE_MB + 1 + io.DEFAULT_BUFFER_SIZE


async def test_an_unseekable_stream_within_the_limit_goes_out_whole(client, router):
    content = PNG + bytes(1024 * 1024)
    wire, _ = await exchange(client, router, modify_305(io.BufferedReader(Unseekable(content))), OK)
    assert wire.files["unit_logo"] == ("logo.png", content)  # named by its magic number
    assert_signed(wire)


async def test_a_regular_file_is_sent_and_closed(client, router, tmp_path):
    path = tmp_path / "licence.png"
    path.write_bytes(PNG)
    wire, _ = await exchange(client, router, verify_304(path), OK)
    assert wire.files["file1"] == ("licence.png", PNG)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: str(p / "a\x00b.png"), "NUL"),
        (lambda p: p / "licence\udcff.png", "not UTF-8"),
        (lambda p: (p / "licence.png").open("r", encoding="latin-1"), "text-mode"),
        (lambda p: io.StringIO("text"), "text-mode"),
        (lambda p: p / "absent.png", "cannot be read"),
    ],
    ids=["nul-in-path", "non-utf8-name", "text-mode-file", "string-io", "missing"],
)
async def test_unusable_files_are_validation_errors(client, router, tmp_path, make, match):
    (tmp_path / "licence.png").write_bytes(PNG)
    value = make(tmp_path)
    try:
        await refused(client, router, lambda: verify_304(value), "file1", match)
    finally:
        if hasattr(value, "close"):
            value.close()


async def test_a_closed_file_is_a_validation_error(client, router, tmp_path):
    path = tmp_path / "licence.png"
    path.write_bytes(PNG)
    with path.open("rb") as stream:
        pass
    await refused(client, router, lambda: verify_304(stream), "file1", "closed")


async def test_a_directory_is_a_validation_error(client, router, tmp_path):
    folder = tmp_path / "folder.png"
    folder.mkdir()
    await refused(client, router, lambda: verify_304(folder), "file1", "directory")


async def test_a_write_only_stream_is_a_validation_error(client, router, tmp_path):
    with (tmp_path / "out.png").open("wb") as stream:
        await refused(client, router, lambda: verify_304(stream), "file1", "not readable")


async def test_5011_unseekable_stream_is_buffered_and_sent(client, router):
    """5011 documents no size limit: an unseekable stream is read into memory, then sent."""
    content = b"i.86.120103.1021/10.232324.11/000001\n" * 1000
    spec = UploadCodeFile(
        company_idcode=UNIT,
        category_reg_id="1",
        code_file=io.BufferedReader(Unseekable(content)),
    )
    wire, _ = await exchange(client, router, spec, OK)
    assert wire.files["code_file"] == ("codes.txt", content)


async def test_a_stream_left_at_its_end_by_an_earlier_call_is_sent_whole_again(
    client, router, tmp_path
):
    """The multipart encoder sends a seekable stream from its start: a second call with the same
    spec sends the same file, and the size checked is the size sent."""
    path = tmp_path / "licence.png"
    path.write_bytes(PNG)
    route = router.route(path=CompanyVerify.path).mock(return_value=httpx.Response(200, json=OK))
    with path.open("rb") as stream:
        spec = verify_304(stream)
        await client.call(spec)
        assert stream.tell() == len(PNG)
        await client.call(spec)
    sent = [read_request(call.request).files["file1"] for call in route.calls]
    assert sent == [("licence.png", PNG), ("licence.png", PNG)]


async def test_a_large_stream_cannot_pass_the_limit_by_being_half_read(client, router, tmp_path):
    path = tmp_path / "licence.png"
    path.write_bytes(PNG + bytes(6 * 1024 * 1024))
    with path.open("rb") as stream:
        stream.seek(-1024, os.SEEK_END)  # 1 KiB left to read, 6 MiB that would be sent
        await refused(client, router, lambda: verify_304(stream), "file1", "at most 5242880")


async def test_a_retried_attempt_sends_the_stream_whole_again(client, router, tmp_path):
    path = tmp_path / "codes.txt"
    content = b"i.86.120103.1021/10.232324.11/000001\n" * 50
    path.write_bytes(content)
    sent: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(read_request(request).files["code_file"][1])
        if len(sent) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={**OK, "upload_id": "u1"})

    router.route(path=UploadCodeFile.path).mock(side_effect=answer)
    with path.open("rb") as stream:
        await client.call(
            UploadCodeFile(company_idcode=UNIT, category_reg_id="1", code_file=stream)
        )
    assert sent == [content, content]


@pytest.mark.parametrize("content", [b"", b"not an image", b"%PDF-1.7"])
def test_logo_bytes_of_no_allowed_format_are_refused_when_built(content):
    """305's logo must be bmp/png/jpg/gif: raw bytes are named by their magic number, so bytes
    of no image format are refused by the constructor, not first when the spec is sent."""
    with pytest.raises(ValidationError, match="unit_logo") as caught:
        modify_305(content)
    assert caught.value.endpoint == 305


def test_logo_bytes_of_an_image_format_are_accepted_when_built():
    assert modify_305(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).unit_logo is not None
