"""The shipped model: the card's architecture and compile settings, and its MNIST accuracy."""

import json

import numpy as np
import pytest

from digitreader.model import DEFAULT_MODEL_PATH, build_mlp, load_model
from digitreader.predict import predict_probabilities

REQUIRED_TEST_ACCURACY = 0.985


@pytest.fixture(scope="module")
def shipped_model():
    return load_model(DEFAULT_MODEL_PATH)


def architecture(model):
    return [(type(layer).__name__, getattr(layer, "units", None),
             getattr(getattr(layer, "activation", None), "__name__", None))
            for layer in model.layers]


CARD = [("Flatten", None, None), ("Dense", 128, "relu"), ("Dense", 128, "relu"),
        ("Dense", 10, "softmax")]


@pytest.mark.parametrize("source", ["built", "shipped"])
def test_architecture_is_the_card(source, shipped_model):
    model = build_mlp() if source == "built" else shipped_model
    assert architecture(model) == CARD
    assert tuple(model.input_shape) == (None, 28, 28)
    assert model.output_shape == (None, 10)


def test_shipped_model_is_compiled_as_the_card(shipped_model):
    assert type(shipped_model.optimizer).__name__ == "Adam"
    assert shipped_model.loss == "sparse_categorical_crossentropy"
    config = json.dumps(shipped_model.get_compile_config())
    assert "accuracy" in config


def test_shipped_model_reaches_the_required_mnist_test_accuracy(shipped_model, mnist_test_set):
    images, labels = mnist_test_set
    probabilities = predict_probabilities(shipped_model, images.astype(np.float32) / 255.0)
    accuracy = float((probabilities.argmax(axis=1) == labels).mean())
    print(f"shipped model: MNIST test accuracy {accuracy:.4f} on {len(labels)} images")
    assert accuracy >= REQUIRED_TEST_ACCURACY
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)


def test_training_record_matches_the_shipped_model(shipped_model, mnist_test_set, mnist_file):
    from digitreader.data import file_sha256

    record = json.loads(DEFAULT_MODEL_PATH.with_suffix(".json").read_text())
    assert record["test_accuracy"] >= REQUIRED_TEST_ACCURACY
    assert record["data_sha256"] == file_sha256(mnist_file)
    assert len(record["history"]["val_accuracy"]) == record["epochs"]
