"""Logging: metadata only, and redaction for any text that might carry a credential.

The SDK logs to ``logging.getLogger("idcode_async")``: endpoint, method, HTTP status, result
code, attempt and elapsed time.  It never logs URLs, parameters or bodies.  httpx logs every
request URL at INFO on its own logger; the one endpoint we send as GET (608) and page URLs
would expose the access token and hash there, so a redacting filter is installed on it.
"""

from __future__ import annotations

import logging
import re

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


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                redact(str(arg)) if isinstance(arg, str) or _is_url(arg) else arg
                for arg in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        record.msg = redact(str(record.msg))
        return True


def _is_url(value: object) -> bool:
    return type(value).__name__ == "URL"


_installed = False


def install_httpx_redaction() -> None:
    """Add the redacting filter to httpx's logger once per process."""
    global _installed
    if not _installed:
        logging.getLogger("httpx").addFilter(_RedactingFilter())
        _installed = True
