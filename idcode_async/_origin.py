"""Origins: who may receive a signed request, and when a base URL travels in clear.

The access token, the ``hash`` and passwords belong to the centre alone.  An origin is the
scheme, host and port of a URL (RFC 6454); the client signs requests for the origin of its
``base_url`` and for no other (answers of 603, 701 and 504 hand out URLs on other hosts).
"""

from __future__ import annotations

import ipaddress
import warnings

import httpx

__all__ = ["InsecureBaseUrlWarning", "Origin", "origin_of", "shown_url", "warn_if_cleartext"]

Origin = tuple[str, str, int]
"""``(scheme, host, port)`` with the port made explicit."""

_DEFAULT_PORTS = {"http": 80, "https": 443}


class InsecureBaseUrlWarning(UserWarning):
    """The base URL is plain ``http://`` on a non-loopback host: secrets travel in clear."""


def origin_of(url: httpx.URL) -> Origin:
    """The origin of ``url``; hosts compare case-insensitively, default ports explicitly."""
    scheme = url.scheme.lower()
    port = url.port if url.port is not None else _DEFAULT_PORTS.get(scheme, 0)
    return scheme, url.host.lower(), port


def shown_url(url: httpx.URL) -> str:
    """``url`` for a ``repr``: a password in its userinfo (a proxy's, say) shows as ``***``."""
    return str(url.copy_with(username=url.username, password="***") if url.password else url)


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_warned: set[Origin] = set()


def warn_if_cleartext(url: httpx.URL) -> None:
    """Warn once per origin when ``url`` is plain http on a host other than loopback.

    Called from the client's constructor (through one helper): the warning points at the
    caller that built the client.
    """
    origin = origin_of(url)
    if origin[0] != "http" or _is_loopback(origin[1]) or origin in _warned:
        return
    _warned.add(origin)
    warnings.warn(
        f"base_url http://{origin[1]}:{origin[2]} is not https: the access token, the "
        "signature and passwords would travel in clear",
        InsecureBaseUrlWarning,
        stacklevel=4,
    )
