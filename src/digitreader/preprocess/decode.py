"""Decoding: a file or its bytes -> an RGB photo of working size, on white.

Any format OpenCV reads; 8- and 16-bit, grey, colour and alpha; JPEGs honour their EXIF
orientation and are decoded reduced when that is all the working size needs; transparent
pixels become white paper. Refuses, in one line, anything that is not a usable image.
"""

import functools
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .. import MAX_DECODED_PIXELS
from ..native import native_stderr_silenced
from .formats import jpeg_end, png_end, read_header

# libjpeg decodes at these reductions directly, several times faster than at full size.
_JPEG_REDUCED = ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4),
                 (2, cv2.IMREAD_REDUCED_COLOR_2), (1, cv2.IMREAD_COLOR))


class ImageError(ValueError):
    """The file cannot be used as a photo of a digit; the message says why, in one line."""


@dataclass(frozen=True)
class DecodeParams:
    """max_side: photos are reduced to this longer side before looking for ink: plenty for
    a digit, and it bounds time and memory for huge images. min_side: smaller images are
    enlarged to this shorter side (see to_working_size).
    max_pixels: images that would decode to more pixels than this are refused from their
    header (decoding one would take gigabytes); a JPEG counts at the reduced size it is
    decoded at, so a 200-megapixel phone photo is read.
    jpeg_min_share: a JPEG is decoded at 1/2, 1/4 or 1/8 of its size when that keeps this
    share of max_side (landing a little under it costs nothing visible and halves the work).
    max_file_bytes: larger files are refused before they are read.
    """

    max_side: int = 1024
    min_side: int = 256
    max_pixels: int = MAX_DECODED_PIXELS
    jpeg_min_share: float = 0.75
    max_file_bytes: int = 256 * 2**20


@dataclass
class Photo:
    """A decoded image, at most max_side long.

    pixels: as OpenCV decoded it (grey, BGR or BGRA; uint8, uint16 or float32), or None
    once only its scale is kept; scale: the original file's pixels per pixel of it (1 when
    it was not reduced). `gray` and `rgb` are what the steps and figures use.
    """

    pixels: np.ndarray
    scale: float

    @classmethod
    def from_rgb(cls, rgb, scale=1.0):
        """A Photo of an RGB float32 (h, w, 3) image in [0, 1]."""
        return cls(np.ascontiguousarray(rgb[:, :, ::-1], dtype=np.float32), scale)

    @functools.cached_property
    def gray(self):
        """Luminance float32 (h, w) in [0, 1] (ITU-R 601), transparent pixels white."""
        # On the integer pixels, then one pass to float: the cheapest order.
        if self.pixels.ndim == 2:
            return _to_float(self.pixels)
        if self.pixels.shape[2] == 3:
            return _to_float(cv2.cvtColor(self.pixels, cv2.COLOR_BGR2GRAY))
        # Luminance is a weighted mean of the channels, so compositing it onto white equals
        # compositing each channel first, on a third of the pixels.
        alpha = _to_float(self.pixels[:, :, 3])
        return _to_float(cv2.cvtColor(self.pixels, cv2.COLOR_BGRA2GRAY)) * alpha + (1.0 - alpha)

    @functools.cached_property
    def rgb(self):
        """RGB float32 (h, w, 3) in [0, 1], alpha composited onto white."""
        return _to_rgb_on_white(self.pixels)


def read_file(path, params=DecodeParams()):
    """Read an image file (non-ASCII paths work) into a Photo; raises ImageError.

    The messages do not repeat the path: callers put it in front.
    """
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise ImageError("no such file") from None
    except OSError as error:
        raise ImageError(f"cannot read: {error.strerror or error}") from None
    if stat.S_ISDIR(status.st_mode):
        raise ImageError("is a directory, not an image")
    if not stat.S_ISREG(status.st_mode):
        # A FIFO or a device would block or never end.
        raise ImageError("not a regular file (a pipe, a device or a socket), not an image")
    if status.st_size > params.max_file_bytes:
        raise ImageError(f"file too large: {status.st_size / 2**20:.0f} MB "
                         f"(the limit is {params.max_file_bytes // 2**20} MB)")
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ImageError(f"cannot read: {error.strerror or error}") from None
    return decode(data, params)


