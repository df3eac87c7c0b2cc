"""The remainder on disk: 5011 chunk files, their limits, sizes and hashes."""

from __future__ import annotations

import hashlib

import pytest

from idcode_async.uploads.spool import RemainderSpool, Workspace


@pytest.fixture
def workspace(tmp_path):
    ws = Workspace(tmp_path)
    yield ws
    ws.cleanup()


def spool(workspace, *, codes=100, size=1000, newline="\r\n"):
    return RemainderSpool(workspace, max_codes=codes, max_bytes=size, newline=newline)


def test_workspace_is_created_lazily_and_removed(tmp_path):
    ws = Workspace(tmp_path)
    assert list(tmp_path.iterdir()) == []
    path = ws.path
    assert path.parent == tmp_path
    assert path.is_dir()
    ws.cleanup()
    assert not path.exists()
    ws.cleanup()  # idempotent


def test_nothing_written_means_no_files(tmp_path):
    assert spool(Workspace(tmp_path)).close() == []
    assert list(tmp_path.iterdir()) == []


def test_chunks_split_by_code_count(workspace):
    s = spool(workspace, codes=2)
    for code in ["A", "BB", "C", "DD", "E"]:
        s.write(code)
    chunks = s.close()
    assert [(c.count, c.first_code, c.last_code) for c in chunks] == [
        (2, "A", "BB"),
        (2, "C", "DD"),
        (1, "E", "E"),
    ]
    assert [c.path.name for c in chunks] == [
        "codes-000001.txt",
        "codes-000002.txt",
        "codes-000003.txt",
    ]
    assert chunks[0].path.read_bytes() == b"A\r\nBB"  # CRLF between lines, none after the last


def test_chunks_split_by_bytes_including_separators(workspace):
    s = spool(workspace, size=7, newline="\n")
    for code in ["AAA", "BBB", "C", "DDDDDDD"]:
        s.write(code)
    chunks = s.close()
    assert [c.path.read_bytes() for c in chunks] == [b"AAA\nBBB", b"C", b"DDDDDDD"]
    assert all(c.size <= 7 for c in chunks)


def test_size_and_sha256_describe_the_file(workspace):
    s = spool(workspace, codes=10_000, size=10**9)
    for i in range(9000):  # past the write buffer, so several writes per file
        s.write(f"CODE{i}")
    (chunk,) = s.close()
    data = chunk.path.read_bytes()
    assert chunk.size == len(data)
    assert chunk.sha256 == hashlib.sha256(data).hexdigest()
    assert chunk.count == 9000 == len(data.split(b"\r\n"))


def test_codes_reads_back_everything_so_far(workspace):
    s = spool(workspace, codes=3)
    written = [f"X{i}" for i in range(8)]
    for code in written:
        s.write(code)
    assert list(s.codes()) == written
    s.write("Y")
    assert list(s.codes()) == [*written, "Y"]
    assert [c for chunk in s.close() for c in chunk.path.read_bytes().decode().split("\r\n")] == [
        *written,
        "Y",
    ]
