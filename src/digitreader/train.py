"""Training: augmented input pipeline, learning-rate schedule, fit, evaluate.

Augmentation lives in the tf.data pipeline, never in the model, so the saved file holds
exactly the card's architecture.
"""

import datetime
import json
import platform
import time
from pathlib import Path

import numpy as np

from .atomic import write_files_atomically
from .data import file_sha256
from .figures import training_curves
from .export import export_record, litert_flatbuffer
from .model import ARCHITECTURES, IMAGE_SIZE, NUM_CLASSES, companion_paths, compile_model, import_keras

VALIDATION_SIZE = 5000
MIN_TRAINING_IMAGES = 2  # one to learn from, one held out for validation
PEAK_LEARNING_RATE = 1e-3
CENTRE = (IMAGE_SIZE - 1) / 2.0  # the pixel-index centre of a 28x28 image, both axes

# Writing styles MNIST (mostly American writers) has few of, drawn onto some training digits
# of their class with a stroke as wide as the digit's own. Without them the reader calls a
# 1 with a flag (the up-stroke at its top) and a base a 7, and a crossed 7 a 4.
FLAGGED_ONE_SHARE = 0.4  # of the 1s, those given a flag
BASE_SHARE = 0.5  # of the flagged 1s, those also given a base (a foot)
CROSSED_SEVEN_SHARE = 0.35  # of the 7s, those given a bar across the stem
SLASHED_ZERO_SHARE = 0.15  # of the 0s, those given a slash, upper right to lower left
# Their geometry, in 28x28 pixels (an MNIST digit is 20 px tall): a flag is shorter than a
# 7's top bar and meets the stem at a sharper angle, so that it stays a 1.
FLAG_LENGTH = (3.5, 7.0)
FLAG_ANGLE_DEGREES = (25.0, 50.0)  # between the flag and the stem, on the stem's left
BASE_HALF_LENGTH = (2.5, 6.0)  # each side of the foot of the 1
BAR_HALF_LENGTH = (2.5, 5.5)  # each side of the 7's stem
BAR_HEIGHT = (0.4, 0.65)  # where the bar crosses: share of the digit's height from its top
SLASH_OVERHANG = (-1.0, 2.0)  # how far a slash's ends lie outside the 0's box (- inside)
TILT_PIXELS = 1.0  # the most a base or bar end is above or below the other's
STROKE_WIDTH_JITTER = 0.2  # a drawn stroke is the digit's width times 1 +- this
INK_LEVEL = 0.5  # pixels above this are ink, for measuring a digit's box and strokes

# Random affine distortions, the residual differences that MNIST-style normalisation leaves
# between writers and photos; the shear is the writer's slant.
MAX_ROTATION_DEGREES = 10.0
MAX_SCALE_CHANGE = 0.10
MAX_SHEAR = 0.15
MAX_SHIFT_PIXELS = 2.0
# Elastic distortions (Simard, Steinkraus and Platt 2003, who reach 99.3% with an MLP): a
# displacement field of uniform noise in [-1, 1] per pixel, smoothed by a Gaussian of
# ELASTIC_SIGMA pixels and scaled by ELASTIC_ALPHA pixels. Their alpha 34, sigma 4 on 29x29
# moves a pixel by about 1.4 px, bending strokes as hands do. Each image gets a random
# share of ELASTIC_ALPHA, so clean shapes are seen as well.
ELASTIC_ALPHA = 34.0
ELASTIC_SIGMA = 4.0
# The warp and the noise weaken linearly over training, to this share of their strength at
# the last step: distorted shapes teach first, the last epochs fine-tune on near-clean ones.
FINAL_DISTORTION = 0.3
# Share of images whose strokes are made one pixel thicker / thinner.
THICKEN_SHARE = 0.15
THIN_SHARE = 0.15
# Share of images slightly blurred (a photo a little out of focus, a soft pencil line), and
# the largest standard deviation of pixel noise added to every image.
BLUR_SHARE = 0.2
MAX_NOISE = 0.05
MNIST_BOX = 20  # the longer side of an MNIST digit, which preprocessing keeps: see normalize.py