def decode(data, params=DecodeParams()):
    """Decode image bytes (a file's content or an upload) into a Photo; raises ImageError."""
    if len(data) == 0:
        raise ImageError("empty file")
    if len(data) > params.max_file_bytes:
        raise ImageError(f"file too large: the limit is {params.max_file_bytes // 2**20} MB")
    header = read_header(data)
    flags, factor = cv2.IMREAD_UNCHANGED, 1
    if header and header.format == "png":
        data = data[:_image_end(png_end(data), "PNG file is truncated (no IEND chunk)")]
    elif header and header.format == "jpeg":
        data = data[:_image_end(jpeg_end(data), "JPEG file is truncated (no end-of-image marker)")]
        flags = cv2.IMREAD_COLOR
        if header.width:
            # Without IMREAD_IGNORE_ORIENTATION OpenCV applies the EXIF orientation.
            factor, flags = next((factor, flags) for factor, flags in _JPEG_REDUCED
                                 if max(header.width, header.height) / factor
                                 >= params.jpeg_min_share * params.max_side or factor == 1)
    if header and header.width is not None:
        decoded = -(-header.width // factor) * -(-header.height // factor)
        if decoded > params.max_pixels:
            raise ImageError(f"image too large: {header.width}x{header.height} pixels "
                             f"(the limit is {params.max_pixels // 10**6} megapixels)")
    try:
        # libpng and libjpeg print their own complaints about damaged files; ours say it in
        # one line.
        with native_stderr_silenced():
            image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error:  # OpenCV's own limits (OPENCV_IO_MAX_IMAGE_PIXELS), a broken header
        image = None
    if image is None or image.size == 0:
        raise ImageError("not an image OpenCV can read (unknown format, damaged, or too large)")
    original_side = max(header.width, header.height) if header and header.width else max(image.shape[:2])
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.dtype not in (np.uint8, np.uint16, np.float32):
        image = image.astype(np.float32)
    image = to_working_size(image, params)
    return Photo(image, original_side / max(image.shape[:2]))


def _image_end(end, truncated):
    """`end`, where the image data ends; ImageError(`truncated`) when it was not found."""
    if end is None:
        raise ImageError(truncated)
    return end


def to_working_size(image, params=DecodeParams()):
    """Resize so the longer side is at most max_side and, when the image is small, the
    shorter side at least min_side (as far as max_side allows).

    Reduced by averaging pixels (no aliasing); a small image (a 28x28 drawing, a cheque's
    amount field scanned at 50 px) is enlarged smoothly, so that its strokes are several
    pixels wide and go through the same steps as a photo's.
    """
    height, width = image.shape[:2]
    scale = min(params.max_side / max(height, width), max(1.0, params.min_side / min(height, width)))
    if scale == 1:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def _to_rgb_on_white(image):
    """OpenCV's BGR/BGRA/grey (uint8, uint16 or float32) -> RGB float32 (h, w, 3) in [0, 1]
    on white."""
    if image.ndim == 3 and image.shape[2] == 4:
        image = _to_float(image)
        alpha = image[:, :, 3:4]
        return cv2.cvtColor(image[:, :, :3] * alpha + (1.0 - alpha), cv2.COLOR_BGR2RGB)
    # Colour conversion on the integer pixels, then one pass to float: the cheapest order.
    return _to_float(cv2.cvtColor(image, cv2.COLOR_GRAY2RGB if image.ndim == 2 else cv2.COLOR_BGR2RGB))


def _to_float(image):
    """uint8, uint16 or float32 pixels -> float32 in [0, 1] (a new array)."""
    if image.dtype == np.float32:
        # A float TIFF may hold NaN (no data) or infinities: no data is paper.
        return np.clip(np.nan_to_num(image, nan=1.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
    converted = image.astype(np.float32)
    converted /= 255.0 if image.dtype == np.uint8 else 65535.0  # in place: one pass, not two
    return converted
