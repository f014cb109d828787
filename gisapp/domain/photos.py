"""Photos of events: what a file is, read from its first bytes (never from the declared type).

Only JPEG and PNG are kept; their pixel size is read from the header (PNG's IHDR, JPEG's SOF
segment) without decoding the image, so no imaging library is needed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
# the start-of-frame markers carrying the image size (not DHT c4, JPG c8, DAC cc)
JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RST0-7: no length field


@dataclass(frozen=True)
class PhotoKind:
    """A photo's media type and, when its header says so, its size in pixels."""

    media_type: str
    width: int | None = None
    height: int | None = None


def sniff_photo(data: bytes) -> PhotoKind | None:
    """The kind of photo these bytes are (JPEG or PNG), or None for anything else.

    >>> sniff_photo(PNG_SIGNATURE + struct.pack(">I4sII", 13, b"IHDR", 3, 2) + bytes(5))
    PhotoKind(media_type='image/png', width=3, height=2)
    >>> sniff_photo(b"GIF89a...") is None
    True
    """
    if data.startswith(PNG_SIGNATURE):
        return PhotoKind("image/png", *_png_size(data))
    if data.startswith(JPEG_SIGNATURE):
        return PhotoKind("image/jpeg", *_jpeg_size(data))
    return None


def _png_size(data: bytes) -> tuple[int | None, int | None]:
    """Width and height from the IHDR chunk, which the PNG format puts first."""
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None, None
    width, height = struct.unpack(">II", data[16:24])
    return (width or None), (height or None)


def _jpeg_size(data: bytes) -> tuple[int | None, int | None]:
    """Width and height from the first start-of-frame segment, walking the segments' lengths."""
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None, None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker in JPEG_STANDALONE:
            at += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header before it
            return None, None
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if marker in JPEG_SOF and at + 9 <= len(data):
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return (width or None), (height or None)
        at += 2 + length
    return None, None