# Outlier exposure (Hendrycks, Mazeika and Dietterich 2019): marks that are not one digit
# (synthetic.nondigits: letters, symbols, scribbles, smileys, shapes, stains, and from the
# training digits fragments and pairs) are trained towards uniform probabilities beside the
# digits, so that the reader's "not a digit" (reading.MIN_CONFIDENCE) and its cutting of
# numbers by recognition can trust the model's confidence. Generating one takes milliseconds,
# so a pool is made once per run, from the training split, and warped anew each time it is
# drawn, as the digits are.
OUTLIER_POOL_SHARE = 0.2  # the pool holds this many non-digits per training digit
OUTLIERS_PER_BATCH = 64  # drawn with each batch of digits
# lambda, the weight of the cross-entropy to the uniform distribution, CE(uniform, p), beside
# each digit's cross-entropy (weight 1). With the compiled sparse categorical cross-entropy
# it is a sample weight: each non-digit gets a uniformly random label at OUTLIER_WEIGHT, whose
# expectation is the uniform target.
OUTLIER_WEIGHT = 0.5
OUTLIER_SEED_OFFSET = 1000  # the pool and its warps are drawn from seed + this
# Symbols left out of the pool: drawn by a hand, each can be a 1.
OUTLIER_EXCLUDED_SYMBOLS = ("!", "(", ")")


