"""Prediction: probabilities for preprocessed digits, and how to report them."""

import numpy as np


def predict_probabilities(model, digits):
    """digits: float32 (N, 28, 28) in [0, 1] -> float64 (N, 10), each row summing to 1."""
    batch = np.asarray(digits, dtype=np.float32).reshape(-1, 28, 28)
    # Calling the model directly skips predict()'s per-call set-up, which dominates for a few images.
    return np.asarray(model(batch, training=False), dtype=np.float64)


def ranked(probabilities, count=3):
    """The `count` most likely (digit, probability) pairs, most likely first."""
    order = np.argsort(probabilities)[::-1][:count]
    return [(int(digit), float(probabilities[digit])) for digit in order]


def describe(name, probabilities):
    """One readable line: `name: 7 (97.3%)   next: 1 (1.8%), 9 (0.4%)`."""
    (digit, confidence), *others = ranked(probabilities)
    runners_up = ", ".join(f"{other} ({share:.1%})" for other, share in others)
    return f"{name}: {digit} ({confidence:.1%})   next: {runners_up}"


def as_json_record(name, probabilities):
    """The --json object for one image: file, digit, confidence, probabilities (10)."""
    digit = int(np.argmax(probabilities))
    return {
        "file": str(name),
        "digit": digit,
        "confidence": round(float(probabilities[digit]), 6),
        "probabilities": [round(float(p), 6) for p in probabilities],
    }


def describe_number(name, rows):
    """One line for the digits of one image, left to right.

    rows: (n, 10) probabilities, one row per digit. One digit reads as `describe`; several as
    `name: 2026  (2: 99%, 0: 98%, 2: 97%, 6: 95%)`.
    """
    if len(rows) == 1:
        return describe(name, rows[0])
    best = [int(np.argmax(row)) for row in rows]
    shares = ", ".join(f"{digit}: {row[digit]:.0%}" for digit, row in zip(best, rows))
    return f"{name}: {''.join(map(str, best))}  ({shares})"


def number_json_record(name, rows, boxes):
    """The --json object for one image: file, number, and per digit its box in the photo
    ([x, y, width, height] in the file's pixels), digit, confidence and probabilities. With
    one digit, also that digit's digit, confidence and probabilities at the top level."""
    digits = [{**as_json_record(name, row), "box": [int(round(v)) for v in box]}
              for row, box in zip(rows, boxes)]
    for digit in digits:
        del digit["file"]
    record = {"file": str(name), "number": "".join(str(d["digit"]) for d in digits), "digits": digits}
    if len(digits) == 1:
        record = {**as_json_record(name, rows[0]), **record}
    return record
