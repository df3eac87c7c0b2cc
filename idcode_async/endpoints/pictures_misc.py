"""Sections 十一/十二: code pictures (603–605), other interfaces (601, 602, 606–608), 701.

Colour flags are not the same everywhere in the document: 604's ``color`` is 0 colour /
1 black, the opposite of ``qrcode_color`` in 306/601 (1 colour / 0 black).  Each endpoint is
modelled as documented.

Picture generation (603–605, 701) is not treated as a write: it creates no record the caller
could duplicate, so a failed attempt may be retried like a read.
"""

from __future__ import annotations

import base64
from typing import Literal

import attrs

from .._spec import Endpoint, PageEndpoint, Response, blob_repr, endpoint, secret
from .._validators import base64_text, fail, hex_colour, int_range, non_blank, url
from ._shared import OrganUnitResponse

__all__ = [
    "AuthenPic",
    "AuthenPicResponse",
    "CategoryGotoUrl",
    "CodePic",
    "CodePicAuthen",
    "CodePicBase64Response",
    "CodePicResponse",
    "CodePicWithMargin",
    "ExamineRecord",
    "ExamineRecordResponse",
    "GotoUrlWhitelist",
    "LoginPage",
    "LoginVerify",
]


@endpoint(601, "/sp/idcode/loginverify", "POST", writes=False)
@attrs.frozen(kw_only=True)
class LoginVerify(Endpoint[OrganUnitResponse]):
    """601: check a registered unit's login; answers with the unit's information (as 306).

    A wrong name or password answers 10005 (:class:`~idcode_async.LoginError`).  The password
    never shows in ``repr``.
    """

    login_name: str = attrs.field(validator=non_blank)
    login_pswd: str = attrs.field(repr=secret, validator=non_blank)


@endpoint(602, "/sp/idcode/category/gotourl", "POST", writes=True)
@attrs.frozen(kw_only=True)
class CategoryGotoUrl(Endpoint[Response]):
    """602: change a resolve URL (formats: seed §十三).

    Only ``company_idcode`` is marked required; ``gotourl``, ``sample_url`` (where a scan
    lands) and ``reg_id`` (the category registration ID) are sent only when given.  The
    centre answers 30002 for a malformed URL, 30005 when the sample does not match it.
    """

    company_idcode: str = attrs.field(validator=non_blank)
    gotourl: str | None = attrs.field(default=None, validator=url)
    sample_url: str | None = attrs.field(default=None, validator=url)
    reg_id: str | None = attrs.field(default=None, validator=non_blank)


@attrs.frozen(kw_only=True)
class CodePicResponse(Response):
    code_pic_address: str | None = None
    """Address of the generated picture."""


