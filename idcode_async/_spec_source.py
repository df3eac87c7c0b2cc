"""A spec class's own checks and wire parameters, as Python source built once per class.

:class:`~idcode_async._spec.Spec` checks a value and writes it on the wire by looping over the
class's field plans and asking, for every field of every call, what kind it is, whether it has
documented values and whether it is a file.  Those answers are the class's, not the call's: a
service calling 306 in a loop paid about 300 interpreter steps a call for them (issue 13), and
309's fourteen fields five times that.  :func:`compiled_methods` asks them once, when
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
from collections.abc import Callable, Sequence
from typing import Any, Final, Literal, NamedTuple

import attrs

__all__ = ["METHODS", "FieldPlan", "FullPath", "compiled_methods", "is_compiled"]

METHODS: Final = ("__attrs_post_init__", "_text_fields", "wire")
"""The methods :func:`compiled_methods` writes."""

_SAFE_BITS: Final = sys.int_info.str_digits_check_threshold * 3
"""No digit limit refuses an integer of this many bits.  The limit is process state (it may be
changed at any time, so it is not read here), but no limit lower than the threshold can be set
(0 means none), and the full check refuses only beyond three bits a digit of the limit."""


_COMPILED: Final[weakref.WeakSet[Callable[..., Any]]] = weakref.WeakSet()


@attrs.frozen
class FieldPlan:
    """What the declaration worked out about one field, once: its kind, whether it must be
    sent, and its documented values (a ``Literal`` or an enum), if any."""

    name: str
    kind: Literal["int", "str", "file", "other"]
    required: bool
    allowed: frozenset[Any] | None


class FullPath(NamedTuple):
    """:class:`~idcode_async._spec.Spec`'s own steps, which the compiled methods run for every
    value their cheap tests do not accept (and which alone build errors)."""

    check_value: Callable[[Any, FieldPlan, Any], None]
    check_query_length: Callable[[Any], None]
    text: Callable[[Any], str]
    open_file: Callable[[Any, str, Any], Any]
    wire_params: Callable[..., Any]
    error: type[Exception]


def compiled_methods(
    owner: str, plans: Sequence[FieldPlan], *, url_borne: bool, full: FullPath
) -> dict[str, Callable[..., Any]]:
    """``__attrs_post_init__``, ``_text_fields`` and ``wire`` for a class of these field
    ``plans``; ``url_borne`` is whether the spec goes by GET (its URL length is checked);
    ``owner`` (the class's name) names the source in tracebacks."""
    names: dict[str, Any] = {f"_{name}": step for name, step in full._asdict().items()}
    check = ["def __attrs_post_init__(self):"]
    text = ["    f = {}"]
    for index, plan in enumerate(plans):
        names[f"p{index}"] = plan
        check += _check_lines(plan, index, names)
        text += _text_lines(plan)
    check += ["    self._check()"]
    if url_borne:
        check += ["    _check_query_length(self)"]
    source = [*check, "def _text_fields(self):", *text, "    return f"]
    files = [plan.name for plan in plans if plan.kind == "file"]
    if files:
        source += ["def wire(self):", *_open_lines(files), *text, "    return _wire_params(f, u)"]
    else:
        source += ["def wire(self):", *text, "    return _wire_params(f, {})"]
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
            f"        raise _error({plan.name!r}, 'is required', endpoint=self.number)",
        ]
    if plan.kind == "other" and plan.allowed is None:
        return lines
    call = f"_check_value(self, p{index}, v)"
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
            f"            u[{name!r}] = _open_file(self, {name!r}, v)",
        ]
    closed = "        _wire_params({}, u).close()"
    return [*lines, "    except BaseException:", closed, "        raise"]


def _text_lines(plan: FieldPlan) -> list[str]:
    """The loop's text for one field: exact ``str`` as it is, exact ``int`` by ``str()``,
    anything else (enum members, subclasses) through the full conversion; files are not text."""
    if plan.kind == "file":
        return []
    if plan.kind == "str":
        value = "v if type(v) is str else _text(v)"
    elif plan.kind == "int":
        value = "str(v) if type(v) is int else _text(v)"
    else:
        value = "_text(v)"
    return [
        f"    v = self.{plan.name}",
        "    if v is not None:",
        f"        f[{plan.name!r}] = {value}",
    ]