def split_validation(images, labels, seed, size=VALIDATION_SIZE):
    """A seeded random hold-out of `size` training images for the validation curves.

    Holds out at least one, so training needs MIN_TRAINING_IMAGES."""
    order = np.random.default_rng(seed).permutation(len(images))
    size = min(size, len(images) // 10 or 1)
    held, kept = order[:size], order[size:]
    return (images[kept], labels[kept]), (images[held], labels[held])


def to_model_input(images):
    """uint8 (N, 28, 28) in 0..255 -> float32 (N, 28, 28) in [0, 1]."""
    return images.astype(np.float32) / 255.0


def _uniform(tf, seed, stream, shape, low=0.0, high=1.0):
    """Stateless uniform random numbers in [low, high): stream `stream` of `seed`, so every
    batch's distortion is reproducible."""
    key = tf.random.experimental.stateless_fold_in(seed, stream)
    return tf.random.stateless_uniform(shape, key, low, high)


def _first_true(tf, flags):
    """Index (float32 (B,)) of the first True along axis 1 of bool (B, N); 0 when none."""
    return tf.cast(tf.argmax(tf.cast(flags, tf.int32), axis=1), tf.float32)


def _neighbourhood(tf, reduce, images, before, after):
    """`reduce` (tf.maximum or tf.minimum) of each pixel's neighbourhood, from `before` pixels
    above and left of it to `after` below and right, outside counting as 0: a dilation or an
    erosion. images: float32 (B, 28, 28). Elementwise on shifted slices: tf.nn.max_pool2d
    with stride 1 is several times slower on a CPU.
    """
    padded = tf.pad(images, [[0, 0], [before, after], [before, after]])
    span = before + after + 1
    result = None
    for row in range(span):
        for column in range(span):
            part = padded[:, row:row + IMAGE_SIZE, column:column + IMAGE_SIZE]
            result = part if result is None else reduce(result, part)
    return result


def _digit_geometry(tf, images):
    """The box and stroke width of each digit in a batch.

    images: float32 (B, 28, 28) in [0, 1]. Returns float32 (B,) tensors, in pixels: top,
    bottom, left, right (pixel indices of the box of pixels above INK_LEVEL) and stroke
    width (twice the ink's area over its outline, as normalize.stroke_width measures it).
    """
    ink = images > INK_LEVEL
    rows, columns = tf.reduce_any(ink, axis=2), tf.reduce_any(ink, axis=1)
    last = IMAGE_SIZE - 1
    top, bottom = _first_true(tf, rows), last - _first_true(tf, tf.reverse(rows, [1]))
    left, right = _first_true(tf, columns), last - _first_true(tf, tf.reverse(columns, [1]))
    mask = tf.cast(ink, tf.float32)
    inner = _neighbourhood(tf, tf.minimum, mask, before=1, after=1)  # eroded by 3x3
    area = tf.reduce_sum(mask, axis=[1, 2])
    outline = tf.reduce_sum(mask - inner, axis=[1, 2])
    return top, bottom, left, right, 2.0 * area / tf.maximum(outline, 1.0)


def _ink_centre_of_rows(tf, images, row, fallback):
    """Ink-weighted mean column of rows row-1..row+1 of each image (float32 (B,)).

    images: float32 (B, 28, 28); row: float32 (B,); fallback (B,): used where they are empty.
    """
    centre_row = tf.clip_by_value(tf.cast(tf.round(row), tf.int32), 1, IMAGE_SIZE - 2)
    rows = tf.gather(images, centre_row[:, tf.newaxis] + [-1, 0, 1], batch_dims=1)
    weights = tf.reduce_sum(rows, axis=1)  # (B, 28)
    total = tf.reduce_sum(weights, axis=1)
    columns = tf.range(IMAGE_SIZE, dtype=tf.float32)
    centre = tf.reduce_sum(weights * columns, axis=1) / tf.maximum(total, 1e-6)
    return tf.where(total > INK_LEVEL, centre, fallback)


def _draw_segments(tf, images, segments, half_width, active):
    """Draw straight strokes, anti-aliased, onto a batch of digits (the brighter pixel wins).

    images: float32 (B, 28, 28) in [0, 1]; segments: float32 (B, S, 4) as x0, y0, x1, y1 in
    pixel indices; half_width: float32 (B,); active: bool (B, S), which segments to draw.
    Returns float32 (B, 28, 28) in [0, 1].
    """
    grid = tf.range(IMAGE_SIZE, dtype=tf.float32)
    ys, xs = grid[:, tf.newaxis], grid[tf.newaxis, :]  # (28, 1), (1, 28)
    x0, y0, x1, y1 = (segments[..., i, tf.newaxis, tf.newaxis] for i in range(4))  # (B, S, 1, 1)
    dx, dy = x1 - x0, y1 - y0
    along = ((xs - x0) * dx + (ys - y0) * dy) / tf.maximum(dx * dx + dy * dy, 1e-6)
    along = tf.clip_by_value(along, 0.0, 1.0)
    distance = tf.sqrt((xs - x0 - along * dx) ** 2 + (ys - y0 - along * dy) ** 2)
    ink = tf.clip_by_value(half_width[:, tf.newaxis, tf.newaxis, tf.newaxis] + 0.5 - distance,
                           0.0, 1.0)
    ink *= tf.cast(active, tf.float32)[..., tf.newaxis, tf.newaxis]
    return tf.maximum(images, tf.reduce_max(ink, axis=1))


def add_writing_styles(images, labels, seed):
    """Draw the styles MNIST has few of onto some digits of their class: a flag (and a base)
    on 1s, a bar across 7s, a slash through 0s; see FLAGGED_ONE_SHARE and what follows it.

    images: float32 (B, 28, 28) in [0, 1]; labels: int (B,); seed: int tensor of shape (2,).
    Returns (images float32 (B, 28, 28) in [0, 1], styled: bool (B,), the digits drawn on).
    """
    import tensorflow as tf

    count = tf.shape(images)[0]
    top, bottom, left, right, width = _digit_geometry(tf, images)
    middle = (left + right) / 2.0

    def uniform(stream, bounds):
        return _uniform(tf, seed, stream, [count], *bounds)

    half_width = width / 2.0 * uniform(10, (1 - STROKE_WIDTH_JITTER, 1 + STROKE_WIDTH_JITTER))
    # A 1's flag starts at its top and goes down to the left, at an angle to its stem (which
    # may slant); its base is centred on its foot, level.
    flag_x, flag_y = _ink_centre_of_rows(tf, images, top + 1, middle), top + half_width / 2
    foot_x, foot_y = _ink_centre_of_rows(tf, images, bottom - 1, middle), bottom - half_width / 2
    stem = tf.maximum(tf.sqrt((foot_x - flag_x) ** 2 + (foot_y - flag_y) ** 2), 1.0)
    down_x, down_y = (foot_x - flag_x) / stem, (foot_y - flag_y) / stem
    angle, length = np.deg2rad(1.0) * uniform(11, FLAG_ANGLE_DEGREES), uniform(12, FLAG_LENGTH)
    # The stem's downward direction turned towards the left by `angle`.
    flag = [flag_x + length * (down_x * tf.cos(angle) - down_y * tf.sin(angle)),
            flag_y + length * (down_x * tf.sin(angle) + down_y * tf.cos(angle)), flag_x, flag_y]
    base = [foot_x - uniform(13, BASE_HALF_LENGTH), foot_y + uniform(14, (-TILT_PIXELS, TILT_PIXELS)) / 2,
            foot_x + uniform(15, BASE_HALF_LENGTH), foot_y + uniform(16, (-TILT_PIXELS, TILT_PIXELS)) / 2]
    # A 7's bar crosses its stem part way down.
    bar_y = top + uniform(17, BAR_HEIGHT) * (bottom - top)
    stem_x = _ink_centre_of_rows(tf, images, bar_y, middle)
    bar = [stem_x - uniform(18, BAR_HALF_LENGTH), bar_y + uniform(19, (-TILT_PIXELS, TILT_PIXELS)) / 2,
           stem_x + uniform(20, BAR_HALF_LENGTH), bar_y + uniform(21, (-TILT_PIXELS, TILT_PIXELS)) / 2]
    # A 0's slash runs from its upper right to its lower left.
    slash = [right + uniform(22, SLASH_OVERHANG), top - uniform(23, SLASH_OVERHANG),
             left - uniform(24, SLASH_OVERHANG), bottom + uniform(25, SLASH_OVERHANG)]

    labels = tf.cast(labels, tf.int32)
    chance = uniform(26, (0.0, 1.0))
    one = (labels == 1) & (chance < FLAGGED_ONE_SHARE)
    seven = (labels == 7) & (chance < CROSSED_SEVEN_SHARE)
    zero = (labels == 0) & (chance < SLASHED_ZERO_SHARE)
    with_base = one & (uniform(27, (0.0, 1.0)) < BASE_SHARE)
    first = tf.where(one[:, tf.newaxis], tf.stack(flag, axis=1),
                     tf.where(seven[:, tf.newaxis], tf.stack(bar, axis=1), tf.stack(slash, axis=1)))
    segments = tf.stack([first, tf.stack(base, axis=1)], axis=1)  # (B, 2, 4)
    styled = one | seven | zero
    drawn = _draw_segments(tf, images, segments, half_width, tf.stack([styled, with_base], axis=1))
    return drawn, styled


def _normalising_maps(tf, images, styled):
    """What preprocessing would do to the styled digits, which their new strokes may have
    moved or widened: scale (B,) so the longer side is at most MNIST_BOX, and the centre of
    mass (row, column, each (B,)) that is moved to MNIST's centre. The others get 1 and the
    centre: no change.

    images: float32 (B, 28, 28) in [0, 1]; styled: bool (B,).
    """
    from .preprocess.normalize import MNIST_CENTRE

    top, bottom, left, right, _ = _digit_geometry(tf, images)
    longer = tf.maximum(bottom - top, right - left) + 1.0
    scale = tf.where(styled, tf.minimum(1.0, MNIST_BOX / longer), 1.0)
    grid = tf.range(IMAGE_SIZE, dtype=tf.float32)
    total = tf.maximum(tf.reduce_sum(images, axis=[1, 2]), 1e-6)
    mass_row = tf.reduce_sum(images * grid[:, tf.newaxis], axis=[1, 2]) / total
    mass_column = tf.reduce_sum(images * grid[tf.newaxis, :], axis=[1, 2]) / total
    return (scale, tf.where(styled, mass_row, MNIST_CENTRE),
            tf.where(styled, mass_column, MNIST_CENTRE))


def _elastic_displacements(tf, count, seed):
    """Random smooth displacement fields (Simard et al. 2003): (rows, columns), each float32
    (count, 28, 28), offsets in pixels, each image's scaled by its own share of ELASTIC_ALPHA."""
    # The Gaussian filter (zero outside the image) as a 28x28 matrix, applied down and across
    # by matrix products: much faster on a CPU than a 25-tap depthwise convolution.
    radius = int(np.ceil(3 * ELASTIC_SIGMA))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / ELASTIC_SIGMA) ** 2)
    pixels = np.arange(IMAGE_SIZE)
    offsets = pixels[:, None] - pixels[None, :]
    gaussian = np.where(np.abs(offsets) <= radius,
                        np.exp(-0.5 * (offsets / ELASTIC_SIGMA) ** 2), 0.0) / taps.sum()
    gaussian = tf.constant(gaussian, tf.float32)
    noise = _uniform(tf, seed, 30, [count, 2, IMAGE_SIZE, IMAGE_SIZE], -1.0, 1.0)
    smooth = tf.matmul(tf.matmul(gaussian, noise), gaussian, transpose_b=True)
    strength = _uniform(tf, seed, 31, [count, 1, 1], 0.0, ELASTIC_ALPHA)
    return smooth[:, 0] * strength, smooth[:, 1] * strength


