"""Reconciliation rules: which of the category's batches may be a request's, and when it is."""

from __future__ import annotations

import attrs
import pytest

from idcode_async.endpoints import CodeRecord
from idcode_async.uploads import (
    CategoryRef,
    CodeList,
    EntryState,
    FixedLengthRange,
    PrefixRange,
)
from idcode_async.uploads.manifest import ManifestEntry, RequestRecord, describe_request
from idcode_async.uploads.reconcile import candidates, matches_content, strip_category

CATEGORY = "i.86.110105.1/10.232324.A1/"


def entry(request, state=EntryState.UNKNOWN) -> ManifestEntry:
    return as_entry(describe_request(request, 1), state)


def as_entry(record: RequestRecord, state=EntryState.UNKNOWN) -> ManifestEntry:
    return ManifestEntry(**attrs.asdict(record), state=state)


def record(uploadcode_id: str, count: int, upload_type: int = 2, **fields) -> CodeRecord:
    return CodeRecord(
        uploadcode_id=uploadcode_id, code_num=count, upload_type=upload_type, **fields
    )


def test_candidates_skip_the_baseline_claimed_batches_and_other_shapes():
    wanted = entry(FixedLengthRange("SN", 1, 1000, 6))
    records = [
        record("1", 1000, start_number=1, end_number=1000),  # in the baseline
        record("2", 1000, start_number=1, end_number=1000),  # claimed by another request
        record("3", 999, start_number=1, end_number=999),  # another count
        record("4", 1000, upload_type=1, start_number=1, end_number=1000),  # a 5011 file
        record("5", 1000, start_number=2, end_number=1001),  # other numbers
        record("7", 1000, start_number=1, end_number=1000, create_code=20),
        record("6", 1000, start_number=1, end_number=1000, create_code=10),
    ]
    found = candidates(wanted, records, baseline={"1"}, claimed={"2"})
    assert [r.uploadcode_id for r in found] == ["6", "7"]  # oldest first
    # Without a baseline, older batches are candidates too (the content check decides).
    assert "1" in [
        r.uploadcode_id for r in candidates(wanted, records, baseline=None, claimed=set())
    ]


def test_5011_requests_match_only_file_batches():
    file_entry = as_entry(
        RequestRecord(key="k", seq=1, endpoint=5011, count=3, first_code="a", last_code="c", size=5)
    )
    records = [record("1", 3, upload_type=2), record("2", 3, upload_type=1), record("3", 3, None)]
    found = candidates(file_entry, records, baseline=None, claimed=set())
    assert [r.uploadcode_id for r in found] == ["2", "3"]


def test_505_codes_lose_their_category_prefix():
    assert strip_category(CATEGORY + "SN000001", CATEGORY) == "SN000001"
    assert strip_category("SN000001", CATEGORY) == "SN000001"
    assert strip_category(CATEGORY + "X", None) == CATEGORY + "X"


@pytest.mark.parametrize(
    ("returned", "code_num", "expected"),
    [
        (["SN000001", "SN000002", "SN000003"], 3, True),  # the whole batch, exactly
        (["SN000001", "SN000002"], 3, True),  # cut by 505's cap: a consistent prefix
        (["SN000001", "SN000002", "SN000002"], 3, False),  # a repeat: not these codes
        (["SN000001", "SN000002", "XX000003"], 3, False),  # another prefix
        (["SN1", "SN2", "SN3"], 3, False),  # unpadded numbers: another request's codes
        ([], 3, False),
    ],
)
def test_content_of_a_range(returned, code_num, expected):
    request = FixedLengthRange("SN", 1, 3, 6)
    full = [CATEGORY + code for code in returned]
    assert matches_content(full, request, code_num=code_num, complete_code=CATEGORY) is expected


def test_content_of_a_list_is_compared_as_a_set():
    request = CodeList(("B", "A", "C"))
    assert matches_content(["A", "B", "C"], request, code_num=3, complete_code=None)
    assert not matches_content(["A", "B", "D"], request, code_num=3, complete_code=None)
    unpadded = PrefixRange("A", 9, 11)
    assert matches_content(["A9", "A10", "A11"], unpadded, code_num=3, complete_code=None)


def test_category_spellings_and_agreement():
    from_403 = CategoryRef("232324", "A1", CATEGORY)
    assert from_403.spellings() == {
        "232324",
        "i.86.110105.1/10.232324.A1",
        "10.232324.A1",
    }
    assert CategoryRef("10.232324.A1", "A1").agrees_with(from_403)
    assert not CategoryRef("232324", "A2").agrees_with(from_403)
    assert not CategoryRef("999999", "A1").agrees_with(from_403)
