"""Hard photos: the kinds of real input the reader gets wrong, drawn from MNIST *test* digits.

Real images of these kinds cannot be committed, so they are rendered at test time, like
mnist_photos' and numbers' (the same pens, mnist_pens, and scene). One kind per failure users
hit; a photo's label is the digits written in it, left to right (one for a single digit):

    large_photo       a small number of 1-4 digits (3-8% of the frame's shorter side tall)
                      in a large phone photo: beyond the page's edge, on one or two sides,
                      a dark table (wood, grey or black, grainy, under the same light), and a
                      shadow with a hard or soft edge, half the time across the number
    cheque            a small slanted amount of 2-5 digits on cheque paper: a light colour
                      tint (or grey), fine guilloche lines (wavy rings, and crossing waves),
                      sometimes a printed baseline under the amount; scanned flat, a field
                      35-64 px tall and about 45-200 px wide (as real cheques' amount
                      fields), the digits close, a few touching; a little blurred, JPEG,
                      half in grey
    small_image       one dark digit on white in a small photo, 28 to 100 px tall, filling
                      60-95% of it (a tight crop: the ink may touch the edge), a little
                      blurred, JPEG at quality 50-95
    touching_cursive  2-4 slanted digits, each joined to the next by a ligature stroke (a
                      curve in the pen's width from one digit's lower right to the next one's
                      left) or by overlapping it, photographed like numbers' lines
    thin_outline      a paint program's 1-2 px line without anti-aliasing (two grey levels
                      only) along the digit's centre, white on black or black on white,
                      cropped close, PNG
    thick_brush       a paint program's round brush 10-20% of the digit's height wide, the
                      digit 60-90% of the canvas (64-1080 px) tall, loops kept open, PNG

Photos take the kinds in turn; each has its own random stream, so the same seed gives the
same bytes, and any one photo can be rendered alone (render_index). To look at them:

    PYTHONPATH=src python -m digitreader.synthetic hard /tmp/hard --count 120
"""

from typing import NamedTuple

import cv2
import numpy as np

from .mnist_pens import INKS, SHAPE_SCALE, digit_shape, draw_centre_lines, hole_count, \
    pen_coverage
from .mnist_photos import DEFAULT_SEED, _log_uniform
from .numbers import BASELINE_JITTER, DIGIT_HEIGHT, SIZE_JITTER, TOUCH_LEVEL, ink_box, \
    photograph_line, side_by_side
from .scene import FOCUS_BLUR, PAPER_EXPOSURE, encode, encode_jpeg, ink_on_paper, \
    light_field, noise, place_in_frame, sensor_image

HARD_KINDS = ("large_photo", "cheque", "small_image", "touching_cursive", "thin_outline",
              "thick_brush")

# large_photo: the frame (the scene's noise fields are 2048 px; the reader works at 1024 px
# anyway, so a larger frame would only cost time), the number and its place.
LARGE_LONG_SIDE = (1600, 2000)
LARGE_ASPECTS = (4 / 3, 16 / 9)
LARGE_DIGITS = (1, 4)
LARGE_DIGIT_HEIGHT_SHARE = (0.03, 0.08)  # of the frame's shorter side, log-uniform
LARGE_GAP = (0.1, 0.5)  # between digits, in digit heights: they do not touch
LARGE_JPEG_QUALITY = (70, 92)
# The table beyond the page's edge, on one or two sides of the frame with room between the
# ink and the frame's edge: a band this share of the frame across, at each end of the side,
# but never over more than TABLE_MAX_REACH of the room (the page's edge slants a little).
TABLE_SIDES = (1, 2)
TABLE_MIN_ROOM = 0.04  # of the frame's shorter side: a side with less room shows no table
TABLE_BAND = (0.02, 0.25)
TABLE_MAX_REACH = 0.85
TABLE_EDGE_SOFTNESS = (0.5, 2.0)  # pixels
TABLE_REFLECTANCE = (0.03, 0.3)
TABLE_TONES = [(1.0, 0.72, 0.48), (1.0, 1.0, 1.0), (0.85, 0.92, 1.0)]  # wood, grey, cool
TABLE_GRAIN = (0.05, 0.25)  # relative brightness variation of its grain
TABLE_GRAIN_SIZE = 3  # pixels
# The cast shadow: its strength (the share of light it takes), a hard edge (pixels) half the
# time, else a soft one (share of the frame's diagonal); half the time its edge crosses the
# number.
CAST_SHADOW_STRENGTH = (0.25, 0.5)
HARD_SHADOW_EDGE = (0.5, 2.0)
SOFT_SHADOW_EDGE = (0.01, 0.06)
SHADOW_ACROSS_NUMBER = 0.5

