"""`digitreader train` (and build_model.py): train the card's MLP (or a small convnet) on MNIST
and save it, with its training record and curves."""

import argparse
import sys
from pathlib import Path

from ..atomic import check_writable
from ..data import MNIST_ENV, DataError, load_mnist, resolve_mnist_path
from ..model import MODEL_PATHS, TensorFlowMissing, companion_paths, require_tensorflow
from . import positive_int

DESCRIPTION = (
    "Train the digit recognizer (Flatten -> Dense 128 -> Dense 128 -> Dense 10, or a small "
    "convnet) on MNIST and save it atomically, with a JSON record and a PNG of the training "
    "curves.")
DEFAULT_EPOCHS = {"mlp": 60, "cnn": 15}  # the convnet learns more per epoch, at many times the cost
DEFAULT_BATCH_SIZE = 128
DEFAULT_SEED = 1
INTERRUPTED = "interrupted: no model was written; any model already there is unchanged"


def keras_path(text):
    """argparse type: where a model goes, a file name ending in .keras."""
    path = Path(text)
    if path.suffix != ".keras":
        raise argparse.ArgumentTypeError("must end in .keras (Keras' model file format)")
    return path


def add_arguments(parser):
    parser.add_argument("--epochs", type=positive_int,
                        help=f"passes over the training set (default: {DEFAULT_EPOCHS['mlp']} "
                        f"for mlp, {DEFAULT_EPOCHS['cnn']} for cnn)")
    parser.add_argument("--batch-size", type=positive_int, default=DEFAULT_BATCH_SIZE,
                        help=f"images per training step (default {DEFAULT_BATCH_SIZE})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed: same seed, same data, same model (default {DEFAULT_SEED})")
    parser.add_argument("--data", metavar="PATH",
                        help=f"MNIST .npz (x_train, y_train, x_test, y_test); default ${MNIST_ENV}, "
                        "else Keras downloads MNIST")
    parser.add_argument("--arch", choices=sorted(MODEL_PATHS), default="mlp",
                        help="mlp: the design card's Flatten-Dense-Dense-Dense network (default); "
                        "cnn: a small convnet, more accurate, about 25x slower to train")
    parser.add_argument("--no-outlier-exposure", dest="outlier_exposure", action="store_false",
                        help="train on digits only, without generated non-digits taught towards "
                        "uniform probabilities (outlier exposure, the default)")
    parser.add_argument("--output", metavar="PATH", type=keras_path,
                        help="where to write the .keras model; its LiteRT export (.tflite), the .json "
                        "record and _curves.png go beside it (default models/mnist_<arch>.keras)")


def run(args, parser):
    saved = []  # the new model's files, listed the moment they replace the old ones
    try:
        return train_and_save(args, saved)
    except KeyboardInterrupt:
        if saved:
            print(f"\ninterrupted after the new model was saved: {file_names(saved)}",
                  file=sys.stderr)
        else:
            print(f"\n{INTERRUPTED}", file=sys.stderr)
        return 130


def file_names(paths):
    return ", ".join(path.name for path in paths)


def train_and_save(args, saved):
    """Check the output and the data, train, and save; `saved` receives the files written."""
    output = args.output or MODEL_PATHS[args.arch]
    epochs = args.epochs or DEFAULT_EPOCHS[args.arch]
    data_path = resolve_mnist_path(args.data)
    try:
        check_writable(output, *companion_paths(output).values())
    except OSError as error:
        print(f"error: cannot write {output}: {error}", file=sys.stderr)
        return 1
    try:
        require_tensorflow("training")
        train_data, test_data = load_mnist(data_path)
    except (TensorFlowMissing, DataError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    from ..export import ExportError
    from ..train import MIN_TRAINING_IMAGES, save_trained, to_model_input, train, training_record

    if len(train_data[1]) < MIN_TRAINING_IMAGES:
        print(f"error: {data_path}: x_train must hold at least {MIN_TRAINING_IMAGES} images, "
              "one to learn from and one held out for validation", file=sys.stderr)
        return 1
    model, report = train(train_data, test_data, epochs, args.batch_size, args.seed, args.arch,
                          outlier_exposure=args.outlier_exposure)
    print(f"test accuracy {report['test_accuracy']:.4f}, test loss {report['test_loss']:.4f} "
          f"({len(test_data[1])} MNIST test images; trained in {report['train_seconds']:.0f} s)")
    record = training_record(report, args.arch, epochs, args.batch_size, args.seed, data_path)
    try:
        save_trained(model, record, report["history"], output, to_model_input(test_data[0]),
                     committed=saved.extend)
    except (OSError, ExportError) as error:  # a full disk, a folder changed, a bad export
        print(f"error: cannot save {output}: {error}; any model already there is unchanged",
              file=sys.stderr)
        return 1
    print(f"saved {file_names(saved)}")
    return 0
