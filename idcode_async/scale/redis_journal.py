"""The shared journal of a multi-worker registration run (309): rows claimed with leases.

:class:`~idcode_async.registration.SqliteJournal` stays the single-machine default.
:class:`RedisJournal` keeps the same rows and states in the leased store.  A row taken over
after its holder crashed may be ``in_flight`` or ``unknown``: the batch runner already looks
such rows up with 307 before any resend; the claim only decides *who* does that.

Durability: Redis acknowledges a write once it is applied in memory; for the intent to survive
a crash of Redis itself, run it with ``appendonly yes`` and ``appendfsync always``
(``docs/scale-out.md``).  A row's fields never include the access token, the authorisation code
or a password (their names are checked against the batch denylist).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from typing import ClassVar, cast

import attrs

from .._denylist import check_no_secret_names
from ..durable.store import LeaseLostError
from ..registration.inputs import registration_from_mapping
from ..registration.journal import JournalEntry, JournalError, SqliteJournal, journal_data
from ..registration.records import UnitRegistration
from .leased_store import LeasedStore

__all__ = ["ClaimedRow", "LeaseLostError", "RedisJournal"]


@attrs.frozen
class ClaimedRow:
    """A claimed row: its journal entry and the registration to send."""

    entry: JournalEntry
    record: UnitRegistration

    @property
    def key(self) -> str:
        return self.entry.key


class RedisJournal(LeasedStore[ClaimedRow, JournalEntry]):
    """The batch journal of one run, as worker ``worker`` writes it: fenced by its claims."""

    twin: ClassVar = SqliteJournal
    namespace: ClassVar = "run"
    settled_states: ClassVar = ("done",)
    intent_state: ClassVar = "in_flight"

    claimed: tuple[str, ...] | None = None
    """The claim this journal is a :meth:`view` of (``None``: the whole run)."""

    def entries(self) -> list[JournalEntry]:
        """Every row of the run (row order), or, through a claim's :meth:`view`, what the batch
        runner needs of it: the claimed rows and the rows that share a unit name with them (a
        row whose name an earlier request of the run may have registered is looked up with 307
        before it is sent).  Reading all of a large run for every claim would be waste."""
        if self.claimed is None:
            return super().entries()
        return self._entries(self._siblings(self.claimed))

    def view(self, keys: Iterable[str]) -> RedisJournal:
        """This journal as the runner sees it for one claim (see :meth:`entries`); every write
        is the shared journal's own, fenced by the claim."""
        view = copy.copy(self)
        view.claimed = tuple(keys)
        return view

    def load(self, rows: Sequence[tuple[int, UnitRegistration]]) -> int:
        """Enter checked (row number, record) rows; returns how many were new.  A row already
        in the run keeps its state: loading the same input again resumes the run."""
        items = []
        for row, record in rows:
            values = record.wire_values()
            check_no_secret_names(values, where=f"run {self.run_id}")
            fields = {
                **journal_data(record),
                "row": str(row),
                "group": record.name_key,
                "record": json.dumps(values, ensure_ascii=False, separators=(",", ":")),
                "reconciled": "0",
            }
            items.append((record.key, row, fields, ""))
        return self._load_items(items)[0]

    def _items(self, ids: Sequence[str]) -> list[ClaimedRow]:
        rows = []
        for key, fields in zip(ids, self._hashes(ids), strict=True):
            record = registration_from_mapping(json.loads(fields["record"]))
            if record.key != key:
                raise JournalError(f"row {key[:12]}… of run {self.run_id} does not match its key")
            rows.append(ClaimedRow(self._entry(key, fields), record))
        return rows

    def _siblings(self, keys: Sequence[str]) -> list[str]:
        """Keys of the rows that share a unit name with any of ``keys`` (``keys`` included)."""
        wanted = [f["group"] for f in self._hashes(keys) if f]
        found = dict.fromkeys(keys)
        namesakes = self.redis.hmget(self.keys.groups, wanted) if wanted else []
        for value in cast(list[str | None], namesakes):
            found.update(dict.fromkeys((value or "").split()))
        return list(found)
