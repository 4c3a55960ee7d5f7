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
from .model import ARCHITECTURES, IMAGE_SIZE, companion_paths, compile_model, import_keras

VALIDATION_SIZE = 5000
MIN_TRAINING_IMAGES = 2  # one to learn from, one held out for validation
PEAK_LEARNING_RATE = 1e-3
# Random affine distortions, the residual differences that MNIST-style normalisation leaves
# between writers and photos.
MAX_ROTATION_DEGREES = 10.0
MAX_SCALE_CHANGE = 0.10
MAX_SHEAR = 0.15
MAX_SHIFT_PIXELS = 2.0
# Share of images whose strokes are made one pixel thicker / thinner.
THICKEN_SHARE = 0.15
THIN_SHARE = 0.15
# Share of images slightly blurred (a photo a little out of focus, a soft pencil line), and
# the largest standard deviation of pixel noise added to every image.
BLUR_SHARE = 0.2
MAX_NOISE = 0.05


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


def _inverse_affine_transforms(tf, count, seed):
    """(count, 8) projective transforms mapping output pixels back to input pixels.

    Each is a random rotation, shear, scale and shift about the image centre. Stateless
    random ops keyed by `seed` make every batch's distortion reproducible.
    """
    def uniform(index, bound, centre=0.0):
        key = tf.random.experimental.stateless_fold_in(seed, index)
        return tf.random.stateless_uniform([count], key, centre - bound, centre + bound)

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
    i00, i01, i10, i11 = l11 / det, -l01 / det, -l10 / det, l00 / det
    centre = (IMAGE_SIZE - 1) / 2.0
    # input = L^-1 (output - centre - shift) + centre
    offset_x = centre - (i00 * (centre + shift_x) + i01 * (centre + shift_y))
    offset_y = centre - (i10 * (centre + shift_x) + i11 * (centre + shift_y))
    zeros = tf.zeros_like(angle)
    return tf.stack([i00, i01, offset_x, i10, i11, offset_y, zeros, zeros], axis=1)


_GAUSSIAN_3X3 = np.outer([1, 2, 1], [1, 2, 1]).astype(np.float32) / 16


def augment_batch(images, seed):
    """Randomly distort a batch: affine warp, thicker or thinner strokes or blur for some,
    and a little pixel noise.

    images: float32 (B, 28, 28) in [0, 1]; seed: int32/int64 tensor of shape (2,).
    Returns float32 (B, 28, 28) in [0, 1].
    """
    import tensorflow as tf

    count = tf.shape(images)[0]
    stack = images[..., tf.newaxis]
    stack = tf.raw_ops.ImageProjectiveTransformV3(
        images=stack,
        transforms=_inverse_affine_transforms(tf, count, seed),
        output_shape=[IMAGE_SIZE, IMAGE_SIZE],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    thick = tf.nn.max_pool2d(stack, ksize=2, strides=1, padding="SAME")
    thin = -tf.nn.max_pool2d(-stack, ksize=2, strides=1, padding="SAME")
    choice = tf.random.stateless_uniform(
        [count, 1, 1, 1], tf.random.experimental.stateless_fold_in(seed, 99)
    )
    stack = tf.where(choice < THICKEN_SHARE, thick, stack)
    stack = tf.where(choice > 1.0 - THIN_SHARE, thin, stack)
    blur_kernel = tf.constant(_GAUSSIAN_3X3[:, :, None, None], tf.float32)
    blurred = tf.nn.conv2d(stack, blur_kernel, strides=1, padding="SAME")
    blur_choice = tf.random.stateless_uniform(
        [count, 1, 1, 1], tf.random.experimental.stateless_fold_in(seed, 100)
    )
    stack = tf.where(blur_choice < BLUR_SHARE, blurred, stack)
    noise_level = tf.random.stateless_uniform(
        [count, 1, 1, 1], tf.random.experimental.stateless_fold_in(seed, 101), 0.0, MAX_NOISE
    )
    noise = tf.random.stateless_normal(tf.shape(stack), tf.random.experimental.stateless_fold_in(seed, 102))
    stack = tf.clip_by_value(stack + noise_level * noise, 0.0, 1.0)
    return stack[..., 0]


def training_dataset(images, labels, batch_size, epochs, seed):
    """Shuffled, augmented batches for all epochs, reproducible from `seed`."""
    import tensorflow as tf

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
        return augment_batch(batch_images, key), batch_labels

    # One vectorised map call per batch: parallel calls would gain nothing on two cores.
    return dataset.map(augment).prefetch(tf.data.AUTOTUNE)


def train(train_data, test_data, epochs, batch_size, seed, arch="mlp", verbose=1):
    """Train a model (`arch`: "mlp", the card's, or "cnn") on MNIST; return (model, report).

    train_data, test_data: (images uint8 (N, 28, 28), labels uint8 (N,)).
    report: history per epoch, epoch seconds, total seconds, test loss and accuracy.
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
    history = model.fit(
        training_dataset(x_fit, y_fit, batch_size, epochs, seed),
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
        paths["curves"]: training_curves(history).savefig,
    }, committed)
