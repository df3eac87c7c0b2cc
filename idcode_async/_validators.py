"""attrs validators for documented parameter rules.

Each raises :class:`ValidationError` naming the endpoint and the parameter.  Values of the wrong
type are left to the spec's type check (``Spec.__attrs_post_init__``), so every validator here
only looks at values of its own type; ``None`` (not sent) always passes.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Collection
from typing import Any, Final

import attrs

from ._errors import ValidationError

__all__ = [
    "Validator",
    "base64_text",
    "fail",
    "hex_colour",
    "int_problem",
    "int_range",
    "length",
    "non_blank",
    "one_of",
    "parameter_problem",
    "phone_number",
    "shown",
    "text_problem",
    "url",
]

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


_SHOWN_CHARS: Final = 60
"""How much of a rejected value an error message quotes: enough to recognise it, no more."""


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot travel as UTF-8 (a lone surrogate such as ``"\\ud800"``), or None.

    Every parameter is signed and sent as UTF-8 (seed §四, §十四); a string Python can hold but
    UTF-8 cannot encode would fail later, inside the signer, with the canonical string (token
    and passwords included) in the exception.  The message gives the position, never the text.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            f"holds U+{ord(value[exc.start]):04X} at position {exc.start}, a lone surrogate "
            "that UTF-8 cannot encode"
        )
    return None


_CONTROL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""C0 controls but tab, line feed and carriage return, and DEL: no parameter of the document
holds them, and a NUL in particular is where a C-string back end cuts a name short."""


def parameter_problem(value: str) -> str | None:
    """Why ``value`` cannot be a parameter's text: :func:`text_problem`, or a control character
    (Excel and copied text bring NULs and vertical tabs that the centre would store or cut at).
    The message gives the character's code and position, never the text."""
    problem = text_problem(value)
    if problem is None and (found := _CONTROL.search(value)) is not None:
        problem = (
            f"holds the control character U+{ord(found.group()):04X} at position "
            f"{found.start()}, which no parameter takes"
        )
    return problem


def int_problem(value: int) -> str | None:
    """Why ``value`` cannot be written as decimal text (Python's int/str digit limit), or None."""
    limit = sys.get_int_max_str_digits()
    if limit and value.bit_length() > limit * 3:  # 3 bits per digit is a safe under-estimate
        try:
            str(value)
        except ValueError:
            return f"has more than {limit} digits"
    return None


def shown(value: object) -> str:
    """A short, always-printable ``repr`` of a rejected value for error messages.

    Long text is cut, integers beyond the digit limit are described, and nothing that cannot
    be represented raises from inside an error message.
    """
    if isinstance(value, int) and not isinstance(value, bool) and int_problem(value):
        return f"<integer of {value.bit_length()} bits>"
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ must not replace the real error
        return f"<{type(value).__name__}>"
    if len(text) > _SHOWN_CHARS:
        return f"{text[: _SHOWN_CHARS - 1]}… ({len(text)} characters)"
    return text


def fail(instance: Any, parameter: str, reason: str) -> ValidationError:
    """A ValidationError for ``parameter`` of the spec ``instance`` (endpoint number included)."""
    return ValidationError(parameter, reason, endpoint=getattr(type(instance), "number", None))


def non_blank(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Required text must contain something other than white space."""
    if isinstance(value, str) and not value.strip():
        raise fail(instance, attribute.name, "is required and must not be blank")


def one_of(allowed: Collection[Any]) -> Validator:
    """The value must be one of the documented values."""
    choices = ", ".join(repr(v) for v in allowed)

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and not _is_one_of(value, allowed):
            raise fail(instance, attribute.name, f"must be one of {choices}, got {shown(value)}")

    return check


def _is_one_of(value: Any, allowed: Collection[Any]) -> bool:
    """Membership that an unhashable or oddly comparing value cannot turn into a TypeError."""
    try:
        return value in allowed
    except TypeError:
        return False


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
