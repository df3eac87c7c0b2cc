"""Section 八: unit registration and information (301–310).

A unit (单位) registers once (301, or 309 for the few SPs it is open to), is verified by its
licence (304) and completes its details (305); the others read its details and state, or change
its logo and resolve URL.  Writes here create accounts and send SMS: none is retried blindly.
"""

from __future__ import annotations

from typing import Literal

import attrs

from .._region_rules import region_fault
from .._spec import (
    Endpoint,
    FileRule,
    Response,
    blob_repr,
    documented_default,
    endpoint,
    file_repr,
    secret,
)
from .._validators import base64_text, fail, non_blank, phone_number, url
from .._wire import FileInput
from ._shared import OrganUnitInfo, OrganUnitResponse

__all__ = [
    "CompanyGotoUrl",
    "CompanyGotoUrlResponse",
    "CompanyInfoBase",
    "CompanyModify",
    "CompanyRegister",
    "CompanyRegisterResponse",
    "CompanySearch",
    "CompanySearchResponse",
    "CompanyVerify",
    "ExistingUnitInfo",
    "OrganUnitStatus",
    "OrganUnitStatusResponse",
    "UnitRegist",
    "UnitRegistResponse",
    "VerifyCode",
    "VerifyCodeResponse",
    "VerifyCodeSend",
]

_IMAGE_MAX_BYTES = 5 * 1024 * 1024
_IMAGE_FORMATS = frozenset({"bmp", "png", "jpg", "jpeg", "gif"})
"""304/305 images: at most 5 MB, in bmp, png, jpg, jpeg or gif (40001/40002 otherwise)."""
_LICENCE = FileRule("licence", max_bytes=_IMAGE_MAX_BYTES, extensions=_IMAGE_FORMATS)
_LOGO = FileRule("logo", max_bytes=_IMAGE_MAX_BYTES, extensions=_IMAGE_FORMATS)


def _check_region(spec: object, province_id: int, city_id: int, area_id: int) -> None:
    """The 101 note, blamed on the parameter at fault (301/309)."""
    fault = region_fault(province_id, city_id, area_id)
    if fault is not None:
        raise fail(spec, *fault)


@attrs.frozen(kw_only=True)
class ExistingUnitInfo:
    """The unit that already holds the name 301 was asked to register (organunit_result_info).

    The document shows it only with a failure (result codes 10007/10008, and 2 in its example),
    so it normally reaches the caller in ``ApiError.body`` rather than in a response.
    """

    organunit_name: str | None = None
    linkman: str | None = None
    fax: str | None = None
    linkphone: str | None = None


@attrs.frozen(kw_only=True)
class CompanyRegisterResponse(Response):
    """301's answer (RegistResult): the new unit's main code."""

    organunit_idcode: str | None = None
    organunit_result_info: ExistingUnitInfo | None = None


@endpoint(301, "/sp/idcode/companyinfo/reg", "POST", writes=True)
@attrs.frozen(kw_only=True)
class CompanyRegister(Endpoint[CompanyRegisterResponse]):
    """301: register a unit on the IDcode platform; the answer carries its main code.

    Regions follow the 101 note: no city level in the four municipalities, Taiwan, Hong Kong
    and Macau (``city_id = province_id``), no district level in Dongguan, Zhongshan, Taiwan,
    Hong Kong and Macau (``area_id = city_id``).
    """

    login_name: str = attrs.field(validator=non_blank)
    login_password: str = attrs.field(repr=secret, validator=non_blank)
    email: str | None = None
    organunit_name: str = attrs.field(validator=non_blank)
    organunit_name_en: str | None = None
    code: int
    """Unit type code, from 105."""
    province_id: int
    city_id: int
    area_id: int
    linkman: str | None = None
    linkman_en: str | None = None
    linkphone: str = attrs.field(validator=[non_blank, phone_number])
    """The contact's mobile number (联系人手机)."""
    sms_verify_code: str = attrs.field(validator=non_blank)
    """The code the user received by SMS (302/303); documented as required."""

    def _check(self) -> None:
        _check_region(self, self.province_id, self.city_id, self.area_id)


@attrs.frozen(kw_only=True)
class VerifyCodeResponse(Response):
    """302's answer (SmsVerifyCode): the code the SP itself sends to the user."""

    verify_code: str | None = None


