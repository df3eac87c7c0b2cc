"""``idcode upload-codes``: plan, upload and verify, in-process against the sandbox."""

from __future__ import annotations

import json
import random
from pathlib import Path

import anyio
import pytest

from idcode_async.cli._exit import EXIT_ABORTED, EXIT_OK, EXIT_ROWS, EXIT_USAGE
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.uploads import UploadManifest

from ..uploads.target import Target, register_target
from .conftest import assert_result_failure, invoke, run_idcode


@pytest.fixture
def target(sandbox: Sandbox) -> Target:
    async def setup() -> Target:
        async with sandbox.client() as client:
            return await register_target(client)

    return anyio.run(setup)


def codes_file(tmp_path: Path, *extra: str) -> Path:
    rng = random.Random(3)
    lines = [f"SN{n:06d}" for n in range(1, 1501)]
    lines += ["".join(rng.choices("ABCDEFGHJKMNPQRSTUVWXYZ", k=10)) for _ in range(1200)]
    path = tmp_path / "codes.txt"
    path.write_text("\n".join([*lines, *extra]) + "\n", encoding="utf-8")
    return path


def upload(path: Path, target: Target | None, *args: object):
    common: list[object] = ["upload-codes", path, "--chunk-codes", "500", "--reconcile-grace", "0"]
    if target is not None:
        common += ["--company-idcode", target.company_idcode]
        common += ["--category-reg-id", target.category_reg_id]
    return invoke(*common, *args)


def test_plan_only_prints_the_plan_in_the_users_words_and_sends_nothing(tmp_path, sandbox):
    path = codes_file(tmp_path, "SN000001", "bad code", "x,y", "L" * 129)
    result = upload(path, None, "--plan-only")
    assert result.exit_code == EXIT_ROWS  # rejected lines
    out = result.stdout.splitlines()
    assert out[0] == "plan: 2700 codes from 2704 lines (0 blank) in 4 requests"
    assert out[1].split()[:7] == ["5011", "TXT", "files", "3", "requests", "1200", "codes"]
    assert out[3] == "duplicates: 1 lines (uploaded once)"
    assert out[5] == "rejected: 3 lines (comma 1, too_long 1, whitespace 1)"
    assert any(line.endswith("is longer than 128 characters") for line in out)
    assert not any("max_code_length" in line for line in out)
    assert sandbox.stats()["requests"].get("5011") is None


def test_plan_only_json(tmp_path, sandbox):
    result = upload(codes_file(tmp_path, "bad code"), None, "--plan-only", "--json")
    plan = json.loads(result.stdout)
    assert (plan["mode"], plan["codes"], plan["requests"], plan["rejected"]) == ("plan", 2700, 4, 1)
    assert plan["by_endpoint"]["5014"] == {"requests": 1, "codes": 1500}
    assert plan["exit_code"] == result.exit_code == EXIT_ROWS


def test_upload_verify_json_and_a_rerun_that_sends_nothing(tmp_path, sandbox, target):
    path = codes_file(tmp_path)
    result = upload(path, target, "--verify", "--progress", "plain", "--json")
    assert result.exit_code == EXIT_OK, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["mode"], summary["codes"], summary["accepted"], summary["sent"]) == (
        "upload",
        2700,
        4,
        4,
    )
    assert summary["verified"] is True
    assert "done: 2700/2700 codes, 4/4 requests" in result.stderr
    again = upload(path, target, "--progress", "bar")
    assert again.exit_code == EXIT_OK
    assert "4 accepted (4 by earlier runs" in again.stdout
    assert sandbox.stats()["requests"]["5011"] == 3
    plan = upload(path, None, "--plan-only")
    assert plan.stdout.splitlines()[-1] == f"manifest {path}.manifest.db: 4 accepted"
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert TEST_ACCESS_TOKEN.encode() not in blob
    assert TEST_AUTH_CODE.encode() not in blob


def test_interface_version_is_its_own_option(tmp_path, sandbox, target):
    path = codes_file(tmp_path)
    result = upload(path, target, "--interface-version", "1.0", "--progress", "none", "--json")
    assert result.exit_code == EXIT_OK, result.stderr
    with UploadManifest(Path(f"{path}.manifest.db"), lock=False) as store:
        assert all(entry.uploadcode_id is None for entry in store.entries())


def test_an_unsettled_request_exits_3_with_advice_and_the_resume_command(tmp_path, sandbox, target):
    path = codes_file(tmp_path)
    manifest = tmp_path / "run.db"
    sandbox.faults.schedule("drop_before", endpoint=5011, times=1)
    args = ["--manifest", manifest, "--idcode-of-category", "232324", "--model-number-code", "B9"]
    result = upload(path, target, *args, "--progress", "none")
    line = assert_result_failure(result, EXIT_ABORTED, "could not be settled")
    assert "run again with --assume-not-uploaded to send it" in result.stderr
    assert "give --idcode-of-category and --model-number-code" in result.stderr
    assert "assume_not_uploaded=True" not in result.stderr
    hint = next(x for x in result.stderr.splitlines() if x.startswith("hint: "))
    assert f"idcode upload-codes {path} --company-idcode" in hint
    assert "--chunk-codes 500" in hint
    assert line
    again = upload(path, target, "--manifest", manifest, "--progress", "none")
    assert again.exit_code == EXIT_OK
    assert sandbox.stats()["requests"]["5011"] == 4  # the dropped one was resent, once


def test_a_manifest_of_another_plan_is_refused(tmp_path, sandbox, target):
    path = codes_file(tmp_path)
    manifest = tmp_path / "run.db"
    assert upload(path, target, "--manifest", manifest, "--progress", "none").exit_code == 0
    other = tmp_path / "other.txt"
    other.write_text("OTHER1\nOTHER2\n", encoding="utf-8")
    result = upload(other, target, "--manifest", manifest, "--progress", "none")
    assert_result_failure(result, EXIT_USAGE, "")


