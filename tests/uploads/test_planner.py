"""plan_upload end to end: which of 5011–5014 carries what, and what is reported (seed §十)."""

from __future__ import annotations

import gc
import hashlib

import anyio
import anyio.lowlevel
import attrs
import pytest

from idcode_async import UsageError
from idcode_async.uploads import (
    CodeFile,
    CodeList,
    DuplicateCode,
    FixedLengthRange,
    PlanOptions,
    PrefixRange,
    RejectedCode,
    RejectReason,
    UploadPlanner,
    dedupe,
    plan_upload,
    plan_upload_async,
    planner,
    ranges,
)


def endpoints(plan):
    return [(r.endpoint, r.count) for r in plan.requests]


def test_document_example_list_goes_as_5012():
    # 5012's own example: code_list_str "1,2,3"
    with plan_upload(["1", "2", "3"]) as plan:
        (request,) = plan.requests
        assert isinstance(request, CodeList)
        assert request.code_list_str == "1,2,3"
        assert (request.endpoint, request.count) == (5012, 3)


def test_sequential_unpadded_codes_become_one_5013_range():
    with plan_upload(f"i.86.1/{n}" for n in range(1, 5001)) as plan:
        assert plan.requests == (PrefixRange("i.86.1/", 1, 5000),)
        assert plan.requests[0].first_code == "i.86.1/1"
        assert plan.requests[0].last_code == "i.86.1/5000"


def test_sequential_padded_codes_become_one_5014_range():
    with plan_upload(f"SN{n:08d}" for n in range(7, 20_007)) as plan:
        assert plan.requests == (FixedLengthRange("SN", 7, 20_006, 8),)
        assert plan.requests[0].first_code == "SN00000007"


def test_mixed_input_ranges_first_then_the_remainder():
    codes = [
        "X-1",
        *(f"B{n}" for n in range(1000, 2200)),
        "Y",
        *(f"A{n:04d}" for n in range(1, 1001)),
    ]
    with plan_upload(codes) as plan:
        assert endpoints(plan) == [(5014, 1000), (5013, 1200), (5012, 2)]
        # "Y" has no number and goes at once; "X-1" waited in an open run until the end
        assert plan.requests[2].code_list == ("Y", "X-1")
        assert plan.count == 2202
        assert plan.by_endpoint() == {5014: (1, 1000), 5013: (1, 1200), 5012: (1, 2)}


def test_runs_shorter_than_min_run_length_stay_in_the_remainder():
    codes = [f"A{n}" for n in range(1, 11)]
    with plan_upload(codes) as plan:
        assert endpoints(plan) == [(5012, 10)]
    with plan_upload(codes, options=PlanOptions(min_run_length=10)) as plan:
        assert endpoints(plan) == [(5013, 10)]


def test_5012_lists_stay_under_max_list_bytes():
    codes = [f"CODE{n}X" for n in range(100)]  # no trailing digit: never a range
    options = PlanOptions(max_list_bytes=200, max_list_requests=10, max_code_length=50)
    with plan_upload(codes, options=options) as plan:
        assert {r.endpoint for r in plan.requests} == {5012}
        assert all(len(r.code_list_str.encode()) <= 200 for r in plan.requests)
        assert [c for r in plan.requests for c in r.code_list] == codes


def test_a_remainder_needing_more_lists_than_allowed_goes_as_5011_files(tmp_path):
    codes = [f"CODE{n}X" for n in range(3000)]  # ~24 KB: more than one 8 KB list
    with plan_upload(codes, spool_dir=tmp_path) as plan:
        (request,) = plan.requests
        assert isinstance(request, CodeFile)
        data = request.path.read_bytes()
        assert data == "\r\n".join(codes).encode()
        assert (request.count, request.size) == (3000, len(data))
        assert request.sha256 == hashlib.sha256(data).hexdigest()
        assert (request.first_code, request.last_code) == ("CODE0X", "CODE2999X")
        assert list(request.codes()) == codes
        assert request.path.parent.parent == tmp_path