@endpoint(302, "/sp/idcode/verifycode", "GET/POST", writes=True)
@attrs.frozen(kw_only=True)
class VerifyCode(Endpoint[VerifyCodeResponse]):
    """302: get an activation code for ``phone_code``; the SP platform sends the SMS.

    A write: each call issues a new code, and calls in quick succession are refused (20003).
    The centre has accepted an empty number, so the format is checked here.
    """

    phone_code: str = attrs.field(validator=[non_blank, phone_number])


@endpoint(303, "/sp/idcode/verifycode/send", "GET/POST", writes=True)
@attrs.frozen(kw_only=True)
class VerifyCodeSend(Endpoint[Response]):
    """303: have the IDcode platform send an activation code by SMS to ``phone_code``."""

    phone_code: str = attrs.field(validator=[non_blank, phone_number])


@endpoint(304, "/sp/idcode/companyinfo/verify", "POST", writes=True, files={"file1": _LICENCE})
@attrs.frozen(kw_only=True)
class CompanyVerify(Endpoint[Response]):
    """304: submit the unit's business licence so that the centre can verify the unit.

    Sent as multipart/form-data; the licence image is a file part and is not signed (seed §四).
    The centre wants the details completed first (305), or it answers 10004.
    """

    company_idcode: str = attrs.field(validator=non_blank)
    code_pay_type: Literal[2, 0]
    """Certificate type: 2 unified social credit code, 0 other."""
    organization_code: str = attrs.field(validator=non_blank)
    """The certificate's number."""
    file1: FileInput = attrs.field(repr=file_repr)
    """The business licence image: bytes, a path or an open binary file."""


@endpoint(305, "/sp/idcode/companyinfo/modify", "POST", writes=True, files={"unit_logo": _LOGO})
@attrs.frozen(kw_only=True)
class CompanyModify(Endpoint[Response]):
    """305: complete or change a unit's details, optionally with its logo.

    Sent as multipart/form-data; the logo is a file part and is not signed (seed §四).
    """

    company_idcode: str = attrs.field(validator=non_blank)
    trade_id: int
    """The unit's trade, from 103/104."""
    organunit_address: str = attrs.field(validator=non_blank)
    organunit_name: str | None = None
    organunit_name_en: str | None = None
    organunit_address_en: str | None = None
    email: str | None = None
    linkman: str | None = None
    linkman_en: str | None = None
    fax: str | None = None
    """The unit's (landline) telephone."""
    unit_workaddress: str | None = None
    unit_workaddress_en: str | None = None
    unit_size_type: Literal[1, 2, 3, 4] = documented_default(1)
    """Staff: 1 up to 50, 2 51–100, 3 101–500, 4 over 500.

    Documented "必填，默认为 1" (required, default 1): callers may omit it, and the default is
    still sent, so the centre always receives the parameter it requires.
    """
    registered_capital: int | None = None
    """In units of 10,000 yuan (万元)."""
    unittype_id: int | None = None
    """Unit type code, from 105."""
    gotourl: str | None = attrs.field(default=None, validator=url)
    """The resolve URL of the unit's main code (formats: seed §十三)."""
    linkphone: str | None = attrs.field(default=None, validator=phone_number)
    """The contact's mobile number (联系人手机)."""
    unit_logo: FileInput | None = attrs.field(default=None, repr=file_repr)
    """The unit's logo image: optional, but the document recommends sending it."""


