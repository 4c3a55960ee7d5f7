"""Evaluation: how well a model reads a labelled set of images, digits and numbers alike.

A photo's label is the digits written in it, as a string ("7", "2026", "0869": leading zeros
count). It is read exactly as main.py reads it (reading.preprocess_files, reading.read_pages)
and is right only when the whole number is: every digit right, in order, none missing or
extra. Beside that, the label and the reading are aligned digit by digit (the fewest
substitutions, missing and extra digits), which gives the share of digits read right, the
missing and extra digits, and the confusion matrix.

    labelled_files(folder)        -> [(path, label)], [unlabelled paths]
    read_folder(files)            -> [Sample] (preprocessed once, for every model)
    mnist_samples(images, labels) -> [Sample] of 28x28 images, not preprocessed
    evaluate(classifier, samples) -> Result: accuracy, digits, confusions, misread
    report_text, comparison_text, json_record, write_figures
"""

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .preprocess import ImageError
from .preprocess.decode import DecodeParams, read_file
from .reading import NOT_A_DIGIT, DigitReading, Reading, preprocess_files, read_pages

DIGITS = 10
# Columns of the confusion matrix: the ten digits, then "rejected" (a written digit read as
# not a digit), then "missing" (a written digit not read at all).
REJECTED, MISSING = DIGITS, DIGITS + 1
# A camera's file name is a date and time (20240105_0932.jpg), not the number written.
CAMERA_NAME = re.compile(r"(19|20)\d{6}[_-]\d{4}")
LEADING_DIGITS = re.compile(r"[0-9]+")
BATCH_SIZE = 1024  # images per model call: bounds memory on large sets
MAX_MISREAD_SHOWN = 48
THUMBNAIL_SIDE = 160  # photos in the misread grid are read this small
MAX_CAPTION_NAME = 22  # characters of a file name under its photo in the grid
DECIMALS = 6


@dataclass
class Sample:
    """One labelled image, preprocessed.

    name: the file's path, or x_test[i] for MNIST; label: the digits written, a string;
    page: preprocessing's Page without its photo (for holding thousands), or, for MNIST,
    None and `image`, the 28x28 itself. path: the file, to show it again in the misread grid.
    """

    name: str
    label: str
    page: object = None
    image: np.ndarray = None
    path: Path = None


@dataclass
class Score:
    """One reading against its label: the reading, whether the whole number is right, and the
    digit alignment: pairs (true digit, read digit), missing true digits, extra read digits."""

    reading: Reading
    right: bool
    pairs: list
    missing: list
    extra: list


def file_label(relative_path):
    """The digits written in a file, as a string, or None.

    relative_path: relative to the set's folder. The nearest folder named by digits wins
    (files sorted into digit folders are often numbered 1.jpg, 2.jpg, ...); else the digits
    the file name starts with (3_kitchen.jpg, 2026_note.jpg, 0869.png). A camera's
    date-and-time name (20240105_0932.jpg) has no label.
    """
    for folder in reversed(relative_path.parent.parts):
        if folder.isascii() and folder.isdigit():
            return folder
    name = relative_path.name
    match = LEADING_DIGITS.match(name)
    if not match or CAMERA_NAME.match(name):
        return None
    return match.group(0)


def labelled_files(folder):
    """([(path, label)], [paths without a label]) for the files under `folder`, sorted.

    Hidden files and folders (.DS_Store, .git) are not images of the set and are ignored.
    """
    labelled, unlabelled = [], []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        # Not a regular file but no folder either (a pipe, a socket, a broken link): listed
        # as unreadable with the reason, not passed over in silence.
        if path.is_dir() or any(part.startswith(".") for part in relative.parts):
            continue
        label = file_label(relative)
        if label is None:
            unlabelled.append(path)
        else:
            labelled.append((path, label))
    return labelled, unlabelled


def spread(items, limit):
    """At most `limit` of `items`, evenly spaced, so every folder and digit stays represented."""
    if limit is None or limit >= len(items):
        return items
    return [items[index] for index in np.linspace(0, len(items) - 1, limit).round().astype(int)]