def test_files_are_chunked_and_removed_on_close(tmp_path):
    codes = [f"R{n}Z" for n in range(2500)]
    options = PlanOptions(max_file_codes=1000)
    plan = plan_upload(codes, options=options, spool_dir=tmp_path)
    assert endpoints(plan) == [(5011, 1000), (5011, 1000), (5011, 500)]
    assert list(plan.codes()) == codes
    (workspace,) = tmp_path.iterdir()
    plan.close()
    assert plan.closed
    assert not workspace.exists()
    plan.close()


def test_no_files_means_no_temporary_directory(tmp_path):
    with plan_upload(["A", "B", *(f"S{n}" for n in range(2000))], spool_dir=tmp_path):
        assert list(tmp_path.iterdir()) == []


def test_blank_lines_whitespace_and_bom_are_handled(tmp_path):
    path = tmp_path / "codes.txt"
    path.write_bytes(b"\xef\xbb\xbf A1 \r\n\r\n\tA2\n   \n\xef\xbb\xbfA3\n")
    with plan_upload(path) as plan:
        assert plan.requests == (CodeList(("A1", "A2", "A3")),)
        assert (plan.lines, plan.blank_lines, plan.count) == (5, 2, 3)


def test_duplicates_are_reported_with_line_numbers_and_uploaded_once():
    codes = ["A1", "B", "A1", *(f"S{n}" for n in range(1000)), "S500", "B", "S999"]
    with plan_upload(codes) as plan:
        assert plan.count == 1002
        assert plan.duplicates.count == 4
        assert plan.duplicates.examples == (
            DuplicateCode(3, "A1"),
            DuplicateCode(1004, "S500"),
            DuplicateCode(1005, "B"),
            DuplicateCode(1006, "S999"),
        )


def test_rejected_codes_are_reported_with_line_numbers_and_reasons(tmp_path):
    path = tmp_path / "codes.txt"
    path.write_bytes("A1\nA 2\nA,3\n编码\n".encode() + b"\xb1\xe0\n" + b"B" * 200 + b"\nA4\n")
    with plan_upload(path) as plan:
        assert plan.count == 2
        assert plan.rejected.count == 5
        assert plan.rejected.examples[:4] == (
            RejectedCode(2, "A 2", RejectReason.WHITESPACE),
            RejectedCode(3, "A,3", RejectReason.COMMA),
            RejectedCode(4, "编码", RejectReason.NOT_PRINTABLE_ASCII),
            RejectedCode(5, "\udcb1\udce0", RejectReason.NOT_PRINTABLE_ASCII),
        )
        assert plan.rejected.examples[4].line == 6
        assert plan.rejected.examples[4].reason is RejectReason.TOO_LONG
        assert dict(plan.rejected.by_reason) == {
            RejectReason.WHITESPACE: 1,
            RejectReason.COMMA: 1,
            RejectReason.NOT_PRINTABLE_ASCII: 2,
            RejectReason.TOO_LONG: 1,
        }


def test_reports_keep_counts_but_bound_examples():
    codes = ["A"] * 50 + ["x y"] * 50
    with plan_upload(codes, options=PlanOptions(max_examples=3)) as plan:
        assert plan.duplicates.count == 49
        assert [d.line for d in plan.duplicates.examples] == [2, 3, 4]
        assert plan.rejected.count == 50
        assert [r.line for r in plan.rejected.examples] == [51, 52, 53]


def test_long_rejected_lines_are_cut_in_reports():
    with plan_upload(["Z" * 10_000]) as plan:
        assert len(plan.rejected.examples[0].code) == 256