# cheque: the amount and the scan.
CHEQUE_DIGITS = (2, 5)
CHEQUE_HEIGHT = (35, 64)  # pixels, the scanned field's height, log-uniform
CHEQUE_DIGIT_SHARE = (0.55, 0.8)  # the digits' height as a share of the field's
CHEQUE_SLANT = (0.1, 0.4)  # cursive: the top of a digit leans right by this share of its height
CHEQUE_GAP = (-0.05, 0.15)  # between the digits' ink boxes, digit heights: a few touch
CHEQUE_MARGIN = (0.1, 0.4)  # digit heights of paper left and right of the amount
CHEQUE_TINTS = [(0.86, 0.95, 0.88), (0.85, 0.90, 0.98), (0.98, 0.88, 0.91),
                (0.98, 0.96, 0.82), (0.92, 0.92, 0.92)]  # pale green, blue, pink, yellow, grey
CHEQUE_EXPOSURE = (205, 245)
CHEQUE_GREY_SHARE = 0.5  # scanned in grey
# Guilloche: families of fine wavy lines, as 0..1 line strength ((1 + cos)/2 to a power:
# the higher, the thinner the lines), darkening the paper by up to GUILLOCHE_DARKNESS.
GUILLOCHE_SPACING = (2.5, 6.0)  # pixels between lines
GUILLOCHE_SHARPNESS = (3, 10)
GUILLOCHE_DARKNESS = (0.2, 0.45)
GUILLOCHE_WAVE = (0.5, 3.0)  # the lines' waves, in line spacings
GUILLOCHE_LOBES = (3, 12)  # waves per turn of the rings
GUILLOCHE_CROSSING = 0.6  # share of cheques with a second family, waves across the rings
BASELINE_CHANCE = 0.3  # a printed line under the amount
BASELINE_DARKNESS = (0.4, 0.8)
SCAN_ROTATION_DEGREES = 2
SCAN_BLUR = (0.3, 0.7)  # Gaussian sigma, pixels
CHEQUE_JPEG_QUALITY = (55, 90)

# small_image: the image, the digit in it and the camera.
SMALL_HEIGHT = (28, 100)  # pixels, log-uniform
SMALL_ASPECT = (0.8, 1.25)  # width / height
SMALL_DIGIT_SHARE = (0.6, 0.95)  # of the image's height
SMALL_PAPER_EXPOSURE = (185, 250)  # white paper
SMALL_GRADIENT = (0.0, 0.15)
SMALL_BLUR = (0.0, 1.0)  # Gaussian sigma (pixels) on top of the lens's, 0 for none
SMALL_JPEG_QUALITY = (50, 95)

# touching_cursive: digits the size of numbers', slanted, every neighbour joined.
TOUCHING_DIGITS = (2, 4)
TOUCHING_SLANT = (0.15, 0.4)
LIGATURE_SHARE = 0.5  # of the joins; the others overlap
LIGATURE_GAP = (0.05, 0.3)  # digit heights between the ink boxes a ligature bridges
LIGATURE_SAG = (0.0, 0.15)  # digit heights the ligature hangs below the straight line
OVERLAP_DEPTH = (0.0, 0.06)  # digit heights the next digit moves on after the inks meet

# thin_outline and thick_brush: drawings in a paint program.
OUTLINE_DIGIT_HEIGHT = (40, 300)  # pixels, log-uniform
OUTLINE_PEN = (1, 2)  # pixels
OUTLINE_MARGIN = (0.02, 0.3)  # digit heights of canvas on each side: tight crops
LIGHT_ON_DARK_SHARE = {"thin_outline": 0.5, "thick_brush": 0.3}
BRUSH_CANVAS_HEIGHT = (64, 1080)  # pixels, log-uniform
BRUSH_DIGIT_SHARE = (0.6, 0.9)  # of the canvas's height
BRUSH_WIDTH_SHARE = (0.1, 0.2)  # of the digit's height
BRUSH_NARROWING = 0.85  # a brush that would close a loop is narrowed by this, until it doesn't
BRUSH_ASPECT = (0.8, 1.3)  # canvas width / height, at least the digit's width
BRUSH_COLOURS = [(0, 0, 0), (20, 20, 25), (40, 40, 160), (30, 110, 40)]  # RGB, on light
BRUSH_GREY_PAPER_SHARE = 0.3  # of dark-on-light brush drawings: light grey, not white
BRUSH_GREY_PAPER = (215, 250)
WHITE, BLACK = (255, 255, 255), (0, 0, 0)


