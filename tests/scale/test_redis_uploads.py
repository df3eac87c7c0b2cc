"""The shared upload manifest: claims, leases, fenced intents and takeover, on a real Redis.

And the worker's side of a takeover, in process against the sandbox: a request left in
``intent`` by a "crashed" worker is settled from the centre's records (502/505) before anything
is sent: found → accepted without a request; absent → sent once.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator

import anyio
import attrs
import pytest

from idcode_async import IdcodeClient, RetryPolicy
from idcode_async.durable.store import Settlement
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.scale import LeaseLostError, RedisUploadManifest
from idcode_async.scale.drain import drain_run
from idcode_async.scale.runs import RunConfig, progress
from idcode_async.scale.uploads import (
    UnusableError,
    load_upload,
    materialise,
    prepare_upload,
    verify_upload_run,
)
from idcode_async.uploads import EntryState, ManifestError, PlanOptions, plan_upload
from idcode_async.uploads.executor import build_spec
from idcode_async.uploads.manifest import RequestRecord
from idcode_async.uploads.spool import Workspace

from ..uploads.target import Target, register_target

OPTIONS = PlanOptions(min_run_length=50, max_file_codes=40, max_list_requests=0)


def codes() -> list[str]:
    """Two ranges (5013, 5014) and 100 scattered codes (three 5011 chunks of 40/40/20)."""
    scattered = [f"X{hashlib.sha256(str(n).encode()).hexdigest()[:10]}Q" for n in range(100)]
    return [f"SEQ{n}" for n in range(1, 201)] + [f"PAD{n:05d}" for n in range(1, 121)] + scattered


def config(base_url: str = "http://127.0.0.1:9/", **settings: object) -> RunConfig:
    from idcode_async.scale.keys import token_id

    values: dict[str, object] = {"lease": 2.0, "timeout": 1.5, "upload_timeout": 1.5}
    values.update(settings)
    return RunConfig(
        kind="upload",
        target=base_url,
        token_id=token_id(TEST_ACCESS_TOKEN),
        company_idcode="i.86.110105.1",
        category_reg_id="1",
        **values,  # type: ignore[arg-type]
    )


def loaded(sync_redis, run: str = "up", **settings: object) -> RedisUploadManifest:
    with plan_upload(codes(), options=OPTIONS) as plan:
        assert [r.endpoint for r in plan.requests] == [5014, 5013, 5011, 5011, 5011]
        load_upload(sync_redis, plan, run, config(**settings))
    return RedisUploadManifest(sync_redis, run, worker="w1", lease=2.0)


def test_entries_read_back_as_they_were_planned_an_empty_prefix_included(sync_redis):
    """Hash fields are text: a range's empty prefix stays ``""``, an absent sha256 ``None``."""
    store = loaded(sync_redis)
    record = RequestRecord(
        key='[5014,"",1,9]', seq=9, endpoint=5014, count=9, first_code="1", last_code="9", size=0
    )
    store.load(attrs.evolve(record, prefix_str="", start_num=1, end_num=9))
    entry = store.entry(record.key)
    assert entry is not None
    assert (entry.prefix_str, entry.sha256, entry.start_num) == ("", None, 1)
    assert entry.state is EntryState.PENDING
    assert (entry.attempts, entry.reconciled, entry.result_code) == (0, False, None)
    assert [e.prefix_str for e in store.entries()][:2] == ["PAD", "SEQ"]


def test_requests_are_claimable_only_once_the_run_is_opened_then_in_plan_order(sync_redis):
    store = loaded(sync_redis)
    assert not store.claim(10).ready  # the baseline is not taken yet
    sync_redis.hset(store.keys.meta, "ready", "1")
    first = store.claim(3)
    assert [e.seq for e in first.items] == [1, 2, 3]
    other = RedisUploadManifest(sync_redis, "up", worker="w2", lease=2.0)
    rest = other.claim(10)
    assert [e.seq for e in rest.items] == [4, 5]
    assert (rest.held, rest.todo) == (5, 0)
    assert other.claim(10).items == ()
    counts = store.counts()
    assert (counts.items, counts.codes, counts.pending) == (5, 420, 5)


