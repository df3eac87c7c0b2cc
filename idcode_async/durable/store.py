"""The store contract the engine writes through, and the errors every store raises.

A store (the SQLite journal or manifest, the leased Redis run) records an intent before each
attempt and what became of it after; the engine needs only these three steps.  Each store adds
what its workflow reads back (outcomes, upload IDs …).
"""

from __future__ import annotations

from typing import Protocol

import attrs

from .._errors import IdcodeError

__all__ = [
    "IntentStore",
    "LeaseLostError",
    "StoreError",
    "StoreEvent",
    "StoreLockedError",
]


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


class IntentStore(Protocol):
    """The engine's three writes; each is durable (or fenced) when it returns."""

    def mark_intent(self, key: str) -> int:
        """The attempt is about to be sent; returns the attempt count."""
        ...

    def mark_unknown(self, key: str, message: str) -> None:
        """The attempt may have reached the centre; its answer was lost."""
        ...

    def mark_pending(self, key: str, message: str) -> None:
        """The attempt provably had no effect; the item may be sent again."""
        ...
