"""MNIST digits redrawn with a pen: how much ink covers each pixel of a digit at photo scale.

An MNIST image is a 28x28 blur of a pen stroke. To draw it as a pen would at any size, its
shape is cropped to the ink, upscaled smoothly (SHAPE_SCALE pixels per MNIST pixel), smoothed
to round off the 28x28 pixel steps and cut at an ink level into a clean shape. The pen then
changes the shape:

    ink            kept as it is: MNIST-like stroke widths
    thin_pen       a fine pen tracing the shape's centre lines (its Zhang-Suen skeleton),
                   a line 1-2% of the digit's height, 1-3 px for most digits
    thick_marker   widened to strokes 14-22% of the digit's height, but never so far that a
                   loop (of 0, 6, 8, 9) closes

Finally the shape is resampled to the photo's scale with anti-aliased edges. INKS are the
pens' colours, for scene.ink_on_paper. No TensorFlow: NumPy and OpenCV only.
"""

import cv2
import numpy as np

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

# Reflectance of inks, RGB: black, blue ballpoint, dark green and dark red markers.
INKS = {
    "ink": [(0.10, 0.10, 0.12), (0.12, 0.16, 0.40)],
    "thin_pen": [(0.20, 0.20, 0.24), (0.18, 0.24, 0.50)],
    "thick_marker": [(0.05, 0.05, 0.06), (0.06, 0.08, 0.25), (0.06, 0.16, 0.10),
                     (0.30, 0.06, 0.07)],
}


def pen_coverage(digit, digit_height, pen, rng):
    """How much pen covers each pixel: float32 (h, w) in [0, 1], the digit digit_height px tall.

    digit: uint8 (28, 28) MNIST image, white on black. pen: "thin_pen" and "thick_marker"
    change the shape; any other pen ("ink", chalk) draws it as it is.
    """
    shape, scale, frame_size = digit_shape(digit, digit_height, rng)
    if pen == "thin_pen":
        pen_width = max(1, round(rng.uniform(*THIN_PEN_SHARE) * digit_height))
        return draw_centre_lines(shape, scale / SHAPE_SCALE, frame_size, pen_width)
    if pen == "thick_marker":
        shape = _widen(shape, rng.uniform(*MARKER_WIDTH_SHARE) * digit_height * SHAPE_SCALE / scale)
    return _soft_edges(shape, frame_size)


def digit_shape(digit, digit_height, rng):
    """The clean shape of an MNIST digit, SHAPE_SCALE px per MNIST pixel, for a digit
    digit_height px tall: (bool shape, frame px per MNIST pixel, the frame's (w, h) of it)."""
    rows, columns = np.nonzero(digit)
    crop = np.pad(digit[rows.min():rows.max() + 1, columns.min():columns.max() + 1], SHAPE_PAD)
    scale = digit_height / (rows.max() - rows.min() + 1)  # frame pixels per MNIST pixel
    size = (crop.shape[1] * SHAPE_SCALE, crop.shape[0] * SHAPE_SCALE)
    upscaled = cv2.resize(crop.astype(np.float32) / 255, size, interpolation=cv2.INTER_CUBIC)
    smooth = cv2.GaussianBlur(upscaled, (0, 0), SHAPE_SMOOTHING * SHAPE_SCALE)
    shape = smooth > rng.uniform(*INK_LEVEL)
    return shape, scale, (round(crop.shape[1] * scale), round(crop.shape[0] * scale))


def _widen(shape, target_width):
    """Dilate a bool shape towards a typical stroke width of `target_width` pixels.

    Someone writing with a marker keeps the loops of 0, 6, 8, 9 open, so the widening stops
    short of closing any hole of the shape.
    """
    # A stroke is twice as wide as its centre line is far from the edge.
    depth = cv2.distanceTransform(shape.astype(np.uint8), cv2.DIST_L2, 5)
    width = 2 * float(np.median(depth[skeleton(shape)]))
    holes = hole_count(shape)
    for grow in range(int(round((target_width - width) / 2)), 0, -1):
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        widened = cv2.dilate(shape.astype(np.uint8), disc).astype(bool)
        if hole_count(widened) == holes:
            return widened
    return shape


def hole_count(shape, min_area=SHAPE_SCALE**2):
    """Holes in a bool shape at least `min_area` pixels in area (one MNIST pixel of a shape)."""
    contours, hierarchy = cv2.findContours(shape.astype(np.uint8), cv2.RETR_CCOMP,
                                           cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return 0
    return sum(1 for contour, links in zip(contours, hierarchy[0])
               if links[3] >= 0 and cv2.contourArea(contour) >= min_area)


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


def draw_centre_lines(shape, zoom, frame_size, pen_width, line_type=cv2.LINE_AA):
    """A pen tracing the shape's centre lines, `pen_width` px wide, in a `frame_size` image.

    zoom: frame pixels per shape pixel; line_type: OpenCV's, cv2.LINE_8 for a paint
    program's hard-edged line (then the image is 0 or 1). The skeleton's pixel staircase
    would show when zoomed, so each skeleton point is moved to the mean of its skeleton
    neighbours.
    """
    centre = skeleton(shape)
    weights = centre.astype(np.float32)
    rows, columns = np.indices(shape.shape, dtype=np.float32)
    window = (5, 5)
    count = cv2.boxFilter(weights, -1, window, normalize=False)
    mean_x = cv2.boxFilter(weights * columns, -1, window, normalize=False) / np.maximum(count, 1)
    mean_y = cv2.boxFilter(weights * rows, -1, window, normalize=False) / np.maximum(count, 1)
    points = np.stack([mean_x, mean_y], axis=-1)
    segments = []
    for step_y, step_x in ((0, 1), (1, 0), (1, 1), (1, -1)):
        ys, xs = np.nonzero(centre)
        ok = (ys + step_y < shape.shape[0]) & (xs + step_x >= 0) & (xs + step_x < shape.shape[1])
        ys, xs = ys[ok], xs[ok]
        linked = centre[ys + step_y, xs + step_x]
        ys, xs = ys[linked], xs[linked]
        segments.append(np.stack([points[ys, xs], points[ys + step_y, xs + step_x]], axis=1))
    segments = np.concatenate(segments)
    subpixel = 4  # OpenCV draws at 1/2**4 pixel precision with shift=4
    scaled = np.round((segments + 0.5) * zoom * 2**subpixel).astype(np.int32)
    canvas = np.zeros(frame_size[::-1], np.uint8)
    cv2.polylines(canvas, list(scaled), False, 255, pen_width, line_type, subpixel)
    return canvas.astype(np.float32) / 255


def skeleton(shape):
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
