"""Acceptance: bulk uploads against the sandbox, crashes and lost answers included.

- 10,000,000 sequential codes (generated lazily) upload as four 5014 ranges; verify agrees.
- 5011 chunks are streamed from disk in small reads, never read whole.
- The command, run as a subprocess against the sandbox served over loopback: an answer lost
  after the centre processed the upload (``drop_after``) is found in 502/505, not resent;
  SIGKILL at random points, several times, then resume: every chunk accepted exactly once.

"Exactly once" is read from the sandbox's own store: every input code is held by exactly one
upload batch of the category, and each 5011 chunk of the manifest (by SHA-256 of its bytes)
is exactly one batch.
"""

from __future__ import annotations

import hashlib
import io
import os
import pathlib
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import anyio
import httpx
import pytest

from idcode_async import IdcodeClient, RetryPolicy
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.sandbox.serve import running
from idcode_async.uploads import (
    EntryState,
    PlanOptions,
    UploadManifest,
    upload_codes,
    verify_upload,
)

from .target import Target, register_target

_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def random_codes(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(_ALPHABET, k=14)) for _ in range(n)]


def held_codes(sandbox: Sandbox, target: Target) -> Counter[str]:
    held: Counter[str] = Counter()
    for upload in list(sandbox.state.uploads.values()):
        if str(upload.registration.category_reg_id) == target.category_reg_id:
            held.update(upload.user_codes())
    return held


def chunk_batches(sandbox: Sandbox, target: Target) -> Counter[str]:
    """SHA-256 of each 5011 batch of the category, as the chunk file's bytes were (CRLF)."""
    found: Counter[str] = Counter()
    for upload in list(sandbox.state.uploads.values()):
        ours = str(upload.registration.category_reg_id) == target.category_reg_id
        if ours and upload.method == 5011:
            text = "\r\n".join(upload.user_codes())
            found[hashlib.sha256(text.encode("ascii")).hexdigest()] += 1
    return found


def manifest_chunks(path: Path) -> list[str]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT data ->> 'sha256' FROM items WHERE data ->> 'endpoint' = 5011 ORDER BY seq"
        )
        return [row[0] for row in rows]
    finally:
        db.close()


def manifest_states(path: Path) -> dict[str, int]:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.OperationalError:
        return {}
    try:
        rows = db.execute("SELECT COALESCE(outcome, state), COUNT(*) FROM items GROUP BY 1")
        return dict(rows.fetchall())
    except sqlite3.OperationalError:
        return {}
    finally:
        db.close()


def assert_each_chunk_once(sandbox: Sandbox, target: Target, manifest: Path, codes: list[str]):
    held = held_codes(sandbox, target)
    twice = {code: n for code, n in held.items() if n != 1}
    assert twice == {}, f"{len(twice)} codes uploaded more than once"
    assert set(held) == set(codes)
    chunks = manifest_chunks(manifest)
    assert chunk_batches(sandbox, target) == Counter(chunks)  # each chunk exactly one batch


# -- in-process -------------------------------------------------------------------------------


def lots(n: int, count: int) -> Iterator[str]:
    """``count`` lots of ``n // count`` zero-padded serials each, generated on demand."""
    per_lot = n // count
    for lot in range(count):
        for serial in range(per_lot):
            yield f"LOT{lot}-{serial:07d}"


