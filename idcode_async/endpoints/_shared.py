"""Response models shared by several endpoints of different sections."""

from __future__ import annotations

import attrs

from .._spec import Response

__all__ = ["OrganUnitInfo", "OrganUnitResponse"]


@attrs.frozen(kw_only=True, slots=False)
class OrganUnitInfo:
    """A unit's basic information (Organunit), as documented for 306 and repeated by 307/601/607.

    ``organunit_id`` is a BigDecimal on the server (20 digits): it is kept as exact text.
    Enumerations are left as ``int`` because the centre may add values: ``status_id`` (100
    formal, 0 pending review, -1 review failed, -2 disabled, -100 details to complete),
    ``issc`` (SP state: -4 not applied, -1 failed, 0 pending, 1 SP), ``code_pay_type``
    (1 organisation code, 2 unified social credit code, 3 individual business licence, 0
    other), ``unit_size_type_id`` (1–4), ``qrcode_color`` (1 colour, 0 black),
    ``qrcode_logo`` (1 on, 0 off), ``url_status`` (1 enabled, 0 disabled).
    """

    organunit_id: str | None = None
    organunit_idstr: str | None = None
    plateformrole_id: int | None = None
    province_id: int | None = None
    city_id: int | None = None
    area_id: int | None = None
    trade_id: int | None = None
    status_id: int | None = None
    issc: int | None = None
    organunit_name: str | None = None
    organunit_name_en: str | None = None
    organunit_address: str | None = None
    organunit_address_en: str | None = None
    organunit_oid: str | None = None
    unittype_id: int | None = None
    linkman: str | None = None
    linkphone: str | None = None
    fax: str | None = None
    email: str | None = None
    finallyexam_date: str | None = None
    linkman_en: str | None = None
    organization_code: str | None = None
    code_pay_type: int | None = None
    unit_workaddress: str | None = None
    unit_workaddress_en: str | None = None
    unit_size_type_id: int | None = None
    registered_capital: int | None = None
    unit_icon: str | None = None
    qrcode_color: int | None = None
    qrcode_logo: int | None = None
    gotourl: str | None = None
    url_status: int | None = None


@attrs.frozen(kw_only=True)
class OrganUnitResponse(OrganUnitInfo, Response):
    """An answer whose top level is one unit's fields plus the envelope (306, 601)."""
