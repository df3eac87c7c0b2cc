"""The one converter: envelope spellings, stray-space keys, exact big IDs, null and lone lists."""

from __future__ import annotations

import json
import operator
from decimal import Decimal
from typing import Any, get_args, get_origin

import attrs
import cattrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idcode_async import registry
from idcode_async._converter import (
    _MOST_SHAPES,
    NestingError,
    Surveyed,
    _clean_object,
    _fast_hook,
    _UnhandledError,
    converter,
    decode_json,
    normalise_keys,
    structure,
)
from idcode_async._spec import Endpoint, Response
from idcode_async.endpoints.codes import CodeRecord, CodeRecordsResponse

pytestmark = pytest.mark.usefixtures("each_json_parser")


@attrs.frozen(kw_only=True)
class Item:
    big_id: str | None = None
    count: int | None = None


@attrs.frozen(kw_only=True)
class Answer(Response):
    category_reg_id: str | None = None
    items: list[Item] = attrs.field(factory=list)
    size: int | None = None


def decode(raw: str) -> Answer:
    return structure(normalise_keys(decode_json(raw.encode())), Answer)


def test_twenty_digit_id_as_bare_number_stays_exact():
    answer = decode('{"result_code":1,"category_reg_id":10030000000000001923}')
    assert answer.category_reg_id == "10030000000000001923"


def test_id_in_exponent_notation_is_rendered_as_digits():
    answer = decode('{"result_code":1,"category_reg_id":1.0030000000000001923E19}')
    assert answer.category_reg_id == "10030000000000001923"


def test_id_as_string_is_kept():
    assert decode('{"result_code":1,"category_reg_id":"0012"}').category_reg_id == "0012"


def test_capitalised_envelope_and_stray_spaces_at_every_depth():
    answer = decode(
        '{"ResultCode":1,"ResultMsg":"成功"," category_reg_id ":"7",'
        '"it ems":[{" big_id":5,"count ":"3"}]}'
    )
    assert (answer.result_code, answer.result_msg, answer.category_reg_id) == (1, "成功", "7")
    assert answer.items == [Item(big_id="5", count=3)]


@pytest.mark.parametrize("empty", ["null", '""', "[]"])
def test_null_or_empty_list_decodes_as_empty(empty: str):
    assert decode('{"result_code":1,"items":' + empty + "}").items == []


def test_a_lone_object_where_a_list_is_documented_becomes_one_item():
    assert decode('{"result_code":1,"items":{"big_id":"1"}}').items == [Item(big_id="1")]


def test_blank_integer_decodes_as_none():
    assert decode('{"result_code":1,"size":""}').size is None


def test_unknown_keys_are_ignored():
    assert decode('{"result_code":1,"novel":{"a":1}}').result_code == 1


@pytest.mark.parametrize("raw", ['{"result_code":1,"size":"big"}', '{"result_code":1,"items":"x"}'])
def test_wrong_shapes_raise(raw: str):
    with pytest.raises((ValueError, cattrs.BaseValidationError)):
        decode(raw)


# --- the generated fast path against cattrs' own structuring ----------------------------------

RESPONSE_TYPES = sorted(
    {cls.response_type for cls in registry.values() if issubclass(cls, Endpoint)},
    key=lambda cls: cls.__qualname__,
)
field_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**25), max_value=10**25),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str).map(Decimal),
    st.sampled_from(["", " ", "7", " 12 ", "+3", "x", "10030000000000001923"]),
    st.text(max_size=6),
    st.lists(st.integers(), max_size=2),
)


@st.composite
def shaped_body(draw: st.DrawFn, cls: type, depth: int = 0) -> dict[str, Any]:
    """An object with some of ``cls``'s fields: hostile scalars, nested records, lone objects."""
    body: dict[str, Any] = {}
    for field in attrs.fields(attrs.resolve_types(cls)):
        if not draw(st.booleans()):
            continue
        item = get_args(field.type)[0] if get_origin(field.type) is list else None
        if attrs.has(item) and depth < 2:
            records = st.lists(shaped_body(item, depth + 1), max_size=3)
            body[field.name] = draw(st.one_of(records, shaped_body(item, depth + 1), field_values))
        elif item is str:
            body[field.name] = draw(st.one_of(st.lists(st.text(max_size=4)), field_values))
        else:
            body[field.name] = draw(field_values)
    return body


def outcome(run: Any) -> tuple[str, Any]:
    try:
        return "ok", run()
    except Exception as exc:
        return "error", type(exc)


