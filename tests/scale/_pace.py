"""The pace log as the tests read it: one slot per line, ``grant end pause lane`` in µs of
Redis's clock, as the Redis pacer's release script writes it."""

from __future__ import annotations

from typing import Any

import attrs

from idcode_async.scale.redis_pacer import RedisPacer


@attrs.frozen
class SlotRecord:
    """One submission slot (Redis time, seconds since the epoch)."""

    granted: float
    ended: float
    pause: float
    """The pause drawn at the end of this slot: the next start in its lane waits at least this."""
    lane: int

    @property
    def service(self) -> float:
        """How long the slot was held (intent journaled, request sent, answer read)."""
        return self.ended - self.granted


def pace_log(lines: list[Any]) -> list[SlotRecord]:
    """The log's slots, oldest first."""
    records = []
    for line in lines:
        granted, ended, pause, lane = (int(value) for value in str(line).split())
        records.append(SlotRecord(granted / 1e6, ended / 1e6, pause / 1e6, lane))
    return records


def history(pacer: RedisPacer) -> list[SlotRecord]:
    """Every slot of the pacer's token, from every process."""
    return pace_log(pacer._redis.lrange(pacer.keys.log, 0, -1))