class HardPhoto(NamedTuple):
    photo: bytes  # encoded JPEG or PNG
    label: str  # the digits written, left to right
    kind: str  # one of HARD_KINDS


def kind_of(index, kinds=HARD_KINDS):
    """The kind of the photo at `index` of a set: the kinds take turns."""
    return kinds[index % len(kinds)]


def render_index(images, labels, index, seed=DEFAULT_SEED, kinds=HARD_KINDS):
    """The photo at `index` of a set of the given kinds, on its own random stream."""
    return render_hard(images, labels, kind_of(index, kinds),
                       np.random.default_rng([seed, index]))


def iter_hard(images, labels, count, seed=DEFAULT_SEED, kinds=HARD_KINDS):
    """Yield `count` HardPhotos, the kinds in turn; the same for the same seed and kinds.

    images: uint8 (N, 28, 28) MNIST images; labels: (N,) their digits.
    """
    unknown = set(kinds) - set(HARD_KINDS)
    if unknown or not kinds:
        raise ValueError(f"unknown kinds {sorted(unknown)}; choose from {', '.join(HARD_KINDS)}")
    for index in range(count):
        yield render_index(images, labels, index, seed, kinds)


def render_hard(images, labels, kind, rng):
    """One HardPhoto of `kind` made of random MNIST images."""
    if kind not in HARD_KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose from {', '.join(HARD_KINDS)}")
    count = {"large_photo": LARGE_DIGITS, "cheque": CHEQUE_DIGITS,
             "touching_cursive": TOUCHING_DIGITS}.get(kind, (1, 1))
    positions = rng.integers(0, len(images), int(rng.integers(count[0], count[1] + 1)))
    digits = [images[p] for p in positions]
    photo = _RENDERERS[kind](digits, rng) if kind not in LIGHT_ON_DARK_SHARE \
        else _paint_program(digits[0], kind, rng)
    return HardPhoto(photo, "".join(str(int(labels[p])) for p in positions), kind)


def digit_patches(digits, height, rng, slant=(0.0, 0.0)):
    """Each digit's pen coverage about `height` px tall, slanted, cropped to its ink."""
    return [_slanted(ink_box(pen_coverage(digit,
                                          height * rng.uniform(1 - SIZE_JITTER, 1 + SIZE_JITTER),
                                          "ink", rng)), rng.uniform(*slant))
            for digit in digits]


def _slanted(coverage, slant):
    """Coverage leaned right: its top moves right by `slant` times its height."""
    if slant == 0:
        return coverage
    height, width = coverage.shape
    shift = slant * (height - 1)
    lean = np.float32([[1, -slant, shift], [0, 1, 0]])
    return cv2.warpAffine(coverage, lean, (width + int(np.ceil(shift)), height),
                          flags=cv2.INTER_LINEAR)


# large_photo ---------------------------------------------------------------------------------

def _large_photo(digits, rng):
    long_side = rng.uniform(*LARGE_LONG_SIDE)
    sides = (round(long_side), round(long_side / LARGE_ASPECTS[rng.integers(len(LARGE_ASPECTS))]))
    frame = sides if rng.random() < 0.5 else sides[::-1]
    height = min(frame) * _log_uniform(rng, *LARGE_DIGIT_HEIGHT_SHARE)
    strip, _ = side_by_side(digit_patches(digits, height, rng), height, rng, LARGE_GAP)
    placed = place_in_frame(strip, frame, rng)
    light = light_field(frame, rng) * _cast_shadow(frame, placed[1], rng)
    channels = ink_on_paper(placed, light, INKS["ink"], rng)
    table = _table_mask(frame, placed[1], rng)
    if table is not None:
        tone = TABLE_TONES[rng.integers(len(TABLE_TONES))]
        grain = cv2.scaleAdd(noise(rng, light.shape, fibres=True, blur=TABLE_GRAIN_SIZE),
                             rng.uniform(*TABLE_GRAIN), np.ones_like(light))
        surface = light * grain * (rng.uniform(*TABLE_REFLECTANCE) * rng.uniform(*PAPER_EXPOSURE))
        channels = [channel + table * (surface * shade - channel)
                    for channel, shade in zip(channels, tone)]
    photo = sensor_image(channels, rng)
    return encode_jpeg(photo, int(rng.integers(LARGE_JPEG_QUALITY[0], LARGE_JPEG_QUALITY[1] + 1)))


