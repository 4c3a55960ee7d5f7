"""`digitreader read` (and main.py): read the digits in photos, print them, show what the
model saw.

Every photo is preprocessed before the model is loaded, so that bad input and `--help` answer
without paying seconds for TensorFlow; then all digits of all photos are classified at once.
"""

import argparse
import json
import os
import sys
from pathlib import Path

from ..model import DEFAULT_MODEL_PATH, ModelFileError, check_model_file
from ..preprocess import ImageError
from . import Progress

DESCRIPTION = (
    "Read the handwritten digit (or number) in each photo: prints the digit, its confidence "
    "and the next two candidates (for a number: its digits, left to right, each with its "
    "confidence), and shows the photo, the 28x28 images the model saw and the probabilities.")


def savable_figure_path(text):
    """argparse type: a file name whose suffix is a format matplotlib saves figures in."""
    from matplotlib.figure import Figure  # only when the flag is given: it costs a moment

    # PGF is left out: saving it needs a LaTeX installation.
    suffixes = sorted(f".{name}" for name in Figure().canvas.get_supported_filetypes()
                      if name != "pgf")
    path = Path(text)
    if path.suffix.lower() not in suffixes:
        raise argparse.ArgumentTypeError(
            f"must end in a figure format's suffix: {', '.join(suffixes)}")
    return path


def add_arguments(parser):
    parser.add_argument("images", nargs="+", metavar="IMAGE",
                        help="photo or scan of a handwritten digit or number (PNG, JPEG, ...)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, metavar="PATH",
                        help="Keras model file to use (default: the shipped mnist_mlp.keras)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object per image (file, number, sure, and per "
                        "digit its box, digit, confidence, probabilities; for a single digit "
                        "also digit, confidence, probabilities) and nothing else on stdout; "
                        "opens no window")
    parser.add_argument("--no-show", action="store_true", help="do not open a figure window")
    parser.add_argument("--steps", action="store_true",
                        help="also show the preprocessing steps: the ink taken for the digits")
    parser.add_argument("--save-figure", type=savable_figure_path, metavar="PATH",
                        help="save the figure to PATH (with several images: PATH-<image name> "
                        "per image); the format follows the suffix, e.g. .png or .pdf")


def run(args, parser):
    from ..reading import preprocess_files

    try:
        check_model_file(args.model)
    except ModelFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    # Known before reading, so that only figures keep the photos they draw.
    wants_window = not (args.json or args.no_show)
    show = wants_window and display_available()
    failures = 0
    named_pages = []
    progress = Progress("reading images")
    preprocessed = preprocess_files(args.images, keep_photos=show or bool(args.save_figure),
                                    progress=progress)
    progress.close()
    for path, page in preprocessed:
        if isinstance(page, ImageError):
            print(f"error: {path}: {page}", file=sys.stderr)
            failures += 1
        else:
            named_pages.append((path, page))
    if not named_pages:
        return 1

    from ..classify import load_classifier
    from ..reading import read_pages

    try:
        classifier = load_classifier(args.model)
    except ModelFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    readings = read_pages(named_pages, classifier)
    for reading in readings:
        print(json.dumps(reading.record()) if args.json else reading.line())
    if wants_window and not show and not args.save_figure:
        print("note: no display here, so no figure window can be shown; "
              "use --save-figure FILE.png to save it (or --no-show)", file=sys.stderr)
    if show or args.save_figure:
        failures += draw_figures(readings, args.save_figure, args.steps, show)
    return 1 if failures else 0


def figure_paths(save_path, image_paths):
    """One figure file per image: PATH itself for one image, PATH-<image stem> for several."""
    if len(image_paths) == 1:
        return [save_path]
    paths, used = [], set()
    for image_path in image_paths:
        candidate = save_path.with_name(f"{save_path.stem}-{Path(image_path).stem}{save_path.suffix}")
        number = 2
        while candidate in used:
            candidate = save_path.with_name(
                f"{save_path.stem}-{Path(image_path).stem}-{number}{save_path.suffix}")
            number += 1
        used.add(candidate)
        paths.append(candidate)
    return paths


def display_available():
    """Whether matplotlib can open a window here (a display and an interactive backend)."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return False
    import matplotlib.pyplot as plt
    from matplotlib.backends import BackendFilter, backend_registry

    interactive = backend_registry.list_builtin(BackendFilter.INTERACTIVE)
    return plt.get_backend().lower() in {name.lower() for name in interactive}


def draw_figures(readings, save_path, steps, show):
    """Draw, save and/or show one figure per reading; return how many could not be saved."""
    from matplotlib.figure import Figure

    from ..atomic import write_atomic
    from ..figures import reading_figure

    if show:
        import matplotlib.pyplot as plt
    paths = figure_paths(save_path, [reading.name for reading in readings]) if save_path else []
    failures = 0
    for index, reading in enumerate(readings):
        figure = plt.figure() if show else Figure()
        reading_figure(figure, reading, steps=steps)
        if paths:
            try:
                write_atomic(figure.savefig, paths[index])
            except (OSError, ValueError) as error:
                print(f"error: cannot save figure {paths[index]}: {error}", file=sys.stderr)
                failures += 1
    if show:
        plt.show()
    return failures

