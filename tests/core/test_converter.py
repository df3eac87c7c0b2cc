"""The one converter: envelope spellings, stray-space keys, exact big IDs, null and lone lists."""

from __future__ import annotations

import attrs
import cattrs
import pytest

from idcode_async._converter import decode_json, normalise_keys, structure
from idcode_async._spec import Response


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
