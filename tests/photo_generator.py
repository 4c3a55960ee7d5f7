"""Render MNIST digits as phone photos of handwriting: a realistic test set made at test time.

Real photos cannot be committed, and MNIST images must never be written into the repository,
so the tests draw MNIST *test* digits as photos when they run. Each digit's shape is upscaled
smoothly, inked with a pen of the chosen variant, placed at a random size and position in a
large frame, slightly rotated and seen in perspective, lit unevenly (gradient, vignette, a soft
shadow), blurred a little by the lens, given sensor noise and saved as JPEG (a few as PNG):

    ink            dark ink on textured paper, MNIST-like stroke widths
    thin_pen       a fine pen: a line 1-2% of the digit's height, 1-3 px for most digits
    thick_marker   a dark marker: strokes about twice as wide, relative to the digit
    light_on_dark  chalk on a dark board, grainy, with chalk dust

To look at them, or to run evaluate.py on them, write some outside the repository:

    python tests/photo_generator.py /tmp/photos --count 200
    python evaluate.py /tmp/photos
"""

import argparse
import os
import sys
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("ink", "thin_pen", "thick_marker", "light_on_dark")
DEFAULT_SEED = 2024
# Developers and CI keep MNIST beside the repository (as tests/conftest.py does).
DEFAULT_MNIST = ROOT.parent / "shared" / "data" / "mnist.npz"

# The frame: a phone photo's longer side, in pixels, and its shape.
FRAME_LONG_SIDE = (640, 1600)
FRAME_ASPECTS = (4 / 3, 16 / 9, 1.0)
# The digit's height as a share of the frame's shorter side (drawn log-uniformly: small
# digits in a wide shot are as common as close-ups).
DIGIT_HEIGHT_SHARE = (0.08, 0.6)
MARGIN_SHARE = 0.03  # the digit keeps at least this share of the frame from its edges

# The digit's shape is built at this many pixels per MNIST pixel, then resampled to the frame.
SHAPE_SCALE = 8
SHAPE_PAD = 4  # MNIST pixels around the ink: room for a marker's widening and the smoothing
# Smoothing of the upscaled MNIST image, in MNIST pixels: rounds off its 28x28 pixel steps.
SHAPE_SMOOTHING = 0.5
INK_LEVEL = (0.4, 0.6)  # where the smoothed MNIST image is cut: lower cuts give wider strokes
# A fine pen's line as a share of the digit's height (a 0.3-0.5 mm pen, a 2-4 cm digit), and
# never thinner than a pixel: 1-3 px for the usual digit of 50-200 px, more in close-ups.
THIN_PEN_SHARE = (0.008, 0.02)
MARKER_WIDTH_SHARE = (0.14, 0.22)  # marker stroke width as a share of the digit's height

MAX_ROTATION_DEGREES = 8
PERSPECTIVE_SHARE = 0.05  # how far the frame's corners move, as a share of its size
FOCUS_BLUR = (0.3, 0.8)  # Gaussian sigma of the lens blur, pixels
SENSOR_NOISE = (1.5, 5.0)  # standard deviation, 0..255 levels
JPEG_QUALITY = (60, 90)
PNG_SHARE = 0.03  # photos saved as PNG (screenshots, edited photos)

# Light: a linear fall-off across the frame, lens vignetting, and a soft shadow (a hand or a
# phone between the lamp and the page), its strength the share of light it takes away.
GRADIENT_STRENGTH = (0.0, 0.4)
VIGNETTE_STRENGTH = (0.0, 0.2)  # phones correct most of their lens shading
SHADOW_CHANCE = 0.5
SHADOW_STRENGTH = (0.25, 0.55)
SHADOW_SOFTNESS = (0.01, 0.08)  # width of the shadow's edge, share of the frame's diagonal
LIGHT_GRID = 8  # the light field is computed on a grid this many times coarser: it is smooth

