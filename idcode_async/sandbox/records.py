"""The centre's records: units, category registrations, whitelist entries, page tickets.

IDs are 20-digit numbers like the real ones (``10030000000000001923``), beyond int64 and
float precision on purpose, so that a client that parses them as numbers loses digits here as
it would against the centre.
"""

from __future__ import annotations

import attrs

__all__ = [
    "UNIT_TEXT_FIELDS",
    "Download",
    "PageTicket",
    "Registration",
    "Unit",
    "WhitelistEntry",
]

UNIT_TEXT_FIELDS = (
    "email",
    "organunit_name_en",
    "organunit_address",
    "organunit_address_en",
    "linkman",
    "linkman_en",
    "linkphone",
    "fax",
    "unit_workaddress",
    "unit_workaddress_en",
)
"""Optional text details of a unit, set by 301/309 and completed by 305."""


@attrs.define(kw_only=True)
class Unit:
    """A registered unit (单位) and its main code ``i.86.<area>.<n>``."""

    organunit_id: int
    idcode: str
    login_name: str
    password: str
    organunit_name: str
    unittype_id: int
    province_id: int
    city_id: int
    area_id: int
    registered_via: int
    """301 or 309."""
    registered_ms: int
    review_started_ms: int | None
    """When the registration review started: at 309, or when 305 completed a 301 unit."""
    rejected: bool = False
    text: dict[str, str] = attrs.field(factory=dict)
    trade_id: int | None = None
    unit_size_type_id: int = 1
    registered_capital: int | None = None
    gotourl: str = ""
    colour: bool = True
    """Colour code picture (306/601 ``qrcode_color`` 1; 309/310 ``qrcode_color`` 0)."""
    qrcode_logo: bool = False
    qrcode_size: int = 1
    logo: bytes | None = None
    logo_name: str = ""
    organization_code: str = ""
    certificate_type: int | None = None
    """304 ``code_pay_type``: the type of certificate (2 credit code, 0 other)."""
    authenticated: bool = False

    @property
    def complete(self) -> bool:
        """Whether 305 gave the details 304 needs (10004 otherwise): trade and address."""
        return self.trade_id is not None and bool(self.text.get("organunit_address"))


@attrs.define(kw_only=True)
class Registration:
    """A registered (2) or recorded (5) category: the code ``<unit>/<use>.<category>.<n>/``."""

    category_reg_id: int
    ioidcategory_id: int
    unit: Unit
    via: int
    industrycategory_id: int
    codeuse_id: int
    category_code: str
    model_number: str
    model_number_code: str = ""
    category_memo: str = ""
    model_number_en: str = ""
    introduction: str = ""
    code_pay_type: int
    gotourl: str
    sample_url: str = ""
    complete_code: str
    """Ends with ``/`` (406: the category IDcode ends with a slash)."""
    bill_number: str
    guid_number: str
    review_started_ms: int
    rejected: bool = False

    @property
    def catalog_code(self) -> str:
        """The category part of the code: ``10.232324.11``."""
        return self.complete_code.rstrip("/").split("/", 1)[1]


@attrs.define(kw_only=True)
class WhitelistEntry:
    """A resolve URL submitted to the 606 whitelist; approved after the review delay."""

    gotourl: str
    sample_url: str
    submitted_ms: int
    rejected: bool = False


@attrs.define(kw_only=True)
class PageTicket:
    """A page interface opened with a signed request, waiting for its form to be sent."""

    endpoint: int
    params: dict[str, str]


@attrs.define(kw_only=True)
class Download:
    """A 504 download: which upload, original (1) or short (0) codes, the zip password."""

    uploadcode_id: int
    code_type: int
    password: str | None
