"""attrs validators for documented parameter rules.

Each raises :class:`ValidationError` naming the endpoint and the parameter.  Values of the wrong
type are left to the spec's type check (``Spec.__attrs_post_init__``), so every validator here
only looks at values of its own type; ``None`` (not sent) always passes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

import attrs

from ._errors import ValidationError

__all__ = [
    "Validator",
    "base64_text",
    "fail",
    "hex_colour",
    "int_range",
    "length",
    "non_blank",
    "one_of",
    "phone_number",
    "url",
]

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def fail(instance: Any, parameter: str, reason: str) -> ValidationError:
    """A ValidationError for ``parameter`` of the spec ``instance`` (endpoint number included)."""
    return ValidationError(parameter, reason, endpoint=getattr(type(instance), "number", None))


def non_blank(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Required text must contain something other than white space."""
    if isinstance(value, str) and not value.strip():
        raise fail(instance, attribute.name, "is required and must not be blank")


def one_of(allowed: Collection[Any]) -> Validator:
    """The value must be one of the documented values."""
    shown = ", ".join(repr(v) for v in allowed)

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and value not in allowed:
            raise fail(instance, attribute.name, f"must be one of {shown}, got {value!r}")

    return check


def length(minimum: int = 0, maximum: int | None = None) -> Validator:
    """Text length bounds in characters (e.g. 504's unzip password: 6–16)."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, str):
            return
        if len(value) < minimum:
            raise fail(instance, attribute.name, f"must have at least {minimum} characters")
        if maximum is not None and len(value) > maximum:
            raise fail(instance, attribute.name, f"must have at most {maximum} characters")

    return check


def int_range(minimum: int, maximum: int) -> Validator:
    """Integer bounds, inclusive."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, int) and not minimum <= value <= maximum:
            raise fail(instance, attribute.name, f"must be between {minimum} and {maximum}")

    return check


def _pattern(regex: str, what: str) -> Validator:
    compiled = re.compile(regex)

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, str) and value and not compiled.fullmatch(value):
            raise fail(instance, attribute.name, f"must be {what}")

    return check


url = _pattern(r"https?://[^\s/?#]+[^\s]*", "an absolute http(s) URL")
"""Resolve, sample and callback URLs (seed §十三); templates such as {userCode} are allowed."""

phone_number = _pattern(r"1\d{10}", "an 11-digit mainland mobile number")
"""302/303 ask for a correctly formatted mobile number."""

hex_colour = _pattern(r"[0-9A-Fa-f]{6}", "six hex digits without '#' (e.g. 000000)")
"""605 ``code_color``."""

base64_text = _pattern(r"[A-Za-z0-9+/\r\n]*={0,2}", "base64 text (the image, base64-encoded)")
"""Logos sent as base64 strings (309/310/604/605)."""