# Surfaces, as reflectance (0..1) times the exposure that maps white to these 0..255 levels.
PAPER_EXPOSURE = (150, 240)
PAPER_TEXTURE = (0.01, 0.03)  # paper fibres: relative brightness variation
BOARD_EXPOSURE = (170, 240)
# Reflectance of inks, RGB: black, blue ballpoint, dark green and dark red markers.
INKS = {
    "ink": [(0.10, 0.10, 0.12), (0.12, 0.16, 0.40)],
    "thin_pen": [(0.20, 0.20, 0.24), (0.18, 0.24, 0.50)],
    "thick_marker": [(0.05, 0.05, 0.06), (0.06, 0.08, 0.25), (0.06, 0.16, 0.10),
                     (0.30, 0.06, 0.07)],
}
BOARDS = [(0.14, 0.20, 0.17), (0.12, 0.12, 0.13)]  # a green and a black board
CHALK = (0.80, 0.95)  # chalk reflectance
CHALK_GRAIN = (0.1, 0.25)  # share of chalk missing where the board's grain is low
CHALK_DUST = (0.0, 0.04)  # unevenness of the board's tone left by wiped chalk
DUST_SIZE = 60  # pixels

# Fresh Gaussian noise for every pixel of every photo would dominate the render time, so
# noise is cut at random offsets from one field made once. Frames are smaller than the field.
NOISE_FIELD_SIDE = 2048
NOISE_FIELD_SEED = 0
FIBRE_SIZE = 1.2  # paper fibres and board grain, pixels


