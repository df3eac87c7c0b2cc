"""upload_codes against the in-process sandbox: what is sent, skipped, reconciled, stopped.

"Exactly once" is read from the sandbox itself: every code of the input is held by exactly one
upload batch of the category, and ``stats()["requests"]`` counts what reached it.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections import Counter
from pathlib import Path

import anyio
import pytest

from idcode_async import IdcodeClient, RetryPolicy
from idcode_async.endpoints import UploadCodeList, UploadCodePrefix
from idcode_async.sandbox import Sandbox
from idcode_async.uploads import (
    CategoryRef,
    EntryState,
    ManifestMismatchError,
    PlanOptions,
    UnresolvedUploadError,
    UploadAbortedError,
    UploadManifest,
    UploadProgress,
    plan_upload,
    upload_codes,
    verify_upload,
)
from idcode_async.uploads.manifest import describe_request
from idcode_async.uploads.reconcile import set_baseline

from .target import Target, register_target

FAST = RetryPolicy(max_retries=3, backoff_base=0.001, backoff_max=0.01)
OPTIONS = PlanOptions(max_file_codes=1000)


def random_codes(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices("ABCDEFGHJKMNPQRSTUVWXYZ", k=10)) for _ in range(n)]


def mixed_codes() -> list[str]:
    """Two ranges (5014 padded, 5013 unpadded) and 2,500 random codes (three 5011 files)."""
    return [
        *(f"SN{n:06d}" for n in range(1, 3001)),
        *random_codes(2500),
        *(f"B-{n}" for n in range(95, 2100)),
    ]


def held_codes(sandbox: Sandbox, target: Target) -> Counter[str]:
    """Every user code the category's batches hold, with how many batches hold it."""
    held: Counter[str] = Counter()
    for upload in sandbox.state.uploads.values():
        if str(upload.registration.category_reg_id) == target.category_reg_id:
            held.update(upload.user_codes())
    return held


def assert_exactly_once(sandbox: Sandbox, target: Target, codes: list[str]) -> None:
    held = held_codes(sandbox, target)
    assert set(held) == set(codes)
    assert set(held.values()) == {1}


async def upload(client: IdcodeClient, target: Target, codes, **kwargs):
    kwargs.setdefault("options", OPTIONS)
    kwargs.setdefault("retry", FAST)
    kwargs.setdefault("reconcile_grace", 0)
    return await upload_codes(
        client, target.company_idcode, target.category_reg_id, codes, **kwargs
    )


async def test_every_method_once_with_ids_then_a_rerun_sends_nothing(
    sandbox, sandbox_client, target, tmp_path
):
    codes = mixed_codes()
    manifest = tmp_path / "codes.manifest.db"
    progress: list[UploadProgress] = []
    result = await upload(
        sandbox_client, target, codes, manifest=manifest, on_progress=progress.append
    )
    assert result.complete
    assert result.by_endpoint() == {5011: (3, 2500), 5013: (1, 2005), 5014: (1, 3000)}
    assert (result.count, result.sent, result.resumed, result.reconciled) == (7505, 5, 0, 0)
    assert all(r.uploadcode_id and len(r.uploadcode_id) == 20 for r in result.requests)
    assert_exactly_once(sandbox, target, codes)
    requests = sandbox.stats()["requests"]
    assert (requests["5011"], requests["5013"], requests["5014"]) == (3, 1, 1)
    assert requests["502"] == 1  # the baseline, before the first request
    assert [p.phase for p in progress][:2] == ["planning", "uploading"]
    assert progress[-1].phase == "done"
    assert (progress[-1].codes_done, progress[-1].requests_done) == (7505, 5)
    assert progress[-1].bytes_done == progress[-1].bytes == sum(r.size for r in result.requests)
    assert not await anyio.Path(f"{manifest}.spool").exists()  # the chunks went with the plan

    again = await upload(sandbox_client, target, codes, manifest=manifest)
    assert (again.sent, again.resumed) == (0, 5)
    assert sandbox.stats()["requests"] == requests
    report = await verify_upload(sandbox_client, target.company_idcode, manifest)
    assert report.ok
    assert (report.server_total, report.extra_checked) == (7505, True)