def _source_coordinates(tf, count, seed, normalising, strength):
    """For every output pixel, where to read it in the input: (rows, columns), each float32
    (count, 28, 28) in pixel indices.

    Output pixels are moved by an elastic displacement, then mapped back through a random
    rotation, shear, scale and shift about the centre, then through `normalising` (scale,
    centre-of-mass row, column: each (count,), from _normalising_maps). `strength`, a float32
    scalar in [0, 1], scales every bound (and the elastic displacements).
    """
    def uniform(stream, bound, centre=0.0):
        bound *= strength
        return _uniform(tf, seed, stream, [count], centre - bound, centre + bound)[:, None, None]

    angle = uniform(0, np.deg2rad(MAX_ROTATION_DEGREES))
    scale_x = uniform(1, MAX_SCALE_CHANGE, 1.0)
    scale_y = scale_x * uniform(2, MAX_SCALE_CHANGE / 2, 1.0)
    shear = uniform(3, MAX_SHEAR)
    shift_x, shift_y = uniform(4, MAX_SHIFT_PIXELS), uniform(5, MAX_SHIFT_PIXELS)
    cos, sin = tf.cos(angle), tf.sin(angle)
    # Forward map L = rotation @ shear @ scale, written out element by element.
    l00, l01 = cos * scale_x, (cos * shear - sin) * scale_y
    l10, l11 = sin * scale_x, (sin * shear + cos) * scale_y
    det = l00 * l11 - l01 * l10
    grid = tf.range(IMAGE_SIZE, dtype=tf.float32)
    moved_rows, moved_columns = (moved * strength for moved in _elastic_displacements(tf, count, seed))
    x = grid[tf.newaxis, tf.newaxis, :] + moved_columns - CENTRE - shift_x
    y = grid[tf.newaxis, :, tf.newaxis] + moved_rows - CENTRE - shift_y
    # normalised = L^-1 (output - centre - shift) + centre
    x, y = (l11 * x - l01 * y) / det + CENTRE, (l00 * y - l10 * x) / det + CENTRE
    from .preprocess.normalize import MNIST_CENTRE

    scale, mass_row, mass_column = (value[:, None, None] for value in normalising)
    # input = (normalised - MNIST's centre) / scale + centre of mass
    return (y - MNIST_CENTRE) / scale + mass_row, (x - MNIST_CENTRE) / scale + mass_column


