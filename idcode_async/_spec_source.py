"""A spec class's own checks and wire parameters, as Python source built once per class.

:class:`~idcode_async._spec.Spec` checks a value and writes it on the wire by looping over the
class's field plans and asking, for every field of every call, what kind it is, whether it has
documented values and whether it is a file.  Those answers are the class's, not the call's: a
service calling 306 in a loop paid about 300 interpreter steps a call for them (issue 13), and
309's twenty fields ten times that.  :func:`compiled_methods` asks them once, when
:func:`~idcode_async._spec.endpoint` declares the class, and writes one function per method
with one straight block per field (source built only from the class's own field names and
plans, then ``exec``-ed, as :mod:`idcode_async._converter` does for answers).

Each field's block tests the common value cheaply (a ``str`` that :meth:`str.isprintable`
accepts, an ``int`` too small for the digit limit, one of its documented values) and gives any
other value to the same full check the loop uses, which alone builds errors.  The cheap tests
only ever accept values the full check accepts, so every check, message, exception and their
order are the loop's; tests hold both paths to the same result for every registered class.
"""

from __future__ import annotations

import linecache
import sys
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Protocol

__all__ = [
    "FIELD_CHECK",
    "METHODS",
    "OPEN",
    "QUERY_CHECK",
    "TEXT",
    "WIRE",
    "FieldPlan",
    "compiled_methods",
    "is_compiled",
]

METHODS: Final = ("__attrs_post_init__", "_text_fields", "wire")
"""The methods :func:`compiled_methods` writes."""

FIELD_CHECK: Final = "_check_type"
"""Name under which the full check of one value, ``(spec, plan, value) -> None``, is given."""
QUERY_CHECK: Final = "_check_query_length"
"""Name of the URL-length check ``(spec) -> None`` for a spec sent with GET."""
TEXT: Final = "_text"
"""Name of the full conversion of a value to its wire text, ``(value) -> str``."""
OPEN: Final = "_open_file"
"""Name of the opening of one file parameter, ``(spec, name, value) -> UploadFile``."""
WIRE: Final = "_WireParams"
"""Name of :class:`~idcode_async._wire.WireParams`."""
_ERROR: Final = "_ValidationError"

_SAFE_BITS: Final = sys.int_info.str_digits_check_threshold * 3
"""No digit limit refuses an integer of this many bits.  The limit is process state (it may be
changed at any time, so it is not read here), but no limit lower than the threshold can be set
(0 means none), and the full check refuses only beyond three bits a digit of the limit."""


_COMPILED: Final[weakref.WeakSet[Callable[..., Any]]] = weakref.WeakSet()


class FieldPlan(Protocol):
    """What the declaration worked out about one field (``_spec._FieldPlan``)."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def required(self) -> bool: ...
    @property
    def allowed(self) -> frozenset[Any] | None: ...


def compiled_methods(
    owner: str,
    plans: Sequence[FieldPlan],
    *,
    url_borne: bool,
    error: type[Exception],
    helpers: Mapping[str, Any],
) -> dict[str, Callable[..., Any]]:
    """``__attrs_post_init__``, ``_text_fields`` and ``wire`` for a class of these field
    ``plans``.  ``url_borne`` is whether the spec goes by GET (its URL length is checked);
    ``helpers`` holds the full checks under the names above; ``error`` is ValidationError;
    ``owner`` (the class's name) names the source in tracebacks."""
    names: dict[str, Any] = {**helpers, _ERROR: error}
    check = ["def __attrs_post_init__(self):"]
    text = ["    f = {}"]
    for index, plan in enumerate(plans):
        names[f"p{index}"] = plan
        check += _check_lines(plan, index, names)
        text += _text_lines(plan)
    check += ["    self._check()"]
    if url_borne:
        check += [f"    {QUERY_CHECK}(self)"]
    source = [*check, "def _text_fields(self):", *text, "    return f"]
    files = [plan.name for plan in plans if plan.kind == "file"]
    opened = _open_lines(files) if files else []
    source += ["def wire(self):", *opened, *text, f"    return {WIRE}(f, {'u' if files else '{}'})"]
    code = "".join(line + "\n" for line in source)
    filename = f"<spec methods {owner}>"
    # as attrs does for its own generated methods: tracebacks and debuggers show the lines
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    exec(compile(code, filename, "exec"), names)  # source built above from the field plans
    methods = {name: names[name] for name in METHODS}
    _COMPILED.update(methods.values())
    return methods


def is_compiled(method: object) -> bool:
    """Whether ``method`` was written by :func:`compiled_methods` (for one class only)."""
    return method in _COMPILED


def _check_lines(plan: FieldPlan, index: int, names: dict[str, Any]) -> list[str]:
    """The loop's steps for one field: required, then the value's full check unless the cheap
    test accepts it.  A field of no checked kind (``other`` without documented values) has no
    check to run, as in the loop."""
    lines = [f"    v = self.{plan.name}"]
    if plan.required:
        lines += [
            "    if v is None:",
            f"        raise {_ERROR}({plan.name!r}, 'is required', endpoint=self.number)",
        ]
    if plan.kind == "other" and plan.allowed is None:
        return lines
    call = f"{FIELD_CHECK}(self, p{index}, v)"
    cheap = _cheap_test(plan, index, names)
    if cheap is not None:
        condition = f"not ({cheap})" if plan.required else f"v is not None and not ({cheap})"
    elif not plan.required:
        condition = "v is not None"
    else:
        return [*lines, f"    {call}"]
    return [*lines, f"    if {condition}:", f"        {call}"]


def _cheap_test(plan: FieldPlan, index: int, names: dict[str, Any]) -> str | None:
    """An expression true only for values the full check accepts, or None (always check)."""
    kind = plan.kind
    if kind not in ("str", "int"):
        return None
    if plan.allowed is None:
        if kind == "str":  # no control character, no lone surrogate: text_problem passes
            return "type(v) is str and v.isprintable()"
        return f"type(v) is int and v.bit_length() <= {_SAFE_BITS}"
    if not all(_cheaply_clean(value, kind) for value in plan.allowed):
        return None
    names[f"a{index}"] = plan.allowed  # equal to a documented value, and that value is clean
    return f"type(v) is {kind} and v in a{index}"


def _cheaply_clean(value: Any, kind: str) -> bool:
    if kind == "str":
        return type(value) is str and value.isprintable()
    return type(value) is int and value.bit_length() <= _SAFE_BITS


def _open_lines(files: Sequence[str]) -> list[str]:
    """The loop's file opening, files first; if one is refused, those opened are closed.
    (A class without file fields has nothing to open and no loop to run.)"""
    lines = ["    u = {}", "    try:"]
    for name in files:
        lines += [
            f"        v = self.{name}",
            "        if v is not None:",
            f"            u[{name!r}] = {OPEN}(self, {name!r}, v)",
        ]
    closed = f"        {WIRE}({{}}, u).close()"
    return [*lines, "    except BaseException:", closed, "        raise"]


def _text_lines(plan: FieldPlan) -> list[str]:
    """The loop's text for one field: exact ``str`` as it is, exact ``int`` by ``str()``,
    anything else (enum members, subclasses) through the full conversion; files are not text."""
    if plan.kind == "file":
        return []
    if plan.kind == "str":
        value = f"v if type(v) is str else {TEXT}(v)"
    elif plan.kind == "int":
        value = f"str(v) if type(v) is int else {TEXT}(v)"
    else:
        value = f"{TEXT}(v)"
    return [
        f"    v = self.{plan.name}",
        "    if v is not None:",
        f"        f[{plan.name!r}] = {value}",
    ]