def test_only_the_holder_records_an_intent_and_only_while_its_lease_runs(sync_redis):
    store = loaded(sync_redis)
    sync_redis.hset(store.keys.meta, "ready", "1")
    short = RedisUploadManifest(sync_redis, "up", worker="w1", lease=0.2)
    [entry] = short.claim(1).items
    thief = RedisUploadManifest(sync_redis, "up", worker="w2", lease=2.0)
    with pytest.raises(LeaseLostError, match="held by w1"):
        thief.mark_intent(entry.key)
    time.sleep(0.3)
    with pytest.raises(LeaseLostError, match="lease expired"):
        short.mark_intent(entry.key)  # the point of no return needs a running lease
    assert short.entry(entry.key).state is EntryState.PENDING
    assert short.entry(entry.key).attempts == 0


def test_a_crashed_workers_intent_is_taken_over_in_intent_state(sync_redis):
    store = loaded(sync_redis)
    sync_redis.hset(store.keys.meta, "ready", "1")
    dead = RedisUploadManifest(sync_redis, "up", worker="dead", lease=0.3)
    [entry] = dead.claim(1).items
    assert dead.mark_intent(entry.key) == 1
    heir = RedisUploadManifest(sync_redis, "up", worker="heir", lease=2.0)
    assert [e.seq for e in heir.claim(1).items] == [2]  # still held by the dead worker
    time.sleep(0.4)
    [taken] = heir.claim(1).items
    assert (taken.key, taken.state, taken.attempts) == (entry.key, EntryState.INTENT, 1)
    assert taken.maybe_sent
    assert taken.intent_ms is not None
    with pytest.raises(LeaseLostError):
        dead.settle(
            entry.key, Settlement(outcome="accepted", receipt="123")
        )  # the late answer is refused
    events = [e["event"] for e in heir.events() if e.get("key") == heir.keys.item(entry.key)[-32:]]
    assert events == ["request", "claimed", "intent", "lease-expired", "claimed"]


def test_accepted_requests_drop_their_chunk_and_own_their_batch_id(sync_redis):
    store = loaded(sync_redis)
    sync_redis.hset(store.keys.meta, "ready", "1")
    entries = store.claim(5).items
    chunk, other = entries[2], entries[3]
    assert store.blob(chunk.key) is not None
    with pytest.raises(ManifestError, match="cannot go from pending to accepted"):
        store.settle(chunk.key, Settlement(outcome="accepted", receipt="7"))  # no intent, no answer
    store.mark_intent(chunk.key)
    store.settle(chunk.key, Settlement(outcome="accepted", receipt="7"))
    assert store.blob(chunk.key) is None
    store.mark_intent(other.key)
    with pytest.raises(ManifestError, match="already another request's"):
        store.settle(other.key, Settlement(outcome="accepted", receipt="7"))
    counts = store.counts()
    assert (counts.accepted, counts.accepted_codes, counts.intent) == (1, chunk.count, 1)


def test_an_undecidable_request_is_set_aside_until_the_run_is_loaded_again(sync_redis):
    store = loaded(sync_redis)
    sync_redis.hset(store.keys.meta, "ready", "1")
    [entry] = store.claim(1).items
    store.mark_intent(entry.key)
    assert store.set_aside(entry.key, "502 failed")
    assert [(e.seq, why) for e, why in store.stuck()] == [(1, "502 failed")]
    assert all(e.seq != 1 for e in store.claim(10).items)
    assert store.requeue() == (1, 0)
    store.release([e.key for e in store.entries()])
    assert [e.seq for e in store.claim(1).items] == [1]


def test_a_chunk_altered_in_redis_is_never_sent(sync_redis, tmp_path):
    store = loaded(sync_redis)
    sync_redis.hset(store.keys.meta, "ready", "1")
    entries = store.claim(5).items
    workspace = Workspace(tmp_path)
    request = materialise(entries[2], store, workspace, "\r\n")
    assert request.codes()
    assert request.count == 40
    sync_redis.set(store.keys.blob(entries[3].key), store.blob(entries[3].key).replace("X", "Y", 1))
    with pytest.raises(UnusableError, match="does not match"):
        materialise(entries[3], store, workspace, "\r\n")


