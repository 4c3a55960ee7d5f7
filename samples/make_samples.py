"""Render the sample photos in this folder: the same as `python -m digitreader.synthetic samples`.

    python samples/make_samples.py [OUTDIR]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from digitreader.synthetic.cli import main  # noqa: E402

sys.exit(main(["samples", *sys.argv[1:]]))
