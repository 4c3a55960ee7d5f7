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


def draw_number(figure, title, digits, rows, steps=False):
    """Fill `figure` with the photo, a numbered box on each digit, and under it each
    digit's 28x28 with its reading.

    digits: the Preprocessed of each digit, left to right (they share one photo);
    rows: (n, 10) probabilities. With `steps`, the ink taken for the digits is shown too.
    """
    count = len(digits)
    figure.set_size_inches(max(8.0, 1.4 * count + 2), 6.0)
    figure.set_layout_engine("constrained")
    top, bottom = figure.subfigures(2, 1, height_ratios=[2.2, 1])
    photo_panels = top.subplots(1, 2 if steps else 1, squeeze=False)[0]
    photo_panels[0].imshow(digits[0].photo)
    photo_panels[0].set_title("photo")
    if steps:
        photo_panels[1].imshow(np.any([item.ink_mask for item in digits], axis=0), cmap="gray")
        photo_panels[1].set_title("ink taken for the digits")
    for axes in photo_panels:
        for number, item in enumerate(digits, start=1):
            x, y, width, height = item.box
            axes.add_patch(Rectangle((x - 0.5, y - 0.5), width, height, fill=False,
                                     edgecolor="tab:red", linewidth=1.2))
            axes.annotate(str(number), (x, y), xytext=(0, 2), textcoords="offset points",
                          color="tab:red", fontsize=9, va="bottom")
        axes.set_xticks([])
        axes.set_yticks([])
    best = [int(np.argmax(row)) for row in rows]
    for number, (axes, item, digit, row) in enumerate(
            zip(bottom.subplots(1, count, squeeze=False)[0], digits, best, rows), start=1):
        axes.imshow(item.digit, cmap="gray", vmin=0, vmax=1)
        axes.set_title(f"{number}: {digit} ({row[digit]:.0%})", fontsize=10)
        axes.set_xticks([])
        axes.set_yticks([])
    figure.suptitle(f"{title}: {''.join(map(str, best))}")
    return figure



def confusion_matrix_figure(matrix, title):
    """The confusion matrix with its counts; right reads shaded blue, confusions red.

    matrix: int (10, 10), rows the true digit, columns the predicted one. Shades are shares of
    the true digit's images; the reds are scaled to the largest confusion, so that the few
    misreads stand out next to the thousands read right.
    """
    matrix = np.asarray(matrix)
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    on_diagonal = np.eye(len(matrix), dtype=bool)
    confusions = np.where(on_diagonal, 0.0, shares)
    figure = Figure(figsize=(6.4, 6), layout="constrained")
    axes = figure.subplots()
    axes.imshow(np.ma.masked_where(~on_diagonal, shares), cmap="Blues", vmin=0, vmax=1)
    axes.imshow(np.ma.masked_where(on_diagonal | (matrix == 0), confusions), cmap="Reds",
                vmin=0, vmax=max(confusions.max(), 1e-9) * 1.3)
    for (row, column), count in np.ndenumerate(matrix):
        if count:
            dark = on_diagonal[row, column] and shares[row, column] > 0.5
            axes.text(column, row, str(count), ha="center", va="center", fontsize=8,
                      color="white" if dark else "black")
    axes.set_xticks(range(len(matrix)))
    axes.set_yticks(range(len(matrix)))
    axes.set_xlabel("predicted digit")
    axes.set_ylabel("true digit")
    axes.set_title(title)
    return figure


def misread_figure(cells, title, columns=8):
    """A grid of misread images: each the photo (if any) with the box taken for the digit,
    and the 28x28 the model saw, under a caption such as "3_kitchen.jpg\\n3→5 (87%)".

    cells: list of (caption, photo RGB float32 (h, w, 3) in [0, 1] or None, box (x, y, w, h)
    in the photo's pixels or None, digit float32 (28, 28) in [0, 1]).
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
    for index, (caption, photo, box, digit) in enumerate(cells):
        row, column = divmod(index, columns)
        cell = grid[row, panels * column:panels * (column + 1)]
        if photo is not None:
            cell[0].imshow(photo)
            if box is not None:
                x, y, width, height = box
                cell[0].add_patch(Rectangle((x - 0.5, y - 0.5), width, height, fill=False,
                                            edgecolor="tab:red", linewidth=1))
        cell[-1].imshow(digit, cmap="gray", vmin=0, vmax=1)
        cell[0].set_title(caption, fontsize=7, loc="left")
    figure.suptitle(title)
    return figure
