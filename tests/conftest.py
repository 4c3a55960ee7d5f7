"""Shared fixtures: where the repository, its CLIs and MNIST are."""

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
# CI and developers keep MNIST beside the repository; $MNIST_NPZ can point elsewhere.
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist.npz"
# Real handwriting by other people, beside the repository too (never copied into it).
SHARED_REAL = ROOT.parent / "shared" / "data" / "real"


def mnist_path():
    path = Path(os.environ.get("MNIST_NPZ") or SHARED_MNIST)
    if not path.is_file():
        # Failing, not skipping: these tests must run wherever the suite runs, CI included.
        pytest.fail(f"MNIST not found at {path}; set MNIST_NPZ or put it in ../shared/data/")
    return path


def real_folder(name):
    """A folder of the real set ($DIGITREADER_REAL or ../shared/data/real): digits, numbers."""
    path = Path(os.environ.get("DIGITREADER_REAL") or SHARED_REAL) / name
    if not path.is_dir():
        pytest.fail(f"the real handwriting is not at {path}; set DIGITREADER_REAL or put it "
                    "in ../shared/data/real/")
    return path


@pytest.fixture(scope="session")
def mnist_file():
    return mnist_path()


@pytest.fixture(scope="session")
def mnist_test_set(mnist_file):
    with np.load(mnist_file, allow_pickle=False) as data:
        return data["x_test"], data["y_test"]


def sample_images():
    """The sample photos; each name starts with what is written in it (a digit or a number)."""
    return sorted(p for p in SAMPLES.iterdir() if p.suffix.lower() in {".png", ".jpg", ".jpeg"})


def run_cli(script, *args, env=None, timeout=300, python_flags=()):
    """Run one of the repository's CLIs as a user would; returns the CompletedProcess."""
    return _run([*python_flags, str(ROOT / script), *args], env, timeout)


def run_module(module, *args, env=None, timeout=300, python_flags=()):
    """Run `python -m module` of the installed package from the repository's folder."""
    return _run([*python_flags, "-m", module, *args], env, timeout)


def _run(arguments, env, timeout):
    return subprocess.run(
        [sys.executable, *map(str, arguments)],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def blob_and_ring(dark_ink=True, side=300):
    """(A filled blob of ink, a written 0 of its size): float32 RGB photos in [0, 1]."""
    paper, ink = (0.8, 0.15) if dark_ink else (0.15, 0.8)
    photos = []
    for thickness in (cv2.FILLED, 14):
        canvas = np.full((600, 800), paper, np.float32)
        cv2.ellipse(canvas, (400, 300), (side // 3, side // 2), 10, 0, 360, ink, thickness, cv2.LINE_AA)
        photos.append(np.repeat(canvas[:, :, None], 3, axis=2))
    return photos


SEVEN = [(0.15, 0.1), (0.85, 0.1), (0.4, 0.95)]  # a 7's stroke, in a unit box


def sevens_beside_a_table(pen=3, table_level=0.14, grain=0.04, over_the_top=0.0):
    """A phone photo of a small "77" in pen on a sheet of paper (float32 RGB in [0, 1],
    900x1200), past whose slanted right edge, and over its top `over_the_top` of the height,
    a dark grainy table reaches the frame's border. The sevens lie in x 300-440."""
    height, width = 900, 1200
    canvas = np.full((height, width), 0.8, np.float32)
    for left in (300, 380):
        points = np.array([(left + x * 60, 500 + y * 60) for x, y in SEVEN], np.int32)
        cv2.polylines(canvas, [points], False, 0.15, pen, cv2.LINE_AA)
    rows, columns = np.indices((height, width))
    table = (columns > 900 + 0.15 * rows) | (rows < over_the_top * height)
    noise = np.random.default_rng(3).normal(0.0, grain, (height, width)).astype(np.float32)
    canvas[table] = table_level + 3 * cv2.GaussianBlur(noise, (0, 0), 2)[table]
    return np.repeat(np.clip(canvas, 0, 1)[:, :, None], 3, axis=2)
