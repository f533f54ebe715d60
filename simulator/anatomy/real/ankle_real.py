"""The real bones and soft tissue of one ankle, read from ``meshes/sources/``, in the
right-side frame, with their measured landmarks.

The HRA tibia and fibula (``extract``) and the Denver talus, calcaneus and navicular,
cartilage and leg muscles registered to them (``ankle_import``), all in the Visible Human
body's own frame; a left ankle is mirrored through x = 0 (the generator builds a right ankle
and the assembly mirrors the finished model back).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from simulator.anatomy.real.ankle_landmarks import AnkleLandmarks, ankle_landmarks
from simulator.anatomy.real.bones import RealBone, real_bone, real_soft

BONES = ("tibia", "fibula", "talus", "calcaneus", "navicular")


@dataclass(frozen=True)
class RealAnkle:
    """One side of one body, right-side frame.

    Attributes
    ----------
    bones : dict
        ``{name: RealBone}`` for ``BONES``.
    soft : dict
        ``{name: (vertices (n, 3) float64, faces (m, 3) int64)}``: ``talar_cartilage``,
        ``tibial_cartilage`` and the muscles of ``ankle_import.MUSCLES``.
    marks : AnkleLandmarks
    """

    bones: dict
    soft: dict
    marks: AnkleLandmarks


@cache
def real_ankle(sex: str, side: str) -> RealAnkle:
    """The measured real ankle of the body of ``sex``, ``side`` (right-side frame)."""
    bones: dict[str, RealBone] = {b: real_bone(sex, side, b) for b in BONES}
    soft = real_soft(sex, side, "ankle_soft")
    if side == "left":
        flip = np.array([-1.0, 1.0, 1.0])
        bones = {n: b.mirrored() for n, b in bones.items()}
        soft = {n: (v * flip, f[:, ::-1].copy()) for n, (v, f) in soft.items()}
    tib, tal = bones["tibia"], bones["talus"]
    marks = ankle_landmarks((tib.outer_vertices, tib.outer_faces),
                            bones["fibula"].outer_vertices, (tal.outer_vertices, tal.outer_faces))
    return RealAnkle(bones, soft, marks)
