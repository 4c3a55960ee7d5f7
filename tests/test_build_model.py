"""build_model.py end to end on a small slice of MNIST, and its atomic saving."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, run_cli
from digitreader.classify import load_classifier
from digitreader.model import build_mlp, load_model

SLICE_TRAIN, SLICE_TEST = 3000, 500


@pytest.fixture(scope="module")
def small_mnist(mnist_file, tmp_path_factory):
    """A few thousand MNIST images in a temporary .npz (never inside the repository)."""
    path = tmp_path_factory.mktemp("data") / "mnist_slice.npz"
    with np.load(mnist_file, allow_pickle=False) as full:
        np.savez(path, x_train=full["x_train"][:SLICE_TRAIN], y_train=full["y_train"][:SLICE_TRAIN],
                 x_test=full["x_test"][:SLICE_TEST], y_test=full["y_test"][:SLICE_TEST])
    return path


def test_one_epoch_run_writes_a_model_that_loads_and_predicts(small_mnist, tmp_path):
    output = tmp_path / "out" / "tiny.keras"
    result = run_cli("build_model.py", "--epochs", "1", "--batch-size", "64", "--data",
                     small_mnist, "--output", output)
    assert result.returncode == 0, result.stderr
    assert "test accuracy" in result.stdout
    model = load_model(output)
    assert [type(layer).__name__ for layer in model.layers] == \
        [type(layer).__name__ for layer in build_mlp().layers]
    with np.load(small_mnist) as data:
        images, labels = data["x_test"][:200] / 255.0, data["y_test"][:200]
    accuracy = (load_classifier(output)(images).argmax(1) == labels).mean()
    assert accuracy > 0.5, "one epoch on 3000 images already beats chance by far"
    record = json.loads((tmp_path / "out" / "tiny.json").read_text())
    assert record["epochs"] == 1 and record["batch_size"] == 64
    assert set(record) >= {"test_accuracy", "seed", "train_seconds", "tensorflow_version",
                           "keras_version", "data_sha256", "date"}
    assert (tmp_path / "out" / "tiny_curves.png").read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == \
        ["tiny.json", "tiny.keras", "tiny_curves.png"], "no temporary files left behind"


def test_bad_data_file_fails_cleanly_and_keeps_the_old_model(tmp_path):
    output = tmp_path / "model.keras"
    output.write_bytes(b"previous model")
    (tmp_path / "bad.npz").write_text("not a zip")
    for data in [tmp_path / "missing.npz", tmp_path / "bad.npz"]:
        result = run_cli("build_model.py", "--data", data, "--output", output)
        assert result.returncode != 0
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert output.read_bytes() == b"previous model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.npz", "model.keras"]


def test_bad_flags_are_refused_before_training():
    for flags in (["--epochs", "0"], ["--batch-size", "-1"], ["--output", "model.h5"]):
        result = run_cli("build_model.py", *flags)
        assert result.returncode == 2 and "Traceback" not in result.stderr


def test_interrupted_training_leaves_the_previous_model_untouched(small_mnist, tmp_path):
    output = tmp_path / "model.keras"
    output.write_bytes(b"previous model")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "build_model.py"), "--epochs", "50", "--data", small_mnist,
         "--output", output],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    for line in process.stdout:  # wait until training is under way
        if "Epoch 2/" in line:
            break
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert output.read_bytes() == b"previous model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_failed_download_is_one_clear_line(tmp_path):
    """Without --data or $MNIST_NPZ, Keras downloads MNIST; when that fails, say so plainly."""
    unreachable = "http://127.0.0.1:9"  # the discard port: nothing listens, so the fetch fails
    result = run_cli("build_model.py", "--output", tmp_path / "model.keras",
                     env={"MNIST_NPZ": "", "KERAS_HOME": str(tmp_path / "keras"),
                          "HTTPS_PROXY": unreachable, "HTTP_PROXY": unreachable,
                          "https_proxy": unreachable, "http_proxy": unreachable})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "cannot download MNIST" in line and "--data" in line
    assert not (tmp_path / "model.keras").exists()
