"""Read named values out of an incoming request: a URL, a raw query string, or a mapping.

Scan landings (seed §十三) and page callbacks (401/405/408) both hand the SP a URL with the
values it needs in the query; a web framework may instead hand over its already-decoded query
mapping.  This module accepts all three and refuses a name that occurs twice, which would make
the code ambiguous.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from ._errors import ValidationError

__all__ = ["QueryInput", "query_value"]

QueryInput = str | Mapping[str, str]
"""A full URL, a query string (with or without ``?``), or a decoded name → value mapping."""


def _parse(source: str) -> dict[str, list[str]]:
    if "://" in source or source.startswith("/"):
        query = urlsplit(source).query
    else:
        query = source.removeprefix("?").split("#", 1)[0]
    return parse_qs(query, keep_blank_values=True)


def query_value(source: QueryInput, name: str) -> str | None:
    """The one value of ``name`` in ``source``, decoded; ``None`` when absent."""
    if not isinstance(source, str):
        return source.get(name)
    values = _parse(source).get(name, [])
    if len(values) > 1:
        raise ValidationError(name, f"occurs {len(values)} times in the query: ambiguous")
    return values[0] if values else None
