"""Real PNG pictures for 309/310 (``unit_qrcode``), 603 (served at a URL), 604/605
(``code_pic_base64str``) and 701 (authentication picture), plus image checks for uploads.

QR matrices come from segno (error correction H, so a logo may cover the centre); the PNG is
written here, nearest-neighbour scaled to the exact pixel size asked for (604: 400/600/800 px)
as an 8-bit palette image.  Identical pixel rows are built once, so an 800 px picture costs a
few dozen row constructions and one zlib pass.

What the sandbox cannot reproduce it approximates and says so: the Longbei (龙贝, 603/605
code_type 2), DM, Han Xin and GM symbologies are drawn as QR codes; a unit logo is not
decoded (no image library is a dependency) but its place is cleared to a white, outlined
square in the centre; frames (604 ``is_margin``, 605 ``margin_type``) are bands of colour,
with rounded corners for 605's round frame.
"""

from __future__ import annotations

import base64
import binascii
import struct
import zlib
from collections.abc import Iterable, Sequence
from typing import Final

import attrs
import segno

__all__ = [
    "AUTHEN_BACKGROUNDS",
    "DARK_GREY",
    "GREEN",
    "IDCODE_BLUE",
    "IMAGE_EXTENSIONS",
    "ORANGE",
    "PURPLE",
    "RED",
    "TEAL",
    "Frame",
    "authen_png",
    "decode_base64_image",
    "image_kind",
    "png_size",
    "qr_png",
    "to_base64",
]

Rgb = tuple[int, int, int]

IMAGE_EXTENSIONS: Final = frozenset({"bmp", "png", "jpg", "jpeg", "gif"})
"""304/305: the image formats the centre accepts (40002 otherwise)."""

_MAGIC: Final = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
)

_WHITE: Final[Rgb] = (255, 255, 255)
_BLACK: Final[Rgb] = (0, 0, 0)
IDCODE_BLUE: Final[Rgb] = (0, 82, 165)
RED: Final[Rgb] = (200, 30, 45)
GREEN: Final[Rgb] = (40, 160, 70)
ORANGE: Final[Rgb] = (240, 130, 30)
PURPLE: Final[Rgb] = (130, 60, 170)
DARK_GREY: Final[Rgb] = (90, 90, 90)
TEAL: Final[Rgb] = (0, 150, 160)
"""The colours the sandbox's pictures share (frames of 604/605, backgrounds of 701)."""

AUTHEN_BACKGROUNDS: Final[tuple[Rgb, ...]] = (
    *((173, 216, 230), RED, (245, 200, 40), ORANGE, (30, 90, 200), GREEN),
    *((200, 200, 200), DARK_GREY, (60, 60, 70), PURPLE),
)
"""701 ``bgimage`` 0–9: light blue, red, yellow, orange, blue, green, light grey, dark grey,
dark grey 2, purple (the document's table)."""


def image_kind(data: bytes) -> str | None:
    """``png``, ``jpg``, ``gif`` or ``bmp`` by magic number; ``None`` if not an image."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return None


def decode_base64_image(text: str) -> bytes | None:
    """Bytes of a base64 image (a ``data:`` URL prefix is allowed), or ``None`` if invalid."""
    payload = text.split(",", 1)[1] if text.startswith("data:") else text
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if image_kind(data) else None


def to_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR."""
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _png(width: int, height: int, palette: Sequence[Rgb], rows: Iterable[bytes]) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)
    plte = b"".join(bytes(colour) for colour in palette)
    raw = b"".join(b"\x00" + row for row in rows)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"PLTE", plte),
            _chunk(b"IDAT", zlib.compress(raw, 6)),
            _chunk(b"IEND", b""),
        )
    )


@attrs.frozen
class Frame:
    """A coloured band around the code; ``round`` gives it rounded outer corners."""

    colour: Rgb
    round: bool = False


_LIGHT, _DARK, _FRAME, _HOLE = 0, 1, 2, 3


def qr_png(
    content: str,
    size: int,
    *,
    dark: Rgb = _BLACK,
    frame: Frame | None = None,
    logo: bool = False,
) -> bytes:
    """A ``size`` × ``size`` PNG of the QR code of ``content``."""
    qr = segno.make_qr(content, error="h")
    modules = [bytes(row) for row in qr.matrix_iter(scale=1, border=4)]
    count = len(modules)
    band = max(size // 20, 2) if frame else 0
    inner = size - 2 * band
    columns = [min(x * count // inner, count - 1) for x in range(inner)]
    hole = range(count * 2 // 5, count - count * 2 // 5) if logo else range(0)

    cache: dict[int, bytes] = {}

    def code_row(module_row: int) -> bytes:
        if module_row not in cache:
            source = modules[module_row]
            pixels = bytearray(source[c] for c in columns)
            if module_row in hole:
                for x, c in enumerate(columns):
                    if c in hole:
                        edge = c in (hole[0], hole[-1]) or module_row in (hole[0], hole[-1])
                        pixels[x] = _HOLE if edge else _LIGHT
            side = bytes([_FRAME]) * band
            cache[module_row] = side + bytes(pixels) + side
        return cache[module_row]

    def rows() -> Iterable[bytes]:
        for y in range(size):
            if y < band or y >= size - band:
                yield _frame_row(y, size, band, frame)
            else:
                yield code_row(min((y - band) * count // inner, count - 1))

    palette = (_WHITE, dark, frame.colour if frame else _WHITE, dark)
    return _png(size, size, palette, rows())


def _frame_row(y: int, size: int, band: int, frame: Frame | None) -> bytes:
    row = bytearray([_FRAME]) * size
    if frame is not None and frame.round:
        radius = band
        dy = max(radius - y, y - (size - 1 - radius), 0)
        if dy:
            cut = radius - int((radius * radius - dy * dy) ** 0.5)
            row[:cut] = bytes(cut)
            row[size - cut :] = bytes(cut)
    return bytes(row)


def authen_png(background: int, mark_name: bool, width: int = 400, height: int = 160) -> bytes:
    """701: an authentication picture on background ``background`` (0–9).

    A white outline marks the badge; with ``mark_name`` a darker band at the bottom stands
    for the system-name watermark (the sandbox draws no text).
    """
    palette = (AUTHEN_BACKGROUNDS[background], _WHITE, (40, 40, 40))
    border = 6
    plain = bytes([1]) * border + bytes(width - 2 * border) + bytes([1]) * border
    edge = bytes([1]) * width
    band_start = height - height // 4

    def rows() -> Iterable[bytes]:
        for y in range(height):
            if y < border or y >= height - border:
                yield edge
            elif mark_name and y >= band_start:
                yield bytes([1]) * border + bytes([2]) * (width - 2 * border) + bytes([1]) * border
            else:
                yield plain

    return _png(width, height, palette, rows())
