"""Loading MNIST: from a local `.npz` when one is given, else Keras' download."""

import hashlib
import os
import zipfile
from pathlib import Path

import numpy as np

from .model import IMAGE_SIZE, NUM_CLASSES, TensorFlowMissing, import_keras, require_tensorflow

# Environment variable naming a local copy of MNIST, for machines that are offline.
MNIST_ENV = "MNIST_NPZ"
MNIST_ARRAYS = ("x_train", "y_train", "x_test", "y_test")


class DataError(Exception):
    """The data file is missing or is not an MNIST `.npz`."""


def resolve_mnist_path(path=None):
    """The local MNIST file to use: `path`, else $MNIST_NPZ, else None (download)."""
    chosen = path or os.environ.get(MNIST_ENV) or None
    return Path(chosen) if chosen else None


def load_mnist(path=None):
    """Return ((x_train, y_train), (x_test, y_test)).

    Images are (N, 28, 28) uint8 in 0..255, white digit on black; labels (N,) whole numbers
    0..9 (uint8 in Keras' file). `path` (or $MNIST_NPZ) names an `.npz` with the arrays of
    Keras' mnist.npz; it is read without pickle, and anything else in it (a text file, other
    shapes or types, labels beyond 0..9, no images) raises DataError. With neither, Keras
    downloads MNIST to its cache (needs internet).
    """
    path = resolve_mnist_path(path)
    if path is None:
        try:
            require_tensorflow(f"downloading MNIST (without --data PATH or ${MNIST_ENV})")
        except TensorFlowMissing as error:
            raise DataError(str(error)) from None
        try:
            return import_keras().datasets.mnist.load_data()
        except Exception as error:  # no network, a proxy, a full disk: all end the same way
            raise DataError(f"cannot download MNIST ({type(error).__name__}: {error}); "
                            f"give a local copy with --data PATH or ${MNIST_ENV}") from None
    if not path.is_file():
        raise DataError(f"MNIST file not found: {path}")
    # np.load takes anything that is neither zip nor .npy for a pickle, and says so, which
    # misleads about a text file; and a .npy would not hold the four arrays.
    if not zipfile.is_zipfile(path):
        raise DataError(f"{path} is not an .npz (zip) file")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [name for name in MNIST_ARRAYS if name not in npz.files]
            if missing:
                raise DataError(f"{path} is not an MNIST .npz: it lacks {', '.join(missing)}")
            x_train, y_train, x_test, y_test = (npz[name] for name in MNIST_ARRAYS)
    except DataError:
        raise
    except Exception as error:  # a damaged archive, object arrays: np.load raises many types
        raise DataError(f"cannot read {path} as an .npz file: {error}") from None
    check_split(path, "x_train", x_train, "y_train", y_train)
    check_split(path, "x_test", x_test, "y_test", y_test)
    return (x_train, y_train), (x_test, y_test)


def check_split(path, images_name, images, labels_name, labels):
    """Raise DataError unless images and labels are MNIST's: checked here, because training
    would otherwise fail deep inside TensorFlow, or quietly learn nothing from float pixels."""
    if images.dtype != np.uint8:
        raise DataError(f"{path}: {images_name} must be uint8 pixels 0..255, not {images.dtype}")
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise DataError(f"{path}: {images_name} must have shape (N, {IMAGE_SIZE}, {IMAGE_SIZE}), "
                        f"not {images.shape}")
    if len(images) == 0:
        raise DataError(f"{path}: {images_name} holds no images")
    if labels.ndim != 1:
        raise DataError(f"{path}: {labels_name} must have shape (N,), one label per image, "
                        f"not {labels.shape}")
    if len(labels) != len(images):
        raise DataError(f"{path}: {images_name} has {len(images)} images but {labels_name} has "
                        f"{len(labels)} labels")
    if not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"{path}: {labels_name} must be whole numbers 0..9, not {labels.dtype}")
    outside = labels[(labels < 0) | (labels >= NUM_CLASSES)]
    if len(outside):
        raise DataError(f"{path}: {labels_name} holds labels outside 0..9, such as {outside[0]} "
                        f"({len(outside)} of {len(labels)})")


def file_sha256(path):
    """Hex SHA-256 of a file, read in chunks so large files do not fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
