"""The shipped models on the hard photos (digitreader.synthetic.hard_photos), kind by kind.

    python benchmarks/hard_photos.py [--per-kind 150] [--seed S] [--kinds KIND,...]
                                     [--model PATH ...] [--data PATH]

Renders the photos from MNIST test digits in memory (nothing is written), reads them as
main.py does with each model and prints, per kind, the share of photos whose whole label
(the digit, or every digit of the number) was read right, and how many had no digit found.
"""

import argparse
import time
from pathlib import Path

from digitreader.classify import load_classifier
from digitreader.data import MNIST_ENV, resolve_mnist_path
from digitreader.model import MODEL_PATHS
from digitreader.synthetic.hard_photos import HARD_KINDS
from digitreader.synthetic.measure import per_kind, read_hard_photos, reads_right, \
    unreadable_per_kind
from digitreader.synthetic.mnist_photos import DEFAULT_SEED


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-kind", type=int, default=150, metavar="N",
                        help="photos of each kind (default 150)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--kinds", default=",".join(HARD_KINDS),
                        help=f"comma-separated, of {', '.join(HARD_KINDS)}")
    parser.add_argument("--model", type=Path, action="append",
                        help="a .keras model (repeatable; default the shipped MLP and CNN)")
    parser.add_argument("--data", type=Path, help=f"MNIST .npz (default ${MNIST_ENV})")
    args = parser.parse_args()
    kinds = tuple(args.kinds.split(","))
    mnist = resolve_mnist_path(args.data)
    if mnist is None or not mnist.is_file():
        parser.error(f"no MNIST .npz at {mnist}: give --data PATH or ${MNIST_ENV}")
    models = args.model or list(MODEL_PATHS.values())
    start = time.perf_counter()
    photos = read_hard_photos(mnist, args.per_kind * len(kinds),
                              args.seed, kinds)
    print(f"rendered and preprocessed {len(photos)} photos in "
          f"{time.perf_counter() - start:.1f} s")
    results = {str(path): per_kind(photos, reads_right(load_classifier(path), photos))
               for path in models}
    unreadable = unreadable_per_kind(photos)
    print(f"{'kind':<18}" + "".join(f"{Path(path).stem:>16}" for path in results)
          + "  no digit found")
    for kind in kinds:
        cells = "".join(f"{right / total:>9.1%} {right:>3}/{total:<3}"
                        for right, total in (result[kind] for result in results.values()))
        print(f"{kind:<18}{cells}  {unreadable[kind]:>6}")


if __name__ == "__main__":
    main()
