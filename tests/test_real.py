"""Real handwriting by other people (../shared/data/real: phone photos, scans and drawings of
digits and numbers from public repositories), read exactly as main.py reads it."""

import functools

import pytest

from conftest import real_folder
from digitreader.classify import load_classifier
from digitreader.evaluation import evaluate, labelled_files, read_folder, report_text
from digitreader.model import MODEL_PATHS
from digitreader.reading import MIN_CONFIDENCE

# Right answers, the whole number for a number, unreadable files counted as wrong. The digits
# are the targets of the "real input" issue. The numbers are floors below its targets (90% and
# 93%, not reached yet: cheque amounts in joined cursive are most of what is still misread),
# so that the suite catches a step back.
REQUIRED_ACCURACY = {("digits", "mlp"): 0.97, ("digits", "cnn"): 0.98,
                     ("numbers", "mlp"): 0.65, ("numbers", "cnn"): 0.75}
# Real digits the shipped model calls "not a digit" (below reading.MIN_CONFIDENCE).
MAX_REJECTED_DIGITS = 0.01


@functools.lru_cache(maxsize=None)
def read_real(name):
    """(samples, unreadable) of a folder of the real set, preprocessed once for all tests."""
    labelled, _ = labelled_files(real_folder(name))
    return read_folder(labelled)


@pytest.fixture(scope="module", params=["digits", "numbers"])
def real_set(request):
    return (request.param, *read_real(request.param))


@pytest.mark.parametrize("arch", sorted(MODEL_PATHS))
def test_real_handwriting_is_read_right(real_set, arch):
    name, samples, unreadable = real_set
    result = evaluate(load_classifier(MODEL_PATHS[arch]), samples, unreadable)
    print(f"\nreal {name}, {arch}:\n{report_text(result)}")
    assert len(samples) + len(unreadable) >= 50, "the real set is there, whole"
    assert result.accuracy_with_unreadable >= REQUIRED_ACCURACY[name, arch]


def test_real_digits_are_seldom_called_not_a_digit():
    samples, unreadable = read_real("digits")
    result = evaluate(load_classifier(MODEL_PATHS["mlp"]), samples, unreadable)
    doubted = [item for item in result.scores if not item.reading.sure]
    print(f"\n{len(doubted)} of {len(samples)} real digits below {MIN_CONFIDENCE}: "
          + ", ".join(item.reading.name for item in doubted))
    assert len(doubted) <= MAX_REJECTED_DIGITS * len(samples)
    kept = [item for item in result.scores if item.reading.sure]
    # Rejecting must take away mistakes, not right answers.
    assert sum(item.right for item in kept) / len(kept) >= result.accuracy
