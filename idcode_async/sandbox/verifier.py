"""How the centre checks a request (seed §四), written apart from the SDK's signer on purpose.

This module imports nothing from the SDK: a sandbox that reused the client's signer would
agree with any bug in it.  It works on *decoded* parameters, as the centre does: the query
string or form is percent-decoded first, then ``path?k1=v1&k2=v2…`` is rebuilt with the
parameters sorted by name (``hash`` left out), the system authorisation code is appended
without a separator, and the upper-case MD5 over UTF-8 must equal ``hash``.  A client that
hashes percent-encoded values therefore fails here, as it fails on the real centre.

Endpoint 402 carries ``json_str``, ``time`` and ``hash`` only; its access token is the
``access_token`` member of the JSON in ``json_str`` (seed 402).

Everything here is a pure function of its arguments (the current time is a parameter), so
the document's golden example is checkable without a clock.  The document names no result
code for a bad signature or a stale ``time``; the sandbox answers 10000 (参数错误) for both.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping

import attrs

__all__ = [
    "HASH",
    "JSON_STR",
    "TIME",
    "TOKEN",
    "Verdict",
    "canonical_string",
    "expected_hash",
    "signature_matches",
    "token_of",
    "verify_request",
]

HASH = "hash"
TIME = "time"
TOKEN = "access_token"
JSON_STR = "json_str"


def canonical_string(path: str, params: Mapping[str, str]) -> str:
    """Step two of §四: ``path?`` then ``name=value`` pairs sorted by name, ``hash`` excluded."""
    pairs = sorted((name, value) for name, value in params.items() if name != HASH)
    return path + "?" + "&".join(f"{name}={value}" for name, value in pairs)


def expected_hash(path: str, params: Mapping[str, str], auth_code: str) -> str:
    """Step three of §四: MD5 (32 upper-case hex digits) of the canonical string + auth code."""
    text = canonical_string(path, params) + auth_code
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def signature_matches(path: str, params: Mapping[str, str], auth_code: str) -> bool:
    """True when ``params["hash"]`` is exactly the hash the centre computes."""
    given = params.get(HASH, "")
    return hmac.compare_digest(given.encode(), expected_hash(path, params, auth_code).encode())


def token_of(params: Mapping[str, str], *, token_in_json: bool = False) -> str | None:
    """The access token of a request: a parameter, or inside 402's ``json_str``."""
    if not token_in_json:
        return params.get(TOKEN) or None
    try:
        envelope = json.loads(params.get(JSON_STR, ""))
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's stack
        return None
    token = envelope.get(TOKEN) if isinstance(envelope, dict) else None
    return token if isinstance(token, str) and token else None


@attrs.frozen
class Verdict:
    """The outcome of checking one request: ``code`` 1 means accepted."""

    code: int
    reason: str = ""
    """Why it was refused, in English (sent as the ``X-Sandbox-Reason`` header)."""
    signature_failure: bool = False

    @property
    def ok(self) -> bool:
        return self.code == 1


def verify_request(
    path: str,
    params: Mapping[str, str],
    *,
    keys: Mapping[str, str],
    disabled_keys: frozenset[str] = frozenset(),
    now_ms: int,
    skew_ms: int,
    token_in_json: bool = False,
) -> Verdict:
    """Check key, ``time`` and ``hash`` in the order the answers are most useful.

    10001 no such key · 10002 disabled key · 10000 missing/malformed/stale ``time``, missing
    ``hash`` or a hash that does not match (``signature_failure`` set).
    """
    if token_in_json and JSON_STR not in params:
        return Verdict(10000, "json_str is missing")
    token = token_of(params, token_in_json=token_in_json)
    if token is None:
        return Verdict(10001, "access_token is missing")
    if token in disabled_keys:
        return Verdict(10002, "access_token is disabled")
    auth_code = keys.get(token)
    if auth_code is None:
        return Verdict(10001, "access_token is unknown")
    stamp = params.get(TIME, "")
    if not stamp:
        return Verdict(10000, "time is missing")
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) == 13):
        return Verdict(10000, "time must be 13-digit epoch milliseconds")
    if not params.get(HASH):
        return Verdict(10000, "hash is missing")
    if not signature_matches(path, params, auth_code):
        return Verdict(10000, "hash does not match (values are signed decoded)", True)
    if abs(int(stamp) - now_ms) > skew_ms:
        return Verdict(10000, f"time is more than {skew_ms // 1000} s from the centre's clock")
    return Verdict(1)
