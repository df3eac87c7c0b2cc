"""Resolve URLs (解析地址, ``gotourl``): validate, render a scan's landing, read it back.

Seed §十三 is the whole contract, and this module follows its examples literally:

* A resolve URL without placeholders gets the number appended to its end: after ``&code=``
  when it has a query (``…aspx?id=1``), as the value of its last parameter when it ends in
  ``=`` (``…aspx?id=``), after ``?code=`` when it has none (``…aspx``).  A recorded (备案) code
  appends its user part the same way, then ``&BaseCode=<category code>/``.
* A resolve URL with placeholders (``{fullCode}``, ``{mainCode}``, ``{catalogCode}``,
  ``{userCode}``) has them substituted and nothing appended.

The number is written raw, as in every example; :class:`~idcode_async.IDCode`'s grammar keeps
it to characters that need no encoding.  Section §十四 says how a resolve URL's *own*
parameters are encoded: each value first, then (on the wire) the whole URL again;
:func:`build_resolve_url` does the first step, the HTTP layer the second.
"""

from __future__ import annotations

import functools
import re
import typing
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import quote, unquote, urlsplit

import attrs

from .._errors import ValidationError
from .._query import QueryInput, query_value
from .._validators import fail, shown, text_problem
from .idcode import CATALOG_PATTERN, MAIN_PATTERN, USER_PATTERN, CodeKind, IDCode

__all__ = [
    "MAX_SEGMENT_LENGTH",
    "MAX_URL_LENGTH",
    "PLACEHOLDERS",
    "ResolveUrl",
    "build_resolve_url",
    "gotourl_validator",
    "parse_landing",
    "parse_scan_query",
    "scan_target",
    "url_encode",
    "validate_sample_url",
]

MAX_URL_LENGTH: Final = 8000
"""Longest resolve URL or landing URL read, in characters.

Matching a landing against a template with repeated placeholders takes time that grows faster
than the length; a bound keeps every call quick.  It matches the URL limit of the specs
(:data:`idcode_async._spec.MAX_QUERY_LENGTH`): a longer URL could not be registered anyway.
"""

PLACEHOLDERS: Final = ("fullCode", "mainCode", "catalogCode", "userCode")
"""The four parameters of §十三 example 4, written ``{name}`` in a resolve URL."""

_PLACEHOLDER: Final = re.compile(r"\{(fullCode|mainCode|catalogCode|userCode)\}")
_BRACED: Final = re.compile(r"\{[^{}]*\}")
_BAD_ESCAPE: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_BASE_CODE: Final = "&BaseCode="
_EXTRA: Final = r"(?:[?&#].*)?"
"""What a landing may carry after the rendered URL (e.g. ``&from=…`` added by a messenger)."""


def _gotourl_problem(text: object) -> str | None:
    """Why ``text`` is not a usable resolve URL, or ``None``.  30001/30002 checked early."""
    if not isinstance(text, str):
        return f"must be a string, got {type(text).__name__}"
    if not text.strip():
        return "is empty (result code 30001)"
    for char in text:
        if char.isspace() or not char.isprintable():
            return f"must not contain white space or control characters, got {char!r}"
        if not char.isascii():
            return (
                f"contains {char!r}: Chinese text and other non-ASCII characters must be "
                "URL-encoded (seed §十四); build_resolve_url() does it"
            )
    if len(text) > MAX_URL_LENGTH:
        return f"is {len(text)} characters long; at most {MAX_URL_LENGTH} are accepted"
    scheme, sep, _ = text.partition("://")
    if not sep or scheme.lower() not in {"http", "https"}:
        return "must be an absolute http:// or https:// URL"
    try:
        parts = urlsplit(text)
        hostname = parts.hostname
    except ValueError as exc:  # e.g. "http://[::1": an unclosed IPv6 host
        return f"cannot be parsed as a URL: {exc}"
    if not hostname:
        return "has no host"
    if "{" in parts.netloc or "}" in parts.netloc:
        return "may use placeholders only in its path, query or fragment, not in its host"
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        return "has an invalid port"
    literal = _PLACEHOLDER.sub("", text)
    unknown = _BRACED.search(literal)
    if unknown is not None:
        known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
        return f"has an unknown placeholder {unknown.group(0)}: only {known} are substituted"
    if "{" in literal or "}" in literal:
        return "has an unbalanced brace; placeholders are written {userCode} (seed §十三)"
    if _BAD_ESCAPE.search(text):
        return "has a '%' that does not start a %XX escape: encode it as %25 (seed §十四)"
    for pair in parts.query.split("&"):
        name, _, value = pair.partition("=")
        if "://" in value:
            return (
                f"has the URL {shown(value)} as the raw value of {name!r}: encode a URL value "
                "before putting it in the query (seed §十四, nested encoding)"
            )
    return None


