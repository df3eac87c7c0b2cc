"""Each declared spec class's compiled checks and wire parameters (``_spec_source``, issue 13)
agree with :class:`Spec`'s loops, the full path, for any values of any field kind.

A spec is built without its checks (attrs' ``__init__`` bypassed, so that any value reaches
them), then checked both ways: the same exception type, message, arguments and parameter, or
both accept; an accepted spec then gives the same text fields and the same wire parameters
both ways.  Several fields drawn at once check that the same error wins when several are wrong.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idcode_async import Spec, registry
from idcode_async._spec_source import FieldPlan, FullPath, compiled_methods
from idcode_async.endpoints import CompanyInfoBase

from .samples import fields_of, samples

SAMPLES = samples()
NUMBERS = sorted(SAMPLES)
WITH_FIELDS = [number for number in NUMBERS if registry[number]._plan]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


class Colour(enum.IntEnum):
    WHITE = 1


class Kind(enum.StrEnum):
    ONE = "1"


class Switch(int, enum.Enum):
    """Not an IntEnum: ``str(Switch.ON)`` is ``"Switch.ON"``, its wire text ``"1"``."""

    ON = 1


class Letter(str, enum.Enum):  # noqa: UP042 (its str() is the point)
    """Likewise for text: ``str(Letter.ONE)`` is ``"Letter.ONE"``."""

    ONE = "1"


class Text(str):
    """A ``str`` subclass: passes the type check, never the cheap test."""


class Number(int):
    """An ``int`` subclass: likewise."""


texts = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"])),
    st.sampled_from(["", " ", "\t", "a\nb", "\r\n", "a\x00b", "\x7f", "\x0b", "\ud800x"]),
    st.sampled_from(["\u2028", "\u00a0", "\u200b", "\ue000", "é", "编码", "x" * 9_000]),
    st.builds(Text, st.text(max_size=5)),
    st.sampled_from([Kind.ONE, Letter.ONE]),
)
integers = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**1925), max_value=2**1925),
    st.sampled_from([0, 1, 2, -1, 2**1920 - 1, 2**1920, -(2**1920), 10**4299, 10**4300]),
    st.booleans(),
    st.sampled_from([Colour.WHITE, Switch.ON]),
    st.builds(Number, st.integers(-3, 3)),
)
others = st.one_of(
    st.none(),
    st.floats(allow_nan=True),
    st.binary(max_size=8),
    st.just(PNG),
    st.lists(st.integers(), max_size=2),
    st.sets(st.integers(), max_size=2),
    st.sampled_from(["/no/such/dir/logo.png", "/no/such/dir/codes.txt", "name.exe"]),
)


def _values(plan: Any) -> st.SearchStrategy[Any]:
    documented = [] if plan.allowed is None else [st.sampled_from(sorted(plan.allowed, key=str))]
    return st.one_of(*documented, texts, integers, others)


def _unchecked(cls: type[Spec], values: dict[str, Any]) -> Spec:
    """An instance holding ``values`` as they are: no validator or check has run."""
    spec = object.__new__(cls)
    for name, value in values.items():
        object.__setattr__(spec, name, value)
    return spec


def _outcome(step: Any, spec: Spec) -> Any:
    """What ``step(spec)`` returns, or what it raises, as comparable data."""
    try:
        return ("returned", step(spec))
    except Exception as exc:  # every exception is compared: type, message, arguments
        return ("raised", type(exc), str(exc), exc.args, getattr(exc, "parameter", None))


def _typed(fields: dict[str, Any]) -> dict[str, Any]:
    """Text fields with their types: ``Kind.ONE == "1"``, yet only ``"1"`` is wire text."""
    return {name: (type(value), value) for name, value in fields.items()}


def _wire_data(wire: Any) -> Any:
    try:
        files = {k: (f.filename, f.size, f.content) for k, f in wire.files.items()}
        return (_typed(wire.fields), files, wire.json_envelope)
    finally:
        wire.close()


def _assert_same_paths(cls: type[Spec], values: dict[str, Any]) -> None:
    spec = _unchecked(cls, values)
    full = _outcome(Spec.__attrs_post_init__, spec)
    compiled = _outcome(cls.__attrs_post_init__, spec)
    assert compiled == full
    if full[0] == "raised":
        return
    text = _outcome(lambda s: _typed(cls._text_fields(s)), spec)
    assert text == _outcome(lambda s: _typed(Spec._text_fields(s)), spec)
    if cls.number == 402:
        return  # 402 writes its own envelope (its own ``wire``): nothing compiled to compare
    compiled_wire = _outcome(lambda s: _wire_data(cls.wire(s)), spec)
    assert compiled_wire == _outcome(lambda s: _wire_data(Spec.wire(s)), spec)


def _drawn(number: int, data: st.DataObject, *, at_most: int | None) -> dict[str, Any]:
    values = fields_of(SAMPLES[number])
    plans = registry[number]._plan
    names = [plan.name for plan in plans]
    chosen = data.draw(st.sets(st.sampled_from(names), min_size=1, max_size=at_most))
    for plan in plans:
        if plan.name in chosen:
            values[plan.name] = data.draw(_values(plan), label=plan.name)
    return values


@pytest.mark.parametrize("number", WITH_FIELDS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_one_value_of_any_kind_is_judged_alike(number, data):
    """One field of any kind holds any value: the same error, or the same wire both ways."""
    _assert_same_paths(registry[number], _drawn(number, data, at_most=1))


@pytest.mark.parametrize("number", WITH_FIELDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_several_wrong_values_give_the_same_first_error(number, data):
    """Several fields at once: the error that wins is the same both ways (order of checks)."""
    _assert_same_paths(registry[number], _drawn(number, data, at_most=None))


@contextmanager
def _digit_limit(limit: int) -> Iterator[None]:
    before = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(limit)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(before)


INT_FIELDS = [
    (number, plan.name)
    for number in NUMBERS
    for plan in registry[number]._plan
    if plan.kind == "int" and plan.allowed is None
]


@pytest.mark.parametrize("limit", [0, 640, 641, 4300])
@pytest.mark.parametrize("bits", [1919, 1920, 1921, 2200, 14300])
def test_the_cheap_integer_test_holds_under_any_digit_limit(limit, bits):
    """The digit limit is process state: near the lowest a process may set, both paths agree."""
    with _digit_limit(limit):
        for number, name in INT_FIELDS:
            for value in (2**bits - 1, -(2**bits) + 1, 2 ** (bits - 1)):
                values = {**fields_of(SAMPLES[number]), name: value}
                _assert_same_paths(registry[number], values)


def test_every_declared_class_has_compiled_methods():
    """Declaring a class compiles its checks; a ``wire`` the class writes itself is kept."""
    for number in NUMBERS:
        cls = registry[number]
        assert cls.__attrs_post_init__ is not Spec.__attrs_post_init__
        assert cls._text_fields is not Spec._text_fields
        assert cls.wire is not Spec.wire
    assert registry[402].wire.__qualname__ == "CategoryBatchRegist.wire"


@pytest.mark.parametrize("number", NUMBERS)
def test_each_sample_is_judged_alike(number):
    """Every endpoint's well-formed sample (101 has no parameters at all)."""
    _assert_same_paths(registry[number], fields_of(SAMPLES[number]))


