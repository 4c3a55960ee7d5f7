"""Render the sample photos of handwritten digits in this folder, used by the README and tests.

Every digit is drawn here from a hand-designed pen path (nothing comes from MNIST), then given
the faults of a phone photo of paper: grey paper, uneven light, shadow, texture, JPEG, a small
or off-centre digit. The numbers (file names start with the number) are digits drawn side by
side. The seed is fixed, so every run writes the same images.

    python samples/make_samples.py
"""

from pathlib import Path

import cv2
import numpy as np

OUT_DIR = Path(__file__).parent
SEED = 7
JPEG_QUALITY = 80
DRAW_HEIGHT = 600  # paths are drawn this tall, then shrunk: smooth anti-aliased edges
CURVE_STEPS = 16  # points of the smooth curve between two control points

# Pen paths in a unit box: x right, y down, the digit 1 unit tall. A digit is a list of strokes,
# a stroke a list of control points joined by a smooth curve. Sharp corners (the 7's elbow, the
# 4's crossing) are where two strokes meet.
PATHS = {
    "0": [[(.55, 0), (.25, .12), (.1, .5), (.25, .9), (.5, 1), (.75, .88), (.85, .5),
           (.75, .12), (.52, 0), (.4, .06)]],
    "1": [[(.52, 0), (.5, .5), (.47, 1)]],
    "1_flag": [[(.34, .2), (.5, .06), (.56, 0), (.53, .2), (.5, .6), (.47, 1)]],
    "2": [[(.15, .25), (.3, .05), (.55, 0), (.78, .15), (.75, .4), (.45, .7), (.12, 1)],
          [(.12, 1), (.5, .97), (.9, 1)]],
    "3": [[(.15, .12), (.45, 0), (.75, .1), (.75, .3), (.42, .47)],
          [(.42, .47), (.78, .58), (.85, .8), (.6, .98), (.35, 1), (.12, .88)]],
    "4_open": [[(.25, 0), (.12, .62)], [(.12, .62), (.5, .6), (.9, .57)],
               [(.72, 0), (.7, .5), (.68, 1)]],
    "4_closed": [[(.62, 0), (.1, .66)], [(.1, .66), (.5, .64), (.9, .62)],
                 [(.62, 0), (.61, .5), (.6, 1)]],
    "5": [[(.85, 0), (.5, .02), (.25, 0)], [(.25, 0), (.2, .45)],
          [(.2, .45), (.5, .37), (.8, .52), (.82, .8), (.55, 1), (.15, .92)]],
    "6": [[(.7, 0), (.4, .2), (.2, .55), (.25, .9), (.5, 1), (.75, .87), (.75, .62),
           (.48, .5), (.22, .66)]],
    "7": [[(.1, .04), (.5, 0), (.88, 0)], [(.88, 0), (.65, .45), (.45, 1)]],
    "8": [[(.72, .1), (.5, 0), (.25, .1), (.3, .33), (.52, .5), (.78, .68), (.72, .92),
           (.5, 1), (.25, .92), (.24, .68), (.5, .5), (.72, .3), (.72, .1)]],
    "9": [[(.75, .2), (.52, 0), (.25, .1), (.22, .33), (.45, .46), (.75, .3)],
          [(.78, .06), (.74, .5), (.7, 1)]],
}

# Pens: stroke width (share of digit height), ink colour (BGR), grain (0 solid .. 1 patchy).
PENS = {
    "felt": (.12, (50, 40, 35), 0),
    "marker": (.17, (30, 30, 30), 0),
    "pencil": (.11, (90, 88, 85), .3),
    "ballpoint": (.095, (130, 55, 30), .15),
    "fine ballpoint": (.045, (130, 55, 30), .15),
    "chalk": (.13, (225, 230, 230), .25),
}

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


def smooth(points):
    """Catmull-Rom curve through the control points: a pen moves smoothly between them."""
    p = np.vstack([points[:1], points, points[-1:]])
    t = np.linspace(0, 1, CURVE_STEPS, endpoint=False)[:, None]
    pieces = [0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                     + (3 * p1 - p0 - 3 * p2 + p3) * t**3)
              for p0, p1, p2, p3 in zip(p, p[1:], p[2:], p[3:])]
    return np.vstack(pieces + [points[-1:]])


