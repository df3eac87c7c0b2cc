"""The arq side: settings, the enqueue helper and the job function, in this process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.sandbox.serve import running
from idcode_async.scale import ScaleError, drain_run_job, enqueue_registration, progress
from idcode_async.scale._redis import connect_sync
from idcode_async.scale.arq_jobs import (
    CTX_REDIS_URL,
    CTX_STOP,
    DEFAULT_QUEUE,
    DRAIN_JOB,
    WorkerSettings,
    _startup,
    worker_settings,
)

from ..registration.conftest import unit


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    sandbox = Sandbox()
    with running(sandbox) as base_url:
        yield sandbox, base_url


def test_worker_settings_run_one_job_per_process_on_our_own_queue(redis_url):
    settings = worker_settings(redis_url, burst=True)
    [drain] = settings["functions"]
    assert drain.name == DRAIN_JOB
    assert drain.timeout_s == 24 * 3600
    assert (settings["queue_name"], settings["max_jobs"], settings["burst"]) == (
        DEFAULT_QUEUE,
        1,
        True,
    )
    assert settings["redis_settings"].port == int(redis_url.rsplit(":", 1)[1].split("/")[0])
    assert settings["ctx"] == {CTX_REDIS_URL: redis_url}
    assert [f.name for f in WorkerSettings["functions"]] == [DRAIN_JOB]
    assert WorkerSettings["queue_name"] == DEFAULT_QUEUE


async def test_a_worker_without_credentials_fails_at_start(monkeypatch):
    monkeypatch.delenv("IDCODE_ACCESS_TOKEN", raising=False)
    with pytest.raises(ScaleError, match="IDCODE_ACCESS_TOKEN and IDCODE_AUTH_CODE"):
        await _startup({})


async def test_the_worker_context_carries_a_stop_event(monkeypatch):
    monkeypatch.setenv("IDCODE_ACCESS_TOKEN", "t")
    monkeypatch.setenv("IDCODE_AUTH_CODE", "a")
    ctx: dict[str, object] = {}
    await _startup(ctx)
    assert not ctx[CTX_STOP].is_set()


async def test_enqueue_loads_the_run_and_queues_jobs_without_any_secret(served, redis_url):
    _, base_url = served
    enqueued = await enqueue_registration(
        redis_url,
        [unit(n) for n in range(5)],
        "queued",
        access_token=TEST_ACCESS_TOKEN,
        jobs=3,
        base_url=base_url,
        check_regions=False,
    )
    assert len(enqueued.job_ids) == 3
    assert (enqueued.load.valid, enqueued.load.new) == (5, 5)
    client = connect_sync(redis_url)
    assert client.zcard(DEFAULT_QUEUE) == 3
    client.close()
    binary = redis.Redis.from_url(redis_url)  # arq's payloads are pickles: read bytes
    for job_id in enqueued.job_ids:
        payload = binary.get(f"arq:job:{job_id}")
        assert payload
        assert b"queued" in payload
        assert TEST_ACCESS_TOKEN.encode() not in payload
        assert TEST_AUTH_CODE.encode() not in payload
    binary.close()
    with pytest.raises(ValueError, match="jobs must be"):
        await enqueue_registration(
            redis_url, [], "queued", access_token=TEST_ACCESS_TOKEN, jobs=-1, check_regions=False
        )


async def test_the_job_drains_the_run_with_the_workers_credentials(served, redis_url, monkeypatch):
    sandbox, base_url = served
    await enqueue_registration(
        redis_url,
        [unit(n) for n in range(4)],
        "job-run",
        access_token=TEST_ACCESS_TOKEN,
        jobs=0,
        base_url=base_url,
        check_regions=False,
        min_interval=0.0,
        max_interval=0.01,
    )
    monkeypatch.setenv("IDCODE_ACCESS_TOKEN", TEST_ACCESS_TOKEN)
    monkeypatch.setenv("IDCODE_AUTH_CODE", TEST_AUTH_CODE)
    result = await drain_run_job({CTX_REDIS_URL: redis_url, "job_id": "0123456789"}, "job-run")
    assert result["registered"] == 4
    assert result["worker"].endswith("/23456789")
    assert len(sandbox.state.units) == 4
    assert (await progress(redis_url, "job-run")).complete
