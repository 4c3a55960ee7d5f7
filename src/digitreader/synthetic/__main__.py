"""python -m digitreader.synthetic: see cli.py."""

import sys

from .cli import main

sys.exit(main())
