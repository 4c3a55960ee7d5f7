"""main.py as a user runs it: samples, flags, figures and every kind of bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import ROOT, run_cli, sample_images
from digitreader.model import MODEL_PATHS

NO_DISPLAY = {"DISPLAY": "", "WAYLAND_DISPLAY": "", "MPLBACKEND": ""}


def json_lines(stdout):
    return [json.loads(line) for line in stdout.splitlines()]


def test_every_sample_is_read_right():
    """Each sample's name starts with what is written in it: a digit, or a number."""
    samples = sample_images()
    labels = [path.name.split("_")[0] for path in samples]
    assert {label for label in labels if len(label) == 1} == set("0123456789"), "a sample per digit"
    result = run_cli("main.py", "--json", *samples)
    assert result.returncode == 0, result.stderr
    records = json_lines(result.stdout)
    assert [r["file"] for r in records] == [str(p) for p in samples]
    for label, record in zip(labels, records):
        assert record["number"] == label, f"{record['file']} read as {record['number']}"
        assert [d["digit"] for d in record["digits"]] == [int(c) for c in label]
        for digit in record["digits"]:
            assert len(digit["probabilities"]) == 10
            assert sum(digit["probabilities"]) == pytest.approx(1.0, abs=1e-3)
            assert digit["confidence"] == max(digit["probabilities"])
        if len(label) == 1:  # a single digit reads as before, at the top level
            assert record["digit"] == int(label)
            assert record["probabilities"] == record["digits"][0]["probabilities"]


def test_plain_output_is_one_line_per_image_with_two_runners_up():
    sample = sample_images()[0]
    result = run_cli("main.py", "--no-show", sample)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"{sample}: {sample.name[0]} (")
    assert line.count("%") == 3 and "next:" in line


def test_without_a_display_it_says_so_and_how_to_save(tmp_path):
    result = run_cli("main.py", sample_images()[0], env=NO_DISPLAY, timeout=120)
    assert result.returncode == 0
    assert "no figure window can be shown" in result.stderr
    assert "--save-figure" in result.stderr


def test_save_figure_writes_one_file_per_image(tmp_path):
    samples = sample_images()[:2]
    result = run_cli("main.py", "--save-figure", tmp_path / "fig.png", *samples, env=NO_DISPLAY)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", "saving the figure is not a reason to complain about the display"
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(f"fig-{p.stem}.png" for p in samples)
    image = cv2.imread(str(tmp_path / written[0]))
    assert image is not None and image.shape[1] > image.shape[0] > 200


