"""Measure how well a model reads a labelled set of images: accuracy, per digit, confusions.

    python evaluate.py photos/      # true digit: folder 0/ ... 9/, else the name's first digit
    python evaluate.py --mnist      # the 10,000 MNIST test images
    python evaluate.py --mnist --model a.keras --model b.keras      # compare models

Prints the accuracy, the accuracy per digit and the confusion matrix, and writes two figures
into --output-dir: the confusion matrix, and a grid of the misread images with the 28x28 the
model saw.
"""

import argparse
import contextlib
import json
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from digitreader.data import MNIST_ENV, DataError, load_mnist, resolve_mnist_path  # noqa: E402
from digitreader.model import (  # noqa: E402
    DEFAULT_MODEL_PATH, NUM_CLASSES, ModelFileError, check_model_file, import_keras, load_model,
)
from digitreader.predict import predict_probabilities  # noqa: E402
from digitreader.preprocess import ImageError, preprocess_file, read_image  # noqa: E402

DIGIT_NAMES = "0123456789"
LABELLED_NAME = re.compile(r"([0-9])(?![0-9])")
# Outside the repository by default: with --mnist the misread grid shows MNIST images, which
# must never be written into it.
DEFAULT_OUTPUT_DIR = Path(tempfile.gettempdir()) / "digitreader-evaluation"
BATCH_SIZE = 1024  # images per model call: bounds memory on large sets
MAX_MISREAD_SHOWN = 48
THUMBNAIL_SIDE = 160  # photos in the misread grid are read this small
MAX_CAPTION_NAME = 22  # characters of a file name under its photo in the grid
# Off a terminal (a log, CI) the progress counter prints a line every this many files.
PROGRESS_EVERY = 500
MAX_SKIPPED_LISTED = 10


@dataclass
class Sample:
    """One labelled image, as the model will see it.

    name: the file's path, or x_test[i] for MNIST; digit: float32 (28, 28) in [0, 1];
    path, box, photo_size: for photos only, to show them again in the misread grid
    (box (x, y, w, h) is in the pixels of a photo of photo_size (h, w)).
    """

    name: str
    label: int
    digit: np.ndarray
    path: Path = None
    box: tuple = None
    photo_size: tuple = None


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Evaluate models on a labelled folder of images or on the MNIST test set: "
        "accuracy, accuracy per digit, confusion matrix, and figures of the confusion matrix "
        "and of the misread images.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("folder", nargs="?", type=Path, metavar="DIR",
                        help="folder of images, searched with its sub-folders; each image's true "
                        "digit is the name of its folder (0/ ... 9/), else the digit its file name "
                        "starts with (3_kitchen.jpg)")
    source.add_argument("--mnist", action="store_true", help="evaluate on the MNIST test set")
    parser.add_argument("--data", type=Path, metavar="PATH",
                        help="with --mnist: a local MNIST .npz (default $MNIST_NPZ, else Keras' "
                        "download)")
    parser.add_argument("--model", type=Path, action="append", metavar="PATH",
                        help="Keras model file (default models/mnist_mlp.keras); repeat to "
                        "compare models")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object with all results and nothing else on stdout")
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR, metavar="DIR",
                        help=f"where the figures go (default {DEFAULT_OUTPUT_DIR}); with several "
                        "models their names start with the model's file name")
    parser.add_argument("--limit", type=positive_int, metavar="N",
                        help="evaluate only N images, spread evenly over the set")
    args = parser.parse_args(argv)
    if args.data and not args.mnist:
        parser.error("--data goes with --mnist")
    args.model = args.model or [shown_path(DEFAULT_MODEL_PATH)]
    return args


