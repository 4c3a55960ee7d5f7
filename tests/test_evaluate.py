"""evaluate.py as a user runs it: a labelled folder of digits or numbers, MNIST, several
models, bad input; and the labelling and scoring rules it follows."""

import json
import os
import shutil
from pathlib import Path

import cv2
import pytest

from conftest import run_cli, run_module, sample_images
from digitreader.evaluation import align, file_label
from digitreader.model import DEFAULT_MODEL_PATH


def sample(digit):
    return next(path for path in sample_images() if path.name.startswith(f"{digit}_"))


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory):
    """Sample photos labelled every way evaluate.py reads labels, and files it must not choke on.

    Returns (folder, what evaluate.py should find).
    """
    folder = tmp_path_factory.mktemp("photos")
    for digit in (0, 3, 4, 6, 9):  # labelled by their folder, names not starting with a digit
        (folder / str(digit)).mkdir()
        shutil.copy(sample(digit), folder / str(digit) / f"photo{sample(digit).suffix}")
    (folder / "5").mkdir()
    shutil.copy(sample(5), folder / "5" / "1.png")  # in a digit folder, the folder wins
    shutil.copy(sample(7), folder / sample(7).name)  # labelled by its name
    shutil.copy(sample(8), folder / "2_mislabelled.png")  # an 8 filed as a 2: must count as misread
    (folder / "4" / "broken.jpg").write_text("not a JPEG\n")
    (folder / "notes.txt").write_text("no label: skipped with a note\n")
    shutil.copy(sample(2), folder / "20240105_0932.jpg")  # a camera's name: no label either
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")  # hidden: ignored silently
    expected = {"images": 8, "correct": 7, "unreadable": [str(folder / "4" / "broken.jpg")],
                "unlabelled": [str(folder / "20240105_0932.jpg"), str(folder / "notes.txt")]}
    return folder, expected



