"""The one exactly-once engine: intent → send → classify → backoff → look up → outcome.

Both workflows, 309 registration and 5011–5014 uploads, on every store (SQLite, Redis), are
this loop; what differs is a :class:`Workflow` object: how an item is sent, how an answer that
was lost is looked up (307 for 309; 403/502/505 for uploads), what counts as done already.
``registration/runner.py`` and ``uploads/executor.py`` are the two; a third is one such module
that opens its store with :func:`opened` and hands its items to :meth:`Engine.drain`.

**One retry layer.**  Every attempt takes a pacer slot, journals its intent inside it (fsynced
or fenced by the store) and calls the client with its own retries off (``retries=0``), so the
attempts per item are exactly ``retry.max_retries + 1`` and each one is paced.  The answer is
classified (:func:`~.outcome.classify`):

- success → the workflow's ``accepted``;
- already done / refused → the workflow's ``refused`` (it settles the item, or stops the run);
- the access token refused → the item goes back to pending and the run stops;
- the centre provably did not act (busy, no connection) → pending, backoff, send again;
- the answer was lost → ``unknown``, backoff, then the workflow's ``look_up`` *before* any
  resend: found → settled without a request; not there → sent again; undecidable → left for
  the next run, never sent blindly.

Stopping: set ``stop`` (or call :meth:`Engine.abort`) and no new attempt starts; the one in
flight finishes.  Cancelling instead journals the in-flight item ``unknown`` (shielded) before
the cancellation propagates.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import AsyncIterator, Callable, Iterable
from functools import partial
from typing import Any, Final, Generic, Protocol, TypeVar, cast

import anyio
import anyio.to_thread
import attrs

from .._client import IdcodeClient
from .._errors import ApiError, IdcodeError
from .._logging import logger, redact
from .._retry import RetryPolicy
from .._spec import Endpoint, Response
from ..pacing import Pacer
from .outcome import ErrorKind, classify
from .store import Store

__all__ = [
    "DEFAULT_RETRY",
    "Engine",
    "Job",
    "Leave",
    "LookUp",
    "LookupFailed",
    "NotThere",
    "Settled",
    "Workflow",
    "opened",
    "relay",
    "write",
]

T = TypeVar("T")

DEFAULT_RETRY: Final = RetryPolicy(max_retries=5, backoff_base=1.0, backoff_max=30.0)
"""Per item and run: up to 6 attempts, full-jitter backoff from 1 s, capped at 30 s."""
ItemT = TypeVar("ItemT", contravariant=True)
AnswerT = TypeVar("AnswerT", bound=Response)
OutcomeT = TypeVar("OutcomeT")
StoreT = TypeVar("StoreT", bound="Closable")
WhereT = TypeVar("WhereT", bound="str | os.PathLike[str] | None")


@attrs.frozen
class Settled(Generic[OutcomeT]):
    """The lookup found the item done (the workflow has recorded it)."""

    outcome: OutcomeT


@attrs.frozen
class NotThere:
    """The centre does not hold the item: it is safe to send."""


@attrs.frozen
class LookupFailed:
    """The lookup itself got no answer: counts as a try, backoff, look again."""

    error: IdcodeError


@attrs.frozen
class Leave:
    """Not decidable now (or the run stopped): the item stays for the next run."""


LookUp = Settled[OutcomeT] | NotThere | LookupFailed | Leave


@attrs.frozen
class Job(Generic[T]):
    """An item to settle; ``look_first``: an earlier attempt may have reached the centre, so
    the workflow looks it up before any send; ``maybe_sent``: a request *of ours* may have."""

    item: T
    look_first: bool = False
    maybe_sent: bool = False


class Workflow(Protocol[ItemT, AnswerT, OutcomeT]):
    """What one exactly-once workflow adds to the engine.  ``maybe_sent``: an attempt of this
    item may have reached the centre before (in this run or an earlier one), so the workflow
    may read "already done" differently."""

    @property
    def exists_codes(self) -> frozenset[int]: ...

    @property
    def store(self) -> Store[Any]: ...

    def key(self, item: ItemT) -> str: ...

    def spec(self, item: ItemT) -> Endpoint[AnswerT]: ...

    async def look_up(self, item: ItemT, *, maybe_sent: bool) -> LookUp[OutcomeT]: ...

    async def accepted(self, item: ItemT, answer: AnswerT) -> OutcomeT: ...

    async def refused(
        self, item: ItemT, error: ApiError, kind: ErrorKind, *, maybe_sent: bool
    ) -> OutcomeT | None: ...

    async def exhausted(
        self, item: ItemT, error: IdcodeError, *, lost: bool, tries: int
    ) -> OutcomeT | None: ...


async def relay(stop: anyio.Event, action: Callable[[], object]) -> None:
    """Call ``action`` once ``stop`` is set (a task of a group cancelled when the work ends)."""
    await stop.wait()
    action()


async def write(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A store write off the event loop (fsync, Redis); it completes even if cancelled."""
    return await anyio.to_thread.run_sync(partial(func, *args, **kwargs))


class Closable(Protocol):
    def close(self) -> None: ...


