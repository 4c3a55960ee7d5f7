"""Non-digits (digitreader.synthetic.nondigits), made at test time: 28x28s and photos.

Each kind must draw what it claims, as the reader would make its 28x28, and the photos must be
phone photos; the same seed gives the same images and bytes. The last test prints how the
shipped model reads non-digits today: it is confident on most of them, which training with
outlier exposure is to change.
"""

import cv2
import numpy as np
import pytest

from conftest import ROOT
from digitreader.classify import load_classifier
from digitreader.preprocess import ImageError, preprocess_bytes
from digitreader.preprocess.normalize import MNIST_BOX, MNIST_CENTRE, centre_of_mass
from digitreader.reading import MIN_CONFIDENCE, read_pages
from digitreader.synthetic import cli, nondigits
from digitreader.synthetic.mnist_pens import pen_coverage
from digitreader.synthetic.mnist_photos import FRAME_ASPECTS, FRAME_LONG_SIDE
from digitreader.synthetic.nondigits import KINDS, MNIST_KINDS, draw_mark, \
    generate_nondigit_photos, nondigit_images

SEED = 7
PER_KIND = 20  # 28x28s of each kind the model is measured on
PHOTOS = 5 * len(KINDS)
HEIGHT = 60  # pixels: marks drawn for the kind-by-kind checks
DRAWS = 40  # marks drawn of a kind for its checks
MODEL = ROOT / "models" / "mnist_mlp.keras"
PNG_MAGIC, JPEG_MAGIC = b"\x89PNG", b"\xff\xd8\xff"
ALL_KINDS = KINDS + MNIST_KINDS


@pytest.fixture(scope="module")
def mnist_train(mnist_file):
    with np.load(mnist_file, allow_pickle=False) as data:
        return data["x_train"], data["y_train"]


@pytest.fixture(scope="module")
def images(mnist_train):
    return nondigit_images(PER_KIND * len(ALL_KINDS), SEED, *mnist_train)


@pytest.fixture(scope="module")
def photos():
    return list(generate_nondigit_photos(PHOTOS, SEED))


def marks(kind, count=DRAWS, seed=SEED):
    """`count` marks of `kind`, HEIGHT px tall, the pens in turn: [(coverage, what)]."""
    rng = np.random.default_rng(seed)
    return [draw_mark(kind, HEIGHT, nondigits.IMAGE_PENS[i % len(nondigits.IMAGE_PENS)], rng)
            for i in range(count)]


