"""The shipped model: the card's architecture and compile settings, and its MNIST accuracy."""

import json

import numpy as np
import pytest

from digitreader.classify import Classifier
from digitreader.model import DEFAULT_MODEL_PATH, MODEL_PATHS, build_mlp, load_model

REQUIRED_TEST_ACCURACY = {"mlp": 0.985, "cnn": 0.994}


@pytest.fixture(scope="module")
def shipped_model():
    return load_model(DEFAULT_MODEL_PATH)


def mnist_accuracy(model, mnist_test_set):
    images, labels = mnist_test_set
    probabilities = Classifier(None, model)(images.astype(np.float32) / 255.0)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    return float((probabilities.argmax(axis=1) == labels).mean())


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


@pytest.mark.parametrize("arch", sorted(MODEL_PATHS))
def test_shipped_models_reach_the_required_mnist_test_accuracy(arch, mnist_test_set):
    model = load_model(MODEL_PATHS[arch])
    accuracy = mnist_accuracy(model, mnist_test_set)
    print(f"shipped {arch}: MNIST test accuracy {accuracy:.4f}")
    assert accuracy >= REQUIRED_TEST_ACCURACY[arch]


def test_the_convnet_takes_and_gives_what_the_mlp_does():
    model = load_model(MODEL_PATHS["cnn"])
    assert any(type(layer).__name__ == "Conv2D" for layer in model.layers)
    assert tuple(model.input_shape) == (None, 28, 28) and model.output_shape == (None, 10)
    assert type(model.optimizer).__name__ == "Adam"


@pytest.mark.parametrize("arch", sorted(MODEL_PATHS))
def test_training_records_match_the_shipped_models(arch, mnist_file):
    from digitreader.data import file_sha256

    record = json.loads(MODEL_PATHS[arch].with_suffix(".json").read_text())
    assert record["arch"] == arch
    assert record["test_accuracy"] >= REQUIRED_TEST_ACCURACY[arch]
    assert record["data_sha256"] == file_sha256(mnist_file)
    assert len(record["history"]["val_accuracy"]) == record["epochs"]
