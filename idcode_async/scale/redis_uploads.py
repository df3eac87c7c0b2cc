"""The shared manifest of a multi-worker code upload (5011–5014, seed §十): leased requests.

:class:`~idcode_async.uploads.UploadManifest` (SQLite) stays the single-machine default.
:class:`RedisUploadManifest` keeps the same states in the leased store: a request's fields are
its plan record, its blob the 5011 chunk (deleted once accepted), its unique field the
``uploadcode_id``.  Claims wait until the operator has loaded the run and taken the 502
baseline (the run is *gated*).  The intent's ``intent_ms`` is Redis's clock, the one the
reconciliation grace is measured with on every worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, cast

import attrs

from ..durable.store import LeaseLostError
from ..uploads.manifest import EntryState, ManifestEntry, RequestRecord, UploadManifest
from .leased_store import LeasedStore

__all__ = ["LeaseLostError", "RedisUploadManifest"]


class RedisUploadManifest(LeasedStore[ManifestEntry, ManifestEntry]):
    """The manifest of one shared upload run, as worker ``worker`` writes it: fenced by its
    claims."""

    twin: ClassVar = UploadManifest
    namespace: ClassVar = "upload"
    hashed: ClassVar = True
    settled_states: ClassVar = ("accepted", "failed")
    gated: ClassVar = True
    kept: ClassVar = ("prefix_str",)

    def load(self, record: RequestRecord, blob: str = "") -> tuple[bool, EntryState]:
        """Enter one request (and its 5011 chunk as text); returns whether it is new and its
        state in the run."""
        fields = {
            name: str(value) for name, value in attrs.asdict(record).items() if value is not None
        }
        fields.update(weight=str(record.count), reconciled="0")
        item = (self.keys.ident(record.key), record.seq, fields, blob)
        created, [state] = self._load_items([item])
        return bool(created), EntryState(state)

    def blob(self, key: str) -> str | None:
        value = self.redis.get(self.keys.blob(key))
        return None if value is None else str(value)

    def stuck(self) -> list[tuple[ManifestEntry, str]]:
        """Requests set aside, with the reason."""
        ids = cast(list[str], self.redis.zrange(self.keys.stuck, 0, -1))
        pairs = zip(ids, self._hashes(ids), strict=True)
        return [(self._entry(i, f), f.get("stuck_reason", "")) for i, f in pairs if f]

    def _items(self, ids: Sequence[str]) -> list[ManifestEntry]:
        return self._entries(ids)
