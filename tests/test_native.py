"""Native libraries: C's allocator in the preprocessing workers."""

import subprocess
import sys

import pytest

from digitreader import native

# Preprocesses make-believe photos of several sizes, as a worker does (temporaries of a few
# megabytes, each freed in turn); prints the page faults the later ones took.
FAULTS_OF_TEMPORARIES = """
import resource, sys
import numpy as np
from digitreader.native import keep_freed_memory
if sys.argv[1] == "kept":
    keep_freed_memory()
def photo(side):
    gray = np.ones((side, side), np.float32)
    ink = gray * 2
    mask = np.ones((side // 2, side), np.uint8)
    return float((ink + gray)[0, 0] + mask[0, 0])
photo(1024)  # the largest photo's pages are faulted in either way
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for side in [1024, 700, 1024, 512, 900, 1024, 300, 1024] * 5:
    photo(side)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator, Linux only")
def test_kept_memory_serves_the_next_arrays_without_page_faults():
    faults = {mode: int(subprocess.run([sys.executable, "-c", FAULTS_OF_TEMPORARIES, mode],
                                       capture_output=True, text=True, check=True).stdout)
              for mode in ("default", "kept")}
    assert faults["default"] > 10000, faults  # given back and faulted in, photo after photo
    assert faults["kept"] < faults["default"] / 10, faults


def test_elsewhere_the_allocator_is_left_alone(monkeypatch):
    def no_c_library(*args):
        raise AssertionError("C's library was opened")

    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr("ctypes.CDLL", no_c_library)
    native.keep_freed_memory()
