"""The sample photos in the repository's samples/, used by the README and the tests.

Every digit is drawn from a hand-designed pen path (handwriting; nothing comes from MNIST),
then given the faults of a phone photo of paper: grey paper, uneven light, shadow, texture,
JPEG, a small or off-centre digit. The numbers (file names start with the number) are digits
drawn side by side, on a sticky note, on ruled paper. The seed is fixed, so every run writes
the same images, byte for byte:

    PYTHONPATH=src python -m digitreader.synthetic samples

Each sample's faults are designed, not drawn at random as in the generated MNIST photos, so
its paper, light and noise are made here rather than by scene (whose random light and cached
noise fields would give other images); only to_uint8 and encode are shared.
"""

from pathlib import Path

import cv2
import numpy as np

from .handwriting import PENS, ink_mask, number_mask
from .scene import encode, to_uint8

SEED = 7
JPEG_QUALITY = 80

# file, pen path, pen, image (w, h), digit height px, digit centre (share of w, h), rotation
# degrees, effects: paper tone and texture, gradient / vignette / shadow strength, noise, one
# channel (grey) or RGBA (transparent) output. PNGs get little noise: noise makes PNGs big.
SAMPLES = [
    ("0_grey_paper.jpg", "0", "felt", (800, 600), 380, (.5, .5), 3, dict(paper=170, gradient=.4)),
    ("1_flag.jpg", "1_flag", "felt", (600, 800), 420, (.5, .5), 16, dict(noise=5)),
    ("1_greyscale_scan.png", "1", "marker", (400, 400), 280, (.5, .5), 0,
     dict(paper=245, grey=True)),
    ("2_marker.png", "2", "marker", (480, 480), 320, (.5, .5), 0,
     dict(vignette=.2, noise=.5, texture=1.5)),
    ("3_shadow.jpg", "3", "felt", (800, 600), 400, (.45, .5), 0, dict(shadow=.45, noise=4)),
    ("4_pencil.jpg", "4_open", "pencil", (800, 600), 400, (.5, .5), 4, dict(gradient=.2, noise=6)),
    ("4_closed_vignette.jpg", "4_closed", "felt", (700, 700), 420, (.5, .5), -3,
     dict(paper=200, vignette=.45)),
    ("5_light_on_dark.png", "5", "chalk", (480, 480), 330, (.5, .5), 2, dict(paper=45, grey=True)),
    ("6_texture.jpg", "6", "ballpoint", (800, 600), 380, (.5, .5), -5, dict(texture=14, noise=6)),
    ("7_small_offcentre.jpg", "7", "felt", (1600, 1200), 150, (.7, .3), 0,
     dict(gradient=.3, shadow=.3, noise=4)),
    ("8_transparent.png", "8", "marker", (400, 400), 300, (.5, .5), 0, dict(transparent=True)),
    ("9_ballpoint_tilted.jpg", "9", "ballpoint", (800, 800), 420, (.4, .45), -10,
     dict(paper=215, gradient=.3, noise=5)),
]

# Whole numbers: as SAMPLES, but with the pen paths of the digits left to right, the rotation
# turning the whole line, and more effects: gap (between digits, share of the digit height), note
# (BGR colour, side as share of the image height, rotation: a sticky note on a desk of the paper
# tone), rules (spacing px of ruled lines, with a margin line).
NUMBERS = [
    ("2026_sticky_note.jpg", ("2", "0", "2", "6"), "felt", (1200, 900), 200, (.5, .5), 3,
     dict(paper=150, note=((95, 222, 248), .9, -3), gradient=.25, noise=4)),
    ("4175_lined_paper.jpg", ("4_open", "1", "7", "5"), "fine ballpoint", (1200, 900), 140,
     (.5, .52), 4, dict(paper=240, rules=40, gradient=.3, shadow=.15, noise=4)),
    ("308_marker.png", ("3", "0", "8"), "marker", (900, 500), 260, (.5, .5), 0,
     dict(paper=245, gap=.17, texture=1, noise=0)),
]
RULE_BLUE, MARGIN_RED = (235, 205, 170), (140, 140, 225)  # BGR


def blurred_noise(shape, sigma, rng):
    """Unit-variance noise with features about `sigma` px wide: paper fibres, ink patchiness."""
    noise = cv2.GaussianBlur(rng.normal(0, 1, shape), (0, 0), sigma)
    return noise / noise.std()


