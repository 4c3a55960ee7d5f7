"""Non-digits: marks that are not one digit, as the reader's 28x28 images and as phone photos.

The reader gives a confident digit for anything it is shown (a letter "A" is a 4 at 75%, a
smiley a 0 at 99.9%). Two uses need marks that are not digits: training with outlier exposure
(Hendrycks et al. 2019: the model is taught near-uniform probabilities on them), and
recognition-based segmentation, where the model must not be confident on part of a digit or
on two digits squeezed into one 28x28. And a test set of non-digit photos tells how often the
reader answers confidently where there is no digit. The kinds, each drawn by a hand (a random
slant, turn, aspect and a smooth wobble, and a random pen width):

    letters    a letter in one of OpenCV's Hershey fonts (plain, serif, triplex, two script
               hands; some italic), only LETTERS: never one a reader could fairly read as a
               digit (EXCLUDED_LETTERS: O o Q D I l i j Z z S s b G B g q T t)
    symbols    one of SYMBOLS (? # @ & % + = * $ ! / \\ ( ) < > ~ ^ -), in the same fonts; the
               slashes are drawn as lines leaning at least SLASH_LEAN from upright, further
               than a 1 leans
    scribbles  a smooth pen path with many turns: a wandering curve, a zigzag scribbled back
               and forth, or a coil of loops (scribble_path)
    smileys    a face: an outline (or none), two eyes (dots, rings, ticks, crosses or arches),
               a mouth (smiling, frowning, straight or open) and sometimes a nose or hair
    shapes     SHAPES: a square, triangle, star, heart, cross or arrow, outlined or filled;
               never a plain circle or ellipse, which is a 0
    stains     STAINS: a filled irregular blob, a splatter (a blob with droplets) or a cluster
               of dots and specks
    fragments  (from MNIST) part of a digit drawn by a pen (mnist_pens), cut along a random
               line or out by a random box, keeping 25-60% of its ink (FRAGMENT_SHARE); never
               of a 1 (every part of a 1 is a 1), and never a part that is itself one straight
               stroke (a 1) or holds a closed loop (a 0)
    pairs      (from MNIST) two digits side by side (numbers.side_by_side), touching or apart,
               joined into one image

Every mark becomes a 28x28 the way the reader makes one from a photo's ink
(preprocess.normalize.digit_image: strokes brought to MNIST's width, the longer side 20 px,
centred by centre of mass), float32 in [0, 1], white on black. The MNIST kinds are made only
when the caller gives MNIST images and labels: the TRAINING split, for training.

    images, kinds = nondigit_images(count, seed)                  # six kinds, in turn
    images, kinds = nondigit_images(count, seed, x_train, y_train)  # all eight, in turn
    for photo, kind in generate_nondigit_photos(count, seed): ...  # photos, no MNIST

A photo (render_nondigit_photo) is one mark of the first six kinds written with one of the
photo generator's pens (ink, fine pen, marker, chalk on a board) and photographed by its
scene (mnist_photos.photograph: placement, perspective, light and shadow, paper, noise,
JPEG or PNG), the mark as large as the generated digits are. To look at them:

    PYTHONPATH=src python -m digitreader.synthetic nondigits /tmp/nondigits --count 60

Each mark has its own random stream (numpy Generator seeded by [seed, index]): the same seed
gives the same images and bytes, and a smaller count gives the first marks of a larger one.
NumPy and OpenCV only.
"""

from typing import NamedTuple

import cv2
import numpy as np

from ..preprocess.box import Box
from ..preprocess.normalize import MNIST_SIZE, digit_image
from ..preprocess.segment import region
from .handwriting import smooth
from .mnist_pens import MARKER_WIDTH_SHARE, THIN_PEN_SHARE, hole_count, pen_coverage
from .mnist_photos import DEFAULT_SEED, DIGIT_HEIGHT_SHARE, VARIANTS, _log_uniform, \
    frame_size, photograph
from .numbers import SIZE_JITTER, ink_box, side_by_side

KINDS = ("letters", "symbols", "scribbles", "smileys", "shapes", "stains")
MNIST_KINDS = ("fragments", "pairs")  # made only from the caller's MNIST images

