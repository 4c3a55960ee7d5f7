"""Turn a photo of a handwritten digit into a 28x28 image like MNIST's. NumPy/OpenCV only.

MNIST digits are white on black, size-normalised so the longer side fits a 20x20 box (aspect
ratio kept), anti-aliased, and placed in 28x28 so that their centre of mass sits at the
centre. A phone photo is dark ink on grey, unevenly lit paper, anywhere in the frame. The
steps here undo those differences:

    read_image        file -> RGB float32 (H, W, 3) in [0, 1], alpha composited onto white
    to_gray           RGB -> luminance float32 (H, W) in [0, 1]
    ink_strength      luminance -> ink float32 (H, W) >= 0 against a smooth background
    find_digit        ink -> mask of the digit's connected components and their box
    digit_image       ink, mask, box -> float32 (28, 28) in [0, 1], white digit on black
    normalize_digit   all of it, for a photo of one digit
    normalize_digits  the same for each digit of a written number (find_digits)
"""

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .native import native_stderr_silenced

MNIST_SIZE = 28
MNIST_BOX = 20  # the longer side of the digit in MNIST's 28x28
MNIST_CENTRE = 14.0  # where MNIST's centres of mass sit (pixel index, both axes)
MNIST_STROKE_WIDTH = 2.4  # median stroke width of MNIST digits, in 28x28 pixels
# Photos are reduced to this longer side before looking for ink: plenty for a digit,
# and it bounds time and memory for huge images.
WORKING_MAX_SIDE = 1024
# PNGs with more pixels than this are refused (a JPEG is decoded reduced, so needs no limit).
MAX_DECODED_PIXELS = 150_000_000
# A JPEG is decoded at 1/2, 1/4 or 1/8 of its size when that keeps this share of the working size.
JPEG_MIN_SHARE = 0.75
# The paper's brightness is estimated on a copy whose shorter side is this small (its longer
# side at most BACKGROUND_MAX_SIDE), with a disc this wide (pixels of that copy): wider than
# strokes, narrower than shadows and lighting gradients.
BACKGROUND_SHORT_SIDE = 96
BACKGROUND_MAX_SIDE = 512
BACKGROUND_KERNEL = 21
BACKGROUND_BLUR = 3
# The window of the local median (pixels of that copy) against which the ink's polarity is
# judged: large enough that ink is a minority in it; and how many of the most extreme
# pixels on each side are compared.
POLARITY_MEDIAN_KERNEL = 51
POLARITY_PIXELS = 200
# Standard deviation (pixels) of the light blur that calms paper grain before thresholding.
INK_BLUR = 1.0
# The strongest ink is measured on this many pixels.
PEAK_PIXELS = 40
# Paper darker than this is treated as this dark when ink is measured relative to it.
MIN_PAPER_LEVEL = 0.1
# Below this ink contrast (0..1 luminance) the image is taken as blank paper.
MIN_INK_CONTRAST = 0.12
# Ink pieces scoring below this share of the digit's core are specks.
MIN_PIECE_SHARE = 0.04
# A piece touching the image border along this many times its own size scores e^-8 less.
BORDER_CONTACT_PENALTY = 8.0
# A piece longer than this share of the image and thinner than this (area / length^2) is a
# line, not a stroke; its score is multiplied by LINE_PENALTY.
LINE_MIN_EXTENT = 0.4
LINE_MAX_THINNESS = 0.03
LINE_PENALTY = 0.1
# Digits of a number. Neighbours on the line are at most NUMBER_MAX_GAP digit heights apart.
# Pieces overlapping over SAME_DIGIT_OVERLAP of the narrower one's columns are one digit. A
# group whose longer side is under MIN_DIGIT_EXTENT_SHARE of the largest group's, or whose
# height is under MIN_DIGIT_HEIGHT_SHARE of the tallest group's, is a fragment, not a digit.
# One piece wider than TOUCHING_ASPECT times the line's digit height is digits that touch,
# each about TYPICAL_DIGIT_ASPECT as wide as tall, cut where a column has at most
# VALLEY_SHARE of the group's typical column's ink.
NUMBER_MAX_GAP = 1.2
SAME_DIGIT_OVERLAP = 0.5
MIN_DIGIT_EXTENT_SHARE = 0.4
MIN_DIGIT_HEIGHT_SHARE = 0.45
TOUCHING_ASPECT = 1.35
TYPICAL_DIGIT_ASPECT = 0.7
VALLEY_SHARE = 0.8
# Ruled lines: at least this share of the image long, at most this share of it thick.
RULE_MIN_LENGTH = 0.6
RULE_MAX_THICKNESS = 0.006
# Pieces farther than this share of the largest piece's size from it belong to something else.
MAX_PIECE_GAP = 0.35

