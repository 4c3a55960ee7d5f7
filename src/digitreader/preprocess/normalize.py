"""Normalisation: one digit's ink -> a 28x28 image made the way MNIST's were.

MNIST digits are white on black, size-normalised so that the longer side fits a 20x20 box
(aspect ratio kept), anti-aliased, and placed in 28x28 so that their centre of mass sits at
the centre. Their strokes are about 2.4 px wide; a fine pen line in a large photo, or a marker
stroke, is brought to that width first, so it neither fades to grey nor fills the holes.
"""

import cv2
import numpy as np

MNIST_SIZE = 28
MNIST_BOX = 20  # the longer side of the digit in MNIST's 28x28
MNIST_CENTRE = 14.0  # where MNIST's centres of mass sit (pixel index, both axes)
MNIST_STROKE_WIDTH = 2.4  # median stroke width of MNIST digits, in 28x28 pixels
# Strokes are left as they are when within this many crop pixels (or this share of the
# wanted width) of MNIST's: resampling alone gets them close enough.
STROKE_TOLERANCE_PIXELS = 2
STROKE_TOLERANCE_SHARE = 0.25
TRIM_LEVEL = 0.05  # after thickening or thinning, the crop is trimmed to ink above this
# Strokes are matched to MNIST's width on a crop at most this long: 4 times MNIST's box.
WORKING_BOX = 8 * MNIST_BOX


def digit_image(ink, found):
    """Cut one digit out of the ink map and make it an MNIST 28x28.

    ink: float32 (h, w) >= 0; found: its segment.Region (mask, box, ink level).
    Returns float32 (28, 28) in [0, 1], white digit on black.
    The ink is scaled so that its typical stroke is 1 (most of an MNIST stroke is fully
    white), cropped to the box, its strokes thickened or thinned towards MNIST's width,
    resized so the longer side is 20 px, and shifted so its centre of mass is at MNIST's.
    """
    box, mask = found.box, found.mask
    # Keep the soft, anti-aliased edge of the strokes: the ink around the mask, not just in
    # it (within the box, so the dilation wraps nothing outside it in).
    near_digit = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    crop = np.where(near_digit, ink[box.slices], 0.0)
    crop = np.clip(crop / found.ink_level, 0.0, 1.0).astype(np.float32)
    crop, width = reduce_to_working_box(crop, stroke_width(mask))
    crop = match_stroke_width(crop, width, MNIST_BOX / max(crop.shape))
    return centre_by_mass(fit_box(crop))


def reduce_to_working_box(crop, width):
    """A large crop reduced so its longer side is WORKING_BOX: (crop, its stroke width).

    Thickening a fine pen line in a close-up at full size takes a disc ~90 px wide, costly;
    at a few times MNIST's size it is cheap and as exact. Strokes narrower than the reduction
    would fade to grey in it, so they are first widened (with a small disc) to one pixel more
    than its factor: then a pixel of the reduced crop lies wholly on the stroke.
    crop: float32 (h, w) in [0, 1]; width: its strokes' width in its pixels.
    """
    factor = max(crop.shape) / WORKING_BOX
    if factor <= 1:
        return crop, width
    # The full-strength core decides: a one-pixel line drawn without anti-aliasing is one
    # pixel of ink in a mask (taken from blurred ink) three wide.
    widen = int(np.ceil(factor + 1 - stroke_width(crop >= 0.5)))
    if widen > 0:
        crop = cv2.dilate(cv2.copyMakeBorder(crop, widen, widen, widen, widen, cv2.BORDER_CONSTANT),
                          cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (widen + 1, widen + 1)))
        width += widen
    size = (max(1, round(crop.shape[1] / factor)), max(1, round(crop.shape[0] / factor)))
    return cv2.resize(crop, size, interpolation=cv2.INTER_AREA), width / factor


def stroke_width(mask):
    """Mean stroke width in pixels of a bool mask: twice its area over its outline length."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    outline = sum(cv2.arcLength(contour, True) for contour in contours)
    return 2.0 * float(mask.sum()) / max(outline, 1.0)


def match_stroke_width(crop, width, scale):
    """Thicken or thin the strokes so that, after scaling by `scale`, they are MNIST-wide.

    crop: float32 (h, w) in [0, 1]; width: its strokes' width in crop pixels.
    Returns float32 (h', w') in [0, 1], trimmed to its ink when changed.
    """
    target = MNIST_STROKE_WIDTH / scale  # the wanted width in crop pixels
    change = int(round(target - width))
    if abs(change) < max(STROKE_TOLERANCE_PIXELS, STROKE_TOLERANCE_SHARE * target):
        return crop
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (abs(change) + 1, abs(change) + 1))
    if change > 0:
        padded = cv2.copyMakeBorder(crop, change, change, change, change, cv2.BORDER_CONSTANT, value=0)
        return _trim(cv2.dilate(padded, kernel))
    thinned = cv2.erode(crop, kernel)
    return _trim(thinned) if thinned.max() > 0.5 else crop


def _trim(image):
    """Crop a float image to the box of its pixels above TRIM_LEVEL."""
    ys, xs = np.nonzero(image > TRIM_LEVEL)
    if len(ys) == 0:
        return image
    return image[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def fit_box(crop):
    """Resize so the longer side is MNIST_BOX, keeping the aspect ratio; pad into 28x28.

    crop: float32 (h, w) in [0, 1]. Returns float32 (28, 28).
    """
    height, width = crop.shape
    scale = MNIST_BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # INTER_AREA averages when shrinking, giving MNIST-like anti-aliased grey edges.
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(crop, size, interpolation=interpolation)
    canvas = np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    top, left = (MNIST_SIZE - size[1]) // 2, (MNIST_SIZE - size[0]) // 2
    canvas[top:top + size[1], left:left + size[0]] = resized
    return canvas


def centre_of_mass(image):
    """(row, column) centre of mass of a float image with non-negative values (its centre
    when it is all zero)."""
    total = image.sum()
    if total <= 0:
        return (image.shape[0] - 1) / 2, (image.shape[1] - 1) / 2
    rows, columns = np.indices(image.shape)
    return float((rows * image).sum() / total), float((columns * image).sum() / total)


def centre_by_mass(digit):
    """Shift a 28x28 digit by whole pixels so its centre of mass lands on MNIST_CENTRE."""
    row, column = centre_of_mass(digit)
    shift = np.float32([[1, 0, round(MNIST_CENTRE - column)], [0, 1, round(MNIST_CENTRE - row)]])
    shifted = cv2.warpAffine(digit, shift, (MNIST_SIZE, MNIST_SIZE), flags=cv2.INTER_NEAREST)
    return np.clip(shifted, 0.0, 1.0).astype(np.float32)
