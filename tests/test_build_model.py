"""build_model.py end to end on a small slice of MNIST, and its atomic saving."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from conftest import ROOT, run_cli
from digitreader.atomic import write_files_atomically
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
                     small_mnist, "--output", output,
                     env={"TF_CPP_MIN_LOG_LEVEL": ""})  # as unset: this process may have set it
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", "TensorFlow's C++ logs (E0000 ... node_def_util) stay off stderr"
    assert "━" in result.stdout and "val_accuracy" in result.stdout, "Keras' progress bar stays"
    assert "test accuracy" in result.stdout
    model = load_model(output)
    assert [type(layer).__name__ for layer in model.layers] == \
        [type(layer).__name__ for layer in build_mlp().layers]
    with np.load(small_mnist) as data:
        images, labels = data["x_test"][:200] / 255.0, data["y_test"][:200]
    classifier = load_classifier(output)
    assert classifier.runtime == "litert", "read from the export the build made beside it"
    accuracy = (classifier(images).argmax(1) == labels).mean()
    assert accuracy > 0.5, "one epoch on 3000 images already beats chance by far"
    record = json.loads((tmp_path / "out" / "tiny.json").read_text())
    assert record["litert"]["file"] == "tiny.tflite"
    assert record["litert"]["checked_images"] == SLICE_TEST
    assert record["epochs"] == 1 and record["batch_size"] == 64
    assert set(record) >= {"test_accuracy", "seed", "train_seconds", "tensorflow_version",
                           "keras_version", "data_sha256", "date"}
    assert (tmp_path / "out" / "tiny_curves.png").read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == \
        ["tiny.json", "tiny.keras", "tiny.tflite", "tiny_curves.png"], "no temporary files left"


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


def refusal_before_tensorflow(*args):
    """Run build_model.py, which must refuse before importing TensorFlow; return its one line."""
    result = run_cli("build_model.py", *args, python_flags=["-X", "importtime"], timeout=60)
    lines = result.stderr.splitlines()
    imported = [line for line in lines if line.startswith("import time:")]
    assert any("numpy" in line for line in imported), "-X importtime lists what was imported"
    assert not any("tensorflow" in line or "keras" in line for line in imported)
    (line,) = [line for line in lines if not line.startswith("import time:")]
    assert result.returncode == 1 and line.startswith("error: "), result.stderr
    return line


def unwritable_output(tmp_path, case):
    if case == "under a file":
        (tmp_path / "README.md").write_text("a file, not a folder\n")
        return tmp_path / "README.md" / "m.keras"
    return Path("/proc/m.keras")  # a folder that takes no new files, even from root


@pytest.mark.parametrize("case", ["under a file", "in /proc"])
def test_unwritable_output_is_refused_before_training(tmp_path, case):
    output = unwritable_output(tmp_path, case)
    before = sorted(tmp_path.rglob("*"))
    line = refusal_before_tensorflow("--data", tmp_path / "never read.npz", "--output", output)
    assert line.startswith(f"error: cannot write {output}: ")
    assert sorted(tmp_path.rglob("*")) == before, "nothing made, nothing left behind"


def tiny_dataset():
    """Random arrays in MNIST's layout: enough for the checks, no MNIST needed."""
    rng = np.random.default_rng(0)
    return {"x_train": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
            "y_train": rng.integers(0, 10, 20, dtype=np.uint8),
            "x_test": rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
            "y_test": rng.integers(0, 10, 10, dtype=np.uint8)}


def with_label_12(arrays):
    arrays["y_train"][3] = 12
    return arrays


@pytest.mark.parametrize("spoil, message", [
    (with_label_12, "y_train holds labels outside 0..9, such as 12"),
    (lambda a: {**a, "y_train": a["y_train"][:, None]}, "y_train must have shape (N,)"),
    (lambda a: {**a, "x_train": a["x_train"][:0], "y_train": a["y_train"][:0]},
     "x_train holds no images"),
    (lambda a: {**a, "x_train": a["x_train"][:1], "y_train": a["y_train"][:1]},
     "x_train must hold at least 2 images"),
    (lambda a: {**a, "x_train": a["x_train"] / 255.0}, "x_train must be uint8 pixels 0..255"),
    (lambda a: {**a, "x_test": a["x_test"][:, :27, :27]}, "x_test must have shape (N, 28, 28)"),
    (lambda a: {**a, "y_test": a["y_test"][:-1]}, "x_test has 10 images but y_test has 9 labels"),
])
def test_data_that_is_not_mnist_gets_one_line_before_training(tmp_path, spoil, message):
    data = tmp_path / "data.npz"
    np.savez(data, **spoil(tiny_dataset()))
    line = refusal_before_tensorflow("--data", data, "--output", tmp_path / "m.keras")
    assert line.startswith(f"error: {data}: {message}"), line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.npz"]


def test_a_text_file_as_data_is_called_not_an_npz(tmp_path):
    data = tmp_path / "mnist.npz"
    data.write_text("x_train,y_train\n1,2\n")
    line = refusal_before_tensorflow("--data", data, "--output", tmp_path / "m.keras")
    assert line == f"error: {data} is not an .npz (zip) file"


def test_bad_flags_are_refused_before_training():
    for flags in (["--epochs", "0"], ["--batch-size", "-1"], ["--output", "model.h5"]):
        result = run_cli("build_model.py", *flags)
        assert result.returncode == 2 and "Traceback" not in result.stderr