def render_photo(digit, rng, variant):
    """One photo of `digit` as encoded JPEG (or, for a few, PNG) bytes.

    digit: uint8 (28, 28) MNIST image, white on black. rng: numpy Generator; the same
    generator state gives the same bytes. variant: one of VARIANTS.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    width, height = _frame_size(rng)
    digit_height = min(width, height) * _log_uniform(rng, *DIGIT_HEIGHT_SHARE)
    coverage = _pen_coverage(digit, digit_height, variant, rng)
    placed = _place_in_frame(coverage, (width, height), rng)
    light = _light_field((width, height), rng)
    if variant == "light_on_dark":
        channels = _chalk_on_board(placed, light, rng)
    else:
        channels = _ink_on_paper(placed, light, INKS[variant], rng)
    sensor_noise = rng.uniform(*SENSOR_NOISE)
    photo = cv2.merge([_to_uint8(cv2.scaleAdd(_noise(rng, channel.shape), sensor_noise, channel))
                       for channel in channels[::-1]])  # OpenCV wants BGR
    if rng.random() < PNG_SHARE:
        ok, data = cv2.imencode(".png", photo, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    else:
        quality = int(rng.integers(JPEG_QUALITY[0], JPEG_QUALITY[1] + 1))
        ok, data = cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok, "OpenCV could not encode the photo"
    return data.tobytes()


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


def _frame_size(rng):
    long_side = rng.uniform(*FRAME_LONG_SIDE)
    short_side = long_side / FRAME_ASPECTS[rng.integers(len(FRAME_ASPECTS))]
    sides = (round(long_side), round(short_side))
    return sides if rng.random() < 0.5 else sides[::-1]


def _pen_coverage(digit, digit_height, variant, rng):
    """How much pen covers each pixel: float32 (h, w) in [0, 1], the digit digit_height px tall.

    The MNIST image is upscaled and smoothed at SHAPE_SCALE, cut at an ink level into a
    clean shape, changed by the pen (skeleton for a fine pen, widened for a marker), then
    resampled to the frame's scale with anti-aliased edges.
    """
    rows, columns = np.nonzero(digit)
    crop = np.pad(digit[rows.min():rows.max() + 1, columns.min():columns.max() + 1], SHAPE_PAD)
    scale = digit_height / (rows.max() - rows.min() + 1)  # frame pixels per MNIST pixel
    size = (crop.shape[1] * SHAPE_SCALE, crop.shape[0] * SHAPE_SCALE)
    upscaled = cv2.resize(crop.astype(np.float32) / 255, size, interpolation=cv2.INTER_CUBIC)
    smooth = cv2.GaussianBlur(upscaled, (0, 0), SHAPE_SMOOTHING * SHAPE_SCALE)
    shape = smooth > rng.uniform(*INK_LEVEL)
    frame_size = (round(crop.shape[1] * scale), round(crop.shape[0] * scale))
    if variant == "thin_pen":
        pen_width = max(1, round(rng.uniform(*THIN_PEN_SHARE) * digit_height))
        return _draw_centre_lines(shape, scale / SHAPE_SCALE, frame_size, pen_width)
    if variant == "thick_marker":
        shape = _widen(shape, rng.uniform(*MARKER_WIDTH_SHARE) * digit_height * SHAPE_SCALE / scale)
    return _soft_edges(shape, frame_size)


def _widen(shape, target_width):
    """Dilate a bool shape towards a typical stroke width of `target_width` pixels.

    Someone writing with a marker keeps the loops of 0, 6, 8, 9 open, so the widening stops
    short of closing any hole of the shape.
    """
    # A stroke is twice as wide as its centre line is far from the edge.
    depth = cv2.distanceTransform(shape.astype(np.uint8), cv2.DIST_L2, 5)
    width = 2 * float(np.median(depth[_skeleton(shape)]))
    holes = _hole_count(shape)
    for grow in range(int(round((target_width - width) / 2)), 0, -1):
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        widened = cv2.dilate(shape.astype(np.uint8), disc).astype(bool)
        if _hole_count(widened) == holes:
            return widened
    return shape


def _hole_count(shape):
    """Holes in a bool shape at least one MNIST pixel in area."""
    contours, hierarchy = cv2.findContours(shape.astype(np.uint8), cv2.RETR_CCOMP,
                                           cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return 0
    return sum(1 for contour, links in zip(contours, hierarchy[0])
               if links[3] >= 0 and cv2.contourArea(contour) >= SHAPE_SCALE**2)


def _soft_edges(shape, frame_size):
    """Resample a bool shape to `frame_size` (w, h) with edges about one pixel soft."""
    soft = cv2.GaussianBlur(shape.astype(np.float32), (0, 0), SHAPE_SCALE / 4)
    field = cv2.resize(soft, frame_size, interpolation=cv2.INTER_AREA
                       if frame_size[0] < shape.shape[1] else cv2.INTER_LINEAR)
    # The blurred edge rises from 0 to 1 over about one MNIST pixel, which is this many frame
    # pixels; steepen it to about two, the crisp edge of a pen line rather than of an upscaled
    # 28x28 image.
    rise_in_frame = frame_size[0] / shape.shape[1] * SHAPE_SCALE
    return np.clip((field - 0.5) * max(1.0, rise_in_frame / 2) + 0.5, 0, 1).astype(np.float32)


def _draw_centre_lines(shape, zoom, frame_size, pen_width):
    """A fine pen tracing the shape's centre lines, `pen_width` px wide, in a `frame_size` image.

    zoom: frame pixels per shape pixel. The skeleton's pixel staircase would show when
    zoomed, so each skeleton point is moved to the mean of its skeleton neighbours.
    """
    skeleton = _skeleton(shape)
    weights = skeleton.astype(np.float32)
    rows, columns = np.indices(shape.shape, dtype=np.float32)
    window = (5, 5)
    count = cv2.boxFilter(weights, -1, window, normalize=False)
    mean_x = cv2.boxFilter(weights * columns, -1, window, normalize=False) / np.maximum(count, 1)
    mean_y = cv2.boxFilter(weights * rows, -1, window, normalize=False) / np.maximum(count, 1)
    points = np.stack([mean_x, mean_y], axis=-1)
    segments = []
    for step_y, step_x in ((0, 1), (1, 0), (1, 1), (1, -1)):
        ys, xs = np.nonzero(skeleton)
        ok = (ys + step_y < shape.shape[0]) & (xs + step_x >= 0) & (xs + step_x < shape.shape[1])
        ys, xs = ys[ok], xs[ok]
        linked = skeleton[ys + step_y, xs + step_x]
        ys, xs = ys[linked], xs[linked]
        segments.append(np.stack([points[ys, xs], points[ys + step_y, xs + step_x]], axis=1))
    segments = np.concatenate(segments)
    subpixel = 4  # OpenCV draws at 1/2**4 pixel precision with shift=4
    scaled = np.round((segments + 0.5) * zoom * 2**subpixel).astype(np.int32)
    canvas = np.zeros(frame_size[::-1], np.uint8)
    cv2.polylines(canvas, list(scaled), False, 255, pen_width, cv2.LINE_AA, subpixel)
    return canvas.astype(np.float32) / 255


def _skeleton(shape):
    """Zhang-Suen thinning of a bool image: one-pixel-wide lines with the shape's topology."""
    # Neighbour bits, clockwise from north: P2 = 1, P3 (north-east) = 2, ..., P9 = 128.
    kernel = np.float32([[128, 1, 2], [64, 0, 4], [32, 16, 8]])
    remove_first, remove_second = _zhang_suen_tables()
    image = shape.astype(np.uint8)
    changed = True
    while changed:
        changed = False
        for table in (remove_first, remove_second):
            codes = cv2.filter2D(image, cv2.CV_32F, kernel, borderType=cv2.BORDER_CONSTANT)
            remove = (image == 1) & table[codes.astype(np.uint8)]
            if remove.any():
                image[remove] = 0
                changed = True
    return image.astype(bool)


