"""Sacroiliac geometry without meshes: the sacral axis, the joint plane and its outline.

World frame: patient RAS mm, origin at the centre of the S1 upper endplate, the injected
(right) joint at +x; the assembly mirrors for the left. Two bases are used:

- the sacral frame: arc length ``s`` down the sacral axis (a circular arc of radius
  ``KYPHOSIS_MM`` that starts ``sacral_tilt`` from vertical and curves ventrally), ``x``
  lateral and ``d`` dorsal, perpendicular to the axis in the sagittal plane;
- the joint frame: centre ``C`` on the auricular surface, ``N`` the plane normal (sacrum to
  ilium: lateral and a little dorsal), ``L`` along the joint (caudal), ``W`` across it
  (dorsal to ventral). The joint space is the slab ``|n| < space / 2`` inside an ear-shaped
  outline (64 x 24 mm), whose cranial limb lies ventral and caudal limb dorsal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.anatomy.generators.primitives import unit_rows
from simulator.anatomy.generators.sij_params import SijParams

KYPHOSIS_MM = 120.0
OUTLINE_EXPONENT = 3.5
CRANIAL_VENTRAL_SHIFT = 5.0   # mm: the cranial limb lies this far ventral, the caudal dorsal


@dataclass(frozen=True)
class SijFrame:
    params: SijParams
    axis: np.ndarray       # sacral axis at S1 (caudal)
    dorsal: np.ndarray     # dorsal normal at S1
    C: np.ndarray
    N: np.ndarray
    L: np.ndarray
    W: np.ndarray

    @property
    def sc(self) -> float:
        return self.params.bone_scale

    # -- sacral frame -----------------------------------------------------------------------
    def along(self, s_mm):
        """Point ``(..., 3)``, tangent and dorsal unit vectors of the sacral axis at ``s``."""
        s = np.asarray(s_mm, float)[..., None]
        phi = s / KYPHOSIS_MM
        point = (KYPHOSIS_MM * np.sin(phi) * self.axis
                 - KYPHOSIS_MM * (1.0 - np.cos(phi)) * self.dorsal)
        tangent = np.cos(phi) * self.axis - np.sin(phi) * self.dorsal
        dorsal = np.cos(phi) * self.dorsal + np.sin(phi) * self.axis
        return point, tangent, dorsal

    def sac(self, s_mm, x_mm, d_mm) -> np.ndarray:
        """World point at arc length ``s``, lateral ``x`` and dorsal ``d`` (mm, unscaled)."""
        s, x, d = np.broadcast_arrays(*(np.asarray(v, float) for v in (s_mm, x_mm, d_mm)))
        point, _, dorsal = self.along(s)
        return point + x[..., None] * np.array([1.0, 0.0, 0.0]) + d[..., None] * dorsal

    # -- joint frame ------------------------------------------------------------------------
    @property
    def half_length(self) -> float:
        return 0.5 * self.params.joint_length_mm

    @property
    def half_depth(self) -> float:
        return 0.5 * self.params.joint_depth_mm

    def joint(self, l_mm, w_mm, n_mm=0.0) -> np.ndarray:
        """World point at ``l`` (caudal), ``w`` (ventral) and ``n`` (toward the ilium)."""
        lo, w, n = np.broadcast_arrays(*(np.asarray(v, float) for v in (l_mm, w_mm, n_mm)))
        return (self.C + lo[..., None] * self.L + w[..., None] * self.W
                + n[..., None] * self.N)

    def centre_w(self, l_mm):
        """Ventral offset of the outline's middle at ``l``: cranial limb ventral."""
        return -CRANIAL_VENTRAL_SHIFT * np.asarray(l_mm, float) / self.half_length

    def half_width(self, l_mm, grow_mm: float = 0.0):
        """Half of the outline's ventro-dorsal extent at ``l`` (0 beyond the ends)."""
        a, b = self.half_length + grow_mm, self.half_depth + grow_mm
        q = 1.0 - np.abs(np.asarray(l_mm, float) / a) ** OUTLINE_EXPONENT
        return b * np.clip(q, 0.0, 1.0) ** (1.0 / OUTLINE_EXPONENT)

    def dorsal_edge_w(self, l_mm) -> np.ndarray:
        return self.centre_w(l_mm) - self.half_width(l_mm)

    def outline(self, count: int, grow_mm: float = 0.0) -> np.ndarray:
        """``(count, 2)`` outline points ``(l, w)`` of the joint, grown by ``grow_mm``,
        counter-clockwise in ``(l, w)``."""
        t = np.linspace(0.0, 2 * np.pi, count, endpoint=False)
        c, s = np.cos(t), np.sin(t)
        e = 2.0 / OUTLINE_EXPONENT
        a, b = self.half_length + grow_mm, self.half_depth + grow_mm
        lo = a * np.sign(c) * np.abs(c) ** e
        w = self.centre_w(lo) + b * np.sign(s) * np.abs(s) ** e
        return np.stack([lo, w], 1)

    def target(self) -> np.ndarray:
        """Inferior posterior joint: ``target_above_caudal`` mm cranial of the caudal margin,
        ``target_inside`` mm ventral of the dorsal joint line, mid-space."""
        p = self.params
        lo = self.half_length - p.target_above_caudal_mm
        w = float(self.dorsal_edge_w(lo)) + p.target_inside_mm
        return self.joint(lo, w, 0.0)

    def caudal_margin(self) -> np.ndarray:
        return self.joint(self.half_length, float(self.centre_w(self.half_length)), 0.0)


def sij_frame(params: SijParams) -> SijFrame:
    """Derive the sacral axis and the joint plane from drawn parameters."""
    tilt = np.radians(params.sacral_tilt_deg)
    axis = np.array([0.0, -np.sin(tilt), -np.cos(tilt)])
    dorsal = np.array([0.0, -np.cos(tilt), np.sin(tilt)])
    frame = SijFrame(params, axis, dorsal, np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(3))
    sc = params.bone_scale
    s_c = 38.0 * sc
    point, tangent, _ = frame.along(s_c)
    centre = frame.sac(s_c, 41.0 * sc, -3.0 * sc)
    ob = np.radians(params.joint_obliquity_deg)
    n0 = np.array([np.cos(ob), -np.sin(ob), 0.0])
    L = unit_rows(tangent)
    N = unit_rows(n0 - (n0 @ L) * L)
    W = unit_rows(np.cross(N, L))
    if W[1] < 0:
        W = -W
    return SijFrame(params, axis, dorsal, centre, N, L, W)