def start_training(data, output, epochs):
    """build_model.py running in the background, its stdout read line by line as it comes."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / "build_model.py"), "--epochs", str(epochs), "--data", data,
         "--output", output],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_interrupted_training_leaves_the_previous_model_untouched(small_mnist, tmp_path):
    output = tmp_path / "model.keras"
    output.write_bytes(b"previous model")
    process = start_training(small_mnist, output, epochs=50)
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


def test_ctrl_c_just_after_training_leaves_all_the_files_new_or_all_old(small_mnist, tmp_path):
    """Ctrl-C while the model, export, record and curves are saved: they change as a set,
    and the message says which way it went."""
    output = tmp_path / "model.keras"
    files = [output, tmp_path / "model.tflite", tmp_path / "model.json", tmp_path / "model_curves.png"]
    for path in files:
        path.write_bytes(b"previous")
    process = start_training(small_mnist, output, epochs=1)
    for line in process.stdout:
        if "test accuracy" in line:
            break
    time.sleep(0.2)  # the moment the bug report named: the files were being written
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr
    old = [path.read_bytes() == b"previous" for path in files]
    if all(old):
        assert "no model was written" in stderr
    else:
        assert not any(old), "all new, or all old"
        assert "saved model.keras" in stdout or "the new model was saved" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in files)


def write_text(text):
    return lambda path: Path(path).write_text(text)


def set_of_three(folder):
    return [folder / "model.keras", folder / "model.json", folder / "model_curves.png"]


def test_a_set_of_files_is_written_and_committed_together(tmp_path):
    paths = set_of_three(tmp_path / "new folder")
    committed = []
    write_files_atomically({path: write_text(path.name) for path in paths}, committed.append)
    assert [path.read_text() for path in paths] == [path.name for path in paths]
    assert committed == [paths]
    assert sorted((tmp_path / "new folder").iterdir()) == sorted(paths), "no temporaries left"


def raise_value_error(path):
    raise ValueError("the writer failed")


def interrupt(path):
    Path(path).write_text("half")
    raise KeyboardInterrupt


@pytest.mark.parametrize("failing_writer, error", [
    (raise_value_error, ValueError),
    (interrupt, KeyboardInterrupt),
    (lambda path: None, OSError),  # wrote nothing
    (Figure().savefig, OSError),  # no suffix: matplotlib writes PATH.png instead of PATH
])
def test_a_failing_writer_in_the_middle_leaves_the_old_files_and_no_temporaries(
        tmp_path, failing_writer, error):
    paths = [tmp_path / "model.keras", tmp_path / "figure", tmp_path / "model_curves.png"]
    for path in paths:
        path.write_text("old")
    writers = {paths[0]: write_text("new"), paths[1]: failing_writer, paths[2]: write_text("new")}
    committed = []
    with pytest.raises(error):
        write_files_atomically(writers, committed.append)
    assert [path.read_text() for path in paths] == ["old"] * 3
    assert committed == []
    assert sorted(tmp_path.iterdir()) == sorted(paths), "no temporaries, no stray, no 0-byte file"


def test_ctrl_c_during_the_renames_is_held_off_until_all_are_done(tmp_path, monkeypatch):
    paths = set_of_three(tmp_path)
    for path in paths:
        path.write_text("old")
    rename = os.replace

    def rename_while_ctrl_c_arrives(source, destination):
        os.kill(os.getpid(), signal.SIGINT)
        rename(source, destination)

    monkeypatch.setattr(os, "replace", rename_while_ctrl_c_arrives)
    handler = signal.getsignal(signal.SIGINT)
    committed = []
    with pytest.raises(KeyboardInterrupt):
        write_files_atomically({path: write_text("new") for path in paths}, committed.append)
    assert [path.read_text() for path in paths] == ["new"] * 3
    assert committed == [paths], "the caller learns that the set was in place before Ctrl-C"
    assert sorted(tmp_path.iterdir()) == sorted(paths)
    assert signal.getsignal(signal.SIGINT) is handler, "Ctrl-C works as before afterwards"


def test_a_set_of_files_can_be_written_outside_the_main_thread(tmp_path):
    """Only the main thread may set signal handlers; elsewhere Ctrl-C cannot interrupt."""
    paths = set_of_three(tmp_path)
    errors = []

    def write():
        try:
            write_files_atomically({path: write_text("new") for path in paths})
        except Exception as error:  # a thread's exception would only be printed
            errors.append(error)

    thread = threading.Thread(target=write)
    thread.start()
    thread.join()
    assert errors == [] and [path.read_text() for path in paths] == ["new"] * 3


def test_ctrl_c_during_the_litert_export_is_delivered_once_it_is_done(monkeypatch):
    """TensorFlow's converter loses a Ctrl-C in its C++, or turns it into a RuntimeError."""
    from digitreader.export import litert_flatbuffer

    model = build_mlp()
    real_export, finished = model.export, []

    def export_interrupted(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)
        real_export(*args, **kwargs)
        finished.append(True)

    monkeypatch.setattr(model, "export", export_interrupted)
    with pytest.raises(KeyboardInterrupt):
        litert_flatbuffer(model, np.zeros((4, 28, 28), np.float32))
    assert finished, "the export ran to its end before the interrupt"
