"""Segmentation: the ink mask -> the line of writing, and the ways to cut it into digits.

The ink falls into connected pieces. Each is scored by how much it looks like writing (its
ink, less when it clings to the image border or is a long thin line across the frame).
Pieces side by side on a level (a slightly sloping line is followed from neighbour to
neighbour) or near each other link up; the linked set with the most ink is the line of
writing. Its pieces, and the slices of pieces wide enough to be touching digits (cut where
their ink thins), are the atoms; every run of a few consecutive atoms that could be one digit
is a candidate, with a cost for an unlikely shape. The cheapest path through the candidates
is the reading: by shape alone (find_digits), or with the model's verdict on each candidate
(reading.read_pages), as cheque and postal-code readers do. A photo of one digit is a line
of one.
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
    # Pieces farther than this times the larger one's size apart belong to different marks,
    # and so do pieces one of which is over near_max_size_ratio times the other's size.
    max_piece_gap: float = 0.35
    near_max_size_ratio: float = 6.0
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
    # Pieces sharing this share of the narrower one's columns are parts of one digit.
    same_digit_overlap: float = 0.5
    # A piece at least cut_min_width line heights wide may be digits that touch: it is cut
    # where its ink thins to valley_share of its typical column, cuts at least
    # min_cut_spacing line heights apart. Above 1, cuts go through columns fuller than the
    # typical one too: a slanted or cursive join (the "56" of a cheque written in one
    # stroke) seldom thins the columns; the model's verdicts then choose among the cuts, and
    # reading.CUT_PLAUSIBILITY keeps a shape cut in halves from passing for digits.
    cut_min_width: float = 0.8
    valley_share: float = 1.2
    min_cut_spacing: float = 0.2
    # A piece over cut_max_aspect times as wide as tall is one stroke lying down (a dash, a
    # bar), not digits that touch (six of them joined in one stroke are about 4 times): its
    # level columns would be valleys at every spacing.
    cut_max_aspect: float = 6.0
    # A digit is made of at most max_atoms_per_digit atoms, at most max_digit_aspect line
    # heights wide, its pieces at most max_inner_gap line heights apart in x.
    max_atoms_per_digit: int = 6
    max_digit_aspect: float = 1.5
    max_inner_gap: float = 0.1
    # What a digit's shape costs (shape_cost): cut_cost per stroke cut through at its edges;
    # wide_cost per line height of width beyond usual_digit_aspect; short_cost per line
    # height of height below usual_digit_height. Each digit costs digit_cost (fewer, larger
    # digits are preferred, all else equal); leaving an atom out costs skip_cost per line
    # height of its size.
    cut_cost: float = 0.2
    usual_digit_aspect: float = 0.9
    wide_cost: float = 1.0
    usual_digit_height: float = 0.5
    short_cost: float = 5.0
    digit_cost: float = 0.0
    skip_cost: float = 3.0
    # Joining pieces that share no column costs join_cost, and gap_cost per line height of
    # blank between them.
    join_cost: float = 0.5
    gap_cost: float = 5.0
    # Neighbouring digits cost overlap_cost times the share of the narrower's columns they share.
    overlap_cost: float = 1.0


class Region(NamedTuple):
    """One digit's ink: its Box in the image, mask bool (box height, box width), the digit's
    pixels within the box, and its ink level (the typical strength of its strokes, what
    counts as a full stroke)."""

    box: Box
    mask: np.ndarray
    ink_level: float


def region(ink, box, mask):
    """The Region of the digit whose pixels are `mask` (bool, the size of `box`) in `ink`
    (float32 (h, w)); the box is shrunk to the pixels.

    Its ink level is the median over the pixels that hold ink: the mask is taken from
    blurred ink, so around a one-pixel line drawn without anti-aliasing most of it holds none.
    """
    tight = Box.of_mask(mask)
    mask = mask[tight.slices]
    box = Box(box.x + tight.x, box.y + tight.y, tight.width, tight.height)
    strokes = ink[box.slices][mask]
    strokes = strokes[strokes > 0]
    return Region(box, mask, float(np.median(strokes)) if strokes.size else 1.0)


def piece_scores(labels, stats, ink, params=SegmentParams()):
    """How likely each connected piece of ink is (part of) the writing: float (count,) >= 0.

    labels, stats: from cv2.connectedComponentsWithStats; label 0 (paper) scores 0.
    A piece scores its total ink, less when it clings to the image border (a paper edge,
    the table, a border shadow) or is a long thin line across the frame (a shadow's edge,
    a fold); a digit that merely touches the border with one stroke end keeps most of it.
    """
    count = len(stats)
    # Over the pieces' pixels only: a few percent of the image, and paper's mass is unused.
    inked = labels > 0
    mass = np.bincount(labels[inked], weights=ink[inked], minlength=count)
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


class Atom(NamedTuple):
    """The smallest unit a digit is made of: pieces of ink of the line stacked over the same
    columns (the flag and body of a "5", a stroke broken in two), or the slice of a wide piece
    between two candidate cuts. labels: its pieces'; start, end: its columns [start, end) in
    the image; box; cut: the ink cut through at its left edge, in strokes (0 where it is no
    cut)."""

    labels: frozenset
    start: int
    end: int
    box: Box
    cut: float


class Candidate(NamedTuple):
    """One way to cut one digit out of the line: atoms [first, last) joined into a Region.
    Its shape, in line heights: width, height; cut: strokes cut through at its edges;
    joins: how many pieces side by side (not over the same columns) it joins; gaps: the
    blank columns between them."""

    first: int
    last: int
    region: Region
    width: float
    height: float
    cut: float
    joins: int
    gaps: float


class Lattice(NamedTuple):
    """Every way considered to cut the line into digits: `atoms` (left to right, each with
    its size in line heights) and the `candidates`, each a run of consecutive atoms; params:
    the SegmentParams whose costs weigh them."""

    atoms: list
    sizes: list
    candidates: list
    params: "SegmentParams"


def pieces_of(lattice, candidate):
    """The labels of the connected pieces of ink a candidate holds (whole or cut): frozenset."""
    return frozenset().union(*(atom.labels for atom in lattice.atoms[candidate.first:candidate.last]))


def shape_cost(candidate, params):
    """What a candidate's shape says against it being one digit (0 for a plausible one):
    strokes cut through at its edges, a width beyond a digit's, a height below one's, and
    pieces side by side joined into one (two digits written apart are more likely)."""
    return (params.cut_cost * candidate.cut
            + params.wide_cost * max(0.0, candidate.width - params.usual_digit_aspect)
            + params.short_cost * max(0.0, params.usual_digit_height - candidate.height)
            + params.join_cost * candidate.joins + params.gap_cost * candidate.gaps)


def find_candidates(ink, mask, params=SegmentParams()):
    """The line of writing and the ways to cut it into digits: a Lattice.

    ink: float32 (h, w) >= 0; mask: uint8 (h, w) of 0/1, the ink worth looking at.
    Raises NoDigitFound when the mask holds no ink.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        raise NoDigitFound("no digit found (no ink stands out from the paper)")
    boxes = [Box(int(x), int(y), int(width), int(height)) for x, y, width, height, _ in stats]
    scores = piece_scores(labels, stats, ink, params)
    units = _stacked(_line_of_writing(boxes, scores, params), boxes, params)
    # Digits of a line share a height; fragments and specks are smaller.
    line_height = float(max(Box.around(boxes[label] for label in unit).height for unit in units))
    atoms = sorted((atom for unit in units
                    for atom in _atoms_of_unit(labels, boxes, unit, line_height, params)),
                   key=lambda atom: (atom.start, atom.box.y))
    candidates = []
    for first in range(len(atoms)):
        for last in range(first + 1, min(len(atoms), first + params.max_atoms_per_digit) + 1):
            run = atoms[first:last]
            if len(run) == 1 or _could_be_one_digit(run, line_height, params):
                box = Box.around(atom.box for atom in run)
                found = region(ink, box, _atoms_mask(labels, box, run))
                # A cut at its right edge is the next atom's left edge, if in the same piece.
                right_cut = atoms[last].cut if last < len(atoms) and atoms[last].labels == run[-1].labels else 0.0
                joins, gaps = _side_by_side(run)
                candidates.append(Candidate(first, last, found, box.width / line_height,
                                            box.height / line_height, run[0].cut + right_cut,
                                            joins, gaps / line_height))
    sizes = [atom.box.longer_side / line_height for atom in atoms]
    return Lattice(atoms, sizes, candidates, params)


