"""Classifying 28x28 digits: a model file, loaded once, called on batches."""

import numpy as np

from .model import load_model
from .preprocess import MNIST_SIZE


class Classifier:
    """A digit model ready to read: call it on float32 (N, 28, 28) in [0, 1] (white digits on
    black) to get float64 (N, 10) probabilities, each row summing to 1.

    path: the model file it was loaded from.
    """

    def __init__(self, path, model):
        self.path = path
        self._model = model

    def __call__(self, images):
        batch = np.asarray(images, dtype=np.float32).reshape(-1, MNIST_SIZE, MNIST_SIZE)
        if len(batch) == 0:
            return np.zeros((0, 10))
        # Calling the model directly skips predict()'s per-call set-up, which dominates for
        # a few images.
        return np.asarray(self._model(batch, training=False), dtype=np.float64)


def load_classifier(path):
    """The Classifier of a `.keras` model file (Keras' safe mode on). Raises ModelFileError."""
    return Classifier(path, load_model(path))
