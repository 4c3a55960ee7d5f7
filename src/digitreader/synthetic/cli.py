"""The command line of digitreader.synthetic: write generated photos, or the sample photos.

    python -m digitreader.synthetic digits OUTDIR [--count N] [--seed S] [--data PATH]
    python -m digitreader.synthetic numbers OUTDIR [--count N] [--seed S] [--data PATH]
    python -m digitreader.synthetic hard OUTDIR [--count N] [--seed S] [--kinds K,...]
                                     [--data PATH]
    python -m digitreader.synthetic nondigits OUTDIR [--count N] [--seed S]
    python -m digitreader.synthetic samples [OUTDIR]

`digits`, `numbers` and `hard` draw MNIST test images, so they refuse to write into a git working
tree (this repository or any other): MNIST images must never be committed. `nondigits` (photos
of letters, symbols, scribbles, smileys, shapes and stains: no digit in them) and `samples` draw
no MNIST; samples/make_samples.py runs `samples` to write the repository's samples/ folder.
"""

import argparse
import sys
from pathlib import Path

from ..data import MNIST_ENV, DataError, load_mnist
from .hard_photos import HARD_KINDS, iter_hard
from .mnist_photos import DEFAULT_SEED, generate
from .nondigits import KINDS as NONDIGIT_KINDS, generate_nondigit_photos
from .numbers import iter_numbers
from .sample_photos import render_samples

DEFAULT_COUNT = 100


class CommandError(Exception):
    """What the user asked cannot be done; the message says why."""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m digitreader.synthetic",
        description="Write synthetic photos of handwriting: MNIST test digits or numbers "
        "rendered as phone photos (outside the repository), marks that are not digits, or the "
        "repository's sample photos.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    digits = commands.add_parser(
        "digits", help="single MNIST test digits as photos, for evaluate.py",
        description="Write photo-like renderings of MNIST test digits, named "
        "<label>_<index>_<variant>.jpg (or .png), for evaluate.py.")
    _mnist_arguments(digits, "photos (default 100, at most 10,000: one per MNIST test image)")
    numbers = commands.add_parser(
        "numbers", help="numbers of 2-6 MNIST test digits side by side, as photos",
        description="Write photos of numbers of 2-6 MNIST test digits written side by side, "
        "named <number>_<index>.jpg, for main.py.")
    _mnist_arguments(numbers, "photos (default 100)")
    hard = commands.add_parser(
        "hard", help="the kinds of real input the reader finds hard, from MNIST test digits",
        description="Write photos of the hard kinds (" + ", ".join(HARD_KINDS) + "), the "
        "kinds in turn, named <label>_<index>_<kind>.jpg (or .png), for evaluate.py.")
    _mnist_arguments(hard, "photos (default 100)")
    hard.add_argument("--kinds", type=_kinds, default=HARD_KINDS, metavar="K,...",
                      help="comma-separated kinds to draw, in turn (default all)")
    nondigits = commands.add_parser(
        "nondigits", help="photos of marks that are not digits (no MNIST)",
        description="Write photos of one non-digit mark each (" + ", ".join(NONDIGIT_KINDS)
        + "), the kinds in turn, named x_<index>_<kind>.jpg (or .png): the x says no digit.")
    _output_count_seed(nondigits, "folder to write into", "photos (default 100)")
    samples = commands.add_parser(
        "samples", help="the sample photos drawn from hand-designed pen paths (no MNIST)",
        description="Render the sample photos (hand-designed pen paths, not MNIST); the same "
        "bytes every run.")
    samples.add_argument("output", type=Path, metavar="OUTDIR", help="folder to write into")
    return parser.parse_args(argv)


def _kinds(text):
    kinds = tuple(text.split(","))
    unknown = [kind for kind in kinds if kind not in HARD_KINDS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown kind {unknown[0]!r}; choose from "
                                         + ", ".join(HARD_KINDS))
    return kinds


def _output_count_seed(parser, output_help, count_help):
    parser.add_argument("output", type=Path, metavar="OUTDIR", help=output_help)
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, metavar="N", help=count_help)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S",
                        help=f"same seed, same photos (default {DEFAULT_SEED})")