# Letters a reader cannot fairly take for a digit. Left out, those that can: O o Q D (0),
# I l i j (1), Z z (2), S s (5), b G (6), B (8), g q (9), T t (7, 4).
LETTERS = "AaEeFHKMNPRUVWXYkmnruvwxycdfhp"
EXCLUDED_LETTERS = "OoQDIlijZzSsbGBgqTt"
SYMBOLS = ("?", "#", "@", "&", "%", "+", "=", "*", "$", "!", "/", "\\", "(", ")", "<", ">",
           "~", "^", "-")
SLASHES = ("/", "\\")
# Most 1s lean less than 30 degrees from upright, and so does a font's slash: a slash is drawn
# as a line leaning further.
SLASH_LEAN = (40, 65)  # degrees from upright
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_DUPLEX,
         cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
         cv2.FONT_HERSHEY_SCRIPT_COMPLEX)
ITALIC_SHARE = 0.3  # of letters and symbols: OpenCV's italic of the font (serif fonts only)
FONT_CAP_HEIGHT = 22  # pixels, the height getTextSize gives every Hershey font at scale 1

# The hand: a slant (the top moves right by this share of the height), a turn, a squeeze,
# and a smooth wobble of the whole mark (offsets on a coarse grid, as a share of its height).
SLANT = (-0.1, 0.35)
MAX_TURN_DEGREES = 12
ASPECT = (0.8, 1.25)  # width is multiplied by this
WOBBLE_SHARE = 0.025
WOBBLE_GRID = 4

# Pens, as a share of the mark's height: the photo generator's (mnist_pens) for the fine pen
# and the marker; ink and chalk about MNIST's 12% (2.4 of 20 px), varied.
PEN_SHARE = {"ink": (0.05, 0.14), "thin_pen": THIN_PEN_SHARE,
             "thick_marker": MARKER_WIDTH_SHARE, "light_on_dark": (0.06, 0.14)}
MIN_PEN_WIDTH = 1  # pixels
SUBPIXEL_BITS = 4  # OpenCV draws at 1/16 pixel precision with shift=4
# The 28x28 images: marks drawn this tall (pixels, log-uniform), as a digit in a photo is
# before the reader normalises it (below its 160-px working box: no reduction).
MARK_HEIGHT = (40, 120)
# Where the reader's ink mask starts, as a share of full ink (its Otsu threshold is never
# below 0.3 of the strongest ink).
MASK_LEVEL = 0.3

# Scribbles: smooth curves through random points of a unit box.
SCRIBBLES = ("wander", "zigzag", "coil")
WANDER_POINTS = (10, 16)  # fewer can make a digit's path
ZIGZAG_STROKES = (5, 11)  # back-and-forth strokes across the box
COIL_LOOPS = (3, 6)

# Smileys: parts of a face in a unit box, the face 1 tall.
EYES = ("dots", "rings", "ticks", "crosses", "arches")
MOUTHS = ("smile", "frown", "straight", "open")
NO_OUTLINE_SHARE = 0.2  # faces drawn without their outline: two eyes and a mouth
# A face is drawn larger than its pen is wide: a pen wider than this share of it (a marker
# on a small face) would merge the eyes, the mouth and the outline into one blot.
FACE_PEN_MAX = 0.06
NOSE_SHARE = 0.3
HAIR_SHARE = 0.2

# Shapes, outlined or (some) filled; wobbled at each corner by up to CORNER_JITTER.
SHAPES = ("square", "triangle", "star", "heart", "cross", "arrow")
FILLED_SHARE = 0.25
FILLABLE = ("square", "triangle", "star", "heart", "cross")
CORNER_JITTER = 0.04
STAR_INNER = (0.38, 0.5)  # the star's inner radius, of its outer
CROSS_ARM = (0.28, 0.42)  # the width of a cross's arms, of its size

# Stains: a blob's radius is 1 plus a few random harmonics, their amplitudes falling with
# their order; droplets and dots are discs of these radii (of the mark's height).
STAINS = ("blob", "splatter", "dots")
BLOB_HARMONICS = 6
BLOB_ROUGHNESS = 0.25
DROPLETS = (3, 9)
DROPLET_RADIUS = (0.02, 0.08)
DOTS = (3, 14)
DOT_RADIUS = (0.015, 0.09)

