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