def shown_path(path):
    """`path` relative to the current folder when it lies inside it: shorter to read."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def plural(count, noun):
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def file_label(relative_path):
    """The digit a file shows, or None: the nearest folder named 0 ... 9, else the digit its
    name starts with (3_kitchen.jpg, 3.png). relative_path: relative to the set's folder.
    """
    # The folder wins: files sorted into digit folders are often numbered (1.jpg, 2.jpg, ...).
    for folder in reversed(relative_path.parent.parts):
        if len(folder) == 1 and folder in DIGIT_NAMES:
            return int(folder)
    # One digit, not more: 2026_note.jpg is a number and 20240105_0932.jpg a camera's date.
    match = LABELLED_NAME.match(relative_path.name)
    return int(match.group(1)) if match else None


def labelled_files(folder):
    """([(path, label)], [paths without a label]) for the files under `folder`, sorted.

    Hidden files and folders (.DS_Store, .git) are not images of the set and are ignored.
    """
    labelled, unlabelled = [], []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        label = file_label(relative)
        if label is None:
            unlabelled.append(path)
        else:
            labelled.append((path, label))
    return labelled, unlabelled


def spread(items, limit):
    """At most `limit` of `items`, evenly spaced, so every folder and digit stays represented."""
    if limit is None or limit >= len(items):
        return items
    return [items[index] for index in np.linspace(0, len(items) - 1, limit).round().astype(int)]


class Progress:
    """A one-line counter on stderr: rewritten in place on a terminal, else a line now and then."""

    def __init__(self, total, what):
        self.total, self.what = total, what
        self.live = sys.stderr.isatty()

    def update(self, done):
        if self.live:
            print(f"\r{self.what} {done}/{self.total}", end="", file=sys.stderr, flush=True)
        elif done % PROGRESS_EVERY == 0 and done < self.total:
            print(f"{self.what} {done}/{self.total}", file=sys.stderr, flush=True)

    def close(self):
        if self.live:
            print("\r\033[K", end="", file=sys.stderr, flush=True)  # clear the counter's line


def read_folder(files):
    """Preprocess labelled files. Returns ([Sample], [(path, reason)] for unreadable files)."""
    samples, unreadable = [], []
    progress = Progress(len(files), "reading images")
    for done, (path, label) in enumerate(files, start=1):
        try:
            item = preprocess_file(path)
            samples.append(Sample(str(path), label, item.digit, path, item.box,
                                  item.photo.shape[:2]))
        except ImageError as error:
            unreadable.append((path, str(error)))
        progress.update(done)
    progress.close()
    return samples, unreadable


def read_mnist(data_path, limit):
    """The MNIST test images as Samples: already 28x28, white on black, so not preprocessed.

    Without a local file (--data, $MNIST_NPZ), Keras downloads MNIST. Raises DataError.
    """
    local_path = resolve_mnist_path(data_path)
    if local_path is None:
        import_keras()  # imported with its start-up noise silenced, before load_mnist does
    try:
        # Keras prints its download progress on stdout, which --json keeps for the results.
        with contextlib.redirect_stdout(sys.stderr):
            _, (images, labels) = load_mnist(local_path)
    except DataError:
        raise
    except Exception as error:  # Keras' download: no network, a server error, a full disk
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(f"cannot download MNIST ({reason}); pass --data PATH or set "
                        f"{MNIST_ENV} to a local mnist.npz") from None
    chosen = spread(list(range(len(images))), limit)
    return [Sample(f"x_test[{index}]", int(labels[index]), images[index].astype(np.float32) / 255)
            for index in chosen]


class Result:
    """One model's results on the samples."""

    def __init__(self, model_path, probabilities, labels):
        self.model_path = model_path
        self.probabilities = probabilities  # (N, 10)
        self.labels = labels  # (N,)
        self.predicted = probabilities.argmax(axis=1)
        self.correct = int((self.predicted == labels).sum())
        self.accuracy = self.correct / len(labels)

    def confusion_matrix(self):
        """int (10, 10): rows the true digit, columns the predicted one."""
        matrix = np.zeros((NUM_CLASSES, NUM_CLASSES), int)
        np.add.at(matrix, (self.labels, self.predicted), 1)
        return matrix

    def misread(self):
        """Indices of the misread samples, the most confident mistakes first."""
        wrong = np.nonzero(self.predicted != self.labels)[0]
        confidence = self.probabilities[wrong, self.predicted[wrong]]
        return wrong[np.argsort(-confidence, kind="stable")]