def read_folder(files, progress=None):
    """Preprocess labelled files as main.py does: ([Sample], [(path, reason)] unreadable).

    files: [(path, label)]; progress: called with (files done, files).
    """
    samples, unreadable = [], []
    # Only the digits are kept: a thousand working-size photos would fill gigabytes.
    pages = preprocess_files([path for path, _ in files], keep_photos=False, progress=progress)
    for (path, label), (_, page) in zip(files, pages):
        if isinstance(page, ImageError):
            unreadable.append((path, str(page)))
        else:
            samples.append(Sample(str(path), label, page=page, path=path))
    return samples, unreadable


def mnist_samples(images, labels, limit=None):
    """MNIST test images as Samples: already 28x28, white on black, so not preprocessed.

    images: uint8 (N, 28, 28); labels: (N,) digits.
    """
    chosen = spread(list(range(len(images))), limit)
    return [Sample(f"x_test[{index}]", str(int(labels[index])),
                   image=images[index].astype(np.float32) / 255) for index in chosen]


def align(label, read):
    """Align the written digits with those read, with the fewest substitutions, missing and
    extra digits (Levenshtein). Returns (pairs [(true, read)], missing [true], extra [read]);
    a mark read as not a digit (NOT_A_DIGIT) is None."""
    rows, columns = len(label) + 1, len(read) + 1
    cost = np.zeros((rows, columns), int)
    cost[:, 0], cost[0, :] = range(rows), range(columns)
    for i in range(1, rows):
        for j in range(1, columns):
            cost[i, j] = min(cost[i - 1, j - 1] + (label[i - 1] != read[j - 1]),
                             cost[i - 1, j] + 1, cost[i, j - 1] + 1)
    pairs, missing, extra = [], [], []
    i, j = len(label), len(read)
    while i or j:
        if i and j and cost[i, j] == cost[i - 1, j - 1] + (label[i - 1] != read[j - 1]):
            pairs.append((int(label[i - 1]), _digit(read[j - 1])))
            i, j = i - 1, j - 1
        elif i and cost[i, j] == cost[i - 1, j] + 1:
            missing.append(int(label[i - 1]))
            i -= 1
        else:
            extra.append(_digit(read[j - 1]))
            j -= 1
    return pairs[::-1], missing[::-1], extra[::-1]


def _digit(shown):
    return None if shown == NOT_A_DIGIT else int(shown)


def score(label, reading):
    """A Score of one reading against its label."""
    return Score(reading, reading.number == label, *align(label, reading.number))


class Result:
    """One model's readings of the samples, scored; `unreadable` files count as misread in
    `accuracy_with_unreadable`."""

    def __init__(self, model_path, samples, readings, unreadable=()):
        self.model_path = model_path
        self.samples = samples
        self.scores = [score(sample.label, reading) for sample, reading in zip(samples, readings)]
        self.unreadable = list(unreadable)
        self.correct = sum(item.right for item in self.scores)
        self.accuracy = self.correct / len(samples)
        self.accuracy_with_unreadable = self.correct / (len(samples) + len(self.unreadable))
        self.written_digits = sum(len(sample.label) for sample in samples)
        self.digits_right = sum(true == read for item in self.scores for true, read in item.pairs)
        self.missing = sum(len(item.missing) for item in self.scores)
        self.extra = sum(len(item.extra) for item in self.scores)
        self.has_numbers = any(len(sample.label) > 1 for sample in samples)
        # Read wrong, but said to be in doubt: a mark read as not a digit, none misread.
        self.rejected = sum(not item.right and not item.reading.sure
                            and all(read is None or read == true for true, read in item.pairs)
                            for item in self.scores)

    def confusion_matrix(self):
        """int (10, 12): rows the written digit; columns the digit read, then "rejected"
        (read as not a digit), then "missing"."""
        matrix = np.zeros((DIGITS, DIGITS + 2), int)
        for item in self.scores:
            for true, read in item.pairs:
                matrix[true, REJECTED if read is None else read] += 1
            for true in item.missing:
                matrix[true, MISSING] += 1
        return matrix

    def extra_digits(self):
        """int (11,): how often each digit (then a mark that is not one) was read where none
        was written."""
        counts = np.zeros(DIGITS + 1, int)
        for item in self.scores:
            for read in item.extra:
                counts[REJECTED if read is None else read] += 1
        return counts

    def misread(self):
        """Indices of the samples read wrong, the most confident mistakes first (a number's
        confidence is its least sure digit's)."""
        wrong = [index for index, item in enumerate(self.scores) if not item.right]
        return sorted(wrong, key=lambda index: -confidence(self.scores[index].reading))


