"""Scale-out: one worker against four, sharing one pace through Redis (309: 0.5–1 s apart).

The centre's pause between submissions applies to the access token.  With the shared
:class:`~idcode_async.scale.RedisPacer`, adding workers must not add throughput (the pace is
the limit) and must never break the pace.  This starts a throwaway ``redis-server`` and the
sandbox on 127.0.0.1, loads a run per scenario, enqueues N jobs, starts N ``idcode worker
--burst`` processes and reads what the *server* saw (``/_sandbox/stats``
``submission_starts_ms``) and the pace log (grant, end and drawn pause of every slot, on
Redis's clock).

Per scenario:

- **throughput**: submissions per second between the first and the last arrival at the server
  (process start-up excluded; the wall time including it is printed too);
- **start-to-start interval** at the server: min and mean; **violations**: intervals below the
  minimum pause;
- **expected mean interval**: mean drawn pause + mean service (slot held: intent journaled in
  Redis, request, answer), as in ``bench_pacing.py``; and the deviation from it.

Run: ``python benchmarks/bench_scale.py [--rows 60] [--min 0.1] [--max 0.2]
[--document-rows 40 | --document-rows 0]`` (needs ``redis-server`` on PATH).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import httpx

from idcode_async import IdcodeClient
from idcode_async.domain.regions import RegionDirectory
from idcode_async.registration import UnitRegistration
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.sandbox.serve import running
from idcode_async.scale import enqueue_jobs, load_run
from idcode_async.scale._redis import connect_sync
from idcode_async.scale.keys import PaceKeys

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.redis_server import local_redis


def units(count: int, batch: int) -> list[UnitRegistration]:
    return [
        UnitRegistration(
            login_name=f"9{batch:03d}{n:014d}",
            organunit_name=f"扩展基准单位{batch:02d}-{n:04d}有限公司",
            code=1,
            province_id=110000,
            city_id=110000,
            area_id=110105,
        )
        for n in range(count)
    ]


def regions_of(base_url: str) -> RegionDirectory:
    async def load() -> RegionDirectory:
        async with IdcodeClient(
            access_token=TEST_ACCESS_TOKEN, auth_code=TEST_AUTH_CODE, base_url=base_url
        ) as client:
            return await RegionDirectory.load(client)

    return anyio.run(load)


def scenario(
    redis_url: str,
    base_url: str,
    regions: RegionDirectory,
    *,
    batch: int,
    workers: int,
    rows: int,
    minimum: float,
    maximum: float,
) -> dict[str, Any]:
    run_id = f"bench-{batch}-{workers}w"
    load_run(
        redis_url,
        units(rows, batch),
        run_id,
        access_token=TEST_ACCESS_TOKEN,
        base_url=base_url,
        regions=regions,
        min_interval=minimum,
        max_interval=maximum,
        batch_size=5,
    )
    before = len(stats(base_url)["submission_starts_ms"]["309"])
    client = connect_sync(redis_url)
    logged = client.llen(PaceKeys.for_token(TEST_ACCESS_TOKEN).log)
    env = {
        **os.environ,
        "IDCODE_ACCESS_TOKEN": TEST_ACCESS_TOKEN,
        "IDCODE_AUTH_CODE": TEST_AUTH_CODE,
        "IDCODE_REDIS_URL": redis_url,
    }
    anyio.run(enqueue_jobs, redis_url, run_id, workers)
    command = [sys.executable, "-m", "idcode_async", "worker", "--burst"]
    started = time.monotonic()
    processes = [
        subprocess.Popen([*command, "--log-level", "warning"], env=env) for _ in range(workers)
    ]
    for process in processes:
        if process.wait(timeout=rows * maximum * 4 + 60) != 0:
            raise SystemExit(f"a worker ended with {process.returncode}")
    wall = time.monotonic() - started
    starts = stats(base_url)["submission_starts_ms"]["309"][before:]
    lines = client.lrange(PaceKeys.for_token(TEST_ACCESS_TOKEN).log, logged, -1)
    log = [[int(value) / 1e6 for value in line.split()] for line in lines]  # grant end pause lane
    client.close()
    if len(starts) != rows:
        raise SystemExit(f"expected {rows} submissions, the server saw {len(starts)}")
    intervals = [(b - a) / 1000 for a, b in itertools.pairwise(starts)]
    service = statistics.fmean(ended - granted for granted, ended, _, _ in log)
    drawn = statistics.fmean(pause for _, _, pause, _ in log[:-1])
    expected = drawn + service
    mean = statistics.fmean(intervals)
    return {
        "workers": workers,
        "rows": rows,
        "pace": f"{minimum}-{maximum}",
        "throughput": len(intervals) / ((starts[-1] - starts[0]) / 1000),
        "wall": wall,
        "min": min(intervals),
        "mean": mean,
        "expected": expected,
        "configured": (minimum + maximum) / 2 + service,
        "deviation": (mean - expected) / expected,
        "violations": sum(1 for i in intervals if i < minimum),
        "service": service,
    }


def stats(base_url: str) -> dict[str, Any]:
    return dict(httpx.get(f"{base_url}/_sandbox/stats", timeout=10).json())


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=60)
    parser.add_argument("--min", type=float, default=0.1, dest="minimum")
    parser.add_argument("--max", type=float, default=0.2, dest="maximum")
    parser.add_argument(
        "--document-rows", type=int, default=40, help="rows at the document's 0.5-1.0 s (0: skip)"
    )
    args = parser.parse_args()
    plans = [(1, args.rows, args.minimum, args.maximum), (4, args.rows, args.minimum, args.maximum)]
    if args.document_rows:
        plans += [(1, args.document_rows, 0.5, 1.0), (4, args.document_rows, 0.5, 1.0)]
    results = []
    with local_redis() as redis_url, running(Sandbox()) as base_url:
        regions = regions_of(base_url)
        for batch, (workers, rows, minimum, maximum) in enumerate(plans):
            results.append(
                scenario(
                    redis_url,
                    base_url,
                    regions,
                    batch=batch,
                    workers=workers,
                    rows=rows,
                    minimum=minimum,
                    maximum=maximum,
                )
            )
    print("scale-out benchmark: N `idcode worker` processes, one access token, one Redis pace")
    print(
        "workers rows pace(s)   rows/s   wall(s)  min(ms)  mean(ms)  expected(ms)  dev    "
        "violations  service(ms)"
    )
    for r in results:
        print(
            f"{r['workers']:>7} {r['rows']:>4} {r['pace']:<9} {r['throughput']:6.2f}  "
            f"{r['wall']:7.1f}  {ms(r['min'])}  {ms(r['mean'])}  {ms(r['expected']):>12}  "
            f"{r['deviation'] * 100:+5.1f}%  {r['violations']:>10}  {ms(r['service']):>11}"
        )
    ok = all(r["violations"] == 0 and abs(r["deviation"]) < 0.05 for r in results)
    pairs = [results[i : i + 2] for i in range(0, len(results), 2)]
    for one, four in pairs:
        ratio = four["throughput"] / one["throughput"]
        print(
            f"pace {one['pace']}: 4 workers / 1 worker throughput = {ratio:.3f} "
            "(the pace is the limit: ~1)"
        )
    print(f"check: no violations, mean within 5 % of expected ... {'ok' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
