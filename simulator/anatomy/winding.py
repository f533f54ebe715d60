"""Self-overlap of a closed surface, by generalized winding numbers.

A closed, consistently wound surface that does not cut through itself has winding number 1
just inside every face and 0 just outside it. Where it passes through itself (a fold, a
part pushed through another, two shells merged into one file) the regions the overlap
encloses have winding 2 or -1, and the faces bounding them show it. Sampling points just off
a spread of faces finds such regions without an all-pairs triangle intersection test.
"""

from __future__ import annotations

import math

import numba
import numpy as np

SAMPLED_FACES = 96        # faces probed, spread evenly over the face list
OFFSET_FRACTION = 0.05    # probe distance off the face, as a share of its shortest edge
TOLERANCE = 0.25          # winding numbers within this of 0 or 1 are clean
MIN_SHAPE = 0.2           # area over that of the equilateral-ish triangle of the longest edge


def overlapping_faces(vertices: np.ndarray, faces: np.ndarray) -> int:
    """Number of probed faces that lie within another part of the same surface.

    ``vertices`` ``(n, 3)`` float, ``faces`` ``(m, 3)`` int, outward-wound. 0 for a clean
    closed surface.
    """
    v = np.ascontiguousarray(vertices, np.float64)
    f = np.ascontiguousarray(faces, np.int64)
    a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    doubled_area = np.linalg.norm(np.cross(b - a, c - a), axis=1)
    # probe well-shaped faces only: a sliver's normal is numerically meaningless
    shortest = np.min([np.linalg.norm(b - a, axis=1), np.linalg.norm(c - b, axis=1),
                       np.linalg.norm(a - c, axis=1)], axis=0)
    longest = np.max([np.linalg.norm(b - a, axis=1), np.linalg.norm(c - b, axis=1),
                      np.linalg.norm(a - c, axis=1)], axis=0)
    shapely = np.flatnonzero((doubled_area > 0.0)
                             & (doubled_area >= 0.25 * longest * longest * MIN_SHAPE))
    if len(shapely) == 0:
        return 0
    picked = shapely[np.linspace(0, len(shapely) - 1,
                                 min(SAMPLED_FACES, len(shapely))).astype(np.int64)]
    a, b, c = a[picked], b[picked], c[picked]
    normal = np.cross(b - a, c - a) / doubled_area[picked, None]
    centre = (a + b + c) / 3.0
    shortest = shortest[picked]
    step = (OFFSET_FRACTION * shortest)[:, None] * normal
    inside = _winding(v, f, centre - step)
    outside = _winding(v, f, centre + step)
    # a face lying within another part of the surface sees winding 2 (or -1) inside, or 1
    # (or -1) outside; a zero-thickness fin (0 on both sides) encloses nothing and is harmless
    bad = ((inside > 1.0 + TOLERANCE) | (inside < -TOLERANCE)
           | (np.abs(outside) > TOLERANCE))
    return int(bad.sum())


@numba.njit(cache=True, nogil=True)
def _winding(v, f, points):
    """Generalized winding number of the surface at each point ``(k,)`` (Van Oosterom and
    Strackee's solid angle of every triangle, summed, over 4 pi)."""
    out = np.zeros(len(points))
    for q in range(len(points)):
        px, py, pz = points[q, 0], points[q, 1], points[q, 2]
        total = 0.0
        for t in range(len(f)):
            ax, ay, az = v[f[t, 0], 0] - px, v[f[t, 0], 1] - py, v[f[t, 0], 2] - pz
            bx, by, bz = v[f[t, 1], 0] - px, v[f[t, 1], 1] - py, v[f[t, 1], 2] - pz
            cx, cy, cz = v[f[t, 2], 0] - px, v[f[t, 2], 1] - py, v[f[t, 2], 2] - pz
            la = math.sqrt(ax * ax + ay * ay + az * az)
            lb = math.sqrt(bx * bx + by * by + bz * bz)
            lc = math.sqrt(cx * cx + cy * cy + cz * cz)
            det = ax * (by * cz - bz * cy) - ay * (bx * cz - bz * cx) + az * (bx * cy - by * cx)
            den = (la * lb * lc + (ax * bx + ay * by + az * bz) * lc
                   + (ax * cx + ay * cy + az * cz) * lb + (bx * cx + by * cy + bz * cz) * la)
            total += 2.0 * math.atan2(det, den)
        out[q] = total / (4.0 * math.pi)
    return out