# Fragments of MNIST digits: the share of the digit's ink kept, and the parts refused because
# they are a digit themselves: one with a closed loop (a 0), or one straight stroke (a 1: a
# piece holding FRAGMENT_MAIN_PIECE of the ink whose spread across its main axis is under
# FRAGMENT_LINE_SPREAD of its spread along it, standing within FRAGMENT_UPRIGHT degrees of
# upright).
FRAGMENT_SHARE = (0.25, 0.6)
FRAGMENT_MAIN_PIECE = 0.8
FRAGMENT_LINE_SPREAD = 0.3
FRAGMENT_UPRIGHT = 50
FRAGMENT_TRIES = 20  # cuts tried on a digit before another digit is drawn
FRAGMENT_DIGITS = 100  # digits drawn before giving up (MNIST's take a few at most)
BOX_CUT_SHARE = 0.4  # of fragments: cut out by a box, the rest along a line
# Pairs: the gap between the two digits' ink boxes, in digit heights (below 0 they overlap a
# little, at 0 they touch).
PAIR_GAP = (-0.08, 0.35)
# The 28x28s' pens (chalk is a photo's matter): the reader brings every stroke to MNIST's width
# only when it is far from it, so they keep some of their variety.
IMAGE_PENS = ("ink", "thin_pen", "thick_marker")


class NonDigit(NamedTuple):
    """One generated non-digit: its 28x28 (float32 in [0, 1], white on black), its kind and
    what was drawn: the letter or symbol, the shape, stain, scribble or face; for a fragment
    the digit and the share of its ink kept; for a pair the two digits."""

    image: np.ndarray
    kind: str
    what: str


def nondigit_images(count, seed=DEFAULT_SEED, images=None, labels=None):
    """`count` non-digits as the reader's 28x28s: (float32 (count, 28, 28) in [0, 1], their
    kinds, a list of str). The kinds take turns: KINDS, and MNIST_KINDS too when MNIST
    `images` (uint8 (N, 28, 28)) and their `labels` are given (the training split)."""
    made = list(iter_nondigits(count, seed, images, labels))
    stack = np.stack([item.image for item in made]) if made else \
        np.zeros((0, MNIST_SIZE, MNIST_SIZE), np.float32)
    return stack, [item.kind for item in made]


def iter_nondigits(count, seed=DEFAULT_SEED, images=None, labels=None):
    """Yield `count` NonDigits, the kinds in turn (see nondigit_images)."""
    kinds = nondigit_kinds(images, labels)
    for index in range(count):
        yield render_nondigit(kinds[index % len(kinds)], np.random.default_rng([seed, index]),
                              images, labels)


def nondigit_kinds(images=None, labels=None):
    """The kinds made: KINDS, and MNIST_KINDS when MNIST images and labels are given."""
    if (images is None) != (labels is None):
        raise ValueError("give MNIST images and labels together (labels keep 1s out of the "
                         "fragments)")
    return KINDS if images is None else KINDS + MNIST_KINDS


def render_nondigit(kind, rng, images=None, labels=None):
    """One NonDigit of `kind` (one of KINDS, or of MNIST_KINDS with MNIST images, labels)."""
    height = _log_uniform(rng, *MARK_HEIGHT)
    pen = IMAGE_PENS[rng.integers(len(IMAGE_PENS))]
    if kind in MNIST_KINDS:
        if images is None or labels is None:
            raise ValueError(f"{kind} are made of MNIST digits: give images and labels")
        if kind == "fragments":
            coverage, what = digit_fragment(images, labels, height, pen, rng)
        else:
            coverage, what = digit_pair(images, labels, height, pen, rng)
    else:
        coverage, what = draw_mark(kind, height, pen, rng)
    return NonDigit(to_mnist(coverage), kind, what)


def to_mnist(coverage):
    """A pen's coverage (float32 (h, w) in [0, 1]) made a 28x28 as the reader makes one of a
    photo's ink: its mask cut at MASK_LEVEL, then preprocess.normalize.digit_image."""
    mask = coverage > MASK_LEVEL * coverage.max()
    found = region(coverage, Box(0, 0, coverage.shape[1], coverage.shape[0]), mask)
    return digit_image(coverage, found)


