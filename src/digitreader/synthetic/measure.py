"""How the reader reads the hard photos (hard_photos), kind by kind.

A photo is read as main.py reads it (preprocessing, then the classifier on its digits) and is
right only when its whole label is: the one digit of a single-digit photo, every digit of a
number in order, none missing or extra; a photo where no digit is found is misread. Photos
are rendered and preprocessed in worker processes, one per core; the caller loads the
classifiers (digitreader.classify.load_classifier), so this module imports no TensorFlow.

    photos = read_hard_photos(mnist_path, count, seed, kinds)   # [ReadPhoto]
    right = reads_right(classifier, photos)                    # bool per photo
    per_kind(photos, right)                                    # {kind: (right, total)}

benchmarks/hard_photos.py prints the table for the shipped models.
"""

import functools
import os
from concurrent.futures import ProcessPoolExecutor
from itertools import repeat
from multiprocessing import get_context
from typing import NamedTuple

import cv2
import numpy as np

from ..preprocess import ImageError, preprocess_bytes
from ..reading import read_pages, without_photo
from .hard_photos import HARD_KINDS, render_index
from .mnist_photos import DEFAULT_SEED

PHOTOS_PER_TASK = 10


class ReadPhoto(NamedTuple):
    photo: bytes
    label: str
    kind: str
    page: object  # preprocessing's Page without its photo, or None when no digit was found


def read_hard_photos(mnist_path, count, seed=DEFAULT_SEED, kinds=HARD_KINDS, workers=None):
    """Render and preprocess `count` hard photos in worker processes: [ReadPhoto], in order."""
    return _in_workers(_render_and_preprocess, count, workers, str(mnist_path), seed, tuple(kinds))


def _in_workers(render, count, workers, *arguments):
    """render(*arguments, indices) over the indices 0..count-1, PHOTOS_PER_TASK at a time, in
    worker processes (one per core unless `workers`): the photos made, in order."""
    indices = list(range(count))
    tasks = [indices[start:start + PHOTOS_PER_TASK] for start in range(0, count, PHOTOS_PER_TASK)]
    # Spawned, not forked: the caller may already run a model's threads.
    with ProcessPoolExecutor(workers or os.cpu_count(), mp_context=get_context("spawn"),
                             initializer=cv2.setNumThreads, initargs=(1,)) as pool:
        return [photo for chunk in pool.map(render, *(repeat(value) for value in arguments), tasks)
                for photo in chunk]


def _page(photo):
    """The Page of a photo's bytes without its photo (only the marks travel back from a
    worker), or None when no digit is found."""
    try:
        return without_photo(preprocess_bytes(photo))
    except ImageError:
        return None


def read_present(classifier, pages):
    """The Reading of each page (read_pages, as main.py reads), None for a page that is None."""
    present = [index for index, page in enumerate(pages) if page is not None]
    readings = [None] * len(pages)
    for index, reading in zip(present, read_pages([(index, pages[index]) for index in present],
                                                  classifier)):
        readings[index] = reading
    return readings


@functools.lru_cache(maxsize=1)
def _test_set(mnist_path):
    with np.load(mnist_path, allow_pickle=False) as data:
        return data["x_test"], data["y_test"]


def _render_and_preprocess(mnist_path, seed, kinds, indices):
    """Worker: the ReadPhotos of some indices of a set."""
    images, labels = _test_set(mnist_path)
    photos = []
    for index in indices:
        photo = render_index(images, labels, index, seed, kinds)
        photos.append(ReadPhoto(*photo, _page(photo.photo)))
    return photos


def reads_right(classifier, photos):
    """Whether each photo's whole label is read: bool array aligned with `photos`."""
    readings = read_present(classifier, [photo.page for photo in photos])
    return np.array([reading is not None and reading.number == photo.label
                     for photo, reading in zip(photos, readings)], bool)


def per_kind(photos, right):
    """{kind: (photos read right, photos)} in HARD_KINDS order, for the kinds present."""
    kinds = np.array([photo.kind for photo in photos])
    return {kind: (int(right[kinds == kind].sum()), int((kinds == kind).sum()))
            for kind in HARD_KINDS if (kinds == kind).any()}


def unreadable_per_kind(photos):
    """{kind: photos where no digit was found}."""
    return {kind: sum(1 for photo in photos if photo.kind == kind and photo.page is None)
            for kind in HARD_KINDS if any(photo.kind == kind for photo in photos)}


# Non-digits (nondigits.generate_nondigit_photos): how often the reader says "not a digit" --

class NonDigitPhoto(NamedTuple):
    photo: bytes
    kind: str
    page: object  # preprocessing's Page without its photo, or None when no mark was found


def read_nondigit_photos(count, seed, workers=None):
    """Render and preprocess `count` non-digit photos (nondigits.generate_nondigit_photos,
    each on its own stream of `seed`) in worker processes: [NonDigitPhoto], in order."""
    return _in_workers(_nondigit_photos, count, workers, seed)


def _nondigit_photos(seed, indices):
    """Worker: the NonDigitPhotos of some indices of a set."""
    from .nondigits import KINDS, render_nondigit_photo

    photos = []
    for index in indices:
        kind = KINDS[index % len(KINDS)]  # as generate_nondigit_photos takes them
        photo = render_nondigit_photo(np.random.default_rng([seed, index]), kind)
        photos.append(NonDigitPhoto(photo, kind, _page(photo)))
    return photos


def mark_confidences(classifier, pages):
    """The confidence each mark's verdict rests on, on each page (read_pages, as main.py
    reads; DigitReading.standing: the joint confidence of the marks cut from its ink): a list of
    float arrays, one per page, None for a page that is None (no mark)."""
    return [None if reading is None else np.array([digit.standing for digit in reading.digits])
            for reading in read_present(classifier, pages)]


def rejected_share(confidences, threshold, every=True):
    """Share of pages answered "not a digit" at `threshold`: every mark read below it
    (`every`), or at least one; a page with no mark found is not answered a digit either."""
    test = np.all if every else np.any
    return float(np.mean([True if marks is None else bool(test(marks < threshold))
                          for marks in confidences]))
