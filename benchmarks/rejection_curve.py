"""How often the reader says "not a digit", for non-digits and for digits, as its threshold moves.

    python benchmarks/rejection_curve.py [--model PATH ...] [--energy] [--photos 600]
        [--seed 2027] [--real ../shared/data/real/digits] [--data MNIST.npz]
        [--figure docs/rejection_curve.png]

Non-digits: generated photos of marks that are not digits (synthetic.nondigits, seed --seed,
never the seed training draws its non-digits from), read as main.py reads them; a photo is
rejected when every mark read is below the threshold ("any": at least one is), and when no
mark is found at all. Marks cut from one piece of ink are scored, as the reader judges them,
jointly (the product of their probabilities; the sum of their negative energies, which are
log-densities), and a filled blob (preprocess.ink.is_filled) as low as a score goes. Also
28x28 non-digits of every kind, fragments and pairs made from the MNIST TEST split. Digits:
the MNIST test set (its 28x28s) and the real digits (a folder of photos, one digit each, read
as main.py reads them); a digit is falsely rejected when a mark read in it is below the
threshold.

The score is the probability of the most likely digit (reading.MIN_CONFIDENCE is its
threshold); with --energy also the negative energy of Liu et al. 2020, logsumexp of the
logits (the last layer's input times its weights: the model must be a Keras model whose
last layer is Dense with a softmax), read on the marks the reader chose. Prints, per model
and score, the threshold at which 1% of the digits (MNIST, real) are rejected and what is
rejected there, and at reading.MIN_CONFIDENCE; draws the trade-off of the first model to
--figure (the curve of every model and score, the chosen operating point marked).
"""

import argparse
import time
from pathlib import Path

import numpy as np

from digitreader.classify import load_classifier
from digitreader.data import MNIST_ENV, resolve_mnist_path
from digitreader.model import MODEL_PATHS
from digitreader.reading import MIN_CONFIDENCE, joint_per_ink, read_pages
from digitreader.synthetic.measure import read_nondigit_photos, read_present

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_PHOTOS = 600
DEFAULT_SEED = 2027  # training draws its non-digits from its seed + 1000 (train.py)
DEFAULT_REAL = ROOT.parent / "shared" / "data" / "real" / "digits"
DEFAULT_FIGURE = ROOT / "docs" / "rejection_curve.png"
IMAGES_PER_KIND = 100  # 28x28 non-digits of each kind
FALSE_REJECTION = 0.01  # the digits' rejection the thresholds are read at
THRESHOLDS = np.round(np.arange(0.10, 1.0, 0.01), 2)  # for the max-probability curves


def logit_function(model_path):
    """images float32 (N, 28, 28) -> logits (N, 10) of a Keras model ending in Dense softmax."""
    from digitreader.model import import_keras, load_model

    keras = import_keras()
    model = load_model(model_path)
    last = model.layers[-1]
    body = keras.Sequential(model.layers[:-1])
    weights, bias = last.get_weights()
    return lambda images: np.asarray(body(np.asarray(images, np.float32), training=False)) @ weights + bias


def negative_energy(logits):
    top = logits.max(axis=1, keepdims=True)
    return (top + np.log(np.exp(logits - top).sum(axis=1, keepdims=True)))[:, 0]


class Scores:
    """One model's scores (higher: more a digit) on every set, for one kind of score."""

    def __init__(self, mnist, real, photos_all, photos_any, images, image_kinds, photo_kinds):
        self.mnist, self.real = mnist, real  # per digit: the lowest score of its marks
        self.photos_all, self.photos_any = photos_all, photos_any  # highest / lowest mark
        self.images, self.image_kinds, self.photo_kinds = images, image_kinds, photo_kinds

    def at(self, threshold):
        """Shares rejected at `threshold` (a score below it is "not a digit")."""
        shares = {"mnist": np.mean(self.mnist < threshold), "real": np.mean(self.real < threshold),
                  "photos": np.mean(self.photos_all < threshold),
                  "photos_any": np.mean(self.photos_any < threshold)}
        for kind in dict.fromkeys(self.photo_kinds):
            shares[f"photo {kind}"] = np.mean(self.photos_all[self.photo_kinds == kind] < threshold)
        for kind in dict.fromkeys(self.image_kinds):
            shares[f"28x28 {kind}"] = np.mean(self.images[self.image_kinds == kind] < threshold)
        return shares

    def threshold_for(self, false_rejection):
        """The largest threshold at which at most `false_rejection` of the MNIST test digits
        and of the real digits are rejected."""
        limits = [np.sort(scores)[int(np.floor(false_rejection * len(scores)))]
                  for scores in (self.mnist, self.real)]
        return float(min(limits))