def test_a_corrupt_or_locked_manifest_is_refused(tmp_path, sandbox, target):
    path = codes_file(tmp_path)
    manifest = tmp_path / "run.db"
    manifest.write_bytes(b"\x00" * 4096)
    result = upload(path, target, "--manifest", manifest, "--progress", "none")
    assert_result_failure(result, EXIT_USAGE, "")
    manifest.unlink()
    with UploadManifest(manifest):
        done = run_idcode(
            "upload-codes",
            path,
            "--company-idcode",
            target.company_idcode,
            "--category-reg-id",
            target.category_reg_id,
            "--manifest",
            manifest,
            "--base-url",
            "http://127.0.0.1:9",
            env={"IDCODE_ACCESS_TOKEN": TEST_ACCESS_TOKEN, "IDCODE_AUTH_CODE": TEST_AUTH_CODE},
        )
    assert "Traceback" not in done.stderr
    assert done.returncode == EXIT_USAGE, done.stderr
    assert len([x for x in done.stderr.splitlines() if x.startswith("error: ")]) == 1


@pytest.mark.parametrize(
    ("args", "unset", "message"),
    [
        ((), False, "--company-idcode and --category-reg-id required"),
        (("--company-idcode", "i.86.1", "--category-reg-id", "1"), True, "IDCODE_ACCESS_TOKEN"),
        (
            ("--company-idcode", "i.86.1", "--category-reg-id", "1", "--model-number-code", "A"),
            False,
            "go together",
        ),
    ],
)
def test_usage_errors_exit_2(tmp_path, sandbox, monkeypatch, args, unset, message):
    if unset:
        monkeypatch.delenv("IDCODE_ACCESS_TOKEN")
    result = invoke("upload-codes", codes_file(tmp_path), *args)
    assert_result_failure(result, EXIT_USAGE, message)
    result = invoke("upload-codes", tmp_path / "missing.txt", "--plan-only")
    assert_result_failure(result, EXIT_USAGE, "missing.txt")


def test_an_empty_code_file_has_nothing_to_do(tmp_path, sandbox, target):
    path = tmp_path / "codes.txt"
    path.write_text("\n\n", encoding="utf-8")
    result = upload(path, target, "--json")
    assert result.exit_code == EXIT_OK
    assert "nothing to do" in result.stderr
    assert json.loads(result.stdout)["codes"] == 0
    assert not Path(f"{path}.manifest.db").exists()


def test_codes_from_standard_input_need_a_manifest(tmp_path, sandbox):
    result = invoke("upload-codes", "-", "--plan-only")
    assert_result_failure(result, EXIT_USAGE, "--manifest")
    result = invoke(
        "upload-codes", "-", "--plan-only", "--manifest", tmp_path / "m.db", input="A1\nA2\nA1\n"
    )
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stdout.startswith("plan: 2 codes from 3 lines")


def test_standard_input_is_read_like_a_code_file(tmp_path, sandbox):
    from idcode_async.uploads.codes_input import MAX_LINE

    data = "\ufeffA1\r\n" + "Z" * (3 * MAX_LINE) + "\r\nA2\r\nA1\r\n"
    result = invoke(
        "upload-codes", "-", "--plan-only", "--json", "--manifest", tmp_path / "m.db", input=data
    )
    assert result.exit_code == EXIT_ROWS, result.stderr  # one line rejected
    summary = json.loads(result.stdout)
    assert summary["codes"] == 2  # BOM and CRLF handled as in a file; A1 once
    assert summary["rejected_by_reason"] == {"too_long": 1}
    # the over-long line was read MAX_LINE characters at a time, never held whole
    assert f"4 lines read ({MAX_LINE + 9} characters)" in result.stderr
    assert "Traceback" not in result.stderr


def test_planning_shows_the_lines_read(tmp_path, sandbox):
    path = tmp_path / "codes.txt"
    path.write_text("".join(f"R{n:07d}X\n" for n in range(50_000)), encoding="utf-8")
    result = upload(path, None, "--plan-only", "--progress", "plain")
    assert result.exit_code == EXIT_OK, result.stderr
    assert "planning: 20000 lines read (200000 characters)" in result.stderr
    assert result.stdout.startswith("plan: 50000 codes from 50000 lines")


def test_ctrl_c_while_planning_a_large_file_stops_before_the_plan_is_done(tmp_path):
    import signal
    import subprocess
    import sys

    rng = random.Random(5)
    path = tmp_path / "codes.txt"
    with path.open("w", encoding="ascii") as stream:
        for _ in range(40):
            stream.write("".join(f"{rng.getrandbits(60):X}\n" for _ in range(50_000)))
    child = subprocess.Popen(
        [sys.executable, "-m", "idcode_async", "upload-codes", str(path), "--plan-only"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stderr is not None
    first = child.stderr.readline()
    assert first.startswith("planning: 20000 lines read")
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert "interrupted while planning: nothing was sent" in err
    assert "plan:" not in out  # stopped between blocks, long before the 2,000,000th line
    assert "Traceback" not in err


def test_closed_standard_input_is_one_error_line(tmp_path):
    import os
    import subprocess
    import sys

    command = ["upload-codes", "-", "--plan-only", "--manifest", str(tmp_path / "m.db")]
    done = subprocess.run(
        [sys.executable, "-m", "idcode_async", *command],
        preexec_fn=lambda: os.close(0),  # the child starts with no standard input at all
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == EXIT_USAGE
    assert done.stderr.startswith("error: standard input is closed")
    assert "Traceback" not in done.stderr
