"""``upload-codes`` on the command line, in-process against the sandbox."""

from __future__ import annotations

import argparse
import random
from functools import partial
from pathlib import Path

import anyio
import pytest

from idcode_async import IdcodeClient
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.uploads import UploadManifest, cli

from .target import Target, register_target


@pytest.fixture
def centre(monkeypatch: pytest.MonkeyPatch) -> tuple[Sandbox, Target]:
    sandbox = Sandbox(approval_delay=0)

    async def setup() -> Target:
        async with sandbox.client() as client:
            return await register_target(client)

    target = anyio.run(setup)
    monkeypatch.setattr(cli, "IdcodeClient", partial(IdcodeClient, transport=sandbox.transport()))
    monkeypatch.setenv(cli.ENV_TOKEN, TEST_ACCESS_TOKEN)
    monkeypatch.setenv(cli.ENV_AUTH_CODE, TEST_AUTH_CODE)
    monkeypatch.delenv(cli.ENV_BASE_URL, raising=False)
    yield sandbox, target
    sandbox.close()


def codes_file(tmp_path: Path, *extra: str) -> Path:
    rng = random.Random(3)
    lines = [f"SN{n:06d}" for n in range(1, 1501)]
    lines += ["".join(rng.choices("ABCDEFGHJKMNPQRSTUVWXYZ", k=10)) for _ in range(1200)]
    path = tmp_path / "codes.txt"
    path.write_text("\n".join([*lines, *extra]) + "\n", encoding="utf-8")
    return path


def run(path: Path, target: Target | None, *args: object) -> int:
    common = ["upload-codes", str(path), "--chunk-codes", "500", "--reconcile-grace", "0"]
    if target is not None:
        common += ["--company-idcode", target.company_idcode]
        common += ["--category-reg-id", target.category_reg_id]
    return cli.main([*common, *map(str, args)])


def test_plan_only_prints_the_plan_and_sends_nothing(tmp_path, centre, capsys):
    sandbox, _ = centre
    path = codes_file(tmp_path, "SN000001", "bad code", "x,y")
    assert run(path, None, "--plan-only") == cli.EXIT_ROWS  # rejected lines
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "plan: 2700 codes from 2703 lines (0 blank) in 4 requests"
    assert out[1].split() == [
        "5011",
        "TXT",
        "files",
        "3",
        "requests",
        "1200",
        "codes",
        "14394",  # 1,200 ten-character codes, CRLF between the lines of each file
        "bytes",
    ]
    assert out[2].split()[:7] == [
        "5014",
        "fixed-length",
        "ranges",
        "1",
        "requests",
        "1500",
        "codes",
    ]
    assert out[3] == "duplicates: 1 lines (uploaded once)"
    assert out[4] == "  line 2701: SN000001"
    assert out[5] == "rejected: 2 lines (comma 1, whitespace 1)"
    assert sandbox.stats()["requests"].get("5011") is None


def test_upload_verify_and_a_rerun_that_sends_nothing(tmp_path, centre, capsys):
    sandbox, target = centre
    path = codes_file(tmp_path)
    assert run(path, target, "--verify", "--progress", "plain") == cli.EXIT_OK
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "2700 codes in 4 requests (5011×3, 5014×1): 4 accepted (0 by earlier runs, 0 reconciled),"
        " 0 failed, 0 pending, 0 unresolved; 4 sent by this run; 0 duplicate and 0 rejected lines",
        "verified: 4 requests (4 ok); centre holds 2700 of 2700 codes; "
        "0 unexpected batch(es) in the category",
    ]
    assert "done: 2700/2700 codes, 4/4 requests" in captured.err
    manifest = Path(f"{path}.manifest.db")
    with UploadManifest(manifest, lock=False) as store:
        assert store.target()["company_idcode"] == target.company_idcode
    assert run(path, target, "--progress", "bar") == cli.EXIT_OK
    captured = capsys.readouterr()
    assert "4 accepted (4 by earlier runs" in captured.out
    assert "2700/2700" in captured.err  # the rich bar goes to stderr
    assert sandbox.stats()["requests"]["5011"] == 3
    # --plan-only shows the manifest's state next to the plan.
    assert run(path, None, "--plan-only") == cli.EXIT_OK
    assert capsys.readouterr().out.splitlines()[-1] == f"manifest {manifest}: 4 accepted"
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert TEST_ACCESS_TOKEN.encode() not in blob
    assert TEST_AUTH_CODE.encode() not in blob


def test_an_unsettled_request_exits_3_with_advice_and_a_resume_hint(tmp_path, centre, capsys):
    sandbox, target = centre
    path = codes_file(tmp_path)
    manifest = tmp_path / "run.db"
    sandbox.faults.schedule("drop_before", endpoint=5011, times=1)
    code = run(
        path,
        target,
        "--manifest",
        manifest,
        "--idcode-of-category",
        "232324",
        "--model-number-code",
        "B9",
        "--progress",
        "none",
    )
    assert code == cli.EXIT_ABORTED
    err = capsys.readouterr().err
    assert "1 request(s) may have been uploaded and could not be settled" in err
    assert "not the registration's according to 403" in err
    assert "--assume-not-uploaded" in err
    assert f"resume with: idcode upload-codes {path} --company-idcode" in err
    assert "--chunk-codes 500" in err
    assert run(path, target, "--manifest", manifest, "--progress", "none") == cli.EXIT_OK
    assert sandbox.stats()["requests"]["5011"] == 4  # the dropped one was resent, once


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ((), {}, "--company-idcode and --category-reg-id required"),
        (("--company-idcode", "i.86.1", "--category-reg-id", "1"), {"token": ""}, "set IDCODE_"),
        (
            ("--company-idcode", "i.86.1", "--category-reg-id", "1", "--model-number-code", "A"),
            {},
            "go together",
        ),
        (("--chunk-codes", "0", "--plan-only"), {}, "max_file_codes"),
    ],
)
def test_usage_errors_exit_2(tmp_path, centre, monkeypatch, capsys, args, env, message):
    if "token" in env:
        monkeypatch.delenv(cli.ENV_TOKEN)
    path = codes_file(tmp_path)
    assert cli.main(["upload-codes", str(path), *args]) == cli.EXIT_USAGE
    assert message in capsys.readouterr().err
    assert cli.main(["upload-codes", str(tmp_path / "missing.txt"), "--plan-only"]) == 2


def test_the_command_plugs_into_the_idcode_parser():
    parser = argparse.ArgumentParser(prog="idcode")
    parser.add_argument("--version", action="version", version="idcode-async x")
    commands = parser.add_subparsers(dest="command")
    cli.add_upload_codes_command(commands)
    args = parser.parse_args(
        ["upload-codes", "c.txt", "--version", "1.0", "--generate-type", "0", "--min-run", "5"]
    )
    assert args.handler is cli.run_upload_codes
    assert (args.upload_version, args.generate_type, args.min_run) == ("1.0", "0", 5)
    assert (args.chunk_codes, args.manifest, args.verify) == (100_000, None, False)
