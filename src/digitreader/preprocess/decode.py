"""Decoding: a file or its bytes -> an RGB photo of working size, on white.

Any format OpenCV reads; 8- and 16-bit, grey, colour and alpha; JPEGs honour their EXIF
orientation and are decoded reduced when that is all the working size needs; transparent
pixels become white paper. Refuses, in one line, anything that is not a usable image.
"""

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..native import native_stderr_silenced

_JPEG_MAGIC = b"\xff\xd8\xff"
_JPEG_END = b"\xff\xd9"
_PNG_MAGIC = b"\x89PNG"
_PNG_END = b"IEND"


class ImageError(ValueError):
    """The file cannot be used as a photo of a digit; the message says why, in one line."""


@dataclass(frozen=True)
class DecodeParams:
    """max_side: photos are reduced to this longer side before looking for ink: plenty for
    a digit, and it bounds time and memory for huge images.
    max_pixels: PNGs with more pixels than this are refused from their header (decoding one
    would take gigabytes).
    jpeg_min_share: a JPEG is decoded at 1/2, 1/4 or 1/8 of its size when that keeps this
    share of max_side (landing a little under it costs nothing visible and halves the work).
    """

    max_side: int = 1024
    max_pixels: int = 150_000_000
    jpeg_min_share: float = 0.75


@dataclass
class Photo:
    """rgb: float32 (h, w, 3) in [0, 1], at most max_side long, alpha composited onto white.
    scale: the original file's pixels per pixel of `rgb` (1 when it was not reduced).
    """

    rgb: np.ndarray
    scale: float


def read_file(path, params=DecodeParams()):
    """Read an image file (non-ASCII paths work) into a Photo; raises ImageError.

    The messages do not repeat the path: callers put it in front.
    """
    path = Path(path)
    if not path.exists():
        raise ImageError("no such file")
    if path.is_dir():
        raise ImageError("is a directory, not an image")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as error:
        raise ImageError(f"cannot read: {error.strerror or error}") from None
    return decode(data.tobytes(), params)


def decode(data, params=DecodeParams()):
    """Decode image bytes (a file's content or an upload) into a Photo; raises ImageError."""
    if len(data) == 0:
        raise ImageError("empty file")
    if data.startswith(_PNG_MAGIC):
        if _PNG_END not in data[-64:]:
            raise ImageError("PNG file is truncated (no IEND chunk)")
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        if width * height > params.max_pixels:
            raise ImageError(f"image too large: {width}x{height} pixels "
                             f"(the limit is {params.max_pixels // 10**6} megapixels)")
    original_side = None
    # libpng and libjpeg print their own complaints about damaged files; ours say it in one line.
    with native_stderr_silenced():
        if data.startswith(_JPEG_MAGIC):
            image = _decode_jpeg(data, params)
            original_side = max(_jpeg_size(data) or (0,))
        else:
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise ImageError("not an image OpenCV can read (unknown format or damaged file)")
    original_side = original_side or max(image.shape[:2])
    image = _shrink(image, params.max_side)
    return Photo(_to_rgb_on_white(image), original_side / max(image.shape[:2]))


def _decode_jpeg(data, params):
    """Decode a JPEG at the smallest of 1/1, 1/2, 1/4, 1/8 scale that keeps the working size.

    libjpeg can decode at those scales directly, several times faster than full size.
    Without IMREAD_IGNORE_ORIENTATION OpenCV applies the EXIF orientation.
    """
    if _JPEG_END not in data[-64:]:
        # A cut-off JPEG decodes into a grey-filled image with libjpeg warnings; refuse it.
        raise ImageError("JPEG file is truncated (no end-of-image marker)")
    size = _jpeg_size(data)
    flags = cv2.IMREAD_COLOR
    if size:
        for factor, reduced in ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4),
                                (2, cv2.IMREAD_REDUCED_COLOR_2)):
            if max(size) / factor >= params.jpeg_min_share * params.max_side:
                flags = reduced
                break
    return cv2.imdecode(np.frombuffer(data, np.uint8), flags)


def _jpeg_size(data):
    """(height, width) from a JPEG's start-of-frame header, or None if not found."""
    position = 2
    while position + 9 < len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        length = int.from_bytes(data[position + 2:position + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(data[position + 5:position + 7], "big")
            width = int.from_bytes(data[position + 7:position + 9], "big")
            return height, width
        position += 2 + length
    return None


def _shrink(image, max_side):
    """Reduce so the longer side is at most `max_side`, averaging pixels (no aliasing)."""
    height, width = image.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _to_rgb_on_white(image):
    """OpenCV's BGR/BGRA/grey of any depth -> RGB float32 (h, w, 3) in [0, 1] on white."""
    if image.dtype == np.uint8:
        image = image.astype(np.float32) / 255.0
    elif image.dtype == np.uint16:
        image = image.astype(np.float32) / 65535.0
    else:
        image = np.clip(image.astype(np.float32), 0.0, 1.0)
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    channels = image.shape[2]
    if channels == 1:
        return np.repeat(image, 3, axis=2)
    if channels == 4:
        alpha = image[:, :, 3:4]
        image = image[:, :, :3] * alpha + (1.0 - alpha)
    return np.ascontiguousarray(image[:, :, 2::-1])
