"""`digitreader export`: make the LiteRT export of a `.keras` model, so that reading it needs
no TensorFlow. build_model.py does this for every model it trains."""

import sys
from pathlib import Path

from ..data import MNIST_ENV, DataError, load_mnist
from ..model import (ModelFileError, TensorFlowMissing, check_model_file, companion_paths,
                     require_tensorflow)

DESCRIPTION = (
    "Export a Keras digit model to LiteRT (MODEL.tflite beside it) and record both files' "
    "SHA-256 in its JSON record, after checking on the MNIST test set that the export reads "
    "every image as the model does. Reading then runs the export, without TensorFlow.")


def add_arguments(parser):
    parser.add_argument("model", type=Path, metavar="MODEL", help="the .keras model file")
    parser.add_argument("--data", metavar="PATH",
                        help=f"MNIST .npz for the check (default ${MNIST_ENV}, else Keras "
                        "downloads MNIST)")


def run(args, parser):
    try:
        require_tensorflow("exporting a model")
        check_model_file(args.model)
        _, (images, _) = load_mnist(args.data)
    except (TensorFlowMissing, ModelFileError, DataError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    from ..atomic import write_files_atomically
    from ..data import file_sha256
    from ..export import ExportError, export_record, litert_flatbuffer, updated_record
    from ..model import load_model

    try:
        model = load_model(args.model)
        flatbuffer, largest = litert_flatbuffer(model, images.astype("float32") / 255)
    except (ModelFileError, ExportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    paths = companion_paths(args.model)
    export = export_record(paths["litert"].name, file_sha256(args.model), flatbuffer, largest,
                           len(images))
    record = updated_record(paths["record"], export)
    write_files_atomically({paths["litert"]: lambda path: Path(path).write_bytes(flatbuffer),
                            paths["record"]: lambda path: Path(path).write_text(record)})
    print(f"wrote {paths['litert']} ({len(flatbuffer) // 1024} KB): the same digit as the model "
          f"on all {len(images)} MNIST test images, probabilities within {largest:.1g}")
    return 0