# Photos ------------------------------------------------------------------------------------

def render_nondigit_photo(rng, kind):
    """A phone photo of one mark of `kind` (one of KINDS): encoded JPEG (or PNG) bytes, made
    like mnist_photos' digits: the same frames, sizes, pens and scene."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose from {', '.join(KINDS)}")
    frame = frame_size(rng)
    height = min(frame) * _log_uniform(rng, *DIGIT_HEIGHT_SHARE)
    variant = VARIANTS[rng.integers(len(VARIANTS))]
    return photograph(draw_mark(kind, height, variant, rng)[0], frame, variant, rng)


def generate_nondigit_photos(count, seed=DEFAULT_SEED):
    """Yield `count` photos as (bytes, kind), the kinds (KINDS) in turn; the same for the same
    seed, each on its own random stream."""
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        yield render_nondigit_photo(np.random.default_rng([seed, index]), kind), kind


# The marks ---------------------------------------------------------------------------------

def draw_mark(kind, height, pen, rng):
    """A mark of `kind` (one of KINDS) about `height` px tall drawn with `pen` (a key of
    PEN_SHARE) by a hand: (coverage float32 (h, w) in [0, 1], cropped to its ink, what)."""
    width = pen_width(pen, height, rng)
    if kind in ("letters", "symbols"):
        return _character(kind, height, width, rng)
    drawers = {"scribbles": _scribble, "smileys": _smiley, "shapes": _shape, "stains": _stain}
    if kind not in drawers:
        raise ValueError(f"unknown kind {kind!r}; choose from {', '.join(KINDS)}")
    return drawers[kind](height, width, rng)


def pen_width(pen, height, rng):
    """The pen's line for a mark `height` px tall: pixels, at least MIN_PEN_WIDTH."""
    return max(MIN_PEN_WIDTH, _log_uniform(rng, *PEN_SHARE[pen]) * height)


def _character(kind, height, width, rng):
    """A letter (of LETTERS) or symbol (of SYMBOLS) in a Hershey font, written by a hand."""
    text = LETTERS[rng.integers(len(LETTERS))] if kind == "letters" \
        else SYMBOLS[rng.integers(len(SYMBOLS))]
    if text in SLASHES:
        lean = np.deg2rad(rng.uniform(*SLASH_LEAN)) * (1 if text == "/" else -1)
        top = (0.5 + 0.5 * np.tan(lean), 0.0)
        bottom = (0.5 - 0.5 * np.tan(lean), 1.0)
        # Drawn leaning as far as it should: the hand only wobbles it.
        return _as_written(_strokes([np.array([bottom, top])], height, width), height, rng,
                           upright=True), text
    font = FONTS[rng.integers(len(FONTS))]
    if rng.random() < ITALIC_SHARE:
        font |= cv2.FONT_ITALIC
    scale = height / FONT_CAP_HEIGHT
    thickness = max(1, round(width))
    (text_width, text_height), below = cv2.getTextSize(text, font, scale, thickness)
    # getTextSize's box leaves out what stands beyond it: $, ( ) and slashes reach above and
    # below it, italics to the right.
    margin = thickness + text_height // 2
    canvas = np.zeros((text_height + below + 2 * margin, text_width + 2 * margin), np.uint8)
    cv2.putText(canvas, text, (margin, margin + text_height), font, scale, 255, thickness,
                cv2.LINE_AA)
    return _as_written(canvas.astype(np.float32) / 255, height, rng), text


