"""Figures: training curves, what the model saw in an image, and evaluation results.

Figures are drawn on `matplotlib.figure.Figure` objects, which need no GUI backend; only
showing a window (in main.py) involves pyplot.
"""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle


def training_curves(history, outliers=False):
    """Loss and accuracy per epoch, training vs validation, side by side.

    history: Keras' History.history dict (loss, accuracy, val_loss, val_accuracy lists).
    outliers: whether the training batches held non-digits (at random labels, so that the
    training accuracy cannot pass about 70%), which the legend then says.
    """
    figure = Figure(figsize=(10, 4), layout="constrained")
    epochs = np.arange(1, len(history["loss"]) + 1)
    training = "training (augmented, a third non-digits)" if outliers else "training (augmented)"
    for axes, metric in zip(figure.subplots(1, 2), ("loss", "accuracy")):
        axes.plot(epochs, history[metric], marker=".", label=training)
        axes.plot(epochs, history[f"val_{metric}"], marker=".", label="validation")
        axes.set_xlabel("epoch")
        axes.set_title(metric)
        axes.grid(alpha=0.3)
        axes.legend()
    return figure


def reading_figure(figure, reading, steps=False):
    """Fill `figure` with what was read in one image, for one digit or many alike.

    Top: the photo with a numbered box on each digit (with `steps`, beside it the ink taken
    for the digits). Below: each digit's 28x28, as the model saw it, with its reading, and
    the ten probabilities of the least sure digit (of the digit, when there is one).
    reading: a reading.Reading.
    """
    page, digits = reading.page, reading.digits
    count = len(digits)
    # Wide enough for the row of 28x28s and the bars, and for the photo (beside the ink).
    figure.set_size_inches(max(1.5 * count + 4.5, 10.0 if steps else 7.0), 6.0)
    figure.set_layout_engine("constrained")
    top, bottom = figure.subfigures(2, 1, height_ratios=[2.2, 1])
    photo_panels = top.subplots(1, 2 if steps else 1, squeeze=False)[0]
    photo_panels[0].imshow(page.photo.rgb)
    photo_panels[0].set_title("photo")
    if steps:
        photo_panels[1].imshow(page.mask_of(reading.chosen), cmap="gray")
        photo_panels[1].set_title("ink taken for the digits")
    for axes in photo_panels:
        for number, digit in enumerate(digits, start=1):
            x, y, width, height = digit.photo_box
            axes.add_patch(Rectangle((x - 0.5, y - 0.5), width, height, fill=False,
                                     edgecolor="tab:red", linewidth=1.2))
            axes.annotate(str(number), (x, y), xytext=(0, 2), textcoords="offset points",
                          color="tab:red", fontsize=9, va="bottom")
        axes.set_xticks([])
        axes.set_yticks([])
    panels = bottom.subplots(1, count + 1, squeeze=False,
                             gridspec_kw={"width_ratios": [1] * count + [2.5]})[0]
    for number, (axes, digit) in enumerate(zip(panels, digits), start=1):
        axes.imshow(digit.image, cmap="gray", vmin=0, vmax=1)
        axes.set_title(f"{number}: {digit.shown} ({digit.guess}: {digit.confidence:.0%})"
                       if not digit.sure else f"{number}: {digit.digit} ({digit.confidence:.0%})",
                       fontsize=10)
        axes.set_xticks([])
        axes.set_yticks([])
    least = min(range(count), key=lambda index: digits[index].confidence)
    probabilities = digits[least].probabilities
    colours = ["tab:blue"] * len(probabilities)
    colours[digits[least].guess] = "tab:orange"
    bars = panels[-1]
    bars.bar(range(len(probabilities)), probabilities, color=colours)
    bars.set_xticks(range(len(probabilities)))
    bars.set_ylim(0, 1)
    bars.set_title("probabilities" if count == 1 else f"probabilities of digit {least + 1}",
                   fontsize=10)
    figure.suptitle(f"{Path(reading.name).name}: {reading.number}")
    return figure


def confusion_matrix_figure(matrix, extra, title):
    """The confusion matrix with its counts; digits read right shaded blue, confusions red.

    matrix: int (10, 12), rows the digit written, columns the digit read, then "not a digit"
    and "missing"; extra: int (11,), digits (and marks that are not digits) read where none
    was written (a row of its own, shown when any).
    Shades are shares of the written digit's count; the reds are scaled to the largest
    confusion, so that the few misreads stand out next to the thousands read right.
    """
    matrix = np.asarray(matrix)
    if np.any(extra):
        matrix = np.vstack([matrix, np.append(extra, 0)])
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    on_diagonal = np.eye(*matrix.shape, dtype=bool)
    confusions = np.where(on_diagonal, 0.0, shares)
    figure = Figure(figsize=(6.8, 6.2), layout="constrained")
    axes = figure.subplots()
    axes.imshow(np.ma.masked_where(~on_diagonal, shares), cmap="Blues", vmin=0, vmax=1)
    axes.imshow(np.ma.masked_where(on_diagonal | (matrix == 0), confusions), cmap="Reds",
                vmin=0, vmax=max(confusions.max(), 1e-9) * 1.3)
    for (row, column), count in np.ndenumerate(matrix):
        if count:
            dark = on_diagonal[row, column] and shares[row, column] > 0.5
            axes.text(column, row, str(count), ha="center", va="center", fontsize=8,
                      color="white" if dark else "black")
    axes.set_xticks(range(matrix.shape[1]), [*map(str, range(10)), "not a\ndigit", "missing"])
    axes.set_yticks(range(matrix.shape[0]), [*map(str, range(10)), "extra"][:matrix.shape[0]])
    axes.set_xlabel("digit read")
    axes.set_ylabel("digit written")
    axes.set_title(title)
    return figure


def misread_figure(cells, title, columns=8):
    """A grid of misread images: each the photo (if any) with the boxes taken for the digits,
    and the 28x28s the model saw, under a caption such as "3_kitchen.jpg\\n3→5 (87%)".

    cells: list of (caption, photo RGB float32 (h, w, 3) in [0, 1] or None, boxes [(x, y, w, h)]
    in the photo's pixels, digits float32 (28, 28 n) in [0, 1]: the n 28x28s side by side).
    """
    if not cells:
        figure = Figure(figsize=(6, 1.2))
        figure.text(0.5, 0.5, f"{title}\nno misread images", ha="center", va="center")
        return figure
    panels = 2 if any(photo is not None for _, photo, _, _ in cells) else 1
    columns = min(columns * (3 - panels), len(cells))  # MNIST cells are half as wide
    rows = -(-len(cells) // columns)
    figure = Figure(figsize=(1.3 * panels * columns, 1.7 * rows + 0.4), layout="constrained")
    grid = figure.subplots(rows, panels * columns, squeeze=False)
    for axes in grid.flat:
        axes.set_axis_off()
    for index, (caption, photo, boxes, digits) in enumerate(cells):
        row, column = divmod(index, columns)
        cell = grid[row, panels * column:panels * (column + 1)]
        if photo is not None:
            cell[0].imshow(photo)
            for x, y, width, height in boxes:
                cell[0].add_patch(Rectangle((x - 0.5, y - 0.5), width, height, fill=False,
                                            edgecolor="tab:red", linewidth=1))
        cell[-1].imshow(digits, cmap="gray", vmin=0, vmax=1)
        cell[0].set_title(caption, fontsize=7, loc="left")
    figure.suptitle(title)
    return figure