def _cast_shadow(frame, region, rng):
    """The light a cast shadow leaves: float32 (h, w), 1 outside it; a hard or soft edge,
    half the time through the ink's region."""
    width, height = frame
    rows, columns = region
    if rng.random() < SHADOW_ACROSS_NUMBER:
        through = (rng.uniform(columns.start, columns.stop), rng.uniform(rows.start, rows.stop))
    else:
        through = (rng.uniform(0, width), rng.uniform(0, height))
    angle = rng.uniform(0, 2 * np.pi)
    if rng.random() < 0.5:
        softness = rng.uniform(*HARD_SHADOW_EDGE)
    else:
        softness = rng.uniform(*SOFT_SHADOW_EDGE) * np.hypot(width, height)
    xs = (np.arange(width, dtype=np.float32) - through[0]) * np.float32(np.cos(angle))
    ys = (np.arange(height, dtype=np.float32) - through[1]) * np.float32(np.sin(angle))
    inside = _sigmoid((xs[None, :] + ys[:, None]) / np.float32(softness))
    return 1 - np.float32(rng.uniform(*CAST_SHADOW_STRENGTH)) * inside


def _sigmoid(values):
    return 1 / (1 + np.exp(-np.clip(values, -30, 30)))


def _table_mask(frame, region, rng):
    """Where the table shows beyond the page's edge: float32 (h, w) in [0, 1], or None when no
    side of the frame has room for it."""
    width, height = frame
    rows, columns = region
    room = {"left": columns.start, "right": width - columns.stop, "top": rows.start,
            "bottom": height - rows.stop}
    sides = [side for side, space in room.items() if space >= TABLE_MIN_ROOM * min(frame)]
    if not sides:
        return None
    count = min(len(sides), int(rng.integers(TABLE_SIDES[0], TABLE_SIDES[1] + 1)))
    mask = np.zeros((height, width), np.float32)
    for side in rng.choice(sides, count, replace=False):
        # The page's edge runs from `start` to `end` (distances from the frame's edge) along
        # the side: a little slanted, never reaching the ink.
        along, across = (height, width) if side in ("left", "right") else (width, height)
        start, end = np.minimum(rng.uniform(*TABLE_BAND, 2) * across,
                                TABLE_MAX_REACH * room[side])
        softness = np.float32(rng.uniform(*TABLE_EDGE_SOFTNESS))
        edge = np.linspace(start, end, along, dtype=np.float32)
        # Computed only as far in as the table reaches: beyond that the page is untouched.
        band = min(across, int(np.ceil(max(start, end) + 40 * softness)))
        beyond = _sigmoid((edge[:, None] - np.arange(band, dtype=np.float32)) / softness)
        if side in ("right", "bottom"):
            beyond = beyond[:, ::-1]
        if side in ("top", "bottom"):
            beyond = beyond.T
        part = {"left": np.s_[:, :band], "right": np.s_[:, width - band:],
                "top": np.s_[:band], "bottom": np.s_[height - band:]}[side]
        np.maximum(mask[part], beyond, out=mask[part])
    return mask


# cheque --------------------------------------------------------------------------------------