def _strokes(strokes, height, width, filled=(), dots=()):
    """Draw strokes (point arrays in a unit box, y down, the mark 1 tall) `width` px wide at
    `height` px, filled polygons (point arrays) and dots ((x, y, radius) in the box's units):
    float32 coverage in [0, 1] with a margin around the ink."""
    every = np.vstack([*strokes, *filled] + [np.array([[x - r, y - r], [x + r, y + r]])
                                             for x, y, r in dots])
    margin = width + 2
    corner = every.min(axis=0) * height - margin
    size = np.ceil(every.max(axis=0) * height - corner + margin).astype(int)
    canvas = np.zeros((size[1], size[0]), np.uint8)

    def fixed(points):
        return np.round((np.asarray(points) * height - corner) * 2**SUBPIXEL_BITS).astype(np.int32)

    if filled:
        cv2.fillPoly(canvas, [fixed(polygon) for polygon in filled], 255, cv2.LINE_AA,
                     SUBPIXEL_BITS)
    if strokes:
        cv2.polylines(canvas, [fixed(stroke) for stroke in strokes], False, 255,
                      max(1, round(width)), cv2.LINE_AA, SUBPIXEL_BITS)
    for x, y, radius in dots:
        centre = fixed([x, y])
        cv2.circle(canvas, (int(centre[0]), int(centre[1])),
                   max(1, int(round(radius * height * 2**SUBPIXEL_BITS))), 255, -1, cv2.LINE_AA,
                   SUBPIXEL_BITS)
    return canvas.astype(np.float32) / 255


def _as_written(canvas, height, rng, upright=False):
    """A drawn mark as a hand writes it: slanted, turned and squeezed (none of it when
    `upright`), wobbled smoothly, cropped to its ink. canvas: float32 coverage."""
    rows, columns = canvas.shape
    if upright:
        slant, turn, aspect = 0.0, 0.0, 1.0
    else:
        slant = rng.uniform(*SLANT)
        turn = np.deg2rad(rng.uniform(-MAX_TURN_DEGREES, MAX_TURN_DEGREES))
        aspect = rng.uniform(*ASPECT)
    shape = np.array([[aspect, -slant], [0.0, 1.0]])
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    linear = rotation @ shape
    corners = np.array([[0, 0], [columns, 0], [0, rows], [columns, rows]], float)
    moved = corners @ linear.T
    wobble = WOBBLE_SHARE * height
    offset = -moved.min(axis=0) + 2 * wobble
    size = np.ceil(moved.max(axis=0) + offset + 2 * wobble).astype(int)
    # Where each output pixel comes from: the inverse of the hand's map, moved by the wobble.
    inverse = np.linalg.inv(linear)
    ys, xs = np.mgrid[0:size[1], 0:size[0]].astype(np.float32)
    grid = rng.normal(0, wobble, (2, WOBBLE_GRID, WOBBLE_GRID)).astype(np.float32)
    shift_x, shift_y = (cv2.resize(plane, (size[0], size[1]), interpolation=cv2.INTER_CUBIC)
                        for plane in grid)
    xs, ys = xs - np.float32(offset[0]) + shift_x, ys - np.float32(offset[1]) + shift_y
    source_x = np.float32(inverse[0, 0]) * xs + np.float32(inverse[0, 1]) * ys
    source_y = np.float32(inverse[1, 0]) * xs + np.float32(inverse[1, 1]) * ys
    written = cv2.remap(canvas, source_x, source_y, cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_CONSTANT)
    return ink_box(np.clip(written, 0, 1))


def scribble_path(rng):
    """A scribble's pen path in a unit box (y down): (points (n, 2), its style, of SCRIBBLES).

    wander: a smooth curve through random points; zigzag: strokes back and forth across the
    box, drifting down; coil: a line of loops, like a telephone cord."""
    style = SCRIBBLES[rng.integers(len(SCRIBBLES))]
    if style == "wander":
        points = rng.uniform(0, 1, (int(rng.integers(WANDER_POINTS[0], WANDER_POINTS[1] + 1)), 2))
        return smooth(points), style
    if style == "zigzag":
        strokes = int(rng.integers(ZIGZAG_STROKES[0], ZIGZAG_STROKES[1] + 1))
        ys = np.linspace(0, 1, strokes + 1) + rng.uniform(-0.05, 0.05, strokes + 1)
        xs = np.where(np.arange(strokes + 1) % 2 == 0, rng.uniform(0, 0.15, strokes + 1),
                      rng.uniform(0.85, 1, strokes + 1))
        return smooth(np.stack([xs, ys], axis=1)), style
    loops = int(rng.integers(COIL_LOOPS[0], COIL_LOOPS[1] + 1))
    turns = np.linspace(0, 2 * np.pi * loops, 24 * loops)
    radius = rng.uniform(0.3, 0.5)
    points = np.stack([turns / (2 * np.pi) * rng.uniform(0.35, 0.6) - radius * np.sin(turns),
                       0.5 - radius * np.cos(turns)], axis=1)
    return points, style


