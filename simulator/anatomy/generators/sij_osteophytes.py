"""Osteophytes of an osteoarthritic sacroiliac joint (Kellgren-Lawrence grade 3 and 4).

Sacroiliac osteophytes grow mostly on the joint's ventral (anterior) margin, where they may
bridge the joint in front [U: standard radiographic anatomy; the grades are defined in
words]; the posterior inferior joint the needle enters stays clear. The ridge is a beaded
ridge (``osteophytes``) along the real joint's anterior line, set ventrally by half its height
so that it straddles the margin, and unioned to the ilium.
"""

from __future__ import annotations

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators.osteophytes import OSTEOPHYTE_MM, beads
from simulator.anatomy.generators.sij_joint import JointFrame


def anterior_lip(frame: JointFrame, anterior_line_mm: np.ndarray,
                 grade: int) -> mf.Manifold | None:
    """The ventral margin's ridge of ``grade`` (None below grade 3) along the placed anterior
    joint line ``(k, 3)``, cranial to caudal."""
    height = OSTEOPHYTE_MM.get(grade)
    if height is None:
        return None
    return beads(np.asarray(anterior_line_mm, float) + 0.5 * height * frame.across, height)