def best_path(lattice, recognition_costs=None):
    """(The candidates that cut the line into digits at the least total cost, left to right;
    that cost).

    recognition_costs: per candidate, what the model says against it (-log of its most
    likely digit's probability); without them, the shapes alone decide. Every atom is in
    one chosen candidate or left out (at its skip cost), and at least one is chosen. Neighbouring digits that overlap
    in x cost more: digits of a number stand side by side, strokes of one digit overlap.
    """
    params, candidates = lattice.params, lattice.candidates
    # skipped[i]: leaving atoms [0, i) out; a speck costs little, a digit's worth of ink much.
    skipped = np.concatenate([[0.0], np.cumsum([params.skip_cost * size for size in lattice.sizes])])
    own = [shape_cost(candidate, params) + params.digit_cost
           + (recognition_costs[index] if recognition_costs is not None else 0.0)
           for index, candidate in enumerate(candidates)]
    order = sorted(range(len(candidates)), key=lambda index: candidates[index].last)
    best, previous = {}, {}
    for index in order:
        candidate = candidates[index]
        best[index], previous[index] = skipped[candidate.first] + own[index], None
        for before in order:
            earlier = candidates[before]
            if earlier.last > candidate.first:
                break
            cost = best[before] + skipped[candidate.first] - skipped[earlier.last] + own[index] \
                + params.overlap_cost * earlier.region.box.overlap_x(candidate.region.box)
            if cost < best[index]:
                best[index], previous[index] = cost, before
    count = len(lattice.atoms)
    ends = {index: best[index] + skipped[count] - skipped[candidates[index].last] for index in best}
    chosen, index = [], min(ends, key=ends.get)  # at least one digit: a line is writing
    total = float(ends[index])
    while index is not None:
        chosen.append(candidates[index])
        index = previous[index]
    return chosen[::-1], total


