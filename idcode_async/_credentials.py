"""Credentials for ``IdcodeClient()``: explicit arguments first, then the environment.

SDK users expect ``IdcodeClient()`` to work like ``httpx``/``anthropic`` clients do when the
deployment sets the credentials (12-factor style).  The variable names are the ones every
``idcode`` command and the arq worker read (:mod:`._env`), so one set of variables configures
them all.  A missing credential is a :class:`UsageError` that names the argument and the
variable, never their values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import attrs
import httpx

from ._env import ENV_AUTH_CODE, ENV_BASE_URL, ENV_TOKEN
from ._errors import UsageError

__all__ = ["Credentials", "checked_base_url", "resolve_credentials"]


@attrs.frozen(repr=False)
class Credentials:
    """The SP's key and authorisation code (seed §三/§四) and the centre's base URL."""

    access_token: str
    auth_code: str
    base_url: str | httpx.URL

    def __repr__(self) -> str:
        return f"Credentials(access_token='***', auth_code='***', base_url={str(self.base_url)!r})"


def resolve_credentials(
    access_token: str | None,
    auth_code: str | None,
    base_url: str | httpx.URL | None,
    *,
    default_base_url: str,
    environ: Mapping[str, str] | None = None,
) -> Credentials:
    """Each argument given wins; ``None`` falls back to its ``IDCODE_*`` variable.

    An empty variable counts as unset.  Without a base URL anywhere, ``default_base_url`` (the
    centre's test host) is used; the two credentials have no default.
    """
    env = os.environ if environ is None else environ
    token = _pick(access_token, env.get(ENV_TOKEN))
    code = _pick(auth_code, env.get(ENV_AUTH_CODE))
    if token is None or code is None:
        missing = [
            f"{argument} (or ${variable})"
            for argument, variable, value in (
                ("access_token", ENV_TOKEN, token),
                ("auth_code", ENV_AUTH_CODE, code),
            )
            if value is None
        ]
        raise UsageError(f"IdcodeClient needs {' and '.join(missing)}")
    url = base_url if base_url is not None else env.get(ENV_BASE_URL) or default_base_url
    return Credentials(token, code, checked_base_url(url))


def checked_base_url(value: object) -> httpx.URL:
    """An absolute ``http(s)://host`` URL, or a :class:`UsageError` that quotes none of it.

    httpx accepts ``""``, ``"noscheme"`` or ``"://x"`` as a (relative) base and only fails on
    the first request, with a raw ``ValueError``; a wrong type, a NUL or a lone surrogate fail
    with ``TypeError``/``InvalidURL``/``UnicodeEncodeError``.  A base URL may carry userinfo
    (``https://user:pw@host``), so the message names the problem, never the value.
    """
    if not isinstance(value, str | httpx.URL):
        raise UsageError(f"base_url must be text or an httpx.URL, not {type(value).__name__}")
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, ValueError, UnicodeError):
        raise UsageError("base_url is not a valid URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise UsageError("base_url must be an absolute http:// or https:// URL with a host")
    if url.port is not None and not 0 < url.port < 65536:  # else OverflowError on connect
        raise UsageError("base_url has a port outside 1-65535")
    return url


def _pick(argument: str | None, variable: str | None) -> str | None:
    """The argument when given (even empty: :class:`IdcodeAuth` refuses it), else the variable."""
    if argument is not None:
        return argument
    return variable or None
