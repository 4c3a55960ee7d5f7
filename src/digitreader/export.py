"""Exporting a Keras model to LiteRT, so that reading needs no TensorFlow.

The `.keras` file stays the model; its export is a LiteRT flatbuffer beside it, made with
Keras' own `model.export(..., format="litert")`, and accepted only when it gives the same
digit as the model on every check image and probabilities within MAX_DIFFERENCE. The model's
JSON record then names the export and the SHA-256 of both files (classify.litert_export).
"""

import hashlib
import json
import tempfile
from pathlib import Path

import numpy as np

from .atomic import interrupts_deferred
from .classify import LiteRTClassifier
from .model import import_keras
from .native import native_stderr_silenced

MAX_DIFFERENCE = 1e-5  # largest allowed difference of any probability, export vs model
BATCH_SIZE = 1000


class ExportError(Exception):
    """The export does not give what the model gives."""


def litert_flatbuffer(model, check_images):
    """Export `model` to LiteRT and check it on `check_images` (float32 (N, 28, 28) in
    [0, 1]); returns (flatbuffer bytes, the largest probability difference).

    Raises ExportError when a check image reads as another digit or a probability differs
    by more than MAX_DIFFERENCE.
    """
    import_keras()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.tflite"  # Keras insists on the suffix
        # TensorFlow's converter logs dozens of lines, and a Ctrl-C inside its C++ is lost or
        # surfaces as a pybind11 RuntimeError: it is delivered once the export is done.
        with native_stderr_silenced(), interrupts_deferred():
            model.export(str(path), format="litert", verbose=False)
        flatbuffer = path.read_bytes()
    exported = LiteRTClassifier(None, flatbuffer)
    largest, disagreements = 0.0, 0
    for start in range(0, len(check_images), BATCH_SIZE):
        batch = np.asarray(check_images[start:start + BATCH_SIZE], np.float32)
        expected = np.asarray(model(batch, training=False), np.float64)
        got = exported(batch)
        largest = max(largest, float(np.abs(expected - got).max()))
        disagreements += int((expected.argmax(axis=1) != got.argmax(axis=1)).sum())
    if disagreements or largest > MAX_DIFFERENCE:
        raise ExportError(f"the LiteRT export reads {disagreements} of {len(check_images)} check "
                          f"images differently; probabilities differ by up to {largest:.2g} "
                          f"(at most {MAX_DIFFERENCE:g} allowed)")
    return flatbuffer, largest


def export_record(file_name, keras_sha256, flatbuffer, largest, checked):
    """What the model's JSON record says of its export (classify.litert_export reads it).

    file_name: the export's, beside the model; keras_sha256: the `.keras` file's as written
    (it ties the export to that file); largest: export_flatbuffer's; checked: how many images.
    """
    return {"file": file_name,
            "sha256": hashlib.sha256(flatbuffer).hexdigest(),
            "keras_sha256": keras_sha256,
            "checked_images": checked,
            "max_probability_difference": float(f"{largest:.3g}")}


def updated_record(record_path, export):
    """The JSON text of the record at `record_path` (if any) with its `litert` part replaced."""
    try:
        record = json.loads(Path(record_path).read_text())
    except (OSError, ValueError):
        record = {}
    record["litert"] = export
    return json.dumps(record, indent=2) + "\n"
