"""The upload manifest: keys, plan adoption, state transitions, durability, no secrets."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from idcode_async.durable.store import Settlement, StoreLockedError
from idcode_async.uploads import (
    CodeFile,
    CodeList,
    EntryState,
    FixedLengthRange,
    ManifestError,
    ManifestMismatchError,
    PlanOptions,
    PrefixRange,
    UploadManifest,
    plan_upload,
    request_key,
)
from idcode_async.uploads.manifest import describe_request
from idcode_async.uploads.reconcile import baseline, set_baseline


def records(*requests):
    return [describe_request(r, seq) for seq, r in enumerate(requests, 1)]


RANGE = PrefixRange("SN", 1, 5000)
FIXED = FixedLengthRange("LOT-", 0, 99_999, 6)
LIST = CodeList(("A", "B", "C"))


def test_keys_name_the_content_of_each_request():
    assert request_key(RANGE) == '[5013,"SN",1,5000]'
    assert request_key(FIXED) == '[5014,"LOT-",0,99999,6]'
    digest = hashlib.sha256(b"A,B,C").hexdigest()  # the list as it is sent
    assert request_key(LIST) == f'[5012,"{digest}",3,"A","C"]'
    assert describe_request(LIST, 1).size == len("A,B,C")


def test_file_keys_carry_sha256_count_and_first_last():
    codes = [f"R{i:03d}x" for i in range(300)]
    with plan_upload(codes, options=PlanOptions(max_list_requests=0, max_file_codes=200)) as plan:
        files = [r for r in plan.requests if isinstance(r, CodeFile)]
        assert [f.count for f in files] == [200, 100]
        first = files[0]
        assert request_key(first) == f'[5011,"{first.sha256}",200,"R000x","R199x"]'
        record = describe_request(first, 1)
        assert (record.sha256, record.size, record.endpoint) == (first.sha256, first.size, 5011)


def test_a_new_manifest_is_wal_with_full_sync_and_locked(tmp_path: Path):
    path = tmp_path / "m.db"
    with UploadManifest(path) as manifest:
        assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert manifest.synchronous == 2  # FULL: every commit is fsynced before it returns
        with pytest.raises(StoreLockedError):
            UploadManifest(path)
        reader = UploadManifest(path, lock=False)  # a monitor may read while a run holds it
        reader.close()
    UploadManifest(path).close()  # the lock went with the first run
    with pytest.raises(ManifestError, match="no such manifest"):
        UploadManifest(tmp_path / "absent.db", lock=False)


def test_adopting_the_same_plan_again_is_a_rerun(tmp_path: Path):
    with UploadManifest(tmp_path / "m.db") as manifest:
        assert manifest.adopt_plan(records(RANGE, FIXED, LIST)) is True
        assert manifest.adopt_plan(records(RANGE, FIXED, LIST)) is False
        assert [e.endpoint for e in manifest.entries()] == [5013, 5014, 5012]
        assert manifest.counts()[EntryState.PENDING] == 3


def test_another_plan_replaces_an_unsent_one_but_not_a_started_one(tmp_path: Path):
    with UploadManifest(tmp_path / "m.db") as manifest:
        manifest.adopt_plan(records(RANGE, FIXED))
        assert manifest.adopt_plan(records(RANGE, LIST)) is True  # nothing was sent: replaced
        assert [e.endpoint for e in manifest.entries()] == [5013, 5012]
        manifest.mark_intent(request_key(RANGE))
        with pytest.raises(ManifestMismatchError, match="the codes or the planning options"):
            manifest.adopt_plan(records(RANGE, FIXED))


def test_binding_refuses_another_target(tmp_path: Path):
    with UploadManifest(tmp_path / "m.db") as manifest:
        manifest.bind({"company_idcode": "i.86.1", "category_reg_id": "7"})
        manifest.bind({"company_idcode": "i.86.1", "category_reg_id": "7"})
        with pytest.raises(ManifestMismatchError, match="category_reg_id '7', not '8'"):
            manifest.bind({"company_idcode": "i.86.1", "category_reg_id": "8"})
        assert manifest.get_fact("target.category_reg_id") == "7"


def test_transitions_and_event_log(tmp_path: Path):
    key = request_key(RANGE)
    with UploadManifest(tmp_path / "m.db") as manifest:
        manifest.adopt_plan(records(RANGE))
        assert manifest.mark_intent(key) == 1
        assert manifest.entry(key).maybe_sent
        manifest.mark_pending(key, "busy")
        assert manifest.mark_intent(key) == 2
        manifest.mark_unknown(key, "ReadTimeout")
        manifest.settle(
            key, Settlement(outcome="accepted", receipt="10030000000000000001", reconciled=True)
        )
        entry = manifest.entry(key)
        assert (entry.state, entry.uploadcode_id, entry.attempts, entry.reconciled) == (
            EntryState.ACCEPTED,
            "10030000000000000001",
            2,
            True,
        )
        with pytest.raises(ManifestError, match="cannot go from accepted to intent"):
            manifest.mark_intent(key)
        assert [e.event for e in manifest.events(key)] == [
            "planned",
            "intent",
            "not-applied",
            "intent",
            "unknown",
            "accepted",
        ]


def test_failed_requests_go_back_to_pending_only_when_asked(tmp_path: Path):
    key = request_key(LIST)
    with UploadManifest(tmp_path / "m.db") as manifest:
        manifest.adopt_plan(records(LIST))
        manifest.mark_intent(key)
        manifest.settle(key, Settlement(outcome="failed", code=59999, message="文件内容错误"))
        assert manifest.entry(key).result_code == 59999
        assert manifest.reset_failed() == 1
        assert manifest.entry(key).state is EntryState.PENDING


def test_baseline_only_before_the_first_request(tmp_path: Path):
    with UploadManifest(tmp_path / "m.db") as manifest:
        manifest.adopt_plan(records(RANGE))
        assert baseline(manifest) is None
        set_baseline(manifest, ["2", "1"])
        assert baseline(manifest) == frozenset({"1", "2"})
        manifest.mark_intent(request_key(RANGE))
        with pytest.raises(ManifestError, match="before the first request"):
            set_baseline(manifest, [])


def test_an_intent_survives_sigkill(tmp_path: Path):
    path = tmp_path / "m.db"
    with UploadManifest(path) as manifest:
        manifest.adopt_plan(records(RANGE))
    script = (
        "import os, signal\n"
        "from idcode_async.uploads import UploadManifest\n"
        f"m = UploadManifest({str(path)!r})\n"
        f"m.mark_intent({request_key(RANGE)!r})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    process = subprocess.run([sys.executable, "-c", script], check=False)
    assert process.returncode == -9
    with UploadManifest(path) as manifest:  # the kernel released the lock
        entry = manifest.entry(request_key(RANGE))
        assert (entry.state, entry.attempts) == (EntryState.INTENT, 1)


def test_no_secret_is_ever_stored(tmp_path: Path):
    path = tmp_path / "m.db"
    key = request_key(RANGE)
    with UploadManifest(path) as manifest:
        manifest.adopt_plan(records(RANGE))
        manifest.mark_intent(key)
        manifest.mark_unknown(key, "POST /x?access_token=J7X4LuOOfURXeAAEAAAAAABSK&hash=ABC")
        assert "J7X4" not in (manifest.entry(key).message or "")
        with pytest.raises(ValueError, match="secret"):
            manifest.set_fact("auth_code", "x")
    db = sqlite3.connect(path)
    columns = [
        row[1]
        for table in ("facts", "items", "events")
        for row in db.execute(f"PRAGMA table_info({table})")
    ]
    fields = [name for (data,) in db.execute("SELECT data FROM items") for name in json.loads(data)]
    text = "\n".join(
        str(row) for table in ("events", "items") for row in db.execute(f"SELECT * FROM {table}")
    )
    db.close()
    assert not {"access_token", "auth_code", "hash", "password"} & {*columns, *fields}
    assert "J7X4LuOOfURXeAAEAAAAAABSK" not in text
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"J7X4LuOOfURXeAAEAAAAAABSK" not in blob


def test_one_upload_id_belongs_to_one_request(tmp_path: Path):
    first, second = request_key(RANGE), request_key(FIXED)
    with UploadManifest(tmp_path / "m.db") as manifest:
        manifest.adopt_plan(records(RANGE, FIXED))
        for key in (first, second):
            manifest.mark_intent(key)
        manifest.settle(first, Settlement(outcome="accepted", receipt="10030000000000000001"))
        with pytest.raises(ManifestError, match="UNIQUE"):
            manifest.settle(second, Settlement(outcome="accepted", receipt="10030000000000000001"))
        assert manifest.entry(second).state is EntryState.INTENT  # nothing was written
        assert [e.event for e in manifest.events(second)] == ["planned", "intent"]