_JPEG_MAGIC = b"\xff\xd8\xff"
_JPEG_END = b"\xff\xd9"
_PNG_MAGIC = b"\x89PNG"
_PNG_END = b"IEND"


class ImageError(ValueError):
    """The file cannot be used as a photo of a digit; the message says why, in one line."""


class NoDigitFound(ImageError):
    """The image holds no ink that could be a digit (blank or nearly uniform)."""


@dataclass
class Preprocessed:
    """The 28x28 the model sees, and the intermediate steps that made it.

    digit: float32 (28, 28) in [0, 1], white digit on black, as MNIST.
    photo: RGB float32 (h, w, 3) in [0, 1], the image reduced to at most WORKING_MAX_SIDE.
    ink_mask: bool (h, w), the pixels taken for the digit.
    box: (x, y, width, height) of the digit in `photo` pixels.
    dark_ink: True when the ink was darker than the paper (and so was inverted).
    """

    digit: np.ndarray
    photo: np.ndarray
    ink_mask: np.ndarray
    box: tuple
    dark_ink: bool


def read_image(path, max_side=WORKING_MAX_SIDE):
    """Read any image OpenCV decodes; return RGB float32 (h, w, 3) in [0, 1].

    Non-ASCII paths work (the bytes are read by Python, decoded by OpenCV). 8- and 16-bit,
    grey, colour and alpha images are accepted; transparent pixels become white paper.
    JPEG honours the EXIF orientation. The longer side is reduced to at most `max_side`.
    Raises ImageError with a one-line reason (without the path) for anything that is not a
    readable image.
    """
    return read_photo(path, max_side)[0]


def read_photo(path, max_side=WORKING_MAX_SIDE):
    """read_image, and the scale: the file's pixels per pixel of the returned image."""
    path = Path(path)
    if not path.exists():
        raise ImageError("no such file")
    if path.is_dir():
        raise ImageError("is a directory, not an image")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as error:
        raise ImageError(f"cannot read: {error.strerror or error}") from None
    return decode_photo(data.tobytes(), max_side)


def decode_image(data, max_side=WORKING_MAX_SIDE):
    """Decode image bytes (a file's content or an upload); see read_image."""
    return decode_photo(data, max_side)[0]


def decode_photo(data, max_side=WORKING_MAX_SIDE):
    """decode_image, and the scale: the original's pixels per pixel of the returned image."""
    if len(data) == 0:
        raise ImageError("empty file")
    if data.startswith(_PNG_MAGIC):
        if _PNG_END not in data[-64:]:
            raise ImageError("PNG file is truncated (no IEND chunk)")
        # A small file can hold a huge, flat PNG that would take gigabytes to decode.
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        if width * height > MAX_DECODED_PIXELS:
            raise ImageError(f"image too large: {width}x{height} pixels "
                             f"(the limit is {MAX_DECODED_PIXELS // 10**6} megapixels)")
    original_side = None
    # libpng and libjpeg print their own complaints about damaged files; ours say it in one line.
    with native_stderr_silenced():
        if data.startswith(_JPEG_MAGIC):
            image = _decode_jpeg(data, max_side)
            original_side = max(_jpeg_size(data) or (0,))
        else:
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise ImageError("not an image OpenCV can read (unknown format or damaged file)")
    original_side = original_side or max(image.shape[:2])
    image = _shrink(image, max_side)
    return _to_rgb_on_white(image), original_side / max(image.shape[:2])