def _sample_bilinear(tf, images, rows, columns):
    """images: float32 (B, 28, 28) read at float pixel indices rows, columns (B, 28, 28),
    bilinearly, as 0 outside the image. Returns float32 (B, 28, 28)."""
    size = IMAGE_SIZE + 2  # a border of zeros around each image is what lies outside
    flat = tf.reshape(tf.pad(images, [[0, 0], [1, 1], [1, 1]]), [-1])
    rows = tf.clip_by_value(rows + 1.0, 0.0, size - 1.0)
    columns = tf.clip_by_value(columns + 1.0, 0.0, size - 1.0)
    row0, column0 = tf.floor(rows), tf.floor(columns)
    row_weight, column_weight = rows - row0, columns - column0
    row0, column0 = tf.cast(row0, tf.int32), tf.cast(column0, tf.int32)
    row1, column1 = tf.minimum(row0 + 1, size - 1), tf.minimum(column0 + 1, size - 1)
    base = (tf.range(tf.shape(images)[0]) * size * size)[:, tf.newaxis, tf.newaxis]

    def at(row, column):
        return tf.gather(flat, base + row * size + column)

    upper = at(row0, column0) * (1 - column_weight) + at(row0, column1) * column_weight
    lower = at(row1, column0) * (1 - column_weight) + at(row1, column1) * column_weight
    return upper * (1 - row_weight) + lower * row_weight


