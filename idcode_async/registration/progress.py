"""Progress of a batch: counts by outcome, rate and time to completion.

The runner calls ``on_progress`` with a :class:`Progress` snapshot whenever a row gets an
outcome.  The rate is measured over the recent completions of this run (resumed rows are not
work done now), so the estimate follows the pacing actually achieved, retries and all.
"""

from __future__ import annotations

import collections
from collections.abc import Callable

import attrs

from .outcomes import ROW_COUNTS, RowCounts, RowOutcome

__all__ = ["Progress", "ProgressTracker"]


@attrs.frozen(kw_only=True)
class Progress(RowCounts):
    """A snapshot of a batch."""

    resumed: int = 0
    elapsed: float = 0.0
    rate: float | None = None
    """Rows settled per second by this run, over its recent completions."""
    eta: float | None = None
    """Seconds until every row has an outcome, at ``rate``."""

    @property
    def done(self) -> int:
        return self.registered + self.existing + self.invalid + self.failed

    @property
    def remaining(self) -> int:
        return self.total - self.done


class ProgressTracker:
    """Turns outcomes into :class:`Progress` snapshots (``clock`` in seconds, monotonic)."""

    def __init__(self, total: int, *, clock: Callable[[], float], window: int = 50) -> None:
        self.total = total
        self._clock = clock
        self._started = clock()
        self.counts = collections.Counter[str]()
        """Outcomes by status, earlier runs' included: the run's summary reads them too."""
        self.resumed = 0
        self._recent: collections.deque[float] = collections.deque([self._started], window + 1)

    def record(self, outcome: RowOutcome) -> None:
        self.counts[outcome.status] += 1
        if outcome.resumed:
            self.resumed += 1
        elif outcome.status != "invalid":
            self._recent.append(self._clock())

    def snapshot(self) -> Progress:
        now = self._clock()
        completions = len(self._recent) - 1
        span = now - self._recent[0]
        rate = completions / span if completions and span > 0 else None
        done = sum(self.counts.values())
        eta = (self.total - done) / rate if rate else None
        return Progress(
            total=self.total,
            **{name: self.counts[name] for name in ROW_COUNTS},
            resumed=self.resumed,
            elapsed=now - self._started,
            rate=rate,
            eta=eta,
        )
