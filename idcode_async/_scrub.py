"""Taking the client's own secrets out of an error before ``call()`` raises it.

The peer chooses the text of ``result_msg``, of an error page and of a transport error.  A
broken gateway that echoes the request back ("参数错误: login_pswd=…&access_token=…"), as many
do, would otherwise put the access token, the authorisation code or a password into the
exception's message, ``args`` and :attr:`ApiError.body`.  Pattern-based redaction
(:func:`._logging.redact`) only knows ``name=value`` shapes; the client knows the values
themselves (its token and authorisation code, and the spec's password parameters: 301
``login_password``, 310 ``login_pwd``, 504 ``password``, 601 ``login_pswd``), so a
:class:`Scrubber` replaces each of them, raw, percent-encoded, JSON- or HTML-escaped, by
``***`` wherever the exception carries text.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from ._logging import redact

__all__ = ["MASK", "Scrubber"]

MASK = "***"


def _forms(secret: str) -> set[str]:
    """The spellings under which ``secret`` can come back in a peer's text."""
    return {
        secret,
        quote_plus(secret),
        quote(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        html.escape(secret),
    }


MIN_LENGTH = 4
"""Shorter secrets (a 601 test password ``"12"``) are masked only where they follow their
parameter name (``login_pswd=12``, :func:`._logging.redact`): masking every ``"12"`` would turn
``endpoint 601: result code 10005`` into noise."""


class Scrubber:
    """Replaces known secret values in texts and in the values an exception carries."""

    def __init__(self, secrets: Iterable[str]) -> None:
        forms = {form for secret in secrets if len(secret) >= MIN_LENGTH for form in _forms(secret)}
        self._pattern = (
            re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))
            if forms
            else None
        )

    def text(self, value: str) -> str:
        """``value`` with every secret masked, by value and by parameter name."""
        value = redact(value)
        return value if self._pattern is None else self._pattern.sub(MASK, value)

    def is_clean(self, value: str) -> bool:
        return self.text(value) == value

    def value(self, value: Any) -> Any:
        """Text, and text inside mappings, lists and tuples (a decoded body), masked.

        Answers are at most :data:`._decode.MAX_DEPTH` deep, so the recursion is bounded.
        """
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.value(item) for item in value)
        return value

    def error(self, error: BaseException) -> BaseException:
        """``error`` itself, its ``args`` and attributes masked in place."""
        error.args = tuple(self.value(arg) for arg in error.args)
        for name, attribute in list(vars(error).items()):
            if not name.startswith("__"):
                setattr(error, name, self.value(attribute))
        return error
