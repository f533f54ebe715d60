"""Marginal osteophytes of an osteoarthritic knee (Kellgren-Lawrence grade 3 and 4).

On the AP radiograph the knee's osteophytes show first at the medial and lateral margins of
the tibial plateau and of the femoral condyles [U: standard radiographic anatomy; the KL grades
are defined in words]. They are drawn there, on the placed real bones, as beaded ridges
(``osteophytes``) along the bones' side margins:

- tibial: round the medial and lateral plateau rims, just below the articular surface (under
  the menisci, not into the joint space);
- femoral: round the medial and lateral condyles, ``CONDYLE_LEVEL_MM`` above their distal
  surface, at the articular margin.

The front of the femur above the trochlea, where the suprapatellar recess lies, and the
patella are left alone.
"""

from __future__ import annotations

import manifold3d as mf

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.knee_bones import KneeFrame
from simulator.anatomy.generators.osteophytes import OSTEOPHYTE_MM, beads, side_margins

CONDYLE_LEVEL_MM = 20.0   # femoral margin over the distal condyles: their sides stand upright there
PLATEAU_DROP_MM = 1.0     # tibial ridge's top under the joint-line centre, past its height
SIDE_SHARE = 0.12         # the outer share of the bone's width on either side that grows them


def marginal_osteophytes(f: KneeFrame, femur: mf.Manifold, tibia: mf.Manifold,
                         grade: int) -> tuple[mf.Manifold, mf.Manifold] | None:
    """Femoral and tibial ridges of ``grade`` (None below grade 3) on the placed bones."""
    height = OSTEOPHYTE_MM.get(grade)
    if height is None:
        return None
    femur_z = float(femur.bounding_box()[2]) + CONDYLE_LEVEL_MM
    tibia_z = float(f.origin[2]) - height - PLATEAU_DROP_MM
    return tuple(pr.union([beads(run, height) for run in side_margins(bone, z, SIDE_SHARE)])
                 for bone, z in ((femur, femur_z), (tibia, tibia_z)))