async def test_a_small_remainder_goes_as_one_5012_list_and_sources_may_be_async(
    sandbox, sandbox_client, target, tmp_path
):
    async def source():
        for code in ("Q1x", "Q2x", *(f"N{n:04d}" for n in range(1, 1001))):
            yield code

    result = await upload(sandbox_client, target, source())
    assert result.by_endpoint() == {5012: (1, 2), 5014: (1, 1000)}
    path = tmp_path / "codes.txt"
    path.write_text("\ufeffZ9z\n\nZ8z\nZ9z\n", encoding="utf-8")
    result = await upload(sandbox_client, target, str(path))
    assert (result.count, result.blank_lines, result.duplicates.count) == (2, 1, 1)
    assert result.complete


async def test_an_answer_lost_after_processing_is_found_not_resent(
    sandbox, sandbox_client, target, tmp_path
):
    codes = mixed_codes()
    sandbox.faults.schedule("drop_after", endpoint=5011, times=1)
    sandbox.faults.schedule("drop_after", endpoint=5013, times=1)
    result = await upload(sandbox_client, target, codes, manifest=tmp_path / "m.db")
    assert result.complete
    assert (result.sent, result.reconciled) == (5, 2)
    assert sum(r.reconciled for r in result.requests) == 2
    assert_exactly_once(sandbox, target, codes)
    requests = sandbox.stats()["requests"]
    assert (requests["5011"], requests["5013"], requests["505"]) == (3, 1, 2)
    assert sandbox.stats()["faults"]["drop_after"] == 2
    assert (await verify_upload(sandbox_client, target.company_idcode, tmp_path / "m.db")).ok


@pytest.mark.parametrize("fault", ["drop_before", "html_502"])
async def test_an_answer_lost_before_processing_is_sent_again(
    fault, sandbox, sandbox_client, target, tmp_path
):
    codes = mixed_codes()
    sandbox.faults.schedule(fault, endpoint=5011, times=1)
    result = await upload(sandbox_client, target, codes, manifest=tmp_path / "m.db")
    assert result.complete
    assert (result.sent, result.reconciled) == (6, 0)
    (resent,) = [r for r in result.requests if r.attempts == 2]
    assert resent.endpoint == 5011
    events = [e.event for e in UploadManifest(tmp_path / "m.db", lock=False).events(resent.key)]
    assert events == ["planned", "intent", "unknown", "reconciled-absent", "intent", "accepted"]
    assert_exactly_once(sandbox, target, codes)


async def test_busy_answers_are_retried_without_reconciling(sandbox, sandbox_client, target):
    sandbox.faults.schedule("busy", endpoint=5014, times=FAST.max_retries)
    result = await upload(sandbox_client, target, mixed_codes())
    assert result.complete
    assert sandbox.stats()["requests"]["5014"] == FAST.max_retries + 1
    assert sandbox.stats()["requests"]["502"] == 1  # the baseline only: nothing to reconcile
    (busy,) = [r for r in result.requests if r.endpoint == 5014]
    assert busy.attempts == FAST.max_retries + 1  # every attempt journaled: one retry layer


async def test_attempts_per_request_are_the_options_not_a_product_of_two_loops(
    sandbox, sandbox_client, target
):
    """The client's own retries are off inside the run: busy answers meet one budget only."""
    sandbox.faults.schedule("busy", endpoint=5014, times=100)
    with pytest.raises(UploadAbortedError, match=f"in {FAST.max_retries + 1} tries"):
        await upload(sandbox_client, target, mixed_codes())
    assert sandbox.stats()["requests"]["5014"] == FAST.max_retries + 1


def _crash_leftover(manifest: Path, seq: int) -> None:
    """Put request ``seq`` back as a killed run would leave it: intent recorded, no answer."""
    db = sqlite3.connect(manifest)
    db.execute(
        "UPDATE items SET state = 'intent', outcome = NULL, receipt = NULL WHERE seq = ?", (seq,)
    )
    db.commit()
    db.close()


async def test_a_request_killed_after_reaching_the_centre_is_settled_without_resend(
    sandbox, sandbox_client, target, tmp_path
):
    codes = mixed_codes()
    manifest = tmp_path / "m.db"
    await upload(sandbox_client, target, codes, manifest=manifest)
    _crash_leftover(manifest, 3)
    before = sandbox.stats()["requests"]
    result = await upload(sandbox_client, target, codes, manifest=manifest)
    assert (result.sent, result.resumed, result.reconciled) == (0, 4, 1)
    after = sandbox.stats()["requests"]
    assert after.get("5011") == before.get("5011")
    assert after.get("5013") == before.get("5013")
    assert after["505"] == before.get("505", 0) + 1
    assert_exactly_once(sandbox, target, codes)
    assert (await verify_upload(sandbox_client, target.company_idcode, manifest)).ok


