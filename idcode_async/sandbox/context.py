"""What a handler gets (:class:`Call`) and how an endpoint is declared (:class:`ApiRoute`).

Endpoints are data: number, path, the methods the document allows, required parameters and a
handler.  The pipeline in :mod:`.app` does everything common (counting, faults, parsing,
verification, required parameters, the envelope); a handler only applies the endpoint's own
rules and returns its documented output fields, or raises :class:`~.errors.CentreError`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping

import attrs
from starlette.datastructures import UploadFile
from starlette.responses import Response

from .errors import CentreError
from .jsontypes import JsonObject, JsonValue
from .state import State

__all__ = ["ApiRoute", "Call", "Handler", "get_post", "post_only"]


@attrs.define
class Call:
    """One verified request, as a handler sees it."""

    number: int
    params: Mapping[str, str]
    files: Mapping[str, UploadFile]
    state: State
    base_url: str
    """Scheme and host the request reached (no trailing slash), for links to the sandbox."""
    headers: dict[str, str] = attrs.field(factory=dict)
    """Extra response headers a handler wants sent (e.g. 505's ``X-Sandbox-Truncated``)."""

    def text(self, name: str, default: str = "") -> str:
        """A parameter's value; missing and empty are the same (``default``)."""
        return self.params.get(name) or default

    def require(self, name: str) -> str:
        """A required parameter, or 10000."""
        value = self.params.get(name, "")
        if not value.strip():
            raise CentreError(10000, f"{name} is required")
        return value

    def integer(
        self, name: str, default: int | None = None, allowed: Collection[int] | None = None
    ) -> int | None:
        """An optional integer parameter (``default`` when absent); 10000 if malformed."""
        value = self.params.get(name, "").strip()
        if not value:
            return default
        try:
            number = int(value)
        except ValueError:
            raise CentreError(10000, f"{name} must be an integer") from None
        if allowed is not None and number not in allowed:
            raise CentreError(10000, f"{name} must be one of {sorted(allowed)}")
        return number

    def require_int(self, name: str, allowed: Collection[int] | None = None) -> int:
        """A required integer parameter, or 10000."""
        self.require(name)
        number = self.integer(name, allowed=allowed)
        assert number is not None
        return number

    def link(self, path: str) -> str:
        """An absolute URL on the sandbox for ``path``."""
        return self.base_url + path


Handler = Callable[[Call], Awaitable[JsonObject | Response]]
"""Returns the documented output fields (the envelope is added), or a whole response."""


@attrs.frozen
class ApiRoute:
    """One endpoint of the document: a row of a handler module's ``ROUTES`` table, in the
    order number, path, methods, handler, required parameters."""

    number: int
    path: str
    methods: frozenset[str]
    handler: Handler
    required: tuple[str, ...] = ()
    """Parameters whose absence (or emptiness) is 10000, checked before the handler."""
    error_fields: Mapping[str, JsonValue] = attrs.field(factory=dict, kw_only=True)
    """Members an error answer carries besides the envelope (301: both set to null)."""
    token_in_json: bool = attrs.field(default=False, kw_only=True)
    """402: the access token is inside ``json_str``."""


get_post = frozenset({"GET", "POST"})
post_only = frozenset({"POST"})