@endpoint(603, "/sp/idcode/codepic", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class CodePic(Endpoint[CodePicResponse]):
    """603: a new code picture for an IDcode number, at ``pic_size`` pixels.

    603's table marks no parameter required, not even ``access_token``; a picture needs its
    code, so ``code`` is required here and ``pic_size``/``code_type`` are left to the
    centre's defaults.  ``code_type``: 1 QR, 2 Lonbar (龙贝).
    """

    code: str = attrs.field(validator=non_blank)
    pic_size: int | None = None
    code_type: Literal[1, 2] | None = None


@attrs.frozen(kw_only=True)
class CodePicBase64Response(Response):
    """604/605: the picture itself, serialised as a base64 string."""

    code_pic_base64str: str | None = attrs.field(default=None, repr=blob_repr)

    def image_bytes(self) -> bytes | None:
        """The decoded picture, or ``None`` when the answer carried none.

        Line breaks (MIME-style base64) and a ``data:…;base64,`` prefix are tolerated.
        """
        if not self.code_pic_base64str:
            return None
        text = self.code_pic_base64str
        if text.startswith("data:") and "," in text:
            text = text.split(",", 1)[1]
        return base64.b64decode("".join(text.split()))


@endpoint(604, "/sp/idcode/codepic/withmargin", "POST", writes=False)
@attrs.frozen(kw_only=True)
class CodePicWithMargin(Endpoint[CodePicBase64Response]):
    """604: a new code picture, optionally framed, returned as base64.

    ``code`` is the code *content* (resolver address + code number, e.g.
    ``http://s.idcode.org.cn/?code=i.86.101010.3``; see the note after 605).  ``color`` is
    0 colour / 1 black, opposite to 306/601.  Framed pictures (``is_margin=1``) come only in
    400, 600 or 800 pixels.  ``unit_icon`` is the unit logo as base64; 40005 means the centre
    could not use it (:class:`~idcode_async.FileError`).
    """

    code: str = attrs.field(validator=non_blank)
    is_margin: Literal[0, 1]
    unit_icon: str | None = attrs.field(default=None, validator=base64_text, repr=blob_repr)
    qrcode_size: int
    color: Literal[0, 1]

    def _check(self) -> None:
        if self.is_margin == 1 and self.qrcode_size not in (400, 600, 800):
            raise fail(self, "qrcode_size", "must be 400, 600 or 800 when is_margin is 1")


def _square_frame_default(spec: CodePicAuthen) -> int | None:
    """605's ``margin_type_lv2`` is required with a square frame (``margin_type`` 20) and
    defaults to 1 (seed, 605: 当 margin_type 等于 20 时必填；默认值：1): send the default then."""
    return 1 if spec.margin_type == 20 else None


@endpoint(605, "/sp/idcode/codepic/authen", "POST", writes=False)
@attrs.frozen(kw_only=True)
class CodePicAuthen(Endpoint[CodePicBase64Response]):
    """605: a quality-certification code picture, returned as base64.

    ``margin_type``: 0 none, 10 round frame (needs ``category_id``: 1 product traceability,
    2 information display, 3 internal control, 4 e-ticket), 20 square frame (style
    ``margin_type_lv2`` 1–7, default 1, sent with every square frame).  ``code_type``: 1 QR,
    2 Lonbar, 3 DM, 4 Han Xin, 5 GM.  ``code_size`` is in centimetres.

    ``code_color`` (six hex digits, no ``#``) only colours QR codes; every other symbology is
    always black.  A colour asked for a non-QR code is refused rather than silently dropped by
    the centre, so the caller learns the picture will not look as requested.
    """

    company_idcode: str = attrs.field(validator=non_blank)
    code: str = attrs.field(validator=non_blank)
    use_logo: Literal[0, 1]
    unit_logo: str | None = attrs.field(default=None, validator=base64_text, repr=blob_repr)
    margin_type: Literal[0, 10, 20]
    category_id: Literal[1, 2, 3, 4] | None = None
    margin_type_lv2: int | None = attrs.field(
        default=attrs.Factory(_square_frame_default, takes_self=True), validator=int_range(1, 7)
    )
    code_type: Literal[1, 2, 3, 4, 5]
    code_size: Literal[3, 5, 10]
    code_color: str | None = attrs.field(default=None, validator=hex_colour)

    def _check(self) -> None:
        if self.margin_type == 10 and self.category_id is None:
            raise fail(self, "category_id", "is required when margin_type is 10 (round frame)")
        if self.margin_type_lv2 is not None and self.margin_type != 20:
            raise fail(
                self, "margin_type_lv2", "is only allowed when margin_type is 20 (square frame)"
            )
        if self.code_color is not None and self.code_type != 1:
            raise fail(self, "code_color", "only applies to QR codes (code_type 1)")


@endpoint(606, "/sp/idcode/category/gotourl/whitelist", "POST", writes=True)
@attrs.frozen(kw_only=True)
class GotoUrlWhitelist(Endpoint[Response]):
    """606: ask for a resolve URL to be whitelisted.

    Once approved, later category registrations with the same resolve URL skip its review.
    30001: URL empty, 30002: malformed, 30005: sample does not match (seed §十三).
    """

    gotourl: str = attrs.field(validator=[non_blank, url])
    sample_url: str = attrs.field(validator=[non_blank, url])


@endpoint(607, "/sp/idcode/idcodelogin", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class LoginPage(PageEndpoint):
    """607 (page interface): the centre's login page for registered units.

    Open ``client.page_url(spec)`` in the user's browser; the centre returns to
    ``callback_url`` afterwards.
    """

    callback_url: str = attrs.field(validator=[non_blank, url])


@attrs.frozen(kw_only=True)
class ExamineRecordResponse(Response):
    """608: ``examine_status`` -1 rejected, 0 pending, 100 approved, anything else in review."""

    examine_content: str | None = None
    """The unit name (type 1) or the resolve URL (type 2) under review."""
    examine_status: int | None = None
    examine_remarks: str | None = None


@endpoint(608, "/sp/idcode/examinerecord", "GET", writes=False)
@attrs.frozen(kw_only=True)
class ExamineRecord(Endpoint[ExamineRecordResponse]):
    """608: the review state of a unit registration (type 1) or a resolve URL (type 2).

    Documented "Web Http Get" only, so its parameters travel in the query string.  ``type`` is
    not marked required; ``category_reg_id`` is required when ``type=2``.
    """

    company_idcode: str = attrs.field(validator=non_blank)
    category_reg_id: str | None = attrs.field(default=None, validator=non_blank)
    type: Literal[1, 2] | None = None

    def _check(self) -> None:
        if self.type == 2 and self.category_reg_id is None:
            raise fail(self, "category_reg_id", "is required when type is 2")


@attrs.frozen(kw_only=True)
class AuthenPicResponse(Response):
    authen_pic_url: str | None = None
    """Address of the certification picture (the document prints the key as " authen_pic_url")."""


@endpoint(701, "/sp/idcode/authenpic", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class AuthenPic(Endpoint[AuthenPicResponse]):
    """701: the unit's certification picture.

    ``bgimage`` picks the background: 0 light blue, 1 red, 2 yellow, 3 orange, 4 blue,
    5 green, 6 light grey, 7 dark grey, 8 dark grey 2, 9 purple.  ``ismarkname=1`` adds the
    system name as a watermark (15 characters at most are shown).
    """

    bgimage: Literal[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    ismarkname: Literal[0, 1]
