"""Segmentation: the ink mask -> the digits of the written line, left to right.

The ink falls into connected pieces. Each is scored by how much it looks like writing (its
ink, less when it clings to the image border or is a long thin line across the frame). The
line of writing grows sideways from the best piece to pieces beside it, so a slightly sloping
line is followed step by step. Pieces over the same columns are one digit (the flag and body
of a "5"); small pieces near a digit join it, far from all they are specks; one piece much
wider than the line is tall is digits that touch, cut where the ink is thinnest. A photo of
one digit is a line of one.
"""

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from .box import Box
from .ink import NoDigitFound


@dataclass(frozen=True)
class SegmentParams:
    """The tuning of the segmentation step; each field says what it does."""

    # Pieces scoring below this share of the best one are specks.
    min_piece_share: float = 0.04
    # A piece touching the image border along its own size scores e^-this less.
    border_contact_penalty: float = 8.0
    # A piece longer than line_min_extent of the image and thinner than line_max_thinness
    # (area / length²) is a line, not a stroke: its score is multiplied by line_penalty.
    line_min_extent: float = 0.4
    line_max_thinness: float = 0.03
    line_penalty: float = 0.1
    # Pieces farther than this times the larger one's size apart belong to different marks.
    max_piece_gap: float = 0.35
    # Neighbours on the line overlap over line_min_overlap of the lower one's height, are at
    # most number_max_gap digit heights apart, and the taller is at most
    # line_max_height_ratio times as tall (a table's edge beside a digit is no neighbour).
    line_min_overlap: float = 0.3
    number_max_gap: float = 1.2
    line_max_height_ratio: float = 2.5
    # Digits spaced wider apart (up to far_max_gap heights) are neighbours only when level
    # (far_min_overlap of the lower one's height) and alike in height.
    far_max_gap: float = 2.5
    far_min_overlap: float = 0.6
    far_max_height_ratio: float = 1.5
    # At most this many of the strongest pieces are considered for the line.
    max_candidates: int = 200
    # Pieces sharing this share of the narrower one's columns are one digit.
    same_digit_overlap: float = 0.5
    # A group whose longer side is under min_digit_extent_share of the largest group's, or
    # whose height is under min_digit_height_share of the tallest group's, is a fragment.
    min_digit_extent_share: float = 0.4
    min_digit_height_share: float = 0.3
    # One piece wider than touching_aspect times the line's digit height is digits that
    # touch, each about typical_digit_aspect as wide as tall, cut where a column has at most
    # valley_share of the group's typical column's ink.
    touching_aspect: float = 1.35
    typical_digit_aspect: float = 0.7
    valley_share: float = 0.8


class Region(NamedTuple):
    """One digit's ink: mask bool (h, w), its Box, and its ink level (the typical strength
    of its strokes, what counts as a full stroke)."""

    mask: np.ndarray
    box: Box
    ink_level: float


def region(ink, mask):
    """The Region of the digit whose pixels are `mask` (bool (h, w)) in `ink` (float32 (h, w)).

    Its ink level is the median over the pixels that hold ink: the mask is taken from
    blurred ink, so around a one-pixel line drawn without anti-aliasing most of it holds none.
    """
    strokes = ink[mask]
    strokes = strokes[strokes > 0]
    return Region(mask, Box.of_mask(mask), float(np.median(strokes)) if strokes.size else 1.0)


def piece_scores(labels, stats, ink, params=SegmentParams()):
    """How likely each connected piece of ink is (part of) the writing: float (count,) >= 0.

    labels, stats: from cv2.connectedComponentsWithStats; label 0 (paper) scores 0.
    A piece scores its total ink, less when it clings to the image border (a paper edge,
    the table, a border shadow) or is a long thin line across the frame (a shadow's edge,
    a fold); a digit that merely touches the border with one stroke end keeps most of it.
    """
    count = len(stats)
    mass = np.bincount(labels.ravel(), weights=ink.ravel(), minlength=count)
    border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    contact = np.bincount(border, minlength=count)
    extent = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]).astype(float)
    score = mass * np.exp(-params.border_contact_penalty * contact / extent)
    thinness = stats[:, cv2.CC_STAT_AREA] / extent ** 2
    line_like = (extent > params.line_min_extent * max(labels.shape)) & \
        (thinness < params.line_max_thinness)
    score[line_like] *= params.line_penalty
    score[0] = 0.0
    return score