def test_non_str_items_are_refused_and_nothing_is_left(tmp_path):
    codes = [f"R{n}Z" for n in range(20_000)] + [42]
    with pytest.raises(UsageError, match="line 20001"):
        plan_upload(codes, spool_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_hash_collisions_never_drop_a_code(monkeypatch):
    # every code hashes alike: each hash hit must be settled by exact comparison
    monkeypatch.setattr(planner, "code_hash", lambda code: 7)
    monkeypatch.setattr(ranges, "code_hash", lambda code: 7)
    codes = ["A", "B", "A", "C9", "C7", "B", "D", *(f"S{n}" for n in range(5)), "S2"]
    with plan_upload(codes) as plan:
        assert sorted(plan.codes()) == sorted(set(codes))
        assert plan.duplicates.count == 3
        assert [d.line for d in plan.duplicates.examples] == [3, 6, 13]


def test_dedupe_module_hash_is_the_one_used():
    assert planner.code_hash is dedupe.code_hash is ranges.code_hash


def test_same_input_same_plan(tmp_path):
    codes = [f"R{n}Z" for n in range(3000)] + [f"S{n}" for n in range(2000)] + ["A7", "A7"]
    options = PlanOptions(max_file_codes=700)
    with (
        plan_upload(codes, options=options, spool_dir=tmp_path) as a,
        plan_upload(codes, options=options, spool_dir=tmp_path) as b,
    ):
        strip = [
            (r.endpoint, r.count, r.first_code, r.last_code, getattr(r, "sha256", None))
            for r in a.requests
        ]
        assert strip == [
            (r.endpoint, r.count, r.first_code, r.last_code, getattr(r, "sha256", None))
            for r in b.requests
        ]
        assert a.duplicates == b.duplicates


def test_incremental_planner_numbers_lines_across_feeds():
    p = UploadPlanner()
    p.feed(["A", "B"])
    p.feed(["A"])
    plan = p.finish()
    assert plan.duplicates.examples == (DuplicateCode(3, "A"),)
    with pytest.raises(UsageError):
        p.feed(["C"])
    with pytest.raises(UsageError):
        p.finish()
    plan.close()


def test_range_items_know_their_codes():
    r = FixedLengthRange("A", 8, 11, 3)
    assert list(r.codes()) == ["A008", "A009", "A010", "A011"]
    assert "A009" in r
    assert "A9" not in r
    assert "A012" not in r
    assert "B009" not in r
    p = PrefixRange("A", 8, 11)
    assert list(p.codes()) == ["A8", "A9", "A10", "A11"]
    assert "A10" in p
    assert "A010" not in p
    assert "A12" not in p
    assert "B10" not in p
    assert 10 not in p


async def test_async_iterables_are_planned_off_the_event_loop():
    async def codes():
        for n in range(25_000):
            yield f"T{n:06d}"
        yield "lonely"

    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as tg:
        tg.start_soon(ticker)
        plan = await plan_upload_async(codes())
        tg.cancel_scope.cancel()
    with plan:
        assert endpoints(plan) == [(5014, 25_000), (5012, 1)]
    assert ticks > 2  # the loop kept running while batches were planned in threads


def test_async_planning_works_under_trio():
    async def main():
        async def codes():
            for n in range(1500):
                yield f"T{n}"

        with await plan_upload_async(codes()) as plan:
            return endpoints(plan)

    assert anyio.run(main, backend="trio") == [(5013, 1500)]


async def test_async_line_numbers_run_on_across_batches(tmp_path):
    async def codes():
        for n in range(25_000):
            yield f"A{n}" if n != 20_003 else 42

    with pytest.raises(UsageError, match="line 20004: codes must be str"):
        await plan_upload_async(codes(), spool_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


async def test_async_accepts_paths_and_iterables_too(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("A1\nA2\n")
    with await plan_upload_async(path) as plan:
        assert plan.count == 2
    with await plan_upload_async(["B"]) as plan:
        assert plan.count == 1


async def test_async_cleanup_on_error(tmp_path):
    async def codes():
        for n in range(30_000):
            yield f"R{n}Z"
        raise RuntimeError("source broke")

    with pytest.raises(RuntimeError, match="source broke"):
        await plan_upload_async(codes(), spool_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_errors_after_suspects_leave_nothing_behind(tmp_path):
    with pytest.raises(UsageError):
        plan_upload(["A", "A", None], spool_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_options_refuse_limits_smaller_than_a_code():
    with pytest.raises(ValueError, match="max_list_bytes"):
        PlanOptions(max_code_length=20, max_list_bytes=10)
    with pytest.raises(ValueError, match="max_file_bytes"):
        PlanOptions(max_file_bytes=64)
    with pytest.raises(ValueError, match="file_newline"):
        PlanOptions(file_newline="\r")  # type: ignore[arg-type]


async def test_async_and_sync_plans_are_the_same_whatever_the_batching():
    codes = [f"Q{n % 7}-{n}" for n in range(12_000)] + [f"R{n}Z" for n in range(9000)]
    codes += codes[:500]

    async def stream():
        for code in codes:
            yield code

    with plan_upload(codes) as sync_plan, await plan_upload_async(stream()) as async_plan:
        assert [(r.endpoint, r.count, r.first_code, r.last_code) for r in sync_plan.requests] == [
            (r.endpoint, r.count, r.first_code, r.last_code) for r in async_plan.requests
        ]
        assert sync_plan.duplicates == async_plan.duplicates


def test_a_repeat_inside_a_run_that_later_becomes_a_range_is_a_duplicate():
    # A1 repeats while A1-A2 is still an open run (found by hash), then A3 makes it a range
    with plan_upload(["A1", "A2", "A1", "A3"], options=PlanOptions(min_run_length=3)) as plan:
        assert plan.requests == (PrefixRange("A", 1, 3),)
        assert plan.duplicates.examples == (DuplicateCode(3, "A1"),)


def test_long_numeric_codes_keep_nine_digits_as_the_number():
    # 5013/5014 start_num/end_num are int: 18-digit serials become prefix + 9-digit number
    codes = [f"2024060100{n:08d}" for n in range(999_000, 1_001_000)]
    with plan_upload(codes) as plan:
        assert plan.requests == (FixedLengthRange("202406010", 999_000, 1_000_999, 9),)
        assert plan.requests[0].first_code == codes[0]
        assert plan.requests[0].last_code == codes[-1]


def test_a_carry_into_the_prefix_splits_the_range():
    codes = [f"X{n}" for n in range(999_999_000, 1_000_001_000)]  # 9 digits, then 10
    with plan_upload(codes) as plan:
        assert plan.requests == (
            PrefixRange("X", 999_999_000, 999_999_999),
            FixedLengthRange("X1", 0, 999, 9),
        )


def test_plan_items_are_frozen():
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        PrefixRange("A", 1, 2).end_num = 3  # type: ignore[misc]


def test_file_items_keep_their_files_when_the_plan_is_dropped(tmp_path):
    requests = plan_upload([f"R{n}Z" for n in range(3000)], spool_dir=tmp_path).requests
    gc.collect()
    assert requests[0].path.exists()
    del requests
    gc.collect()
    assert list(tmp_path.iterdir()) == []  # the last reference gone, the directory goes too


def _summary(plan):
    return [(r.endpoint, r.count, tuple(r.codes())) for r in plan.requests], plan.duplicates


def test_a_spilled_hash_table_finds_duplicates_across_spills(monkeypatch, tmp_path):
    # 3,000 distinct codes through a table of 16 slots: its hashes go to disk every 8 codes, and
    # every repeat (plain codes, numbered codes of spilled runs) is found there, exactly as an
    # in-memory table finds it
    source = tmp_path / "codes.txt"
    codes = [f"R{n}Z" for n in range(2000)] + [f"S{n * 7}" for n in range(1000)]
    lines = codes + codes[::3] + ["编码7", "A 1", "\ufeffB9"]
    source.write_bytes("\n".join(lines).encode("utf-8") + b"\n" + "码".encode("gbk"))
    with plan_upload(source) as plan:
        expected = _summary(plan)
        rejected = plan.rejected
    assert expected[1].count == 1000
    spills = []
    real = planner.UploadPlanner.finish

    def finish(self):
        spills.append(self._hashes.spills)
        return real(self)

    monkeypatch.setattr(planner, "MEMORY_BITS", 4)
    monkeypatch.setattr(planner.UploadPlanner, "finish", finish)
    spool = tmp_path / "spool"
    spool.mkdir()
    with plan_upload(source, spool_dir=spool) as plan:
        assert _summary(plan) == expected
        assert plan.rejected == rejected  # GBK bytes and odd lines: reported the same way
        kept = sorted(p.name for p in spool.glob("*/*"))
        assert kept == ["codes-000001.txt"]  # the spill file went when planning ended
    assert spills[0] > 300
