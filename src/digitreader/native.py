"""Keeping native libraries' chatter off stderr."""

import contextlib
import os
import sys
import threading

# File descriptor 2 belongs to the whole process: one thread at a time may swap it.
_SWAP = threading.RLock()


@contextlib.contextmanager
def native_stderr_silenced():
    """Send file descriptor 2 to /dev/null for the duration of the block.

    Native libraries write to it directly: TensorFlow's start-up logs (oneDNN, CUDA probing)
    ignore TF_CPP_MIN_LOG_LEVEL, LiteRT announces its CPU delegate, and libpng prints its own
    line for a damaged PNG. Python exceptions still propagate, so our one-line messages say
    what went wrong instead. Threads take turns: another thread's block waits, so that the
    swaps never tangle (what other threads print meanwhile is lost, as with any swap of fd 2).
    """
    with _SWAP:
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
