"""Measure how well a model reads a labelled set of images: accuracy, digits, confusions.

    python evaluate.py photos/      # labels: folder names (7/, 2026/), else the name's digits
    python evaluate.py --mnist      # the 10,000 MNIST test images
    python evaluate.py --mnist --model a.keras --model b.keras      # compare models

The same as `digitreader evaluate`; see `python evaluate.py --help`.
"""

import sys

from digitreader.cli import run_command

if __name__ == "__main__":
    sys.exit(run_command("evaluate"))