async def test_a_request_killed_before_reaching_the_centre_is_sent_once(
    sandbox, sandbox_client, target, tmp_path
):
    codes = mixed_codes()
    path = tmp_path / "m.db"
    with plan_upload(codes, options=OPTIONS) as plan, UploadManifest(path) as manifest:
        manifest.adopt_plan([describe_request(r, i) for i, r in enumerate(plan.requests, 1)])
        set_baseline(manifest, [])
        intent = manifest.entries()[2]
        manifest.mark_intent(intent.key)  # then the process died: nothing was sent
    result = await upload(sandbox_client, target, codes, manifest=path)
    assert result.complete
    assert (result.sent, result.reconciled) == (5, 0)
    assert [r.attempts for r in result.requests] == [1, 1, 2, 1, 1]
    assert_exactly_once(sandbox, target, codes)


async def test_undecidable_requests_stop_the_run_after_the_rest_is_uploaded(
    sandbox, sandbox_client, target, tmp_path
):
    codes = mixed_codes()
    manifest = tmp_path / "m.db"
    with UploadManifest(manifest) as prepared:
        set_baseline(prepared, [])  # taken already: the next 502 is the reconciliation's
    sandbox.faults.schedule("drop_after", endpoint=5011, times=1)
    sandbox.faults.schedule("html_502", endpoint=502, times=FAST.max_retries + 1)
    with pytest.raises(UnresolvedUploadError) as caught:
        await upload(sandbox_client, target, codes, manifest=manifest)
    error = caught.value
    (unresolved,) = error.unresolved
    assert "502 failed" in unresolved.reason
    advice = unresolved.advice()
    assert "assume_not_uploaded=True" in advice
    assert "category=CategoryRef(" in advice
    assert re.search(r"--[a-z]", advice) is None  # a library type names no CLI option
    assert advice.startswith(unresolved.check())
    assert unresolved.entry.first_code in advice
    states = Counter(r.state for r in error.result.requests)
    assert states == {EntryState.ACCEPTED: 4, EntryState.UNKNOWN: 1}
    # Once 502 answers again, a re-run finds the batch and sends nothing.
    result = await upload(sandbox_client, target, codes, manifest=manifest)
    assert (result.sent, result.reconciled, result.complete) == (0, 1, True)
    assert_exactly_once(sandbox, target, codes)


async def test_without_a_category_nothing_is_decidable_until_the_operator_says_so(
    sandbox, sandbox_client, target, tmp_path
):
    codes = mixed_codes()
    manifest = tmp_path / "m.db"
    sandbox.faults.schedule("drop_before", endpoint=5014, times=1)
    wrong = CategoryRef("232324", "NO-SUCH-MODEL")
    with pytest.raises(UnresolvedUploadError) as caught:
        await upload(sandbox_client, target, codes, manifest=manifest, category=wrong)
    (unresolved,) = caught.value.unresolved
    assert "not the registration's according to 403" in unresolved.reason
    result = await upload(
        sandbox_client, target, codes, manifest=manifest, category=wrong, assume_not_uploaded=True
    )
    assert result.complete
    (assumed,) = [r for r in result.requests if r.endpoint == 5014]
    assert assumed.attempts == 2
    with UploadManifest(manifest, lock=False) as store:
        assert "assumed-absent" in [e.event for e in store.events(assumed.key)]
    assert_exactly_once(sandbox, target, codes)


async def test_a_refused_request_fails_alone_and_is_retried_only_when_asked(
    sandbox, sandbox_client, target, tmp_path
):
    codes = [*(f"SN{n:06d}" for n in range(1, 2001)), "bad/code1", "ok-code"]
    manifest = tmp_path / "m.db"
    result = await upload(sandbox_client, target, codes, manifest=manifest)
    assert not result.complete
    (failed,) = result.failed
    assert (failed.endpoint, failed.message) == (
        5012,
        "endpoint 5012: result code 59999: 码号列表有错误",
    )
    assert result.accepted_codes == 2000
    again = await upload(sandbox_client, target, codes, manifest=manifest)
    assert (again.sent, len(again.failed)) == (0, 1)
    retried = await upload(sandbox_client, target, codes, manifest=manifest, retry_failed=True)
    assert (retried.sent, len(retried.failed)) == (1, 1)