@endpoint(306, "/sp/idcode/companyinfo/base", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class CompanyInfoBase(Endpoint[OrganUnitResponse]):
    """306: a unit's basic information (Organunit), by its main code."""

    company_idcode: str = attrs.field(validator=non_blank)


@attrs.frozen(kw_only=True)
class CompanySearchResponse(Response):
    """307's answer: the matching units, each with 306's fields."""

    organunit_list: list[OrganUnitInfo] = attrs.field(factory=list)


@endpoint(307, "/sp/idcode/companyinfo/search", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class CompanySearch(Endpoint[CompanySearchResponse]):
    """307: units by name; also tells whether a name is already registered with the centre."""

    company_name: str = attrs.field(validator=non_blank)
    search_type: Literal["0", "1"] | None = None
    """Search type: "0" fuzzy, "1" exact."""


@attrs.frozen(kw_only=True)
class OrganUnitStatusResponse(Response):
    """308's answer (OrganUnitStatusInfo); the document prints its keys as " is_authen" etc."""

    is_authen: int | None = None
    """1 verified (已认证), 0 not verified."""
    is_audit: int | None = None
    """-1 review failed, 0 not reviewed, 1 under review, 100 approved as a formal user."""
    surplus_time: str | None = None
    """Days of resolving left (a String in the document)."""


@endpoint(308, "/sp/idcode/organunit/status", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class OrganUnitStatus(Endpoint[OrganUnitStatusResponse]):
    """308: a unit's verification and review state, by its main code."""

    company_idcode: str = attrs.field(validator=non_blank)


@attrs.frozen(kw_only=True)
class UnitRegistResponse(Response):
    """309's answer (UnitRegistResult)."""

    organunit_idcode: str | None = None
    login_name: str | None = None
    """The user name; its default password is the last six characters of the licence number."""
    unit_qrcode: str | None = attrs.field(default=None, repr=blob_repr)
    """The unit's code picture with its logo, base64-encoded."""


@endpoint(309, "/sp/idcode/unit/regist", "POST", writes=True)
@attrs.frozen(kw_only=True)
class UnitRegist(Endpoint[UnitRegistResponse]):
    """309: register a unit and get its code picture; open only to some SPs.

    The document asks for batches to be submitted one at a time, 0.5–1 s apart.  Regions follow
    the 101 note, as in 301.
    """

    login_name: str = attrs.field(validator=non_blank)
    """The business licence registration number."""
    organunit_name: str = attrs.field(validator=non_blank)
    email: str | None = None
    code: int
    """Unit type code, from 105."""
    province_id: int
    city_id: int
    area_id: int
    linkman: str | None = None
    linkphone: str | None = attrs.field(default=None, validator=phone_number)
    """The contact's mobile number (联系人手机)."""
    unit_icon: str | None = attrs.field(default=None, validator=base64_text, repr=blob_repr)
    """The logo as base64 text; unused by the centre, which advises leaving it out or empty."""
    qrcode_color: Literal[0, 1] | None = None
    """0 colour, 1 black (the reverse of 306's flag)."""
    qrcode_logo: Literal[0, 1] | None = None
    """Whether the code picture carries the logo: 0 no, 1 yes."""
    gotourl: str | None = attrs.field(default=None, validator=url)
    """The resolve URL of the unit's main code (formats: seed §十三)."""
    qrcode_size: Literal[1, 2, 3] | None = None
    """1 400 px, 2 600 px, 3 800 px."""

    def _check(self) -> None:
        _check_region(self, self.province_id, self.city_id, self.area_id)


@attrs.frozen(kw_only=True)
class CompanyGotoUrlResponse(Response):
    """310's answer (UpdateGotoUrlResult)."""

    unit_qrcode: str | None = attrs.field(default=None, repr=blob_repr)
    """The unit's code picture with its logo, base64-encoded."""


@endpoint(310, "/sp/idcode/companyidcode/gotourl", "POST", writes=True)
@attrs.frozen(kw_only=True)
class CompanyGotoUrl(Endpoint[CompanyGotoUrlResponse]):
    """310: change a unit's logo or the resolve URL of its main code.

    Authenticated by the unit's own user name and plain-text password; the document forbids
    leaving both the logo and the URL empty.
    """

    login_name: str = attrs.field(validator=non_blank)
    login_pwd: str = attrs.field(repr=secret, validator=non_blank)
    unit_icon: str | None = attrs.field(default=None, validator=base64_text, repr=blob_repr)
    """The logo as base64 text."""
    gotourl: str | None = attrs.field(default=None, validator=url)
    """The resolve URL of the unit's main code (formats: seed §十三)."""
    qrcode_color: Literal[0, 1] | None = None
    """0 colour (the centre's default), 1 black."""
    qrcode_logo: Literal[0, 1] | None = None
    """Whether the code picture carries the logo: 0 no, 1 yes (the centre's default)."""
    qrcode_size: Literal[1, 2, 3] | None = None
    """1 400 px (the centre's default), 2 600 px, 3 800 px."""

    def _check(self) -> None:
        if not (self.unit_icon or "").strip() and not (self.gotourl or "").strip():
            raise fail(self, "gotourl", "and unit_icon must not both be empty (seed 310 note)")
