"""IDcode numbers (码号): parse, validate, format, and the code content URL (码内容).

The note at the end of seed §十一 separates the *number* of a code from its *content*: a number
is a unit main code, a category code or a one-thing-one-code; the content, what a QR code
carries, is the resolver address followed by the number.  §十三 names the parts of a number
(``{mainCode}``, ``{catalogCode}``, ``{userCode}``), which is how :class:`IDCode` splits it.
"""

from __future__ import annotations

import enum
import re
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import attrs

from .._errors import ValidationError
from .._validators import shown

__all__ = [
    "PRODUCTION_RESOLVER",
    "TEST_RESOLVER",
    "CodeKind",
    "IDCode",
]

PRODUCTION_RESOLVER: Final = "http://s.idcode.org.cn/"
"""Resolver of the production environment; content = ``<resolver>?code=<number>`` (§十一)."""

TEST_RESOLVER: Final = "http://stest.idcode.org.cn/"
"""Resolver of the test environment (§十一)."""

MAIN_PATTERN: Final = r"(?:i|MA)\.[0-9]+\.[0-9]+\.[0-9]+"
"""``i.<country>.<region>.<serial>`` (i.86.101010.3, the document's form) or the centre's
ISO/IEC 15459 form ``MA.<country>.<region>.<serial>`` (MA.156.1003.1629, seen in live data)."""

CATALOG_PATTERN: Final = r"[0-9]+\.[0-9]+\.[A-Za-z0-9_~-]+"
"""``<use>.<category>.<model>``: 10.232324.11, 91.12000000.1 (§十一, §十三); the last segment
is the model number code of 406/402 and may hold letters (10.46100000.riseplatform)."""

USER_PATTERN: Final = r"[A-Za-z0-9._~-]+"
"""The SP's own part: RFC 3986 unreserved characters only (201703233, xxxx)."""

_MAIN: Final = re.compile(MAIN_PATTERN)
_CATALOG: Final = re.compile(CATALOG_PATTERN)
_USER: Final = re.compile(USER_PATTERN)

_MAIN_HINT: Final = "i.<country>.<region>.<serial> (or MA.…) in digits, e.g. i.86.101010.3"
_CATALOG_HINT: Final = "<use>.<category>.<model>, e.g. 10.232324.11 or 10.1001.BW-500"
_USER_HINT: Final = "letters, digits and . _ ~ - only, e.g. 201703233"


class CodeKind(enum.Enum):
    """The three kinds of IDcode number of seed §十一."""

    MAIN = "main"
    """单位主码, a unit main code: ``i.86.101010.3``."""

    CATEGORY = "category"
    """品类码, a category code: ``i.86.101010.3/10.232324.11``."""

    ITEM = "item"
    """一物一码, a one-thing-one-code: ``i.86.101010.3/10.232324.11/201703233``."""


def _segment_problem(kind: str, value: str) -> str | None:
    pattern, hint = {
        "main_code": (_MAIN, _MAIN_HINT),
        "catalog_code": (_CATALOG, _CATALOG_HINT),
        "user_code": (_USER, _USER_HINT),
    }[kind]
    if pattern.fullmatch(value):
        return None
    return f"must be {hint}, got {shown(value)}"


