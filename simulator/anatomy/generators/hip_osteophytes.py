"""Osteophytes of an osteoarthritic hip (Kellgren-Lawrence grade 3 and 4).

Grade 3 means moderate multiple osteophytes, grade 4 large ones (the KL definitions). On the
real bones they are drawn where hip radiographs and ultrasound show them first:

- femoral ridges along the head-neck junction, superolateral and inferomedial (the lateral and
  medial head edges of the AP radiograph), not over the front of the neck, where the anterior
  recess the injection aims for lies;
- an acetabular lip on the superolateral rim, over the roof (the AP radiograph's lateral
  acetabular osteophyte).

Each is a beaded ridge (``osteophytes.beads``) standing ``OSTEOPHYTE_MM`` proud of the bone,
unioned to the femur or hip bone.
"""

from __future__ import annotations

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.hip_frame import HipFrame
from simulator.anatomy.generators.osteophytes import OSTEOPHYTE_MM, arc_order, beads

# neck angles (0 anterior, pi/2 superior) of the femoral ridges: superolateral, inferomedial
COLLAR_ARCS_DEG = ((60.0, 150.0), (-150.0, -60.0))
RIM_SHARE = 0.35  # the most superolateral share of the acetabular rim points carries the lip


def femoral_ridges(f: HipFrame, grade: int) -> mf.Manifold | None:
    """The head-neck junction ridges of ``grade`` (None below grade 3)."""
    height = OSTEOPHYTE_MM.get(grade)
    if height is None:
        return None
    ridges = []
    for arc in COLLAR_ARCS_DEG:
        angles = np.radians(np.linspace(*arc, 24))
        s = f.head_neck_junction_s(angles) - 0.5 * height
        ridges.append(beads(f.neck_point(s, angles, 0.0), height))
    return pr.union(ridges)


def acetabular_lip(f: HipFrame, rim_mm: np.ndarray, grade: int) -> mf.Manifold | None:
    """The superolateral rim ridge of ``grade`` (None below grade 3); ``rim_mm`` ``(k, 3)``
    are the placed rim points in order round the socket."""
    height = OSTEOPHYTE_MM.get(grade)
    if height is None:
        return None
    rim = np.asarray(rim_mm, float)
    out_dir = pr.unit(rim.mean(0) - f.head_center)
    score = (rim - f.head_center) @ pr.unit(np.array([1.0, 0.0, 1.0]))
    keep = score >= np.quantile(score, 1.0 - RIM_SHARE)
    return beads(rim[arc_order(keep)] + 0.3 * height * out_dir, height)

