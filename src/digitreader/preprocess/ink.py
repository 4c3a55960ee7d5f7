"""Ink: how strongly each pixel of a photo is ink, measured against the paper around it.

A phone photo is ink on unevenly lit paper: gradients, vignetting, shadows. The paper's
brightness is estimated locally and the ink is measured relative to it, so that a shadow is
not ink and a stroke in the shadow is as strong as one in full light. Dark ink on light paper
and light chalk on a dark board are told apart and both come out as positive ink.
"""

from dataclasses import dataclass, replace

import cv2
import numpy as np

from .decode import ImageError


class NoDigitFound(ImageError):
    """The image holds no ink that could be a digit (blank or nearly uniform)."""


@dataclass(frozen=True)
class InkParams:
    """The tuning of the ink step; each field says what it does."""

    # The paper is estimated on a copy whose shorter side is this small (its longer side at
    # most background_max_side), closed with a disc this wide in that copy's pixels (wider
    # than strokes, narrower than shadows and gradients), then blurred by background_blur.
    background_short_side: int = 96
    background_max_side: int = 512
    background_kernel: int = 21
    background_blur: int = 3
    # A disc must be wider than the strokes, or their middles pass for paper: where the widest
    # stroke found is wider than wide_stroke_share of the disc (a thick digit filling a small
    # image, a broad brush), the paper is estimated again with a disc wide_stroke_margin
    # times as wide as that stroke.
    wide_stroke_share: float = 0.7
    wide_stroke_margin: float = 2.5
    # The window of the local median (pixels of that copy) against which the ink's polarity
    # is judged, large enough that ink is a minority in it; and how many of the most extreme
    # pixels on each side are compared, on a copy reduced by a whole factor to at most about
    # polarity_max_side long (judged on a quarter of the pixels, or fewer, votes came out the
    # same on every photo tried; the count shrinks with the factor, as a pen line's length).
    polarity_median_kernel: int = 51
    polarity_pixels: int = 200
    polarity_max_side: int = 384
    # Paper darker than this counts as this dark when ink is measured against it.
    min_paper_level: float = 0.1
    # Standard deviation (pixels) of the light blur that calms paper grain before the
    # threshold; the strongest ink is measured on peak_pixels pixels.
    blur: float = 1.0
    peak_pixels: int = 40
    # Below this ink strength (0..1 luminance) the image is blank paper.
    min_contrast: float = 0.12
    # The ink threshold never falls below this share of the strongest ink.
    min_threshold: float = 0.3
    # Ruled lines are at least this share of the image long and at most this share thick,
    # or rule_min_thickness pixels (of the file, for a strip's baseline when it was enlarged,
    # but at most rule_max_share_of_short_side of the strip's height).
    rule_min_length: float = 0.6
    rule_max_thickness: float = 0.006
    rule_min_thickness: int = 3
    rule_max_share_of_short_side: float = 0.05
    # An image at least this many times as wide as tall is a strip (an amount field: two or
    # three digits cropped with a margin are 1.6-2 times as wide as tall; one digit's tight
    # crop is at most about 1.2, a landscape photo 1.33).
    strip_aspect: float = 1.5
    # A mark is filled (a blob of ink, a stain, a filled shape, not written strokes) when the
    # paper it encloses is at least filled_darkness of the way from the paper around it to
    # its ink. Enclosed areas under min_hole_share of its box are too small to judge.
    filled_darkness: float = 0.5
    min_hole_share: float = 0.02
    # Paper darker than page_min_share of the page's brightness, in an area that reaches the
    # image's border, is no page: a table or floor beside it, a dark background. No ink is
    # measured there, nor within page_fringe pixels (of the small copy) of it, where the
    # smoothing of the paper estimate brightens its edge: that fringe of the table, darker
    # than the paper estimate there, was the strongest "ink" of the photo, and the number
    # on the page fell below the threshold. A shadow on the page is lighter (0.45 took the
    # shadowed end of generated numbers for table) and a written number inside it is kept.
    page_min_share: float = 0.3
    page_fringe: int = 3
    # A bright page on a dark table takes at least 1 - table_max_share of the frame (the
    # generated large photos: 68-94%); light ink on a dark board leaves far more of it dark
    # (57-100% of the generated outline and brush drawings). And a page is at least
    # min_page_level bright (0.44-0.89 in those photos), where a board is darker even where
    # lit (0.10-0.30 in the generated chalk photos that are otherwise alike).
    table_max_share: float = 0.4
    min_page_level: float = 0.35


