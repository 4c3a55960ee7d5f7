"""Photo -> the 28x28 images of its digits, made the way MNIST's were. NumPy/OpenCV only.

The steps follow the data, one module each:

    decode     file or bytes -> Photo: RGB float32 (h, w, 3) in [0, 1], on white, at most
               DecodeParams.max_side long
    ink        RGB -> ink strength float32 (h, w) >= 0 against the paper around it, and the
               mask of the ink worth looking at (ruled lines left out)
    segment    ink and mask -> the line of writing and the candidate digits on it (runs of
               its pieces and of slices of touching digits), each a Region (Box, mask, ink
               level) with a cost for its shape
    normalize  each candidate -> float32 (28, 28) in [0, 1], white on black, 20 px box,
               centred by centre of mass, strokes MNIST-wide

The model then chooses the digits among the candidates (reading.read_pages); Page.digits is
the choice of the shapes alone.

`preprocess` composes them; `Params` holds each step's tuning, all with defaults.
"""

from dataclasses import dataclass, field

import numpy as np

from .box import Box
from .decode import DecodeParams, ImageError, Photo, decode, read_file
from .ink import InkParams, NoDigitFound, ink_and_mask, is_filled, on_a_table, polarity_votes, small_copy
from .normalize import MNIST_SIZE, digit_image
from .segment import Lattice, SegmentParams, best_path, find_candidates, pieces_of

__all__ = ["Box", "DigitCrop", "ImageError", "NoDigitFound", "Page", "Params", "Photo",
           "MNIST_SIZE", "preprocess", "preprocess_bytes", "preprocess_file"]


@dataclass(frozen=True)
class Params:
    """The tuning of every step; each field's class documents its own."""

    decode: DecodeParams = field(default_factory=DecodeParams)
    ink: InkParams = field(default_factory=InkParams)
    segment: SegmentParams = field(default_factory=SegmentParams)


@dataclass
class DigitCrop:
    """One digit as the model will see it.

    image: float32 (28, 28) in [0, 1], white on black; box: where it is in the Photo's pixels;
    mask: bool (box height, box width), the pixels taken for it (None in a Page sent back
    without its photo: reading.without_photo); filled: whether it is a blob of ink, not
    written strokes (ink.is_filled).
    """

    image: np.ndarray
    box: Box
    mask: np.ndarray
    filled: bool = False


@dataclass
class Page:
    """What preprocessing made of a photo.

    photo: the decoded Photo; lattice: the line of writing's atoms and candidate digits
    (segment.Lattice); crops: a DigitCrop per candidate; dark_ink: whether the ink was
    taken to be darker than the paper (and so was inverted); alternative: the Page of the
    other polarity when that is in doubt, else None.
    """

    photo: Photo
    lattice: Lattice
    crops: list
    dark_ink: bool
    alternative: "Page" = None

    def choose(self, recognition_costs=None):
        """(indices of the candidates that make the digits, left to right; the path's cost):
        by the candidates' shapes, and the model's verdicts when given (segment.best_path)."""
        index = {id(candidate): number for number, candidate in enumerate(self.lattice.candidates)}
        chosen, cost = best_path(self.lattice, recognition_costs)
        return [index[id(candidate)] for candidate in chosen], cost

    @property
    def digits(self):
        """The DigitCrops of the digits as their shapes alone cut them (one for a single
        digit); reading.read_pages asks the model too."""
        return [self.crops[index] for index in self.choose()[0]]

    def mask_of(self, chosen):
        """bool (h, w) of the photo: the pixels taken for the chosen candidates' digits."""
        mask = np.zeros(self.photo.gray.shape, bool)
        for index in chosen:
            mask[self.crops[index].box.slices] |= self.crops[index].mask
        return mask


def preprocess(photo, params=Params()):
    """Find the line of writing of a Photo and every candidate digit on it, each made an
    MNIST 28x28: a Page. Raises NoDigitFound when nothing on it stands out from the paper.

    When the two votes on the ink's polarity disagree (a broad brush over most of the page),
    or both say light ink where the photo may be of a page on a dark table (ink.on_a_table),
    the Page of the other polarity is its `alternative`, for the model to choose between.
    """
    gray = photo.gray
    small = small_copy(gray, params.ink)
    local, border = polarity_votes(gray, small, params.ink)
    page = _page(photo, gray, small, local, params)
    if border != local or (not local and on_a_table(small, params.ink)):
        try:
            page.alternative = _page(photo, gray, small, not local, params)
        except NoDigitFound:
            pass
    return page


def _page(photo, gray, small, dark_ink, params):
    """The Page of a photo, its ink taken to be dark (or light)."""
    ink, mask = ink_and_mask(gray, dark_ink, small, max(1.0, 1.0 / photo.scale), params.ink)
    lattice = find_candidates(ink, mask, params.segment)
    filled = _filled_candidates(gray, lattice, dark_ink, params.ink)
    crops = [DigitCrop(digit_image(ink, candidate.region), candidate.region.box, candidate.region.mask,
                       blob) for candidate, blob in zip(lattice.candidates, filled)]
    return Page(photo, lattice, crops, dark_ink)


def _filled_candidates(gray, lattice, dark_ink, params):
    """Per candidate, whether it holds ink of a filled blob (ink.is_filled): judged on the
    candidates that cut no stroke (whole pieces), then given to every candidate sharing a
    piece with one, so that a stain's rim cut in halves is no digit either."""
    pieces = [pieces_of(lattice, candidate) for candidate in lattice.candidates]
    whole_blobs = [own for own, candidate in zip(pieces, lattice.candidates) if candidate.cut == 0
                   and is_filled(gray, candidate.region.box, candidate.region.mask, dark_ink, params)]
    blobs = frozenset().union(*whole_blobs)
    return [bool(own & blobs) for own in pieces]


def preprocess_file(path, params=Params()):
    """read_file + preprocess. Raises ImageError (NoDigitFound included)."""
    return preprocess(read_file(path, params.decode), params)


def preprocess_bytes(data, params=Params()):
    """decode + preprocess, for an upload. Raises ImageError (NoDigitFound included)."""
    return preprocess(decode(data, params.decode), params)
