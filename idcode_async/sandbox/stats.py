"""Counters of what the sandbox received, served read-only at ``GET /_sandbox/stats``.

The snapshot (also ``Sandbox.stats()``) has exactly these keys; tests elsewhere rely on them::

    {
      "requests": {"101": 3, "309": 12, …},
      "signature_failures": 0,
      "submissions_by_name": {"309": {"某某公司": 1, …}, "301": {…}},
      "submission_starts_ms": {"309": [1716371234567, …]},
      "faults": {"busy": 0, "html_502": 0, "drop_before": 0, "drop_after": 0, "latency": 0}
    }

- ``requests``: every request routed to an API endpoint, by endpoint number (as a string),
  whatever became of it (faulted, refused, wrong method, answered).
- ``signature_failures``: requests whose ``hash`` did not match.
- ``submissions_by_name``: 309/301 submissions the centre *processed*, by ``organunit_name``:
  those that passed the faults in front of the centre (``busy``, ``html_502``,
  ``drop_before``), authentication and the required-parameter check.  Duplicates refused
  with 10007/10008 count, and so do submissions whose answer was then lost to
  ``drop_after``: a count above 1 means the client sent the same unit twice.
- ``submission_starts_ms``: the arrival time (wall clock, epoch ms) of every 309 request,
  including faulted and refused ones, so that the pacing between submissions (seed 309:
  0.5–1 s) can be measured on what went over the wire.
- ``faults``: how many faults of each kind were injected.

The counters are guarded by a thread lock: under :mod:`.serve` the server runs in another
thread than the test reading them.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import TypedDict

from .faults import FaultKind

__all__ = ["BY_NAME_ENDPOINTS", "Stats", "StatsSnapshot"]

BY_NAME_ENDPOINTS = (309, 301)
"""The unit registrations whose submissions are counted per ``organunit_name``."""


class StatsSnapshot(TypedDict):
    """The stats document (see the module docstring for what each member counts)."""

    requests: dict[str, int]
    signature_failures: int
    submissions_by_name: dict[str, dict[str, int]]
    submission_starts_ms: dict[str, list[int]]
    faults: dict[str, int]


class Stats:
    """Thread-safe counters; :meth:`snapshot` is the JSON document of the stats route."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._signature_failures = 0
        self._by_name: dict[str, Counter[str]] = {str(n): Counter() for n in BY_NAME_ENDPOINTS}
        self._starts: list[int] = []
        self._faults: Counter[str] = Counter({kind.value: 0 for kind in FaultKind})

    def request(self, endpoint: int, arrived_ms: int) -> None:
        """Count a request routed to ``endpoint``; note 309 arrival times."""
        with self._lock:
            self._requests[str(endpoint)] += 1
            if endpoint == 309:
                self._starts.append(arrived_ms)

    def signature_failure(self) -> None:
        with self._lock:
            self._signature_failures += 1

    def submission(self, endpoint: int, organunit_name: str) -> None:
        """Count a processed 309/301 submission of ``organunit_name``."""
        with self._lock:
            self._by_name[str(endpoint)][organunit_name] += 1

    def fault(self, kind: FaultKind) -> None:
        with self._lock:
            self._faults[kind.value] += 1

    def snapshot(self) -> StatsSnapshot:
        """A deep copy of the counters, ready for ``json.dumps``."""
        with self._lock:
            return {
                "requests": dict(sorted(self._requests.items(), key=lambda kv: int(kv[0]))),
                "signature_failures": self._signature_failures,
                "submissions_by_name": {n: dict(c) for n, c in self._by_name.items()},
                "submission_starts_ms": {"309": list(self._starts)},
                "faults": dict(self._faults),
            }
