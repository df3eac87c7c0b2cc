"""The one store contract the engine and both workflows write through, and its errors.

A store (the SQLite journal or manifest, the leased Redis run of either) records an intent
before each attempt and what became of it after.  Every item kind (309 rows, 5011–5014
requests) goes through the same writes: :class:`Store` names them once, generic over the
kind's entry type, and each backend (:mod:`.sqlite`, ``idcode_async.scale.leased_store``)
implements them once for every kind.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Protocol, TypeVar

import attrs

from .._errors import IdcodeError

__all__ = [
    "Entry",
    "LeaseLostError",
    "Settlement",
    "Store",
    "StoreError",
    "StoreEvent",
    "StoreLockedError",
]

EntryT_co = TypeVar("EntryT_co", covariant=True)

_MAYBE_SENT: Final = frozenset({"intent", "in_flight", "unknown"})
"""The states an item is left in between an intent and a known outcome, in every kind."""


class StoreError(IdcodeError):
    """A store cannot be used as asked (another kind of file, another target, bad schema …)."""


class StoreLockedError(StoreError):
    """Another run holds the store (one run per file, by file identity)."""


class LeaseLostError(StoreError):
    """This worker no longer holds the item (its lease expired and another worker claimed it,
    or it never held it): the write was refused, and the item is the new holder's to settle."""


@attrs.frozen(kw_only=True)
class StoreEvent:
    """One transition of an item in a store's append-only event log."""

    key: str
    at_ms: int
    event: str
    detail: str | None


@attrs.frozen(kw_only=True, slots=False)
class Entry:
    """What every store reads back of an item, whatever its kind: the engine's bookkeeping.
    A kind's entry (``JournalEntry``, ``ManifestEntry``) adds its own fields and states.  Not
    slotted, so that an entry may also derive from its kind's description of the item."""

    key: str
    state: enum.StrEnum
    attempts: int = 0
    """Intents recorded for this item, over every run (≥ the requests actually sent)."""
    reconciled: bool = False
    """Settled from the centre's records after a lost answer, not from an answer."""
    message: str | None = None

    @property
    def maybe_sent(self) -> bool:
        """An attempt may have reached the centre and its outcome is not known."""
        return self.state in _MAYBE_SENT


@attrs.frozen(kw_only=True)
class Settlement:
    """What became of an item, as every store records it: the item is settled.

    ``outcome`` is the kind's word (``registered``/``existing``/``failed`` for 309 rows,
    ``accepted``/``failed`` for upload requests); a store refuses a word not of its kind.
    """

    outcome: str
    receipt: str | None = None
    """What the centre gave for the item: the unit's main code (309), the ``uploadcode_id``."""
    code: int | None = None
    """The result code of a refusal (or of an "already there" answer)."""
    message: str | None = None
    reconciled: bool = False
    """Settled from the centre's records after a lost answer, not from an answer."""
    data: Mapping[str, str] = attrs.field(factory=dict)
    """Item fields the answer corrects (the user name 309 answered)."""

    @property
    def detail(self) -> str:
        """The event log's line for it."""
        parts = (
            self.receipt,
            None if self.code is None else f"code={self.code}",
            "reconciled" if self.reconciled else None,
            self.message,
        )
        return " ".join(part for part in parts if part)


class Store(Protocol[EntryT_co]):
    """A store of one run's items of one kind; each write is durable (or fenced) when it
    returns.  Methods are synchronous: the engine calls them from worker threads, so that an
    fsync or a Redis round trip never stalls the event loop."""

    def bind(self, target: str | Mapping[str, str]) -> None:
        """Tie the store to one target (a base URL, or an upload's centre, unit, category …);
        refuse a different one later."""

    def add_pending(self, items: Iterable[tuple[str, int, Mapping[str, str]]]) -> None:
        """Enter (key, position, data) items not yet stored as ``pending``; one already there
        keeps its state.  A shared run's items enter with their payloads when it is loaded:
        there this only confirms that they are in it."""

    def mark_intent(self, key: str) -> int:
        """The attempt is about to be sent (event ``intent``); returns the attempt count."""

    def mark_unknown(self, key: str, message: str) -> None:
        """The attempt may have reached the centre; its answer was lost (event ``unknown``)."""

    def mark_pending(self, key: str, message: str, *, event: str | None = None) -> None:
        """The attempt provably had no effect; the item may be sent again (event ``event``,
        else ``not-applied``).  Every kind logs the same words; journals written before
        idcode-async 0.2 say ``sending``/``not-sent`` and are shown as written."""

    def settle(self, key: str, done: Settlement) -> None:
        """Record the item's outcome."""

    def reset_failed(self) -> int:
        """Put ``failed`` items back to ``pending`` (an operator's retry); returns how many."""

    def entry(self, key: str) -> EntryT_co | None:
        """One item by key (``None`` if absent)."""

    def entries(self) -> Sequence[EntryT_co]:
        """Every item, in order (row number, plan order)."""

    def get_fact(self, name: str) -> Any:
        """A value the run recorded (the category looked up, the baseline …), or ``None``."""

    def set_fact(self, name: str, value: Any) -> None: ...

    def now_ms(self) -> int:
        """The store's clock (epoch ms), the one its ``intent_ms`` are recorded with."""

    def close(self) -> None: ...
