"""The one exception handlers and state raise to refuse a request with a documented code."""

from __future__ import annotations

from collections.abc import Mapping

from .jsontypes import JsonValue

__all__ = ["CentreError"]


class CentreError(Exception):
    """Answer with result code ``code`` (message from :mod:`.messages`).

    ``fields`` are extra members of the error answer (301's ``organunit_result_info``);
    ``reason`` is an English explanation sent as the ``X-Sandbox-Reason`` header, so the
    JSON body stays exactly as documented while a developer still learns what was wrong.
    """

    def __init__(
        self, code: int, reason: str = "", fields: Mapping[str, JsonValue] | None = None
    ) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason
        self.fields: dict[str, JsonValue] = dict(fields or {})