def _scribble(height, width, rng):
    points, style = scribble_path(rng)
    return _as_written(_strokes([points], height, width), height, rng), style


def _smiley(height, width, rng):
    """A face: outline (most), eyes, mouth, sometimes a nose or hair, in a unit box."""
    width = min(width, FACE_PEN_MAX * height)
    eyes, mouth = EYES[rng.integers(len(EYES))], MOUTHS[rng.integers(len(MOUTHS))]
    strokes, filled, dots, parts = [], [], [], [f"{eyes} eyes", f"{mouth} mouth"]
    clear = 0.5 * width / height  # a dot eye is at least as wide as the pen
    # Eyes, mouth and nose keep clear of each other and of the outline by more than the pen.
    eye_y, eye_size = rng.uniform(0.32, 0.42), rng.uniform(0.04, 0.08)
    eye_dx = eye_size + rng.uniform(0.12, 0.15)
    for eye_x in (0.5 - eye_dx, 0.5 + eye_dx):
        if eyes == "dots":
            dots.append((eye_x, eye_y, max(eye_size * 0.7, clear)))
        elif eyes == "rings":
            strokes.append(_ellipse(eye_x, eye_y, eye_size, eye_size))
        elif eyes == "ticks":
            strokes.append(np.array([[eye_x, eye_y - eye_size], [eye_x, eye_y + eye_size]]))
        elif eyes == "crosses":
            strokes += [np.array([[eye_x - eye_size, eye_y - eye_size],
                                  [eye_x + eye_size, eye_y + eye_size]]),
                        np.array([[eye_x + eye_size, eye_y - eye_size],
                                  [eye_x - eye_size, eye_y + eye_size]])]
        else:  # arches: closed, happy eyes
            strokes.append(np.array([[eye_x - eye_size, eye_y + eye_size / 2],
                                     [eye_x, eye_y - eye_size / 2],
                                     [eye_x + eye_size, eye_y + eye_size / 2]]))
    mouth_y, mouth_dx = rng.uniform(0.64, 0.72), rng.uniform(0.15, 0.25)
    steps = np.linspace(-1, 1, 16)
    if mouth == "open":
        sag = rng.uniform(0.1, 0.16)
        outline = np.stack([mouth_dx * steps + 0.5, mouth_y - 0.03 + sag * (1 - steps**2)], axis=1)
        filled.append(outline)
    else:
        bend = {"smile": 1, "frown": -1, "straight": 0}[mouth] * rng.uniform(0.06, 0.12)
        strokes.append(np.stack([mouth_dx * steps + 0.5,
                                 mouth_y + bend * (1 - steps**2) - bend / 2], axis=1))
    if rng.random() < NOSE_SHARE:
        strokes.append(np.array([[0.5, 0.46], [0.49, 0.55], [0.51, 0.555]]))
        parts.append("nose")
    if rng.random() >= NO_OUTLINE_SHARE:
        strokes.append(_ellipse(0.5, 0.5, 0.5 * rng.uniform(0.9, 1.15), 0.5, closed=True))
        parts.append("outline")
        if rng.random() < HAIR_SHARE:
            strokes += [np.array([[x, 0.02 + abs(x - 0.5) * 0.3],
                                  [x + rng.uniform(-0.08, 0.08), -0.15]])
                        for x in np.linspace(0.35, 0.65, int(rng.integers(2, 5)))]
            parts.append("hair")
    coverage = _strokes(strokes, height, width, filled, dots)
    return _as_written(coverage, height, rng), ", ".join(parts)


def _ellipse(x, y, half_width, half_height, closed=False):
    """Points of an ellipse's outline (a closed one overlaps its start, so no gap shows)."""
    turns = np.linspace(0, 2 * np.pi * (1.05 if closed else 1), 48)
    return np.stack([x + half_width * np.cos(turns), y + half_height * np.sin(turns)], axis=1)


