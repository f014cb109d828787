"""Tiny but well-formed PNG and JPEG files, built in the test (no binary fixtures in the repo)."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def tiny_png(width: int = 3, height: int = 2, shade: int = 0) -> bytes:
    """An 8-bit grey PNG of the given size; `shade` changes its bytes (a different photo)."""
    rows = b"".join(b"\x00" + bytes([shade % 256]) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(rows))
        + _chunk(b"IEND", b"")
    )


def tiny_jpeg(width: int = 4, height: int = 3) -> bytes:
    """The header segments of a baseline JPEG (SOI, APP0 JFIF, SOF0) and EOI: enough to be sniffed and sized."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"
