"""The shape of the fluoroscopy target in the image, and which part of it the needle goes
down the beam at: a joint seen edge-on as a long line (the sacroiliac joint) near its lower
end, a recess seen en face (the hip's) in its upper end. Masks are ``(size, size)`` bool
images, row 0 cranial."""

from __future__ import annotations

import numpy as np

LINE_ASPECT = 3.0           # a target this many times taller than wide is a joint line
LOWER_END_MM = (8.0, 20.0)  # entered this far above the line's lowest point
UPPER_END_SHARE = 1.0 / 3.0  # a recess seen en face is entered in its upper third
EN_FACE_ASPECT = 1.5        # a target at most this many times taller than wide is en face


def is_line(candidates: np.ndarray) -> bool:
    """Whether the target shows as a long line head to foot (a joint seen edge-on)."""
    rows, cols = np.nonzero(candidates)
    return bool(len(rows)) and np.ptp(rows) + 1 >= LINE_ASPECT * (np.ptp(cols) + 1)


def lower_end(candidates: np.ndarray, mm_per_px: float) -> np.ndarray:
    """A joint line is entered near its lower end, ``LOWER_END_MM`` above its lowest
    point, where the joint opens posteriorly (the sacroiliac technique,
    ``clinical.md`` s.3.5). ``candidates`` (size, size) bool."""
    rows = np.nonzero(candidates)[0]
    lo, hi = (rows.max() - np.array(LOWER_END_MM)[::-1] / mm_per_px)
    band = candidates.copy()
    band[: int(lo)] = False
    band[int(hi) + 1:] = False
    return band if band.any() else candidates


def is_en_face(target: np.ndarray) -> bool:
    """Whether the target shows about as tall as wide (``EN_FACE_ASPECT``): a recess
    seen face on (the hip's over the femoral neck), not a joint seen obliquely (a
    sacroiliac joint not yet turned edge-on is still twice as tall as wide)."""
    rows, cols = np.nonzero(target)
    return bool(len(rows)) and np.ptp(rows) + 1 <= EN_FACE_ASPECT * (np.ptp(cols) + 1)


def upper_end(candidates: np.ndarray) -> np.ndarray:
    """A recess seen en face (the hip's, over the femoral neck) is entered in its upper
    ``UPPER_END_SHARE``: the superolateral head-neck junction, the commonest end position
    (``clinical.md`` s.2), not where the recess wraps round the neck's lower edge and
    the beam runs longest through it. ``candidates`` (size, size) bool, row 0 cranial."""
    rows = np.nonzero(candidates)[0]
    band = candidates.copy()
    band[int(rows.min() + UPPER_END_SHARE * (np.ptp(rows) + 1)) + 1:] = False
    return band
