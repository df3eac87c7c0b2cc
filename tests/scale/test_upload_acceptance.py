"""Acceptance: an upload run drained by four worker processes, one SIGKILLed mid-request.

The plan has ten 5011 chunks and two ranges (5013, 5014); the sandbox is served on 127.0.0.1
with some latency on 5011 so that a request is in flight when the victim is killed.  Exactly
once is read from the sandbox's own store: every input code is held by exactly one batch of
the category, each chunk (by SHA-256 of its bytes) is exactly one 5011 batch, and the run's
verification (503 per accepted batch, 502 for strays) passes.  No Redis key or value holds the
access token or the authorisation code.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from functools import partial

import anyio
import pytest
import redis

from idcode_async import IdcodeClient, RetryPolicy
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.sandbox.serve import running
from idcode_async.scale import RedisUploadManifest, enqueue_jobs
from idcode_async.scale._redis import connect_sync
from idcode_async.scale.runs import progress
from idcode_async.scale.uploads import prepare_upload, verify_upload_run
from idcode_async.uploads import PlanOptions

from ..uploads.target import Target, register_target
from ._kill import kill_if_still

pytestmark = pytest.mark.slow

OPTIONS = PlanOptions(min_run_length=100, max_file_codes=300, max_list_requests=0)


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


def input_codes() -> list[str]:
    scattered = [f"Z{hashlib.sha256(str(n).encode()).hexdigest()[:12]}K" for n in range(3000)]
    return [f"LOT{n}" for n in range(1, 5001)] + [f"PAD{n:06d}" for n in range(1, 2001)] + scattered


def test_four_workers_one_killed_upload_every_request_exactly_once(served, redis_url):
    sandbox, base_url, target = served
    codes = input_codes()
    report = anyio.run(
        lambda: prepare_upload(
            redis_url,
            target.company_idcode,
            target.category_reg_id,
            codes,
            "accept-up",
            access_token=TEST_ACCESS_TOKEN,
            auth_code=TEST_AUTH_CODE,
            base_url=base_url,
            options=OPTIONS,
            lease=2.0,
            timeout=1.5,
            upload_timeout=1.5,
            grace=0.3,
            batch_size=1,
        )
    )
    assert (report.requests, report.codes) == (12, 10_000)
    sandbox.faults.latency_seconds = 0.15  # widen the window in which a 5011 is in flight
    sandbox.faults.endpoints = frozenset({5011})
    env = {
        **os.environ,
        "IDCODE_ACCESS_TOKEN": TEST_ACCESS_TOKEN,
        "IDCODE_AUTH_CODE": TEST_AUTH_CODE,
        "IDCODE_REDIS_URL": redis_url,
    }
    assert len(anyio.run(enqueue_jobs, redis_url, "accept-up", 4)) == 4
    command = [sys.executable, "-m", "idcode_async", "worker", "--burst"]
    workers = [
        subprocess.Popen([*command, "--log-level", "warning"], env=env, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    client = connect_sync(redis_url)
    store = RedisUploadManifest(client, "accept-up", worker="test")

    # the victim is whichever worker first holds a request in flight (on a loaded machine a
    # given worker may start too late to claim any of the twelve)
    def holds_intent(worker: subprocess.Popen[bytes]) -> bool:
        return any(
            f"/{worker.pid}/" in (client.hget(store.keys.item(e.key), "holder") or "")
            for e in store.entries()
            if e.state.value == "intent"
        )

    deadline = time.monotonic() + 60
    victim: subprocess.Popen[bytes] | None = None
    while victim is None:
        assert time.monotonic() < deadline, "no worker ever had a request in flight"
        victim = next(
            (w for w in workers if holds_intent(w) and kill_if_still(w, partial(holds_intent, w))),
            None,
        )
        time.sleep(0.005)
    errors = [w.communicate(timeout=90)[1].decode(errors="replace") for w in workers]
    assert victim.returncode == -signal.SIGKILL
    survivors = [w for w in workers if w is not victim]
    assert [w.returncode for w in survivors] == [0, 0, 0], errors

    state = anyio.run(progress, redis_url, "accept-up")
    assert (state.complete, state.accepted_codes) == (True, 10_000), state.describe()
    taken = [e for e in store.events() if e["event"] == "lease-expired"]
    assert any(f"/{victim.pid}/" in e["detail"] and "state intent" in e["detail"] for e in taken)

    held: Counter[str] = Counter()
    chunks: Counter[str] = Counter()
    for upload in list(sandbox.state.uploads.values()):
        assert str(upload.registration.category_reg_id) == target.category_reg_id
        held.update(upload.user_codes())
        if upload.method == 5011:
            text = "\r\n".join(upload.user_codes())
            chunks[hashlib.sha256(text.encode("ascii")).hexdigest()] += 1
    assert {c: n for c, n in held.items() if n != 1} == {}, "a code was uploaded twice"
    assert set(held) == set(codes)
    planned = Counter(e.sha256 for e in store.entries() if e.endpoint == 5011)
    assert len(planned) == 10
    assert chunks == planned  # each chunk exactly one batch
    assert sorted(u.method for u in sandbox.state.uploads.values() if u.method != 5011) == [
        5013,
        5014,
    ]

    async def verify() -> bool:
        async with IdcodeClient(
            access_token=TEST_ACCESS_TOKEN, auth_code=TEST_AUTH_CODE, base_url=base_url
        ) as api:
            result = await verify_upload_run(api, redis_url, "accept-up")
        assert result.extra_checked
        return result.ok

    assert anyio.run(verify)
    client.close()

    binary = redis.Redis.from_url(redis_url)
    secrets = (TEST_ACCESS_TOKEN.encode(), TEST_AUTH_CODE.encode())
    for key in binary.keys("*"):
        assert not any(s in key for s in secrets)
        kind = binary.type(key)
        if kind == b"string":
            values = [binary.get(key) or b""]
        elif kind == b"hash":
            values = list(binary.hgetall(key).values())
        elif kind == b"list":
            values = binary.lrange(key, 0, -1)
        else:
            values = [m for m, _ in binary.zrange(key, 0, -1, withscores=True)]
        assert not any(s in v for v in values for s in secrets), key
    assert binary.keys("idcode:upload:{accept-up}:blob:*") == []  # accepted: chunks deleted
    binary.close()


def test_upload_codes_with_redis_runs_local_workers_and_verifies(served, redis_url, tmp_path):
    sandbox, base_url, target = served
    codes = input_codes()[:6000]
    source = tmp_path / "codes.txt"
    source.write_text("\n".join(codes) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "idcode_async", "upload-codes", str(source)]
    command += ["--company-idcode", target.company_idcode]
    command += ["--category-reg-id", target.category_reg_id, "--min-run", "100"]
    command += ["--chunk-codes", "300", "--redis", "--run", "cli-up", "--workers", "2"]
    command += ["--lease", "5", "--timeout", "2", "--upload-timeout", "2", "--verify"]
    command += ["--progress", "plain", "--json"]
    env = {
        **os.environ,
        "IDCODE_ACCESS_TOKEN": TEST_ACCESS_TOKEN,
        "IDCODE_AUTH_CODE": TEST_AUTH_CODE,
        "IDCODE_REDIS_URL": redis_url,
        "IDCODE_BASE_URL": base_url,
    }
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)  # --json: one object; the lines go to stderr
    assert (summary["accepted_codes"], summary["verified"], summary["exit_code"]) == (6000, True, 0)
    assert "uploading: 0/6000 codes" in done.stderr  # live progress, as a local run shows it
    assert "done: 6000/6000 codes, 2/2 requests" in done.stderr
    held: Counter[str] = Counter()
    for upload in list(sandbox.state.uploads.values()):
        held.update(upload.user_codes())
    assert held == Counter(codes)


def test_ctrl_c_stops_the_local_workers_and_a_rerun_finishes_exactly_once(
    served, redis_url, tmp_path
):
    """SIGINT to ``upload-codes --redis``: workers finish their request in flight and stop; the
    command exits 130; the same command again completes the upload with nothing sent twice."""
    sandbox, base_url, target = served
    sandbox.faults.latency_seconds = 0.2  # every request takes a while: Ctrl-C lands mid-run
    codes = input_codes()  # two ranges and ten 5011 chunks
    source = tmp_path / "codes.txt"
    source.write_text("\n".join(codes) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "idcode_async", "upload-codes", str(source)]
    command += ["--company-idcode", target.company_idcode]
    command += ["--category-reg-id", target.category_reg_id, "--min-run", "100"]
    command += ["--chunk-codes", "300", "--redis", "--run", "sigint-up", "--workers", "2"]
    command += ["--lease", "5", "--timeout", "2", "--upload-timeout", "2"]
    env = {
        **os.environ,
        "IDCODE_ACCESS_TOKEN": TEST_ACCESS_TOKEN,
        "IDCODE_AUTH_CODE": TEST_AUTH_CODE,
        "IDCODE_REDIS_URL": redis_url,
        "IDCODE_BASE_URL": base_url,
    }
    first = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while sandbox.stats()["requests"].get("5011", 0) < 2:
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    first.send_signal(signal.SIGINT)
    _, err = first.communicate(timeout=60)
    assert first.returncode == 130, err
    assert "resume with: idcode upload-codes" in err
    assert "--run sigint-up" in err
    assert "--redis " in err
    assert redis_url not in err  # the URL stays in the variable
    sandbox.faults.latency_seconds = 0.0
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    held: Counter[str] = Counter()
    for upload in list(sandbox.state.uploads.values()):
        held.update(upload.user_codes())
    assert held == Counter(codes)