@pytest.mark.slow
async def test_ten_million_sequential_codes_upload_as_four_ranges(
    sandbox, sandbox_client, target, tmp_path
):
    manifest = tmp_path / "seq.manifest.db"
    result = await upload_codes(
        sandbox_client,
        target.company_idcode,
        target.category_reg_id,
        lots(10_000_000, 4),
        manifest=manifest,
    )
    assert result.complete
    assert result.by_endpoint() == {5014: (4, 10_000_000)}
    assert [(r.first_code, r.last_code) for r in result.requests] == [
        (f"LOT{lot}-0000000", f"LOT{lot}-2499999") for lot in range(4)
    ]
    requests = sandbox.stats()["requests"]
    assert requests["5014"] == 4
    assert not {"5011", "5012", "5013"} & set(requests)
    with UploadManifest(manifest, lock=False) as store:
        assert store.counts()[EntryState.ACCEPTED] == 4
    report = await verify_upload(sandbox_client, target.company_idcode, manifest)
    assert report.ok
    assert report.server_total == report.expected_total == 10_000_000
    print(f"10,000,000 codes: plan {result.plan_seconds:.1f}s, total {result.elapsed:.1f}s")


class _CountingReader(io.RawIOBase):
    """A chunk file as the client opens it, noting the size of every read."""

    reads: ClassVar[list[int]] = []

    def __init__(self, stream: io.BufferedReader) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        _CountingReader.reads.append(size if size is not None and size >= 0 else -len(data) - 1)
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()

    def fileno(self) -> int:
        return self._stream.fileno()

    def close(self) -> None:
        self._stream.close()
        super().close()


async def test_5011_chunks_are_streamed_in_small_reads(
    sandbox, sandbox_client, target, tmp_path, monkeypatch
):
    original_open = pathlib.Path.open
    opened: list[str] = []

    def tracking_open(self: pathlib.Path, mode: str = "r", *args, **kwargs):
        stream = original_open(self, mode, *args, **kwargs)
        if "idcode-plan-" in str(self) and self.suffix == ".txt" and mode == "rb":
            opened.append(self.name)
            return _CountingReader(stream)
        return stream

    _CountingReader.reads = []
    monkeypatch.setattr(pathlib.Path, "open", tracking_open)
    codes = random_codes(200_000, seed=11)
    result = await upload_codes(
        sandbox_client,
        target.company_idcode,
        target.category_reg_id,
        codes,
        manifest=tmp_path / "m.db",
        options=PlanOptions(max_file_codes=50_000),
    )
    assert result.by_endpoint() == {5011: (4, 200_000)}
    assert len(opened) == 4  # each chunk opened once, by the client
    reads = _CountingReader.reads
    assert reads
    assert min(reads) >= 0, "a chunk file was read whole (read() without a size)"
    assert max(reads) <= 64 * 1024
    total = sum(r.size for r in result.requests)
    assert sum(reads) >= total  # every byte was read, in pieces
    assert len(reads) >= 4 * (total // (4 * 64 * 1024))  # ~800 KB chunks: a dozen reads each
    assert_each_chunk_once(sandbox, target, tmp_path / "m.db", codes)


# -- over loopback, the command as a subprocess ----------------------------------------------


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str, Target]]:
    with Sandbox(approval_delay=0) as sandbox, running(sandbox) as base_url:

        async def setup() -> Target:
            async with IdcodeClient(
                access_token=TEST_ACCESS_TOKEN,
                auth_code=TEST_AUTH_CODE,
                base_url=base_url,
                retry=RetryPolicy(max_retries=2, backoff_base=0.01),
            ) as client:
                return await register_target(client)

        yield sandbox, base_url, anyio.run(setup)


def cli_command(source: Path, manifest: Path, target: Target, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "idcode_async",
        "upload-codes",
        str(source),
        "--company-idcode",
        target.company_idcode,
        "--category-reg-id",
        target.category_reg_id,
        "--manifest",
        str(manifest),
        "--chunk-codes",
        "5000",
        "--reconcile-grace",
        "1",
        "--progress",
        "none",
        *extra,
    ]


def cli_env(base_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "IDCODE_ACCESS_TOKEN": TEST_ACCESS_TOKEN,
        "IDCODE_AUTH_CODE": TEST_AUTH_CODE,
        "IDCODE_BASE_URL": base_url,
    }


def write_codes(path: Path, codes: list[str]) -> Path:
    path.write_text("\n".join(codes) + "\n", encoding="ascii")
    return path


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.002)


