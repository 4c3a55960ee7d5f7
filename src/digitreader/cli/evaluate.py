"""`digitreader evaluate` (and evaluate.py): accuracy, per digit and confusions of models on
a labelled folder (digits or numbers) or on the MNIST test set, with figures."""

import contextlib
import json
import sys
import tempfile
from pathlib import Path

from ..data import DataError, load_mnist, resolve_mnist_path
from ..model import DEFAULT_MODEL_PATH, ModelFileError, check_model_file
from . import Progress, positive_int

DESCRIPTION = (
    "Evaluate models on a labelled folder of images (single digits or whole numbers) or on the "
    "MNIST test set: accuracy, digits right, missing and extra, accuracy per digit, confusion "
    "matrix, and figures of the confusion matrix and of the misread images.")
# Outside the repository by default: with --mnist the misread grid shows MNIST images, which
# must never be written into it.
DEFAULT_OUTPUT_DIR = Path(tempfile.gettempdir()) / "digitreader-evaluation"
MAX_SKIPPED_LISTED = 10


def add_arguments(parser):
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("folder", nargs="?", type=Path, metavar="DIR",
                        help="folder of images, searched with its sub-folders; each image's label "
                        "is the name of its folder when that is digits (7/, 2026/), else the "
                        "digits its file name starts with (3_kitchen.jpg, 2026_note.jpg)")
    source.add_argument("--mnist", action="store_true", help="evaluate on the MNIST test set")
    parser.add_argument("--data", type=Path, metavar="PATH",
                        help="with --mnist: a local MNIST .npz (default $MNIST_NPZ, else Keras' "
                        "download)")
    parser.add_argument("--model", type=Path, action="append", metavar="PATH",
                        help="Keras model file (default: the shipped mnist_mlp.keras); repeat to "
                        "compare models")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object with all results and nothing else on stdout")
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR, metavar="DIR",
                        help=f"where the figures go (default {DEFAULT_OUTPUT_DIR}); with several "
                        "models their names start with the model's file name")
    parser.add_argument("--limit", type=positive_int, metavar="N",
                        help="evaluate only N images, spread evenly over the set")


def shown_path(path):
    """`path` relative to the current folder when it lies inside it: shorter to read."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def load_samples(args):
    """(samples, unreadable [(path, reason)], unlabelled [paths]); raises ValueError/DataError."""
    from ..evaluation import labelled_files, mnist_samples, read_folder, spread

    if args.mnist:
        local_path = resolve_mnist_path(args.data)
        # Keras prints its download progress on stdout, which --json keeps for the results.
        with contextlib.redirect_stdout(sys.stderr):
            _, (images, labels) = load_mnist(local_path)
        return mnist_samples(images, labels, args.limit), [], []
    if not args.folder.is_dir():
        raise ValueError(f"not a folder: {args.folder}")
    labelled, unlabelled = labelled_files(args.folder)
    if not labelled:
        raise ValueError(f"no labelled images in {args.folder}: put them in folders named by "
                         "their digits (7/) or start their names with them (3_kitchen.jpg)")
    progress = Progress("reading images")
    samples, unreadable = read_folder(spread(labelled, args.limit), progress)
    progress.close()
    return samples, unreadable, unlabelled


def run(args, parser):
    if args.data and not args.mnist:
        parser.error("--data goes with --mnist")
    models = args.model or [shown_path(DEFAULT_MODEL_PATH)]
    try:
        for path in models:
            check_model_file(path)
        samples, unreadable, unlabelled = load_samples(args)
    except (ModelFileError, DataError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if unlabelled:
        listed = ", ".join(str(path) for path in unlabelled[:MAX_SKIPPED_LISTED])
        hidden = len(unlabelled) - MAX_SKIPPED_LISTED
        more = f" and {hidden} more" if hidden > 0 else ""
        print(f"note: skipped {len(unlabelled)} file{'s' * (len(unlabelled) != 1)} with no label "
              f"(not in a folder named by digits, name not starting with digits): {listed}{more}",
              file=sys.stderr)
    if not samples:
        for path, reason in unreadable:
            print(f"error: {path}: {reason}", file=sys.stderr)
        print(f"error: none of the {len(unreadable)} labelled files could be read", file=sys.stderr)
        return 1

    from ..classify import load_classifier
    from ..evaluation import (comparison_text, evaluate, figure_prefixes, json_record, plural,
                              report_text, write_figures)

    if not args.json:
        source = "the MNIST test set" if args.mnist else args.folder
        unread = f"; {plural(len(unreadable), 'unreadable file')}, listed at the end" \
            if unreadable else ""
        print(f"evaluating {len(samples)} images from {source}{unread}\n")
    results, records, failures = [], [], 0
    for model_path, prefix in zip(models, figure_prefixes(models)):
        try:
            classifier = load_classifier(model_path)
        except ModelFileError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        result = evaluate(classifier, samples, unreadable)
        results.append(result)
        try:
            figures = write_figures(result, args.output_dir, prefix)
        except (OSError, ValueError) as error:
            print(f"error: cannot write the figures into {args.output_dir}: {error}",
                  file=sys.stderr)
            figures, failures = None, failures + 1
        records.append(json_record(result, figures))
        if not args.json:
            print(report_text(result))
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
