"""What an image file's own header says, read before decoding: its format, its size in
pixels, and (for PNG and JPEG) where its image data ends.

Decoding a small file can take gigabytes (a flat 16000x16000 TIFF compresses to 2 MB), so
the size is checked against a limit first, from the header alone. A phone's motion photo is a
JPEG with a video after it, and some tools append bytes to a PNG: the file's structure, not
its last bytes, tells where the image ends and whether it is cut short.
"""

import re
from typing import NamedTuple

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
_JPEG_FRAME_MARKERS = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # SOFn, not DHT/JPG/DAC
_JPEG_STANDALONE_MARKERS = set(range(0xD0, 0xD8)) | {0x01}  # RSTn and TEM carry no length
_JPEG_START_OF_SCAN, _JPEG_END_OF_IMAGE = 0xDA, 0xD9
# In entropy-coded data, 0xFF is followed by 0x00 (a stuffed byte), a restart marker or more
# 0xFF fill; any other byte after it starts the next marker.
_JPEG_NEXT_MARKER = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")
_PNM_TOKEN = re.compile(rb"(?:\s|#[^\n]*\n)*(\S+)")


class Header(NamedTuple):
    """format: a short name ("png", "jpeg", ...); width, height: pixels (None if unknown)."""

    format: str
    width: int
    height: int


def read_header(data):
    """The Header of image bytes, or None for a format not recognised here (OpenCV may still
    read it). A header too short or damaged to give a size gives width and height None."""
    for magic, name, size_of in _FORMATS:
        if data.startswith(magic):
            try:
                size = size_of(data)
            except (IndexError, ValueError):
                size = None
            return Header(name, *(size or (None, None)))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return Header("webp", *(_webp_size(data) or (None, None)))
    return None


def png_end(data):
    """Where a PNG's IEND chunk ends (its image data ends there), or None if it is cut short."""
    position = len(PNG_MAGIC)
    while position + 12 <= len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        end = position + 12 + length  # length, type, data, CRC
        if end > len(data):
            return None
        if data[position + 4:position + 8] == b"IEND":
            return end
        position = end
    return None


def jpeg_end(data):
    """Where a JPEG's end-of-image marker ends, or None if it is cut short (or is no JPEG).

    The segments are walked by their lengths (an EXIF thumbnail inside one is skipped whole),
    and each scan's entropy-coded data up to the next marker.
    """
    position = 2
    while position + 2 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
        elif marker == _JPEG_END_OF_IMAGE:
            return position + 2
        elif marker in _JPEG_STANDALONE_MARKERS:
            position += 2
        else:
            position += 2 + int.from_bytes(data[position + 2:position + 4], "big")
            if marker == _JPEG_START_OF_SCAN:
                found = _JPEG_NEXT_MARKER.search(data, position)
                if found is None:
                    return None
                position = found.start()
    return None


def _png_size(data):
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _jpeg_size(data):
    """(width, height) from a JPEG's start-of-frame header."""
    position = 2
    while position + 9 < len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker in _JPEG_FRAME_MARKERS:
            height = int.from_bytes(data[position + 5:position + 7], "big")
            return int.from_bytes(data[position + 7:position + 9], "big"), height
        if marker == 0xFF or marker in _JPEG_STANDALONE_MARKERS:
            position += 1 if marker == 0xFF else 2
            continue
        position += 2 + int.from_bytes(data[position + 2:position + 4], "big")
    return None


def _webp_size(data):
    """(width, height) of a WebP: from its VP8X canvas, or its VP8 or VP8L bitstream."""
    chunk = data[12:16]
    if chunk == b"VP8X":
        return (int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1)
    if chunk == b"VP8 ":
        return (int.from_bytes(data[26:28], "little") & 0x3FFF,
                int.from_bytes(data[28:30], "little") & 0x3FFF)
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _tiff_size(data):
    """(width, height) from the tags of a TIFF's first image file directory."""
    order = "little" if data[:2] == b"II" else "big"
    offset = int.from_bytes(data[4:8], order)
    count = int.from_bytes(data[offset:offset + 2], order)
    size = {}
    for entry in range(offset + 2, offset + 2 + 12 * count, 12):
        tag = int.from_bytes(data[entry:entry + 2], order)
        kind = int.from_bytes(data[entry + 2:entry + 4], order)
        if tag in (256, 257):  # ImageWidth, ImageLength: SHORT (3) or LONG (4)
            value = data[entry + 8:entry + (10 if kind == 3 else 12)]
            size[tag] = int.from_bytes(value, order)
    return (size[256], size[257]) if len(size) == 2 else None


def _bmp_size(data):
    return (abs(int.from_bytes(data[18:22], "little", signed=True)),
            abs(int.from_bytes(data[22:26], "little", signed=True)))


def _gif_size(data):
    return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")


def _pnm_size(data):
    """(width, height) of a PBM, PGM, PPM or PFM: the two numbers after the magic."""
    tokens = _PNM_TOKEN.finditer(data, 2)
    return int(next(tokens).group(1)), int(next(tokens).group(1))


def _pam_size(data):
    """(width, height) from a PAM's WIDTH and HEIGHT header lines."""
    header = data[:data.find(b"ENDHDR")].decode("ascii", "replace").split()
    return int(header[header.index("WIDTH") + 1]), int(header[header.index("HEIGHT") + 1])


def _sun_raster_size(data):
    return int.from_bytes(data[4:8], "big"), int.from_bytes(data[8:12], "big")


def _radiance_size(data):
    """(width, height) from a Radiance HDR's resolution line, e.g. "-Y 480 +X 640"."""
    found = re.search(rb"\n\n[-+]Y (\d+) [-+]X (\d+)", data[:4096])
    return (int(found.group(2)), int(found.group(1))) if found else None


_FORMATS = [
    (PNG_MAGIC, "png", _png_size),
    (JPEG_MAGIC, "jpeg", _jpeg_size),
    (b"II*\x00", "tiff", _tiff_size),
    (b"MM\x00*", "tiff", _tiff_size),
    (b"BM", "bmp", _bmp_size),
    (b"GIF87a", "gif", _gif_size),
    (b"GIF89a", "gif", _gif_size),
    *((magic, "pnm", _pnm_size) for magic in (b"P1", b"P2", b"P3", b"P4", b"P5", b"P6", b"PF", b"Pf")),
    (b"P7", "pam", _pam_size),
    (b"\x59\xa6\x6a\x95", "sun raster", _sun_raster_size),
    (b"#?RADIANCE", "radiance hdr", _radiance_size),
    (b"#?RGBE", "radiance hdr", _radiance_size),
]