def _cheque(digits, rng):
    field_height = round(_log_uniform(rng, *CHEQUE_HEIGHT))
    height = field_height * rng.uniform(*CHEQUE_DIGIT_SHARE)
    strip, _ = side_by_side(digit_patches(digits, height, rng, CHEQUE_SLANT), height, rng,
                            CHEQUE_GAP)
    margins = rng.uniform(*CHEQUE_MARGIN, 2) * height
    frame = (round(strip.shape[1] + margins.sum()), field_height)
    placed = _scan_place(strip, frame, (margins[0], (field_height - strip.shape[0]) / 2), rng)
    paper = 1 - rng.uniform(*GUILLOCHE_DARKNESS) * guilloche(frame, rng)
    if rng.random() < BASELINE_CHANCE:
        line = np.zeros(paper.shape, np.uint8)
        rows = np.nonzero(placed[0].max(axis=1) > TOUCH_LEVEL)[0] + placed[1][0].start
        y = min(field_height - 2, rows.max() + int(rng.integers(1, 5)))
        cv2.line(line, (round(0.04 * frame[0]), y), (round(0.96 * frame[0]), y), 255,
                 int(rng.integers(1, 3)), cv2.LINE_AA)
        paper *= 1 - rng.uniform(*BASELINE_DARKNESS) * line.astype(np.float32) / 255
    tint = CHEQUE_TINTS[rng.integers(len(CHEQUE_TINTS))]
    channels = [channel * shade for channel, shade in
                zip(ink_on_paper(placed, paper, INKS["ink"], rng, CHEQUE_EXPOSURE), tint)]
    sigma = rng.uniform(*SCAN_BLUR)
    scan = sensor_image([cv2.GaussianBlur(channel, (0, 0), sigma) for channel in channels], rng)
    if rng.random() < CHEQUE_GREY_SHARE:
        scan = cv2.cvtColor(scan, cv2.COLOR_BGR2GRAY)
    return encode_jpeg(scan, int(rng.integers(CHEQUE_JPEG_QUALITY[0], CHEQUE_JPEG_QUALITY[1] + 1)))


def guilloche(frame, rng):
    """Fine guilloche lines of a cheque's security pattern: float32 (h, w) line strength 0..1.

    Wavy rings around a centre off the field, and for some cheques a second family of waves
    across them."""
    width, height = frame
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    centre = (rng.uniform(-2, 3) * width, rng.uniform(-3, 4) * height)
    spacing = rng.uniform(*GUILLOCHE_SPACING)
    radius = np.hypot(xs - centre[0], ys - centre[1])
    turn = np.arctan2(ys - centre[1], xs - centre[0])
    phase = radius / spacing + rng.uniform(*GUILLOCHE_WAVE) * np.sin(
        int(rng.integers(GUILLOCHE_LOBES[0], GUILLOCHE_LOBES[1] + 1)) * turn
        + rng.uniform(0, 2 * np.pi))
    lines = _line_strength(phase, rng)
    if rng.random() < GUILLOCHE_CROSSING:
        angle, period = rng.uniform(0, np.pi), rng.uniform(0.3, 1.0) * width
        spacing = rng.uniform(*GUILLOCHE_SPACING)
        phase = (xs * np.sin(angle) + ys * np.cos(angle)) / spacing + rng.uniform(
            *GUILLOCHE_WAVE) * np.sin(2 * np.pi * xs / period + rng.uniform(0, 2 * np.pi))
        lines = 1 - (1 - lines) * (1 - _line_strength(phase, rng))
    return lines.astype(np.float32)


def _line_strength(phase, rng):
    return ((1 + np.cos(2 * np.pi * phase)) / 2) ** rng.uniform(*GUILLOCHE_SHARPNESS)


def _scan_place(strip, frame, top_left, rng):
    """The strip laid flat on the scanner at `top_left` (x, y), turned a little and blurred by
    the optics: (alpha, region) over the whole frame, as place_in_frame returns."""
    width, height = frame
    centre = (top_left[0] + strip.shape[1] / 2, top_left[1] + strip.shape[0] / 2)
    turn = cv2.getRotationMatrix2D((strip.shape[1] / 2, strip.shape[0] / 2),
                                   rng.uniform(-SCAN_ROTATION_DEGREES, SCAN_ROTATION_DEGREES), 1)
    turn[:, 2] += (centre[0] - strip.shape[1] / 2, centre[1] - strip.shape[0] / 2)
    alpha = cv2.warpAffine(strip, turn, frame, flags=cv2.INTER_LINEAR)
    return (cv2.GaussianBlur(alpha, (0, 0), rng.uniform(*FOCUS_BLUR)),
            (slice(0, height), slice(0, width)))


# small_image ---------------------------------------------------------------------------------

