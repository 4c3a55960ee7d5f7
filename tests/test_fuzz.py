"""A few hundred random inputs (benchmarks/fuzz_reader.py runs thousands): each one ends in
an answer or an ImageError, never in any other exception."""

import numpy as np

from digitreader.preprocess import ImageError, MNIST_SIZE, preprocess_bytes
from digitreader.synthetic.fuzz import fuzz_cases

CASES = 300


def test_every_random_input_gets_an_answer_or_an_image_error():
    answered, refused, crashed = 0, 0, []
    for name, data in fuzz_cases(seed=1, count=CASES):
        try:
            page = preprocess_bytes(data)
        except ImageError as error:
            assert str(error) and "\n" not in str(error), name
            refused += 1
            continue
        except Exception as error:  # noqa: BLE001 - what the test looks for
            crashed.append(f"{name}: {type(error).__name__}: {error}")
            continue
        assert page.digits, name
        for digit in page.digits:
            image = digit.image
            assert image.shape == (MNIST_SIZE, MNIST_SIZE) and image.dtype == np.float32, name
            assert np.isfinite(image).all() and 0 <= image.min() and image.max() <= 1, name
        answered += 1
    assert not crashed, "\n".join(crashed)
    assert answered > CASES / 10 and refused > CASES / 10, "the cases exercise both outcomes"
