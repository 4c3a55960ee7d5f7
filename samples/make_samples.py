"""Render the sample photos in this folder: `python -m digitreader.synthetic samples samples/`.

    python samples/make_samples.py
"""

import sys
from pathlib import Path

from digitreader.synthetic.cli import main

if __name__ == "__main__":
    sys.exit(main(["samples", str(Path(__file__).resolve().parent)]))
