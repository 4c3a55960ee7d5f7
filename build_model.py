"""Train the card's MLP (or a small convnet) on MNIST and save it, with its training record,
under models/.

    python build_model.py --data ../shared/data/mnist.npz
"""

import argparse
import datetime
import json
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from digitreader.atomic import write_atomic  # noqa: E402
from digitreader.data import MNIST_ENV, DataError, file_sha256, load_mnist, resolve_mnist_path  # noqa: E402
from digitreader.model import MODEL_PATHS  # noqa: E402

DEFAULT_EPOCHS = {"mlp": 30, "cnn": 15}  # the convnet learns more per epoch, at 25x the cost
DEFAULT_BATCH_SIZE = 128
DEFAULT_SEED = 1


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Train the digit recognizer (Flatten -> Dense 128 -> Dense 128 -> Dense 10, "
        "or a small convnet) on MNIST and save it atomically, with a JSON record and a PNG of "
        "the training curves.",
    )
    parser.add_argument("--epochs", type=int,
                        help="passes over the training set (default: 30 for mlp, 15 for cnn)")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                        help=f"images per training step (default {DEFAULT_BATCH_SIZE})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed: same seed, same data, same model (default {DEFAULT_SEED})")
    parser.add_argument("--data", metavar="PATH",
                        help=f"MNIST .npz (x_train, y_train, x_test, y_test); default ${MNIST_ENV}, "
                        "else Keras downloads MNIST")
    parser.add_argument("--arch", choices=sorted(MODEL_PATHS), default="mlp",
                        help="mlp: the design card's Flatten-Dense-Dense-Dense network (default); "
                        "cnn: a small convnet, more accurate, about 25x slower to train")
    parser.add_argument("--output", metavar="PATH", type=Path,
                        help="where to write the .keras model; the .json record and "
                        "_curves.png go beside it (default models/mnist_<arch>.keras)")
    args = parser.parse_args(argv)
    args.output = args.output or MODEL_PATHS[args.arch]
    if args.epochs is None:
        args.epochs = DEFAULT_EPOCHS[args.arch]
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    if args.output.suffix != ".keras":
        parser.error("--output must end in .keras (Keras' model file format)")
    if args.output.is_dir():
        parser.error(f"--output {args.output} is a directory; give a file name ending in .keras")
    return args


def record_paths(model_path):
    """The training record and curves that sit beside a model file."""
    return model_path.with_suffix(".json"), model_path.with_name(model_path.stem + "_curves.png")


def main(argv=None):
    args = parse_args(argv)
    data_path = resolve_mnist_path(args.data)
    try:
        train_data, test_data = load_mnist(data_path)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    from digitreader.plots import training_curves
    from digitreader.train import train

    model, report = train(train_data, test_data, args.epochs, args.batch_size, args.seed, args.arch)
    print(f"test accuracy {report['test_accuracy']:.4f}, test loss {report['test_loss']:.4f} "
          f"({len(test_data[1])} MNIST test images; trained in {report['train_seconds']:.0f} s)")

    import keras
    import tensorflow as tf

    record = {
        "test_accuracy": round(report["test_accuracy"], 5),
        "test_loss": round(report["test_loss"], 5),
        "arch": args.arch,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "seed": args.seed,
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
    record_path, curves_path = record_paths(args.output)
    write_atomic(model.save, args.output)
    write_atomic(lambda path: Path(path).write_text(json.dumps(record, indent=2) + "\n"), record_path)
    write_atomic(training_curves(report["history"]).savefig, curves_path)
    print(f"saved {args.output}, {record_path.name}, {curves_path.name}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: no model was written; any model already there is unchanged",
              file=sys.stderr)
        sys.exit(130)