def small_copy(gray, params=InkParams()):
    """gray reduced so its shorter side is background_short_side (its longer at most
    background_max_side), averaging pixels.

    Sized by the shorter side: in a long strip (a number on a narrow crop) a disc or window
    must still be small across the strip, or it would flatten the light across it.
    """
    height, width = gray.shape
    scale = min(params.background_short_side / min(height, width),
                params.background_max_side / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def polarity_votes(gray, small=None, params=InkParams()):
    """Two votes on whether the ink is darker than the paper: (local, border). gray: float32
    (h, w) in [0, 1]; small: its small_copy, if already made.

    Ink deviates from the paper far more than noise does, so the ink's side is the one whose
    extreme deviations (a fixed count of pixels, so that a fine pen line in a large frame
    still fills them) are larger. Locally, the paper around each pixel is a local median,
    which follows shadows and lighting, so a bright patch of paper beside a shadow does not
    pass for light ink. But where a broad brush covers most of the paper around its strokes,
    the local median is ink; the border vote takes the paper to be what the image's border
    shows (the page reaches past the writing). When they disagree, both are tried.
    """
    small = small_copy(gray, params) if small is None else small
    small = (np.clip(small, 0, 1) * 255).astype(np.uint8)
    paper = cv2.medianBlur(small, params.polarity_median_kernel).astype(np.float32) / 255
    border = np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]])
    factor = max(1, min(max(gray.shape) // params.polarity_max_side, min(gray.shape)))
    if factor > 1:
        height, width = gray.shape
        gray = cv2.resize(gray, (width // factor, height // factor), interpolation=cv2.INTER_AREA)
    votes = []
    for level in (cv2.resize(paper, gray.shape[::-1], interpolation=cv2.INTER_LINEAR),
                  float(np.median(border)) / 255):
        deviation = gray - level
        tail = max(1, min(params.polarity_pixels // factor, deviation.size // 2))
        votes.append(float(largest(-deviation, tail).mean()) >= float(largest(deviation, tail).mean()))
    return tuple(votes)


def largest(image, count, block=8):
    """The `count` largest values of a float image (h, w), in no order; count <= h * w.

    A partition of a megapixel costs milliseconds. The maxima of block x block tiles bound
    the count-th largest value from below (count of them are at least that large), so only
    the values above that bound need partitioning.
    """
    rows, columns = image.shape[0] // block, image.shape[1] // block
    # The whole tiles' maxima (the ragged edge left out: the bound holds on fewer tiles too);
    # across a row, by strided slices: NumPy reduces a short last axis slowly.
    across = image[:rows * block, :columns * block].reshape(rows, block, columns * block).max(axis=1)
    maxima = across[:, ::block].copy()
    for offset in range(1, block):
        np.maximum(maxima, across[:, offset::block], out=maxima)
    maxima = maxima.ravel()
    if maxima.size > count:
        bound = np.partition(maxima, maxima.size - count)[maxima.size - count]
        # At least `count` values reach the bound: those above it, then as many as needed of
        # the bound itself. Pixels quantised to 8 bits tie at the bound by the thousand (the
        # paper of a clean drawing, all of it), so it is not partitioned with them.
        image = image[image > bound]
        if image.size < count:
            return np.concatenate([image, np.full(count - image.size, bound, image.dtype)])
    values = image.ravel()
    return np.partition(values, values.size - count)[values.size - count:]


_LEVELS = 65535  # of the paper's brightness in paper_of_small_copy


def paper_of_small_copy(small, dark_ink, params=InkParams()):
    """The paper's brightness on a small_copy: float32 of its shape, in [0, 1].

    A morphological closing (opening for light ink) with a disc wider than any stroke fills
    the strokes in with the paper around them, while lighting gradients and shadows, which
    are broader than the disc, survive.
    """
    # In 16-bit levels: OpenCV's morphology takes half the time it takes on floats, and a
    # level (1/65535) is far finer than the 8 bits of a photo.
    levels = np.rint(np.clip(small, 0.0, 1.0) * _LEVELS).astype(np.uint16)
    # Reflect the border so the disc near the edge sees as much paper as in the middle.
    pad = params.background_kernel
    padded = cv2.copyMakeBorder(levels, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (pad, pad))
    operation = cv2.MORPH_CLOSE if dark_ink else cv2.MORPH_OPEN
    smooth = cv2.morphologyEx(padded, operation, disc)
    blur = params.background_blur
    return cv2.blur(smooth, (blur, blur))[pad:-pad, pad:-pad].astype(np.float32) / _LEVELS


def off_page(paper, params=InkParams()):
    """Where the photo shows no page: bool of the shape of `paper` (paper_of_small_copy, for
    dark ink), or None where it all is page. Off the page is paper darker than
    page_min_share of the page's brightness (page_level) in an area reaching the image's
    border, and page_fringe pixels around it."""
    dark = (paper < params.page_min_share * page_level(paper)).astype(np.uint8)
    if not dark.any():
        return None
    _, labels = cv2.connectedComponents(dark, connectivity=8)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    outside = np.isin(labels, border[border > 0]).astype(np.uint8)
    if not outside.any():
        return None
    size = 2 * params.page_fringe + 1
    return cv2.dilate(outside, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))).astype(bool)


def page_level(paper):
    """The page's brightness: the 90th percentile of a paper estimate's (so that a table or
    a shadow over part of the frame does not lower it)."""
    return float(np.percentile(paper, 90))


def on_a_table(small, params=InkParams()):
    """Whether a small_copy shows a page lying on a dark table or background: a page at
    least min_page_level bright, and dark paper at the frame's border (off_page, judged as
    for dark ink) that covers at most table_max_share of the frame. The polarity votes then
    may take the page for light ink: beside the table, the page is brighter than a local
    median that the table drags down, and brighter than the border, which the table is."""
    paper = paper_of_small_copy(small, True, params)
    if page_level(paper) < params.min_page_level:
        return False
    outside = off_page(paper, params)
    return outside is not None and float(outside.mean()) <= params.table_max_share


def ink_strength(gray, dark_ink, small=None, params=InkParams()):
    """How much each pixel differs from the paper, in the ink's direction: float32 (h, w) >= 0,
    0 off the page (off_page: a table beside it).

    gray: float32 (h, w) in [0, 1]; dark_ink: whether the ink is darker than the paper
    (polarity_votes); small: gray's small_copy, if already made.
    """
    small = small_copy(gray, params) if small is None else small
    paper_small = paper_of_small_copy(small, dark_ink, params)
    paper = cv2.resize(paper_small, gray.shape[::-1], interpolation=cv2.INTER_LINEAR)
    # In place where it can be: each full-size temporary costs about as much as the arithmetic.
    if dark_ink:
        # Ink absorbs a share of the light that falls on it: relative to the paper's
        # brightness, a stroke in a shadow is as strong as the same stroke in full light.
        ink = paper - gray
        ink /= np.maximum(paper, params.min_paper_level, out=paper)
        outside = off_page(paper_small, params)
        if outside is not None:
            outside = cv2.resize(outside.astype(np.uint8), gray.shape[::-1], interpolation=cv2.INTER_NEAREST)
            ink[outside.astype(bool)] = 0.0
    else:
        ink = np.subtract(gray, paper, out=paper)
    return np.maximum(ink, 0.0, out=ink)


def ink_mask(ink, enlarged=1.0, params=InkParams()):
    """Binary mask of the ink worth looking at. ink: float32 (h, w) >= 0 from ink_strength;
    enlarged: working pixels per pixel of the file (see remove_ruled_lines).

    Returns uint8 (h, w) of 0/1, ruled lines left out. Raises NoDigitFound when nothing
    stands out from the paper.
    """
    # A light blur: enough to calm paper grain, little enough to keep a one-pixel pen line.
    blurred = cv2.GaussianBlur(ink, (0, 0), sigmaX=params.blur)
    # The strength of the strongest ink, judged on a fixed number of pixels (not a share of
    # the image): a small digit with a fine pen covers few pixels of a large frame.
    count = params.peak_pixels
    peak = float(largest(blurred, count).min()) if blurred.size > count else float(blurred.max())
    if peak < params.min_contrast:
        raise NoDigitFound("no digit found (the image is blank or has too little contrast)")
    blurred /= peak
    blurred *= 255
    scaled = np.clip(blurred, 0, 255, out=blurred).astype(np.uint8)
    otsu, _ = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Otsu can fall into the noise when ink is a tiny share of the frame; keep it above that.
    threshold = max(otsu, params.min_threshold * 255)
    return remove_ruled_lines((scaled > threshold).astype(np.uint8), enlarged, params)


def ink_and_mask(gray, dark_ink, small, enlarged=1.0, params=InkParams()):
    """(ink_strength, its ink_mask) of a photo; small: gray's small_copy; enlarged: as for
    ink_mask. Where the widest stroke found is wider than wide_stroke_share of the paper
    estimate's disc, both are made again with a disc wide_stroke_margin times that stroke."""
    ink = ink_strength(gray, dark_ink, small, params)
    mask = ink_mask(ink, enlarged, params)
    # The widest stroke, in the small copy's pixels: twice the farthest any ink is from paper.
    widest = 2.0 * float(cv2.distanceTransform(mask, cv2.DIST_L2, 3).max()) * small.shape[0] / gray.shape[0]
    if widest > params.wide_stroke_share * params.background_kernel:
        wider = replace(params, background_kernel=2 * round(params.wide_stroke_margin * widest / 2) + 1)
        ink = ink_strength(gray, dark_ink, small, wider)
        mask = ink_mask(ink, enlarged, wider)
    return ink, mask


def remove_ruled_lines(mask, enlarged=1.0, params=InkParams()):
    """Drop thin straight lines that run across most of the image: ruled or squared paper,
    a cheque's printed baseline.

    mask: uint8 (h, w) of 0/1; enlarged: working pixels per pixel of the file (above 1 when
    a small image was enlarged: a rule's thinness is the file's). A digit's strokes are
    never that long and thin.
    """
    height, width = mask.shape
    thickness = max(params.rule_min_thickness, round(params.rule_max_thickness * max(height, width)))
    # The baseline under an amount field (a strip, often scanned small and enlarged here) is
    # thin in the file's pixels; a tight crop of one digit is never a strip, so its strokes
    # ("1" down it, a "7"'s bar across it) are never taken for rules.
    baseline = thickness
    if width >= params.strip_aspect * height:
        baseline = max(thickness, min(round(params.rule_min_thickness * enlarged),
                                      round(params.rule_max_share_of_short_side * height)))
    lines = []  # (axis, the line's pixels): 1 for rows (lines across), 0 for columns
    for along, across in (((round(params.rule_min_length * width), 1), (1, baseline)),
                          ((1, round(params.rule_min_length * height)), (thickness, 1))):
        # A run of `length` ink pixels needs a row (column) with that many: skip the costly
        # long-kernel opening when no row (column) has.
        length, axis = max(along), 1 if along[0] > 1 else 0
        counts = mask.sum(axis=axis)
        if counts.max() < length:
            continue
        # The opening of the others only: rows (columns) with less than half a run of ink
        # keep none of it (half, at the image's edge, which OpenCV's erosion takes for ink).
        opened = np.flatnonzero(counts >= length // 2)
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, along)
        straight = np.zeros_like(mask)
        if axis == 1:
            straight[opened] = cv2.morphologyEx(mask[opened], cv2.MORPH_OPEN, kernel)
        else:
            straight[:, opened] = cv2.morphologyEx(np.ascontiguousarray(mask[:, opened]),
                                                   cv2.MORPH_OPEN, kernel)
        # Long runs that are also thick (a marker's bar across a frame-filling digit) stay.
        thick = cv2.morphologyEx(straight, cv2.MORPH_OPEN,
                                 cv2.getStructuringElement(cv2.MORPH_RECT, across))
        line = straight & (1 - cv2.dilate(thick, np.ones((3, 3), np.uint8)))
        if line.any():
            # With the line's soft, anti-aliased edge.
            lines.append((axis, cv2.dilate(line, np.ones((3, 3), np.uint8))))
    if not lines:
        return mask
    kept = mask.copy()
    for _, line in lines:
        kept &= 1 - line
    # Bridge the strokes that cross a line, which would otherwise fall apart into pieces at
    # every line: across it only, so that where digits stand on a baseline (an amount field,
    # a scan's edge) the line beside and under them is not bridged back, joining them.
    span = 2 * max(thickness, baseline) + 3  # well over a thin line with its soft edges
    bridged = kept.copy()
    for axis, line in lines:
        across = cv2.getStructuringElement(cv2.MORPH_RECT, (1, span) if axis == 1 else (span, 1))
        bridged |= cv2.morphologyEx(kept, cv2.MORPH_CLOSE, across) & line
    return bridged


def is_filled(gray, box, mask, dark_ink, params=InkParams()):
    """Whether a mark is a filled blob of ink rather than written strokes.

    gray: float32 (h, w) in [0, 1], the photo; box: the mark's Box in it; mask: bool (box
    height, box width), its ink; dark_ink: whether the ink is darker than the paper.

    The paper is estimated under anything wider than a stroke (paper_of_small_copy), so the
    middle of a stain or of a filled shape is taken for paper and only its rim is ink: a
    ring, read as a confident 0. In the photo itself its middle is as dark as the rim, while
    the loop of a written 0, 6, 8 or 9 encloses paper as light as the paper around it.
    """
    ink = mask.astype(np.uint8)
    # Label the non-ink of the box: what the border reaches is around the mark, the rest is
    # enclosed by it.
    outside = cv2.copyMakeBorder(1 - ink, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=1)
    cv2.floodFill(outside, None, (0, 0), 2)
    outside = outside[1:-1, 1:-1]
    enclosed, around = outside == 1, outside == 2
    if enclosed.sum() < params.min_hole_share * mask.size or not around.any():
        return False
    # Away from the rim's anti-aliased edge, where there is room.
    enclosed, around = (_eroded_or_same(area) for area in (enclosed, around))
    crop = gray[box.slices] if dark_ink else 1.0 - gray[box.slices]
    paper, rim, middle = (float(np.median(crop[area])) for area in (around, mask, enclosed))
    return paper - middle >= params.filled_darkness * max(paper - rim, 1e-3)


def _eroded_or_same(area):
    """bool (h, w) eroded by a 3x3 square, or as it is when that leaves nothing."""
    eroded = cv2.erode(area.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return eroded if eroded.any() else area
