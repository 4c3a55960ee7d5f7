"""Native libraries: keeping their chatter off stderr, and C's allocator tuned for our arrays."""

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


# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
# Arrays up to this size come from the heap, not from mmap, so their memory can be reused:
# the largest threshold 64-bit glibc accepts, above a working-size photo's arrays (4 MB).
_MMAP_THRESHOLD_BYTES = 32 * 2**20
# Up to this much freed memory stays in the heap: room for one photo's temporaries.
_TRIM_THRESHOLD_BYTES = 64 * 2**20


def keep_freed_memory():
    """Have glibc's malloc keep the memory of freed arrays for the next ones (Linux only).

    Preprocessing a photo makes dozens of temporaries of megabytes each. By default glibc
    gives each back to the kernel when it is freed, and the next one's pages are faulted in
    anew: a thousand page faults per photo, an eighth of a worker's CPU. Kept, the same
    memory serves photo after photo. Peak memory is unchanged, but a worker that waits keeps
    what its largest photo needed (up to _TRIM_THRESHOLD_BYTES more than it would hold).
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes  # absent from some Python builds
        mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # absent from musl
    except (ImportError, OSError):
        return
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)
        mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES)
