"""Small answers: what ``client.call`` spends decoding one answer, in microseconds.

Each call's answer passes through one decode step (``_decode.decode_answer``): parse, clean
the keys, check the result code, build the response object.  Timed here on 306's example
answer (``_example306``: one flat object of 14 keys, two of them with the document's stray
spaces), against ``json.loads`` of the same bytes, with orjson first when the ``speedups``
extra is installed and with the standard parser alone (the one private switch also used by
``bench_decode``).

Timing: many short batches, SDK and ``json.loads`` interleaved (their order alternating),
each batch's CPU time per call (``process_time``: time the process spends descheduled on a
shared machine is left out).  Reported: the median batch with its interquartile range, and
the fastest batch, which is what an undisturbed call costs (the µs figure of the report);
the ratio to ``json.loads`` is the median of each batch's ratio to the ``json.loads`` batch
beside it, which cancels most of the machine's drift.  The decode step is called directly (a
private function) so
that the transport's share does not drown it.

Run: ``python benchmarks/bench_small_decode.py [--batches 200] [--calls 500]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import operator
import statistics
import time
from collections.abc import Callable

from _example306 import ANSWER
from _results import record

from idcode_async import _converter
from idcode_async._decode import decode_answer
from idcode_async.endpoints import CompanyInfoBase

RESPONSE_TYPE = CompanyInfoBase.response_type


def per_call_us(run: Callable[[], object], calls: int) -> float:
    started = time.process_time()
    for _ in range(calls):
        run()
    return (time.process_time() - started) / calls * 1e6


def decode() -> object:
    return decode_answer(ANSWER, status=200, endpoint=306, response_type=RESPONSE_TYPE)


def raw() -> object:
    return json.loads(ANSWER)


def summary(samples: list[float]) -> tuple[float, float, float, float]:
    """Median, minimum and the interquartile range (lower, upper) of ``samples``."""
    lower, _, upper = statistics.quantiles(samples, n=4)
    return statistics.median(samples), min(samples), lower, upper


def measure(batches: int, calls: int) -> dict[str, list[float]]:
    """Interleaved batches: SDK (orjson first when installed), SDK standard parser, json."""
    fast = _converter._strict_loads
    sides: dict[str, Callable[[], object]] = {"json.loads": raw, "decode": decode}
    samples: dict[str, list[float]] = {"json.loads": [], "decode": [], "decode, json only": []}
    has_orjson = fast is not _converter._no_fast_parser
    for run in (decode, raw):  # warm-up: converters and caches are built on first use
        per_call_us(run, calls)
    gc.collect()
    for batch in range(batches):
        order = list(sides.items())
        if batch % 2:
            order.reverse()
        for name, run in order:
            samples[name].append(per_call_us(run, calls))
        if has_orjson:
            _converter._strict_loads = _converter._no_fast_parser
            try:
                samples["decode, json only"].append(per_call_us(decode, calls))
            finally:
                _converter._strict_loads = fast
    if not has_orjson:
        samples["decode, json only"] = samples.pop("decode")
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--calls", type=int, default=500)
    args, _ = parser.parse_known_args()  # nox passes the same arguments to every benchmark
    samples = measure(args.batches, args.calls)
    print(f"306's example answer ({len(ANSWER)} bytes), {args.batches} batches of {args.calls}")
    for name, values in samples.items():
        if not values:
            continue
        median, least, lower, upper = summary(values)
        print(
            f"  {name:<18} median {median:6.2f} µs CPU  min {least:6.2f}  "
            f"interquartile {lower:.2f}–{upper:.2f}"
        )
    for name in ("decode", "decode, json only"):
        if not samples.get(name):
            continue
        label = "with orjson" if name == "decode" else "standard parser"
        ratios = list(map(operator.truediv, samples[name], samples["json.loads"]))
        median, least, lower, upper = summary(ratios)
        print(
            f"  decode / json.loads, {label:<15} median {median:.2f}  "
            f"interquartile {lower:.2f}–{upper:.2f}  (paired batches)"
        )
        record("small decode", f"306 answer, decode step ({label})", min(samples[name]), unit="µs")
        record("small decode", f"306 answer, decode step / json.loads ({label})", median, unit="x")


if __name__ == "__main__":
    main()
