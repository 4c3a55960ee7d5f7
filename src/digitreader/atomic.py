"""Writing files so that readers never see a half-written one."""

import os
import tempfile
from pathlib import Path


def write_atomic(write, path):
    """Call `write(temporary_path)`, then rename the result onto `path`.

    The temporary file sits beside `path` (same file system, so the rename is atomic) and keeps
    its suffix (Keras insists on `.keras`). If `write` fails or is interrupted, the temporary
    file is removed and whatever was at `path` before is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(handle)
    os.chmod(temporary, 0o644)  # mkstemp's 0600 would make the result private to its writer
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