@pytest.mark.parametrize("cls", RESPONSE_TYPES, ids=lambda cls: cls.__qualname__)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_fast_path_builds_what_cattrs_builds_or_defers_to_it(cls: type, data: st.DataObject):
    body = data.draw(shaped_body(cls))
    expected = outcome(lambda: converter.structure(body, cls))
    assert outcome(lambda: structure(body, cls)) == expected
    fast = outcome(lambda: _fast_hook(cls)(body))
    assert fast == expected or fast[0] == "error"
    # once more: a shape met before takes its plan, with the same result
    assert outcome(lambda: _fast_hook(cls)(body)) == fast
    assert outcome(lambda: structure(body, cls)) == expected


def test_documented_shapes_take_the_fast_path():
    body = {"result_code": "1", "items": [{"big_id": 10030000000000001923, "count": " 3 "}]}
    assert _fast_hook(Answer)(body) == Answer(items=[Item(big_id="10030000000000001923", count=3)])
    assert _fast_hook(Answer)({"items": {"big_id": "1"}, "size": ""}) == Answer(
        items=[Item(big_id="1")]
    )


def test_a_mismatch_still_names_the_field_through_the_detailed_path():
    with pytest.raises(cattrs.BaseValidationError) as caught:
        structure({"result_code": 1, "items": [{"count": "many"}]}, Answer)
    assert "count" in "; ".join(cattrs.transform_error(caught.value))


def test_nesting_is_measured_at_every_depth_and_refused_past_the_bound():
    assert decode_json(b"[" * 32 + b"]" * 32, max_depth=32) == json.loads(b"[" * 32 + b"]" * 32)
    with pytest.raises(NestingError):
        decode_json(b'{"a":' + b"[" * 32 + b"]" * 32 + b"}", max_depth=32)


@pytest.mark.parametrize("records", [10, 10_000], ids=["small", "surveyed"])
def test_a_stray_space_key_deep_in_a_list_is_cleaned(records: int):
    items = [{"big_id": n} for n in range(records)] + [{" big_id ": 5}]
    body = decode_json(json.dumps({"ResultCode": 1, "items": items}).encode())
    assert body["result_code"] == 1
    assert body["items"][-1] == {"big_id": 5}


@pytest.mark.parametrize("objects", [0, 5000], ids=["hooked", "surveyed"])
def test_duplicate_keys_after_cleaning_keep_the_last_in_document_order(objects: int):
    raw = b'{"pad":[' + b"{}," * objects + b'{}],"a":1," a":2,"a":3}'
    assert decode_json(raw)["a"] == 3


@pytest.mark.parametrize("objects", [0, 5000], ids=["hooked", "surveyed"])
def test_nesting_past_the_bound_is_refused_whichever_way_the_answer_is_parsed(objects: int):
    deep = b"[" * 32 + b"]" * 32
    raw = b'{"pad":[' + b"{}," * objects + b'{}],"deep":' + deep + b"}"
    with pytest.raises(NestingError):
        decode_json(raw, max_depth=32)
    assert decode_json(raw, max_depth=34)["deep"] == json.loads(deep)