@contextlib.asynccontextmanager
async def opened(
    store: StoreT | str | os.PathLike[str] | None, open_path: Callable[[WhereT], StoreT]
) -> AsyncIterator[StoreT]:
    """``store`` as it is (its caller owns it), or the store ``open_path`` opens where
    ``store`` says (a path; ``None`` for a store that takes it as "in memory"): off the event
    loop, since opening locks and may fsync, and closed on the way out even when the run is
    cancelled."""
    if store is not None and not isinstance(store, str | os.PathLike):
        yield store
        return
    owned = await anyio.to_thread.run_sync(open_path, cast(WhereT, store))
    try:
        yield owned
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(owned.close)


@attrs.define(eq=False)
class Engine(Generic[ItemT, AnswerT, OutcomeT]):
    """Drives items of one workflow to outcomes; one instance per run (or worker)."""

    client: IdcodeClient
    workflow: Workflow[ItemT, AnswerT, OutcomeT]
    pacer: Pacer = attrs.field(kw_only=True)
    retry: RetryPolicy = attrs.field(kw_only=True)
    rng: random.Random = attrs.field(kw_only=True)
    name: str = attrs.field(kw_only=True)
    halt: anyio.Event = attrs.field(init=False, factory=anyio.Event)
    abort_reason: str | None = attrs.field(init=False, default=None)
    sent: int = attrs.field(init=False, default=0)
    """Attempts started by this engine (intents recorded), resends included."""

    def abort(self, reason: str) -> None:
        """Stop the run: no new attempt starts; ``reason`` is kept for the caller."""
        if self.abort_reason is None:
            self.abort_reason = reason
            logger.error("%s: stopping: %s", self.name, reason)
        self.halt.set()

    async def drain(
        self,
        jobs: Iterable[Job[ItemT]],
        *,
        workers: int = 1,
        stop: anyio.Event | None = None,
        on_outcome: Callable[[OutcomeT], object] | None = None,
    ) -> None:
        """Settle ``jobs`` in order with ``workers`` at a time (each attempt still takes a
        pacer slot), until they run out or the run halts; hand each outcome to ``on_outcome``.

        ``jobs`` is read lazily, one job per free worker, so a generator may prepare each item
        just before it is settled.
        """
        queue = iter(jobs)

        async def worker() -> None:
            for job in queue:
                if self.halt.is_set() or (stop is not None and stop.is_set()):
                    return
                outcome = await self.settle(
                    job.item, look_first=job.look_first, maybe_sent=job.maybe_sent
                )
                if outcome is not None and on_outcome is not None:
                    on_outcome(outcome)

        async with anyio.create_task_group() as outer:
            if stop is not None:
                outer.start_soon(relay, stop, self.halt.set)
            async with anyio.create_task_group() as inner:
                for _ in range(max(1, workers)):
                    inner.start_soon(worker)
            outer.cancel_scope.cancel()

    async def settle(
        self, item: ItemT, *, look_first: bool = False, maybe_sent: bool = False
    ) -> OutcomeT | None:
        """Drive ``item`` to an outcome; ``None`` if it is left for the next run."""
        flow = self.workflow
        tries = 0
        while True:
            if look_first:
                found = await flow.look_up(item, maybe_sent=maybe_sent)
                if isinstance(found, Settled):
                    return found.outcome
                if isinstance(found, Leave):
                    return None
                if isinstance(found, LookupFailed):
                    tries += 1
                    if tries > self.retry.max_retries:
                        return await flow.exhausted(item, found.error, lost=True, tries=tries)
                    if not await self.backoff(tries):
                        return None
                    continue
                look_first = False
            answer = await self.send(item)
            if answer is None:
                return None
            if not isinstance(answer, IdcodeError):
                return await flow.accepted(item, answer)
            kind = classify(answer, flow.exists_codes)
            message = redact(str(answer))
            key = flow.key(item)
            if kind in (ErrorKind.EXISTS, ErrorKind.REFUSED):
                assert isinstance(answer, ApiError)
                return await flow.refused(item, answer, kind, maybe_sent=maybe_sent)
            if kind is ErrorKind.FATAL:
                assert isinstance(answer, ApiError)
                await write(flow.store.mark_pending, key, message)
                self.abort(f"the access token was refused ({answer.code}: {answer.message})")
                return None
            if kind is ErrorKind.NOT_APPLIED:
                await write(flow.store.mark_pending, key, message)
            else:
                await write(flow.store.mark_unknown, key, message)
                look_first = maybe_sent = True
            tries += 1
            if tries > self.retry.max_retries:
                lost = kind is ErrorKind.AMBIGUOUS
                return await flow.exhausted(item, answer, lost=lost, tries=tries)
            if not await self.backoff(tries):
                return None

    async def send(self, item: ItemT) -> AnswerT | IdcodeError | None:
        """One paced attempt, its intent journaled inside the slot, before the request.

        ``None``: the run was stopped while waiting for the slot, and nothing was sent.
        """
        flow = self.workflow
        key = flow.key(item)
        async with self.pacer.slot():
            if self.halt.is_set():
                return None
            await write(flow.store.mark_intent, key)
            self.sent += 1
            try:
                return await self.client.call(flow.spec(item), retries=0)
            except IdcodeError as exc:
                return exc
            except anyio.get_cancelled_exc_class():
                with anyio.CancelScope(shield=True):
                    await write(
                        flow.store.mark_unknown, key, "cancelled while the request was in flight"
                    )
                raise

    async def backoff(self, tries: int) -> bool:
        """Sleep the jittered backoff; ``False`` if the run was stopped meanwhile."""
        with anyio.move_on_after(self.retry.delay(tries, self.rng)):
            await self.halt.wait()
        return not self.halt.is_set()
