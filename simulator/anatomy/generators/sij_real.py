"""The real pelvis of one sacroiliac patient, placed in the model frame, with its landmarks.

The Visible Human body of the patient's sex gives the sacrum, both hip bones (as they lie in
the body: the joint gap is the real one) and the gluteal and iliopsoas muscles of both sides
(registered to those bones, ``simulator.anatomy.real``). The generator builds a right-side
model: a left patient's pelvis is mirrored whole, so the real left joint becomes the injected
one (the assembly mirrors the finished model back). Placement, rigid or uniform:

- the origin is the midpoint of the two joint centres (``sij_landmarks``), the frame's axes
  the body's (RAS), everything scaled about it by the patient's body size;
- the injected ilium and its muscles move along the joint normal by the wanted joint space
  less the real one (osteoarthritis narrows it, an effusion widens it). The real space is
  the median gap across the joint space ``sij_joint`` builds in the unmoved pelvis (about
  1.5 mm in both bodies; the vertex-to-vertex ``gap_mm`` of ``sij_landmarks`` reads high).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from simulator.anatomy.generators.sij_joint import JointFrame, joint_space
from simulator.anatomy.real.bones import RealBone, real_bone, real_muscles
from simulator.anatomy.real.sij_landmarks import SijLandmarks, sij_landmarks

MUSCLES = ("gluteus_maximus", "gluteus_medius", "iliacus", "psoas")
FLIP = np.array([-1.0, 1.0, 1.0])

Mesh = tuple[np.ndarray, np.ndarray]   # vertices (n, 3) mm, faces (m, 3)


@dataclass(frozen=True)
class RealSij:
    """One body's pelvis in the right-side source frame (the injected joint at larger x)."""

    sacrum: RealBone
    ilium: RealBone                 # injected side
    contralateral_ilium: RealBone
    marks: SijLandmarks             # injected joint
    contralateral_marks: SijLandmarks
    muscles: dict[str, Mesh]        # injected side, name: mesh
    contralateral_muscles: dict[str, Mesh]

    @property
    def origin(self) -> np.ndarray:
        """``(3,)`` midpoint of the two joint centres (source frame)."""
        return 0.5 * (self.marks.centre + self.contralateral_marks.centre)


def _mirror_mesh(mesh: Mesh) -> Mesh:
    v, f = mesh
    return v * FLIP, f[:, ::-1].copy()


@cache
def real_sij(sex: str, side: str) -> RealSij:
    """The measured real pelvis of the body of ``sex``, injected on ``side``."""
    sacrum = real_bone(sex, None, "sacrum")
    near, far = real_bone(sex, side, "hip_bone"), real_bone(
        sex, "left" if side == "right" else "right", "hip_bone")
    m_near, m_far = real_muscles(sex, side), real_muscles(
        sex, "left" if side == "right" else "right")
    m_near = {n: m_near[n] for n in MUSCLES}
    m_far = {n: m_far[n] for n in MUSCLES}
    if side == "left":
        sacrum, near, far = sacrum.mirrored(), near.mirrored(), far.mirrored()
        m_near = {n: _mirror_mesh(m) for n, m in m_near.items()}
        m_far = {n: _mirror_mesh(m) for n, m in m_far.items()}
    marks = sij_landmarks(sacrum.outer_vertices, near.outer_vertices)
    contra = sij_landmarks(sacrum.outer_vertices, far.outer_vertices)
    return RealSij(sacrum, near, far, marks, contra, m_near, m_far)


@dataclass(frozen=True)
class SijPlacement:
    """Source frame to model frame: ``x -> size * (x - origin)`` for the sacrum and the
    contralateral side, plus ``shift`` (3,) for the injected ilium and its muscles."""

    origin: np.ndarray
    size: float
    shift: np.ndarray

    def pelvis(self, points) -> np.ndarray:
        return self.size * (np.asarray(points, float) - self.origin)

    def injected(self, points) -> np.ndarray:
        return self.pelvis(points) + self.shift


@cache
def real_gap_mm(sex: str, side: str) -> float:
    """Median width (mm) of the injected joint's space in the unmoved real pelvis."""
    sij = real_sij(sex, side)
    m = sij.marks
    space = joint_space(JointFrame(m.centre, m.long_axis, m.across, m.normal),
                        (sij.sacrum.outer_vertices, sij.sacrum.outer_faces),
                        (sij.ilium.outer_vertices, sij.ilium.outer_faces),
                        np.concatenate([m.sacral_surface, m.iliac_surface]), 0.0)
    return float(np.median(space.gap_mm))


def sij_placement(sij: RealSij, sex: str, side: str, size: float,
                  joint_space_mm: float) -> SijPlacement:
    """The placement giving ``joint_space_mm`` across the injected joint (see module notes)."""
    widen = joint_space_mm - size * real_gap_mm(sex, side)
    return SijPlacement(sij.origin, size, widen * sij.marks.normal)
