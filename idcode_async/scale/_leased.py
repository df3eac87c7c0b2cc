"""The worker's side of a lease: its settings, :func:`keep_leases` and :class:`ClaimLoop`.

The leased store (:mod:`.leased_store`) grants, renews and releases leases in Lua on Redis's
clock; what a worker does with them (renew every third of the lease, claim again, notice a
halt) is the same for every item kind and lives here once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from functools import partial
from typing import Final, Generic, Protocol, TypeVar

import anyio
import anyio.to_thread
import attrs

from .._logging import logger
from ._redis import RedisError

__all__ = [
    "IDLE_POLL",
    "ClaimLoop",
    "Renewal",
    "check_claim_settings",
    "keep_leases",
    "microseconds",
]


@attrs.frozen
class Renewal:
    lost: tuple[str, ...] = ()
    """Items this worker held and holds no more (another worker claimed them)."""
    halted: str | None = None


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


class _Leases(Protocol):
    def renew(self, keys: Iterable[str]) -> Renewal: ...

    def halted(self) -> str | None: ...


async def keep_leases(
    store: _Leases,
    held: set[str],
    *,
    lease: float,
    label: str,
    on_halt: Callable[[str], None],
) -> None:
    """Renew the leases on ``held`` every third of the lease, and notice a halt of the run.

    A Redis error is not fatal yet (the lease still runs, and the store's own writes fail
    loudly); items taken over are logged (the new holder settles them, fenced by the lease).
    Run it in the worker's task group; it returns only by cancellation.
    """
    while True:
        await anyio.sleep(lease / 3)
        keys = sorted(held)
        try:
            if keys:
                renewal = await anyio.to_thread.run_sync(store.renew, keys)
            else:
                renewal = Renewal(halted=await anyio.to_thread.run_sync(store.halted))
        except RedisError as exc:
            logger.warning("%s: renewing leases failed: %s", label, exc)
            continue
        if renewal.lost:
            logger.warning("%s: %d item(s) taken over by another worker", label, len(renewal.lost))
        if renewal.halted:
            on_halt(renewal.halted)


IDLE_POLL: Final = 0.5
"""Seconds between claims while every remaining item is in other workers' hands."""


class _Claim(Protocol):
    @property
    def halted(self) -> str | None: ...

    @property
    def finished(self) -> bool: ...

    @property
    def next_expiry(self) -> float | None: ...


ClaimT = TypeVar("ClaimT", bound=_Claim)
ClaimT_co = TypeVar("ClaimT_co", bound=_Claim, covariant=True)


class _ClaimingStore(_Leases, Protocol[ClaimT_co]):
    def claim(self, limit: int) -> ClaimT_co: ...


class ClaimLoop(Generic[ClaimT]):
    """The one claim / renew / release loop of a worker, for every kind of leased run.

    Claim a batch, settle it (:meth:`settle`, the subclass's), repeat until the run is
    finished, halted or ``stop`` is set; meanwhile :func:`keep_leases` renews what is held
    (``held``, kept by :meth:`settle`).  When every remaining item is in other workers' hands,
    wait for them, or for a lease to run out (a crashed worker's items come back).
    """

    def __init__(
        self,
        store: _ClaimingStore[ClaimT],
        *,
        batch_size: int,
        lease: float,
        label: str,
        stop: anyio.Event | None,
    ) -> None:
        self.claims = store
        self.batch_size = batch_size
        self.lease = lease
        self.label = label
        self.outer_stop = stop
        self.stop = anyio.Event()
        self.held: set[str] = set()
        self.halted: str | None = None
        self.started = anyio.current_time()

    async def settle(self, claim: ClaimT) -> bool:
        """Settle a claim's items; ``False`` if the claim held none."""
        raise NotImplementedError

    def stopping(self) -> None:
        """Called when the worker stops (a halt, or ``stop``): stop what is in flight too."""
        self.stop.set()

    async def loop(self) -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(
                partial(
                    keep_leases,
                    self.claims,
                    self.held,
                    lease=self.lease,
                    label=self.label,
                    on_halt=self._on_halt,
                )
            )
            if self.outer_stop is not None:
                group.start_soon(self._relay, self.outer_stop)
            while not self.stop.is_set():
                claim = await anyio.to_thread.run_sync(self.claims.claim, self.batch_size)
                if claim.halted is not None:
                    self.halted = claim.halted
                    break
                if not await self.settle(claim):
                    if claim.finished:
                        break
                    wait = IDLE_POLL if claim.next_expiry is None else claim.next_expiry + 0.01
                    with anyio.move_on_after(min(wait, IDLE_POLL)):
                        await self.stop.wait()
            group.cancel_scope.cancel()

    async def _relay(self, stop: anyio.Event) -> None:
        await stop.wait()
        self.stopping()

    def _on_halt(self, reason: str) -> None:
        if not self.stop.is_set():
            self.halted = reason
            logger.error("%s was halted: %s", self.label, reason)
            self.stopping()