def _small_image(digits, rng):
    height = round(_log_uniform(rng, *SMALL_HEIGHT))
    frame = (max(SMALL_HEIGHT[0], round(height * rng.uniform(*SMALL_ASPECT))), height)
    coverage = pen_coverage(digits[0], height * rng.uniform(*SMALL_DIGIT_SHARE), "ink", rng)
    placed = place_in_frame(coverage, frame, rng)
    ramp = np.linspace(0, 1, frame[0], dtype=np.float32)[None, :] \
        * np.ones((height, 1), np.float32)
    light = 1 - rng.uniform(*SMALL_GRADIENT) * (ramp if rng.random() < 0.5 else ramp[:, ::-1])
    channels = ink_on_paper(placed, light, INKS["ink"], rng, SMALL_PAPER_EXPOSURE)
    sigma = rng.uniform(*SMALL_BLUR)
    if sigma > 0.2:
        channels = [cv2.GaussianBlur(channel, (0, 0), sigma) for channel in channels]
    photo = sensor_image(channels, rng)
    return encode_jpeg(photo, int(rng.integers(SMALL_JPEG_QUALITY[0], SMALL_JPEG_QUALITY[1] + 1)))


# touching_cursive ----------------------------------------------------------------------------

def _touching_cursive(digits, rng):
    height = rng.uniform(*DIGIT_HEIGHT)
    slant = rng.uniform(*TOUCHING_SLANT)
    patches = digit_patches(digits, height, rng, (0.8 * slant, 1.2 * slant))
    return photograph_line(joined_line(patches, height, rng), height, rng)


def joined_line(patches, height, rng):
    """Pen-coverage patches laid out left to right, each joined to the next by a ligature or
    by overlapping it until the inks meet: the strip, float32 (h, w)."""
    jitter = BASELINE_JITTER * height
    strip_height = round(max(p.shape[0] for p in patches) + 2 * jitter) + 2
    strip = np.zeros((strip_height, sum(p.shape[1] for p in patches)
                      + round(len(patches) * LIGATURE_GAP[1] * height) + 2), np.float32)
    meet = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    right = 0  # the previous digit's ink box ends here
    previous = None  # its (top, left, patch)
    for patch in patches:
        top = round((strip_height - patch.shape[0]) / 2 + rng.uniform(-jitter, jitter))
        ink = patch > TOUCH_LEVEL
        if previous is None:
            left = 0
        elif rng.random() < LIGATURE_SHARE:
            left = right + round(rng.uniform(*LIGATURE_GAP) * height)
            _ligature(strip, previous, (top, left, patch), height, rng)
        else:
            # Slide the digit left from beyond the previous one until the inks meet.
            grown = cv2.dilate((strip > TOUCH_LEVEL).astype(np.uint8), meet).astype(bool)
            left = right + 1
            while left > 0 and not (grown[top:top + patch.shape[0],
                                          left:left + patch.shape[1]] & ink).any():
                left -= 1
            left = max(0, left - round(rng.uniform(*OVERLAP_DEPTH) * height))
        region = strip[top:top + patch.shape[0], left:left + patch.shape[1]]
        np.maximum(region, patch, out=region)
        right, previous = max(right, left + patch.shape[1]), (top, left, patch)
    columns = np.nonzero(strip.max(axis=0) > 0)[0]
    return strip[:, :columns.max() + 1]


def _ligature(strip, before, after, height, rng):
    """Draw into the strip a pen stroke from the lower right of `before`'s ink to the left of
    `after`'s, (top, left, patch) each, in the pen's width, hanging a little."""
    start = _extreme_ink(before, (0.5, 1.0), rightmost=True)
    end = _extreme_ink(after, (0.3, 0.9), rightmost=False)
    middle = (start + end) / 2 + (0, rng.uniform(*LIGATURE_SAG) * height)
    steps = np.linspace(0, 1, 24)[:, None]
    curve = (1 - steps) ** 2 * start + 2 * (1 - steps) * steps * middle + steps ** 2 * end
    width = _stroke_width(before[2] > 0.5)
    canvas = np.zeros(strip.shape, np.uint8)
    subpixel = 4
    cv2.polylines(canvas, [np.round(curve * 2**subpixel).astype(np.int32)], False, 255,
                  max(1, round(width)), cv2.LINE_AA, subpixel)
    np.maximum(strip, canvas.astype(np.float32) / 255, out=strip)