def stats_over_http(base_url: str) -> dict[str, object]:
    stats: dict[str, object] = httpx.get(f"{base_url}/_sandbox/stats", timeout=10).json()
    return stats


def test_answers_lost_after_processing_are_reconciled_not_resent(served, tmp_path):
    sandbox, base_url, target = served
    codes = random_codes(20_000, seed=5)
    source = write_codes(tmp_path / "codes.txt", codes)
    manifest = tmp_path / "run.db"
    sandbox.faults.schedule("drop_after", endpoint=5011, times=2)
    final = subprocess.run(
        cli_command(source, manifest, target, "--verify"),
        env=cli_env(base_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert final.returncode == 0, final.stderr
    assert "4 accepted (0 by earlier runs, 2 reconciled)" in final.stdout
    assert "verified: 4 requests (4 ok); centre holds 20000 of 20000 codes" in final.stdout
    stats = stats_over_http(base_url)
    assert stats["requests"]["5011"] == 4  # type: ignore[index]
    assert stats["requests"]["505"] == 2  # type: ignore[index]
    assert stats["faults"]["drop_after"] == 2  # type: ignore[index]
    assert stats["signature_failures"] == 0
    assert_each_chunk_once(sandbox, target, manifest, codes)
    for blob in (manifest.read_bytes(), final.stdout.encode(), final.stderr.encode()):
        assert TEST_ACCESS_TOKEN.encode() not in blob
        assert TEST_AUTH_CODE.encode() not in blob


@pytest.mark.slow
def test_sigkill_at_random_points_then_resume_uploads_each_chunk_exactly_once(served, tmp_path):
    sandbox, base_url, target = served
    sandbox.faults.latency_seconds = 0.12  # widen the in-flight window the kills may hit
    sandbox.faults.endpoints = frozenset({5011})
    codes = random_codes(50_000, seed=9)
    source = write_codes(tmp_path / "codes.txt", codes)
    manifest = tmp_path / "run.db"
    command, env = cli_command(source, manifest, target), cli_env(base_url)
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    sandbox.faults.reseed(seed)
    sandbox.faults.drop_before_probability = 0.2  # some requests never reach the centre
    kills, maybe_sent_at_kill = 0, 0
    for threshold in sorted(rng.sample(range(1, 9), 5)):
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(
            lambda t=threshold, p=process: (
                sandbox.stats()["requests"].get("5011", 0) >= t or p.poll() is not None
            )
        )
        time.sleep(rng.uniform(0, 0.15))  # about one request: any phase of it
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.communicate(timeout=30)
        states = manifest_states(manifest)
        maybe_sent_at_kill += states.get("intent", 0) + states.get("unknown", 0)
    sandbox.faults.clear()
    sandbox.faults.schedule("drop_after", endpoint=5011, times=1)
    final = subprocess.run(
        [*command, "--verify"], env=env, capture_output=True, text=True, timeout=120
    )
    assert final.returncode == 0, f"seed {seed}: {final.stderr}"
    assert kills >= 4, f"seed {seed}: only {kills} kills landed"
    assert "centre holds 50000 of 50000 codes" in final.stdout
    assert_each_chunk_once(sandbox, target, manifest, codes)
    assert len(manifest_chunks(manifest)) == 10
    stats = stats_over_http(base_url)
    assert stats["signature_failures"] == 0
    db = sqlite3.connect(manifest)
    reconciled, resent = db.execute(
        "SELECT SUM(reconciled), SUM(attempts > 1) FROM items"
    ).fetchone()
    db.close()
    print(
        f"seed {seed}: {kills} kills, {maybe_sent_at_kill} requests left in flight; "
        f"{reconciled} settled from 502/505, {resent} sent again after 502/505 showed them "
        f"absent; 5011 requests received: {stats['requests']['5011']}; "  # type: ignore[index]
        f"faults: {stats['faults']}"
    )