def shape_outline(name, rng):
    """The outline of a shape (of SHAPES) in a unit box, y down: a list of point arrays, the
    first closed (the arrow's are open strokes)."""
    if name == "square":
        outline = [[0, 0], [1, 0], [1, 1], [0, 1]]
    elif name == "triangle":
        apex = rng.uniform(0.3, 0.7)
        outline = [[apex, 0], [1, 1], [0, 1]]
    elif name == "star":
        turns = -np.pi / 2 + np.arange(10) * np.pi / 5
        radii = np.where(np.arange(10) % 2 == 0, 0.5, 0.5 * rng.uniform(*STAR_INNER))
        outline = np.stack([0.5 + radii * np.cos(turns), 0.5 + radii * np.sin(turns)], axis=1)
    elif name == "heart":
        turns = np.linspace(0, 2 * np.pi, 60, endpoint=False)
        xs = 16 * np.sin(turns) ** 3
        ys = -(13 * np.cos(turns) - 5 * np.cos(2 * turns) - 2 * np.cos(3 * turns)
               - np.cos(4 * turns))
        outline = np.stack([(xs + 17) / 34, (ys + 17) / 30], axis=1)
    elif name == "cross":
        low, high = 0.5 - rng.uniform(*CROSS_ARM) / 2, 0.5 + rng.uniform(*CROSS_ARM) / 2
        outline = [[low, 0], [high, 0], [high, low], [1, low], [1, high], [high, high],
                   [high, 1], [low, 1], [low, high], [0, high], [0, low], [low, low]]
    elif name == "arrow":
        head = rng.uniform(0.25, 0.45)
        return [np.array([[0, 0.5], [1, 0.5]]),
                np.array([[1 - head, 0.5 - head * 0.8], [1, 0.5], [1 - head, 0.5 + head * 0.8]])]
    else:
        raise ValueError(f"unknown shape {name!r}; choose from {', '.join(SHAPES)}")
    outline = np.asarray(outline, float)
    return [np.vstack([outline, outline[:1]])]


def _shape(height, width, rng):
    name = SHAPES[rng.integers(len(SHAPES))]
    outline = [points + rng.uniform(-CORNER_JITTER, CORNER_JITTER, points.shape)
               for points in shape_outline(name, rng)]
    if name in FILLABLE and rng.random() < FILLED_SHARE:
        coverage, what = _strokes([], height, width, filled=outline), f"filled {name}"
    else:
        coverage, what = _strokes(outline, height, width), name
    if name == "arrow" and rng.random() < 0.5:
        coverage = coverage[:, ::-1]  # pointing left
    return _as_written(np.ascontiguousarray(coverage), height, rng), what


def _stain(height, width, rng):
    """An ink stain: a blob, a splatter (a blob and droplets) or a cluster of dots."""
    name = STAINS[rng.integers(len(STAINS))]
    dots, filled = [], []
    if name in ("blob", "splatter"):
        filled.append(_blob(rng))
    if name == "splatter":
        for _ in range(int(rng.integers(DROPLETS[0], DROPLETS[1] + 1))):
            angle, distance = rng.uniform(0, 2 * np.pi), rng.uniform(0.4, 0.7)
            dots.append((0.5 + distance * np.cos(angle), 0.5 + distance * np.sin(angle),
                         rng.uniform(*DROPLET_RADIUS)))
    if name == "dots":
        count = int(rng.integers(DOTS[0], DOTS[1] + 1))
        dots = [(x, y, rng.uniform(*DOT_RADIUS))
                for x, y in rng.uniform(0, 1, (count, 2)) * (rng.uniform(0.6, 1.4), 1)]
    return _as_written(_strokes([], height, width, filled, dots), height, rng), name


def _blob(rng):
    """A filled irregular blob's outline, about 0.8 across, centred in the unit box."""
    turns = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    radius = np.ones_like(turns)
    for order in range(2, BLOB_HARMONICS + 1):
        radius += BLOB_ROUGHNESS / order * rng.uniform(0.3, 1) * np.cos(
            order * turns + rng.uniform(0, 2 * np.pi))
    radius *= 0.4 / radius.max()
    return np.stack([0.5 + radius * np.cos(turns), 0.5 + radius * np.sin(turns)], axis=1)


# Fragments and pairs of MNIST digits ------------------------------------------------------