def confidence(reading):
    """A reading's confidence: its least sure digit's."""
    return min(digit.confidence for digit in reading.digits)


def evaluate(classifier, samples, unreadable=()):
    """Read every sample with `classifier`; returns the Result."""
    readings = []
    for start in range(0, len(samples), BATCH_SIZE):
        batch = samples[start:start + BATCH_SIZE]
        if batch[0].page is None:  # MNIST: the 28x28s themselves, one digit each
            rows = classifier([sample.image for sample in batch])
            readings += [Reading(sample.name, None, [DigitReading(sample.image, (0, 0, 28, 28),
                                                                  (0, 0, 28, 28), row)])
                         for sample, row in zip(batch, rows)]
        else:
            readings += read_pages([(sample.name, sample.page) for sample in batch], classifier)
    return Result(classifier.path, samples, readings, unreadable)


def plural(count, noun):
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def report_text(result):
    """The human-readable report of one model's results."""
    images = len(result.samples)
    lines = [f"model: {result.model_path}",
             f"accuracy: {result.accuracy:.2%} ({result.correct} of {images} images"
             + (" read right, the whole number)" if result.has_numbers else ")")]
    if result.unreadable:
        total = images + len(result.unreadable)
        which = "the unreadable file counts" if len(result.unreadable) == 1 else \
            f"the {len(result.unreadable)} unreadable files count"
        lines.append(f"          {result.accuracy_with_unreadable:.2%} ({result.correct} of "
                     f"{total}) if {which} as misread")
    wrong = images - result.correct
    lines.append(f"misread: {wrong - result.rejected}; rejected as not a digit: {result.rejected}"
                 f" (of the {wrong} images not read right)")
    if result.has_numbers or result.missing or result.extra:
        lines.append(f"digits: {result.digits_right / result.written_digits:.2%} of "
                     f"{result.written_digits} written digits read right; "
                     f"{result.missing} missing, {result.extra} extra")
    matrix = result.confusion_matrix()
    lines += ["", "digit  written  accuracy"]
    for digit in range(DIGITS):
        count = matrix[digit].sum()
        accuracy = f"{matrix[digit, digit] / count:8.2%}" if count else "       -"
        lines.append(f"{digit:>5}  {count:>7}  {accuracy}")
    width = max(4, len(str(matrix.max())) + 1)
    extra = result.extra_digits()
    lines += ["", "confusion matrix (rows: digit written, columns: digit read, ? not a digit)",
              "true " + "".join(f"{digit:>{width}}" for digit in range(DIGITS))
              + f"{NOT_A_DIGIT:>{width}}  missing"]
    for digit in range(DIGITS):
        lines.append(f"{digit:>4} " + "".join(f"{count:>{width}}" for count in matrix[digit, :MISSING])
                     + f"  {matrix[digit, MISSING]:>7}")
    if extra.any():
        lines.append("extra" + "".join(f"{count:>{width}}" for count in extra))
    return "\n".join(lines)


def comparison_text(results):
    width = max(len(str(result.model_path)) for result in results)
    lines = ["comparison", f"{'model':<{width}}  accuracy  misread  rejected"]
    lines += [f"{str(result.model_path):<{width}}  {result.accuracy:8.2%}  "
              f"{len(result.samples) - result.correct - result.rejected:>7}  {result.rejected:>8}"
              for result in results]
    return "\n".join(lines)


