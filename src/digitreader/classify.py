"""Classifying 28x28 digits: a model file, loaded once and checked, called on batches.

A `.keras` file is the model. When its LiteRT export lies beside it and belongs to it (the
model's JSON record names both files' SHA-256), the export is run with the LiteRT interpreter
instead: the same probabilities (checked when it was made) in milliseconds, without importing
TensorFlow (seconds and 650 MB). Any other `.keras` is loaded with Keras, in safe mode.
"""

import hashlib
import json
import queue
import threading
from pathlib import Path

import numpy as np

from .data import file_sha256
from .model import (NUM_CLASSES, ModelFileError, TensorFlowMissing, check_model_file,
                    companion_paths, load_model, require_tensorflow)
from .native import native_stderr_silenced
from .preprocess import MNIST_SIZE

# The input shapes a digit model may take: the 28x28 itself, with a channel axis, or flat.
DIGIT_INPUTS = ((MNIST_SIZE, MNIST_SIZE), (MNIST_SIZE, MNIST_SIZE, 1), (MNIST_SIZE * MNIST_SIZE,))


class Classifier:
    """A digit model ready to read: call it on float32 (N, 28, 28) in [0, 1] (white digits on
    black) to get float64 (N, 10) probabilities, each row summing to 1.

    path: the `.keras` file asked for; runtime: "litert" or "keras", what runs it.
    """

    runtime = None

    def __init__(self, path, input_shape):
        self.path = path
        self.input_shape = tuple(input_shape)

    def __call__(self, images):
        batch = np.asarray(images, dtype=np.float32).reshape((-1, *self.input_shape))
        if len(batch) == 0:
            return np.zeros((0, NUM_CLASSES))
        return np.asarray(self._probabilities(batch), dtype=np.float64)

    def prepare_for(self, calls):
        """Be ready to be called from `calls` threads at once, before they call."""


class KerasClassifier(Classifier):
    runtime = "keras"

    def __init__(self, path, model):
        super().__init__(path, model.input_shape[1:])
        self._model = model
        # One Keras model is not meant to be called from several threads at once.
        self._lock = threading.Lock()

    def _probabilities(self, batch):
        # Calling the model directly skips predict()'s per-call set-up, which dominates for
        # a few images.
        with self._lock:
            return self._model(batch, training=False)


class LiteRTClassifier(Classifier):
    """Runs a LiteRT flatbuffer. One interpreter must not serve two calls at once, so each
    call takes a free one, or makes one (a fraction of a millisecond) when all are busy, and
    gives it back: callers on many threads share as many interpreters as ever ran at once.
    Making one swaps the process's stderr: a server makes those of all its threads first
    (prepare_for), so that what its other threads print while it serves is never lost."""

    runtime = "litert"

    def __init__(self, path, flatbuffer):
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter_class = Interpreter
        self._flatbuffer = flatbuffer
        self._free = queue.SimpleQueue()
        first = self._new_interpreter()
        self._free.put(first)
        super().__init__(path, first[0].get_input_details()[0]["shape_signature"][1:])

    def prepare_for(self, calls):
        for _ in range(calls - self._free.qsize()):  # none is in use yet
            self._free.put(self._new_interpreter())

    def _new_interpreter(self):
        """(interpreter, input index, output index), its tensors allocated."""
        interpreter = self._interpreter_class(model_content=self._flatbuffer)
        with native_stderr_silenced():  # "INFO: Created TensorFlow Lite XNNPACK delegate"
            interpreter.allocate_tensors()
        return (interpreter, interpreter.get_input_details()[0]["index"],
                interpreter.get_output_details()[0]["index"])

    def _probabilities(self, batch):
        try:
            entry = self._free.get_nowait()
        except queue.Empty:
            entry = self._new_interpreter()
        interpreter, input_index, output_index = entry
        try:
            if tuple(interpreter.get_input_details()[0]["shape"]) != batch.shape:
                interpreter.resize_tensor_input(input_index, batch.shape)
                interpreter.allocate_tensors()
            interpreter.set_tensor(input_index, np.ascontiguousarray(batch))
            interpreter.invoke()
            return interpreter.get_tensor(output_index)  # a copy: the next call may overwrite
        finally:
            self._free.put(entry)


def litert_export(model_path):
    """The LiteRT flatbuffer (bytes) made from this very `.keras` file, or None.

    It belongs when the model's record names the export and the SHA-256 of both files, and
    both match: a retrained `.keras` beside an old export is not run from that export.
    """
    try:
        record = json.loads(companion_paths(model_path)["record"].read_text())
        export = record["litert"]
        flatbuffer = model_path.with_name(export["file"]).read_bytes()
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if hashlib.sha256(flatbuffer).hexdigest() != export.get("sha256") or \
            file_sha256(model_path) != export.get("keras_sha256"):
        return None
    return flatbuffer


def litert_available():
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return False
    return True


def load_classifier(path):
    """The Classifier of a `.keras` model file: its LiteRT export when that belongs to it,
    else the file itself with Keras (safe mode on).

    Raises ModelFileError when the file is not a Keras model, is one that does not read
    digits (it must take one 28x28 image per row and give ten probabilities), or needs
    TensorFlow where it is not installed.
    """
    path = Path(path)
    check_model_file(path)
    flatbuffer = litert_export(path) if litert_available() else None
    if flatbuffer is not None:
        try:
            return LiteRTClassifier(path, flatbuffer)
        except (ValueError, RuntimeError) as error:
            raise ModelFileError(f"cannot run the LiteRT export of {path}: {error}") from None
    try:
        require_tensorflow(f"reading {path} (it has no LiteRT export of its own beside it)")
    except TensorFlowMissing as error:
        raise ModelFileError(str(error)) from None
    model = load_model(path)
    why = digit_model_problem(model)
    if why:
        raise ModelFileError(f"{path} is a Keras model, but not a digit model: {why}")
    classifier = KerasClassifier(path, model)
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