def _check_segment(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None and attribute.name != "main_code":
        return
    if not isinstance(value, str):
        raise ValidationError(attribute.name, f"must be a string, got {type(value).__name__}")
    problem = _segment_problem(attribute.name, value)
    if problem is not None:
        raise ValidationError(attribute.name, problem)


@attrs.frozen(repr=False)
class IDCode:
    """An IDcode number: a unit main code, a category code or a one-thing-one-code (§十一).

    Grammar (``str(code)`` writes it, :meth:`parse` reads it)::

        code     = main [ "/" catalog [ "/" user ] ]
        main     = ("i" / "MA") "." digits "." digits "." digits   ; i.86.101010.3
        catalog  = digits "." digits "." 1*( ALPHA / DIGIT / "_" / "~" / "-" )
                                                             ; 10.232324.11, 10.1001.BW-500
        user     = 1*( ALPHA / DIGIT / "." / "_" / "~" / "-" )   ; 201703233, xxxx

    Why these bounds:

    * The main and category parts are assigned by the centre; every example in the document
      (``i.86.101010.3``, ``i.86.110108.52``, ``i.86.120103.1021``; ``10.232324.11``,
      ``91.12000000.1``) is dotted digits in these shapes.  Live data adds two forms the
      document does not print: main codes under the ISO/IEC 15459 issuing agency ``MA``
      (``MA.156.1003.1629``) and category codes whose last segment is the model number code
      registered by 406/402, letters included (``10.46100000.riseplatform``).  Field lengths
      and the country are not fixed, so any number of digits is accepted and kept verbatim.
    * The user part is the SP's own (uploaded through 5011–5014); the document shows
      ``201703233`` and ``xxxx``.  It may not hold ``/`` (the separator) or ``,`` (5012 lists
      codes as ``"1,2,3"``), and the document writes numbers into URLs *without*
      percent-encoding (``?code=i.86…/201703233`` in §十一, ``/html/{userCode}.html`` in §十三).
      Restricting the part to RFC 3986 unreserved characters is what makes that safe: such a
      number is the same encoded or not, in a query or in a path.
    * A category code followed by one ``/`` (``i.86.110108.52/91.12000000.1/``) is accepted
      by :meth:`parse` and means the category code: it is how §十三 passes ``BaseCode`` and
      how 406 returns ``organunit_idcode``.  ``str()`` never writes that slash.
    """

    main_code: str = attrs.field(validator=_check_segment)
    """``{mainCode}``: the unit main code, ``i.86.101010.3``."""

    catalog_code: str | None = attrs.field(default=None, validator=_check_segment)
    """``{catalogCode}``: the category segment alone, ``10.232324.11``."""

    user_code: str | None = attrs.field(default=None, validator=_check_segment)
    """``{userCode}``: the SP's own part of a one-thing-one-code, ``201703233``."""

    def __attrs_post_init__(self) -> None:
        if self.user_code is not None and self.catalog_code is None:
            raise ValidationError(
                "user_code", "needs a catalog_code: a one-thing-one-code sits under a category"
            )

    @classmethod
    def parse(cls, text: str, *, parameter: str = "code") -> IDCode:
        """Read an IDcode number; errors name ``parameter`` (``code``, ``company_idcode``, …)."""
        if not isinstance(text, str):
            raise ValidationError(parameter, f"must be a string, got {type(text).__name__}")
        if not text:
            raise ValidationError(parameter, "is empty: expected an IDcode such as i.86.101010.3")
        if text != text.strip() or any(c.isspace() for c in text):
            raise ValidationError(parameter, f"must not contain white space, got {shown(text)}")
        segments = text.split("/")
        if len(segments) == 3 and segments[2] == "":
            segments.pop()  # the BaseCode form of a category code (§十三), 406's answer
        if len(segments) > 3:
            raise ValidationError(
                parameter,
                f"has {len(segments)} '/'-separated parts, at most 3 "
                f"(main/catalog/user) are allowed: {shown(text)}",
            )
        names = ("main_code", "catalog_code", "user_code")
        for name, segment in zip(names, segments, strict=False):
            problem = _segment_problem(name, segment)
            if problem is not None:
                where = name.replace("_", " ")
                raise ValidationError(parameter, f"{where} {problem} (in {shown(text)})")
        return cls(*segments)

    @classmethod
    def from_content_url(
        cls, url: str, *, resolvers: tuple[str, ...] = (PRODUCTION_RESOLVER, TEST_RESOLVER)
    ) -> IDCode:
        """The number inside a code content URL (§十一), e.g. what a QR decoder returns.

        The URL must be one of ``resolvers`` followed by ``?code=<number>`` and nothing else;
        a percent-encoded number is accepted too.
        """
        if not isinstance(url, str):
            raise ValidationError("url", f"must be a string, got {type(url).__name__}")
        if not isinstance(resolvers, tuple | list) or not all(
            isinstance(r, str) for r in resolvers
        ):
            raise ValidationError("resolvers", "must be a tuple of resolver URLs (strings)")
        try:
            parts = urlsplit(url)
        except ValueError as exc:  # e.g. "http://[::1": an unclosed IPv6 host
            raise ValidationError("url", f"cannot be parsed as a URL: {exc}") from None
        base = f"{parts.scheme}://{parts.netloc}{parts.path or '/'}"
        if base.lower() not in {r.lower() for r in resolvers}:
            known = ", ".join(resolvers)
            raise ValidationError("url", f"is not on a known resolver ({known}): {shown(url)}")
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if [name for name, _ in pairs] != ["code"] or parts.fragment:
            raise ValidationError("url", f"must be <resolver>?code=<IDcode>, got {shown(url)}")
        return cls.parse(pairs[0][1])

    def __str__(self) -> str:
        return "/".join(
            part for part in (self.main_code, self.catalog_code, self.user_code) if part
        )

    def __repr__(self) -> str:
        return f"IDCode.parse({str(self)!r})"

    @property
    def full_code(self) -> str:
        """``{fullCode}``: the whole number, as ``str(code)``."""
        return str(self)

    @property
    def kind(self) -> CodeKind:
        """Main code, category code or one-thing-one-code."""
        if self.catalog_code is None:
            return CodeKind.MAIN
        return CodeKind.CATEGORY if self.user_code is None else CodeKind.ITEM

    @property
    def category_code(self) -> str | None:
        """The category code ``main/catalog`` (品类码), or ``None`` for a unit main code."""
        if self.catalog_code is None:
            return None
        return f"{self.main_code}/{self.catalog_code}"

    @property
    def base_code(self) -> str | None:
        """The ``BaseCode`` a recorded code lands with: the category code and ``/`` (§十三)."""
        category = self.category_code
        return None if category is None else f"{category}/"

    def as_main(self) -> IDCode:
        """The unit main code this number belongs to."""
        return IDCode(self.main_code)

    def as_category(self) -> IDCode:
        """The category code this number belongs to; a unit main code has none."""
        if self.catalog_code is None:
            raise ValidationError("code", f"{self} is a unit main code: it has no category")
        return IDCode(self.main_code, self.catalog_code)

    def with_user_code(self, user_code: str) -> IDCode:
        """The one-thing-one-code ``user_code`` under this category code."""
        if self.catalog_code is None:
            raise ValidationError(
                "code", f"{self} is a unit main code: a user code needs a category code"
            )
        return IDCode(self.main_code, self.catalog_code, user_code)

    def content_url(self, resolver: str = PRODUCTION_RESOLVER) -> str:
        """The code content (码内容): ``resolver`` + ``?code=`` + the number (§十一).

        The number is written unencoded, as the document does; the grammar guarantees that
        every character of it is legal in a query as it stands.  Pass :data:`TEST_RESOLVER` for
        the test environment.
        """
        return f"{resolver}?code={self}"