async def test_an_unknown_registration_stops_the_run(sandbox, sandbox_client, target, tmp_path):
    with pytest.raises(UploadAbortedError, match="refused the target \\(50003"):
        await upload_codes(
            sandbox_client,
            target.company_idcode,
            "10030000000000099999",
            mixed_codes(),
            manifest=tmp_path / "m.db",
            retry=FAST,
        )
    assert sum(sandbox.stats()["requests"].get(str(e), 0) for e in (5011, 5013, 5014)) == 1


async def test_a_refused_key_stops_the_run(sandbox, target, tmp_path):
    async with sandbox.client(access_token="NO-SUCH-KEY", auth_code="x", retry=FAST) as client:
        with pytest.raises(UploadAbortedError, match="access token was refused") as caught:
            await upload(client, target, mixed_codes(), manifest=tmp_path / "m.db")
    states = Counter(r.state for r in caught.value.result.requests)
    assert states == {EntryState.PENDING: 5}


async def test_the_manifest_refuses_other_options_once_started(
    sandbox, sandbox_client, target, tmp_path
):
    manifest = tmp_path / "m.db"
    codes = mixed_codes()
    await upload(sandbox_client, target, codes, manifest=manifest)
    with pytest.raises(ManifestMismatchError, match="options"):
        await upload(
            sandbox_client,
            target,
            codes,
            manifest=manifest,
            options=PlanOptions(max_file_codes=500),
        )
    with pytest.raises(ManifestMismatchError, match="another plan"):
        await upload(sandbox_client, target, [*codes, "EXTRA1x"], manifest=manifest)


async def test_cancelling_during_a_request_records_it_as_unknown(
    sandbox, sandbox_client, target, tmp_path
):
    codes = mixed_codes()
    manifest = tmp_path / "m.db"
    sandbox.faults.latency_seconds = 30.0
    sandbox.faults.endpoints = frozenset({5011})
    with anyio.move_on_after(1.0):
        await upload(sandbox_client, target, codes, manifest=manifest)
    states = Counter(e.state for e in UploadManifest(manifest, lock=False).entries())
    assert states == {EntryState.ACCEPTED: 2, EntryState.UNKNOWN: 1, EntryState.PENDING: 2}
    sandbox.faults.clear()
    result = await upload(sandbox_client, target, codes, manifest=manifest)
    assert result.complete
    assert_exactly_once(sandbox, target, codes)


async def test_stop_lets_the_request_in_flight_finish(sandbox, sandbox_client, target, tmp_path):
    stop = anyio.Event()

    def progress(p: UploadProgress) -> None:
        if p.requests_done == 2:
            stop.set()

    result = await upload(
        sandbox_client,
        target,
        mixed_codes(),
        manifest=tmp_path / "m.db",
        on_progress=progress,
        stop=stop,
    )
    assert result.interrupted
    assert Counter(r.state for r in result.requests) == {
        EntryState.ACCEPTED: 2,
        EntryState.PENDING: 3,
    }


async def test_version_1_0_uploads_without_ids_and_verify_says_so(
    sandbox, sandbox_client, target, tmp_path
):
    manifest = tmp_path / "m.db"
    result = await upload(sandbox_client, target, mixed_codes(), manifest=manifest, version="1.0")
    assert result.complete
    assert {r.uploadcode_id for r in result.requests} == {None}
    report = await verify_upload(sandbox_client, target.company_idcode, manifest)
    assert not report.ok
    assert {r.status for r in report.requests} == {"no_id"}