def model_scores(model_path, photos, real_samples, mnist_images, nondigit_images, image_kinds,
                 energy):
    """{score name: Scores} of one model: "max probability", and "energy" when asked."""
    classifier = load_classifier(model_path)
    photo_readings = read_present(classifier, [photo.page for photo in photos])
    real_readings = read_pages([(sample.name, sample.page) for sample in real_samples], classifier)
    # name: (score, whether it is a logarithm)
    functions = {"max probability": (lambda images: classifier(images).max(axis=1), False)}
    if energy:
        logits = logit_function(model_path)
        functions["energy"] = (lambda images: negative_energy(logits(images)), True)
    photo_kinds = np.array([photo.kind for photo in photos])
    results = {}
    for name, (score, logarithms) in functions.items():
        def marks(reading):
            # A filled blob is no digit at any threshold, nor is ink cut from it
            # (DigitReading.standing); marks cut from one piece of ink stand or fall together
            # (reading.MIN_CONFIDENCE).
            scores = score(np.stack([digit.image for digit in reading.digits]))
            filled = np.array([digit.filled for digit in reading.digits])
            scores = np.where(filled, -np.inf if logarithms else 0.0, scores)
            return joint_per_ink(scores, reading.inks, logarithms)

        photo_marks = [None if reading is None else marks(reading) for reading in photo_readings]
        results[name] = Scores(
            mnist=score(mnist_images), real=np.array([marks(reading).min() for reading in real_readings]),
            photos_all=np.array([-np.inf if m is None else m.max() for m in photo_marks]),
            photos_any=np.array([-np.inf if m is None else m.min() for m in photo_marks]),
            images=score(nondigit_images), image_kinds=image_kinds, photo_kinds=photo_kinds)
    return results


def print_table(results):
    rows = []
    for model, by_score in results.items():
        for name, scores in by_score.items():
            points = [("1% of digits", scores.threshold_for(FALSE_REJECTION))]
            if name == "max probability":
                points.append(("MIN_CONFIDENCE", MIN_CONFIDENCE))
            for label, threshold in points:
                rows.append((f"{Path(model).stem}, {name}", f"{label} = {threshold:.3g}",
                             scores.at(threshold)))
    keys = list(rows[0][2])
    print(f"{'model, score':<34} {'threshold':<24}" + "".join(f"{key:>17}" for key in keys[:4]))
    for model, point, shares in rows:
        print(f"{model:<34} {point:<24}" + "".join(f"{shares[key]:>17.1%}" for key in keys[:4]))
    print("\nrejected, kind by kind:")
    for model, point, shares in rows:
        print(f"  {model}, {point}")
        print("    " + ", ".join(f"{key} {shares[key]:.0%}" for key in keys[4:]))


