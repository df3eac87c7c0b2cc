"""Planning throughput (codes/s) and peak RSS of ``plan_upload``.

Scenarios, each in a fresh child process so that every peak RSS is its own:

* ``sequential``: 10,000,000 consecutive zero-padded codes ``SN00000001`` … ``SN10000000``
  (must become a handful of ranges, in constant memory);
* ``random``: 1,000,000 random 16-character codes (must become 5011 files, in low memory);
* ``dedupe-*``: the duplicate detector alone over the same 1,000,000 random codes, against the
  alternatives weighed in :mod:`idcode_async.uploads.dedupe` (``set[str]``, SQLite);
  ``dedupe-hashset64-spilling`` is the table as the planner uses it (2 MiB, then disk).

Codes are generated lazily, so the RSS measured is the planner's, not the input's.  Peak RSS
is ``ru_maxrss`` of the child; "baseline" is the child's RSS after imports, before planning.

Times are the child's CPU time (``process_time``), not wall time: the time spent generating the
input is measured apart and subtracted, and on a loaded machine wall time mostly measures the
other processes (two wall-clock measures taken apart could subtract to a negative rate).

Run: ``python benchmarks/bench_planner.py [--sequential 10000000] [--random 1000000]``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from _results import record

from idcode_async.uploads import plan_upload
from idcode_async.uploads.dedupe import MEMORY_BITS, HashSet64, code_hash

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PLANNING_GOALS = {"sequential": 855_000, "random": 354_000}
"""Codes per second measured before issue 13: keep or beat."""


def _rss_mib() -> float:
    """Peak RSS of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def sequential_codes(n: int) -> Iterator[str]:
    return (f"SN{i:08d}" for i in range(1, n + 1))


def random_codes(n: int, seed: int = 20240601) -> Iterator[str]:
    rng = random.Random(seed)
    alphabet = _ALPHABET
    for _ in range(n):
        yield "".join(rng.choices(alphabet, k=16))


def _generation_seconds(codes: Iterator[str]) -> float:
    start = time.process_time()
    for _ in codes:
        pass
    return time.process_time() - start


def run_plan(scenario: str, n: int) -> dict[str, object]:
    make = sequential_codes if scenario == "sequential" else random_codes
    generate = _generation_seconds(make(n))
    baseline = _current_rss_mib()
    with tempfile.TemporaryDirectory() as spool:
        start = time.process_time()
        plan = plan_upload(make(n), spool_dir=spool)
        elapsed = time.process_time() - start
        with plan:
            summary = {str(k): v for k, v in plan.by_endpoint().items()}
            spooled = sum(getattr(r, "size", 0) for r in plan.requests)
            count = plan.count
    planning = elapsed - generate
    return {
        "scenario": scenario,
        "codes": n,
        "covered": count,
        "requests": summary,
        "spooled_bytes": spooled,
        "seconds_total": round(elapsed, 2),
        "seconds_generating_input": round(generate, 2),
        "codes_per_s_end_to_end": round(n / elapsed),
        "codes_per_s_planning": round(n / planning) if planning > 0 else None,
        "baseline_rss_mib": round(baseline, 1),
        "peak_rss_mib": round(_rss_mib(), 1),
    }


def run_dedupe(kind: str, n: int) -> dict[str, object]:
    """One structure answering "seen before?" for n lazily generated codes (so a structure
    that keeps the strings pays for them, as it would when streaming)."""
    generate = _generation_seconds(random_codes(n))
    codes = random_codes(n)
    baseline = _current_rss_mib()
    start = time.process_time()
    grown: float | None = None  # RSS growth while the structure is alive
    if kind.startswith("hashset64"):
        with tempfile.TemporaryDirectory() as spill:
            directory = Path(spill)
            # in memory only: 2**21 slots (16 MiB), never half full with a million codes
            bits = MEMORY_BITS if kind.endswith("spilling") else 21
            table = HashSet64(lambda: directory, bits)
            duplicates = sum(table.add(code_hash(code)) for code in codes)
            held = table.nbytes
            grown = _current_rss_mib() - baseline
            table.close()
    elif kind == "set":
        seen: set[str] = set()
        duplicates = 0
        for code in codes:
            if code in seen:
                duplicates += 1
            else:
                seen.add(code)
        held = 0
    else:
        db = sqlite3.connect(":memory:" if kind == "sqlite-memory" else "")
        db.execute("CREATE TABLE seen (code TEXT PRIMARY KEY) WITHOUT ROWID")
        duplicates = 0
        insert = "INSERT OR IGNORE INTO seen VALUES (?)"
        for code in codes:
            if db.execute(insert, (code,)).rowcount == 0:
                duplicates += 1
        held = 0
    elapsed = time.process_time() - start - generate
    return {
        "scenario": f"dedupe-{kind}",
        "codes": n,
        "duplicates": duplicates,
        "seconds": round(elapsed, 2),
        "codes_per_s": round(n / elapsed) if elapsed > 0 else None,
        "rss_growth_mib": round(_current_rss_mib() - baseline if grown is None else grown, 1),
        "table_mib": round(held / 2**20, 1) if held else None,
    }


def _child(scenario: str, n: int) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", scenario, "--n", str(n)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequential", type=int, default=10_000_000)
    parser.add_argument("--random", type=int, default=1_000_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child.startswith("dedupe-"):
            result = run_dedupe(args.child.removeprefix("dedupe-"), args.n)
        else:
            result = run_plan(args.child, args.n)
        print(json.dumps(result))
        return
    scenarios = [
        ("sequential", args.sequential),
        ("random", args.random),
        ("dedupe-hashset64", args.random),
        ("dedupe-hashset64-spilling", args.random),
        ("dedupe-set", args.random),
        ("dedupe-sqlite-memory", args.random),
        ("dedupe-sqlite-disk", args.random),
    ]
    for scenario, n in scenarios:
        result = _child(scenario, n)
        print(json.dumps(result, ensure_ascii=False))
        if scenario in PLANNING_GOALS:
            if result["codes_per_s_planning"] is None:  # input generation took all the time
                print(f"{scenario}: planning too quick to measure against generation; rerun")
                continue
            rate = float(str(result["codes_per_s_planning"]))
            record(
                "planner",
                f"{scenario} planning codes/s",
                rate,
                goal=">=",
                target=PLANNING_GOALS[scenario],
            )
            record(
                "planner", f"{scenario} peak RSS", float(str(result["peak_rss_mib"])), unit="MiB"
            )


if __name__ == "__main__":
    main()
