"""Figures: training curves, and what the model saw for one image.

Figures are drawn on `matplotlib.figure.Figure` objects, which need no GUI backend; only
showing a window (in main.py) involves pyplot.
"""

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle


def training_curves(history):
    """Loss and accuracy per epoch, training vs validation, side by side.

    history: Keras' History.history dict (loss, accuracy, val_loss, val_accuracy lists).
    """
    figure = Figure(figsize=(10, 4), layout="constrained")
    epochs = np.arange(1, len(history["loss"]) + 1)
    for axes, metric in zip(figure.subplots(1, 2), ("loss", "accuracy")):
        axes.plot(epochs, history[metric], marker=".", label="training (augmented)")
        axes.plot(epochs, history[f"val_{metric}"], marker=".", label="validation")
        axes.set_xlabel("epoch")
        axes.set_title(metric)
        axes.grid(alpha=0.3)
        axes.legend()
    return figure


def draw_prediction(figure, title, photo, digit, probabilities, box=None):
    """Fill `figure` with the photo, the 28x28 the model saw, and the ten probabilities.

    photo: RGB float32 (h, w, 3) in [0, 1]; digit: float32 (28, 28) in [0, 1];
    probabilities: (10,) floats summing to 1; box: the digit's (x, y, w, h) in the photo.
    """
    figure.set_size_inches(11, 3.8)
    photo_axes, digit_axes, bar_axes = figure.subplots(
        1, 3, gridspec_kw={"width_ratios": [1.3, 1, 1.4]}
    )
    photo_axes.imshow(photo)
    photo_axes.set_title("photo")
    if box is not None:
        x, y, width, height = box
        photo_axes.add_patch(
            Rectangle((x - 0.5, y - 0.5), width, height, fill=False, edgecolor="tab:red", linewidth=1.5)
        )
    digit_axes.imshow(digit, cmap="gray", vmin=0, vmax=1)
    digit_axes.set_title("what the model sees (28×28)")
    for axes in (photo_axes, digit_axes):
        axes.set_xticks([])
        axes.set_yticks([])
    best = int(np.argmax(probabilities))
    colours = ["tab:blue"] * 10
    colours[best] = "tab:orange"
    bar_axes.bar(range(10), probabilities, color=colours)
    bar_axes.set_xticks(range(10))
    bar_axes.set_ylim(0, 1)
    bar_axes.set_title("probabilities")
    figure.suptitle(f"{title}: {best} ({probabilities[best]:.1%})")
    figure.set_layout_engine("constrained")
    return figure