def ink_mask(path, pen_width, height, angle, rng):
    """Ink coverage 0..1 of one digit `height` px tall, cropped to its strokes."""
    # One smooth random warp for the whole digit, so strokes that meet at a corner still meet.
    freq, phase = rng.uniform(2, 5, (2, 2)), rng.uniform(0, 2 * np.pi, 2)
    slant = rng.uniform(.08, .2)  # most writers lean to the right
    turn = np.deg2rad(angle)
    rotation = np.array([[np.cos(turn), np.sin(turn)], [-np.sin(turn), np.cos(turn)]])
    strokes = []
    for stroke in PATHS[path]:
        pts = np.array(stroke, float)
        pts = pts + .03 * np.sin(pts @ freq + phase)
        pts = smooth(pts)
        # Hand tremor: small, slowly varying offsets along the stroke.
        tremor = rng.normal(0, .004, pts.shape)
        pts = pts + cv2.GaussianBlur(tremor, (1, 9), 0)
        pts[:, 0] += slant * (1 - pts[:, 1])
        strokes.append((pts - .5) @ rotation.T * DRAW_HEIGHT)
    width = pen_width * DRAW_HEIGHT
    corner = np.vstack(strokes).min(0) - width
    size = np.ceil(np.vstack(strokes).max(0) - corner + width).astype(int)
    canvas = np.zeros((size[1], size[0]), np.uint8)
    for pts in strokes:
        pts = np.round(pts - corner).astype(int)
        along = np.linspace(0, 1, len(pts))
        # Pressure: a little wave along the stroke, thinner where the pen lands.
        pressure = (1 + .15 * np.sin(2 * np.pi * along * rng.uniform(.7, 1.5) + rng.uniform(0, 6))
                    ) * (.75 + .25 * np.sin(np.pi * np.clip(along * 4, 0, 1) / 2))
        for a, b, p in zip(pts, pts[1:], pressure):
            cv2.line(canvas, tuple(map(int, a)), tuple(map(int, b)), 255,
                     max(1, round(width * p)), cv2.LINE_AA)
    ys, xs = np.nonzero(canvas)
    canvas = canvas[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    new_w = max(1, round(canvas.shape[1] * height / canvas.shape[0]))
    return cv2.resize(canvas, (new_w, height), interpolation=cv2.INTER_AREA) / 255.0


def number_mask(paths, pen_width, height, angle, gap, rng):
    """Ink coverage 0..1 of digits written side by side on a line turned by `angle` degrees."""
    digits = [ink_mask(path, pen_width, round(height * rng.uniform(.92, 1.08)),
                       rng.uniform(-3, 3), rng) for path in paths]
    drops = np.round(height * rng.uniform(-.04, .04, len(digits))).astype(int)  # baseline jitter
    lefts = np.cumsum([0] + [d.shape[1] + round(height * rng.uniform(gap - .05, gap + .05))
                             for d in digits[:-1]])
    base = max(d.shape[0] for d in digits) + drops.max()
    line = np.zeros((base + height // 2, lefts[-1] + digits[-1].shape[1] + height))
    for digit, left, drop in zip(digits, lefts + height // 2, drops):
        dh, dw = digit.shape
        line[base - drop - dh:base - drop, left:left + dw] = digit
    # Turn about the centre into a canvas big enough for the turned line, then crop to the ink.
    h, w = line.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1)
    turn[:, 2] += w // 2, w // 2
    line = cv2.warpAffine(line, turn, (2 * w, h + w))
    ys, xs = np.nonzero(line > .01)
    return line[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def blurred_noise(shape, sigma, rng):
    """Unit-variance noise with features about `sigma` px wide: paper fibres, ink patchiness."""
    noise = cv2.GaussianBlur(rng.normal(0, 1, shape), (0, 0), sigma)
    return noise / noise.std()


def light_field(w, h, fx, rng):
    """Brightness multiplier of the photo: gradient, vignette and a soft shadow."""
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
    photo *= light_field(w, h, fx, rng)[..., None]
    photo += rng.normal(0, fx.get("noise", 1.5), photo.shape)  # camera sensor noise
    photo = np.clip(photo, 0, 255).astype(np.uint8)
    return cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY) if fx.get("grey") else photo


def main():
    # The numbers draw from a random generator of their own: the digits' images stay the same.
    rng, number_rng = np.random.default_rng(SEED), np.random.default_rng(SEED + 1)
    for name, *spec in [(*sample, rng) for sample in SAMPLES] + [(*n, number_rng) for n in NUMBERS]:
        image = render(*spec)
        params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if name.endswith(".jpg") else []
        ok, data = cv2.imencode(Path(name).suffix, image, params)
        assert ok, name
        (OUT_DIR / name).write_bytes(data.tobytes())
        print(f"{name}: {image.shape[1]}x{image.shape[0]}, {len(data) // 1024} KB")


if __name__ == "__main__":
    main()