def designed_light(w, h, fx, rng):
    """Brightness multiplier of the photo: the gradient, vignette and soft shadow `fx` asks for."""
    y, x = np.mgrid[0:h, 0:w] / max(w, h)
    light = np.ones((h, w))
    if fx.get("gradient"):  # light falls off towards one side of the page
        a = rng.uniform(0, 2 * np.pi)
        ramp = x * np.cos(a) + y * np.sin(a)
        light *= 1 - fx["gradient"] * (ramp - ramp.min()) / np.ptp(ramp)
    if fx.get("vignette"):  # phone lenses darken the corners
        r2 = ((x - x.mean()) ** 2 + (y - y.mean()) ** 2) / ((x.max() / 2) ** 2 + (y.max() / 2) ** 2)
        light *= 1 - fx["vignette"] * r2
    if fx.get("shadow"):  # a hand or phone between the lamp and the page, soft edged
        a = rng.uniform(0, 2 * np.pi)
        edge = (x - x.mean()) * np.cos(a) + (y - y.mean()) * np.sin(a) - .1
        light *= 1 - fx["shadow"] / (1 + np.exp(-edge / .04))
    return light


def render(path, pen, size, height, centre, angle, fx, rng):
    """One sample image: the digit inked on paper, then photographed (or RGBA if transparent)."""
    width, ink, grain = PENS[pen]
    w, h = size
    if isinstance(path, str):
        mask = ink_mask(path, width, height, angle, rng)
    else:
        mask = number_mask(path, width, height, angle, fx.get("gap", .25), rng)
    if grain:  # pencil and chalk leave ink only on the paper's raised grain
        mask *= np.clip(1 - grain * (.5 + .5 * blurred_noise(mask.shape, 1.5, rng)), 0, 1)
    alpha = np.zeros((h, w))
    mh, mw = mask.shape
    top, left = round(centre[1] * h - mh / 2), round(centre[0] * w - mw / 2)
    alpha[top:top + mh, left:left + mw] = mask
    if fx.get("transparent"):  # a digital drawing: ink colour everywhere, alpha says where
        return np.dstack([np.full((h, w, 3), ink), alpha * 255]).astype(np.uint8)
    tone = fx.get("paper", 232)
    paper = tone + fx.get("texture", 3) * blurred_noise((h, w), 2, rng)
    paper = paper[..., None] * np.array([.97, 1.0, 1.02])  # slightly warm paper
    if fx.get("note"):  # a sticky note lying turned on the desk
        colour, share, turn = fx["note"]
        corners = cv2.boxPoints(((w / 2, h / 2), (share * h, share * h), turn))
        note = cv2.fillConvexPoly(np.zeros((h, w)), np.round(corners).astype(np.int32), 1)
        note = cv2.GaussianBlur(note, (0, 0), 1)[..., None]
        paper = paper * (1 - note) + paper / tone * np.array(colour) * note
    if fx.get("rules"):  # printed blue ruled lines and a red margin line
        rules = [((0, y), (w, y), RULE_BLUE) for y in range(fx["rules"], h, fx["rules"])]
        for start, end, colour in rules + [((w // 8, 0), (w // 8, h), MARGIN_RED)]:
            line = cv2.line(np.zeros((h, w)), start, end, 1, 2, cv2.LINE_AA)[..., None]
            paper *= 1 - line * (1 - np.array(colour) / 255)  # printing ink darkens the paper
    photo = paper * (1 - alpha[..., None]) + np.array(ink) * alpha[..., None]
    photo *= designed_light(w, h, fx, rng)[..., None]
    photo += rng.normal(0, fx.get("noise", 1.5), photo.shape)  # camera sensor noise
    photo = to_uint8(photo)
    return cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY) if fx.get("grey") else photo


def render_samples():
    """Yield (file name, image array, encoded bytes) for every sample, in a fixed order."""
    # The numbers draw from a random generator of their own: the digits' images stay the same.
    rng, number_rng = np.random.default_rng(SEED), np.random.default_rng(SEED + 1)
    for name, *spec in [(*sample, rng) for sample in SAMPLES] + [(*n, number_rng) for n in NUMBERS]:
        image = render(*spec)
        suffix = Path(name).suffix
        params = (cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY) if suffix == ".jpg" else ()
        yield name, image, encode(image, suffix, *params)
