"""The model of the design card, and loading and saving it safely.

Keras is imported inside the functions: `check_model_file` and the constants here are used
on paths (argument checks, bad input) that must not pay seconds for importing TensorFlow.
"""

import importlib.util
import os
import zipfile
from pathlib import Path

from .native import native_stderr_silenced

IMAGE_SIZE = 28
NUM_CLASSES = 10
HIDDEN_UNITS = 128
TF_LOG_LEVEL = "TF_CPP_MIN_LOG_LEVEL"  # 0 logs all, 3 only fatal errors


def shipped_models_folder():
    """Where the shipped models are: inside the installed package (a wheel carries the
    repository's models/ as digitreader/models/), else the repository's models/ (a checkout
    or an editable install). Neither depends on the current directory."""
    packaged = Path(__file__).resolve().parent / "models"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "models"


DEFAULT_MODEL_PATH = shipped_models_folder() / "mnist_mlp.keras"


# Reading runs LiteRT exports; training, exporting and Keras models without an export need this.
TRAINING_EXTRA = "pip install '.[train]' in the project's folder (or pip install tensorflow)"


class ModelFileError(Exception):
    """The model file is missing or is not a Keras model."""


class TensorFlowMissing(Exception):
    """What was asked needs TensorFlow, which is not installed; the message says what to do."""


def require_tensorflow(purpose):
    """Raise TensorFlowMissing unless TensorFlow is installed, before anything is done.

    purpose: what needs it, to start the message ("training", "reading model.keras ...").
    """
    try:
        found = importlib.util.find_spec("tensorflow") is not None
    except ImportError:  # a finder that refuses it, or a broken install
        found = False
    if not found:
        raise TensorFlowMissing(f"{purpose} needs TensorFlow, which is not installed here: "
                                f"{TRAINING_EXTRA}")


def import_keras():
    """Import Keras (and TensorFlow) without their start-up noise; return the module."""
    # TensorFlow's C++ logs while it runs, too (node_def_util's "use_unbounded_threadpool"
    # on every training run): its level 3 keeps them off stderr, where the user sees them.
    # Read once, when TensorFlow loads; a level the user set is kept.
    if not os.environ.get(TF_LOG_LEVEL):
        os.environ[TF_LOG_LEVEL] = "3"
    with native_stderr_silenced():
        import keras
        import tensorflow as tf

        tf.config.list_physical_devices()  # the CUDA probe logs here, so do it silenced
    return keras


def build_mlp():
    """The card's network: 28x28 -> Flatten -> Dense(128) -> Dense(128) -> Dense(10) softmax.

    Input: float32 (N, 28, 28) in [0, 1], white digit on black. Output: (N, 10) probabilities.
    """
    keras = import_keras()
    return keras.Sequential(
        [
            keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE)),
            keras.layers.Flatten(),
            keras.layers.Dense(HIDDEN_UNITS, activation="relu"),
            keras.layers.Dense(HIDDEN_UNITS, activation="relu"),
            keras.layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="mnist_mlp",
    )


def build_cnn():
    """A small convnet for `--arch cnn`: same input and output as build_mlp.

    Two blocks of two 3x3 convolutions and a 2x2 max-pool, then a dense layer; dropout
    against overfitting. Input: float32 (N, 28, 28) in [0, 1]. Output: (N, 10) probabilities.
    """
    keras = import_keras()
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE)),
            layers.Reshape((IMAGE_SIZE, IMAGE_SIZE, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dropout(0.3),
            layers.Dense(HIDDEN_UNITS, activation="relu"),
            layers.Dropout(0.3),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="mnist_cnn",
    )


ARCHITECTURES = {"mlp": build_mlp, "cnn": build_cnn}
MODEL_PATHS = {arch: DEFAULT_MODEL_PATH.with_name(f"mnist_{arch}.keras") for arch in ARCHITECTURES}


def companion_paths(model_path):
    """The files that belong with a model file: its JSON record (how it was trained, and its
    export), its training curves and its LiteRT export."""
    model_path = Path(model_path)
    return {"record": model_path.with_suffix(".json"),
            "curves": model_path.with_name(model_path.stem + "_curves.png"),
            "litert": model_path.with_suffix(".tflite")}


def compile_model(model, learning_rate):
    """Adam + sparse categorical cross-entropy + accuracy; `learning_rate` may be a schedule."""
    keras = import_keras()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def check_model_file(path):
    """Raise ModelFileError unless `path` looks like a `.keras` file; needs no TensorFlow.

    A `.keras` file is a zip archive holding config.json; checking that first gives a clear
    message for a wrong path before paying seconds to import TensorFlow.
    """
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"model file not found: {path}")
    if not path.is_file():
        raise ModelFileError(f"model path is not a file: {path}")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"not a Keras model file (.keras zip archive): {path}")
    with zipfile.ZipFile(path) as archive:
        if "config.json" not in archive.namelist():
            raise ModelFileError(f"not a Keras model file (no config.json inside): {path}")


def load_model(path):
    """Load a `.keras` model with Keras' safe mode on (no arbitrary code from the file)."""
    check_model_file(path)
    keras = import_keras()
    try:
        with native_stderr_silenced():
            return keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # Keras raises many types for a damaged or foreign file
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelFileError(f"cannot load Keras model {path}: {message}") from None