def _mnist_arguments(parser, count_help):
    _output_count_seed(parser, "folder to write into; must not be in a git working tree",
                       count_help)
    parser.add_argument("--data", type=Path, metavar="PATH",
                        help=f"MNIST .npz (default ${MNIST_ENV}, else Keras downloads MNIST)")


def main(argv=None):
    args = parse_args(argv)
    try:
        if args.command == "samples":
            write_samples(args.output)
        elif args.command == "nondigits":
            write_nondigits(args.output, args.count, args.seed)
            print(f"wrote {args.count} photos to {args.output}")
        else:
            output, images, labels = _prepare_mnist_output(args)
            if args.command == "digits":
                write_digits(output, images, labels, args.count, args.seed)
            elif args.command == "hard":
                write_hard(output, images, labels, args.count, args.seed, args.kinds)
            else:
                write_numbers(output, images, labels, args.count, args.seed)
            print(f"wrote {args.count} photos to {args.output}")
    except CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _prepare_mnist_output(args):
    """(output folder, resolved; MNIST test images; labels), or CommandError."""
    output = args.output.resolve()
    repository = next((folder for folder in (output, *output.parents)
                       if (folder / ".git").exists()), None)
    if repository:
        raise CommandError(f"{args.output} is inside the repository {repository}; MNIST images "
                           "must never be written into one")
    try:
        _, (images, labels) = load_mnist(args.data)
    except DataError as error:
        raise CommandError(str(error)) from None
    if args.command == "digits" and not 1 <= args.count <= len(images):
        raise CommandError(f"--count must be between 1 and {len(images)}")  # one photo an image
    if args.count < 1:
        raise CommandError("--count must be at least 1")
    output.mkdir(parents=True, exist_ok=True)
    return output, images, labels


def _index_width(count):
    """Digits of the largest index, so that the files sort in order."""
    return len(str(count - 1))


def write_digits(output, images, labels, count, seed):
    """Write `count` single-digit photos as <label>_<index>_<variant>.jpg (or .png)."""
    _write_named(output, count, generate(images, labels, count, seed))


def write_hard(output, images, labels, count, seed, kinds=HARD_KINDS):
    """Write `count` photos of the hard kinds as <label>_<index>_<kind>.jpg (or .png)."""
    _write_named(output, count, iter_hard(images, labels, count, seed, kinds))


def _write_named(output, count, photos):
    """Write (bytes, label, variant or kind) photos as <label>_<index>_<variant>.<format>."""
    width = _index_width(count)
    for index, (photo, label, variant) in enumerate(photos):
        suffix = ".png" if photo.startswith(b"\x89PNG") else ".jpg"
        (output / f"{label}_{index:0{width}d}_{variant}{suffix}").write_bytes(photo)


def write_nondigits(output, count, seed):
    """Write `count` photos of non-digits as x_<index>_<kind>.jpg (or .png). They hold no
    MNIST, so any folder will do (one that is a file, or cannot be made, is refused)."""
    if count < 1:
        raise CommandError("--count must be at least 1")
    if output.exists() and not output.is_dir():
        raise CommandError(f"{output} is a file, not a folder")
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(f"cannot write into {output}: {error.strerror or error}") from None
    _write_named(output, count, ((photo, "x", kind)
                                 for photo, kind in generate_nondigit_photos(count, seed)))


def write_numbers(output, images, labels, count, seed):
    """Write `count` photos of numbers as <number>_<index>.jpg."""
    width = _index_width(count)
    for index, number in enumerate(iter_numbers(images, labels, count, seed)):
        (output / f"{number.number}_{index:0{width}d}.jpg").write_bytes(number.photo)


def write_samples(output):
    """Write the sample photos into `output`, saying each one's size."""
    output.mkdir(parents=True, exist_ok=True)
    for name, image, data in render_samples():
        (output / name).write_bytes(data)
        print(f"{name}: {image.shape[1]}x{image.shape[0]}, {len(data) // 1024} KB")
