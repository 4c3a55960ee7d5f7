"""Native libraries: keeping their chatter off stderr, and C's allocator tuned for our arrays."""

import contextlib
import ctypes
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


# glibc's mallopt parameters (malloc.h) and the largest mmap threshold it accepts on 64 bits.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_KEPT_ALLOCATION_BYTES = 32 * 2**20
_KEPT_FREE_BYTES = 64 * 2**20


def keep_freed_memory():
    """Have glibc's malloc keep the memory of freed arrays for the next ones (Linux only).

    Preprocessing a photo makes dozens of temporaries of megabytes each. By default glibc
    gives each back to the kernel when it is freed, and the next one's pages are faulted in
    anew: a thousand page faults per photo, an eighth of a worker's CPU. Kept, the same
    memory serves photo after photo (peak memory is unchanged: it is the largest photo's).
    """
    if not sys.platform.startswith("linux"):
        return
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is not None:  # musl has it too, as a no-op
        mallopt(_M_MMAP_THRESHOLD, _KEPT_ALLOCATION_BYTES)
        mallopt(_M_TRIM_THRESHOLD, _KEPT_FREE_BYTES)
