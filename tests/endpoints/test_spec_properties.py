"""Properties of spec construction, for every registered endpoint (issue: bad input is typed).

Whatever values a caller hands a spec, the outcome is a ValidationError or a valid spec; and a
valid spec always builds its wire form, is signed by the public signer and encodes, which the
independent reader of ``tests/wire.py`` checks (hash recomputed from the document's rule).
"""

from __future__ import annotations

import json
import math
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idcode_async import ValidationError, registry

from ..wire import assert_signed, business_fields, exchange
from .samples import fields_of, samples, signed_wire

SAMPLES = samples()
NUMBERS = sorted(SAMPLES)
SECRETS = ("secret301",)  # the sample 301 password; no error text may carry it

odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(),
    st.binary(max_size=32),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sampled_from(
        [
            "\ud800",
            "ok\udcff",
            "a\x00b",
            " ",
            "x" * 20_000,
            10**5000,
            -(10**4400),
            object(),
            math.inf,
            "http://[::1",
            "https://example.com/{userCode}",
            "13800138000",
            "1",
            "2",
            "1.0",
        ]
    ),
)


def _drawn_arguments(number: int, data: st.DataObject) -> dict[str, Any]:
    base = fields_of(SAMPLES[number])
    names = sorted(base)
    values = dict(base)
    if names:
        replaced = data.draw(st.sets(st.sampled_from(names)), label="replaced")
        values.update({name: data.draw(odd_values, label=name) for name in sorted(replaced)})
        dropped = data.draw(st.sets(st.sampled_from(names), max_size=2), label="dropped")
        values = {k: v for k, v in values.items() if k not in dropped}
    if data.draw(st.booleans(), label="extra"):
        values[data.draw(st.text(min_size=1, max_size=8), label="extra name")] = 1
    return values


def _check_valid(spec: Any) -> None:
    if spec.is_page and "GET" not in spec.documented_methods:
        return  # 405: a form; its fields are the same signed fields, checked by page_form tests
    wire = signed_wire(spec)
    assert_signed(wire, token_in_json=spec.number == 402)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(number=st.sampled_from(NUMBERS), data=st.data())
def test_any_arguments_give_a_valid_spec_or_a_validation_error(number, data):
    outcome = _build(registry[number], _drawn_arguments(number, data))
    if isinstance(outcome, ValidationError):
        assert outcome.endpoint in (number, None)
        text = f"{outcome} {outcome!r} {outcome.args!r}"
        assert not any(secret in text for secret in SECRETS)
        assert "\ud800" not in text
        assert "\udcff" not in text
        return
    _check_valid(outcome)


def _build(cls: Any, arguments: dict[str, Any]) -> Any:
    """The spec, or the ValidationError refusing it; any other exception fails the test."""
    try:
        return cls(**arguments)
    except ValidationError as exc:
        return exc


TEXT_FIELDS = [
    (number, plan.name)
    for number in NUMBERS
    for plan in registry[number]._plan
    if plan.kind == "str" and plan.allowed is None
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(TEXT_FIELDS), value=st.text())
def test_any_text_is_refused_by_name_or_arrives_unchanged(case, value):
    """Arbitrary text (surrogates included) in one parameter: refused, or on the wire as given."""
    number, name = case
    cls = registry[number]
    spec = _build(cls, {**fields_of(SAMPLES[number]), name: value})
    if isinstance(spec, ValidationError):
        assert spec.parameter == name
        return
    if spec.is_page and "GET" not in spec.documented_methods:
        return
    wire = signed_wire(spec)
    assert_signed(wire, token_in_json=number == 402)
    if number == 402:  # every parameter travels inside the signed json_str (seed 402)
        assert json.loads(wire.fields["json_str"])[name] == value
    else:
        assert business_fields(wire)[name] == value


@pytest.mark.parametrize("number", [n for n in NUMBERS if not registry[n].is_page])
async def test_every_sample_is_sent_signed(client, router, number):
    """A full send through the client (respx) of each endpoint's sample."""
    wire, _ = await exchange(client, router, SAMPLES[number], {"result_code": 1})
    assert_signed(wire, token_in_json=number == 402)
    assert wire.path == registry[number].path


def test_every_spec_refuses_an_unknown_argument_by_name():
    for number, spec in SAMPLES.items():
        with pytest.raises(ValidationError, match="not a parameter") as info:
            type(spec)(**fields_of(spec), no_such_parameter=1)
        assert (info.value.parameter, info.value.endpoint) == ("no_such_parameter", number)


def test_every_spec_refuses_positional_arguments():
    for number, spec in SAMPLES.items():
        values = [*fields_of(spec).values()] or [1]
        with pytest.raises(ValidationError, match="by name") as info:
            type(spec)(*values)
        assert info.value.endpoint == number
        assert f"got {len(values)} positional argument(s)" in str(info.value)


def test_every_required_parameter_left_out_is_named():
    for number, spec in SAMPLES.items():
        for field in attrs.fields(type(spec)):
            if field.default is not attrs.NOTHING:
                continue
            arguments = {k: v for k, v in fields_of(spec).items() if k != field.name}
            with pytest.raises(ValidationError, match="is required") as info:
                type(spec)(**arguments)
            assert (info.value.parameter, info.value.endpoint) == (field.name, number)