def test_loading_refuses_chunks_over_the_cap_and_another_plan(sync_redis):
    with plan_upload(codes(), options=OPTIONS) as plan:
        with pytest.raises(ValueError, match="exceed 100 bytes"):
            load_upload(sync_redis, plan, "capped", config(), max_chunk_bytes=100)
        assert sync_redis.keys("idcode:upload:{capped}*") == []
        load_upload(sync_redis, plan, "same", config())
        again = load_upload(sync_redis, plan, "same", config())
        assert again.requests == 5
    with (
        plan_upload(codes()[:-1], options=OPTIONS) as other,
        pytest.raises(ManifestError, match="another plan"),
    ):
        load_upload(sync_redis, other, "same", config())


@pytest.mark.parametrize("stored", [0, 1, 4])
def test_a_load_that_died_part_way_resumes_with_the_same_plan_and_refuses_another(
    sync_redis, monkeypatch, stored
):
    """The settings are recorded before the requests: a load killed after ``stored`` of them
    must not lock the run (the plan's fingerprint, not the stored prefix, tells plans apart)."""
    real = RedisUploadManifest.load
    calls = 0

    def dies_after(self, record, blob=""):
        nonlocal calls
        calls += 1
        if calls > stored:
            raise KeyboardInterrupt("killed while loading")
        return real(self, record, blob)

    with plan_upload(codes(), options=OPTIONS) as plan:
        monkeypatch.setattr(RedisUploadManifest, "load", dies_after)
        with pytest.raises(KeyboardInterrupt):
            load_upload(sync_redis, plan, "cut", config())
        monkeypatch.setattr(RedisUploadManifest, "load", real)
        store = RedisUploadManifest(sync_redis, "cut", worker="w1", lease=2.0)
        assert len(store.entries()) == stored
        report = load_upload(sync_redis, plan, "cut", config())
        assert (report.requests, report.new, report.accepted) == (5, 5 - stored, 0)
        entries = store.entries()
        assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
        assert all(e.state is EntryState.PENDING for e in entries)
        assert report.blob_bytes == sum(len(store.blob(e.key) or "") for e in entries) > 0
    with (
        plan_upload(codes()[:-1], options=OPTIONS) as other,
        pytest.raises(ManifestError, match="another plan"),
    ):
        load_upload(sync_redis, other, "cut", config())
    assert len(store.entries()) == 5


# -- takeover against the sandbox, in process ----------------------------------------------------


@pytest.fixture
async def centre() -> AsyncIterator[tuple[Sandbox, str, Target]]:
    from idcode_async.sandbox.serve import running

    with Sandbox(approval_delay=0) as sandbox, running(sandbox) as base_url:
        async with IdcodeClient(
            access_token=TEST_ACCESS_TOKEN,
            auth_code=TEST_AUTH_CODE,
            base_url=base_url,
            retry=RetryPolicy(max_retries=2, backoff_base=0.01),
        ) as client:
            target = await register_target(client)
        yield sandbox, base_url, target


def held(sandbox: Sandbox, target: Target) -> list[str]:
    return [
        code
        for upload in list(sandbox.state.uploads.values())
        if str(upload.registration.category_reg_id) == target.category_reg_id
        for code in upload.user_codes()
    ]


@pytest.mark.parametrize("reached", [True, False], ids=["reached-centre", "never-sent"])
async def test_a_taken_over_intent_is_reconciled_before_any_resend(
    centre, redis_url, monkeypatch, reached
):
    sandbox, base_url, target = centre
    run = f"takeover-{reached}"
    await prepare_upload(
        redis_url,
        target.company_idcode,
        target.category_reg_id,
        codes(),
        run,
        access_token=TEST_ACCESS_TOKEN,
        auth_code=TEST_AUTH_CODE,
        base_url=base_url,
        options=OPTIONS,
        # timeouts well above a loaded machine's answer time: an attempt that timed out would
        # be looked up and counted, and the counts below are exact
        lease=2.0,
        timeout=1.5,
        upload_timeout=1.5,
        grace=0.3,
    )
    from idcode_async.scale._redis import connect_sync

    sync = connect_sync(redis_url)
    dead = RedisUploadManifest(sync, run, worker="dead", lease=2.0)
    entries = dead.claim(5).items
    chunk = entries[2]
    dead.mark_intent(chunk.key)  # the intent, then the crash (before or after the request)
    if reached:
        request = materialise(chunk, dead, Workspace(), "\r\n")
        async with IdcodeClient(
            access_token=TEST_ACCESS_TOKEN, auth_code=TEST_AUTH_CODE, base_url=base_url
        ) as client:
            await client.call(
                build_spec(
                    request,
                    company_idcode=target.company_idcode,
                    category_reg_id=target.category_reg_id,
                    generate_type=None,
                    version="2.0",
                )
            )
    await anyio.sleep(2.1)  # the dead worker's lease runs out
    summary = await drain_run(
        redis_url, run, access_token=TEST_ACCESS_TOKEN, auth_code=TEST_AUTH_CODE, worker="heir"
    )
    state = await progress(redis_url, run)
    assert (state.complete, state.accepted_codes) == (True, 420), state.describe()
    taken = dead.entry(chunk.key)
    assert (taken.attempts, taken.reconciled) == ((1, True) if reached else (2, False))
    assert (summary.reconciled, summary.sent) == ((1, 4) if reached else (0, 5))
    codes_held = held(sandbox, target)
    assert sorted(codes_held) == sorted(codes())  # every code once: nothing sent twice
    async with IdcodeClient(
        access_token=TEST_ACCESS_TOKEN, auth_code=TEST_AUTH_CODE, base_url=base_url
    ) as client:
        report = await verify_upload_run(client, redis_url, run)
    assert report.ok, report.describe()
    sync.close()


