"""The shipped model on 1,000 generated photos of MNIST test digits (digitreader.synthetic).

The photos stand in for real phone photos, which cannot be committed. Rendering and reading
them is spread over worker processes: one after the other, it would take over a minute.
"""

import functools
import os
import re
from concurrent.futures import ProcessPoolExecutor
from itertools import repeat
from multiprocessing import get_context

import cv2
import numpy as np
import pytest

from conftest import ROOT, run_module
from digitreader.classify import load_classifier
from digitreader.model import DEFAULT_MODEL_PATH
from digitreader.preprocess import ImageError, preprocess_bytes
from digitreader.reading import read_pages, without_photo
from digitreader.synthetic.mnist_photos import (DEFAULT_SEED, VARIANTS, generate, plan,
                                                render_planned)

PHOTO_COUNT = 1000
REQUIRED_ACCURACY = 0.97  # issue 3's bar for reading real photos
# The tutorials' preprocessing must fail on these photos, or they would test nothing.
NAIVE_MAX_ACCURACY = 0.60
PHOTOS_PER_TASK = 25
PNG_MAGIC = b"\x89PNG"


def tutorial_digit(data):
    """The tutorials' preprocessing, as a baseline: decode grey, squash the whole image to
    28x28, invert (MNIST is white on black), scale to [0, 1]."""
    gray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    return (255 - cv2.resize(gray, (28, 28))).astype(np.float32) / 255


@functools.lru_cache(maxsize=1)
def _test_images(mnist_path):
    with np.load(mnist_path, allow_pickle=False) as data:
        return data["x_test"]


def _read_photos(mnist_path, planned_photos):
    """Worker: render photos, preprocess each as main.py does, and as the tutorials do.

    Returns (our Page without its photo, or None when no digit was found; the tutorials'
    28x28) per photo.
    """
    cv2.setNumThreads(1)  # one process per core already
    images = _test_images(mnist_path)
    results = []
    for planned in planned_photos:
        data = render_planned(images, planned, DEFAULT_SEED)
        try:
            page = without_photo(preprocess_bytes(data))  # only the digits travel back
        except ImageError:
            page = None
        results.append((page, tutorial_digit(data)))
    return results


@pytest.fixture(scope="module")
def read_photos(mnist_file, mnist_test_set):
    """The generated photos' plan, true labels and _read_photos results."""
    _, labels = mnist_test_set
    planned = plan(PHOTO_COUNT, len(labels), DEFAULT_SEED)
    tasks = [planned[start:start + PHOTOS_PER_TASK]
             for start in range(0, len(planned), PHOTOS_PER_TASK)]
    # Spawned, not forked: the test process may already run TensorFlow's threads.
    with ProcessPoolExecutor(os.cpu_count(), mp_context=get_context("spawn")) as pool:
        results = [result for chunk in pool.map(_read_photos, repeat(str(mnist_file)), tasks)
                   for result in chunk]
    return planned, labels[[photo.position for photo in planned]], results


@pytest.fixture(scope="module")
def shipped_model():
    return load_classifier(DEFAULT_MODEL_PATH)


def per_variant(planned, correct):
    """{variant: accuracy} for a bool array aligned with `planned`."""
    variants = np.array([photo.variant for photo in planned])
    return {variant: float(correct[variants == variant].mean()) for variant in VARIANTS}


def report(title, planned, correct, unreadable=None):
    lines = [f"{title}: {correct.mean():.1%} of {len(correct)} generated photos read right"]
    for variant, accuracy in per_variant(planned, correct).items():
        note = f"   ({unreadable[variant]} with no digit found)" if unreadable else ""
        lines.append(f"  {variant:<14} {accuracy:6.1%}{note}")
    text = "\n".join(lines)
    print("\n" + text)
    return text


def test_shipped_model_reads_generated_photos(read_photos, shipped_model):
    """Read as main.py reads: a photo is right when exactly its one digit is read."""
    planned, labels, results = read_photos
    readable = [index for index, (page, _) in enumerate(results) if page is not None]
    readings = read_pages([(index, results[index][0]) for index in readable], shipped_model)
    read = np.full(len(results), "", dtype=object)
    read[readable] = [reading.number for reading in readings]
    unreadable = {variant: sum(1 for photo, (page, _) in zip(planned, results)
                               if page is None and photo.variant == variant)
                  for variant in VARIANTS}
    correct = read == labels.astype(str)  # a photo with no digit found counts as misread
    summary = report("our preprocessing", planned, correct, unreadable)
    accuracy = float(correct.mean())
    assert accuracy >= REQUIRED_ACCURACY, summary


def test_tutorial_preprocessing_fails_on_generated_photos(read_photos, shipped_model):
    planned, labels, results = read_photos
    digits = np.stack([tutorial for _, tutorial in results])
    correct = shipped_model(digits).argmax(axis=1) == labels
    summary = report("tutorials' preprocessing", planned, correct)
    accuracy = float(correct.mean())
    assert accuracy < NAIVE_MAX_ACCURACY, summary


def repository_images():
    """Image and array files anywhere in the repository's working tree."""
    suffixes = {".jpg", ".jpeg", ".png", ".npz", ".npy"}
    return {path for path in ROOT.rglob("*")
            if path.suffix.lower() in suffixes and ".git" not in path.parts}


def test_generation_is_deterministic_and_writes_nothing_into_the_repository(
        mnist_file, mnist_test_set, tmp_path):
    images, labels = mnist_test_set
    before = repository_images()
    first = list(generate(images, labels, 8, seed=5))
    assert first == list(generate(images, labels, 8, seed=5))
    other_seed = list(generate(images, labels, 8, seed=6))
    assert [photo for photo, _, _ in first] != [photo for photo, _, _ in other_seed]
    assert [variant for _, _, variant in first] == list(VARIANTS) * 2

    result = run_module("digitreader.synthetic", "digits", tmp_path / "photos", "--count", 8,
                        "--seed", 5, "--data", mnist_file, timeout=120)
    assert result.returncode == 0, result.stderr
    written = sorted((tmp_path / "photos").iterdir())
    assert [path.name for path in written] == sorted(
        f"{label}_{index}_{variant}.{'png' if photo.startswith(PNG_MAGIC) else 'jpg'}"
        for index, (photo, label, variant) in enumerate(first))
    by_index = {int(re.match(r"\d_(\d+)_", path.name).group(1)): path for path in written}
    assert [by_index[index].read_bytes() for index in range(8)] == \
        [photo for photo, _, _ in first], "another process renders the same bytes"

    inside = ROOT / "generated-photos"
    refused = run_module("digitreader.synthetic", "digits", inside, "--count", 2,
                         "--data", mnist_file)
    assert refused.returncode == 1 and "inside the repository" in refused.stderr
    assert not inside.exists()
    assert repository_images() == before