def json_record(result, figures):
    """One model's results as JSON: totals, per digit, confusions, misread and every image."""
    matrix = result.confusion_matrix()
    return {
        "model": str(result.model_path),
        "images": len(result.samples),
        "correct": result.correct,
        "accuracy": round(result.accuracy, DECIMALS),
        "accuracy_with_unreadable": round(result.accuracy_with_unreadable, DECIMALS),
        "rejected": result.rejected,
        "digits": {"written": result.written_digits, "right": result.digits_right,
                   "missing": result.missing, "extra": result.extra},
        "per_digit": [{"digit": digit, "written": int(matrix[digit].sum()),
                       "accuracy": round(matrix[digit, digit] / matrix[digit].sum(), DECIMALS)
                       if matrix[digit].sum() else None} for digit in range(DIGITS)],
        "confusion_matrix": matrix[:, :DIGITS].tolist(),
        "rejected_per_digit": matrix[:, REJECTED].tolist(),
        "missing_per_digit": matrix[:, MISSING].tolist(),
        "extra_per_digit": result.extra_digits().tolist(),
        "misread": [{"image": result.samples[index].name, "true": result.samples[index].label,
                     "read": result.scores[index].reading.number,
                     "confidence": round(confidence(result.scores[index].reading), DECIMALS)}
                    for index in result.misread()],
        "readings": [{"image": sample.name, "true": sample.label, "read": item.reading.number,
                      "right": item.right} for sample, item in zip(result.samples, result.scores)],
        "figures": figures,
    }


def figure_prefixes(model_paths):
    """The figures' file-name prefix per model: none for one model, else its stem (made unique)."""
    if len(model_paths) == 1:
        return [""]
    prefixes = []
    for path in model_paths:
        prefix, number = f"{Path(path).stem}_", 2
        while prefix in prefixes:
            prefix, number = f"{Path(path).stem}-{number}_", number + 1
        prefixes.append(prefix)
    return prefixes


def write_figures(result, output_dir, prefix):
    """Write the confusion matrix and misread grid; returns their paths. Raises OSError."""
    from .atomic import write_atomic
    from .figures import confusion_matrix_figure, misread_figure

    name = Path(result.model_path).name
    output_dir = Path(output_dir)
    matrix_path = output_dir / f"{prefix}confusion_matrix.png"
    title = f"{name}: {result.accuracy:.2%} of {len(result.samples)} images read right"
    figure = confusion_matrix_figure(result.confusion_matrix(), result.extra_digits(), title)
    write_atomic(figure.savefig, matrix_path)

    misread = result.misread()
    shown = misread[:MAX_MISREAD_SHOWN]
    cells = [misread_cell(result.samples[index], result.scores[index].reading) for index in shown]
    title = f"{name}: {len(misread)} misread" + (
        f", the {len(shown)} most confident shown" if len(shown) < len(misread) else "")
    misread_path = output_dir / f"{prefix}misread.png"
    write_atomic(misread_figure(cells, title).savefig, misread_path)
    return {"confusion_matrix": str(matrix_path), "misread": str(misread_path)}


def misread_cell(sample, reading):
    """(caption, photo or None, boxes in the photo's pixels, the 28x28s side by side) for
    figures.misread_figure."""
    caption = f"{sample.label}→{reading.number or '∅'} ({confidence(reading):.0%})"
    digits = np.hstack([digit.image for digit in reading.digits])
    if sample.path is None:
        return f"{sample.name}\n{caption}", None, [], digits
    name = sample.path.name
    if len(name) > MAX_CAPTION_NAME:
        name = name[:MAX_CAPTION_NAME - 1] + "…"
    try:
        photo = read_file(sample.path, DecodeParams(max_side=THUMBNAIL_SIDE))
    except ImageError:  # changed or removed since it was read: show the 28x28s alone
        return f"{name}\n{caption}", None, [], digits
    boxes = [tuple(value / photo.scale for value in digit.box) for digit in reading.digits]
    return f"{name}\n{caption}", photo.rgb, boxes, digits
