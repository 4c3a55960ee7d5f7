"""Train the card's MLP (or a small convnet) on MNIST and save it, with its training record,
under models/.

    python build_model.py --data ../shared/data/mnist.npz
    python build_model.py --epochs 5

The same as `digitreader train`; see `python build_model.py --help`.
"""

import sys

from digitreader.cli import run_command

if __name__ == "__main__":
    sys.exit(run_command("train"))