keys = st.sampled_from(["a", " a", "a ", "b", "b c", "ResultCode", "result_code", "x"])
json_trees = st.recursive(
    st.one_of(st.none(), st.integers(), st.text(max_size=3)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(tree=json_trees, many=st.booleans())
def test_surveyed_keys_come_out_as_the_parsing_hook_makes_them(tree: Any, many: bool):
    """Cleaned in place or parsed again, keys, values and their order match the hook's."""
    pad = [{}] * 1100 if many else []
    raw = json.dumps({"pad": pad, "tree": tree}).encode()
    by_hook = json.loads(raw, object_pairs_hook=_clean_object)
    assert json.dumps(decode_json(raw, max_depth=32)) == json.dumps(by_hook)


RECORD_FIELDS = [field.name for field in attrs.fields(CodeRecord)]


def full_record(n: int) -> dict[str, Any]:
    """A 502 record with every documented key, each value already of its field's type."""
    return {
        name: n if "int" in str(field.type) else f"{name}-{n}"
        for name, field in attrs.fields_dict(CodeRecord).items()
    }


def test_a_list_of_exact_records_keeps_the_parsed_objects_as_the_records():
    """The fast path for big lists: each record's attributes are its parsed object."""
    raw = json.dumps({"result_code": 1, "code_record_list": [full_record(n) for n in range(3)]})
    body = decode_json(raw.encode())
    answer = structure(body, CodeRecordsResponse)
    assert answer == converter.structure(body, CodeRecordsResponse)
    assert answer.records == [CodeRecord(**full_record(n)) for n in range(3)]  # type: ignore[arg-type]
    assert vars(answer.records[1]) is body["code_record_list"][1]
    assert hash(answer.records[1]) == hash(CodeRecord(**full_record(1)))  # type: ignore[arg-type]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        answer.records[0].code_num = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    "change",
    [
        {"code_num": "7"},  # digits as text: converted per record
        {"uploadcode_id": 10030000000000001923},  # a bare number where text is documented
        {"code_num": True},
        {"unknown_key": "kept out"},
        {"code_num": None, "uploadcode_id": None},
    ],
)
def test_a_record_that_is_not_exact_is_structured_as_before(change: dict[str, Any]):
    records = [full_record(n) for n in range(3)]
    records[2].update(change)
    body = decode_json(json.dumps({"code_record_list": records}).encode())
    answer = structure(body, CodeRecordsResponse)
    assert answer == converter.structure(body, CodeRecordsResponse)
    assert all(vars(record).keys() == set(RECORD_FIELDS) for record in answer.records)


def test_a_missing_key_or_another_key_order_takes_the_per_record_path():
    records = [full_record(n) for n in range(3)]
    del records[0]["create_code"]
    records[1] = dict(reversed(records[1].items()))
    answer = structure({"code_record_list": records}, CodeRecordsResponse)
    assert answer.records[0].create_code is None
    assert answer.records[1] == CodeRecord(**full_record(1))  # type: ignore[arg-type]


record_values = st.one_of(
    st.none(), st.integers(), st.text(max_size=3), st.booleans(), st.just([]), st.just({})
)


@settings(max_examples=80, deadline=None)
@given(
    records=st.lists(st.fixed_dictionaries(dict.fromkeys(RECORD_FIELDS, record_values)), max_size=4)
)
def test_lists_of_full_records_build_what_cattrs_builds(records: list[dict[str, Any]]):
    body = {"code_record_list": records}
    expected = outcome(lambda: converter.structure(body, CodeRecordsResponse))
    assert outcome(lambda: structure(body, CodeRecordsResponse)) == expected


def test_a_float_is_parsed_again_as_an_exact_decimal():
    body = decode_json(b'{"a": 0.1, "b": [1, 2.50]}')
    assert body == {"a": Decimal("0.1"), "b": [1, Decimal("2.50")]}
    assert type(body["a"]) is Decimal


def test_a_plain_response_is_built_as_its_init_builds_it():
    """306's answer takes the direct path: the record holds exactly what ``__init__`` stores."""
    from idcode_async.endpoints._shared import OrganUnitResponse

    raw = b'{"result_code":1," linkman_en":"Zhang San","organunit_id":10030000000000001923}'
    expected = OrganUnitResponse(linkman_en="Zhang San", organunit_id="10030000000000001923")
    for _ in range(2):  # the second answer of this shape takes the plan the first left
        answer = structure(decode_json(raw, max_depth=32), OrganUnitResponse)
        assert answer == expected
        assert vars(answer) == vars(expected)
        assert list(vars(answer)) == list(vars(expected))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        answer.linkman = "x"  # type: ignore[misc]


@attrs.frozen(kw_only=True, slots=False)
class Shaped(Response):
    """A plain record of its own, so that no other test has taught it a shape."""

    code: str
    size: int | None = None
    name: str | None = None


def test_answers_of_a_learnt_shape_are_built_from_their_own_values():
    build = _fast_hook(Shaped)
    first = {"code": 10030000000000001923, "size": 3, "name": "a"}
    assert build(first) == Shaped(code="10030000000000001923", size=3, name="a")
    plan = _plans_of(build)[("code", "size", "name"), (int, int, str)]
    assert plan is not None
    assert [name for name, *_ in plan] == ["code"]  # only code is hooked
    # the same keys and types, other values: the plan converts this answer's own values
    assert build({"code": 7, "size": 4, "name": "b"}) == Shaped(code="7", size=4, name="b")
    # a hooked value the hook refuses still fails, so the detailed path names the field
    assert build({"code": "x", "size": " 5 ", "name": None}) == Shaped(code="x", size=5)
    with pytest.raises(ValueError, match="many"):  # as the key-by-key path raises it
        build({"code": "y", "size": "many", "name": None})
    with pytest.raises(cattrs.BaseValidationError) as caught:
        structure({"code": "y", "size": "many", "name": None}, Shaped)
    assert "size" in "; ".join(cattrs.transform_error(caught.value))
    # a shape lacking a required key, or holding an unknown one, keeps the key-by-key path
    for _ in range(2):
        with pytest.raises(_UnhandledError):
            build({"size": 1})
        assert build({"code": "z", "extra": 1}) == Shaped(code="z")
        assert vars(build({"code": "z", "extra": 1})) == vars(Shaped(code="z"))


def test_the_plans_a_class_keeps_are_bounded():
    build = _fast_hook(Shaped)
    for count in range(3 * _MOST_SHAPES):  # every answer a new shape: keys in another order
        keys = [f"k{n}" for n in range(count % 7)] + ["code"]
        body = dict.fromkeys(keys, 1) | {"code": str(count)}
        assert build(body) == Shaped(code=str(count))
    plans = _plans_of(build)
    assert 0 < len(plans) <= _MOST_SHAPES


def _plans_of(build: Any) -> dict[Any, Any]:
    """The plans a generated function keeps (its closure's dictionary of shapes)."""
    cells = [cell.cell_contents for cell in build.__closure__ or ()]
    (plans,) = [c for c in cells if isinstance(c, dict) and all(type(k) is tuple for k in c)]
    return plans


@attrs.frozen(kw_only=True)
class Checked(Response):
    size: int = attrs.field(default=0)

    @size.validator
    def _positive(self, attribute: Any, value: int) -> None:
        if value < 0:
            raise ValueError("size must not be negative")


def test_a_record_with_a_validator_is_still_built_through_its_init():
    assert structure({"size": "3"}, Checked) == Checked(size=3)
    with pytest.raises(cattrs.BaseValidationError):
        structure({"size": -1}, Checked)


def parsed(raw: bytes, depth: int) -> tuple[str, Any]:
    return outcome(lambda: decode_json(raw, max_depth=depth))


@settings(max_examples=150, deadline=None)
@given(
    tree=json_trees,
    extra=st.one_of(st.floats(allow_nan=False), st.none()),
    depth=st.sampled_from([3, 32]),
)
def test_a_small_answer_is_checked_as_a_big_one(tree: Any, extra: float | None, depth: int):
    """The per-object walk (few containers) and the survey (many) find the same things."""
    small = parsed(json.dumps({"tree": tree, "x": extra}).encode(), depth)
    big = parsed(json.dumps({"pad": [{}] * 1100, "tree": tree, "x": extra}).encode(), depth)
    assert small[0] == big[0]
    if small[0] == "error":
        assert small[1] is big[1]
    else:
        assert json.dumps(small[1]["tree"]) == json.dumps(big[1]["tree"])
        assert small[1]["x"] == big[1]["x"]
        assert type(small[1]["x"]) is type(big[1]["x"])


@pytest.mark.parametrize(
    "change",
    [
        {},
        {" code_num ": 7},  # a stray-space key: cleaned in place, the list gathered again
        {"code_num": "7"},
        {"code_num": 7.5},  # a decimal: parsed again exactly
        {"code_num": [1]},
        {"create_code": {"nested": 1}},
    ],
    ids=repr,
)
def test_what_the_survey_learnt_of_a_list_builds_what_cattrs_builds(
    change: dict[str, Any], each_json_parser: str
):
    """Lists surveyed for their key orders and types (more than a few hundred objects); a
    list whose keys the survey cleans in place is not kept (json's hook cleans them first)."""
    records = [full_record(n) for n in range(400)]
    for key in change:  # a stray-space key replaces its clean spelling
        records[123].pop(key.strip())
    records[123].update(change)
    raw = json.dumps({"result_code": 1, "code_record_list": records}).encode()
    rows: Surveyed = {}
    body = decode_json(raw, max_depth=32, rows=rows)
    listed = body["code_record_list"]
    cleaned_in_place = " code_num " in change and each_json_parser == "orjson"
    assert (id(listed) in rows) is not cleaned_in_place
    expected = outcome(lambda: converter.structure(decode_json(raw), CodeRecordsResponse))
    assert outcome(lambda: structure(body, CodeRecordsResponse, rows=rows)) == expected
    if not change:
        answer = structure(body, CodeRecordsResponse, rows=rows)
        assert all(map(operator.is_, map(vars, answer.records), listed))


@pytest.mark.parametrize("number", [b"1.5", b"1." + b"0" * 500], ids=["decimal", "too long"])
def test_a_decimal_beside_a_deep_list_is_decided_as_the_survey_decides(number: bytes):
    """The walk goes breadth first: the decimal, nearer the top, is found before the depth."""
    deep = b"[" * 40 + b"]" * 40
    tail = b'"c":{"a":' + number + b'},"b":' + deep + b"}"
    small = parsed(b"{" + tail, 32)
    big = parsed(b'{"pad":[' + b"{}," * 1100 + b"{}]," + tail, 32)
    assert small[0] == big[0] == "error"
    assert small[1] is big[1]
