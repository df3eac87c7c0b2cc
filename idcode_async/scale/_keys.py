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
    idcode:run:{<run>}:names            hash  normalised unit name -> row keys
    idcode:run:{<run>}:counts           hash  rows per state/outcome, submissions
    idcode:run:{<run>}:events           list  the last transitions (JSON), for operators
    idcode:run:{<run>}:invalid          list  rows refused by the pre-flight check (JSON)
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

import attrs

__all__ = ["PaceKeys", "RunKeys", "check_run_id", "token_id"]

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
class RunKeys:
    meta: str
    order: str
    todo: str
    held: str
    stuck: str
    failed: str
    names: str
    counts: str
    events: str
    invalid: str
    row_prefix: str

    @classmethod
    def for_run(cls, run_id: str) -> RunKeys:
        base = f"idcode:run:{{{check_run_id(run_id)}}}"
        return cls(
            meta=f"{base}:meta",
            order=f"{base}:order",
            todo=f"{base}:todo",
            held=f"{base}:held",
            stuck=f"{base}:stuck",
            failed=f"{base}:failed",
            names=f"{base}:names",
            counts=f"{base}:counts",
            events=f"{base}:events",
            invalid=f"{base}:invalid",
            row_prefix=f"{base}:row:",
        )

    def row(self, key: str) -> str:
        return self.row_prefix + key

    @property
    def script_keys(self) -> list[str]:
        """The fixed KEYS of every journal script, in the order the scripts expect."""
        return [
            self.meta,
            self.order,
            self.todo,
            self.held,
            self.stuck,
            self.failed,
            self.names,
            self.counts,
            self.events,
        ]