def _decode_jpeg(data, max_side):
    """Decode a JPEG at the smallest of 1/1, 1/2, 1/4, 1/8 scale that keeps `max_side`.

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
            # Landing a little under max_side costs nothing visible and halves the decoding.
            if max(size) / factor >= JPEG_MIN_SHARE * max_side:
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


def to_gray(rgb):
    """RGB float32 (h, w, 3) in [0, 1] -> luminance float32 (h, w) in [0, 1] (ITU-R 601)."""
    return cv2.cvtColor(rgb.astype(np.float32), cv2.COLOR_RGB2GRAY)


def ink_is_dark(gray):
    """Whether the ink is darker than the paper. gray: float32 (h, w) in [0, 1].

    Ink deviates from the paper around it far more than noise does, so the ink's side is
    the one whose extreme deviations (the POLARITY_PIXELS most extreme pixels: a fixed
    count, so that a fine pen line in a large frame still fills them) are larger. The paper
    around each pixel is a local median, which follows shadows and lighting, so a bright
    patch of paper beside a shadow does not pass for light ink.
    """
    small, _ = _small_copy(gray)
    small = (np.clip(small, 0, 1) * 255).astype(np.uint8)
    paper = cv2.medianBlur(small, POLARITY_MEDIAN_KERNEL).astype(np.float32) / 255
    flat = (gray - cv2.resize(paper, gray.shape[::-1], interpolation=cv2.INTER_LINEAR)).ravel()
    tail = min(POLARITY_PIXELS, flat.size // 2)
    darkest = -float(np.partition(flat, tail)[:tail].mean())
    lightest = float(np.partition(flat, flat.size - tail)[-tail:].mean())
    return darkest >= lightest


def _small_copy(gray):
    """gray reduced so its shorter side is BACKGROUND_SHORT_SIDE (longer at most
    BACKGROUND_MAX_SIDE), averaging pixels; returns (copy, scale).

    Sized by the shorter side: in a long strip (a number on a narrow crop) a disc or window
    must still be small across the strip, or it would flatten the light across it.
    """
    height, width = gray.shape
    scale = min(BACKGROUND_SHORT_SIDE / min(height, width), BACKGROUND_MAX_SIDE / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA), scale


def estimate_background(gray, dark_ink):
    """Smooth paper brightness under the digit: float32 (h, w) in [0, 1].

    On a small copy of the image, a morphological closing (opening for light ink) with a
    disc wider than any stroke fills the strokes in with the paper around them, while
    lighting gradients and shadows, which are broader than the disc, survive.
    """
    height, width = gray.shape
    small, _ = _small_copy(gray)
    # Reflect the border so the disc near the edge sees as much paper as in the middle.
    pad = BACKGROUND_KERNEL
    padded = cv2.copyMakeBorder(small, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (BACKGROUND_KERNEL, BACKGROUND_KERNEL))
    operation = cv2.MORPH_CLOSE if dark_ink else cv2.MORPH_OPEN
    smooth = cv2.morphologyEx(padded, operation, disc)
    smooth = cv2.blur(smooth, (BACKGROUND_BLUR, BACKGROUND_BLUR))[pad:-pad, pad:-pad]
    return cv2.resize(smooth, (width, height), interpolation=cv2.INTER_LINEAR)


def ink_strength(gray):
    """How much each pixel differs from the paper, in the ink's direction.

    gray: float32 (h, w) in [0, 1]. Returns (ink float32 (h, w) >= 0, dark_ink bool).
    """
    dark_ink = ink_is_dark(gray)
    paper = estimate_background(gray, dark_ink)
    if dark_ink:
        # Ink absorbs a share of the light that falls on it: relative to the paper's
        # brightness, a stroke in a shadow is as strong as the same stroke in full light.
        ink = (paper - gray) / np.maximum(paper, MIN_PAPER_LEVEL)
    else:
        ink = gray - paper
    return np.maximum(ink, 0.0), dark_ink


def ink_mask(ink):
    """Binary mask of the ink worth looking at. ink: float32 (h, w) >= 0 from ink_strength.

    Returns (mask uint8 (h, w) of 0/1, peak float: the strength of the strongest ink).
    Raises NoDigitFound when nothing stands out from the paper.
    """
    # A light blur: enough to calm paper grain, little enough to keep a one-pixel pen line.
    blurred = cv2.GaussianBlur(ink, (0, 0), sigmaX=INK_BLUR)
    # The strength of the strongest ink, judged on a fixed number of pixels (not a share of
    # the image): a small digit with a fine pen covers few pixels of a large frame.
    peak = float(np.partition(blurred.ravel(), -PEAK_PIXELS)[-PEAK_PIXELS]) \
        if blurred.size > PEAK_PIXELS else float(blurred.max())
    if peak < MIN_INK_CONTRAST:
        raise NoDigitFound("no digit found (the image is blank or has too little contrast)")
    scaled = np.clip(blurred / peak * 255, 0, 255).astype(np.uint8)
    otsu, _ = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Otsu can fall into the noise when ink is a tiny share of the frame; keep it above that.
    threshold = max(otsu, 0.3 * 255)
    return remove_ruled_lines((scaled > threshold).astype(np.uint8)), peak


def remove_ruled_lines(mask):
    """Drop thin straight lines that run across most of the image: ruled or squared paper.

    mask: uint8 (h, w) of 0/1. A digit's strokes are never that long and thin.
    """
    height, width = mask.shape
    thickness = max(3, round(RULE_MAX_THICKNESS * max(height, width)))
    lines = np.zeros_like(mask)
    for along, across in (((round(RULE_MIN_LENGTH * width), 1), (1, thickness)),
                          ((1, round(RULE_MIN_LENGTH * height)), (thickness, 1))):
        # A run of `length` ink pixels needs a row (column) with that many: skip the costly
        # long-kernel opening when no row (column) has.
        length, axis = max(along), 1 if along[0] > 1 else 0
        if mask.sum(axis=axis).max() < length:
            continue
        straight = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, along))
        # Long runs that are also thick (a marker's bar across a frame-filling digit) stay.
        thick = cv2.morphologyEx(straight, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, across))
        lines |= straight & (1 - cv2.dilate(thick, np.ones((3, 3), np.uint8)))
    if not lines.any():
        return mask
    # Take the line's soft, anti-aliased edge too; then bridge the strokes it crossed, which
    # would otherwise fall apart into pieces at every line.
    lines = cv2.dilate(lines, np.ones((3, 3), np.uint8))
    kept = mask & (1 - lines)
    bridge = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * thickness + 1, 2 * thickness + 1))
    return kept | (cv2.morphologyEx(kept, cv2.MORPH_CLOSE, bridge) & lines)


def piece_scores(labels, stats, ink):
    """How likely each connected piece of ink is (part of) the digit: float (count,) >= 0.

    labels, stats: from cv2.connectedComponentsWithStats; label 0 (paper) scores 0.
    A piece scores its total ink, less when it clings to the image border (a paper edge,
    the table, a border shadow) or is a long thin line across the frame (a shadow's edge,
    a fold); a digit that merely touches the border with one stroke end keeps most of it.
    """
    count = len(stats)
    mass = np.bincount(labels.ravel(), weights=ink.ravel(), minlength=count)
    border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    contact = np.bincount(border, minlength=count)
    extent = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]).astype(float)
    score = mass * np.exp(-BORDER_CONTACT_PENALTY * contact / extent)
    thinness = stats[:, cv2.CC_STAT_AREA] / extent ** 2
    line_like = (extent > LINE_MIN_EXTENT * max(labels.shape)) & (thinness < LINE_MAX_THINNESS)
    score[line_like] *= LINE_PENALTY
    score[0] = 0.0
    return score


def _ink_pieces(ink):
    """Connected pieces of ink: (labels int32 (h, w), boxes [(x, y, w, h)], scores (count,)).

    Label 0 is the paper. Raises NoDigitFound when there is no ink.
    """
    mask, _ = ink_mask(ink)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        raise NoDigitFound("no digit found (no ink stands out from the paper)")
    return labels, [_component_box(stat) for stat in stats], piece_scores(labels, stats, ink)


def _grow(start, candidates, belongs):
    """The pieces reachable from `start` through steps where belongs(taken, other) holds."""
    keep, frontier = {start}, [start]
    while frontier:
        taken = frontier.pop()
        near = {label for label in candidates - keep if belongs(taken, label)}
        keep |= near
        frontier.extend(near)
    return keep


def _region(ink, mask):
    """(mask bool (h, w), box (x, y, w, h), ink level) of the digit whose pixels are `mask`."""
    ys, xs = np.nonzero(mask)
    box = (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
    return mask, box, float(np.median(ink[mask]))


def find_digit(ink):
    """Choose the ink pixels that form the one digit of the photo.

    ink: float32 (h, w) >= 0 from ink_strength. Returns (mask bool (h, w), box (x, y, w, h),
    ink level float: the typical strength of the digit's strokes).
    Raises NoDigitFound when nothing stands out from the paper.
    The best-scoring piece of ink (piece_scores) is the digit's core; pieces near it (a
    pen-lifted stroke, the parts of a broken "4") join it; specks and far-off marks do not.
    """
    labels, boxes, scores = _ink_pieces(ink)
    core = int(np.argmax(scores))
    reach = MAX_PIECE_GAP * max(boxes[core][2], boxes[core][3])
    candidates = {label for label in range(1, len(boxes)) if scores[label] >= MIN_PIECE_SHARE * scores[core]}
    # A piece near any piece already taken belongs too, so a stroke broken in several places
    # comes back whole.
    pieces = _grow(core, candidates, lambda a, b: _box_gap(boxes[a], boxes[b]) <= reach)
    return _region(ink, np.isin(labels, sorted(pieces)))


def find_digits(ink):
    """Find the digits of a written number, left to right.

    ink: float32 (h, w) >= 0 from ink_strength. Returns a list of (mask, box, ink level) as
    find_digit gives for one digit. Raises NoDigitFound when nothing stands out.
    The line of writing grows sideways from the best piece of ink to pieces beside it (so a
    slightly sloping line is followed step by step). Each tall piece is a digit; short pieces
    near one belong to it, far from all they are specks; a piece much wider than tall is
    digits that touch, cut where the ink is thinnest.
    """
    labels, boxes, scores = _ink_pieces(ink)
    core = int(np.argmax(scores))
    candidates = {label for label in range(1, len(boxes)) if scores[label] >= MIN_PIECE_SHARE * scores[core]}
    core_reach = MAX_PIECE_GAP * max(boxes[core][2], boxes[core][3])

    def on_the_line(a, b):
        side_by_side = _overlap(boxes[a], boxes[b], axis=1) >= 0.3
        gap = max(boxes[a][0], boxes[b][0]) - min(boxes[a][0] + boxes[a][2], boxes[b][0] + boxes[b][2])
        return (side_by_side and gap <= NUMBER_MAX_GAP * max(boxes[a][3], boxes[b][3])) or \
            _box_gap(boxes[a], boxes[b]) <= core_reach

    line = _grow(core, candidates, on_the_line)
    # Pieces over the same columns are parts of one digit: the flag and body of a "5", a
    # stroke broken in two.
    groups = []
    for label in sorted(line, key=lambda label: boxes[label][0]):
        stacked = [g for g in groups if any(_overlap(boxes[label], boxes[o], axis=0) >= SAME_DIGIT_OVERLAP
                                            for o in g)]
        groups = [g for g in groups if g not in stacked] + [{label}.union(*stacked)]
    # A group much smaller than the largest is a fragment: it joins the digit it nearly
    # touches, or is a speck. So is a flat one (no digit is much wider than tall and short beside its neighbours).
    group_boxes = [_group_box(boxes, g) for g in groups]
    largest = max(max(box[2:]) for box in group_boxes)
    sizeable = [max(box[2:]) >= MIN_DIGIT_EXTENT_SHARE * largest for box in group_boxes]
    line_height = max(box[3] for box, big in zip(group_boxes, sizeable) if big)
    is_digit = [big and box[3] >= MIN_DIGIT_HEIGHT_SHARE * line_height
                for box, big in zip(group_boxes, sizeable)]
    digits = [g for g, digit in zip(groups, is_digit) if digit]
    for group, box, digit in zip(groups, group_boxes, is_digit):
        if digit:
            continue
        gaps = [_box_gap(box, _group_box(boxes, other)) for other in digits]
        if min(gaps) <= MAX_PIECE_GAP * max(box[2:]):
            digits[int(np.argmin(gaps))] |= group
    groups = digits
    regions = [_region(ink, np.isin(labels, sorted(group))) for group in groups]
    typical_height = float(np.median([box[3] for _, box, _ in regions]))
    digits = []
    for group, (mask, box, level) in zip(groups, regions):
        # Digits that touch are one piece of ink much wider than the line's digits are tall.
        touching = len(group) == 1 and box[2] > TOUCHING_ASPECT * typical_height
        digits.extend(_split_touching(ink, mask, box) if touching else [(mask, box, level)])
    return sorted(digits, key=lambda region: region[1][0])


def _split_touching(ink, mask, box):
    """Cut a group of touching digits at the columns where it has least ink.

    A cut is made only where the ink thins to a narrow join (under VALLEY_SHARE of the
    group's typical column): a wide "0" has no such column and stays whole.
    """
    x, y, width, height = box
    count = max(2, round(width / (TYPICAL_DIGIT_ASPECT * height)))
    column_ink = mask[y:y + height, x:x + width].sum(axis=0)
    typical_column = float(np.median(column_ink[column_ink > 0]))
    cuts = [0]
    for index in range(1, count):
        expected = index * width // count
        window = max(1, width // (4 * count))
        low, high = max(cuts[-1] + 1, expected - window), min(width - 1, expected + window)
        if high < low:
            continue
        cut = low + int(np.argmin(column_ink[low:high + 1]))
        if column_ink[cut] <= VALLEY_SHARE * typical_column:
            cuts.append(cut)
    cuts.append(width)
    pieces = []
    for start, end in zip(cuts, cuts[1:]):
        part = mask.copy()
        part[:, :x + start] = False
        part[:, x + end:] = False
        if part.any():
            pieces.append(_region(ink, part))
    # A flat part is no digit: it was the long flag of a "5" or the bar of a "7", so keep whole.
    if any(box[3] < MIN_DIGIT_HEIGHT_SHARE * height for _, box, _ in pieces):
        return [_region(ink, mask)]
    return pieces


def _group_box(boxes, group):
    """The (x, y, w, h) box around the pieces of a group."""
    left = min(boxes[label][0] for label in group)
    top = min(boxes[label][1] for label in group)
    right = max(boxes[label][0] + boxes[label][2] for label in group)
    bottom = max(boxes[label][1] + boxes[label][3] for label in group)
    return (left, top, right - left, bottom - top)


def _overlap(first, second, axis):
    """Overlap of two (x, y, w, h) boxes along x (axis 0) or y (axis 1), as a share of the
    shorter of the two extents."""
    start = max(first[axis], second[axis])
    end = min(first[axis] + first[axis + 2], second[axis] + second[axis + 2])
    return max(0, end - start) / max(1, min(first[axis + 2], second[axis + 2]))


def _component_box(stat):
    return (int(stat[cv2.CC_STAT_LEFT]), int(stat[cv2.CC_STAT_TOP]),
            int(stat[cv2.CC_STAT_WIDTH]), int(stat[cv2.CC_STAT_HEIGHT]))


def _box_gap(first, second):
    """Distance in pixels between two (x, y, w, h) boxes; 0 when they overlap."""
    gap_x = max(0, max(first[0], second[0]) - min(first[0] + first[2], second[0] + second[2]))
    gap_y = max(0, max(first[1], second[1]) - min(first[1] + first[3], second[1] + second[3]))
    return float(np.hypot(gap_x, gap_y))


def stroke_width(mask):
    """Mean stroke width in pixels of a bool mask: twice its area over its outline length."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    outline = sum(cv2.arcLength(contour, True) for contour in contours)
    return 2.0 * float(mask.sum()) / max(outline, 1.0)


def normalize_digit(rgb):
    """Photo of one digit -> MNIST-like digit. rgb: float32 (h, w, 3) in [0, 1].

    Returns Preprocessed. Raises NoDigitFound for a blank image. See digit_image.
    """
    ink, dark_ink = ink_strength(to_gray(rgb))
    mask, box, ink_level = find_digit(ink)
    return Preprocessed(digit_image(ink, mask, box, ink_level), rgb, mask, box, dark_ink)


def normalize_digits(rgb):
    """Photo of a number (or of one digit) -> its digits, left to right.

    rgb: float32 (h, w, 3) in [0, 1]. Returns a list of Preprocessed, one per digit, each
    normalised exactly as normalize_digit does. Raises NoDigitFound for a blank image.
    """
    ink, dark_ink = ink_strength(to_gray(rgb))
    return [Preprocessed(digit_image(ink, mask, box, level), rgb, mask, box, dark_ink)
            for mask, box, level in find_digits(ink)]


def digit_image(ink, mask, box, ink_level):
    """Cut one digit out of the ink map and make it an MNIST 28x28.

    ink: float32 (h, w) >= 0; mask: bool (h, w), the digit's pixels; box: its (x, y, w, h);
    ink_level: the strength that counts as a full stroke. Returns float32 (28, 28) in [0, 1].
    The ink is scaled so that its typical stroke is 1 (most of an MNIST stroke is fully
    white), cropped to the box, its strokes thickened or thinned towards MNIST's width,
    resized so the longer side is 20 px, and shifted so its centre of mass is at MNIST's.
    """
    x, y, width, height = box
    # Keep the soft, anti-aliased edge of the strokes: the ink around the mask, not just in it.
    near_digit = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    crop = np.where(near_digit, ink, 0.0)[y:y + height, x:x + width]
    crop = np.clip(crop / ink_level, 0.0, 1.0).astype(np.float32)
    scale = MNIST_BOX / max(width, height)
    crop = _match_stroke_width(crop, stroke_width(mask[y:y + height, x:x + width]), scale)
    return _centre_by_mass(_fit_box(crop))


def _match_stroke_width(crop, width, scale):
    """Thicken or thin the strokes so that, after scaling by `scale`, they are MNIST-wide.

    A fine pen line in a large photo would otherwise fade to faint grey at 28x28, and a
    marker stroke would fill the digit's holes. Works on the soft crop (float32 in [0, 1]).
    """
    target = MNIST_STROKE_WIDTH / scale  # the wanted width in crop pixels
    change = int(round(target - width))
    if abs(change) < max(2, 0.25 * target):
        return crop
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (abs(change) + 1, abs(change) + 1))
    if change > 0:
        padded = cv2.copyMakeBorder(crop, change, change, change, change, cv2.BORDER_CONSTANT, value=0)
        return _trim(cv2.dilate(padded, kernel))
    thinned = cv2.erode(crop, kernel)
    return _trim(thinned) if thinned.max() > 0.5 else crop


def _trim(image, level=0.05):
    """Crop a float image to the box of its pixels above `level`."""
    ys, xs = np.nonzero(image > level)
    if len(ys) == 0:
        return image
    return image[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def _fit_box(crop):
    """Resize so the longer side is MNIST_BOX, keeping the aspect ratio; pad into 28x28."""
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
    """(row, column) centre of mass of a float image with non-negative values."""
    total = image.sum()
    rows, columns = np.indices(image.shape)
    return float((rows * image).sum() / total), float((columns * image).sum() / total)


def _centre_by_mass(digit):
    """Shift a 28x28 digit by whole pixels so its centre of mass lands on MNIST_CENTRE."""
    row, column = centre_of_mass(digit)
    shift = np.float32([[1, 0, round(MNIST_CENTRE - column)], [0, 1, round(MNIST_CENTRE - row)]])
    shifted = cv2.warpAffine(digit, shift, (MNIST_SIZE, MNIST_SIZE), flags=cv2.INTER_NEAREST)
    return np.clip(shifted, 0.0, 1.0).astype(np.float32)


def preprocess_file(path):
    """read_image + normalize_digit: a file's path -> Preprocessed. Raises ImageError."""
    return normalize_digit(read_image(path))