# .pgf is a format matplotlib lists, but saving it needs LaTeX: refused like the others.
@pytest.mark.parametrize("name", ["out", "out.xyz", "out.pgf"])
def test_save_figure_without_a_format_suffix_is_a_usage_error(tmp_path, name):
    result = run_cli("main.py", "--save-figure", tmp_path / name, sample_images()[0], timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert "Traceback" not in result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("main.py: error: argument --save-figure: must end in")
    assert ".png" in error and ".pdf" in error
    assert list(tmp_path.iterdir()) == [], "no 0-byte file, no stray temporary"


def test_save_figure_suffix_may_be_upper_case(tmp_path):
    result = run_cli("main.py", "--save-figure", tmp_path / "fig.PNG", sample_images()[0])
    assert result.returncode == 0, result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["fig.PNG"]
    assert (tmp_path / "fig.PNG").read_bytes().startswith(b"\x89PNG")


def test_steps_adds_the_ink_mask_panel(tmp_path):
    sample = sample_images()[0]
    widths = {}
    for flags in ([], ["--steps"]):
        path = tmp_path / f"fig{len(flags)}.png"
        assert run_cli("main.py", *flags, "--save-figure", path, sample).returncode == 0
        widths[len(flags)] = cv2.imread(str(path)).shape[1]
    assert widths[1] > widths[0] * 1.2


def test_the_convnet_model_can_be_chosen():
    samples = sample_images()
    result = run_cli("main.py", "--json", "--model", MODEL_PATHS["cnn"], *samples)
    assert result.returncode == 0, result.stderr
    numbers = [record["number"] for record in json_lines(result.stdout)]
    assert numbers == [path.name.split("_")[0] for path in samples]


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory):
    """Each kind of bad input named in the issue, and the files that must still work."""
    folder = tmp_path_factory.mktemp("inputs")
    (folder / "empty.png").write_bytes(b"")
    (folder / "text.png").write_text("this is text, not a PNG\n")
    jpeg = (folder / "whole.jpg")
    cv2.imwrite(str(jpeg), cv2.imread(str(sample_images()[0])))
    (folder / "truncated.jpg").write_bytes(jpeg.read_bytes()[:jpeg.stat().st_size // 2])
    jpeg.unlink()
    cv2.imwrite(str(folder / "blank.png"), np.full((400, 300, 3), 255, np.uint8))
    (folder / "a_directory").mkdir()
    failing = ["missing.png", "empty.png", "text.png", "truncated.jpg", "blank.png", "a_directory"]

    seven = next(p for p in sample_images() if p.name.startswith("7"))
    gray = cv2.imread(str(seven), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(folder / "7_sixteen_bit.png"), gray.astype(np.uint16) * 257)
    rgba = np.zeros(gray.shape + (4,), np.uint8)
    rgba[:, :, 3] = np.clip((200 - gray.astype(int)) * 2, 0, 255)  # ink opaque, paper clear
    cv2.imwrite(str(folder / "7_transparent.png"), rgba)
    huge = np.full((10000, 10000), 230, np.uint8)
    huge[3000:3000 + gray.shape[0] * 4, 2000:2000 + gray.shape[1] * 4] = cv2.resize(
        gray, (gray.shape[1] * 4, gray.shape[0] * 4))
    cv2.imwrite(str(folder / "7_huge.png"), huge)
    working = ["7_sixteen_bit.png", "7_transparent.png", "7_huge.png"]
    return folder, failing, working


def test_each_bad_input_gets_one_line_and_the_others_still_answer(bad_inputs):
    folder, failing, working = bad_inputs
    paths = [folder / name for name in failing + working]
    result = run_cli("main.py", "--json", *paths)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = result.stderr.strip().splitlines()
    assert len(errors) == len(failing), result.stderr
    for name, line in zip(failing, errors):
        assert line.startswith(f"error: {folder / name}: ")
    assert "no digit found" in errors[failing.index("blank.png")]
    records = json_lines(result.stdout)
    assert [r["file"] for r in records] == [str(folder / name) for name in working]
    assert [r["digit"] for r in records] == [7, 7, 7]


def test_help_and_bad_inputs_do_not_import_tensorflow(bad_inputs):
    folder, failing, _ = bad_inputs
    for args in (["--help"], [folder / name for name in failing]):
        result = run_cli("main.py", *args, python_flags=["-X", "importtime"], timeout=60)
        imported = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
        assert any("cv2" in line for line in imported), "-X importtime lists what was imported"
        assert not any("tensorflow" in line or "keras" in line for line in imported), args


@pytest.mark.parametrize("contents", [None, b"not a model", "zip-without-config", "directory"])
def test_bad_model_path_is_one_clear_line(tmp_path, contents):
    model = tmp_path / "model.keras"
    if contents == "zip-without-config":
        import zipfile
        with zipfile.ZipFile(model, "w") as archive:
            archive.writestr("readme.txt", "hello")
    elif contents == "directory":
        model.mkdir()
    elif contents is not None:
        model.write_bytes(contents)
    result = run_cli("main.py", "--model", model, sample_images()[0], timeout=120)
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error:") and str(model) in line


def test_the_digitreader_command_reads_from_any_folder(tmp_path):
    """Installed, the package finds its model and reads from any current directory."""
    command = Path(sys.executable).with_name("digitreader")
    sample = next(p for p in sample_images() if p.name.startswith("3_"))
    result = subprocess.run([str(command), "read", "--json", str(sample)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300, env=os.environ)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["number"] == "3"
    assert "read" in subprocess.run([str(command), "--help"], cwd=tmp_path, capture_output=True,
                                    text=True, timeout=60).stdout


def test_pipes_huge_files_and_drawings_in_one_command(tmp_path):
    """A FIFO would block and a huge file fill memory: one line each, the rest still read."""
    fifo = tmp_path / "camera.fifo"
    os.mkfifo(fifo)
    huge = tmp_path / "huge.png"
    with open(huge, "wb") as handle:  # sparse: 300 MB on paper, nothing on disk
        handle.truncate(300 * 2**20)
    pencil = np.full((400, 400), 255, np.uint8)  # Paint's pencil: one pixel, no anti-aliasing
    cv2.polylines(pencil, [np.array([[120, 90], [280, 95], [190, 320]])], False, 0, 1)
    cv2.imwrite(str(tmp_path / "7_pencil.png"), pencil)
    cv2.imwrite(str(tmp_path / "dot.png"), np.zeros((1, 1), np.uint8))
    files = [fifo, huge, tmp_path / "7_pencil.png", tmp_path / "dot.png", sample_images()[0]]
    result = run_cli("main.py", "--json", *files, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = result.stderr.strip().splitlines()
    assert errors == [f"error: {fifo}: not a regular file (a pipe, a device or a socket), not an image",
                      f"error: {huge}: file too large: 300 MB (the limit is 256 MB)",
                      f"error: {tmp_path / 'dot.png'}: no digit found (the image is blank or has "
                      "too little contrast)"]
    numbers = [record["number"] for record in json_lines(result.stdout)]
    assert numbers == ["7", sample_images()[0].name.split("_")[0]]


@pytest.fixture(scope="module")
def foreign_models(tmp_path_factory):
    """Valid Keras models that do not read digits."""
    from digitreader.model import import_keras

    keras = import_keras()
    folder = tmp_path_factory.mktemp("models")
    shapes = {"colour_32x32": ((32, 32, 3), 10, "softmax"), "five_outputs": ((28, 28), 5, "softmax"),
              "logits": ((28, 28), 10, None)}
    for name, (inputs, outputs, activation) in shapes.items():
        model = keras.Sequential([keras.Input(inputs), keras.layers.Flatten(),
                                  keras.layers.Dense(outputs, activation=activation)])
        model.save(folder / f"{name}.keras")
    return folder


@pytest.mark.parametrize("name, why", [
    ("colour_32x32", "it takes inputs of shape (32, 32, 3), not 28x28 images"),
    ("five_outputs", "it gives outputs of shape (5,), not 10 digit probabilities"),
    ("logits", "its ten outputs are not probabilities (it must end in a softmax)"),
])
def test_a_keras_model_that_does_not_read_digits_is_one_clear_line(foreign_models, name, why):
    model = foreign_models / f"{name}.keras"
    result = run_cli("main.py", "--model", model, sample_images()[0], timeout=120)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == f"error: {model} is a Keras model, but not a digit model: {why}"


def test_output_into_a_closed_pipe_ends_quietly(mnist_file):
    """`evaluate.py --json | head -c 100`: the reader leaves early; no BrokenPipeError."""
    with subprocess.Popen([sys.executable, str(ROOT / "evaluate.py"), "--mnist", "--data",
                           str(mnist_file), "--json"], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as process:
        process.stdout.read(100)
        process.stdout.close()
        stderr = process.stderr.read().decode()
    assert process.returncode == 1
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr


def test_a_bug_on_one_file_costs_that_file_only(monkeypatch):
    from digitreader import reading

    def broken(path, params):
        if path == "bad.png":
            raise ValueError("cannot convert float NaN to integer")
        return f"page of {path}"

    monkeypatch.setattr(reading, "preprocess_file", broken)
    (_, first), (_, second) = reading.preprocess_files(["bad.png", "good.png"])
    assert isinstance(first, reading.ImageError) and "internal error (ValueError" in str(first)
    assert second == "page of good.png"



def test_a_page_sent_back_by_a_worker_reads_the_same_and_is_little_more_than_its_28x28s():
    import pickle

    from digitreader.classify import load_classifier
    from digitreader.preprocess import preprocess_file
    from digitreader.reading import read_pages, without_photo

    classifier = load_classifier(MODEL_PATHS["mlp"])
    for path in (ROOT / "samples" / "2026_sticky_note.jpg", ROOT / "samples" / "3_shadow.jpg"):
        page = preprocess_file(path)
        sent = without_photo(page)
        (read_here,), (read_sent,) = (read_pages([(path.name, version)], classifier)
                                      for version in (page, sent))
        assert read_sent.record(images=True) == read_here.record(images=True)
        # The photo and the candidates' masks stay in the worker: they were 9/10 of the rest.
        images = sum(crop.image.nbytes for crop in sent.crops)
        assert len(pickle.dumps(sent)) < 2 * images, path.name

# Run with this on PYTHONPATH, Python cannot import TensorFlow: as in a reading-only install.
WITHOUT_TENSORFLOW = '''
import importlib.abc, sys

class NoTensorFlow(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "keras"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, NoTensorFlow())
'''


def test_reading_needs_no_tensorflow_and_says_what_to_install_when_it_does(tmp_path):
    import shutil

    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(WITHOUT_TENSORFLOW)
    hidden = {"PYTHONPATH": str(tmp_path / "site")}
    samples = sample_images()
    result = run_cli("main.py", "--json", *samples, env=hidden, python_flags=["-X", "importtime"])
    assert result.returncode == 0, result.stderr
    assert [record["number"] for record in json_lines(result.stdout)] == \
        [path.name.split("_")[0] for path in samples]
    assert not [line for line in result.stderr.splitlines() if "tensorflow" in line or "keras" in line]

    own = tmp_path / "own.keras"  # a model of the user's, with no export
    shutil.copy(MODEL_PATHS["mlp"], own)
    result = run_cli("main.py", "--model", own, samples[0], env=hidden)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: reading {own} (it has no LiteRT export of its own beside it) needs TensorFlow, "
        "which is not installed here: pip install '.[train]' in the project's folder "
        "(or pip install tensorflow)")
    result = run_cli("build_model.py", "--epochs", "1", "--output", tmp_path / "m.keras", env=hidden)
    assert result.returncode == 1
    assert result.stderr.strip() == ("error: training needs TensorFlow, which is not installed "
                                     "here: pip install '.[train]' in the project's folder "
                                     "(or pip install tensorflow)")
