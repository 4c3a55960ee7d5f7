"""Read handwritten digits and numbers from photos: print them and show what the model saw.

    python main.py samples/3_shadow.jpg

The same as `digitreader read`; see `python main.py --help`.
"""

import sys

from digitreader.cli import run_command

if __name__ == "__main__":
    sys.exit(run_command("read"))
