"""Read handwritten digits and numbers from photos: print them and show what the model saw.

    python main.py samples/3_shadow.jpg
"""

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from digitreader.model import DEFAULT_MODEL_PATH, ModelFileError, check_model_file  # noqa: E402
from digitreader.preprocess import ImageError, normalize_digits, read_photo  # noqa: E402
from digitreader.predict import describe_number, number_json_record  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Read the handwritten digit (or number) in each photo: prints the digit, "
        "its confidence and the next two candidates (for a number: its digits, left to right, "
        "each with its confidence), and shows the photo, the 28x28 images the model saw and "
        "the probabilities.",
    )
    parser.add_argument("images", nargs="+", metavar="IMAGE",
                        help="photo or scan of a handwritten digit or number (PNG, JPEG, ...)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, metavar="PATH",
                        help="Keras model file to use (default models/mnist_mlp.keras)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object per image (file, number, and per digit its "
                        "box, digit, confidence, probabilities; for a single digit also digit, "
                        "confidence, probabilities) and nothing else on stdout; opens no window")
    parser.add_argument("--no-show", action="store_true", help="do not open a figure window")
    parser.add_argument("--steps", action="store_true",
                        help="also show the preprocessing steps: the ink mask and the box "
                        "chosen as the digit")
    parser.add_argument("--save-figure", type=Path, metavar="PATH",
                        help="save the figure to PATH (with several images: PATH-<image name> "
                        "per image); the format follows the suffix, e.g. .png or .pdf")
    return parser.parse_args(argv)


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


def main(argv=None):
    args = parse_args(argv)
    try:
        check_model_file(args.model)
    except ModelFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    failures = 0
    readable = []  # (path, [Preprocessed per digit, left to right], file pixels per photo pixel)
    for path in args.images:
        try:
            photo, scale = read_photo(path)
            readable.append((path, normalize_digits(photo), scale))
        except ImageError as error:
            print(f"error: {path}: {error}", file=sys.stderr)
            failures += 1
    if not readable:
        return 1

    from digitreader.model import load_model
    from digitreader.predict import predict_probabilities

    try:
        model = load_model(args.model)
    except ModelFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    # One batch for every digit of every image: the model's fixed cost is paid once.
    flat = predict_probabilities(model, [item.digit for _, digits, _ in readable for item in digits])
    ends = np.cumsum([len(digits) for _, digits, _ in readable])
    probabilities = np.split(flat, ends[:-1])
    for (path, digits, scale), rows in zip(readable, probabilities):
        if args.json:
            boxes = [[value * scale for value in item.box] for item in digits]
            print(json.dumps(number_json_record(path, rows, boxes)))
        else:
            print(describe_number(path, rows))

    show = not (args.json or args.no_show)
    if show and not display_available():
        if not args.save_figure:
            print("note: no display here, so no figure window can be shown; "
                  "use --save-figure FILE.png to save it (or --no-show)", file=sys.stderr)
        show = False
    if show or args.save_figure:
        failures += draw_figures(args, readable, probabilities, show)
    return 1 if failures else 0


def draw_figures(args, readable, probabilities, show):
    """Draw, save and/or show one figure per image; return how many could not be saved."""
    from matplotlib.figure import Figure

    from digitreader.atomic import write_atomic
    from digitreader.plots import draw_number, draw_prediction

    if show:
        import matplotlib.pyplot as plt
    paths = figure_paths(args.save_figure, [path for path, _, _ in readable]) if args.save_figure else []
    failures = 0
    for index, ((path, digits, _), rows) in enumerate(zip(readable, probabilities)):
        figure = plt.figure() if show else Figure()
        if len(digits) == 1:
            draw_prediction(figure, Path(path).name, digits[0], rows[0], steps=args.steps)
        else:
            draw_number(figure, Path(path).name, digits, rows, steps=args.steps)
        if paths:
            try:
                write_atomic(figure.savefig, paths[index])
            except (OSError, ValueError) as error:
                print(f"error: cannot save figure {paths[index]}: {error}", file=sys.stderr)
                failures += 1
    if show:
        plt.show()
    return failures


if __name__ == "__main__":
    sys.exit(main())