def digit_fragment(images, labels, height, pen, rng):
    """Part of a random MNIST digit (never a 1) drawn by `pen` about `height` px tall: the
    ink on one side of a random line, or inside a random box, keeping FRAGMENT_SHARE of it,
    and neither one straight stroke nor holding a closed loop.

    Returns (coverage float32 (h, w) in [0, 1], cropped to its ink, "<digit> <share kept>").
    """
    for _ in range(FRAGMENT_DIGITS):
        position = int(rng.integers(len(images)))
        if labels[position] == 1:
            continue
        coverage = ink_box(pen_coverage(images[position], height, pen, rng))
        for _ in range(FRAGMENT_TRIES):
            kept = cut_fragment(coverage, rng.uniform(*FRAGMENT_SHARE), rng)
            if kept is None or is_digit_like(kept):
                continue
            share = float(kept.sum() / coverage.sum())
            if FRAGMENT_SHARE[0] <= share <= FRAGMENT_SHARE[1]:
                return ink_box(kept), f"{labels[position]} {share:.2f}"
    raise ValueError(f"no fragment found in {FRAGMENT_DIGITS} digits (all 1s?)")


def cut_fragment(coverage, share, rng):
    """The coverage where a random cut keeps about `share` of its ink, else 0: along a line
    (the ink on one side of it) or, for BOX_CUT_SHARE of them, inside a box around a point of
    the ink. None when the cut keeps nothing."""
    rows, columns = np.indices(coverage.shape, dtype=np.float32)
    ink = coverage.ravel()
    if rng.random() < BOX_CUT_SHARE:
        ys, xs = np.nonzero(coverage >= 0.5 * coverage.max())
        pick = rng.integers(len(ys))
        aspect = rng.uniform(0.5, 2.0)
        # The box's half-size (Chebyshev distance from its centre, widened by `aspect`) is
        # chosen so that it holds `share` of the ink.
        reach = np.maximum(np.abs(columns - xs[pick]) / aspect, np.abs(rows - ys[pick])).ravel()
    else:
        angle = rng.uniform(0, 2 * np.pi)
        reach = (columns * np.cos(angle) + rows * np.sin(angle)).ravel()
    order = np.argsort(reach, kind="stable")
    total = np.cumsum(ink[order])
    limit = reach[order][min(len(order) - 1, int(np.searchsorted(total, share * total[-1])))]
    kept = np.where((reach <= limit).reshape(coverage.shape), coverage, 0).astype(np.float32)
    return kept if kept.max() > MASK_LEVEL else None


def is_digit_like(fragment):
    """Whether a fragment's ink is itself a digit: a shape with a closed loop, however small
    (a 0), or one straight, upright stroke holding most of the ink (a 1, perhaps with a speck
    of the cut digit beside it). fragment: float32 coverage."""
    ink = (fragment > MASK_LEVEL).astype(np.uint8)
    if hole_count(ink, min_area=1) > 0:
        return True
    count, pieces, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count < 2:
        return True
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[largest, cv2.CC_STAT_AREA] < FRAGMENT_MAIN_PIECE * ink.sum():
        return False
    ys, xs = np.nonzero(pieces == largest)
    if len(ys) < 3:
        return True
    values, vectors = np.linalg.eigh(np.cov(np.stack([xs, ys]).astype(float)))
    from_upright = np.degrees(np.arccos(min(1.0, abs(vectors[1, 1]))))
    return bool(np.sqrt(max(values[0], 0) / values[1]) < FRAGMENT_LINE_SPREAD
                and from_upright < FRAGMENT_UPRIGHT)


def digit_pair(images, labels, height, pen, rng):
    """Two random MNIST digits drawn by `pen` about `height` px tall, side by side
    (numbers.side_by_side), touching or apart (PAIR_GAP): (coverage float32 (h, w) in [0, 1],
    cropped to its ink, "<digits>" and ", touching" when their inks touch)."""
    positions = rng.integers(0, len(images), 2)
    patches = [ink_box(pen_coverage(images[p], height * rng.uniform(1 - SIZE_JITTER,
                                                                     1 + SIZE_JITTER), pen, rng))
               for p in positions]
    strip, touching = side_by_side(patches, height, rng, PAIR_GAP)
    what = "".join(str(int(labels[p])) for p in positions) + (", touching" if touching else "")
    return ink_box(strip), what
