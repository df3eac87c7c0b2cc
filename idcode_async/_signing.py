"""The document's HTTP signature (seed §四), as pure functions.

The centre verifies a request by rebuilding ``path?k1=v1&k2=v2…`` from the parameters it
decoded, sorted by name, appending the system authorisation code and comparing the upper-case
MD5.  Values therefore enter the canonical string *raw* (decoded); percent-encoding belongs to
the wire only.  File parameters and ``hash`` itself are never signed.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping

__all__ = ["HASH_PARAM", "TIME_PARAM", "canonical_string", "current_millis", "sign"]

HASH_PARAM = "hash"
TIME_PARAM = "time"


def canonical_string(path: str, params: Mapping[str, str]) -> str:
    """``path?k=v&…`` with parameters sorted by name (code-point order), ``hash`` left out."""
    pairs = "&".join(f"{name}={params[name]}" for name in sorted(params) if name != HASH_PARAM)
    return f"{path}?{pairs}"


def sign(path: str, params: Mapping[str, str], auth_code: str) -> str:
    """The ``hash`` value: MD5 over UTF-8 of the canonical string plus the authorisation code."""
    digest = hashlib.md5((canonical_string(path, params) + auth_code).encode("utf-8"))
    return digest.hexdigest().upper()


def current_millis() -> int:
    """Epoch milliseconds (13 digits), the document's ``time`` parameter."""
    return time.time_ns() // 1_000_000
