"""What every leased run store in Redis shares: settings, the lease steps, the halt flag.

A run store (registration rows in :mod:`.redis_journal`, upload requests in
:mod:`.redis_uploads`) hands items to workers under leases that only Lua scripts on Redis's
clock may grant, renew, release or requeue.  The scripts differ by store; the way a worker
calls the lease steps and reads the halt flag does not, and lives here once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from .._logging import redact
from ._redis import SyncRedis

__all__ = ["LeasedRunStore", "check_claim_settings", "microseconds"]


class _RunKeys(Protocol):
    @property
    def meta(self) -> str: ...


def check_claim_settings(*, lease: float, max_claims: int, worker: str) -> None:
    """The settings every leased store (registration rows, upload requests) shares."""
    if not 0 < lease < math.inf:
        raise ValueError(f"lease must be a positive number of seconds, got {lease}")
    if max_claims < 1:
        raise ValueError(f"max_claims must be at least 1, got {max_claims}")
    if not worker or " " in worker:
        raise ValueError("worker must be a non-empty id without spaces")


def microseconds(seconds: float) -> int:
    """Durations go to the scripts in whole microseconds, the unit of Redis ``TIME``."""
    return round(seconds * 1_000_000)


class LeasedRunStore:
    """Base of the Redis run stores; subclasses register their own ``_renew``, ``_release``
    and ``_requeue`` scripts and say how a script is called (:meth:`_script`)."""

    _renew: Any
    _release: Any
    _requeue: Any

    def __init__(
        self,
        redis: SyncRedis,
        run_id: str,
        keys: _RunKeys,
        *,
        worker: str,
        lease: float,
        max_claims: int,
    ) -> None:
        check_claim_settings(lease=lease, max_claims=max_claims, worker=worker)
        self.run_id = run_id
        self.worker = worker
        self.lease = float(lease)
        self.max_claims = max_claims
        self._run_keys = keys
        self._redis = redis

    @property
    def redis(self) -> SyncRedis:
        """The client (for reads beside the store's own: progress, results)."""
        return self._redis

    def _script(self, script: Any, args: Sequence[Any]) -> Any:
        raise NotImplementedError

    def _renew_ids(self, ids: Iterable[str]) -> tuple[tuple[str, ...], str | None]:
        """Extend this worker's leases; (ids taken over by others, halt reason)."""
        reply = self._script(self._renew, [self.worker, microseconds(self.lease), *ids])
        return tuple(str(i) for i in reply[1]), str(reply[0]) or None

    def _release_ids(self, ids: Iterable[str], reason: str) -> int:
        """Hand back items this worker holds; unsettled ones are claimable again at once."""
        ids = list(ids)
        if not ids:
            return 0
        return int(self._script(self._release, [self.worker, reason.replace(" ", "-"), *ids]))

    def requeue(self, *, retry_failed: bool = False) -> tuple[int, int]:
        """A new run: stuck items back in the queue, fresh claim counts, the halt lifted, and
        with ``retry_failed`` failed items pending again.  Returns (requeued, retried)."""
        reply = self._script(self._requeue, ["1" if retry_failed else "0"])
        return int(reply[0]), int(reply[1])

    def halt(self, reason: str) -> None:
        """Stop every worker of the run (the access token was refused, the centre is down)."""
        self._redis.hset(self._run_keys.meta, "halted", redact(reason) or "halted")

    def halted(self) -> str | None:
        reason = self._redis.hget(self._run_keys.meta, "halted")
        return str(reason) if reason else None
