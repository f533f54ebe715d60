"""Osteophytes of an osteoarthritic joint (Kellgren-Lawrence grade 3 and 4), shared by the
joints' generators.

Grade 3 means moderate multiple osteophytes, grade 4 large ones (the KL definitions); the
sources give the grades in words only, so the heights are [U]. An osteophyte is a beaded ridge
of overlapping spheres centred on the bone surface along the joint margin where it grows
(osteophytes are lumpy, and a swept tube folds where a margin turns sharply), so it stands
``OSTEOPHYTE_MM`` proud of it; it is solid bone, unioned to the bone it grows from.
"""

from __future__ import annotations

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators import primitives as pr

OSTEOPHYTE_MM = {3: 2.5, 4: 4.5}  # height above the bone surface by KL grade


def beads(path_mm: np.ndarray, radius_mm: float) -> mf.Manifold:
    """Spheres of ``radius_mm`` every 0.6 radius along the polyline ``path_mm`` ``(k, 3)``."""
    step = np.linalg.norm(np.diff(path_mm, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(step)])
    at = np.arange(0.0, arc[-1] + 1e-9, 0.6 * radius_mm)
    centres = np.stack([np.interp(at, arc, path_mm[:, k]) for k in range(3)], 1)
    return pr.union([pr.sphere(c, radius_mm, 1.0) for c in centres])


def side_margins(bone: mf.Manifold, z_mm: float, share: float,
                 step_mm: float = 1.5) -> list[np.ndarray]:
    """The medial and lateral margins of ``bone`` at the level ``z_mm``: where rays across the
    body (along x) at that level, one every ``step_mm`` back to front, first meet the bone
    from either side, kept where they lie in the outer ``share`` of the bone's width there
    (the front and back faces, met at a graze, fall short of it). Returns the margins as
    unbroken runs of those points ``(k, 3)``, back to front (no ridge bridges a gap)."""
    lo, hi = np.asarray(bone.bounding_box()).reshape(2, 3)
    reach = 2.0 * (hi[0] - lo[0]) + 20.0
    sides = []
    for start_x, sign in ((lo[0] - 10.0, 1.0), (hi[0] + 10.0, -1.0)):
        hits = []
        for y in np.arange(lo[1], hi[1], step_mm):
            h = bone.ray_cast([start_x, y, z_mm], [start_x + sign * reach, y, z_mm])
            hits.append(np.asarray(h[0].position, float) if h else None)
        sides.append(hits)
    xs = [[p[0] for p in hits if p is not None] for hits in sides]
    width = max(xs[1]) - min(xs[0])
    runs = []
    for hits, outer in zip(sides, (min(xs[0]), max(xs[1])), strict=True):
        keep = [p is not None and abs(p[0] - outer) <= share * width for p in hits]
        runs += [np.array(hits[a:b]) for a, b in _runs(keep) if b - a >= 2]
    return runs


def _runs(keep: list[bool]) -> list[tuple[int, int]]:
    """``(start, stop)`` of each unbroken run of True in ``keep``."""
    edges = np.diff(np.concatenate([[0], np.asarray(keep, int), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def arc_order(keep: np.ndarray) -> np.ndarray:
    """Indices of the kept points ``keep`` ``(n,)`` bool of a closed ring, when they form one
    arc of it: in ring order, starting after the largest gap."""
    idx = np.flatnonzero(keep)
    gaps = np.diff(np.concatenate([idx, idx[:1] + len(keep)]))
    return np.roll(idx, -int(np.argmax(gaps)) - 1)
