"""Loading MNIST: from a local `.npz` when one is given, else Keras' download."""

import hashlib
import os
from pathlib import Path

import numpy as np

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
    """Return ((x_train, y_train), (x_test, y_test)) as uint8 arrays.

    Images are (N, 28, 28) uint8 in 0..255, white digit on black; labels (N,) uint8 0..9.
    `path` (or $MNIST_NPZ) names an `.npz` with the arrays of Keras' mnist.npz; it is read
    without pickle. With neither, Keras downloads MNIST to its cache (needs internet).
    """
    path = resolve_mnist_path(path)
    if path is None:
        from .model import TensorFlowMissing, import_keras, require_tensorflow

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
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [name for name in MNIST_ARRAYS if name not in npz.files]
            if missing:
                raise DataError(f"{path} is not an MNIST .npz: it lacks {', '.join(missing)}")
            x_train, y_train, x_test, y_test = (npz[name] for name in MNIST_ARRAYS)
    except DataError:
        raise
    except Exception as error:  # np.load raises several types for a file that is not .npz
        raise DataError(f"cannot read {path} as an .npz file: {error}") from None
    for images, labels in ((x_train, y_train), (x_test, y_test)):
        if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) != len(labels):
            raise DataError(f"{path}: expected images of shape (N, 28, 28) with N labels")
    return (x_train, y_train), (x_test, y_test)


def file_sha256(path):
    """Hex SHA-256 of a file, read in chunks so large files do not fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