def find_digits(ink, mask, params=SegmentParams()):
    """The digits of the line of writing, left to right: a list of Region.

    ink: float32 (h, w) >= 0; mask: uint8 (h, w) of 0/1, the ink worth looking at.
    Raises NoDigitFound when the mask holds no ink.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        raise NoDigitFound("no digit found (no ink stands out from the paper)")
    boxes = [Box(int(x), int(y), int(width), int(height)) for x, y, width, height, _ in stats]
    scores = piece_scores(labels, stats, ink, params)
    groups = _digit_groups(_line_of_writing(boxes, scores, params), boxes, params)
    regions = [region(ink, np.isin(labels, sorted(group))) for group in groups]
    typical_height = float(np.median([found.box.height for found in regions]))
    digits = []
    for group, found in zip(groups, regions):
        # Digits that touch are one piece of ink much wider than the line's digits are tall.
        touching = len(group) == 1 and found.box.width > params.touching_aspect * typical_height
        digits.extend(split_touching(ink, found, params) if touching else [found])
    return sorted(digits, key=lambda found: found.box.x)


def _line_of_writing(boxes, scores, params):
    """The labels of the pieces on the line of writing.

    Pieces that are not specks are linked when they sit side by side on a line (a far
    neighbour must match in height and sit level) or when one is near the other (a
    pen-lifted stroke, the flag of a "5"). Each linked set is a candidate line; the line with
    the most ink is the writing, so a table's edge or a shadow, however strong, does not
    outweigh a row of digits.
    """
    best = float(scores.max())
    candidates = [label for label in np.argsort(-scores)[:params.max_candidates]
                  if label and scores[label] >= params.min_piece_share * best]
    line_of = {label: label for label in candidates}

    def root(label):
        while line_of[label] != label:
            line_of[label] = line_of[line_of[label]]
            label = line_of[label]
        return label

    for index, first in enumerate(candidates):
        for second in candidates[index + 1:]:
            if _linked(boxes[first], boxes[second], params):
                line_of[root(first)] = root(second)
    lines = {}
    for label in candidates:
        lines.setdefault(root(label), set()).add(label)
    return max(lines.values(), key=lambda line: sum(scores[label] for label in line))


def _linked(first, second, params):
    """Whether two pieces' boxes belong to one line of writing."""
    lower, taller = sorted((first.height, second.height))
    gap = first.horizontal_gap(second)
    level = first.overlap_y(second)
    side_by_side = level >= params.line_min_overlap and gap <= params.number_max_gap * taller \
        and taller <= params.line_max_height_ratio * lower
    far_neighbours = level >= params.far_min_overlap and gap <= params.far_max_gap * taller \
        and taller <= params.far_max_height_ratio * lower
    near = first.gap(second) <= params.max_piece_gap * max(first.longer_side, second.longer_side)
    return side_by_side or far_neighbours or near


def _digit_groups(line, boxes, params):
    """The pieces of the line grouped into digits: a list of label sets."""
    # Pieces over the same columns are parts of one digit: the flag and body of a "5", a
    # stroke broken in two.
    groups = []
    for label in sorted(line, key=lambda label: boxes[label].x):
        stacked = [group for group in groups
                   if any(boxes[label].overlap_x(boxes[other]) >= params.same_digit_overlap
                          for other in group)]
        groups = [group for group in groups if group not in stacked] + [{label}.union(*stacked)]
    # A group much smaller than the largest is a fragment: it joins the digit it nearly
    # touches, or is a speck. So is a flat one (no digit is much wider than tall and short
    # beside its neighbours).
    group_boxes = [Box.around(boxes[label] for label in group) for group in groups]
    largest = max(box.longer_side for box in group_boxes)
    sizeable = [box.longer_side >= params.min_digit_extent_share * largest for box in group_boxes]
    line_height = max(box.height for box, big in zip(group_boxes, sizeable) if big)
    is_digit = [big and box.height >= params.min_digit_height_share * line_height
                for box, big in zip(group_boxes, sizeable)]
    digits = [group for group, digit in zip(groups, is_digit) if digit]
    for group, box, digit in zip(groups, group_boxes, is_digit):
        if digit:
            continue
        gaps = [box.gap(Box.around(boxes[label] for label in other)) for other in digits]
        if min(gaps) <= params.max_piece_gap * box.longer_side:
            digits[int(np.argmin(gaps))] |= group
    return digits


def split_touching(ink, found, params=SegmentParams()):
    """Cut a Region of touching digits at the columns where it has least ink: list of Region.

    A cut is made only where the ink thins to a narrow join (under valley_share of the
    group's typical column): a wide "0" has no such column and stays whole.
    """
    x, y, width, height = found.box
    count = max(2, round(width / (params.typical_digit_aspect * height)))
    column_ink = found.mask[found.box.slices].sum(axis=0)
    typical_column = float(np.median(column_ink[column_ink > 0]))
    cuts = [0]
    for index in range(1, count):
        expected = index * width // count
        window = max(1, width // (4 * count))
        low, high = max(cuts[-1] + 1, expected - window), min(width - 1, expected + window)
        if high < low:
            continue
        cut = low + int(np.argmin(column_ink[low:high + 1]))
        if column_ink[cut] <= params.valley_share * typical_column:
            cuts.append(cut)
    cuts.append(width)
    pieces = []
    for start, end in zip(cuts, cuts[1:]):
        part = found.mask.copy()
        part[:, :x + start] = False
        part[:, x + end:] = False
        if part.any():
            pieces.append(region(ink, part))
    # A flat part is no digit: it was the long flag of a "5" or the bar of a "7", so keep whole.
    if any(piece.box.height < params.min_digit_height_share * height for piece in pieces):
        return [found]
    return pieces
