"""The scene and camera of the generated MNIST photos: paper or board, light, lens and sensor.

What is drawn: the pen's coverage of a patch (from mnist_pens) is turned by up to a few
degrees, placed at a random position in the frame and seen in slight perspective, then blurred
a little by the lens. The page is lit unevenly: a linear fall-off across the frame, lens
vignetting and, in half the photos, a soft shadow with a gently curved edge (a hand or a phone
between the lamp and the page). On paper the ink absorbs light over textured paper, white or
warm under a lamp; on a board, grainy chalk lies over a dark board left unevenly dusty by
wiped chalk. The sensor adds noise, and the photo is encoded as JPEG or PNG.

How: the light is computed on a coarse grid and resized (it is smooth); the ink is warped into
the patch's box only, not the whole frame; noise is cut at random offsets from a few cached
fields (fresh Gaussian noise for every pixel of every photo would dominate the render time).
Every random choice comes from the caller's numpy Generator, in a fixed order, so the same
generator state gives the same bytes.

The sample photos (sample_photos) have their own paper and light; they share only
`to_uint8` and `encode` with this module.
"""

import cv2
import numpy as np

# Placement of the digit (or number) in the frame.
MARGIN_SHARE = 0.03  # the ink keeps at least this share of the frame from its edges
MAX_ROTATION_DEGREES = 8
PERSPECTIVE_SHARE = 0.05  # how far the frame's corners move, as a share of its size
FOCUS_BLUR = (0.3, 0.8)  # Gaussian sigma of the lens blur, pixels
SENSOR_NOISE = (1.5, 5.0)  # standard deviation, 0..255 levels

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


def place_in_frame(coverage, frame, rng):
    """Rotate, place and project `coverage` into a frame of size (w, h), then blur it a little.

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


def light_field(frame, rng):
    """Light falling on the page of a frame (w, h): float32 (h, w), 1 at its brightest."""
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


def ink_on_paper(placed, light, inks, rng, exposure=PAPER_EXPOSURE):
    """R, G, B float32 (h, w) images, 0..255: ink absorbing light on textured paper.

    placed: place_in_frame's (alpha, region); inks: RGB reflectances, one chosen at random;
    exposure: the range of the level white paper is seen at in full light.
    """
    alpha, region = placed
    paper = (1.0, rng.uniform(0.96, 1.0), rng.uniform(0.88, 1.0))  # white, or warm under a lamp
    ink = inks[rng.integers(len(inks))]
    fibres = noise(rng, light.shape, fibres=True)
    white = light * rng.uniform(*exposure)
    texture = cv2.scaleAdd(fibres, rng.uniform(*PAPER_TEXTURE), np.ones_like(white))
    white = cv2.multiply(white, texture)
    channels = []
    for tone, reflectance in zip(paper, ink):
        channel = white * tone
        channel[region] *= 1 - alpha * (1 - reflectance)
        channels.append(channel)
    return channels


def chalk_on_board(placed, light, rng):
    """R, G, B float32 (h, w) images, 0..255: grainy chalk over a dark, dusty board."""
    alpha, region = placed
    board = BOARDS[rng.integers(len(BOARDS))]
    chalk = rng.uniform(*CHALK)
    grain = noise(rng, alpha.shape, fibres=True)
    alpha = alpha * np.clip(1 - rng.uniform(*CHALK_GRAIN) * (1 + grain), 0, 1)
    # Wiped chalk leaves the board unevenly dusty, in broad smears.
    dust = noise(rng, light.shape, fibres=True, blur=DUST_SIZE)
    exposure = light * rng.uniform(*BOARD_EXPOSURE)
    dust_light = cv2.multiply(exposure, dust, scale=rng.uniform(*CHALK_DUST))
    channels = []
    for tone in board:
        channel = cv2.scaleAdd(exposure, tone, dust_light)
        channel[region] = channel[region] * (1 - alpha) + exposure[region] * chalk * alpha
        channels.append(channel)
    return channels


def sensor_image(channels, rng):
    """The camera's uint8 BGR image of R, G, B float channels (0..255), with sensor noise."""
    level = rng.uniform(*SENSOR_NOISE)
    return cv2.merge([to_uint8(cv2.scaleAdd(noise(rng, channel.shape), level, channel))
                      for channel in channels[::-1]])  # OpenCV wants BGR


_noise_fields = {}


def noise(rng, shape, fibres=False, blur=0):
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


def to_uint8(image):
    """Clip a float image to 0..255 (in place) and truncate it to uint8."""
    return np.clip(image, 0, 255, out=image).astype(np.uint8)


def encode(image, suffix, *params):
    """The image encoded by OpenCV as `suffix` (".jpg", ".png") with imwrite `params`: bytes."""
    ok, data = cv2.imencode(suffix, image, list(params))
    if not ok:
        raise ValueError(f"OpenCV could not encode a {image.shape} image as {suffix}")
    return data.tobytes()


def encode_jpeg(image, quality):
    return encode(image, ".jpg", cv2.IMWRITE_JPEG_QUALITY, quality)
