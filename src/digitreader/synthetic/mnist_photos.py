"""Render MNIST digits as phone photos of handwriting: a realistic test set made at test time.

Real photos cannot be committed, and MNIST images must never be written into the repository,
so the tests draw MNIST *test* digits as photos when they run. Each digit's shape is upscaled
smoothly, inked with a pen of the chosen variant (mnist_pens), placed at a random size and
position in a large frame, slightly rotated and seen in perspective, lit unevenly (gradient,
vignette, a soft shadow), blurred a little by the lens, given sensor noise (scene) and saved
as JPEG (a few as PNG):

    ink            dark ink on textured paper, MNIST-like stroke widths
    thin_pen       a fine pen: a line 1-2% of the digit's height, 1-3 px for most digits
    thick_marker   a dark marker: strokes about twice as wide, relative to the digit
    light_on_dark  chalk on a dark board, grainy, with chalk dust

To look at them, or to run evaluate.py on them, write some outside the repository:

    PYTHONPATH=src python -m digitreader.synthetic digits /tmp/photos --count 200
    python evaluate.py /tmp/photos
"""

from typing import NamedTuple

import cv2
import numpy as np

from .mnist_pens import INKS, pen_coverage
from .scene import chalk_on_board, encode, encode_jpeg, ink_on_paper, light_field, \
    place_in_frame, sensor_image

VARIANTS = ("ink", "thin_pen", "thick_marker", "light_on_dark")
DEFAULT_SEED = 2024

# The frame: a phone photo's longer side, in pixels, and its shape.
FRAME_LONG_SIDE = (640, 1600)
FRAME_ASPECTS = (4 / 3, 16 / 9, 1.0)
# The digit's height as a share of the frame's shorter side (drawn log-uniformly: small
# digits in a wide shot are as common as close-ups).
DIGIT_HEIGHT_SHARE = (0.08, 0.6)
JPEG_QUALITY = (60, 90)
PNG_SHARE = 0.03  # photos saved as PNG (screenshots, edited photos)


def render_photo(digit, rng, variant):
    """One photo of `digit` as encoded JPEG (or, for a few, PNG) bytes.

    digit: uint8 (28, 28) MNIST image, white on black. rng: numpy Generator; the same
    generator state gives the same bytes. variant: one of VARIANTS.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    width, height = frame_size(rng)
    digit_height = min(width, height) * _log_uniform(rng, *DIGIT_HEIGHT_SHARE)
    return photograph(pen_coverage(digit, digit_height, variant, rng), (width, height), variant,
                      rng)


def photograph(coverage, frame, variant, rng):
    """A pen's coverage (float32 (h, w) in [0, 1]) photographed in a frame (w, h) with the ink
    or chalk of `variant` (one of VARIANTS): encoded JPEG (or, for a few, PNG) bytes."""
    placed = place_in_frame(coverage, frame, rng)
    light = light_field(frame, rng)
    if variant == "light_on_dark":
        channels = chalk_on_board(placed, light, rng)
    else:
        channels = ink_on_paper(placed, light, INKS[variant], rng)
    photo = sensor_image(channels, rng)
    if rng.random() < PNG_SHARE:
        return encode(photo, ".png", cv2.IMWRITE_PNG_COMPRESSION, 1)
    return encode_jpeg(photo, int(rng.integers(JPEG_QUALITY[0], JPEG_QUALITY[1] + 1)))


class PlannedPhoto(NamedTuple):
    """One photo of a generated set: its place in the set, its MNIST image, its variant."""

    index: int
    position: int  # in the MNIST arrays
    variant: str


def plan(count, image_count, seed=DEFAULT_SEED):
    """The photos `generate` makes, without rendering them: a list of PlannedPhoto.

    The digits are a seeded permutation of the images, so a smaller count gives the first
    photos of a larger one; the variants take turns.
    """
    if count > image_count:
        raise ValueError(f"asked for {count} photos of {image_count} digits")
    positions = np.random.default_rng(seed).permutation(image_count)[:count]
    return [PlannedPhoto(index, int(position), VARIANTS[index % len(VARIANTS)])
            for index, position in enumerate(positions)]


def render_planned(images, planned, seed=DEFAULT_SEED):
    """Render one PlannedPhoto; each photo has its own random stream, so any subset of a
    plan can be rendered alone (or in another process) and comes out the same."""
    return render_photo(images[planned.position], np.random.default_rng([seed, planned.index]),
                        planned.variant)


def generate(images, labels, count, seed=DEFAULT_SEED):
    """Yield `count` photos as (bytes, label, variant), the same ones for the same seed.

    images: uint8 (N, 28, 28) MNIST images; labels: (N,) their digits.
    """
    for planned in plan(count, len(images), seed):
        yield render_planned(images, planned, seed), int(labels[planned.position]), planned.variant


def _log_uniform(rng, low, high):
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def frame_size(rng):
    """A phone photo's (width, height): FRAME_LONG_SIDE long, landscape or portrait."""
    long_side = rng.uniform(*FRAME_LONG_SIDE)
    short_side = long_side / FRAME_ASPECTS[rng.integers(len(FRAME_ASPECTS))]
    sides = (round(long_side), round(short_side))
    return sides if rng.random() < 0.5 else sides[::-1]
