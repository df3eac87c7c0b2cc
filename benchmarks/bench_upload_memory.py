"""Peak memory and throughput of ``upload_codes`` against a sandbox in another process.

The sandbox runs as ``python -m idcode_async sandbox serve`` (its own process, over loopback),
so its memory (it spools every 5011 file it receives) is not counted.  Each scenario uploads
in a fresh child process whose peak RSS is its own:

* ``random-library``: 1,000,000 random 16-character codes from a text file, through
  ``upload_codes`` (plan → 5011 chunks of 100,000 codes streamed from disk → manifest), then
  ``verify_upload``.  Peak RSS is ``ru_maxrss`` of the child, "baseline" its RSS after imports.
* ``random-cli N``: a file of N random codes (1,000,000 and 10,000,000 by default) through the
  real command, ``python -m idcode_async upload-codes … --verify`` (rich imported, progress
  off); peak RSS from ``os.wait4``'s rusage of that process.  The goal of issue 13 is this
  figure: at most 64 MiB for either size (the 10,000,000 run takes minutes).
* ``sequential``: 10,000,000 consecutive codes generated lazily in the child (four lots of
  2,500,000): a handful of 5014 ranges, then verify.

``upload_phase_peak_rss_mib`` is the peak of the sending phase alone: when planning ends, the
peak so far is noted (``planning_peak_rss_mib``) and the kernel's high-water mark reset
(``/proc/self/clear_refs``; this resets ``ru_maxrss`` too); ``peak_rss_mib`` is the larger of
the two, the peak of the whole run.

Throughput: planning codes/s (planning time alone), upload codes/s and MB/s (the sending
phase: payload bytes over its duration), end-to-end codes/s.  Verdict: PASS if every scenario
peaks at or under 64 MiB and every upload verifies (exit status 1 otherwise).

Run: ``python benchmarks/bench_upload_memory.py [--random 1000000,10000000]
[--sequential 10000000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
from _results import record

from idcode_async import IdcodeClient
from idcode_async.endpoints import CompanyModify, ProductCategoryRegister, UnitRegist
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE
from idcode_async.uploads import (
    UploadProgress,
    upload_codes,
    verify_upload,
)

LIMIT_MIB = 64
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GOTOURL = "http://www.example.com/scan.aspx?id=1"
SAMPLE_URL = "http://www.example.com/scan.aspx?id=1&code=i.86.110105.1/10.232324.A1/0001"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) so that the sending phase gets its own."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def _hwm_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _client(base_url: str) -> IdcodeClient:
    return IdcodeClient(access_token=TEST_ACCESS_TOKEN, auth_code=TEST_AUTH_CODE, base_url=base_url)


async def _register(base_url: str, n: int) -> tuple[str, str]:
    """A unit with one product category on the served sandbox: (main code, registration ID)."""
    async with _client(base_url) as client:
        unit = await client.call(
            UnitRegist(
                login_name=f"91110105MA{n:08d}",
                organunit_name=f"北京基准测试有限公司{n}",
                code=1,
                province_id=110000,
                city_id=110000,
                area_id=110105,
            )
        )
        company = unit.organunit_idcode
        assert company
        await client.call(
            CompanyModify(
                company_idcode=company,
                trade_id=114,
                organunit_address="朝阳路 1 号",
                unit_size_type=1,
            )
        )
        product = await client.call(
            ProductCategoryRegister(
                company_idcode=company,
                industrycategory_id=232324,
                category_code="232324",
                model_number="洗衣液 A1",
                model_number_code="A1",
                code_pay_type="2",
                gotourl=GOTOURL,
                sample_url=SAMPLE_URL,
            )
        )
        assert product.category_reg_id
        return company, product.category_reg_id


def sequential_codes(n: int, lots: int = 4) -> Iterator[str]:
    per_lot = n // lots
    for lot in range(lots):
        count = per_lot if lot < lots - 1 else n - per_lot * (lots - 1)
        for i in range(count):
            yield f"LOT{lot}-{i:07d}"


def write_random_codes(path: Path, n: int, seed: int = 20240601) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="ascii") as out:
        for _ in range(n):
            out.write("".join(rng.choices(_ALPHABET, k=16)) + "\n")


async def run_library(
    base_url: str, company: str, reg_id: str, source: str, manifest: str, n: int
) -> dict[str, object]:
    baseline = _current_mib()
    marks: dict[str, float] = {}
    started = time.perf_counter()

    def progress(p: UploadProgress) -> None:
        if p.phase != "planning" and "planned" not in marks:
            marks["planned"] = time.perf_counter()
            marks["rss_after_plan"] = _current_mib()
            marks["planning_peak"] = max(_hwm_mib(), _peak_mib())
            marks["peak_reset"] = float(_reset_peak())

    codes: object = source if source != "SEQUENTIAL" else sequential_codes(n)
    async with _client(base_url) as client:
        result = await upload_codes(
            client,
            company,
            reg_id,
            codes,  # type: ignore[arg-type]
            manifest=manifest,
            on_progress=progress,
            reconcile_grace=0,
        )
        sent = time.perf_counter()
        report = await verify_upload(client, company, manifest)
    verified = time.perf_counter()
    planned = marks.get("planned", started)
    upload_seconds = sent - planned
    payload = sum(r.size for r in result.requests)
    return {
        "codes": result.count,
        "requests": {str(e): v for e, v in sorted(result.by_endpoint().items())},
        "payload_bytes": payload,
        "plan_seconds": round(planned - started, 2),
        "upload_seconds": round(upload_seconds, 2),
        "verify_seconds": round(verified - sent, 2),
        "planning_codes_per_s": round(result.count / max(planned - started, 1e-9)),
        "upload_codes_per_s": round(result.count / max(upload_seconds, 1e-9)),
        "upload_mb_per_s": round(payload / 2**20 / max(upload_seconds, 1e-9), 1),
        "end_to_end_codes_per_s": round(result.count / (sent - started)),
        "verified": report.ok,
        "server_total": report.server_total,
        "baseline_rss_mib": round(baseline, 1),
        "rss_after_planning_mib": round(marks.get("rss_after_plan", 0.0), 1),
        "planning_peak_rss_mib": round(marks.get("planning_peak", 0.0), 1),
        "upload_phase_peak_rss_mib": round(_hwm_mib(), 1) if marks.get("peak_reset") else None,
        "peak_rss_mib": round(max(marks.get("planning_peak", 0.0), _hwm_mib(), _peak_mib()), 1),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start_sandbox() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "idcode_async", "sandbox", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base_url}/_sandbox/stats", timeout=1).raise_for_status()
            return server, base_url
        except httpx.HTTPError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("the sandbox server did not start") from None
            time.sleep(0.1)


def _child(scenario: str, *args: str) -> dict[str, object]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", scenario, *args]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, object] = json.loads(out.stdout)
    return {"scenario": scenario, **result}


def _cli(base_url: str, company: str, reg_id: str, source: Path, n: int) -> dict[str, object]:
    """The real command in its own process; its peak RSS is the issue's figure."""
    env = {
        **os.environ,
        "IDCODE_ACCESS_TOKEN": TEST_ACCESS_TOKEN,
        "IDCODE_AUTH_CODE": TEST_AUTH_CODE,
        "IDCODE_BASE_URL": base_url,
    }
    command = [
        sys.executable,
        "-m",
        "idcode_async",
        "upload-codes",
        str(source),
        "--company-idcode",
        company,
        "--category-reg-id",
        reg_id,
        "--manifest",
        str(source.with_suffix(".cli.db")),
        "--progress",
        "none",
        "--verify",
    ]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stdout = process.stdout.read().decode() if process.stdout else ""
    stderr = process.stderr.read().decode() if process.stderr else ""
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "scenario": f"random-cli {n:,}",
        "codes": n,
        "exit_code": process.returncode,
        "seconds": round(elapsed, 2),
        "end_to_end_codes_per_s": round(n / elapsed),
        "verified": "verified:" in stdout and "NOT verified" not in stdout,
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "output": (stdout + stderr).strip().splitlines()[-2:],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--random",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1_000_000, 10_000_000],
        help="sizes of the random-code uploads through the command, comma-separated",
    )
    parser.add_argument("--sequential", type=int, default=10_000_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        base_url, company, reg_id, source, manifest, n = args.rest
        result = anyio.run(run_library, base_url, company, reg_id, source, manifest, int(n))
        print(json.dumps(result))
        return
    server, base_url = _start_sandbox()
    results: list[dict[str, object]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            sizes = sorted(set(args.random))
            targets = iter([anyio.run(_register, base_url, n) for n in range(1, len(sizes) + 3)])
            for index, n in enumerate(sizes):
                source = work / f"random-{n}.txt"
                write_random_codes(source, n)
                if index == 0:
                    company, reg_id = next(targets)
                    library = [base_url, company, reg_id, str(source), str(work / "lib.db")]
                    results.append(_child("random-library", *library, str(n)))
                results.append(_cli(base_url, *next(targets), source, n))
                source.unlink()
            company, reg_id = next(targets)
            sequential = [base_url, company, reg_id, "SEQUENTIAL", str(work / "seq.db")]
            results.append(_child("sequential", *sequential, str(args.sequential)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    for result in results:
        print(json.dumps(result, ensure_ascii=False))
        peak = float(str(result["peak_rss_mib"]))
        record(
            "upload",
            f"{result['scenario']} peak RSS",
            peak,
            unit="MiB",
            goal="<=",
            target=LIMIT_MIB,
        )
    worst = max(results, key=lambda r: float(str(r["peak_rss_mib"])))
    verified = all(r.get("verified") for r in results)
    ok = float(str(worst["peak_rss_mib"])) <= LIMIT_MIB and verified
    print(
        f"{'PASS' if ok else 'FAIL'}: peak RSS of the uploading process at most "
        f"{worst['peak_rss_mib']} MiB ({worst['scenario']}; goal {LIMIT_MIB} MiB) for "
        f"{', '.join(f'{n:,}' for n in sorted(set(args.random)))} random codes via 5011; "
        f"verify {'passed' if verified else 'FAILED'}"
    )
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
