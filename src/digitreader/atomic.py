"""Writing files so that readers never see a half-written one, nor half of a set of them."""

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path


def check_writable(*paths):
    """Raise OSError, saying why, unless files can be written at `paths`.

    None may be a folder, and each one's folder must exist or be creatable and take new files:
    tried by creating and removing a temporary file in the nearest folder that exists. Leaves
    nothing behind, so a long job can check where its results go before it starts.
    """
    for path in map(Path, paths):
        if path.is_dir():
            raise IsADirectoryError(f"{path} is a folder")
        folder = path.parent
        while not folder.exists():  # the folders missing below it would be created
            folder = folder.parent
        if not folder.is_dir():
            raise NotADirectoryError(f"{folder} is a file, not a folder")
        try:
            with tempfile.NamedTemporaryFile(prefix=".", suffix=".tmp", dir=folder):
                pass
        except OSError as error:
            raise OSError(f"{folder} does not take new files ({error.strerror})") from None


@contextlib.contextmanager
def interrupts_deferred():
    """Hold off Ctrl-C (SIGINT) until the block is done, then deliver it.

    Python runs signal handlers in the main thread only, so elsewhere nothing can interrupt
    the block and there is nothing to hold off.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        signal.raise_signal(signal.SIGINT)  # the restored handler acts: KeyboardInterrupt


def write_files_atomically(writers, committed=lambda paths: None):
    """Write a set of files so that, after any failure or Ctrl-C, they are all new or all old.

    writers: {destination path: write(path)}. Each `write` writes its file to a temporary
    path of the same name (Keras insists on `.keras`) in a hidden folder beside the
    destination, on the same file system. Only when every file is written are they renamed
    onto their destinations, with Ctrl-C held off; `committed(destinations)` is called then,
    still inside that section, so a caller can tell an interrupt after it from one before.
    If a `write` fails, is interrupted or writes no file at its path, the destinations are
    left as they were. The temporary folders, with anything a `write` left in them, are
    always removed.
    """
    destinations = [Path(path) for path in writers]
    check_writable(*destinations)
    staged = []
    try:
        for destination, write in zip(destinations, writers.values()):
            destination.parent.mkdir(parents=True, exist_ok=True)
            with interrupts_deferred():  # a folder made must be on the list that removes it
                folder = tempfile.mkdtemp(prefix=f".{destination.name}-", dir=destination.parent)
                staged.append(Path(folder) / destination.name)
            write(str(staged[-1]))
            if not staged[-1].is_file():
                raise OSError(f"nothing was written to {destination}")
        with interrupts_deferred():
            for temporary, destination in zip(staged, destinations):
                os.replace(temporary, destination)
            committed(destinations)
    finally:
        with interrupts_deferred():
            for temporary in staged:
                shutil.rmtree(temporary.parent, ignore_errors=True)


def write_atomic(write, path):
    """Call `write(temporary_path)`, then rename the result onto `path` (a set of one)."""
    write_files_atomically({path: write})