def evaluate(model, samples):
    """The model's probabilities for the samples, computed in batches."""
    digits = np.stack([sample.digit for sample in samples])
    return np.concatenate([predict_probabilities(model, digits[start:start + BATCH_SIZE])
                           for start in range(0, len(digits), BATCH_SIZE)])


def figure_prefixes(model_paths):
    """The figures' file-name prefix per model: none for one model, else its stem (made unique)."""
    if len(model_paths) == 1:
        return [""]
    prefixes = []
    for path in model_paths:
        prefix, number = f"{path.stem}_", 2
        while prefix in prefixes:
            prefix, number = f"{path.stem}-{number}_", number + 1
        prefixes.append(prefix)
    return prefixes


def write_figures(result, samples, output_dir, prefix):
    """Write the confusion matrix and misread grid; returns their paths. Raises OSError."""
    from digitreader.atomic import write_atomic
    from digitreader.plots import confusion_matrix_figure, misread_figure

    name = result.model_path.name
    matrix_path = output_dir / f"{prefix}confusion_matrix.png"
    title = f"{name}: {result.accuracy:.2%} of {len(samples)} images read right"
    write_atomic(confusion_matrix_figure(result.confusion_matrix(), title).savefig, matrix_path)

    misread = result.misread()
    shown = misread[:MAX_MISREAD_SHOWN]
    cells = [misread_cell(samples[index], result.predicted[index],
                          result.probabilities[index, result.predicted[index]]) for index in shown]
    title = f"{name}: {len(misread)} misread" + (
        f", the {len(shown)} most confident shown" if len(shown) < len(misread) else "")
    misread_path = output_dir / f"{prefix}misread.png"
    write_atomic(misread_figure(cells, title).savefig, misread_path)
    return {"confusion_matrix": str(matrix_path), "misread": str(misread_path)}


def misread_cell(sample, predicted, confidence):
    """(caption, photo or None, box or None, digit) for plots.misread_figure."""
    caption = f"{sample.label}→{predicted} ({confidence:.0%})"
    if sample.path is None:
        return f"{sample.name}\n{caption}", None, None, sample.digit
    name = sample.path.name
    if len(name) > MAX_CAPTION_NAME:
        name = name[:MAX_CAPTION_NAME - 1] + "…"
    try:
        photo = read_image(sample.path, max_side=THUMBNAIL_SIDE)
    except ImageError:  # changed or removed since it was read: show the 28x28 alone
        return f"{name}\n{caption}", None, None, sample.digit
    scale = photo.shape[0] / sample.photo_size[0]
    return f"{name}\n{caption}", photo, tuple(value * scale for value in sample.box), sample.digit


def report_text(result, unreadable_count):
    """The human-readable report of one model's results."""
    labels, matrix = result.labels, result.confusion_matrix()
    lines = [f"model: {result.model_path}",
             f"accuracy: {result.accuracy:.2%} ({result.correct} of {len(labels)} images)"]
    if unreadable_count:
        total = len(labels) + unreadable_count
        which = "the unreadable file counts" if unreadable_count == 1 else \
            f"the {unreadable_count} unreadable files count"
        lines.append(f"          {result.correct / total:.2%} ({result.correct} of {total}) if "
                     f"{which} as misread")
    lines += ["", "digit  images  accuracy"]
    for digit in range(NUM_CLASSES):
        count = matrix[digit].sum()
        accuracy = f"{matrix[digit, digit] / count:8.2%}" if count else "       -"
        lines.append(f"{digit:>5}  {count:>6}  {accuracy}")
    width = max(4, len(str(matrix.max())) + 1)
    lines += ["", "confusion matrix (rows: true digit, columns: predicted digit)",
              "true " + "".join(f"{digit:>{width}}" for digit in range(NUM_CLASSES))]
    for digit in range(NUM_CLASSES):
        lines.append(f"{digit:>4} " + "".join(f"{count:>{width}}" for count in matrix[digit]))
    return "\n".join(lines)


def comparison_text(results):
    width = max(len(str(result.model_path)) for result in results)
    lines = ["comparison", f"{'model':<{width}}  accuracy  misread"]
    lines += [f"{str(result.model_path):<{width}}  {result.accuracy:8.2%}  "
              f"{len(result.labels) - result.correct:>7}" for result in results]
    return "\n".join(lines)