def _extreme_ink(placed, band, rightmost):
    """The rightmost (or leftmost) strong ink point of a placed patch (top, left, patch) within
    a band of its height (shares from the top): (x, y) in the strip, float."""
    top, left, patch = placed
    ys, xs = np.nonzero(patch > 0.5)
    chosen = (ys >= band[0] * patch.shape[0]) & (ys <= band[1] * patch.shape[0])
    if chosen.any():
        ys, xs = ys[chosen], xs[chosen]
    pick = np.argmax(xs) if rightmost else np.argmin(xs)
    return np.array([left + xs[pick], top + ys[pick]], dtype=np.float64)


def _stroke_width(ink):
    """A bool shape's typical stroke width, pixels: its area over half its outline's length."""
    contours, _ = cv2.findContours(ink.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    outline = sum(cv2.arcLength(contour, True) for contour in contours)
    return 2 * float(ink.sum()) / max(outline, 1.0)


# thin_outline and thick_brush ----------------------------------------------------------------

def _paint_program(digit, kind, rng):
    """A drawing saved from a paint program: a thin hard line, or a thick round brush. PNG."""
    if kind == "thin_outline":
        height = _log_uniform(rng, *OUTLINE_DIGIT_HEIGHT)
        shape, scale, frame_size = digit_shape(digit, height, rng)
        # OpenCV's 2-px line is 3 px wide: a 2-px pen is the 1-px line widened by a pixel.
        pen = int(rng.integers(OUTLINE_PEN[0], OUTLINE_PEN[1] + 1))
        drawing = draw_centre_lines(shape, scale / SHAPE_SCALE, frame_size, 1, cv2.LINE_8)
        drawing = ink_box(cv2.dilate(drawing, np.ones((pen, pen), np.uint8)))
        pad = np.round(rng.uniform(*OUTLINE_MARGIN, 4) * drawing.shape[0]).astype(int)
        canvas = np.pad(drawing, ((pad[0], pad[1]), (pad[2], pad[3])))
    else:
        canvas_height = _log_uniform(rng, *BRUSH_CANVAS_HEIGHT)
        height = canvas_height * rng.uniform(*BRUSH_DIGIT_SHARE)
        drawing = ink_box(_brush(digit, height, rng))
        canvas_size = (max(round(drawing.shape[1] * 1.05) + 2,
                           round(canvas_height * rng.uniform(*BRUSH_ASPECT))),
                       max(round(canvas_height), drawing.shape[0] + 2))
        top = int(rng.integers(0, canvas_size[1] - drawing.shape[0] + 1))
        left = int(rng.integers(0, canvas_size[0] - drawing.shape[1] + 1))
        canvas = np.zeros(canvas_size[::-1], np.float32)
        canvas[top:top + drawing.shape[0], left:left + drawing.shape[1]] = drawing
    if rng.random() < LIGHT_ON_DARK_SHARE[kind]:
        ink, paper = WHITE, BLACK
    elif kind == "thin_outline":
        ink, paper = BLACK, WHITE
    else:
        ink = BRUSH_COLOURS[rng.integers(len(BRUSH_COLOURS))]
        paper = WHITE if rng.random() >= BRUSH_GREY_PAPER_SHARE \
            else (int(rng.integers(*BRUSH_GREY_PAPER)),) * 3
    picture = cv2.merge([to_level(canvas, paper[channel], ink[channel])
                         for channel in (2, 1, 0)])  # OpenCV wants BGR
    return encode(picture, ".png", cv2.IMWRITE_PNG_COMPRESSION, 3)


def to_level(coverage, paper, ink):
    """uint8 levels of a coverage 0..1 painted in `ink` over `paper` (0..255 each)."""
    return np.round(paper + coverage * (ink - paper)).astype(np.uint8)


def _brush(digit, height, rng):
    """A round brush along the digit's centre lines, as wide as drawn without closing a loop."""
    shape, scale, frame_size = digit_shape(digit, height, rng)
    holes = hole_count(shape)
    width = rng.uniform(*BRUSH_WIDTH_SHARE) * height
    while True:
        drawing = draw_centre_lines(shape, scale / SHAPE_SCALE, frame_size, max(1, round(width)))
        if width <= 1 or hole_count(drawing > 0.5, scale**2) >= holes:
            return drawing
        width *= BRUSH_NARROWING


_RENDERERS = {"large_photo": _large_photo, "cheque": _cheque, "small_image": _small_image,
              "touching_cursive": _touching_cursive}