async def test_a_second_copy_of_one_of_ours_shows_in_verify_other_uploads_do_not(
    sandbox, sandbox_client, target, tmp_path
):
    manifest = tmp_path / "m.db"
    await upload(sandbox_client, target, mixed_codes(), manifest=manifest)
    await sandbox_client.call(  # someone else's upload to the category: not ours to report
        UploadCodeList(
            company_idcode=target.company_idcode,
            category_reg_id=target.category_reg_id,
            code_list_str="OTHER-1",
            version="2.0",
        )
    )
    assert (await verify_upload(sandbox_client, target.company_idcode, manifest)).ok
    await sandbox_client.call(  # the 5013 request of the manifest, sent a second time
        UploadCodePrefix(
            company_idcode=target.company_idcode,
            category_reg_id=target.category_reg_id,
            prefix_str="B-",
            start_num=95,
            end_num=2099,
            version="2.0",
        )
    )
    report = await verify_upload(sandbox_client, target.company_idcode, manifest)
    assert not report.ok
    assert [(r.code_num, r.start_number) for r in report.unexpected] == [(2005, 95)]


@pytest.mark.parametrize(
    "randoms", [5000, pytest.param(100_000, marks=pytest.mark.slow, id="issue-figures")]
)
async def test_verify_checks_this_manifest_when_the_category_holds_other_uploads(
    sandbox, sandbox_client, target, tmp_path, randoms
):
    """Random codes, then a long sequential range in the same category: each verifies alone."""
    first, second = tmp_path / "random.db", tmp_path / "sequential.db"
    await upload(sandbox_client, target, random_codes(randoms), manifest=first)
    await upload(
        sandbox_client, target, (f"Q{n:07d}" for n in range(1, 1_000_001)), manifest=second
    )
    for manifest in (first, second):
        report = await verify_upload(sandbox_client, target.company_idcode, manifest)
        assert report.ok, report.describe()
        assert report.extra_checked
        assert report.unexpected == ()


def test_runs_under_trio(tmp_path):
    async def main() -> tuple[bool, int]:
        with Sandbox(approval_delay=0) as sandbox:
            async with sandbox.client(retry=FAST) as client:
                target = await register_target(client)
                sandbox.faults.schedule("drop_after", endpoint=5011, times=1)
                result = await upload(client, target, mixed_codes(), manifest=tmp_path / "m.db")
                return result.complete, result.reconciled

    assert anyio.run(main, backend="trio") == (True, 1)


async def test_assume_not_uploaded_still_asks_the_records_first(
    sandbox, sandbox_client, target, tmp_path
):
    codes = mixed_codes()
    sandbox.faults.schedule("drop_after", endpoint=5011, times=1)
    result = await upload(
        sandbox_client, target, codes, manifest=tmp_path / "m.db", assume_not_uploaded=True
    )
    assert (result.sent, result.reconciled) == (5, 1)  # found, not resent
    assert_exactly_once(sandbox, target, codes)


async def test_absence_is_believed_only_after_the_grace_period(
    sandbox, sandbox_client, target, tmp_path
):
    sandbox.faults.schedule("drop_before", endpoint=5013, times=1)
    started = anyio.current_time()
    result = await upload(sandbox_client, target, mixed_codes(), reconcile_grace=0.3)
    assert anyio.current_time() - started >= 0.3
    assert result.complete
    assert sandbox.stats()["requests"]["502"] == 3  # the baseline, then a look and a look again


async def test_a_502_listing_without_any_known_batch_is_not_trusted(
    sandbox, sandbox_client, target, tmp_path
):
    codes = mixed_codes()
    manifest = tmp_path / "m.db"
    await upload(sandbox_client, target, codes, manifest=manifest)
    _crash_leftover(manifest, 2)
    with UploadManifest(manifest) as store:  # as if 403 had named another category
        store.set_fact("category", {"idcode_of_category": "999999", "model_number_code": "Z"})
    with pytest.raises(UnresolvedUploadError) as caught:
        await upload(sandbox_client, target, codes, manifest=manifest)
    (unresolved,) = caught.value.unresolved
    assert "502 lists none of the 4 batches known to be in this category" in unresolved.reason
    assert_exactly_once(sandbox, target, codes)


async def test_a_centre_that_stays_busy_stops_the_run(sandbox, sandbox_client, target, tmp_path):
    sandbox.faults.schedule("busy", endpoint=5014, times=100)
    with pytest.raises(UploadAbortedError, match="got no usable answer in 4 tries") as caught:
        await upload(sandbox_client, target, mixed_codes(), manifest=tmp_path / "m.db")
    states = Counter(r.state for r in caught.value.result.requests)
    assert states == {EntryState.ACCEPTED: 1, EntryState.PENDING: 4}  # B-95… went first
