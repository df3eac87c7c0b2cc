"""Where the scale-out keeps its state in Redis, and how the access token and workers are named.

Nothing in Redis names the access token: the pace is keyed by :func:`token_id`, a SHA-256 of the
token with a domain prefix (so that the digest is useless anywhere else), cut to 128 bits.  A
run's items live under the run's own name.  Every key carries a *hash tag* (``{…}``) so that
all keys one Lua script touches hash to the same slot of a Redis Cluster.  This module imports
no Redis client: the CLI checks run ids with it on the core install.

Layout (``<ns>``: ``run`` for registration rows, ``upload`` for upload requests)::

    idcode:pace:{<token id>}            hash  the pace of one access token (lanes, leases)
    idcode:pace:{<token id>}:log        list  the last slots: grant, end, pause (µs)
    idcode:<ns>:{<run>}:meta            hash  settings, target centre, facts, halt reason
    idcode:<ns>:{<run>}:item:<id>       hash  one item: state, bucket, lease, its fields
    idcode:<ns>:{<run>}:blob:<id>       str   an upload chunk's bytes, until accepted
    idcode:<ns>:{<run>}:order           zset  every item, by row or plan position
    idcode:<ns>:{<run>}:todo            zset  items that may be claimed now
    idcode:<ns>:{<run>}:held            zset  claimed items, by lease expiry (µs, Redis time)
    idcode:<ns>:{<run>}:stuck           zset  items set aside without an outcome
    idcode:<ns>:{<run>}:failed          zset  items whose outcome is ``failed``
    idcode:<ns>:{<run>}:groups          hash  normalised unit name -> row keys
    idcode:<ns>:{<run>}:uniques         hash  accepted ``uploadcode_id`` -> request
    idcode:<ns>:{<run>}:counts          hash  items per bucket, submissions, codes
    idcode:<ns>:{<run>}:events          list  the last transitions (JSON), for operators
    idcode:<ns>:{<run>}:invalid         list  rows refused by the pre-flight check (JSON)
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import uuid
from typing import Final

import attrs

from .._validators import shown

__all__ = ["PaceKeys", "StoreKeys", "check_run_id", "default_worker_id", "loader_id", "token_id"]

_TOKEN_DOMAIN: Final = b"idcode-async/access-token\x00"
_RUN_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SCRIPT_KEYS: Final = ("meta", "order", "todo", "held", "stuck", "failed", "groups", "uniques")
_SCRIPT_KEYS_TAIL: Final = ("counts", "events")


def token_id(access_token: str) -> str:
    """The access token's name in Redis: 32 hex digits of a domain-separated SHA-256."""
    if not access_token:
        raise ValueError("an access token is required")
    return hashlib.sha256(_TOKEN_DOMAIN + access_token.encode("utf-8")).hexdigest()[:32]


def default_worker_id() -> str:
    """``host/pid/random``: unique per worker (and per pacer), readable in the run's events."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


def loader_id() -> str:
    return f"loader/{socket.gethostname()}/{os.getpid()}"


def check_run_id(run_id: str) -> str:
    """A run's name: 1-64 letters, digits, ``.``, ``_``, ``-``; it appears in keys as is."""
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise ValueError(
            f"run id must be 1-64 letters, digits, '.', '_' or '-' (starting with a letter or "
            f"digit), got {shown(run_id)}"
        )
    return run_id


@attrs.frozen
class PaceKeys:
    state: str
    log: str

    @classmethod
    def for_token(cls, access_token: str) -> PaceKeys:
        base = f"idcode:pace:{{{token_id(access_token)}}}"
        return cls(state=base, log=f"{base}:log")


class _Key:
    """A key of the run named like the attribute (``keys.todo`` is ``<base>:todo``): each is
    declared, so a mistyped name fails type checking instead of reading an empty key."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, keys: StoreKeys, owner: type | None = None) -> str:
        return f"{keys.base}:{self.name}"


@attrs.frozen
class StoreKeys:
    """Where one leased run lives; the layout is the same for every item kind."""

    base: str
    hashed: bool
    """Whether item keys are hashed into ids (upload keys are JSON arrays)."""
    meta = _Key()
    order = _Key()
    todo = _Key()
    held = _Key()
    stuck = _Key()
    failed = _Key()
    groups = _Key()
    uniques = _Key()
    counts = _Key()
    events = _Key()
    invalid = _Key()

    @classmethod
    def for_run(cls, namespace: str, run_id: str, *, hashed: bool = False) -> StoreKeys:
        return cls(f"idcode:{namespace}:{{{check_run_id(run_id)}}}", hashed)

    @property
    def item_prefix(self) -> str:
        return f"{self.base}:item:"

    @property
    def blob_prefix(self) -> str:
        return f"{self.base}:blob:"

    def ident(self, key: str) -> str:
        """An item's id in key names: an upload request's is 32 hex digits of the SHA-256 of its
        manifest key (the key itself is a JSON array, awkward in key names)."""
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] if self.hashed else key

    def item(self, key: str) -> str:
        return self.item_prefix + self.ident(key)

    def blob(self, key: str) -> str:
        return self.blob_prefix + self.ident(key)

    @property
    def script_keys(self) -> list[str]:
        """The fixed KEYS of every store script, in the order the scripts expect."""
        return [f"{self.base}:{name}" for name in (*_SCRIPT_KEYS, *_SCRIPT_KEYS_TAIL)]
