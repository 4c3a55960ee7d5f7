"""Whole numbers: photos of 2-6 MNIST test digits written side by side, made at test time."""

import cv2
import numpy as np
import pytest

from digitreader.classify import load_classifier
from digitreader.model import MODEL_PATHS
from digitreader.preprocess import NoDigitFound, preprocess_bytes
from digitreader.reading import read_pages
from digitreader.synthetic.mnist_photos import generate
from digitreader.synthetic.numbers import generate_numbers

NUMBER_COUNT = 300
SEED = 7
REQUIRED_APART = 0.95  # whole numbers read right when no digits touch
# Touching numbers read right with digits cut from one piece of ink (which stand or fall
# together, reading.MIN_CONFIDENCE): the MLP's 29 of the 82 (2026-12-02), less a margin.
MIN_READ_CUT_APART = 25


def read_numbers(classifier, photos):
    """The number each photo reads as, how many digits each was cut into, and whether two of
    them were cut from one piece of ink (reading.ink_of_marks)."""
    readings = read_pages([(index, preprocess_bytes(photo.photo)) for index, photo in enumerate(photos)],
                          classifier)
    return ([reading.number for reading in readings], [len(reading.digits) for reading in readings],
            [len(set(reading.inks)) < len(reading.inks) for reading in readings])


@pytest.fixture(scope="module")
def numbers(mnist_test_set):
    return generate_numbers(*mnist_test_set, NUMBER_COUNT, SEED)


@pytest.fixture(scope="module")
def readings(numbers):
    return {arch: read_numbers(load_classifier(path), numbers) for arch, path in MODEL_PATHS.items()}


def rate(pairs):
    return sum(a == b for a, b in pairs) / max(1, len(pairs))


def test_numbers_whose_digits_do_not_touch_are_read(numbers, readings):
    apart = [i for i, photo in enumerate(numbers) if not photo.touching]
    touching = [i for i, photo in enumerate(numbers) if photo.touching]
    assert len(apart) > NUMBER_COUNT / 2 and touching, "the set has both kinds"
    report = {}
    for arch, (reads, counts, _) in readings.items():
        for kind, chosen in (("apart", apart), ("touching", touching)):
            report[arch, kind] = rate([(numbers[i].number, reads[i]) for i in chosen])
            segmented = rate([(len(numbers[i].number), counts[i]) for i in chosen])
            print(f"{arch}: {kind:8} {len(chosen)} numbers, {report[arch, kind]:.1%} read right, "
                  f"{segmented:.1%} cut into the right number of digits")
    # The convnet: the MLP's 1.3% error per digit compounds over a number's 2-6 digits.
    assert report["cnn", "apart"] >= REQUIRED_APART
    apart_counts = [(len(numbers[i].number), readings["mlp"][1][i]) for i in apart]
    assert rate(apart_counts) >= 0.98, "segmentation finds every digit of nearly every number"


def test_digits_that_touch_are_cut_apart_and_read(numbers, readings):
    # Marks cut from one piece of ink are digits only if all of them are: a letter cut into
    # "1" and "?" is not a digit, two touching digits cut into two sure ones are still read.
    reads, _, cut = readings["mlp"]
    read_cut = [i for i, photo in enumerate(numbers) if photo.touching and cut[i]
                and reads[i] == photo.number]
    print(f"\nmlp: {len(read_cut)} touching numbers read right with digits cut from one piece of ink")
    assert len(read_cut) >= MIN_READ_CUT_APART


def test_a_single_digit_photo_still_reads_as_one_digit(mnist_test_set):
    """As main.py reads: the shapes propose the cuts, the shipped model's verdicts choose."""
    photos = list(generate(*mnist_test_set, 200, seed=SEED))
    readings = read_pages([(index, preprocess_bytes(photo)) for index, (photo, _, _) in enumerate(photos)],
                          load_classifier(MODEL_PATHS["mlp"]))
    counts = [len(reading.digits) for reading in readings]
    assert counts.count(1) >= 0.99 * len(photos)


def test_a_blank_photo_says_no_digit_found():
    paper = np.clip(np.random.default_rng(0).normal(190, 4, (600, 900, 3)), 0, 255).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", paper)
    with pytest.raises(NoDigitFound, match="no digit found"):
        preprocess_bytes(data.tobytes())