def json_record(result, samples, figures):
    matrix = result.confusion_matrix()
    confidence = result.probabilities.max(axis=1)
    return {
        "model": str(result.model_path),
        "images": len(samples),
        "correct": result.correct,
        "accuracy": round(result.accuracy, 6),
        "per_digit": [{"digit": digit, "images": int(matrix[digit].sum()),
                       "accuracy": round(matrix[digit, digit] / matrix[digit].sum(), 6)
                       if matrix[digit].sum() else None} for digit in range(NUM_CLASSES)],
        "confusion_matrix": matrix.tolist(),
        "misread": [{"image": samples[index].name, "true": samples[index].label,
                     "predicted": int(result.predicted[index]),
                     "confidence": round(float(confidence[index]), 6)}
                    for index in result.misread()],
        "figures": figures,
    }


def load_samples(args):
    """(samples, unreadable [(path, reason)], unlabelled [paths]); raises ValueError/DataError."""
    if args.mnist:
        return read_mnist(args.data, args.limit), [], []
    if not args.folder.is_dir():
        raise ValueError(f"not a folder: {args.folder}")
    labelled, unlabelled = labelled_files(args.folder)
    if not labelled:
        raise ValueError(f"no labelled images in {args.folder}: put them in folders 0/ ... 9/ "
                         "or start their names with the digit (3_kitchen.jpg)")
    samples, unreadable = read_folder(spread(labelled, args.limit))
    return samples, unreadable, unlabelled


def main(argv=None):
    args = parse_args(argv)
    try:
        for path in args.model:
            check_model_file(path)
        samples, unreadable, unlabelled = load_samples(args)
    except (ModelFileError, DataError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if unlabelled:
        listed = ", ".join(str(path) for path in unlabelled[:MAX_SKIPPED_LISTED])
        hidden = len(unlabelled) - MAX_SKIPPED_LISTED
        more = f" and {hidden} more" if hidden > 0 else ""
        print(f"note: skipped {plural(len(unlabelled), 'file')} with no label (not in a folder "
              f"0/ ... 9/, name not starting with one digit): {listed}{more}", file=sys.stderr)
    if not samples:
        for path, reason in unreadable:
            print(f"error: {path}: {reason}", file=sys.stderr)
        print(f"error: none of the {plural(len(unreadable), 'labelled file')} could be read",
              file=sys.stderr)
        return 1

    labels = np.array([sample.label for sample in samples])
    if not args.json:
        source = "the MNIST test set" if args.mnist else args.folder
        unread = f"; {plural(len(unreadable), 'unreadable file')}, listed at the end" \
            if unreadable else ""
        print(f"evaluating {len(samples)} images from {source}{unread}\n")
    results, records, failures = [], [], 0
    for model_path, prefix in zip(args.model, figure_prefixes(args.model)):
        try:
            model = load_model(model_path)
        except ModelFileError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        result = Result(model_path, evaluate(model, samples), labels)
        results.append(result)
        try:
            figures = write_figures(result, samples, args.output_dir, prefix)
        except (OSError, ValueError) as error:
            print(f"error: cannot write the figures into {args.output_dir}: {error}",
                  file=sys.stderr)
            figures, failures = None, failures + 1
        records.append(json_record(result, samples, figures))
        if not args.json:
            print(report_text(result, len(unreadable)))
            if figures:
                print(f"figures: {figures['confusion_matrix']}, {figures['misread']}")
            print()

    if args.json:
        print(json.dumps({
            "source": "mnist test set" if args.mnist else str(args.folder),
            "unreadable": [{"file": str(path), "error": reason} for path, reason in unreadable],
            "unlabelled": [str(path) for path in unlabelled],
            "models": records,
        }))
    else:
        if unreadable:
            print(f"unreadable files ({len(unreadable)}):")
            print("\n".join(f"  {path}: {reason}" for path, reason in unreadable))
        if len(results) > 1:
            print(comparison_text(results))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
