"""The real bones of one hip patient, placed in the model frame, and their measured landmarks.

The Visible Human body of the patient's sex gives the femur, hip bone and hip muscles of the
patient's side (``simulator.anatomy.real``; the muscles move with the pelvis); a left side
is mirrored into the right-side frame the generator builds in (the assembly mirrors the
finished model back, so a left patient has the real left side). Placement, all rigid or
uniform:

- the pelvis is translated so the femoral head centre lies at ``(half_width, 0, 0)``, where
  ``half_width`` is the measured distance from the midline (2 mm medial of the symphyseal
  surface of the pubis, half the disc) to the head centre, and scaled about the head centre
  by the patient's body size;
- the femur turns about the vertical through the head centre from its cadaver pose to its
  anatomical pose (posterior condylar axis coronal) and on by the limb's internal rotation
  (fluoroscopic positioning, clinical.md s.2);
- osteoarthritis narrows the joint: the femur moves up into the socket along the acetabular
  axis by the lost joint space (the real joint space is grade 0; later grades keep the
  fraction of it that ``JOINT_SPACE_BY_KL_MM`` keeps of 4.2 mm).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.real.bones import RealBone, real_bone, real_muscles
from simulator.anatomy.real.landmarks import (
    FemurLandmarks,
    PelvisLandmarks,
    femur_landmarks,
    pelvis_landmarks,
)

SYMPHYSIS_HALF_DISC_MM = 2.0


@dataclass(frozen=True)
class RealHip:
    """One side of one body in the right-side source frame, with its measurements."""

    femur: RealBone
    pelvis: RealBone
    femur_marks: FemurLandmarks
    pelvis_marks: PelvisLandmarks
    muscles: dict  # name: (vertices (n, 3), faces (m, 3)), registered to the pelvis

    @property
    def half_width_mm(self) -> float:
        mid_x = self.pelvis_marks.symphysis[0] - SYMPHYSIS_HALF_DISC_MM
        return float(self.femur_marks.head_centre[0] - mid_x)

    @property
    def joint_space_mm(self) -> float:
        """Socket radius less head radius, as measured."""
        return self.pelvis_marks.acetabular_radius_mm - self.femur_marks.head_radius_mm

    @property
    def condylar_yaw_rad(self) -> float:
        """Heading of the posterior condylar axis about the vertical (0 = coronal)."""
        c = self.femur_marks.posterior_condylar_axis
        return float(np.arctan2(c[1], c[0]))


@cache
def real_hip(sex: str, side: str) -> RealHip:
    """The measured real hip of the body of ``sex``, ``side`` (right-side frame)."""
    femur, pelvis = real_bone(sex, side, "femur"), real_bone(sex, side, "hip_bone")
    muscles = real_muscles(sex, side)
    if side == "left":
        femur, pelvis = femur.mirrored(), pelvis.mirrored()
        flip = np.array([-1.0, 1.0, 1.0])
        muscles = {n: (v * flip, f[:, ::-1].copy()) for n, (v, f) in muscles.items()}
    fm = femur_landmarks(femur.outer_vertices, femur.outer_faces)
    pm = pelvis_landmarks(pelvis.outer_vertices, pelvis.outer_faces, fm.head_centre,
                          fm.head_radius_mm)
    return RealHip(femur, pelvis, fm, pm, muscles)


@dataclass(frozen=True)
class Placement:
    """Affine maps ``(3, 4)`` from the source frame to the model frame."""

    pelvis: np.ndarray
    femur: np.ndarray

    @staticmethod
    def apply(matrix: np.ndarray, points) -> np.ndarray:
        p = np.asarray(points, float)
        return p @ matrix[:, :3].T + matrix[:, 3]

    @staticmethod
    def rotate(matrix: np.ndarray, vectors) -> np.ndarray:
        """Directions (unit in, unit out: the maps are rigid up to a uniform scale)."""
        v = np.asarray(vectors, float) @ matrix[:, :3].T
        return v / np.linalg.norm(v, axis=-1, keepdims=True)


def placement(hip: RealHip, size: float, internal_rotation_deg: float,
              narrowing_mm: float) -> Placement:
    """The maps that put ``hip`` into the model frame (see the module notes)."""
    head = hip.femur_marks.head_centre
    target = np.array([hip.half_width_mm, 0.0, 0.0])
    pelvis = np.zeros((3, 4))
    pelvis[:, :3] = size * np.eye(3)
    pelvis[:, 3] = target - size * head
    yaw = np.radians(internal_rotation_deg) - hip.condylar_yaw_rad
    turn = pr.rotation((0.0, 0.0, 1.0), yaw)
    axis = hip.pelvis_marks.acetabular_axis
    femur = np.zeros((3, 4))
    femur[:, :3] = size * turn
    femur[:, 3] = target - size * turn @ head - narrowing_mm * axis
    return Placement(pelvis, femur)


def placed_bone(bone: RealBone, matrix: np.ndarray, what: str) -> tuple[mf.Manifold,
                                                                          mf.Manifold]:
    """Outer solid and marrow of ``bone`` moved by ``matrix`` (3, 4)."""
    outer = pr.to_manifold(Placement.apply(matrix, bone.outer_vertices), bone.outer_faces, what)
    core = pr.to_manifold(Placement.apply(matrix, bone.core_vertices), bone.core_faces,
                          f"{what} core")
    return outer, core ^ outer