def pieces(coverage):
    """The pieces of ink of a coverage, as the reader's mask sees them: (count, labels, stats)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        (coverage > nondigits.MASK_LEVEL).astype(np.uint8), connectivity=8)
    return count - 1, labels, stats[1:]


def test_images_are_the_readers_28x28s_in_turn_and_the_same_for_the_same_seed(images, mnist_train):
    stack, kinds = images
    assert stack.shape == (PER_KIND * len(ALL_KINDS), 28, 28) and stack.dtype == np.float32
    assert stack.min() >= 0 and stack.max() <= 1
    assert kinds == list(ALL_KINDS) * PER_KIND
    for image in stack:
        rows, columns = np.nonzero(image > 0.05)
        # fit_box: the longer side 20 px (its faintest edge may fall below 0.05); centre_by_mass:
        # the centre of mass within half a pixel of MNIST's on each axis.
        assert MNIST_BOX - 2 <= max(np.ptp(rows), np.ptp(columns)) + 1 <= MNIST_BOX
        assert np.abs(np.subtract(centre_of_mass(image), MNIST_CENTRE)).max() <= 0.5
    first, first_kinds = nondigit_images(10, SEED, *mnist_train)
    assert np.array_equal(first, stack[:10]) and first_kinds == kinds[:10]
    assert not np.array_equal(nondigit_images(10, SEED + 1, *mnist_train)[0], first)
    alone, alone_kinds = nondigit_images(len(KINDS) + 1, SEED)
    assert alone_kinds == [*KINDS, KINDS[0]], "without MNIST, only the drawn kinds"
    with pytest.raises(ValueError, match="together"):
        nondigit_images(1, SEED, mnist_train[0])
    with pytest.raises(ValueError, match="MNIST"):
        nondigits.render_nondigit("pairs", np.random.default_rng(0))


def test_a_digit_is_made_as_mnist_made_it(mnist_train):
    # to_mnist is how every non-digit becomes a 28x28: an MNIST digit drawn by a pen comes
    # back close to MNIST's own image.
    rng = np.random.default_rng(SEED)
    likeness = [np.corrcoef(nondigits.to_mnist(pen_coverage(digit, 80, "ink", rng)).ravel(),
                            digit.ravel().astype(np.float32))[0, 1]
                for digit in mnist_train[0][:20]]
    assert np.median(likeness) > 0.85 and min(likeness) > 0.6


def test_letters_are_only_those_no_reader_takes_for_a_digit():
    assert set(nondigits.EXCLUDED_LETTERS) == set("OoQDIlijZzSsbGBgqTt")
    assert not set(nondigits.LETTERS) & set(nondigits.EXCLUDED_LETTERS)
    drawn = marks("letters", 240)
    assert {what for _, what in drawn} == set(nondigits.LETTERS), "every letter, none other"
    assert all(pieces(coverage)[0] for coverage, _ in drawn)


def test_symbols_are_drawn_and_slashes_lean_further_than_a_one():
    drawn = marks("symbols", 160)
    assert {what for _, what in drawn} == set(nondigits.SYMBOLS)
    for coverage, what in drawn:
        assert pieces(coverage)[0]
        if what in nondigits.SLASHES:
            height, width = coverage.shape
            assert width > 0.7 * height, "a slash leans 40 degrees or more"


def test_scribbles_turn_many_times():
    rng = np.random.default_rng(SEED)
    styles = set()
    for _ in range(DRAWS):
        points, style = nondigits.scribble_path(rng)
        steps = np.diff(points, axis=0)
        steps = steps[np.hypot(*steps.T) > 1e-9]
        angles = np.arctan2(steps[:, 1], steps[:, 0])
        turning = np.abs(np.angle(np.exp(1j * np.diff(angles)))).sum()
        assert turning > 3 * np.pi, f"a {style} turns {turning / np.pi:.1f} half-turns"
        styles.add(style)
    assert styles == set(nondigits.SCRIBBLES)


def test_smileys_have_two_eyes_and_a_mouth_apart():
    drawn = marks("smileys")
    for coverage, what in drawn:
        assert "eyes" in what and "mouth" in what
        assert pieces(coverage)[0] >= 3, f"{what}: the eyes and the mouth are their own ink"
    assert any("outline" in what for _, what in drawn)
    assert any("outline" not in what for _, what in drawn)


def ellipse_misfit(coverage):
    """How far the mark's outline strays from the ellipse fitted to it: the largest relative
    distance from it (0 on the ellipse)."""
    contours, _ = cv2.findContours((coverage > nondigits.MASK_LEVEL).astype(np.uint8),
                                   cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    contour = max(contours, key=cv2.contourArea)
    (x, y), (width, height), angle = cv2.fitEllipse(contour)
    turn = np.deg2rad(angle)
    points = (contour.reshape(-1, 2) - (x, y)) @ np.array([[np.cos(turn), -np.sin(turn)],
                                                            [np.sin(turn), np.cos(turn)]])
    radius = np.hypot(points[:, 0] / (width / 2), points[:, 1] / (height / 2))
    return float(np.abs(radius - 1).max())


def test_shapes_are_never_circles_or_ellipses():
    rng = np.random.default_rng(SEED)
    # The measure tells: ellipses drawn by the same hands fit theirs.
    for index in range(DRAWS):
        outline = nondigits._ellipse(0.5, 0.5, rng.uniform(0.3, 0.7), 0.5, closed=True)
        pen = nondigits.pen_width(nondigits.IMAGE_PENS[index % 3], HEIGHT, rng)
        drawn = nondigits._as_written(nondigits._strokes([outline], HEIGHT, pen), HEIGHT, rng)
        assert ellipse_misfit(drawn) < 0.14
    drawn = marks("shapes", 2 * DRAWS)
    assert {what.removeprefix("filled ") for _, what in drawn} == set(nondigits.SHAPES)
    for coverage, what in drawn:
        if what == "arrow":
            # Open strokes: a thin one's outline is a line's, which an ellipse fits; the
            # outline around it all (its convex hull: a long triangle) is no ellipse's.
            ink = (coverage > nondigits.MASK_LEVEL).astype(np.uint8)
            hull = cv2.convexHull(cv2.findNonZero(ink))
            coverage = cv2.fillConvexPoly(np.zeros(coverage.shape, np.float32), hull, 1.0)
        assert ellipse_misfit(coverage) > 0.15, what


def test_stains_are_filled_blots_or_scattered_dots():
    drawn = marks("stains")
    assert {what for _, what in drawn} == set(nondigits.STAINS)
    for coverage, what in drawn:
        count, labels, stats = pieces(coverage)
        largest = 1 + int(np.argmax(stats[:, cv2.CC_STAT_AREA]))
        depth = cv2.distanceTransform((labels == largest).astype(np.uint8), cv2.DIST_L2, 5).max()
        box = stats[largest - 1, cv2.CC_STAT_WIDTH:cv2.CC_STAT_HEIGHT + 1]
        assert 2 * depth > 0.4 * box.min(), f"{what}: solid ink, not a stroke"
        if what == "dots":
            assert count >= 2
        if what == "splatter":
            assert count >= 2, "a blob and its droplets"


def test_fragments_keep_a_quarter_to_three_fifths_of_a_digit(mnist_train):
    images, labels = mnist_train
    rng = np.random.default_rng(SEED)
    for index in range(DRAWS):
        coverage = pen_coverage(images[index], HEIGHT, "ink", rng)
        share = rng.uniform(*nondigits.FRAGMENT_SHARE)
        kept = nondigits.cut_fragment(coverage, share, rng)
        if kept is None:
            continue
        assert np.all((kept == 0) | (kept == coverage)), "part of the digit, nothing added"
        assert kept.sum() / coverage.sum() == pytest.approx(share, abs=0.08)
    for _ in range(DRAWS):
        fragment, what = nondigits.digit_fragment(images, labels, HEIGHT, "ink", rng)
        digit, share = what.split()
        assert digit != "1" and 0.25 <= float(share) <= 0.6
        assert not nondigits.is_digit_like(fragment)
    # A whole 0 holds a loop and a 1's stroke is a 1: both are refused.
    zero, one = (images[np.flatnonzero(labels == digit)[0]] for digit in (0, 1))
    assert nondigits.is_digit_like(pen_coverage(zero, HEIGHT, "ink", rng))
    assert nondigits.is_digit_like(pen_coverage(one, HEIGHT, "ink", rng))


def test_pairs_are_two_digits_side_by_side(mnist_train):
    rng = np.random.default_rng(SEED)
    touching = 0
    for _ in range(DRAWS):
        strip, what = nondigits.digit_pair(*mnist_train, HEIGHT, "ink", rng)
        assert what[:2].isdigit() and what[2:] in ("", ", touching")
        count, labels, stats = pieces(strip)
        if what.endswith("touching"):
            touching += 1
            continue
        # Apart: the ink furthest left and furthest right are two pieces, each a digit's
        # height, side by side (sharing rows).
        left = labels[:, np.flatnonzero(labels.any(axis=0))[0]].max()
        right = labels[:, np.flatnonzero(labels.any(axis=0))[-1]].max()
        assert left != right
        rows = [np.flatnonzero((labels == piece).any(axis=1)) for piece in (left, right)]
        assert all(len(span) > 0.4 * len(labels) for span in rows)
        assert rows[0][0] < rows[1][-1] and rows[1][0] < rows[0][-1]
    assert 0 < touching < DRAWS


def decoded(photo):
    return cv2.imdecode(np.frombuffer(photo, np.uint8), cv2.IMREAD_UNCHANGED)


def test_photos_are_phone_photos_of_each_kind_in_turn(photos):
    assert [kind for _, kind in photos] == [KINDS[i % len(KINDS)] for i in range(PHOTOS)]
    assert [photo for photo, _ in generate_nondigit_photos(3, SEED)] == \
        [photo for photo, _ in photos[:3]]
    for photo, kind in photos:
        assert photo.startswith((JPEG_MAGIC, PNG_MAGIC))
        image = decoded(photo)
        assert image.ndim == 3 and image.shape[2] == 3
        long_side, short_side = max(image.shape[:2]), min(image.shape[:2])
        assert FRAME_LONG_SIDE[0] - 1 <= long_side <= FRAME_LONG_SIDE[1] + 1
        assert short_side >= long_side / max(FRAME_ASPECTS) - 1
    with pytest.raises(ValueError, match="unknown kind"):
        nondigits.render_nondigit_photo(np.random.default_rng(0), "fragments")


def test_the_command_writes_the_photos_named_x_and_refuses_what_it_cannot(photos, tmp_path,
                                                                         capsys):
    # In this process (test_synthetic runs `python -m digitreader.synthetic` itself): the
    # photos are rendered once, not again in a new interpreter.
    count = 3
    assert cli.main(["nondigits", str(tmp_path / "x"), "--count", str(count),
                     "--seed", str(SEED)]) == 0
    assert f"wrote {count} photos" in capsys.readouterr().out
    written = {path.name: path.read_bytes() for path in (tmp_path / "x").iterdir()}
    expected = {f"x_{index}_{kind}{'.png' if photo.startswith(PNG_MAGIC) else '.jpg'}": photo
                for index, (photo, kind) in enumerate(photos[:count])}
    assert written == expected, "a smaller count gives the first photos"
    assert not any(name[0].isdigit() for name in written)
    afile = tmp_path / "a-file"
    afile.write_text("")
    assert cli.main(["nondigits", str(afile), "--count", "1"]) == 1
    assert "is a file, not a folder" in capsys.readouterr().err
    assert cli.main(["nondigits", str(tmp_path / "none"), "--count", "0"]) == 1
    assert "--count must be at least 1" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()


def test_how_the_shipped_model_reads_non_digits_today(images, photos):
    classifier = load_classifier(MODEL)
    stack, kinds = images
    best = classifier(stack).max(axis=1)
    kinds = np.array(kinds)
    pages, unreadable = [], 0
    for index, (photo, _) in enumerate(photos):
        try:
            pages.append((index, preprocess_bytes(photo)))
        except ImageError:
            unreadable += 1
    sure = {reading.name: reading.sure for reading in read_pages(pages, classifier)}
    photo_kinds = np.array([kind for _, kind in photos])
    confident = np.array([sure.get(index, False) for index in range(len(photos))])
    print(f"\n{MODEL.name} on non-digits (seed {SEED}):")
    print(f"  {'kind':<10} {'28x28 mean max p':>17} {'p >= ' + str(MIN_CONFIDENCE):>9}"
          f" {'photos read sure':>17}")
    for kind in ALL_KINDS:
        chosen = best[kinds == kind]
        cell = f"{confident[photo_kinds == kind].sum()}/{(photo_kinds == kind).sum()}" \
            if kind in KINDS else "-"
        print(f"  {kind:<10} {chosen.mean():>17.3f} {(chosen >= MIN_CONFIDENCE).mean():>9.0%}"
              f" {cell:>17}")
    print(f"  photos read with every digit at confidence >= {MIN_CONFIDENCE}: "
          f"{confident.mean():.0%} of {len(photos)} ({unreadable} with no digit found)")
    assert len(best) == len(stack) and np.all((best > 0) & (best <= 1))