def _zhang_suen_tables():
    """For each 8-neighbour code, whether a pixel goes in Zhang-Suen's first and second pass."""
    first, second = np.zeros(256, bool), np.zeros(256, bool)
    for code in range(256):
        p = [(code >> bit) & 1 for bit in range(8)]  # P2, P3, ..., P9
        neighbours = sum(p)
        transitions = sum(p[i] == 0 and p[(i + 1) % 8] == 1 for i in range(8))
        if 2 <= neighbours <= 6 and transitions == 1:
            p2, p4, p6, p8 = p[0], p[2], p[4], p[6]
            first[code] = p2 * p4 * p6 == 0 and p4 * p6 * p8 == 0
            second[code] = p2 * p4 * p8 == 0 and p2 * p6 * p8 == 0
    return first, second


def _place_in_frame(coverage, frame, rng):
    """Rotate, place and project `coverage` into a frame of size (w, h).

    Returns (alpha, region): the pen's coverage float32 in [0, 1] over `region`, a pair of
    slices (rows, columns) of the frame; there is no ink outside it.
    """
    width, height = frame
    patch_height, patch_width = coverage.shape
    turn = np.deg2rad(rng.uniform(-MAX_ROTATION_DEGREES, MAX_ROTATION_DEGREES))
    # The rotated patch's half extent, so that the digit stays inside the frame.
    half_x = 0.5 * (abs(np.cos(turn)) * patch_width + abs(np.sin(turn)) * patch_height)
    half_y = 0.5 * (abs(np.sin(turn)) * patch_width + abs(np.cos(turn)) * patch_height)
    margin = MARGIN_SHARE * max(width, height)
    centre_x = rng.uniform(min(half_x + margin, width / 2),
                           max(width - half_x - margin, width / 2))
    centre_y = rng.uniform(min(half_y + margin, height / 2),
                           max(height - half_y - margin, height / 2))
    to_origin = _translation(-patch_width / 2, -patch_height / 2)
    rotation = np.array([[np.cos(turn), -np.sin(turn), 0], [np.sin(turn), np.cos(turn), 0],
                         [0, 0, 1]])
    on_page = _translation(centre_x, centre_y) @ rotation @ to_origin
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    jitter = rng.uniform(-PERSPECTIVE_SHARE, PERSPECTIVE_SHARE, (4, 2)) * (width, height)
    moved = corners + jitter.astype(np.float32)
    patch_to_frame = cv2.getPerspectiveTransform(corners, moved) @ on_page
    patch_corners = np.float32([[0, 0], [patch_width, 0], [patch_width, patch_height],
                                [0, patch_height]]).reshape(-1, 1, 2)
    ends = cv2.perspectiveTransform(patch_corners, patch_to_frame).reshape(-1, 2)
    left, top = np.maximum(np.floor(ends.min(axis=0)).astype(int), 0)
    right, bottom = np.minimum(np.ceil(ends.max(axis=0)).astype(int), (width, height))
    # Warp into the patch's box only: warping the whole frame would cost far more.
    warped = cv2.warpPerspective(coverage, _translation(-left, -top) @ patch_to_frame,
                                 (right - left, bottom - top), flags=cv2.INTER_LINEAR)
    warped = cv2.GaussianBlur(warped, (0, 0), rng.uniform(*FOCUS_BLUR))
    return warped, (slice(top, bottom), slice(left, right))


