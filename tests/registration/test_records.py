"""The batch row: 309's fields, normalised, with a key that survives a re-read."""

from __future__ import annotations

import attrs
import pytest

from idcode_async import ValidationError
from idcode_async.endpoints import UnitRegist
from idcode_async.registration.records import FIELDS, REQUIRED_FIELDS

from .conftest import unit


def test_fields_are_309s_request_parameters():
    spec_fields = {f.name for f in attrs.fields(UnitRegist)}
    assert set(FIELDS) == spec_fields
    required = {f.name for f in attrs.fields(UnitRegist) if f.default is attrs.NOTHING}
    assert required == REQUIRED_FIELDS


def test_text_is_stripped_and_empty_text_is_absent():
    record = unit(1, organunit_name="  北京测试科技有限公司1 ", email="  ", linkman="")
    assert record.organunit_name == "北京测试科技有限公司1"
    assert record.email is None
    assert record.linkman is None
    assert "email" not in record.wire_values()


def test_key_is_stable_across_spelling_of_the_same_row():
    assert unit(1).key == unit(1, organunit_name=" 北京测试科技有限公司1", email="").key
    assert unit(1).key != unit(2).key
    assert unit(1).key != unit(1, linkphone="13900139000").key
    assert len(unit(1).key) == 64


def test_name_key_collapses_inner_white_space():
    assert unit(1, organunit_name="ACME  Trading\tCo").name_key == "ACME Trading Co"


def test_to_spec_builds_309_and_applies_its_rules():
    spec = unit(1).to_spec()
    assert isinstance(spec, UnitRegist)
    assert spec.wire().fields["organunit_name"] == "北京测试科技有限公司1"
    with pytest.raises(ValidationError) as info:
        unit(1, city_id=110100).to_spec()  # Beijing has no city level (101 note)
    assert info.value.parameter == "city_id"
    with pytest.raises(ValidationError):
        unit(1, linkphone="12345").to_spec()


def test_unit_icon_stays_out_of_repr():
    assert "iVBOR" not in repr(unit(1, unit_icon="iVBORw0KGgo="))
