"""The worker's side of a lease: its settings, :func:`keep_leases` and :class:`ClaimLoop`.

The leased store (:mod:`.leased_store`) grants, renews and releases leases in Lua on Redis's
clock; what a worker does with them (renew every third of the lease, claim again, notice a
halt) is the same for every item kind and lives here once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, ClassVar, Final, Generic, Protocol, Self, TypeVar

import anyio
import anyio.to_thread
import attrs

from .._logging import logger, redact
from .._retry import RetryPolicy
from ..durable.engine import DEFAULT_RETRY
from ..durable.store import LeaseLostError
from ._redis import RedisError

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_LEASE",
    "DEFAULT_MAX_CLAIMS",
    "IDLE_POLL",
    "ClaimLoop",
    "Renewal",
    "RunSettings",
    "WorkerSummary",
    "check_claim_settings",
    "keep_leases",
    "microseconds",
    "positive",
]


DEFAULT_LEASE: Final = 60.0
"""Seconds a claim lasts without renewal; longer than the default request timeout (30 s)."""

DEFAULT_BATCH: Final = 10
"""Items a worker claims at a time."""

DEFAULT_MAX_CLAIMS: Final = 5
"""Claims of one item without an outcome before it is set aside as stuck."""


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

    def release(self, keys: Iterable[str]) -> int: ...

    def halt(self, reason: str) -> None: ...

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
    def keys(self) -> tuple[str, ...]: ...

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


def positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    """attrs validator: a positive, finite number of seconds."""
    if not 0 < value < math.inf:
        raise ValueError(f"{attribute.name} must be a positive number of seconds, got {value}")


@attrs.frozen(kw_only=True)
class RunSettings:
    """What every kind of run stores with itself, so that all its workers agree.

    The access token is not among them: workers read it from their own environment
    (``IDCODE_ACCESS_TOKEN``), and ``token_id`` (its hash) lets them check it is the run's.
    Each kind adds its own settings (pace, lease, timeouts, upload target …).
    """

    target: str
    """The centre's base URL (normalised); every worker binds to it."""
    token_id: str
    batch_size: int = attrs.field(default=DEFAULT_BATCH, validator=attrs.validators.ge(1))
    max_claims: int = attrs.field(default=DEFAULT_MAX_CLAIMS, validator=attrs.validators.ge(1))
    max_retries: int = DEFAULT_RETRY.max_retries
    backoff_base: float = DEFAULT_RETRY.backoff_base
    backoff_max: float = DEFAULT_RETRY.backoff_max

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(
            max_retries=self.max_retries,
            backoff_base=self.backoff_base,
            backoff_max=self.backoff_max,
        )

    def to_json(self) -> str:
        return json.dumps(attrs.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Self:
        """The stored settings; names this version does not know are ignored."""
        values = json.loads(text)
        known = {field.name for field in attrs.fields(cls)}
        return cls(**{name: value for name, value in values.items() if name in known})


@attrs.frozen(kw_only=True)
class WorkerSummary:
    """What one worker did for a run; each kind's summary adds its own counts."""

    run_id: str
    worker: str
    claims: int = 0
    failed: int = 0
    """Items the centre refused (or, for rows, out of tries without an answer: released)."""
    reconciled: int = 0
    """Items settled from the centre's records after a lost answer, without a resend."""
    lease_lost: int = 0
    """Claims in which an item was taken over by another worker while this one held it."""
    halted: str | None = None
    interrupted: bool = False
    elapsed: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Plain values (an arq job's result)."""
        return attrs.asdict(self)


class ClaimLoop(Generic[ClaimT]):
    """The one claim / renew / settle / release loop of a worker, for every kind of leased run.

    Claim a batch, settle it (:meth:`settle_claim`, the kind's), release what is left
    unsettled, repeat until the run is finished, halted or ``stop`` is set; meanwhile
    :func:`keep_leases` renews what is held.  When every remaining item is in other workers'
    hands, wait for them, or for a lease to run out (a crashed worker's items come back).
    A lost lease ends the claim's settling (the new holder settles those items); a halt is
    recorded in the run, and every worker stops at its next claim or renewal.
    """

    item_count: ClassVar[str] = "items"
    """The counter of claimed items in :attr:`counts` (``rows``, ``requests``)."""

    def __init__(
        self,
        store: _ClaimingStore[ClaimT],
        *,
        batch_size: int,
        lease: float,
        label: str,
        stop: anyio.Event | None,
        counters: Sequence[str] = (),
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
        self.counts = dict.fromkeys(("claims", self.item_count, *counters, "lease_lost"), 0)

    async def settle_claim(self, claim: ClaimT) -> None:
        """Settle a claim's items (the kind's own way)."""
        raise NotImplementedError

    async def after_claim(self, claim: ClaimT) -> None:
        """Last writes before the claim's items are released (shielded from cancellation)."""

    def stopping(self) -> None:
        """Called when the worker stops (a halt, or ``stop``): stop what is in flight too."""
        self.stop.set()

    def summary(self, **counts: Any) -> dict[str, Any]:
        """The fields every :class:`WorkerSummary` has, and this worker's counts."""
        return {
            "halted": self.halted,
            "interrupted": self.stop.is_set() and self.halted is None,
            "elapsed": anyio.current_time() - self.started,
            **self.counts,
            **counts,
        }

    async def settle(self, claim: ClaimT) -> bool:
        """Settle a claim's items and release the rest; ``False`` if the claim held none."""
        keys = claim.keys
        if not keys:
            return False
        self.held.update(keys)
        self.counts["claims"] += 1
        self.counts[self.item_count] += len(keys)
        try:
            await self.settle_claim(claim)
        except* LeaseLostError as group:
            self.lost(group.exceptions[0])
        finally:
            with anyio.CancelScope(shield=True):
                await self.after_claim(claim)
                await anyio.to_thread.run_sync(self.claims.release, keys)
            self.held.difference_update(keys)
        return True

    def lost(self, exc: BaseException) -> None:
        """This worker's claim on an item was taken over: count it; the new holder settles."""
        self.counts["lease_lost"] += 1
        logger.warning("%s lost a claim: %s", self.label, exc)

    async def halt_run(self, reason: str) -> None:
        """Stop the whole run (the access token was refused …): every worker stops."""
        if self.halted is None:
            self.halted = redact(reason)
            await anyio.to_thread.run_sync(self.claims.halt, reason)
            logger.error("%s halted the run: %s", self.label, self.halted)
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
