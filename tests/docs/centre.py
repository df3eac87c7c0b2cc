"""The sandbox the documentation's examples run against: fresh per block, with the
document's example unit.

The examples use the document's own example unit ``i.86.120103.1021`` (seed §五, 306) so
that they read like the document.  No interface registers a unit under a chosen main code,
so that unit is put into the sandbox's state directly, completed (trade and address, as 305
would) and already reviewed; its first product category is then registered with 402 through
the API, so it gets the sandbox's first registration ID, ``10040000000000001001``.
"""

from __future__ import annotations

from typing import Final

from idcode_async import CategoryRegItem, registry
from idcode_async.sandbox import Sandbox
from idcode_async.sandbox.records import Unit

__all__ = ["EXAMPLE_CATEGORY_REG_ID", "EXAMPLE_UNIT", "seed"]

EXAMPLE_UNIT: Final = "i.86.120103.1021"
"""The document's example main code (seed §五, interface 306)."""
EXAMPLE_CATEGORY_REG_ID: Final = "10040000000000001001"
"""The registration ID the example unit's first category gets (the uploads examples use it)."""


def _example_unit(sandbox: Sandbox) -> Unit:
    now = sandbox.now_ms()
    return Unit(
        organunit_id=sandbox.state.next_id("unit"),
        idcode=EXAMPLE_UNIT,
        login_name="91120103MA05EXAMPLE",
        password="example-password",
        organunit_name="天津示例科技有限公司",
        unittype_id=1,
        province_id=120000,
        city_id=120000,
        area_id=120103,
        registered_via=309,
        registered_ms=now,
        review_started_ms=now,
        trade_id=1,
        text={"organunit_address": "天津市河西区示例路 1 号", "linkphone": "15000000000"},
    )


async def seed(sandbox: Sandbox) -> None:
    """Add the example unit and register its first product category (402)."""
    sandbox.state.add_unit(_example_unit(sandbox))
    async with sandbox.client() as client:
        result = await client.call(
            registry[402](
                company_idcode=EXAMPLE_UNIT,
                category_reg_list=[
                    CategoryRegItem(
                        industrycategory_id=102010,
                        codeuse_id=10,
                        category_code="102010",
                        code_pay_type=2,
                        gotourl="https://example.com/p.aspx?id=",
                        model_number="纯净水 350ml",
                        model_number_code="SW-350",
                    )
                ],
            )
        )
    (first,) = result.batch_regist_list
    if str(first.category_reg_id) != EXAMPLE_CATEGORY_REG_ID:
        raise AssertionError(f"seeded registration got {first.category_reg_id}")