def _blur(tf, images):
    """images float32 (B, 28, 28) filtered by the 3x3 Gaussian [1, 2, 1] x [1, 2, 1] / 16,
    outside counting as 0: by shifted slices, a tenth of a 3x3 tf.nn.conv2d's time on a CPU."""
    padded = tf.pad(images, [[0, 0], [1, 1], [1, 1]])
    across = 0.25 * padded[:, :, :-2] + 0.5 * padded[:, :, 1:-1] + 0.25 * padded[:, :, 2:]
    return 0.25 * across[:, :-2] + 0.5 * across[:, 1:-1] + 0.25 * across[:, 2:]


def augment_batch(images, labels, seed, strength=1.0):
    """Randomly distort a batch: writing styles drawn on some 0s, 1s and 7s, an elastic and
    affine warp, thicker or thinner strokes or blur for some, and a little pixel noise.

    images: float32 (B, 28, 28) in [0, 1]; labels: int (B,), the digits; seed: int32/int64
    tensor of shape (2,); strength: float32 scalar in [0, 1] scaling the warp and the noise.
    Returns float32 (B, 28, 28) in [0, 1].
    """
    import tensorflow as tf

    count = tf.shape(images)[0]
    images, styled = add_writing_styles(images, labels, seed)
    rows, columns = _source_coordinates(tf, count, seed, _normalising_maps(tf, images, styled),
                                        strength)
    warped = _sample_bilinear(tf, images, rows, columns)
    thick = _neighbourhood(tf, tf.maximum, warped, before=0, after=1)
    thin = _neighbourhood(tf, tf.minimum, warped, before=0, after=1)
    choice = _uniform(tf, seed, 99, [count, 1, 1])
    warped = tf.where(choice < THICKEN_SHARE, thick, warped)
    warped = tf.where(choice > 1.0 - THIN_SHARE, thin, warped)
    blurred = tf.where(_uniform(tf, seed, 100, [count, 1, 1]) < BLUR_SHARE, _blur(tf, warped), warped)
    noise_level = _uniform(tf, seed, 101, [count, 1, 1], 0.0, MAX_NOISE) * strength
    noise = tf.random.stateless_normal(tf.shape(blurred), tf.random.experimental.stateless_fold_in(seed, 102))
    return tf.clip_by_value(blurred + noise_level * noise, 0.0, 1.0)


def distortion_strength(step, total_steps):
    """The warp and noise's strength at training step `step` (int64 tensor, from 0) of
    `total_steps`: float32 scalar falling linearly from 1 to FINAL_DISTORTION."""
    import tensorflow as tf

    progress = tf.minimum(1.0, tf.cast(step, tf.float32) / max(total_steps - 1, 1))
    return 1.0 - (1.0 - FINAL_DISTORTION) * progress