def gotourl_validator(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator for a spec's resolve URL field: :class:`ResolveUrl`'s rules.

    ``None`` and ``""`` (not sent) pass, as with the other validators of
    :mod:`idcode_async._validators`; whether the field is required is ``non_blank``'s job.
    """
    if not isinstance(value, str) or not value:
        return
    problem = _gotourl_problem(value)
    if problem is not None:
        raise fail(instance, attribute.name, problem)


def _append_separator(text: str) -> str:
    """What the centre writes between a resolve URL and the number (§十三 examples 1–3)."""
    if "?" not in text:
        return "?code="  # example 3: …aspx → …aspx?code=
    if text.endswith("="):
        return ""  # example 2: …aspx?id= → …aspx?id=<code>
    if text.endswith(("?", "&")):
        return "code="
    return "&code="  # example 1: …aspx?id=1 → …aspx?id=1&code=<code>


@attrs.frozen
class _Parts:
    """What a landing tells about the scanned number; parts the URL does not carry are None."""

    main: str | None = None
    catalog: str | None = None
    user: str | None = None


def _as_code(code: IDCode | str, parameter: str = "code") -> IDCode:
    return code if isinstance(code, IDCode) else IDCode.parse(code, parameter=parameter)


MAX_SEGMENT_LENGTH: Final = 128
"""Most characters one run of a code segment may take when a landing is matched.

Adjacent placeholders (``{mainCode}{userCode}{catalogCode}``) split a landing by
backtracking; with unbounded runs a failing 8,000-character landing took time cubic in its
length (minutes: a denial of service from one crafted link).  Bounded runs cap the splits at
a few million steps.  128 is far above every serial scheme in use (GS1 AI 21 ≤ 20, ISO/IEC
15459 ≤ 50, a whole IDcode ≈ 40) and is the default ``PlanOptions.max_code_length``.
"""


def _bounded(pattern: str) -> str:
    return pattern.replace("+", f"{{1,{MAX_SEGMENT_LENGTH}}}")


_MAIN_RUNS: Final = _bounded(MAIN_PATTERN)
_CATALOG_RUNS: Final = _bounded(CATALOG_PATTERN)
_USER_RUNS: Final = _bounded(USER_PATTERN)


def _group_patterns(category: IDCode | None) -> dict[str, str]:
    """What each placeholder can hold; a known category pins its main and catalog parts."""
    if category is None or category.catalog_code is None:
        return {
            "fullCode": rf"{_MAIN_RUNS}(?:/{_CATALOG_RUNS}(?:/{_USER_RUNS})?)?",
            "mainCode": _MAIN_RUNS,
            "catalogCode": _CATALOG_RUNS,
            "userCode": _USER_RUNS,
        }
    main, catalog = re.escape(category.main_code), re.escape(category.catalog_code)
    return {
        "fullCode": rf"{main}/{catalog}(?:/{_USER_RUNS})?",
        "mainCode": main,
        "catalogCode": catalog,
        "userCode": _USER_RUNS,
    }


@functools.lru_cache(maxsize=256)
def _landing_pattern(template: str, category: IDCode | None) -> re.Pattern[str]:
    """A regex for what ``template`` renders to, percent-escapes of its literal text decoded.

    A placeholder used twice must carry the same value both times (a back-reference).  With
    the category known, adjacent placeholders (``{catalogCode}{userCode}``) split unambiguously.
    """
    patterns = _group_patterns(category)
    out: list[str] = []
    seen: set[str] = set()
    position = 0
    for found in _PLACEHOLDER.finditer(template):
        out.append(re.escape(unquote(template[position : found.start()])))
        name = found.group(1)
        if name in seen:
            out.append(f"(?P={name})")
        else:
            out.append(f"(?P<{name}>{patterns[name]})")
            seen.add(name)
        position = found.end()
    out.append(re.escape(unquote(template[position:])))
    return re.compile("".join(out) + _EXTRA, re.DOTALL)


@attrs.frozen
class ResolveUrl:
    """A validated resolve URL (``gotourl`` of 309/310/401/402/405–408/602/606).

    Valid means: an absolute ``http``/``https`` URL with a host, printable ASCII only (Chinese
    text and other specials percent-encoded, §十四), well-formed ``%XX`` escapes, no raw URL
    as the value of one of its own query parameters (§十四's nested rule), and no braces other
    than the four placeholders of §十三, which may appear in the path, query or fragment.
    """

    text: str

    def __attrs_post_init__(self) -> None:
        problem = _gotourl_problem(self.text)
        if problem is not None:
            raise ValidationError("gotourl", problem)

    @classmethod
    def parse(cls, text: str, *, parameter: str = "gotourl") -> ResolveUrl:
        """Validate ``text``; errors name ``parameter`` (``gotourl`` by default)."""
        problem = _gotourl_problem(text)
        if problem is not None:
            raise ValidationError(parameter, problem)
        return cls(text)

    def __str__(self) -> str:
        return self.text

    @property
    def placeholders(self) -> frozenset[str]:
        """The placeholder names used (``{"userCode"}``…); empty for an appending URL."""
        return frozenset(_PLACEHOLDER.findall(self.text))

    def scan_target(self, code: IDCode | str, recorded: bool = False) -> str:
        """Where a scan of ``code`` lands (seed §十三).

        ``recorded`` selects the form of a recorded (备案) one-thing-one-code, which lands
        with ``code=<user code>&BaseCode=<category code>/``.  Placeholders are substituted the
        same way for both kinds: the document shows no recorded example for them, and the
        placeholders name each part explicitly.
        """
        code = _as_code(code)
        if recorded and code.kind is not CodeKind.ITEM:
            raise ValidationError(
                "code",
                f"{code} is not a one-thing-one-code: only those are recorded (备案) with a "
                "BaseCode",
            )
        if self.placeholders:
            return _PLACEHOLDER.sub(lambda m: _substitute(m.group(1), code), self.text)
        sep = _append_separator(self.text)
        if recorded:
            return f"{self.text}{sep}{code.user_code}{_BASE_CODE}{code.base_code}"
        return f"{self.text}{sep}{code}"

    def match(self, landing: str, *, category: IDCode | str | None = None) -> IDCode:
        """The number a landing URL carries: the inverse of :meth:`scan_target`.

        Percent-escapes in ``landing`` are decoded first, and anything the landing carries
        after the rendered URL (``&from=…``) is ignored.  A resolve URL that only carries some
        parts (``…/html/{userCode}.html``) needs ``category``, the category code the resolve
        URL was registered for, to complete the number.
        """
        known = None if category is None else _as_code(category, "category")
        return _complete(self._parts(landing, known), known)

    def matches_sample(self, sample_url: str) -> bool:
        """Whether ``sample_url`` (示例地址) is a landing of this URL; if not, 30005 follows."""
        if not isinstance(sample_url, str):
            return False
        try:
            self._parts(sample_url, None)
        except ValidationError:
            return False
        return True

    def _parts(self, landing: str, category: IDCode | None) -> _Parts:
        if not isinstance(landing, str):
            raise ValidationError("landing", f"must be a string, got {type(landing).__name__}")
        if len(landing) > MAX_URL_LENGTH:
            raise ValidationError(
                "landing", f"is {len(landing)} characters long; at most {MAX_URL_LENGTH} are read"
            )
        landing = unquote(landing)
        if self.placeholders:
            return self._template_parts(landing, category)
        prefix = unquote(self.text) + _append_separator(self.text)
        if not landing.startswith(prefix):
            raise ValidationError(
                "landing", f"does not start with {shown(prefix)}: {shown(landing)}"
            )
        rest = landing[len(prefix) :]
        if _BASE_CODE in rest.split("#", 1)[0]:
            user, _, base = rest.partition(_BASE_CODE)
            code = _recorded_code(user, re.split(r"[&#]", base, maxsplit=1)[0])
        else:
            code = IDCode.parse(re.split(r"[&#]", rest, maxsplit=1)[0], parameter="landing")
        return _Parts(code.main_code, code.catalog_code, code.user_code)

    def _template_parts(self, landing: str, category: IDCode | None) -> _Parts:
        found = _landing_pattern(self.text, category).fullmatch(landing)
        if found is None and category is not None:
            found = _landing_pattern(self.text, None).fullmatch(landing)  # to say what differs
        if found is None:
            raise ValidationError(
                "landing",
                f"is not what {shown(self.text)} renders to: {shown(landing)} (seed §十三)",
            )
        groups = found.groupdict()
        full = groups.get("fullCode")
        parts = _Parts(groups.get("mainCode"), groups.get("catalogCode"), groups.get("userCode"))
        if full is None:
            return parts
        code = IDCode.parse(full, parameter="landing")
        for given, actual in zip(
            (parts.main, parts.catalog, parts.user),
            (code.main_code, code.catalog_code, code.user_code),
            strict=True,
        ):
            if given is not None and given != actual:
                raise ValidationError(
                    "landing",
                    f"carries {shown(given)}, which disagrees with {{fullCode}} {shown(full)}",
                )
        return _Parts(code.main_code, code.catalog_code, code.user_code)


def _substitute(name: str, code: IDCode) -> str:
    value = {
        "fullCode": code.full_code,
        "mainCode": code.main_code,
        "catalogCode": code.catalog_code,
        "userCode": code.user_code,
    }[name]
    if value is None:
        raise ValidationError(
            "code", f"{code} ({code.kind.value} code) has no part for {{{name}}} in the URL"
        )
    return value


def _recorded_code(user: str, base: str) -> IDCode:
    """``code=<user>&BaseCode=<category>/`` back into one number (§十三, 备案码)."""
    category = IDCode.parse(base, parameter="BaseCode")
    if category.kind is not CodeKind.CATEGORY:
        raise ValidationError("BaseCode", f"must be a category code, got {shown(base)}")
    try:
        return category.with_user_code(user)
    except ValidationError as error:
        raise ValidationError("code", f"user code {error.reason}") from None


def _complete(parts: _Parts, category: IDCode | None) -> IDCode:
    """Fill the upper parts a landing lacks from ``category``; they must agree if both exist."""
    main, catalog = parts.main, parts.catalog
    if category is not None:
        if category.kind is not CodeKind.CATEGORY:
            raise ValidationError("category", f"must be a category code, got {category}")
        for given, known in ((main, category.main_code), (catalog, category.catalog_code)):
            if given is not None and given != known:
                raise ValidationError(
                    "category", f"is {category}, but the landing carries {shown(given)}"
                )
        if catalog is not None or parts.user is not None:
            main, catalog = category.main_code, category.catalog_code
    if main is None or (catalog is None and parts.user is not None):
        raise ValidationError(
            "category",
            "is needed: the resolve URL does not carry the whole number (only "
            + ", ".join(
                f"{{{name}}}"
                for name, value in zip(PLACEHOLDERS[1:], attrs.astuple(parts), strict=True)
                if value is not None
            )
            + ")",
        )
    return IDCode(main, catalog, parts.user)


def scan_target(gotourl: str, code: IDCode | str, recorded: bool = False) -> str:
    """Where a scan of ``code`` lands for the resolve URL ``gotourl`` (seed §十三).

    >>> scan_target("http://www.xxxx.com/xxxx.aspx?id=1", "i.86.110108.52/91.12000000.1/xxxx")
    'http://www.xxxx.com/xxxx.aspx?id=1&code=i.86.110108.52/91.12000000.1/xxxx'
    """
    return ResolveUrl.parse(gotourl).scan_target(code, recorded)


def parse_landing(gotourl: str, landing: str, *, category: IDCode | str | None = None) -> IDCode:
    """The number in ``landing``, a URL that ``gotourl`` rendered (see :meth:`ResolveUrl.match`)."""
    return ResolveUrl.parse(gotourl).match(landing, category=category)


def parse_scan_query(source: QueryInput, *, parameter: str = "code") -> IDCode:
    """The scanned number from a landing request's query (seed §十三, 注 1–2).

    ``source`` is the landing URL, its query string, or the decoded query mapping of a web
    framework.  The number is read from ``parameter`` (``code``; the name of the last
    parameter for a resolve URL ending in ``=``, e.g. ``id``); a ``BaseCode`` next to it marks
    a recorded code whose ``parameter`` holds only the user part.
    """
    value = query_value(source, parameter)
    if value is None:
        raise ValidationError(parameter, "is missing from the landing query")
    base = query_value(source, "BaseCode")
    if base is None:
        return IDCode.parse(value, parameter=parameter)
    return _recorded_code(value, base)


def validate_sample_url(gotourl: str, sample_url: str, *, parameter: str = "sample_url") -> None:
    """Refuse a sample URL (示例地址) the centre would answer with 30005.

    The sample URL is "the address a scan lands on" (401/402/405–408/602/606, note 2): a
    landing of ``gotourl`` for some number.
    """
    if not isinstance(sample_url, str):
        raise ValidationError(parameter, f"must be a string, got {type(sample_url).__name__}")
    if not ResolveUrl.parse(gotourl).matches_sample(sample_url):
        raise ValidationError(
            parameter,
            f"{shown(sample_url)} is not a landing of the resolve URL {shown(gotourl)} "
            "(seed §十三; the centre answers 30005)",
        )


def url_encode(value: str) -> str:
    """The document's UrlEncode (§十四): UTF-8, every byte but ``A-Za-z0-9._~-`` as ``%XX``.

    >>> url_encode("单位名称")
    '%E5%8D%95%E4%BD%8D%E5%90%8D%E7%A7%B0'
    """
    if not isinstance(value, str):
        raise ValidationError("value", f"must be a string, got {type(value).__name__}")
    problem = text_problem(value)
    if problem is not None:
        raise ValidationError("value", problem)
    return quote(value, safe="")


def _encode_keeping_placeholders(value: str) -> str:
    pieces: list[str] = []
    position = 0
    for found in _PLACEHOLDER.finditer(value):
        pieces.append(url_encode(value[position : found.start()]))
        pieces.append(found.group(0))
        position = found.end()
    pieces.append(url_encode(value[position:]))
    return "".join(pieces)


def build_resolve_url(base: str, params: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> str:
    """``base`` with ``params`` added to its query, each value URL-encoded (seed §十四).

    This is the first half of §十四's nested rule: a value holding Chinese text, special
    characters or a URL (itself built with this function) is encoded here; the whole result is
    encoded again when it travels as the ``gotourl`` parameter, which the HTTP layer does.
    Placeholders (``{userCode}``…) inside values are kept as they are, and an empty last value
    (``id=``) is where the centre will put the number (§十三 example 2).
    """
    if not isinstance(base, str):
        raise ValidationError("base", f"must be a string, got {type(base).__name__}")
    pairs = _pairs(params)
    url, hash_mark, fragment = base.partition("#")
    if pairs:
        query = "&".join(
            f"{url_encode(name)}={_encode_keeping_placeholders(value)}" for name, value in pairs
        )
        joiner = "?" if "?" not in url else ("" if url.endswith(("?", "&")) else "&")
        url = f"{url}{joiner}{query}"
    return ResolveUrl.parse(url + hash_mark + fragment).text


def _pairs(params: object) -> list[tuple[str, str]]:
    """``params`` as (name, value) text pairs, or a ValidationError saying what is wrong."""
    if isinstance(params, Mapping):
        items: object = list(params.items())
    elif isinstance(params, str | bytes) or not isinstance(params, Iterable):
        raise ValidationError(
            "params", f"must be a mapping or (name, value) pairs, got {type(params).__name__}"
        )
    else:
        items = list(params)
    pairs: list[tuple[str, str]] = []
    for item in typing.cast(list[object], items):
        if not (isinstance(item, tuple) and len(item) == 2):
            raise ValidationError("params", f"must hold (name, value) pairs, got {shown(item)}")
        name, value = item
        if not isinstance(name, str) or not isinstance(value, str):
            raise ValidationError("params", f"names and values must be strings, got {shown(item)}")
        pairs.append((name, value))
    return pairs
