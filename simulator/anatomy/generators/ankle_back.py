"""Generated structures behind a right ankle, on the real bones: the Achilles tendon and
Kager's fat pad.

The Achilles tendon inserts on the posterior face of the real calcaneal tuberosity (the
calcaneus's most posterior point) and runs up the back of the leg just inside the deep
fascia (``body.Outline``, fitted round the real bones and muscles), under the skin and fat
as in life, to ``ACHILLES_TOP_MM`` above the dome top, where it fans out under the soleus.
It is 15 x 6 mm across at the ankle [U: standard adult anatomy; normal sonographic thickness
under 6-7 mm]. Kager's fat pad fills the triangle in front of it, between the tendon, the
deep flexors and the back of the tibia and talus, and the top of the calcaneus (bones and
muscles win where the fat's rounded hull reaches into them) [U: standard anatomy].
"""

from __future__ import annotations

import numpy as np

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.ankle_bones import AnkleFrame
from simulator.anatomy.generators.body import Outline

ACHILLES_TOP_MM = 100.0        # the tendon's top over the dome top (x soft-tissue scale)
ACHILLES_MM = (15.0, 6.0)      # width, thickness at the ankle (x scale for the width)
ACHILLES_TOP_SECTION_MM = (22.0, 4.0)  # fanned out at its top, under the soleus
ACHILLES_HEIGHTS_MM = (-10.0, 10.0, 40.0, 70.0)  # stations up the leg (x scale)
FASCIA_GAP_MM = 1.5            # between the tendon's back and the deep fascia
KAGER_TOP_MM = 35.0            # the fat pad's top over the dome top (x scale)
KAGER_DEPTH_MM = 16.0          # its hull reaches this far forward (the flexors win where they lie)
KAGER_HALF_WIDTH_MM = 9.0      # and this far either side of the tendon (x scale)


def posterior(f: AnkleFrame, calcaneus_vertices: np.ndarray,
              outline: Outline) -> tuple[dict, dict]:
    """Achilles tendon and Kager's fat pad from the placed real calcaneus's vertices
    ``(n, 3)`` and the deep fascia ``outline``. Returns shapes and fibre directions."""
    sc = f.sc
    w, t = ACHILLES_MM
    insertion = calcaneus_vertices[np.argmin(calcaneus_vertices[:, 1])]
    x = float(insertion[0])
    heights = f.origin[2] + np.array([*ACHILLES_HEIGHTS_MM, ACHILLES_TOP_MM]) * sc
    heights = heights[heights > insertion[2] + 10.0]  # stations above the insertion
    share = (heights - insertion[2]) / (heights[-1] - insertion[2])
    thick = t + share**2 * (ACHILLES_TOP_SECTION_MM[1] - t)
    width = np.concatenate([[w], w + share**2 * (ACHILLES_TOP_SECTION_MM[0] - w)]) * sc
    # the fascia curves forward either side of the midline: the tendon's edges stay inside
    back = np.max([outline.surface_y(x + k * width[1:], heights, anterior=False)
                   for k in (-0.5, 0.0, 0.5)], axis=0)
    stations = np.column_stack([np.full(len(heights), x), back + FASCIA_GAP_MM + 0.5 * thick,
                                heights])
    bottom = insertion - np.array([0.0, 0.5 * t - 1.0, 0.0])  # its front on the bone
    path = np.concatenate([bottom[None], stations])
    shapes = {"achilles_tendon": pr.tube(path, 0.5 * width, 0.5 * np.concatenate([[t], thick]),
                                         (0.0, 1.0, 0.0), step_mm=3.0, ring_points=16,
                                         what="achilles tendon")}
    # the fat's hull: the tendon's front from just above the calcaneus to the fat pad's top,
    # and the same line moved forward into the flexors and bones, either side of the tendon
    axis = pr.sample_path(path, 3.0)[0]  # the tube's own (spline) centre line
    axis = axis[(axis[:, 2] > bottom[2] + 4.0) & (axis[:, 2] < f.origin[2] + KAGER_TOP_MM * sc)]
    front = axis + np.array([0.0, 0.5 * t + 0.3, 0.0])
    ring = [front + np.array([dx, dy, 0.0])
            for dx in (-KAGER_HALF_WIDTH_MM * sc, KAGER_HALF_WIDTH_MM * sc)
            for dy in (0.0, KAGER_DEPTH_MM * sc)]
    # the rounded hull bulges: keep only what lies in front of a plane along the tendon,
    # through the rearmost point of its front (elsewhere the plane lies within the
    # tendon, which wins where the two overlap)
    d = pr.unit(front[-1] - front[0])
    n = pr.unit(np.array([0.0, d[2], -d[1]]))
    n = -n if n[1] < 0 else n
    fat = pr.smooth_hull(np.concatenate(ring), 2.5, "Kager's fat pad")
    shapes["kager_fat_pad"] = fat.trim_by_plane(n.tolist(), float(np.min(front @ n)))
    return shapes, {"achilles_tendon": tuple(pr.unit(path[-1] - path[1]))}
