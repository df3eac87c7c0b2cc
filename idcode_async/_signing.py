"""The document's HTTP signature (seed §四), as pure functions.

The centre verifies a request by rebuilding ``path?k1=v1&k2=v2…`` from the parameters it
decoded, sorted by name, appending the system authorisation code and comparing the upper-case
MD5.  Values therefore enter the canonical string *raw* (decoded); percent-encoding belongs to
the wire only.  File parameters and ``hash`` itself are never signed.

The canonical string holds the authorisation code, the access token and any password, so no
exception may ever carry it: text that cannot be encoded (a lone surrogate) is reported as a
:class:`ValidationError` naming the parameter, raised outside the failed encoding so that no
``__context__`` links back to it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping

from ._errors import UsageError, ValidationError

__all__ = ["HASH_PARAM", "TIME_PARAM", "canonical_string", "current_millis", "sign"]

HASH_PARAM = "hash"
TIME_PARAM = "time"


def canonical_string(path: str, params: Mapping[str, str]) -> str:
    """``path?k=v&…`` with parameters sorted by name (code-point order), ``hash`` left out.

    Arguments of the wrong shape (``params`` not a mapping of text) are a :class:`UsageError`;
    the check costs nothing on the way in, only a failure is diagnosed.
    """
    try:
        return f"{path}?{_joined(params)}"
    except (TypeError, ValueError, LookupError, AttributeError):
        pass
    # raised outside the handler: the parser's error is no part of the report
    raise UsageError(_ARGUMENTS)


def _joined(params: Mapping[str, str]) -> str:
    """``k=v`` joined by ``&`` in name order, ``hash`` left out; text values at C speed
    (sorted pairs: the names are unique, so the values never decide), others formatted."""
    names = sorted(params)
    if HASH_PARAM in params:
        names.remove(HASH_PARAM)
    try:
        return "&".join(map("=".join, zip(names, map(params.__getitem__, names), strict=True)))
    except TypeError:  # a value that is not text: formatted as the document's text
        return "&".join([f"{name}={params[name]}" for name in names])


_ARGUMENTS = "signing takes a text path and a mapping of text parameter names to text values"


def sign(path: str, params: Mapping[str, str], auth_code: str) -> str:
    """The ``hash`` value: MD5 over UTF-8 of the canonical string plus the authorisation code."""
    if not isinstance(auth_code, str) or not isinstance(path, str):
        raise UsageError("sign() takes a text path and a text auth_code")
    encoded = _utf8(canonical_string(path, params) + auth_code)
    if encoded is None:
        raise ValidationError(_unencodable(path, params), _UNENCODABLE)
    return hashlib.md5(encoded).hexdigest().upper()


_UNENCODABLE = "contains text that cannot be encoded as UTF-8 (e.g. a lone surrogate)"


def _utf8(text: str) -> bytes | None:
    """UTF-8 bytes of ``text``, or ``None``: the error (which quotes the text) is dropped here."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


def _unencodable(path: str, params: Mapping[str, str]) -> str:
    """The name of the first part that cannot be encoded (never its value)."""
    if _utf8(path) is None:
        return "path"
    for name in sorted(params):
        if _utf8(name) is None or _utf8(params[name]) is None:
            return name if _utf8(name) is not None else "<parameter name>"
    return "auth_code"


def current_millis() -> int:
    """Epoch milliseconds (13 digits), the document's ``time`` parameter."""
    return time.time_ns() // 1_000_000