def _translation(x, y):
    return np.array([[1, 0, x], [0, 1, y], [0, 0, 1]], dtype=np.float64)


def _light_field(frame, rng):
    """Light falling on the page: float32 (h, w), 1 at its brightest."""
    width, height = frame
    grid_w, grid_h = max(2, width // LIGHT_GRID), max(2, height // LIGHT_GRID)
    ys, xs = np.mgrid[0:grid_h, 0:grid_w].astype(np.float32)
    xs, ys = xs / max(grid_w, grid_h), ys / max(grid_w, grid_h)  # 0..1 along the longer side
    angle = rng.uniform(0, 2 * np.pi)
    ramp = xs * np.cos(angle) + ys * np.sin(angle)
    light = 1 - rng.uniform(*GRADIENT_STRENGTH) * (ramp - ramp.min()) / np.ptp(ramp)
    distance = np.hypot(xs - xs.mean(), ys - ys.mean())
    light *= 1 - rng.uniform(*VIGNETTE_STRENGTH) * (distance / distance.max()) ** 2
    if rng.random() < SHADOW_CHANCE:
        # A soft half-plane with a gently curved edge through a random point of the frame.
        angle = rng.uniform(0, 2 * np.pi)
        across = (xs - rng.uniform(xs.min(), xs.max())) * np.cos(angle) \
            + (ys - rng.uniform(ys.min(), ys.max())) * np.sin(angle)
        along = -(xs - xs.mean()) * np.sin(angle) + (ys - ys.mean()) * np.cos(angle)
        edge = across + rng.uniform(-0.5, 0.5) * along**2
        softness = rng.uniform(*SHADOW_SOFTNESS) * np.hypot(xs.max(), ys.max())
        light *= 1 - rng.uniform(*SHADOW_STRENGTH) / (1 + np.exp(-edge / softness))
    return cv2.resize(light.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)


def _ink_on_paper(placed, light, inks, rng):
    """R, G, B float32 (h, w) images, 0..255: ink absorbing light on textured paper."""
    alpha, region = placed
    paper = (1.0, rng.uniform(0.96, 1.0), rng.uniform(0.88, 1.0))  # white, or warm under a lamp
    ink = inks[rng.integers(len(inks))]
    fibres = _noise(rng, light.shape, fibres=True)
    white = light * rng.uniform(*PAPER_EXPOSURE)
    texture = cv2.scaleAdd(fibres, rng.uniform(*PAPER_TEXTURE), np.ones_like(white))
    white = cv2.multiply(white, texture)
    channels = []
    for tone, reflectance in zip(paper, ink):
        channel = white * tone
        channel[region] *= 1 - alpha * (1 - reflectance)
        channels.append(channel)
    return channels


def _chalk_on_board(placed, light, rng):
    """R, G, B float32 (h, w) images, 0..255: grainy chalk over a dark, dusty board."""
    alpha, region = placed
    board = BOARDS[rng.integers(len(BOARDS))]
    chalk = rng.uniform(*CHALK)
    grain = _noise(rng, alpha.shape, fibres=True)
    alpha = alpha * np.clip(1 - rng.uniform(*CHALK_GRAIN) * (1 + grain), 0, 1)
    # Wiped chalk leaves the board unevenly dusty, in broad smears.
    dust = _noise(rng, light.shape, fibres=True, blur=DUST_SIZE)
    exposure = light * rng.uniform(*BOARD_EXPOSURE)
    dust_light = cv2.multiply(exposure, dust, scale=rng.uniform(*CHALK_DUST))
    channels = []
    for tone in board:
        channel = cv2.scaleAdd(exposure, tone, dust_light)
        channel[region] = channel[region] * (1 - alpha) + exposure[region] * chalk * alpha
        channels.append(channel)
    return channels


_noise_fields = {}


def _noise(rng, shape, fibres=False, blur=0):
    """Unit-variance noise of `shape` (h, w), cut at a random offset from a cached field.

    fibres: spatially correlated (paper fibres, board grain) rather than per-pixel sensor
    noise; blur: a further smoothing, in pixels, for broad smears.
    """
    key = (fibres, blur)
    if key not in _noise_fields:
        field = np.random.default_rng(NOISE_FIELD_SEED).standard_normal(
            (NOISE_FIELD_SIDE, NOISE_FIELD_SIDE), dtype=np.float32)
        for sigma in (FIBRE_SIZE if fibres else 0, blur):
            if sigma:
                field = cv2.GaussianBlur(field, (0, 0), sigma)
        _noise_fields[key] = field / field.std()
    field = _noise_fields[key]
    top = rng.integers(NOISE_FIELD_SIDE - shape[0] + 1)
    left = rng.integers(NOISE_FIELD_SIDE - shape[1] + 1)
    return field[top:top + shape[0], left:left + shape[1]]


def _to_uint8(channel):
    return np.clip(channel, 0, 255, out=channel).astype(np.uint8)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Write photo-like renderings of MNIST test digits, named "
        "<label>_<index>_<variant>.jpg (or .png), for evaluate.py.")
    parser.add_argument("output", type=Path, metavar="OUTDIR",
                        help="folder to write into; must be outside the repository")
    parser.add_argument("--count", type=int, default=100, metavar="N",
                        help="photos (default 100, at most 10,000: one per MNIST test image)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S",
                        help=f"same seed, same photos (default {DEFAULT_SEED})")
    parser.add_argument("--data", type=Path, metavar="PATH",
                        help="MNIST .npz (default $MNIST_NPZ, else ../shared/data/mnist.npz)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    output = args.output.resolve()
    if output == ROOT or ROOT in output.parents:
        print(f"error: {args.output} is inside the repository; MNIST images must never be "
              "written there", file=sys.stderr)
        return 1
    data = args.data or Path(os.environ.get("MNIST_NPZ") or DEFAULT_MNIST)
    try:
        with np.load(data, allow_pickle=False) as mnist:
            images, labels = mnist["x_test"], mnist["y_test"]
    except (OSError, ValueError, KeyError) as error:
        print(f"error: cannot read MNIST's test set from {data}: {error}", file=sys.stderr)
        return 1
    if not 1 <= args.count <= len(images):
        print(f"error: --count must be between 1 and {len(images)}", file=sys.stderr)
        return 1
    output.mkdir(parents=True, exist_ok=True)
    digits = len(str(args.count - 1))
    photos = generate(images, labels, args.count, args.seed)
    for index, (photo, label, variant) in enumerate(photos):
        suffix = ".png" if photo.startswith(b"\x89PNG") else ".jpg"
        (output / f"{label}_{index:0{digits}d}_{variant}{suffix}").write_bytes(photo)
    print(f"wrote {args.count} photos to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
