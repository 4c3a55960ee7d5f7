"""Photos of written numbers made from MNIST *test* digits, at test time (never saved here).

Each number is 2 to 6 digits written side by side with random gaps (some so small that the
ink touches), sizes and baselines, then photographed like mnist_photos' single digits of the
"ink" variant (the same pen, mnist_pens, and the same scene): textured paper, uneven light and
shadow, a slight turn (so the line slopes) and perspective, sensor noise, JPEG. Each photo
says whether the ink of some neighbours touches, which the tests read apart.

    PYTHONPATH=src python -m digitreader.synthetic numbers /tmp/numbers --count 100
"""

from typing import NamedTuple

import cv2
import numpy as np

from .mnist_pens import INKS, pen_coverage
from .mnist_photos import DEFAULT_SEED
from .scene import encode_jpeg, ink_on_paper, light_field, place_in_frame, sensor_image

DIGIT_COUNT = (2, 6)
DIGIT_HEIGHT = (40, 130)  # pixels
SIZE_JITTER = 0.12  # each digit's height varies by up to this share
BASELINE_JITTER = 0.08  # and its baseline, in digit heights
GAP = (-0.1, 0.45)  # between neighbours' ink boxes, in digit heights; below 0 they overlap
TOUCH_LEVEL = 0.3  # pen coverage above which a pixel counts as ink
# Inks closer than this (in digit heights) count as touching: the lens blur joins them.
TOUCH_DISTANCE = 0.04
FRAME_MARGIN = (1.3, 2.0)  # the frame is this many times as wide as the number,
MAX_FRAME_SIDE = 2000  # but no wider than this (the scene's noise fields are 2048 wide)
MIN_FRAME = (480, 360)  # nor smaller than a crop anyone would photograph
FRAME_HEIGHT = (2.5, 5.0)  # and this many digit heights tall
JPEG_QUALITY = 85


class NumberPhoto(NamedTuple):
    photo: bytes  # encoded JPEG
    number: str  # the digits written, left to right
    touching: bool  # whether the ink of some neighbours touches


def render_number(images, labels, rng):
    """One photo of a number made of random MNIST images; returns a NumberPhoto."""
    count = int(rng.integers(DIGIT_COUNT[0], DIGIT_COUNT[1] + 1))
    positions = rng.integers(0, len(images), count)
    height = rng.uniform(*DIGIT_HEIGHT)
    patches = [ink_box(pen_coverage(images[p],
                                     height * rng.uniform(1 - SIZE_JITTER, 1 + SIZE_JITTER),
                                     "ink", rng)) for p in positions]
    strip, touching = side_by_side(patches, height, rng)
    return NumberPhoto(photograph_line(strip, height, rng),
                       "".join(str(labels[p]) for p in positions), touching)


def photograph_line(strip, height, rng):
    """A line of writing (pen coverage, digits about `height` px tall) photographed on paper
    in a frame a little wider than the line: encoded JPEG bytes."""
    width = min(MAX_FRAME_SIDE,
                max(MIN_FRAME[0], round(strip.shape[1] * rng.uniform(*FRAME_MARGIN))))
    frame = (width, max(MIN_FRAME[1], round(height * rng.uniform(*FRAME_HEIGHT))))
    light = light_field(frame, rng)
    channels = ink_on_paper(place_in_frame(strip, frame, rng), light, INKS["ink"], rng)
    return encode_jpeg(sensor_image(channels, rng), JPEG_QUALITY)


def ink_box(coverage):
    """The coverage cropped to its ink, so that gaps are measured between the inks."""
    rows, columns = np.nonzero(coverage > 0.02)
    return coverage[rows.min():rows.max() + 1, columns.min():columns.max() + 1]


def side_by_side(patches, height, rng, gap=GAP):
    """Lay pen-coverage patches out left to right: (strip float32 (h, w), touching bool).

    gap: the range of the gaps between neighbours' ink boxes, in digit heights."""
    jitter = BASELINE_JITTER * height
    strip_height = round(max(p.shape[0] for p in patches) + 2 * jitter) + 2
    lefts, left = [], 0
    for patch in patches:
        lefts.append(left)
        left = max(0, left + patch.shape[1] + round(rng.uniform(*gap) * height))
    strip_width = max(left + patch.shape[1] for left, patch in zip(lefts, patches))
    strip = np.zeros((strip_height, strip_width), np.float32)
    touching = False
    reach = 2 * round(TOUCH_DISTANCE * height) + 1
    near = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach))
    for left, patch in zip(lefts, patches):
        top = round((strip_height - patch.shape[0]) / 2 + rng.uniform(-jitter, jitter))
        own = np.zeros(strip.shape, np.uint8)
        own[top:top + patch.shape[0], left:left + patch.shape[1]] = patch > TOUCH_LEVEL
        touching |= bool((cv2.dilate(own, near).astype(bool) & (strip > TOUCH_LEVEL)).any())
        region = strip[top:top + patch.shape[0], left:left + patch.shape[1]]
        np.maximum(region, patch, out=region)
    return strip, touching


def iter_numbers(images, labels, count, seed=DEFAULT_SEED):
    """Yield `count` NumberPhotos, the same for the same seed; each has its own random stream.

    images: uint8 (N, 28, 28) MNIST images; labels: (N,) their digits.
    """
    for index in range(count):
        yield render_number(images, labels, np.random.default_rng([seed, index]))


def generate_numbers(images, labels, count, seed=DEFAULT_SEED):
    """`count` NumberPhotos as a list: iter_numbers' photos."""
    return list(iter_numbers(images, labels, count, seed))
