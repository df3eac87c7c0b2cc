"""Pacing of batch registration (309), measured on the server side over loopback.

The document asks for submissions one at a time with a 0.5-1 s pause (309).  This runs
``register_units`` with the default :class:`LocalPacer` against the sandbox served by uvicorn
on 127.0.0.1 and compares what the *server* saw with what was configured.

Two intervals, defined precisely:

- **pause** (what the pacer controls): from the end of one submission (the client has the
  answer and leaves the pacer slot) to the start of the next (the pacer opens the next slot).
  Drawn uniformly from [min, max]; measured on the client.
- **start-to-start interval** (what the centre sees): between the arrivals of two consecutive
  309 requests at the server (``/_sandbox/stats`` ``submission_starts_ms``).  It is the pause
  plus the previous submission's service time (journaling the intent with fsync, then the
  request until its answer), so its expected mean is ``(min + max) / 2 + mean service time``.

Checks: no start-to-start interval below the minimum pause; the mean start-to-start interval
within 5 % of the configured mean pause plus the measured mean service time.

Run: ``python benchmarks/bench_pacing.py [--rows 100] [--min 0.5] [--max 1.0]``.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import anyio
import httpx
from _results import record

from idcode_async import IdcodeClient
from idcode_async.pacing import LocalPacer
from idcode_async.registration import UnitRegistration, register_units
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.sandbox.serve import running


class RecordingRandom(random.Random):
    """The pacer's random source, keeping every pause it draws."""

    def __init__(self) -> None:
        super().__init__()
        self.draws: list[float] = []

    def uniform(self, a: float, b: float) -> float:
        value = super().uniform(a, b)
        self.draws.append(value)
        return value


class TimedPacer:
    """The default pacer, with each slot's opening and closing time recorded."""

    def __init__(self, minimum: float, maximum: float) -> None:
        self.rng = RecordingRandom()
        self.inner = LocalPacer(minimum, maximum, rng=self.rng)
        self.slots: list[tuple[float, float]] = []

    def slot(self) -> AbstractAsyncContextManager[None]:
        return self._slot()

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        async with self.inner.slot():
            opened = anyio.current_time()
            try:
                yield
            finally:
                self.slots.append((opened, anyio.current_time()))


def units(count: int) -> list[UnitRegistration]:
    return [
        UnitRegistration(
            login_name=f"9111{n:014d}",
            organunit_name=f"节奏基准单位{n:04d}有限公司",
            code=1,
            province_id=110000,
            city_id=110000,
            area_id=110105,
        )
        for n in range(count)
    ]


async def run(
    base_url: str, rows: int, minimum: float, maximum: float, journal: Path
) -> TimedPacer:
    pacer = TimedPacer(minimum, maximum)
    async with IdcodeClient(
        access_token=TEST_ACCESS_TOKEN, auth_code=TEST_AUTH_CODE, base_url=base_url
    ) as client:
        summary = await register_units(client, units(rows), journal=journal, pacer=pacer)
    if summary.registered != rows:
        raise SystemExit(f"expected {rows} registrations, got {summary.describe()}")
    return pacer


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--min", type=float, default=0.5, dest="minimum")
    parser.add_argument("--max", type=float, default=1.0, dest="maximum")
    args = parser.parse_args()
    sandbox = Sandbox()
    with tempfile.TemporaryDirectory() as folder, running(sandbox) as base_url:
        pacer = anyio.run(
            run, base_url, args.rows, args.minimum, args.maximum, Path(folder) / "j.db"
        )
        stats = httpx.get(f"{base_url}/_sandbox/stats").json()
    starts = stats["submission_starts_ms"]["309"]
    intervals = [(b - a) / 1000 for a, b in itertools.pairwise(starts)]
    slots = pacer.slots
    pauses = [b[0] - a[1] for a, b in itertools.pairwise(slots)]
    service = statistics.fmean(end - start for start, end in slots)
    drawn = statistics.fmean(pacer.rng.draws[: len(pauses)])
    configured = (args.minimum + args.maximum) / 2
    expected = configured + service
    mean = statistics.fmean(intervals)
    deviation = (mean - expected) / expected
    accuracy = (mean - (drawn + service)) / (drawn + service)
    print(f"pacing benchmark: {args.rows} submissions of 309 to the sandbox on {base_url}")
    print(f"configured pause      uniform[{args.minimum}, {args.maximum}] s, mean {ms(configured)}")
    print("pause (client: end of one submission -> start of the next)")
    print(f"  min {ms(min(pauses))}   mean {ms(statistics.fmean(pauses))}   max {ms(max(pauses))}")
    print(f"  mean of the drawn pauses {ms(drawn)} (sampling of the uniform draw)")
    print(f"service time (client: slot open -> answer; intent fsync + request)  mean {ms(service)}")
    print("start-to-start interval (server: arrivals of consecutive 309 requests)")
    print(f"  min {ms(min(intervals))}   mean {ms(mean)}   max {ms(max(intervals))}")
    print(f"  expected mean = configured mean pause + mean service = {ms(expected)}")
    print(f"  deviation from expected     {deviation * 100:+.2f} %")
    print(f"  deviation from drawn+service {accuracy * 100:+.2f} % (pacer accuracy, no sampling)")
    ok_min = min(intervals) >= args.minimum
    violations = sum(interval < args.minimum for interval in intervals)
    record(
        "pacing", "mean interval vs expected", abs(deviation) * 100, unit="%", goal="<=", target=5
    )
    record("pacing", "intervals below the minimum pause", violations, goal="<=", target=0)
    ok_mean = abs(deviation) < 0.05
    print(
        f"check: no start-to-start interval below {args.minimum} s ... {'ok' if ok_min else 'FAIL'}"
    )
    print(f"check: mean within 5 % of the expected mean ......... {'ok' if ok_mean else 'FAIL'}")
    return 0 if ok_min and ok_mean else 1


if __name__ == "__main__":
    sys.exit(main())
