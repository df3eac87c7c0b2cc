"""After the upload: records (502/503), codes (505 and its cap), download links (504), verify."""

from __future__ import annotations

import sqlite3

import anyio
import pytest

from idcode_async import ValidationError
from idcode_async.sandbox import Sandbox
from idcode_async.uploads import (
    ManifestError,
    RecordNotReadyError,
    UploadVerificationError,
    download_url,
    fetch_codes,
    record_by_id,
    records_by_category,
    upload_codes,
    verify_upload,
    wait_for_record,
)

from .target import Target, register_target


async def upload_list(client, target: Target, codes, manifest=None):
    result = await upload_codes(
        client, target.company_idcode, target.category_reg_id, codes, manifest=manifest
    )
    (request,) = result.requests
    assert request.uploadcode_id is not None
    return request.uploadcode_id


async def test_records_by_id_and_by_category(sandbox_client, target):
    batch = await upload_list(sandbox_client, target, ["K1x", "K2x", "K3x"])
    record = await wait_for_record(sandbox_client, target.company_idcode, batch, timeout=5)
    assert (record.uploadcode_id, record.code_num, record.upload_type) == (batch, 3, 2)
    listed = await records_by_category(sandbox_client, target.company_idcode, "232324", "A1")
    assert [r.uploadcode_id for r in listed] == [batch]
    assert await record_by_id(sandbox_client, target.company_idcode, "10990000000000000001") is None


async def test_waiting_for_short_codes_and_giving_up():
    with Sandbox(approval_delay=0, short_code_delay=60) as sandbox:
        async with sandbox.client() as client:
            target = await register_target(client)
            batch = await upload_list(client, target, ["K1x", "K2x"])
            with pytest.raises(RecordNotReadyError, match="no record with short codes after"):
                await wait_for_record(
                    client, target.company_idcode, batch, 0.05, interval=0.01, transformed=True
                )
            async with anyio.create_task_group() as group:

                async def later() -> None:
                    await anyio.sleep(0.05)
                    sandbox.advance_time(61)

                group.start_soon(later)
                record = await wait_for_record(
                    client, target.company_idcode, batch, 5, interval=0.01, transformed=True
                )
            assert record.trans_flag == 1
            short = await fetch_codes(client, target.company_idcode, batch, code_type="0")
            assert len(short.codes) == 2
            assert short.complete


async def test_fetch_codes_tells_when_505_cuts_the_batch():
    with Sandbox(approval_delay=0, max_json_codes=10) as sandbox:
        async with sandbox.client() as client:
            target = await register_target(client)
            batch = await upload_list(client, target, [f"Z{n}q" for n in range(25)])
            fetched = await fetch_codes(client, target.company_idcode, batch)
            assert (len(fetched.codes), fetched.code_num, fetched.truncated) == (10, 25, True)
            assert fetched.codes[0] == target.category_code + "Z0q"
            assert "<10 codes>" in repr(fetched)
            url = await download_url(client, target.company_idcode, batch, password="secret-123")
            assert url.endswith(f"/{batch}.zip")
            assert sandbox.stats()["requests"]["504"] == 1
            with pytest.raises(ValidationError, match="at least 6 characters"):
                await download_url(client, target.company_idcode, batch, password="12345")
            assert sandbox.stats()["requests"]["504"] == 1  # refused before sending


async def test_verify_reports_a_count_that_differs_and_raises(sandbox_client, target, tmp_path):
    manifest = tmp_path / "m.db"
    await upload_list(sandbox_client, target, ["V1x", "V2x"], manifest=manifest)
    assert (await verify_upload(sandbox_client, target.company_idcode, manifest)).ok
    db = sqlite3.connect(manifest)
    db.execute("UPDATE items SET data = json_set(data, '$.count', 3)")
    db.commit()
    db.close()
    report = await verify_upload(sandbox_client, target.company_idcode, manifest)
    assert not report.ok
    (problem,) = report.problems
    assert (problem.status, problem.entry.count, problem.server_count) == ("mismatch", 3, 2)
    assert (report.expected_total, report.server_total) == (3, 2)
    assert report.describe().startswith("NOT verified: 1 requests (1 mismatch)")
    with pytest.raises(UploadVerificationError) as caught:
        report.raise_for_problems()
    assert caught.value.report is report
    with pytest.raises(ManifestError, match="no such manifest"):
        await verify_upload(sandbox_client, target.company_idcode, tmp_path / "other.db")