def training_dataset(images, labels, batch_size, epochs, seed):
    """Shuffled, augmented batches for all epochs, reproducible from `seed`.

    images: uint8 (N, 28, 28); labels: uint8 (N,). Yields (float32 (B, 28, 28) in [0, 1],
    int32 (B,)), the distortions weakening over the epochs (distortion_strength).
    """
    import tensorflow as tf

    total_steps = int(np.ceil(len(images) / batch_size)) * epochs

    dataset = (
        tf.data.Dataset.from_tensor_slices((to_model_input(images), labels.astype(np.int32)))
        .shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .repeat(epochs)
        .enumerate()
    )

    def augment(step, batch):
        batch_images, batch_labels = batch
        key = tf.stack([tf.cast(seed, tf.int64), step])
        strength = distortion_strength(step, total_steps)
        return augment_batch(batch_images, batch_labels, key, strength), batch_labels

    # One vectorised map call per batch: parallel calls would gain nothing on two cores.
    return dataset.map(augment).prefetch(tf.data.AUTOTUNE)


def outlier_pool(images, labels, seed):
    """The non-digits of a training run: float32 (N, 28, 28) in [0, 1], OUTLIER_POOL_SHARE of
    the training digits (uint8 `images` and their `labels`, the split trained on), of every
    kind of synthetic.nondigits in turn but OUTLIER_EXCLUDED_SYMBOLS, seeded by
    seed + OUTLIER_SEED_OFFSET."""
    from .synthetic.nondigits import iter_nondigits

    count = int(np.ceil(len(images) * OUTLIER_POOL_SHARE))
    made = [item.image for item in iter_nondigits(count, seed + OUTLIER_SEED_OFFSET, images, labels)
            if not (item.kind == "symbols" and item.what in OUTLIER_EXCLUDED_SYMBOLS)]
    return np.stack(made).astype(np.float32)


def with_outliers(dataset, pool, seed, total_steps, weight=OUTLIER_WEIGHT):
    """Digit batches (images, labels) with OUTLIERS_PER_BATCH non-digits of `pool` added to
    each, warped as the digits are (without writing styles): (images, labels, sample weights),
    the digits at weight 1, the non-digits at `weight`, each with a random label."""
    import tensorflow as tf

    outliers = (tf.data.Dataset.from_tensor_slices(pool)
                .shuffle(len(pool), seed=seed + OUTLIER_SEED_OFFSET, reshuffle_each_iteration=True)
                .repeat()
                .batch(OUTLIERS_PER_BATCH, drop_remainder=True))

    def mix(step, batch):
        (digits, labels), marks = batch
        key = tf.stack([tf.cast(seed + OUTLIER_SEED_OFFSET, tf.int64), step])
        count = tf.shape(marks)[0]
        marks = augment_batch(marks, tf.fill([count], -1), key, distortion_strength(step, total_steps))
        mark_labels = tf.random.stateless_uniform([count], tf.random.experimental.stateless_fold_in(
            key, 200), 0, NUM_CLASSES, dtype=tf.int32)
        mark_weights = tf.fill([count], float(weight))
        return (tf.concat([digits, marks], axis=0), tf.concat([labels, mark_labels], axis=0),
                tf.concat([tf.ones(tf.shape(labels)), mark_weights], axis=0))

    return tf.data.Dataset.zip((dataset, outliers)).enumerate().map(mix).prefetch(tf.data.AUTOTUNE)


