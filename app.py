"""Draw a digit in the browser and watch the model read it: serves the drawing pad locally.

    python app.py                 then open the address it prints
    python app.py --port 8080 --model models/mnist_cnn.keras

The same as `digitreader serve`.
"""

import sys

from digitreader.cli import run_command

if __name__ == "__main__":
    sys.exit(run_command("serve"))
