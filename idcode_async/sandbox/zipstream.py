"""A streaming, optionally password-protected ZIP of one text file (504 downloads).

504 hands out "the download address of a code content file" with an optional "unzip password"
of 6–16 characters, so the file is a ZIP archive.  The standard library cannot write encrypted
archives, and a 100-million-code batch must not be built in memory, so this module writes the
format itself, as a generator of byte chunks:

- one deflated entry, sizes and CRC in a data descriptor after the data (general purpose bit
  3), Zip64 sizes throughout so that multi-gigabyte files stay valid;
- with a password, traditional PKWARE encryption ("ZipCrypto", APPNOTE 6.1), which every unzip
  tool and Python's :mod:`zipfile` can open.  Its check byte is the high byte of the DOS time,
  as APPNOTE prescribes when a data descriptor is used.

ZipCrypto is weak cryptography; it is what "unzip password" means in practice, and this is a
sandbox.  Encryption runs byte by byte in Python: fine for test-sized files, slow for huge ones.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime

__all__ = ["zip_stream"]

_CRC_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0xEDB88320 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)

_ZIP64_EXTRA_ID = 0x0001
_VERSION = 45
_FLAG_DESCRIPTOR = 0x08
_FLAG_ENCRYPTED = 0x01
_FLAG_UTF8 = 0x800
_DEFLATED = 8


class _ZipCrypto:
    """The traditional PKWARE stream cipher."""

    def __init__(self, password: bytes) -> None:
        self.k0, self.k1, self.k2 = 0x12345678, 0x23456789, 0x34567890
        for byte in password:
            self._update(byte)

    def _crc(self, crc: int, byte: int) -> int:
        return (crc >> 8) ^ _CRC_TABLE[(crc ^ byte) & 0xFF]

    def _update(self, byte: int) -> None:
        self.k0 = self._crc(self.k0, byte)
        self.k1 = (self.k1 + (self.k0 & 0xFF)) & 0xFFFFFFFF
        self.k1 = (self.k1 * 134775813 + 1) & 0xFFFFFFFF
        self.k2 = self._crc(self.k2, (self.k1 >> 24) & 0xFF)

    def encrypt(self, data: bytes) -> bytes:
        out = bytearray(len(data))
        for index, plain in enumerate(data):
            temp = (self.k2 | 2) & 0xFFFF
            out[index] = plain ^ (((temp * (temp ^ 1)) >> 8) & 0xFF)
            self._update(plain)
        return bytes(out)


def _dos_datetime(moment: datetime) -> tuple[int, int]:
    time = (moment.hour << 11) | (moment.minute << 5) | (moment.second // 2)
    date = ((max(moment.year, 1980) - 1980) << 9) | (moment.month << 5) | moment.day
    return time, date


def zip_stream(
    name: str,
    chunks: Iterable[bytes],
    *,
    password: str | None = None,
    moment: datetime | None = None,
    seed: int = 0,
) -> Iterator[bytes]:
    """Yield a ZIP archive holding ``chunks`` as the file ``name``."""
    dos_time, dos_date = _dos_datetime(moment or datetime.now())
    flags = _FLAG_DESCRIPTOR | _FLAG_UTF8 | (_FLAG_ENCRYPTED if password else 0)
    encoded_name = name.encode("utf-8")
    local_extra = struct.pack("<HHQQ", _ZIP64_EXTRA_ID, 16, 0, 0)
    header = struct.pack(
        "<IHHHHHIIIHH",
        0x04034B50,
        _VERSION,
        flags,
        _DEFLATED,
        dos_time,
        dos_date,
        0,
        0xFFFFFFFF,
        0xFFFFFFFF,
        len(encoded_name),
        len(local_extra),
    )
    yield header + encoded_name + local_extra
    offset = len(header) + len(encoded_name) + len(local_extra)

    cipher = _ZipCrypto(password.encode("utf-8")) if password else None
    compressed_size = 0
    if cipher is not None:
        rng = random.Random(seed)
        preamble = bytes(rng.randrange(256) for _ in range(11)) + bytes([(dos_time >> 8) & 0xFF])
        encrypted = cipher.encrypt(preamble)
        compressed_size += len(encrypted)
        yield encrypted

    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    crc = 0
    size = 0
    for chunk in chunks:
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
        out = compressor.compress(chunk)
        if out:
            out = cipher.encrypt(out) if cipher else out
            compressed_size += len(out)
            yield out
    tail = compressor.flush()
    tail = cipher.encrypt(tail) if cipher else tail
    compressed_size += len(tail)
    crc &= 0xFFFFFFFF
    descriptor = struct.pack("<IIQQ", 0x08074B50, crc, compressed_size, size)
    yield tail + descriptor
    offset += compressed_size + len(descriptor)

    central_extra = struct.pack("<HHQQ", _ZIP64_EXTRA_ID, 16, size, compressed_size)
    central = (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            _VERSION,
            _VERSION,
            flags,
            _DEFLATED,
            dos_time,
            dos_date,
            crc,
            0xFFFFFFFF,
            0xFFFFFFFF,
            len(encoded_name),
            len(central_extra),
            0,
            0,
            0,
            0o100644 << 16,
            0,
        )
        + encoded_name
        + central_extra
    )
    end64 = struct.pack(
        "<IQHHIIQQQQ", 0x06064B50, 44, _VERSION, _VERSION, 0, 0, 1, 1, len(central), offset
    )
    locator = struct.pack("<IIQI", 0x07064B50, 0, offset + len(central), 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), min(offset, 0xFFFFFFFF), 0)
    yield central + end64 + locator + end