def find_digits(ink, mask, params=SegmentParams()):
    """The digits of the line of writing as its shapes alone cut them, left to right: a list
    of Region (reading.read_pages lets the model choose among the candidates instead)."""
    return [candidate.region for candidate in best_path(find_candidates(ink, mask, params))[0]]


def _stacked(line, boxes, params):
    """The line's pieces grouped where they lie over the same columns: a list of label sets,
    left to right."""
    groups = []
    for label in sorted(line, key=lambda label: boxes[label].x):
        stacked = [group for group in groups
                   if any(boxes[label].overlap_x(boxes[other]) >= params.same_digit_overlap
                          for other in group)]
        groups = [group for group in groups if group not in stacked] + [{label}.union(*stacked)]
    return groups


def _atoms_of_unit(labels, boxes, unit, line_height, params):
    """The atoms of a group of stacked pieces: itself, or when it is one piece wide enough to
    be digits that touch, its slices between the columns where its ink thins (cuts)."""
    box = Box.around(boxes[label] for label in unit)
    if len(unit) > 1 or box.width < params.cut_min_width * line_height \
            or box.width > params.cut_max_aspect * box.height:
        return [Atom(frozenset(unit), box.x, box.right, box, 0.0)]
    (label,) = unit
    piece = labels[box.slices] == label
    columns = piece.sum(axis=0).astype(np.float32)
    typical = float(np.median(columns[columns > 0]))
    stroke = max(1.0, typical / 2)  # about two strokes a column
    smooth = np.convolve(columns, np.ones(3) / 3, mode="same")
    spacing = max(2, int(params.min_cut_spacing * line_height))
    cuts = []
    for column in np.argsort(smooth, kind="stable"):
        if smooth[column] > params.valley_share * typical:
            break
        if spacing <= column <= box.width - spacing and all(abs(column - c) >= spacing for c in cuts):
            cuts.append(int(column))
    edges = [0, *sorted(cuts), box.width]
    atoms = []
    for start, end in zip(edges, edges[1:]):
        rows = np.flatnonzero(piece[:, start:end].any(axis=1))
        if len(rows) == 0:
            continue
        part = Box(box.x + start, box.y + int(rows[0]), end - start, int(rows[-1] - rows[0] + 1))
        atoms.append(Atom(frozenset(unit), box.x + start, box.x + end, part,
                          float(columns[start]) / stroke if start else 0.0))
    return atoms


def _atoms_mask(labels, box, atoms):
    """bool (box height, box width): the pixels of these atoms within `box`, around them."""
    mask = np.zeros((box.height, box.width), bool)
    for atom in atoms:
        rows, columns = slice(atom.box.y, atom.box.bottom), slice(atom.start, atom.end)
        mask[atom.box.y - box.y:atom.box.bottom - box.y, atom.start - box.x:atom.end - box.x] |= \
            np.isin(labels[rows, columns], list(atom.labels))
    return mask


def _side_by_side(atoms):
    """(How many times a run of atoms joins pieces that share no column, the blank columns
    between them): slices of one piece are one piece."""
    joins, gaps = 0, 0
    spans = sorted((atom.start, atom.end, atom.labels) for atom in atoms)
    reach, labels = spans[0][1], spans[0][2]
    for start, end, own in spans[1:]:
        if start >= reach and own != labels:
            joins += 1
            gaps += start - reach
        reach, labels = max(reach, end), own
    return joins, gaps


def _could_be_one_digit(atoms, line_height, params):
    """Whether a run of consecutive atoms could be one digit: not much wider than a digit,
    and its pieces overlapping or nearly touching in x (a 5's flag, a 4 in two strokes)."""
    if Box.around(atom.box for atom in atoms).width > params.max_digit_aspect * line_height:
        return False
    covered = sorted((atom.start, atom.end) for atom in atoms)
    reach = covered[0][1]
    for start, end in covered[1:]:
        if start - reach > params.max_inner_gap * line_height:
            return False
        reach = max(reach, end)
    return True


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
    smaller, larger = sorted((first.longer_side, second.longer_side))
    # A piece many times larger (a shadow's edge across the frame) is no part of a digit.
    near = first.gap(second) <= params.max_piece_gap * larger \
        and larger <= params.near_max_size_ratio * smaller
    return side_by_side or far_neighbours or near
