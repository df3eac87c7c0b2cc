"""The seeded state: the document's example unit and its categories, ready to be read;
and the builders it uses (:func:`add_unit`, :func:`add_category`), which the pytest plugin's
helpers share (:mod:`idcode_async.testing`).

A fresh sandbox is empty, so every read endpoint (306, 307, 308, 403, 404 …) first answers
10003/10006.  ``Sandbox(seeded=True)`` (``idcode sandbox serve --seeded``, the plugin's
``idcode_seeded`` marker) starts from the values of the document's own examples instead:

* the unit ``i.86.120103.1021`` of the 304 request example (seed §八: ``company_idcode``,
  ``code_pay_type=2``, ``organization_code=123456789``), in Tianjin 河西区 (120000/120000/
  120103, a province without a city level, seed §六 note), reviewed and approved, with a trade
  and an address (305) so that 304 and the category endpoints accept it;
* its product category ``10.232324.11`` (code use 10 产品, 洗衣液 232324, model code 11: the
  catalog code of the example ``i.86.101010.3/10.232324.11``, seed §十一 and §十三);
* its document category ``91.12000000.1`` (code use 91 文档资料, 企业文档 12000000: the
  example ``i.86.110108.52/91.12000000.1`` of seed §十三).

Both categories are registered (``code_pay_type`` 2) and their resolve-URL reviews
approved.  The document names neither the unit nor its login; :data:`SEEDED_NAME` and
:data:`SEEDED_LOGIN_NAME` are the sandbox's own.  The next unit registered in 河西区 gets
``i.86.120103.1022``.
"""

from __future__ import annotations

from typing import Any, Final

from .records import Registration, Unit
from .registrations import RegistrationRequest
from .state import State

__all__ = [
    "SEEDED_CATEGORIES",
    "SEEDED_GOTOURL",
    "SEEDED_LOGIN_NAME",
    "SEEDED_NAME",
    "SEEDED_PASSWORD",
    "SEEDED_UNIT",
    "add_category",
    "add_unit",
    "seed_state",
]

SEEDED_UNIT: Final = "i.86.120103.1021"
"""The example unit main code of seed §八 (304's request example)."""
SEEDED_NAME: Final = "天津示例科技有限公司"
SEEDED_LOGIN_NAME: Final = "91120103MA05EXAM1X"
SEEDED_PASSWORD: Final = SEEDED_LOGIN_NAME[-6:]
"""As for every 309 unit of the sandbox: the last six characters of the login name."""
SEEDED_GOTOURL: Final = "http://www.xxxx.com/xxxx.aspx?code={fullCode}"
"""A resolve URL in the form of seed §十三's examples."""

SEEDED_CATEGORIES: Final = {
    "10.232324.11": RegistrationRequest(
        via=406,
        industrycategory_id=232324,
        codeuse_id=10,
        category_code="232324",
        code_pay_type=2,
        gotourl=SEEDED_GOTOURL,
        model_number="浓缩洗衣液",
        model_number_code="11",
    ),
    "91.12000000.1": RegistrationRequest(
        via=407,
        industrycategory_id=12000000,
        codeuse_id=91,
        category_code="12000000",
        code_pay_type=2,
        gotourl=SEEDED_GOTOURL,
        model_number="企业文档",
    ),
}
"""Catalog code → the registration that gives it."""

_AREA: Final = 120103
_SERIAL: Final = 1021


def add_unit(
    state: State,
    *,
    name: str,
    login_name: str,
    region: tuple[int, int, int] = (110000, 110000, 110105),
    idcode: str | None = None,
    approved: bool = True,
    **details: object,
) -> Unit:
    """A unit as if registered by 309 and completed by 305 (trade 1, an address).

    ``approved``: its review is over (308 ``is_audit`` 100); otherwise it has just started
    and ends after ``approval_delay`` seconds of centre time.  ``details`` set other
    :class:`~.records.Unit` fields.  The main code is the area's next one unless ``idcode``
    is given.  The caller checks names and login names are unique (309 would answer 10007/
    10008).
    """
    now = state.now_ms()
    registered = now - state.delay_ms if approved else now
    fields: dict[str, Any] = {
        "text": {"organunit_address": "示例路 1 号", "linkman": "张三", "linkphone": "13800000000"},
        "trade_id": 1,
        **details,
    }
    return state.add_unit(
        name=name,
        login_name=login_name,
        region=region,
        via=309,
        registered_ms=registered,
        idcode=idcode,
        unittype_id=1,
        **fields,
    )


def add_category(
    state: State, unit: Unit, request: RegistrationRequest, *, approved: bool = True
) -> Registration:
    """A category registration as 402/406/407 records it; ``approved`` as for :func:`add_unit`.

    The request is not checked (402/406 would answer 30001-30005 or 50004 for a bad one).
    """
    registration = state.add_registration(unit, request)
    if approved:
        registration.review_started_ms = state.now_ms() - state.delay_ms
    return registration


def seed_state(state: State) -> Unit:
    """Add the example unit and its categories to ``state``, all approved; the unit."""
    unit = add_unit(
        state,
        name=SEEDED_NAME,
        login_name=SEEDED_LOGIN_NAME,
        region=(120000, 120000, _AREA),
        idcode=SEEDED_UNIT,
        text={
            "organunit_address": "天津市河西区示例路 1 号",
            "linkman": "张三",
            "linkphone": "13800000000",
        },
        gotourl=SEEDED_GOTOURL,
        organization_code="123456789",
        certificate_type=2,
    )
    state.skip_unit_codes(_AREA, _SERIAL)
    for catalog_code, request in SEEDED_CATEGORIES.items():
        registration = add_category(state, unit, request)
        assert registration.catalog_code == catalog_code, registration.complete_code
    return unit