def draw(results, figure_path, photo_count):
    """The trade-off of every model and score: non-digit photos rejected against the digits
    falsely rejected; the max-probability curve of the first model against its threshold, and
    its operating point at MIN_CONFIDENCE."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, (left, right) = pyplot.subplots(1, 2, figsize=(12, 4.8))
    first = next(iter(results))
    chosen = results[first]["max probability"]
    curves = {key: [chosen.at(t)[key] for t in THRESHOLDS]
              for key in ("photos", "photos_any", "28x28 fragments", "28x28 pairs", "mnist", "real")}
    labels = {"photos": "non-digit photos: every mark rejected", "photos_any":
              "non-digit photos: a mark rejected", "28x28 fragments": "fragments of digits (28x28)",
              "28x28 pairs": "two digits in one 28x28", "mnist": "MNIST test digits (false rejection)",
              "real": "real digits (false rejection)"}
    for key, values in curves.items():
        style = "--" if key in ("mnist", "real") else "-"
        left.plot(THRESHOLDS, values, style, label=labels[key])
    left.axvline(MIN_CONFIDENCE, color="black", linewidth=0.8)
    left.text(MIN_CONFIDENCE, 0.5, f" MIN_CONFIDENCE {MIN_CONFIDENCE}", fontsize=8)
    left.set(xlabel="threshold on the most likely digit's probability", ylabel="share rejected",
             title=f"{Path(first).stem}: rejected as not a digit", ylim=(-0.02, 1.02))
    left.legend(fontsize=7, loc="center left")
    for model, by_score in results.items():
        for name, scores in by_score.items():
            grid = THRESHOLDS if name == "max probability" else np.quantile(
                np.concatenate([scores.mnist, scores.real]), np.linspace(0, 0.3, 200))
            false = [(scores.at(t)["mnist"] + scores.at(t)["real"]) / 2 for t in grid]
            right.plot(np.array(false) * 100, [scores.at(t)["photos"] for t in grid],
                       label=f"{Path(model).stem}, {name}")
    point = chosen.at(MIN_CONFIDENCE)
    right.plot([(point["mnist"] + point["real"]) / 2 * 100], [point["photos"]], "ko")
    right.annotate(f"operating point: threshold {MIN_CONFIDENCE}\n{point['photos']:.0%} of "
                   f"non-digits rejected,\nMNIST {point['mnist']:.2%}, real {point['real']:.1%} "
                   "of digits", ((point["mnist"] + point["real"]) / 2 * 100, point["photos"]),
                   xytext=(25, -60), textcoords="offset points", fontsize=8,
                   arrowprops={"arrowstyle": "->"})
    right.set(xlim=(0, 5), ylim=(-0.02, 1.02), xlabel="digits falsely rejected, % "
              "(mean of MNIST test and real digits)",
              ylabel=f"non-digit photos rejected (of {photo_count})", title="trade-off")
    right.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
    figure.savefig(figure_path, dpi=110)
    print(f"figure: {figure_path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, action="append",
                        help="a .keras model (repeatable; default the shipped MLP and CNN)")
    parser.add_argument("--energy", action="store_true", help="the energy score as well")
    parser.add_argument("--photos", type=int, default=DEFAULT_PHOTOS, metavar="N")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--real", type=Path, default=DEFAULT_REAL, metavar="DIR")
    parser.add_argument("--data", type=Path, help=f"MNIST .npz (default ${MNIST_ENV})")
    parser.add_argument("--figure", type=Path, default=DEFAULT_FIGURE, metavar="PNG")
    parser.add_argument("--no-figure", action="store_true")
    args = parser.parse_args()
    mnist = resolve_mnist_path(args.data)
    if mnist is None or not mnist.is_file():
        parser.error(f"no MNIST .npz at {mnist}: give --data PATH or ${MNIST_ENV}")
    from digitreader.evaluation import labelled_files, read_folder
    from digitreader.synthetic.nondigits import KINDS, MNIST_KINDS, nondigit_images

    labelled = labelled_files(args.real)[0] if args.real.is_dir() else []
    if not labelled:
        parser.error(f"no labelled digit photos in {args.real}: give --real DIR")
    start = time.perf_counter()
    photos = read_nondigit_photos(args.photos, args.seed)
    real, _ = read_folder(labelled)
    with np.load(mnist, allow_pickle=False) as data:
        x_test, y_test = data["x_test"], data["y_test"]
    images, kinds = nondigit_images(IMAGES_PER_KIND * len(KINDS + MNIST_KINDS), args.seed, x_test, y_test)
    print(f"{len(photos)} non-digit photos ({sum(p.page is None for p in photos)} with no mark "
          f"found), {len(images)} non-digit 28x28s, {len(real)} real digits, {len(x_test)} MNIST "
          f"test digits ({time.perf_counter() - start:.0f} s)\n")
    models = args.model or list(MODEL_PATHS.values())
    results = {str(model): model_scores(model, photos, real, x_test.astype(np.float32) / 255,
                                        images, np.array(kinds), args.energy)
               for model in models}
    print_table(results)
    if not args.no_figure:
        draw(results, args.figure, len(photos))


if __name__ == "__main__":
    main()
