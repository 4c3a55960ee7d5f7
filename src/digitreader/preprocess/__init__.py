"""Photo -> the 28x28 images of its digits, made the way MNIST's were. NumPy/OpenCV only.

The steps follow the data, one module each:

    decode     file or bytes -> Photo: RGB float32 (h, w, 3) in [0, 1], on white, at most
               DecodeParams.max_side long
    ink        RGB -> ink strength float32 (h, w) >= 0 against the paper around it, and the
               mask of the ink worth looking at (ruled lines left out)
    segment    ink and mask -> the digits of the line of writing, left to right: Regions
               (mask, Box, ink level)
    normalize  each Region -> float32 (28, 28) in [0, 1], white on black, 20 px box, centred
               by centre of mass, strokes MNIST-wide

`preprocess` composes them; `Params` holds each step's tuning, all with defaults.
"""

from dataclasses import dataclass, field

import numpy as np

from .box import Box
from .decode import DecodeParams, ImageError, Photo, decode, read_file
from .ink import InkParams, NoDigitFound, ink_mask, ink_strength
from .normalize import MNIST_SIZE, digit_image
from .segment import SegmentParams, find_digits

__all__ = ["Box", "DigitCrop", "ImageError", "NoDigitFound", "Page", "Params", "Photo",
           "MNIST_SIZE", "preprocess", "preprocess_bytes", "preprocess_file"]


@dataclass(frozen=True)
class Params:
    """The tuning of every step; each field's class documents its own."""

    decode: DecodeParams = field(default_factory=DecodeParams)
    ink: InkParams = field(default_factory=InkParams)
    segment: SegmentParams = field(default_factory=SegmentParams)


@dataclass
class DigitCrop:
    """One digit as the model will see it.

    image: float32 (28, 28) in [0, 1], white on black; box: where it is in the Photo's pixels.
    """

    image: np.ndarray
    box: Box


@dataclass
class Page:
    """What preprocessing made of a photo.

    photo: the decoded Photo; digits: its DigitCrops, left to right (one for a single digit);
    digit_mask: bool (h, w), the pixels taken for the digits; dark_ink: whether the ink was
    darker than the paper (and so was inverted).
    """

    photo: Photo
    digits: list
    digit_mask: np.ndarray
    dark_ink: bool


def preprocess(photo, params=Params()):
    """Find the digits of a Photo and make each an MNIST 28x28: a Page.

    Raises NoDigitFound when nothing on it stands out from the paper.
    """
    ink, dark_ink = ink_strength(photo.gray, params.ink)
    regions = find_digits(ink, ink_mask(ink, params.ink), params.segment)
    digits = [DigitCrop(digit_image(ink, found), found.box) for found in regions]
    return Page(photo, digits, np.any([found.mask for found in regions], axis=0), dark_ink)


def preprocess_file(path, params=Params()):
    """read_file + preprocess. Raises ImageError (NoDigitFound included)."""
    return preprocess(read_file(path, params.decode), params)


def preprocess_bytes(data, params=Params()):
    """decode + preprocess, for an upload. Raises ImageError (NoDigitFound included)."""
    return preprocess(decode(data, params.decode), params)
