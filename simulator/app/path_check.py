"""What a supervisor knows of the needle's path that no image shows: the danger structures
it heads for (a nerve invisible on fluoroscopy) and how deep the tip is relative to the
target along the shaft. Pure geometry on the label volume (no drawing); learning mode only.
World frame: RAS mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DANGER_MARGIN_MM = 3.0   # a path passing closer than this to a danger structure heads for it
PATH_STEP_MM = 1.0
PAST_TARGET_MM = 10.0    # the path is followed this far beyond the target's depth


@dataclass(frozen=True)
class DangerAhead:
    """The first danger structure on (or within the margin of) the needle's path."""

    structure: str        # its name in the anatomy, e.g. "lateral_femoral_cutaneous_nerve"
    distance_mm: float    # from the path's start (the entry, or the tip) along the shaft


def depth_to_target_mm(world, tip_mm, direction) -> float:
    """How far the tip ``tip_mm`` (3,) still has to go along the unit shaft ``direction``
    (3,) to be level with the target: negative once it is past it. What a supervisor at a
    fluoroscopy screen tells the trainee, the beam showing no depth."""
    return float((np.asarray(world.target_point, float) - np.asarray(tip_mm, float))
                 @ np.asarray(direction, float))


def danger_ahead(world, start_mm, direction) -> DangerAhead | None:
    """The first danger structure the straight path from ``start_mm`` (3,) along unit
    ``direction`` (3,) passes within ``DANGER_MARGIN_MM`` of, up to ``PAST_TARGET_MM``
    beyond the target's depth; ``None`` if the path is clear. From the label volume: the
    supervisor's knowledge of where a nerve runs that no image shows. The path and four
    lines offset by the margin around it are sampled every ``PATH_STEP_MM``."""
    if not world.danger:
        return None
    start, d = np.asarray(start_mm, float), np.asarray(direction, float)
    reach = depth_to_target_mm(world, start, d) + PAST_TARGET_MM
    if reach <= 0.0:
        return None
    t = np.arange(0.0, reach, PATH_STEP_MM)                           # (n,)
    a = np.cross(d, [0.0, 0.0, 1.0] if abs(d[2]) < 0.9 else [1.0, 0.0, 0.0])
    a /= np.linalg.norm(a)
    b = np.cross(d, a)
    offsets = DANGER_MARGIN_MM * np.array([[0, 0, 0], a, -a, b, -b])  # (5, 3)
    points = start + t[:, None, None] * d + offsets[None]              # (n, 5, 3)
    labels = world.anatomy.volume_labels_at(points.reshape(-1, 3)).reshape(len(t), 5)
    hit = np.isin(labels, np.fromiter(world.danger, np.int64))
    rows = np.flatnonzero(hit.any(axis=1))
    if not len(rows):
        return None
    first = rows[0]
    label = int(labels[first][hit[first]][0])
    return DangerAhead(world.danger[label][0], float(t[first]))

# What a supervisor says of where a danger that no image shows runs (clinical.md, LFCN row).
SUPERVISOR_NOTES = {
    "lateral_femoral_cutaneous_nerve": "it runs 10-25 mm medial to the ASIS and 45-85 mm "
                                       "below it, just under the skin",
}
