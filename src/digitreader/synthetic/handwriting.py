"""Hand-designed handwriting for the sample photos: pen paths of every digit, and the pens.

Nothing here comes from MNIST. Each digit is a few strokes through control points in a unit
box, joined by smooth Catmull-Rom curves. Drawing one writes it as a hand would: one smooth
random warp for the whole digit (so strokes that meet at a corner still meet), hand tremor
along each stroke, a rightward slant, and a pressure wave along the stroke that thins it where
the pen lands. The strokes are drawn anti-aliased at DRAW_HEIGHT and shrunk to the digit's
height, which gives smooth edges. A number is digits written side by side, with their sizes,
tilts, baselines and gaps a little uneven, on a line turned as a whole.
"""

import cv2
import numpy as np

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


def smooth(points):
    """Catmull-Rom curve through the control points: a pen moves smoothly between them."""
    p = np.vstack([points[:1], points, points[-1:]])
    t = np.linspace(0, 1, CURVE_STEPS, endpoint=False)[:, None]
    pieces = [0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                     + (3 * p1 - p0 - 3 * p2 + p3) * t**3)
              for p0, p1, p2, p3 in zip(p, p[1:], p[2:], p[3:])]
    return np.vstack(pieces + [points[-1:]])


def ink_mask(path, pen_width, height, angle, rng):
    """Ink coverage 0..1 of one digit `height` px tall, cropped to its strokes.

    path: a key of PATHS; pen_width: stroke width as a share of the height; angle: degrees.
    """
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
    """Ink coverage 0..1 of digits written side by side on a line turned by `angle` degrees.

    gap: between neighbours, as a share of the digit height (each gap varies by 0.05).
    """
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
