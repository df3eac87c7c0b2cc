"""Where the scale-out keeps its state in Redis, and how the access token is named there.

Nothing in Redis names the access token: the pace is keyed by :func:`token_id`, a SHA-256 of the
token with a domain prefix (so that the digest is useless anywhere else), cut to 128 bits.  A
run's rows live under the run's own name.  Every key carries a *hash tag* (``{…}``) so that all
keys one Lua script touches hash to the same slot of a Redis Cluster.

Layout::

    idcode:pace:{<token id>}            hash  the pace of one access token (lanes, leases)
    idcode:pace:{<token id>}:log        list  the last slots: grant, end, pause (µs)
    idcode:run:{<run>}:meta             hash  settings, target centre, token id, halt reason
    idcode:run:{<run>}:row:<row key>    hash  one row: state, outcome, lease, record
    idcode:run:{<run>}:order            zset  every row key, by row number
    idcode:run:{<run>}:todo             zset  rows that may be claimed now, by row number
    idcode:run:{<run>}:held             zset  claimed rows, by lease expiry (µs, Redis time)
    idcode:run:{<run>}:stuck            zset  rows claimed too often without an outcome
    idcode:run:{<run>}:failed           zset  rows whose outcome is ``failed``
    idcode:run:{<run>}:groups           hash  normalised unit name -> row keys
    idcode:run:{<run>}:uniques          hash  (uploads: accepted ``uploadcode_id`` -> request)
    idcode:run:{<run>}:counts           hash  rows per state/outcome, submissions
    idcode:run:{<run>}:events           list  the last transitions (JSON), for operators
    idcode:run:{<run>}:invalid          list  rows refused by the pre-flight check (JSON)
"""

from __future__ import annotations

import hashlib
import re
from typing import ClassVar, Final, Self

import attrs

__all__ = [
    "PaceKeys",
    "RunKeys",
    "StoreKeys",
    "UploadKeys",
    "check_run_id",
    "entry_id",
    "token_id",
]

_TOKEN_DOMAIN: Final = b"idcode-async/access-token\x00"
_RUN_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def token_id(access_token: str) -> str:
    """The access token's name in Redis: 32 hex digits of a domain-separated SHA-256."""
    if not access_token:
        raise ValueError("an access token is required")
    return hashlib.sha256(_TOKEN_DOMAIN + access_token.encode("utf-8")).hexdigest()[:32]


def check_run_id(run_id: str) -> str:
    """A run's name: 1-64 letters, digits, ``.``, ``_``, ``-``; it appears in keys as is."""
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise ValueError(
            f"run id must be 1-64 letters, digits, '.', '_' or '-' (starting with a letter or "
            f"digit), got {run_id!r}"
        )
    return run_id


@attrs.frozen
class PaceKeys:
    state: str
    log: str

    @classmethod
    def for_token(cls, access_token: str) -> PaceKeys:
        return cls.for_token_id(token_id(access_token))

    @classmethod
    def for_token_id(cls, tid: str) -> PaceKeys:
        base = f"idcode:pace:{{{tid}}}"
        return cls(state=base, log=f"{base}:log")


@attrs.frozen
class StoreKeys:
    """Where one leased run lives (:mod:`.leased_store`); the layout is the same for every
    item kind, only the namespace (``run``, ``upload``) and the item word differ."""

    meta: str
    order: str
    todo: str
    held: str
    stuck: str
    failed: str
    groups: str
    uniques: str
    counts: str
    events: str
    invalid: str
    item_prefix: str
    blob_prefix: str

    namespace: ClassVar[str] = "run"
    item_word: ClassVar[str] = "row"

    @classmethod
    def for_run(cls, run_id: str) -> Self:
        base = f"idcode:{cls.namespace}:{{{check_run_id(run_id)}}}"
        names = ("meta", "order", "todo", "held", "stuck", "failed", "groups", "uniques")
        return cls(
            **{name: f"{base}:{name}" for name in names},
            counts=f"{base}:counts",
            events=f"{base}:events",
            invalid=f"{base}:invalid",
            item_prefix=f"{base}:{cls.item_word}:",
            blob_prefix=f"{base}:blob:",
        )

    def ident(self, key: str) -> str:
        """An item's id in key names (the key itself by default)."""
        return key

    def item(self, key: str) -> str:
        return self.item_prefix + self.ident(key)

    def blob(self, key: str) -> str:
        return self.blob_prefix + self.ident(key)

    @property
    def script_keys(self) -> list[str]:
        """The fixed KEYS of every store script, in the order the scripts expect."""
        return [
            self.meta,
            self.order,
            self.todo,
            self.held,
            self.stuck,
            self.failed,
            self.groups,
            self.uniques,
            self.counts,
            self.events,
        ]


class RunKeys(StoreKeys):
    """A registration run: ``idcode:run:{<run>}``, one ``row:<key>`` hash per unit."""

    def row(self, key: str) -> str:
        return self.item(key)


def entry_id(key: str) -> str:
    """An upload request's name in Redis: 32 hex digits of the SHA-256 of its manifest key (the
    key itself is a JSON array, awkward in key names)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


class UploadKeys(StoreKeys):
    """An upload run: ``idcode:upload:{<run>}``, one ``req:<id>`` hash per request, the 5011
    chunks' bytes in ``blob:<id>`` until accepted, accepted ``uploadcode_id``s in ``uniques``."""

    namespace: ClassVar[str] = "upload"
    item_word: ClassVar[str] = "req"

    def ident(self, key: str) -> str:
        return entry_id(key)

    def request(self, key: str) -> str:
        return self.item(key)
