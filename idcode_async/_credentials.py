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

__all__ = ["Credentials", "resolve_credentials"]


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
    return Credentials(token, code, url)


def _pick(argument: str | None, variable: str | None) -> str | None:
    """The argument when given (even empty: :class:`IdcodeAuth` refuses it), else the variable."""
    if argument is not None:
        return argument
    return variable or None