def test_a_documented_value_the_full_check_refuses_is_always_checked():
    """Documented values are trusted by the cheap test only when they are clean themselves."""
    checked: list[Any] = []
    plans = [
        FieldPlan("a", "str", True, frozenset({"ok", "a\x00b"})),
        FieldPlan("b", "int", True, frozenset({1, 2**2000})),
        FieldPlan("c", "str", True, frozenset({"x", "y"})),
    ]
    record = lambda spec, plan, value: checked.append((plan.name, value))  # noqa: E731
    full = FullPath(record, print, str, print, dict, ValueError)
    methods = compiled_methods("test", plans, url_borne=False, full=full)
    spec = SimpleNamespace(a="ok", b=1, c="x", _check=lambda: None, number=0)
    methods["__attrs_post_init__"](spec)
    assert checked == [("a", "ok"), ("b", 1)]


def test_a_subclass_not_declared_inherits_the_loops_not_the_compiled_methods():
    """Compiled methods are the declared class's own: a subclass runs Spec's loops, so what it
    overrides (here its text fields) is used as before compiling."""

    @attrs.frozen(kw_only=True)
    class Renamed(CompanyInfoBase):
        def _text_fields(self) -> dict[str, str]:
            return {"company_idcode": "renamed"}

    for cls in (Renamed, type("Plain", (CompanyInfoBase,), {})):
        assert cls.__attrs_post_init__ is Spec.__attrs_post_init__
        assert cls.wire is Spec.wire
    assert Renamed(company_idcode="i.1").wire().fields == {"company_idcode": "renamed"}
    assert CompanyInfoBase.wire is not Spec.wire
