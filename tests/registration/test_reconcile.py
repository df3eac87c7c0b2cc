"""Reconciliation: 307's exact-name answer decides whether a lost request may be resent."""

from __future__ import annotations

import pytest

from idcode_async import BusyError
from idcode_async.endpoints import OrganUnitInfo
from idcode_async.registration.runner import find_unit, pick_unit

NAME = "北京测试科技有限公司1"


def info(name: str, oid: str | None = "i.86.110105.1") -> OrganUnitInfo:
    return OrganUnitInfo(organunit_name=name, organunit_oid=oid)


def test_pick_unit_wants_the_exact_name():
    assert pick_unit([info(NAME + "分公司"), info("北京测试")], NAME) is None
    assert (
        pick_unit([info(NAME + "分公司", "x"), info(f" {NAME} ", "y")], NAME).organunit_oid == "y"
    )
    assert pick_unit([info(NAME, None), info(NAME, "z")], NAME).organunit_oid == "z"
    assert pick_unit([info(NAME, None)], NAME).organunit_oid is None
    assert pick_unit([], NAME) is None


async def test_find_unit_asks_307_for_the_exact_name(client, centre):
    assert await find_unit(client, NAME) is None  # 10006 is "not there", not an error
    centre.add_unit(NAME)
    unit = await find_unit(client, NAME)
    assert unit is not None
    assert unit.organunit_oid == "i.86.110105.1"
    path, fields = centre.calls[-1]
    assert path == "/sp/idcode/companyinfo/search"
    assert (fields["company_name"], fields["search_type"]) == (NAME, "1")


async def test_find_unit_lets_other_failures_through(client, centre):
    centre.search_script = ["busy"] * 3  # the client retries reads twice, then gives up
    with pytest.raises(BusyError):
        await find_unit(client, NAME)