async def test_enqueue_upload_queues_jobs_and_the_job_drains_the_run(
    centre, redis_url, monkeypatch
):
    from idcode_async.scale import drain_run_job, enqueue_upload
    from idcode_async.scale.arq_jobs import CTX_REDIS_URL, DEFAULT_QUEUE

    sandbox, base_url, target = centre
    enqueued = await enqueue_upload(
        redis_url,
        target.company_idcode,
        target.category_reg_id,
        codes(),
        "queued-up",
        access_token=TEST_ACCESS_TOKEN,
        auth_code=TEST_AUTH_CODE,
        jobs=2,
        base_url=base_url,
        options=OPTIONS,
        lease=2.0,
        timeout=1.5,
        upload_timeout=1.5,
    )
    assert len(enqueued.job_ids) == 2
    assert enqueued.load.blob_bytes > 0
    from idcode_async.scale._redis import connect_sync

    sync = connect_sync(redis_url)
    assert sync.zcard(DEFAULT_QUEUE) == 2
    sync.close()
    monkeypatch.setenv("IDCODE_ACCESS_TOKEN", TEST_ACCESS_TOKEN)
    monkeypatch.setenv("IDCODE_AUTH_CODE", TEST_AUTH_CODE)
    result = await drain_run_job({CTX_REDIS_URL: redis_url, "job_id": "abcdef12"}, "queued-up")
    assert (result["accepted"], result["sent"], result["reconciled"]) == (5, 5, 0)
    assert sorted(held(sandbox, target)) == sorted(codes())
    again = await drain_run_job({CTX_REDIS_URL: redis_url, "job_id": "x"}, "queued-up")
    assert again["sent"] == 0  # a job on a finished run returns at once


async def test_a_run_id_of_the_other_kind_is_refused_naming_its_kind(redis_url, sync_redis):
    """An upload run's items are not under a registration run's keys (nor the reverse): read
    as the other kind, a run looked empty, and verify reported on nothing."""
    from idcode_async.scale import RedisJournal, RunKindError
    from idcode_async.scale.runs import record_config, run_results

    record_config(RedisJournal(sync_redis, "rows", worker="t"), attrs.evolve(config(), kind="run"))
    record_config(RedisUploadManifest(sync_redis, "codes", worker="t"), config())
    async with IdcodeClient(
        access_token=TEST_ACCESS_TOKEN, auth_code=TEST_AUTH_CODE, base_url="http://127.0.0.1:9/"
    ) as client:
        with pytest.raises(RunKindError, match="'rows' is a registration run, not an upload"):
            await verify_upload_run(client, redis_url, "rows")
    with pytest.raises(RunKindError, match="'codes' is an upload run, not a registration") as e:
        run_results(redis_url, "codes")
    assert (e.value.run_id, e.value.kind) == ("codes", "upload")
    with pytest.raises(RunKindError, match="'codes' is an upload run"):  # nor loaded as one
        record_config(
            RedisJournal(sync_redis, "codes", worker="t"), attrs.evolve(config(), kind="run")
        )
