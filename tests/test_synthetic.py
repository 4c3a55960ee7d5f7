"""The synthetic package's command line: numbers, samples, and no TensorFlow."""

from conftest import ROOT, SAMPLES, run_module, sample_images
from digitreader.synthetic.numbers import generate_numbers


def test_samples_command_renders_the_committed_samples_byte_for_byte(tmp_path):
    result = run_module("digitreader.synthetic", "samples", tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    written = sorted(tmp_path.iterdir())
    assert [path.name for path in written] == [path.name for path in sample_images()]
    changed = [path.name for path in written
               if path.read_bytes() != (SAMPLES / path.name).read_bytes()]
    assert not changed, "the samples must be what the package draws"


def test_numbers_command_writes_what_generate_numbers_makes(mnist_file, mnist_test_set, tmp_path):
    expected = generate_numbers(*mnist_test_set, 3, seed=11)
    result = run_module("digitreader.synthetic", "numbers", tmp_path / "numbers", "--count", 3,
                        "--seed", 11, "--data", mnist_file, timeout=120)
    assert result.returncode == 0, result.stderr
    written = {path.name: path.read_bytes() for path in (tmp_path / "numbers").iterdir()}
    assert written == {f"{photo.number}_{index}.jpg": photo.photo
                       for index, photo in enumerate(expected)}

    inside = ROOT / "generated-numbers"
    refused = run_module("digitreader.synthetic", "numbers", inside, "--count", 1,
                         "--data", mnist_file)
    assert refused.returncode == 1 and "inside the repository" in refused.stderr
    assert str(ROOT) in refused.stderr
    assert not inside.exists()


def test_the_package_does_not_import_tensorflow():
    # -X importtime lists every module the command imports, on stderr.
    result = run_module("digitreader.synthetic", "--help", python_flags=("-X", "importtime"))
    assert result.returncode == 0, result.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert {"cv2", "digitreader.synthetic.sample_photos"} <= imported
    assert not {name for name in imported if name.split(".")[0] in {"tensorflow", "keras"}}