def test_a_pipe_in_the_folder_is_listed_as_unreadable_not_passed_over(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(sample(3), folder / sample(3).name)
    os.mkfifo(folder / "8_pipe.png")  # would block a reader that opened it
    result = run_cli("evaluate.py", folder, "--json", "--output-dir", tmp_path / "out", timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    (unreadable,) = report["unreadable"]
    assert unreadable["file"] == str(folder / "8_pipe.png")
    assert "not a regular file" in unreadable["error"]
    assert report["models"][0]["images"] == 1

def test_folder_json_has_counts_confusions_unreadable_files_and_figures(photo_folder, tmp_path):
    folder, expected = photo_folder
    result = run_cli("evaluate.py", folder, "--json", "--output-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [entry["file"] for entry in report["unreadable"]] == expected["unreadable"]
    assert "not an image" in report["unreadable"][0]["error"]
    assert report["unlabelled"] == expected["unlabelled"]
    (model,) = report["models"]
    assert model["images"] == expected["images"]
    assert model["correct"] == expected["correct"]
    assert model["accuracy"] == pytest.approx(expected["correct"] / expected["images"])
    matrix = model["confusion_matrix"]
    assert sum(map(sum, matrix)) == expected["images"]
    assert matrix[2][8] == 1, "the 8 filed as a 2 is read as an 8"
    assert [matrix[digit][digit] for digit in (0, 3, 5, 6, 7, 9)] == [1] * 6
    per_digit = {entry["digit"]: entry for entry in model["per_digit"]}
    assert per_digit[2]["accuracy"] == 0 and per_digit[5]["written"] == 1
    assert per_digit[1]["written"] == 0 and per_digit[1]["accuracy"] is None
    assert model["misread"] == [{"image": str(folder / "2_mislabelled.png"), "true": "2",
                                 "read": "8", "confidence": model["misread"][0]["confidence"]}]
    assert model["digits"] == {"written": 8, "right": 7, "missing": 0, "extra": 0}
    for name in ("confusion_matrix", "misread"):
        path = tmp_path / f"{name}.png"
        assert model["figures"][name] == str(path)
        image = cv2.imread(str(path))
        assert image is not None and min(image.shape[:2]) > 100


def test_folder_text_report(photo_folder, tmp_path):
    folder, _ = photo_folder
    result = run_cli("evaluate.py", folder, "--output-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "evaluating 8 images" in out and "1 unreadable file, listed at the end" in out
    assert "accuracy: 87.50% (7 of 8 images)" in out
    assert "77.78% (7 of 9) if the unreadable file counts as misread" in out
    assert "    2        1     0.00%" in out, "per-digit table: digit, written, accuracy"
    assert "confusion matrix (rows: digit written, columns: digit read, ? not a digit)" in out
    assert "misread: 1; rejected as not a digit: 0 (of the 1 images not read right)" in out
    assert "digits:" not in out, "a set of single digits read as single digits needs no digit count"
    assert f"unreadable files (1):\n  {folder / '4' / 'broken.jpg'}: " in out
    assert "note: skipped 2 files with no label" in result.stderr and "notes.txt" in result.stderr
    assert "Traceback" not in result.stderr


def test_several_models_are_compared_with_their_own_figures(photo_folder, tmp_path):
    folder, _ = photo_folder
    other = tmp_path / "other.keras"
    shutil.copy(DEFAULT_MODEL_PATH, other)
    figures = tmp_path / "figures"
    result = run_cli("evaluate.py", folder, "--model", DEFAULT_MODEL_PATH, "--model", other,
                     "--output-dir", figures)
    assert result.returncode == 0, result.stderr
    comparison = result.stdout.split("comparison\n", 1)[1].splitlines()
    assert comparison[0].split() == ["model", "accuracy", "misread", "rejected"]
    assert [line.split()[1:] for line in comparison[1:]] == [["87.50%", "1", "0"], ["87.50%", "1", "0"]]
    assert sorted(path.name for path in figures.iterdir()) == [
        "mnist_mlp_confusion_matrix.png", "mnist_mlp_misread.png",
        "other_confusion_matrix.png", "other_misread.png"]


def test_mnist_test_set_with_a_limit(mnist_file, tmp_path):
    result = run_cli("evaluate.py", "--mnist", "--data", mnist_file, "--limit", 500, "--json",
                     "--output-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    (model,) = json.loads(result.stdout)["models"]
    assert model["images"] == 500
    assert sum(map(sum, model["confusion_matrix"])) + sum(model["rejected_per_digit"]) == 500
    assert sum(entry["written"] for entry in model["per_digit"]) == 500
    assert all(entry["written"] > 20 for entry in model["per_digit"]), "spread over the whole set"
    assert model["accuracy"] >= 0.97
    assert len(model["misread"]) == 500 - model["correct"]
    assert all(entry["image"].startswith("x_test[") for entry in model["misread"])
    assert (tmp_path / "misread.png").is_file()


@pytest.mark.parametrize("args, message", [
    (["/no/such/folder"], "error: not a folder: /no/such/folder"),
    (["--model", "/no/such/model.keras", "--mnist"],
     "error: model file not found: /no/such/model.keras"),
])
def test_bad_input_is_one_line_without_tensorflow(args, message):
    result = run_cli("evaluate.py", *args, python_flags=["-X", "importtime"], timeout=60)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if not line.startswith("import time:")]
    assert errors == [message]
    assert not any("tensorflow" in line for line in result.stderr.splitlines())


def test_a_folder_without_labelled_images_is_an_error(tmp_path):
    (tmp_path / "holiday.jpg").write_bytes(b"whatever")
    result = run_cli("evaluate.py", tmp_path, timeout=60)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: no labelled images in {tmp_path}")


@pytest.mark.parametrize("args, message", [
    ([], "one of the arguments DIR --mnist is required"),
    (["photos", "--mnist"], "not allowed with argument"),
    (["photos", "--data", "mnist.npz"], "--data goes with --mnist"),
    (["--mnist", "--limit", "0"], "must be at least 1"),
])
def test_usage_errors(args, message):
    result = run_cli("evaluate.py", *args, timeout=60)
    assert result.returncode == 2
    assert message in result.stderr


def number_sample(number):
    return next(path for path in sample_images() if path.name.startswith(f"{number}_"))


@pytest.fixture(scope="module")
def number_folder(tmp_path_factory):
    """The number samples, labelled by name and by folder, with two labelled wrong."""
    folder = tmp_path_factory.mktemp("numbers")
    for number in ("2026", "4175"):
        shutil.copy(number_sample(number), folder / number_sample(number).name)
    (folder / "308").mkdir()
    shutil.copy(number_sample("308"), folder / "308" / "photo.png")  # labelled by its folder
    shutil.copy(number_sample("308"), folder / "3080_marker.png")  # a 0 the reader misses
    shutil.copy(number_sample("2026"), folder / "2027_note.jpg")  # a digit misread
    shutil.copy(sample("7"), folder / "07_seven.jpg")  # leading zeros count: one digit missing
    return folder


def test_numbers_are_scored_as_whole_numbers_with_digits_missing_and_extra(number_folder, tmp_path):
    result = run_cli("evaluate.py", number_folder, "--json", "--output-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    (model,) = json.loads(result.stdout)["models"]
    readings = {Path(entry["image"]).relative_to(number_folder).as_posix(): entry
                for entry in model["readings"]}
    assert {name: (entry["true"], entry["read"]) for name, entry in readings.items()} == {
        "2026_sticky_note.jpg": ("2026", "2026"), "4175_lined_paper.jpg": ("4175", "4175"),
        "308/photo.png": ("308", "308"), "3080_marker.png": ("3080", "308"),
        "2027_note.jpg": ("2027", "2026"), "07_seven.jpg": ("07", "7")}
    assert (model["images"], model["correct"]) == (6, 3)
    assert model["digits"] == {"written": 4 + 4 + 3 + 4 + 4 + 2, "right": 4 + 4 + 3 + 3 + 3 + 1,
                               "missing": 2, "extra": 0}
    assert model["confusion_matrix"][7][6] == 1, "the 7 of 2027 read as a 6"
    assert model["missing_per_digit"][0] == 2
    assert [entry["true"] for entry in model["misread"]] and \
        {entry["true"] for entry in model["misread"]} == {"3080", "2027", "07"}

    text = run_cli("evaluate.py", number_folder, "--output-dir", tmp_path).stdout
    assert "accuracy: 50.00% (3 of 6 images read right, the whole number)" in text
    assert "digits: 85.71% of 21 written digits read right; 2 missing, 0 extra" in text


@pytest.mark.parametrize("relative, label", [
    ("3_kitchen.jpg", "3"), ("3.png", "3"), ("7/1.jpg", "7"), ("2026_note.jpg", "2026"),
    ("numbers/0869_x.png", "0869"), ("2026/IMG_1.jpg", "2026"), ("7/2026_x.jpg", "7"),
    ("20240105_0932.jpg", None), ("IMG_4032.jpg", None), ("notes.txt", None),
])
def test_labels_come_from_digit_folders_else_the_leading_digits_of_the_name(relative, label):
    assert file_label(Path(relative)) == label


@pytest.mark.parametrize("label, read, pairs, missing, extra", [
    ("2026", "2026", [(2, 2), (0, 0), (2, 2), (6, 6)], [], []),
    ("3080", "308", [(3, 3), (0, 0), (8, 8)], [0], []),
    ("4", "46", [(4, 4)], [], [6]),
    ("129", "474", [(1, 4), (2, 7), (9, 4)], [], []),
    ("07", "", [], [0, 7], []),
])
def test_alignment_finds_the_fewest_changes(label, read, pairs, missing, extra):
    assert align(label, read) == (pairs, missing, extra)


def test_evaluate_measures_exactly_what_main_py_reads(mnist_file, tmp_path):
    """The accuracy evaluate.py reports is the accuracy main.py users get, file by file."""
    photos = tmp_path / "photos"
    written = run_module("digitreader.synthetic", "digits", photos, "--count", 60, "--seed", 11,
                         "--data", mnist_file)
    assert written.returncode == 0, written.stderr
    files = sorted(photos.iterdir())
    evaluated = run_cli("evaluate.py", photos, "--json", "--output-dir", tmp_path / "figures")
    assert evaluated.returncode == 0, evaluated.stderr
    (model,) = json.loads(evaluated.stdout)["models"]
    read = run_cli("main.py", "--json", *files)
    assert read.returncode == 0, read.stderr
    by_main = {record["file"]: record["number"] for record in map(json.loads, read.stdout.splitlines())}
    assert {entry["image"]: entry["read"] for entry in model["readings"]} == by_main
    right = sum(by_main[str(path)] == path.name.split("_")[0] for path in files)
    assert model["correct"] == right and model["images"] == len(files)