def train(train_data, test_data, epochs, batch_size, seed, arch="mlp", verbose=1,
          outlier_exposure=True):
    """Train a model (`arch`: "mlp", the card's, or "cnn") on MNIST; return (model, report).

    train_data, test_data: (images uint8 (N, 28, 28), labels uint8 (N,)).
    report: history per epoch, epoch seconds, total seconds, test loss and accuracy.
    With `outlier_exposure` non-digits are trained towards uniform probabilities beside the
    digits (with_outliers); report["outliers"] says how many and how long they took to make.
    """
    keras = import_keras()
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    (x_fit, y_fit), (x_val, y_val) = split_validation(*train_data, seed=seed)
    steps_per_epoch = int(np.ceil(len(x_fit) / batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=PEAK_LEARNING_RATE, decay_steps=steps_per_epoch * epochs, alpha=0.01
    )
    model = compile_model(ARCHITECTURES[arch](), schedule)
    epoch_starts, epoch_seconds = [], []
    timer = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: epoch_starts.append(time.perf_counter()),
        on_epoch_end=lambda epoch, logs: epoch_seconds.append(time.perf_counter() - epoch_starts[-1]),
    )
    started = time.perf_counter()
    dataset = training_dataset(x_fit, y_fit, batch_size, epochs, seed)
    outliers = None
    if outlier_exposure:
        pool = outlier_pool(x_fit, y_fit, seed)
        outliers = {"pool": len(pool), "per_batch": OUTLIERS_PER_BATCH, "weight": OUTLIER_WEIGHT,
                    "target": "random", "seconds": round(time.perf_counter() - started, 1)}
        dataset = with_outliers(dataset, pool, seed, steps_per_epoch * epochs)
    history = model.fit(
        dataset,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        validation_data=(to_model_input(x_val), y_val.astype(np.int32)),
        callbacks=[timer],
        shuffle=False,  # the dataset shuffles itself, reproducibly
        verbose=verbose,
    )
    train_seconds = time.perf_counter() - started
    x_test, y_test = test_data
    test_loss, test_accuracy = model.evaluate(
        to_model_input(x_test), y_test.astype(np.int32), batch_size=1000, verbose=0
    )
    report = {
        "history": {name: [float(v) for v in values] for name, values in history.history.items()},
        "epoch_seconds": [round(s, 2) for s in epoch_seconds],
        "train_seconds": round(train_seconds, 1),
        "test_loss": float(test_loss),
        "test_accuracy": float(test_accuracy),
        "outliers": outliers,
    }
    return model, report


def training_record(report, arch, epochs, batch_size, seed, data_path):
    """The JSON record saved beside a model: how it was trained and how well it did."""
    import keras
    import tensorflow as tf

    return {
        "test_accuracy": round(report["test_accuracy"], 5),
        "test_loss": round(report["test_loss"], 5),
        "arch": arch,
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": seed,
        "train_seconds": report["train_seconds"],
        "epoch_seconds": report["epoch_seconds"],
        "tensorflow_version": tf.__version__,
        "keras_version": keras.__version__,
        "python_version": platform.python_version(),
        "data_file": data_path.name if data_path else "keras.datasets.mnist",
        "data_sha256": file_sha256(data_path) if data_path else None,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "history": {name: [round(v, 5) for v in values] for name, values in report["history"].items()},
        "outlier_exposure": report.get("outliers"),
    }


def save_trained(model, record, history, model_path, check_images, committed=lambda paths: None):
    """Write the model, its LiteRT export, its record and its training curves as a set: all
    new, or, after a failure or Ctrl-C, all as they were. `committed(paths)` is called the
    moment the new ones are in place (see atomic.write_files_atomically).

    The export is made and checked on `check_images` (float32 (N, 28, 28) in [0, 1]) first;
    raises export.ExportError, writing nothing, when it does not read them as the model does.
    """
    flatbuffer, largest = litert_flatbuffer(model, check_images)
    paths = companion_paths(model_path)
    written = {}

    def save_model(path):
        model.save(path)
        written["keras"] = path

    def save_record(path):
        export = export_record(paths["litert"].name, file_sha256(written["keras"]), flatbuffer,
                               largest, len(check_images))
        Path(path).write_text(json.dumps({**record, "litert": export}, indent=2) + "\n")

    write_files_atomically({
        model_path: save_model,
        paths["litert"]: lambda path: Path(path).write_bytes(flatbuffer),
        paths["record"]: save_record,
        paths["curves"]: training_curves(history, bool(record.get("outlier_exposure"))).savefig,
    }, committed)
