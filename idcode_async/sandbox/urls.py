"""URL rules: resolve URLs and sample URLs (seed §十三), page callbacks (401/405/408/607).

The document shows what a resolve URL (``gotourl``) may look like but not what the centre
rejects, so the sandbox takes the narrowest reading that admits every example: an absolute
``http``/``https`` URL with a host, no spaces, and braces only around the four documented
placeholders ``{fullCode}``, ``{mainCode}``, ``{catalogCode}``, ``{userCode}`` (30002
otherwise).  A sample URL "matches" its resolve URL (else 30005) when it is itself a valid URL
on the same host: it is where a scan lands, and a scan never leaves the resolve URL's host.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

__all__ = ["PLACEHOLDERS", "append_query", "is_http_url", "resolve_url_problem", "sample_matches"]

PLACEHOLDERS: Final = frozenset({"fullCode", "mainCode", "catalogCode", "userCode"})
_BRACED: Final = re.compile(r"\{([^{}]*)\}")


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return parts


def is_http_url(url: str) -> bool:
    """An absolute http(s) URL with a host and no whitespace."""
    return not any(ch.isspace() for ch in url) and _split(url) is not None


def resolve_url_problem(url: str) -> str | None:
    """Why ``url`` is not an acceptable resolve URL (30002), or ``None``."""
    if not is_http_url(url):
        return "resolve URL must be an absolute http(s) URL"
    placeholders = _BRACED.findall(url)
    unknown = [name for name in placeholders if name not in PLACEHOLDERS]
    if unknown:
        return f"unknown placeholder {{{unknown[0]}}}"
    if _BRACED.sub("", url).count("{") or _BRACED.sub("", url).count("}"):
        return "unbalanced braces in resolve URL"
    return None


def sample_matches(sample_url: str, gotourl: str) -> bool:
    """Whether ``sample_url`` can be where a scan of ``gotourl`` lands (same host)."""
    sample, target = _split(sample_url), _split(gotourl)
    if sample is None or target is None or not is_http_url(sample_url):
        return False
    return (sample.hostname or "").lower() == (target.hostname or "").lower()


def append_query(url: str, name: str, value: str) -> str:
    """``url`` with ``name=value`` added to its query, keeping its own query and fragment.

    ``/`` and ``.`` stay readable in the value (an IDcode is full of them); everything else
    that needs it is percent-encoded.
    """
    parts = urlsplit(url)
    pair = f"{quote(name, safe='')}={quote(value, safe='/.:')}"
    query = parts.query.rstrip("&")
    query = f"{query}&{pair}" if query else pair
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
