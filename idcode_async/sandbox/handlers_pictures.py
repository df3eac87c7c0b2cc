"""Section 十一 and 701: code pictures (603, 604, 605) and the authentication picture (701).

603 and 701 answer with a URL; the sandbox serves the PNG at that URL itself
(``/_sandbox/codepic.png``, ``/_sandbox/authenpic.png``), computed from the URL's query so
nothing is stored.  604/605 answer with the PNG as base64.  What a picture encodes follows the
§十一 note: a code number (603, 605) becomes code content, resolver + code; 604's ``code`` is
code content already and is encoded as given.

Checks (10000 unless said): 603 ``pic_size`` 50–2000 px, ``code_type`` 1/2.  604 ``is_margin``
0/1; with a margin ``qrcode_size`` 400/600/800, without 50–2000; ``color`` 0 colour / 1 black;
``unit_icon`` not a base64 image → 40005 ("单位 logo 上传失败！").  605: ``use_logo`` 0/1
(1 needs a valid ``unit_logo`` or a logo stored by 305/309/310, else 40005), ``margin_type``
0/10/20, ``category_id`` 1–4 required for 10, ``margin_type_lv2`` 1–7 (default 1) for 20,
``code_type`` 1–5, ``code_size`` 3/5/10 cm (rendered at 300 dpi), ``code_color`` six hex
digits without ``#`` (QR only; other symbologies are black).  701: ``bgimage`` 0–9,
``ismarkname`` 0/1.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlencode

from .context import ApiRoute, Call, get_post, post_only
from .errors import CentreError
from .jsontypes import JsonObject
from .pictures import (
    DARK_GREY,
    GREEN,
    IDCODE_BLUE,
    ORANGE,
    PURPLE,
    RED,
    TEAL,
    Frame,
    decode_base64_image,
    qr_png,
    to_base64,
)

__all__ = ["ROUTES", "code_picture", "pixel_size"]

_SQUARE_FRAMES: Final = (IDCODE_BLUE, RED, GREEN, ORANGE, PURPLE, DARK_GREY, TEAL)
"""605 ``margin_type`` 20, ``margin_type_lv2`` 1–7."""
_ROUND_FRAMES: Final = (IDCODE_BLUE, GREEN, DARK_GREY, RED)
"""605 ``margin_type`` 10, ``category_id`` 1–4 (traceability, display, internal, e-ticket)."""
_HEX_COLOUR: Final = re.compile(r"^[0-9A-Fa-f]{6}$")
_CM_PIXELS: Final = {3: 354, 5: 591, 10: 1181}


def pixel_size(text: str | None) -> int | None:
    """A picture size from a query value, if it is within 50–2000 px."""
    if text is None or not text.isdigit():
        return None
    size = int(text)
    return size if 50 <= size <= 2000 else None


def code_picture(content: str, size: int) -> bytes:
    """The PNG served behind a 603 address."""
    return qr_png(content, size)


async def code_pic(call: Call) -> JsonObject:
    """603: generate a code picture; answer its address on the sandbox."""
    code = call.require("code")
    size = call.integer("pic_size", default=400)
    if pixel_size(str(size)) is None:
        raise CentreError(10000, "pic_size must be 50-2000 px")
    code_type = call.integer("code_type", default=1, allowed=(1, 2))
    query = urlencode({"code": code, "size": size, "type": code_type})
    return {"code_pic_address": call.link(f"/_sandbox/codepic.png?{query}")}


async def code_pic_with_margin(call: Call) -> JsonObject:
    """604: a code picture, with or without a frame, as base64."""
    content = call.require("code")
    margin = call.require_int("is_margin", allowed=(0, 1)) == 1
    size = call.require_int("qrcode_size")
    if margin and size not in (400, 600, 800):
        raise CentreError(10000, "with is_margin=1, qrcode_size must be 400, 600 or 800")
    if not margin and pixel_size(str(size)) is None:
        raise CentreError(10000, "qrcode_size must be 50-2000 px")
    colour = call.require_int("color", allowed=(0, 1)) == 0
    icon = call.text("unit_icon")
    if icon and decode_base64_image(icon) is None:
        raise CentreError(40005, "unit_icon is not a base64 image")
    picture = qr_png(
        content,
        size,
        dark=IDCODE_BLUE if colour else (0, 0, 0),
        frame=Frame(IDCODE_BLUE if colour else (0, 0, 0)) if margin else None,
        logo=bool(icon),
    )
    return {"code_pic_base64str": to_base64(picture)}


def _frame(call: Call) -> Frame | None:
    margin_type = call.require_int("margin_type", allowed=(0, 10, 20))
    if margin_type == 10:
        category = call.require_int("category_id", allowed=(1, 2, 3, 4))
        return Frame(_ROUND_FRAMES[category - 1], round=True)
    if margin_type == 20:
        level2 = call.integer("margin_type_lv2", default=1, allowed=range(1, 8)) or 1
        return Frame(_SQUARE_FRAMES[level2 - 1])
    return None


async def authen_code_pic(call: Call) -> JsonObject:
    """605: a quality-authentication code picture, as base64."""
    state = call.state
    unit = state.require_unit(call.require("company_idcode"))
    code = call.require("code")
    use_logo = call.require_int("use_logo", allowed=(0, 1)) == 1
    frame = _frame(call)
    code_type = call.require_int("code_type", allowed=range(1, 6))
    size = _CM_PIXELS[call.require_int("code_size", allowed=_CM_PIXELS)]
    colour = call.text("code_color", "000000")
    if not _HEX_COLOUR.match(colour):
        raise CentreError(10000, "code_color must be six hex digits without #")
    logo_text = call.text("unit_logo")
    if logo_text and decode_base64_image(logo_text) is None:
        raise CentreError(40005, "unit_logo is not a base64 image")
    if use_logo and not logo_text and unit.logo is None:
        raise CentreError(40005, "use_logo=1 but no logo was given or stored")
    dark = (int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16))
    picture = qr_png(
        state.config.resolver + code,
        size,
        dark=dark if code_type == 1 else (0, 0, 0),
        frame=frame,
        logo=use_logo,
    )
    return {"code_pic_base64str": to_base64(picture)}


async def authen_pic(call: Call) -> JsonObject:
    """701: the address of an authentication picture on background 0–9."""
    background = call.require_int("bgimage", allowed=range(10))
    mark = call.require_int("ismarkname", allowed=(0, 1))
    query = urlencode({"bgimage": background, "ismarkname": mark})
    return {"authen_pic_url": call.link(f"/_sandbox/authenpic.png?{query}")}


ROUTES = (
    ApiRoute(603, "/sp/idcode/codepic", get_post, code_pic, ("code",)),
    ApiRoute(
        604,
        "/sp/idcode/codepic/withmargin",
        post_only,
        code_pic_with_margin,
        ("code", "is_margin", "qrcode_size", "color"),
    ),
    ApiRoute(
        605,
        "/sp/idcode/codepic/authen",
        post_only,
        authen_code_pic,
        ("company_idcode", "code", "use_logo", "margin_type", "code_type", "code_size"),
    ),
    ApiRoute(701, "/sp/idcode/authenpic", get_post, authen_pic, ("bgimage", "ismarkname")),
)
