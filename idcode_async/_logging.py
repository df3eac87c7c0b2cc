"""Logging: metadata only, and redaction for any text that might carry a credential.

The SDK logs to ``logging.getLogger("idcode_async")``: endpoint, method, HTTP status, result
code, attempt and elapsed time.  It never logs URLs, parameters or bodies.  httpx logs every
request URL at INFO on its own logger; the one endpoint we send as GET (608) and page URLs
would expose the access token and hash there, so a redacting filter is installed on it.

httpx's line also quotes the answer's reason phrase, and httpcore's DEBUG records quote status
lines, headers and the parser's errors: text the peer chooses.  A gateway that echoes the
request puts the bare access token there, with no ``access_token=`` before it, so the filter
(on httpcore's loggers too) also masks the credentials of every client made in the process.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote_plus

__all__ = ["SECRET_PARAMS", "install_httpx_redaction", "logger", "redact"]

logger = logging.getLogger("idcode_async")

SECRET_PARAMS = (
    "access_token",
    "hash",
    "auth_code",
    "login_password",
    "login_pwd",
    "login_pswd",
    "password",
    "json_str",
)
_SECRET_QUERY = re.compile(r"(?i)\b(" + "|".join(SECRET_PARAMS) + r")=[^&\s'\"]*")
_SECRET_JSON = re.compile(r'(?i)"(access_token)"\s*:\s*"[^"]*"')


def redact(text: str) -> str:
    """Mask the values of credential parameters in a URL, query string or JSON text."""
    return _SECRET_JSON.sub(r'"\1":"***"', _SECRET_QUERY.sub(r"\1=***", text))


_secret_values: frozenset[str] = frozenset()
"""The credentials of the clients made in this process, as they may appear in a peer's text
(replaced whole, never changed in place: a filter may read it while a client is made in
another thread)."""
_MIN_SECRET = 4
"""Shorter values would mask ordinary text (as in :data:`._scrub.MIN_LENGTH`)."""


def _masked(text: str) -> str:
    text = redact(text)
    for secret in _secret_values:
        if secret in text:
            text = text.replace(secret, "***")
    return text


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _masked(str(arg)) if isinstance(arg, str) or _is_url(arg) else arg
                for arg in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        record.msg = _masked(str(record.msg))
        return True


def _is_url(value: object) -> bool:
    return type(value).__name__ == "URL"


_installed = False

_HTTP_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
"""A logger's filters see only its own records, so each of httpcore's loggers gets one."""


def install_httpx_redaction(*secrets: str) -> None:
    """Add the redacting filter to httpx's and httpcore's loggers once per process, and
    mask ``secrets`` (a client's access token and authorisation code) in their records."""
    global _installed, _secret_values
    forms = {form for secret in secrets for form in (secret, quote_plus(secret))}
    forms = {form for form in forms if len(form) >= _MIN_SECRET}
    if not forms <= _secret_values:
        _secret_values = _secret_values | forms
    if not _installed:
        redacting = _RedactingFilter()
        for name in _HTTP_LOGGERS:
            logging.getLogger(name).addFilter(redacting)
        _installed = True
