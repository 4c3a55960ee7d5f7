"""Keeping native libraries' chatter off stderr."""

import contextlib
import os
import sys


@contextlib.contextmanager
def native_stderr_silenced():
    """Send file descriptor 2 to /dev/null for the duration of the block.

    Native libraries write to it directly: TensorFlow's start-up logs (oneDNN, CUDA probing)
    ignore TF_CPP_MIN_LOG_LEVEL, and libpng prints its own line for a damaged PNG. Python
    exceptions still propagate, so our one-line messages say what went wrong instead.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
