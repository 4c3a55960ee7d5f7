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


def draw_prediction(figure, title, preprocessed, probabilities, steps=False):
    """Fill `figure` with the photo, the 28x28 the model saw, and the ten probabilities.

    preprocessed: a preprocess.Preprocessed (photo, digit box, ink mask, 28x28);
    probabilities: (10,) floats summing to 1. With `steps`, the ink mask is shown too: what
    preprocessing took for ink, and the box it chose as the digit.
    """
    panels = ["photo", "ink", "digit", "bars"] if steps else ["photo", "digit", "bars"]
    widths = {"photo": 1.3, "ink": 1.3, "digit": 1, "bars": 1.4}
    figure.set_size_inches(3.0 * sum(widths[p] for p in panels), 3.8)
    axes = dict(zip(panels, figure.subplots(1, len(panels), gridspec_kw={
        "width_ratios": [widths[p] for p in panels]})))
    axes["photo"].imshow(preprocessed.photo)
    axes["photo"].set_title("photo")
    if steps:
        axes["ink"].imshow(preprocessed.ink_mask, cmap="gray")
        axes["ink"].set_title("ink taken for the digit")
    for name in ("photo", "ink") if steps else ("photo",):
        x, y, width, height = preprocessed.box
        axes[name].add_patch(Rectangle((x - 0.5, y - 0.5), width, height, fill=False,
                                       edgecolor="tab:red", linewidth=1.5))
    axes["digit"].imshow(preprocessed.digit, cmap="gray", vmin=0, vmax=1)
    axes["digit"].set_title("what the model sees (28×28)")
    for name in panels[:-1]:
        axes[name].set_xticks([])
        axes[name].set_yticks([])
    best = int(np.argmax(probabilities))
    colours = ["tab:blue"] * 10
    colours[best] = "tab:orange"
    axes["bars"].bar(range(10), probabilities, color=colours)
    axes["bars"].set_xticks(range(10))
    axes["bars"].set_ylim(0, 1)
    axes["bars"].set_title("probabilities")
    figure.suptitle(f"{title}: {best} ({probabilities[best]:.1%})")
    figure.set_layout_engine("constrained")
    return figure

