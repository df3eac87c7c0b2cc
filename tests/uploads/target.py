"""A unit with one product category on a sandbox: where the upload tests send their codes.

Set up through the SDK (309 register, 305 complete, 406 register a product category), as a
real SP would; the values follow the document's examples (Beijing Chaoyang, laundry detergent
232324).  Works against an in-process sandbox or one served over loopback.
"""

from __future__ import annotations

import attrs

from idcode_async import IdcodeClient
from idcode_async.endpoints import CompanyModify, ProductCategoryRegister, UnitRegist
from idcode_async.uploads import CategoryRef

GOTOURL = "http://www.example.com/scan.aspx?id=1"
SAMPLE_URL = "http://www.example.com/scan.aspx?id=1&code=i.86.110105.1/10.232324.A1/0001"


@attrs.frozen
class Target:
    company_idcode: str
    category_reg_id: str
    category_code: str
    """The category IDcode, the prefix of the full codes 505 answers (ends with "/")."""
    model_number_code: str

    @property
    def category(self) -> CategoryRef:
        return CategoryRef("232324", self.model_number_code, self.category_code)


async def register_target(
    client: IdcodeClient, n: int = 1, model_number_code: str = "A1"
) -> Target:
    """Unit number ``n`` (its own licence number and name) with one product category."""
    unit = await client.call(
        UnitRegist(
            login_name=f"91110105MA{n:08d}",
            organunit_name=f"北京上传测试科技有限公司{n}",
            code=1,
            province_id=110000,
            city_id=110000,
            area_id=110105,
        )
    )
    company = unit.organunit_idcode
    assert company
    await client.call(
        CompanyModify(
            company_idcode=company, trade_id=114, organunit_address="朝阳路 1 号", unit_size_type=1
        )
    )
    product = await client.call(
        ProductCategoryRegister(
            company_idcode=company,
            industrycategory_id=232324,
            category_code="232324",
            model_number=f"洗衣液 {model_number_code}",
            model_number_code=model_number_code,
            code_pay_type="2",
            gotourl=GOTOURL,
            sample_url=SAMPLE_URL,
        )
    )
    assert product.category_reg_id
    assert product.organunit_idcode
    return Target(company, product.category_reg_id, product.organunit_idcode, model_number_code)
