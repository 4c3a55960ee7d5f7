"""Classifying 28x28 digits: a model file, loaded once and checked, called on batches."""

import numpy as np

from .model import NUM_CLASSES, ModelFileError, load_model
from .preprocess import MNIST_SIZE

# The input shapes a digit model may take: the 28x28 itself, with a channel axis, or flat.
DIGIT_INPUTS = ((MNIST_SIZE, MNIST_SIZE), (MNIST_SIZE, MNIST_SIZE, 1), (MNIST_SIZE * MNIST_SIZE,))


class Classifier:
    """A digit model ready to read: call it on float32 (N, 28, 28) in [0, 1] (white digits on
    black) to get float64 (N, 10) probabilities, each row summing to 1.

    path: the model file it was loaded from; input_shape: what the model takes per image.
    """

    def __init__(self, path, model, input_shape=(MNIST_SIZE, MNIST_SIZE)):
        self.path = path
        self._model = model
        self._input_shape = tuple(input_shape)

    def __call__(self, images):
        batch = np.asarray(images, dtype=np.float32).reshape((-1, *self._input_shape))
        if len(batch) == 0:
            return np.zeros((0, NUM_CLASSES))
        # Calling the model directly skips predict()'s per-call set-up, which dominates for
        # a few images.
        return np.asarray(self._model(batch, training=False), dtype=np.float64)


def load_classifier(path):
    """The Classifier of a `.keras` model file (Keras' safe mode on).

    Raises ModelFileError when the file is not a Keras model, or is one that does not read
    digits: it must take one 28x28 image per row and give ten probabilities.
    """
    model = load_model(path)
    why = digit_model_problem(model)
    if why:
        raise ModelFileError(f"{path} is a Keras model, but not a digit model: {why}")
    classifier = Classifier(path, model, model.input_shape[1:])
    rows = classifier(np.zeros((2, MNIST_SIZE, MNIST_SIZE), np.float32))
    if not (np.all(rows >= 0) and np.allclose(rows.sum(axis=1), 1, atol=1e-3)):
        raise ModelFileError(f"{path} is a Keras model, but not a digit model: its ten outputs "
                             "are not probabilities (it must end in a softmax)")
    return classifier


def digit_model_problem(model):
    """Why a Keras model cannot read digits, or None when it can."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        return f"it has {len(model.inputs)} inputs and {len(model.outputs)} outputs, not one each"
    inputs, outputs = tuple(model.input_shape[1:]), tuple(model.output_shape[1:])
    if inputs not in DIGIT_INPUTS:
        return f"it takes inputs of shape {inputs}, not 28x28 images"
    if outputs != (NUM_CLASSES,):
        return f"it gives outputs of shape {outputs}, not {NUM_CLASSES} digit probabilities"
    return None
