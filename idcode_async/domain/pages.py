"""What the centre hands back to ``callback_url`` after a page interface (401/405/408).

A page interface runs in the user's browser; when it succeeds the centre sends the browser to
``callback_url`` with ``CategoryIDcode`` (完整码号, the full category code) appended (note 3 of
401, 405 and 408).  607 (login) documents no such parameter, so it has no parser here.
"""

from __future__ import annotations

from typing import Final

from .._errors import ValidationError
from .._query import QueryInput, query_value
from .._validators import shown
from .idcode import CodeKind, IDCode

__all__ = ["CALLBACK_PARAMETER", "parse_page_callback"]

CALLBACK_PARAMETER: Final = "CategoryIDcode"
"""The parameter the centre appends to ``callback_url`` (401/405/408, note 3)."""


def parse_page_callback(url_or_query: QueryInput) -> IDCode:
    """The category code a page interface registered or recorded.

    ``url_or_query`` is the callback request's URL, its query string, or a web framework's
    decoded query mapping; the SP's own parameters of ``callback_url`` may sit next to
    ``CategoryIDcode``.  The value must be a category code (``main/catalog``); the trailing
    ``/`` that 406 puts on the same kind of value is accepted.
    """
    value = query_value(url_or_query, CALLBACK_PARAMETER)
    if value is None:
        raise ValidationError(
            CALLBACK_PARAMETER,
            "is missing from the callback: the centre appends it only when the page succeeded",
        )
    code = IDCode.parse(value, parameter=CALLBACK_PARAMETER)
    if code.kind is not CodeKind.CATEGORY:
        raise ValidationError(
            CALLBACK_PARAMETER,
            f"must be a category code such as i.86.101010.3/10.232324.11, got {shown(value)} "
            f"({code.kind.value} code)",
        )
    return code
