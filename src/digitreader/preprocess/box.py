"""Boxes: where a piece of ink, a digit or a line of digits lies in an image."""

from typing import NamedTuple

import numpy as np


class Box(NamedTuple):
    """An axis-aligned box in pixels: its top-left corner, width and height (all int >= 0)."""

    x: int
    y: int
    width: int
    height: int

    @property
    def right(self):
        return self.x + self.width

    @property
    def bottom(self):
        return self.y + self.height

    @property
    def longer_side(self):
        return max(self.width, self.height)

    @property
    def slices(self):
        """(rows, columns) slices that cut the box out of an image."""
        return slice(self.y, self.bottom), slice(self.x, self.right)

    @classmethod
    def around(cls, boxes):
        """The smallest box holding all of `boxes`."""
        boxes = list(boxes)
        left, top = min(box.x for box in boxes), min(box.y for box in boxes)
        right, bottom = max(box.right for box in boxes), max(box.bottom for box in boxes)
        return cls(left, top, right - left, bottom - top)

    @classmethod
    def of_mask(cls, mask):
        """The box around the True pixels of a bool (h, w) mask; raises ValueError if none."""
        rows = np.flatnonzero(mask.any(axis=1))
        columns = np.flatnonzero(mask.any(axis=0))
        if len(rows) == 0:
            raise ValueError("the mask is empty")
        return cls(int(columns[0]), int(rows[0]), int(columns[-1] - columns[0] + 1),
                   int(rows[-1] - rows[0] + 1))

    def gap(self, other):
        """Distance in pixels between the two boxes; 0 when they overlap."""
        gap_x = max(0, max(self.x, other.x) - min(self.right, other.right))
        gap_y = max(0, max(self.y, other.y) - min(self.bottom, other.bottom))
        return float(np.hypot(gap_x, gap_y))

    def horizontal_gap(self, other):
        """Columns between the two boxes (negative when they overlap in x)."""
        return max(self.x, other.x) - min(self.right, other.right)

    def overlap_x(self, other):
        """Shared columns as a share of the narrower box's width (0..1)."""
        shared = min(self.right, other.right) - max(self.x, other.x)
        return max(0, shared) / max(1, min(self.width, other.width))

    def overlap_y(self, other):
        """Shared rows as a share of the shorter box's height (0..1)."""
        shared = min(self.bottom, other.bottom) - max(self.y, other.y)
        return max(0, shared) / max(1, min(self.height, other.height))

    def scaled(self, factor):
        """The box in an image `factor` times as large, rounded to whole pixels."""
        return Box(*(int(round(value * factor)) for value in self))
