"""Read named values out of an incoming request: a URL, a raw query string, or a mapping.

Scan landings (seed §十三) and page callbacks (401/405/408) both hand the SP a URL with the
values it needs in the query; a web framework may instead hand over its already-decoded query
mapping.  This module accepts all three and refuses a name that occurs twice, which would make
the code ambiguous.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ._errors import ValidationError

__all__ = ["QueryInput", "query_value"]

QueryInput = str | Mapping[str, str]
"""A full URL, a query string (with or without ``?``), or a decoded name → value mapping."""


def _parse(source: str, name: str) -> dict[str, list[str]]:
    if "://" in source or source.startswith("/"):
        try:
            query = urlsplit(source).query
        except ValueError as exc:  # e.g. "http://[::1": an unclosed IPv6 host
            raise ValidationError(name, f"comes from a URL that cannot be parsed: {exc}") from None
    else:
        query = source.removeprefix("?").split("#", 1)[0]
    return parse_qs(query, keep_blank_values=True)


def query_value(source: QueryInput, name: str) -> str | None:
    """The one value of ``name`` in ``source``, decoded; ``None`` when absent.

    Anything that is neither text nor a mapping, and a mapping value that is not text, is a
    :class:`ValidationError` naming ``name``: these values come from a browser's request.
    """
    if not isinstance(name, str):
        raise ValidationError(repr(name)[:60], "is not a parameter name (a string)")
    if isinstance(source, Mapping) or callable(getattr(source, "get", None)):
        return _mapping_value(source, name)
    if not isinstance(source, str):
        raise ValidationError(
            name,
            f"must be read from a URL, a query string or a mapping, got {type(source).__name__}",
        )
    values = _parse(source, name).get(name, [])
    if len(values) > 1:
        raise ValidationError(name, f"occurs {len(values)} times in the query: ambiguous")
    return values[0] if values else None


def _mapping_value(source: Any, name: str) -> str | None:
    """A framework's query mapping (dict, QueryDict, MultiDict…): anything with ``get``."""
    try:
        value = source.get(name)
    except (TypeError, ValueError, LookupError) as exc:
        raise ValidationError(name, f"cannot be read from the mapping: {exc}") from None
    if value is None or isinstance(value, str):
        return value
    raise ValidationError(
        name, f"must be a string in the query mapping, got {type(value).__name__}"
    )
